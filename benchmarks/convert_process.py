"""``portreg convert`` as whole processes: XML → CSV and XML → services, wall time.

Runs ``portreg convert service-names-port-numbers.xml --to csv`` and ``--to services``
(standard output into a temporary file) as fresh processes, several times each, and
prints the median wall and CPU times beside a baseline: the smallest honest script that writes
``/etc/services`` from the same XML with the standard library's ElementTree (written
below, run the same way). Target: each conversion ≤ 0.8 s, and faster than the baseline.

Then, in this process, where the time goes: reading the XML into the model, and each
writer on its own, so that the writers can be seen to be a small part of it.

    python benchmarks/convert_process.py [--runs 7] [--xml PATH] [--profile]

The machine may be shared: the load average at the start is printed with the figures.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"
TARGET_SECONDS = 0.8

#: The baseline: every record with a name, one port and a transport, as a services line.
BASELINE = '''
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.iana.org/assignments}"
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for record in ET.parse(sys.argv[1]).getroot().iter(NS + "record"):
        name = record.findtext(NS + "name")
        number = record.findtext(NS + "number")
        protocol = record.findtext(NS + "protocol")
        if name and number and protocol and "-" not in number and " " not in name:
            out.write(f"{name}\\t{number}/{protocol}\\n")
'''


def portreg_command() -> list[str]:
    """The installed ``portreg`` beside this Python, else ``python -m portreg``."""
    script = Path(sys.executable).with_name("portreg")
    return [str(script)] if script.exists() else [sys.executable, "-m", "portreg"]


def run_times(command: list[str], output: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``.

    CPU time is printed too because the machine is shared: other work stretches the
    wall time of every run, but not the CPU time a process needs.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with output.open("wb") as out:
        subprocess.run(command, check=True, stdout=out)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def in_process(xml: Path, runs: int, profile: bool) -> None:
    """Median time of each step inside one process, after the imports."""
    from portreg.formats import csv as csv_format
    from portreg.formats import services
    from portreg.formats import xml as xml_format

    data = xml.read_bytes()

    def median_of(step) -> float:
        """Median CPU time of ``step`` (this process's, so load elsewhere does not count)."""
        times = []
        for _ in range(runs):
            start = time.process_time()
            step()
            times.append(time.process_time() - start)
        return statistics.median(times)

    registry = xml_format.read(data, source=str(xml))
    read_s = median_of(lambda: xml_format.read(data, source=str(xml)))
    csv_s = median_of(lambda: csv_format.write(registry, io.BytesIO()))
    services_s = median_of(lambda: services.write(registry, io.BytesIO()))
    print(f"\nin one process, CPU time (median of {runs}):")
    print(f"  read XML into the model   {read_s:6.3f} s")
    print(f"  write CSV                 {csv_s:6.3f} s  ({csv_s / (read_s + csv_s):.0%} of read + write)")
    print(f"  write services            {services_s:6.3f} s  ({services_s / (read_s + services_s):.0%} of read + write)")
    if profile:
        import cProfile
        import pstats

        for name, write in (("CSV", csv_format.write), ("services", services.write)):
            print(f"\nprofile of the {name} writer (top 8 by own time):")
            profiler = cProfile.Profile()
            profiler.runcall(write, registry, io.BytesIO())
            pstats.Stats(profiler).sort_stats("tottime").print_stats(8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    parser.add_argument("--xml", type=Path, default=XML, help="the registry XML (default: ../shared's 2024-03-18)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of each writer")
    args = parser.parse_args()
    if not args.xml.is_file():
        print(f"{args.xml} is absent: the real registry data lives in ../shared", file=sys.stderr)
        return 2

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    tmp = Path(tempfile.mkdtemp(prefix="portreg-bench-"))
    try:
        baseline = tmp / "baseline.py"
        baseline.write_text(BASELINE)
        # as a user types them: the result on standard output (here into a file)
        commands = {
            "portreg convert --to csv": [*portreg_command(), "convert", str(args.xml), "--to", "csv"],
            "portreg convert --to services": [*portreg_command(), "convert", str(args.xml), "--to", "services"],
            "baseline: ElementTree → services": [sys.executable, str(baseline), str(args.xml), "/dev/stdout"],
        }
        outputs = {label: tmp / f"out{i}" for i, label in enumerate(commands)}
        run_times(commands["portreg convert --to csv"], outputs["portreg convert --to csv"])  # warm the caches
        runs: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
        for _ in range(args.runs):  # interleaved, so that a burst of load hits all alike
            for label, command in commands.items():
                runs[label].append(run_times(command, outputs[label]))
        medians = {}
        print(f"\nwhole processes (median of {args.runs}, interleaved):      wall         CPU")
        for label, times in runs.items():
            walls = [wall for wall, _ in times]
            medians[label] = statistics.median(walls)
            cpu = statistics.median(c for _, c in times)
            print(f"  {label:34} {medians[label]:6.3f} s   {cpu:6.3f} s   (wall min {min(walls):.3f}, max {max(walls):.3f})")
        base = medians["baseline: ElementTree → services"]
        for label in ("portreg convert --to csv", "portreg convert --to services"):
            verdict = "ok" if medians[label] <= TARGET_SECONDS and medians[label] < base else "MISSED"
            print(f"  {label}: {verdict} (target ≤ {TARGET_SECONDS} s and < baseline, {base / medians[label]:.2f}x baseline speed)")
        services_text = outputs["portreg convert --to services"].read_text()
        lines = sum(1 for line in services_text.splitlines() if line and not line.startswith("#"))
        base_lines = len(outputs["baseline: ElementTree → services"].read_text().splitlines())
        print(f"  services lines: portreg {lines}, baseline {base_lines}")
    finally:
        shutil.rmtree(tmp)
    in_process(args.xml, args.runs, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())

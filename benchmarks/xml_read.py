"""Reading and writing IANA's XML, in this process: the figures the XML format answers for.

* read the 2024-03-18 registry (3.8 MB) into the model, median of N   (target ≤ 0.3 s)
* write it back, median of N                                           (target < 0.3 s)
* where the read goes: lxml's parse alone, and, for the choice of parser, the C
  ElementTree parser alone on the same bytes (both without building the model)
* with ``--history``: read -> write of all 342 published versions, counting how many
  come back byte-identical (a few minutes; the round trip test checks the same)

    python benchmarks/xml_read.py [--runs 15] [--xml PATH] [--history]

Times are process CPU time (``time.process_time``) and wall time. Targets are judged
on CPU time: on a shared machine the wall time mostly measures the other jobs (the load
average at the start is printed with the figures); on an idle one the two agree.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared"))
XML = SHARED / "iana" / "service-names-port-numbers.xml"
READ_TARGET_S = 0.3
WRITE_TARGET_S = 0.3


def median_times(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """(median CPU seconds, median wall seconds) of ``runs`` calls, after one warm-up."""
    action()
    cpu, wall = [], []
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        action()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


def show(label: str, figures: tuple[float, float], target: float | None = None) -> None:
    cpu, wall = figures
    # Judged on CPU time: on a shared machine wall time mostly measures the other jobs.
    verdict = "" if target is None else f"  target ≤ {target:.2f} s (cpu): {'met' if cpu <= target else 'NOT met'}"
    print(f"{label:<44} cpu {cpu * 1000:7.1f} ms   wall {wall * 1000:7.1f} ms{verdict}")


def history_figures() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import history_versions

    from portreg.formats import xml

    total = identical = 0
    failed: list[str] = []
    started = time.perf_counter()
    for name, data in history_versions():
        total += 1
        try:
            buf = io.BytesIO()
            xml.write(xml.read(data, source=name), buf)
        except Exception as exc:  # noqa: BLE001 - counted and named
            failed.append(f"{name}: {exc}")
            continue
        identical += buf.getvalue() == data
    elapsed = time.perf_counter() - started
    print(f"history: {identical}/{total} versions byte-identical after read -> write ({elapsed:.0f} s)")
    for line in failed:
        print("  failed:", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--xml", type=Path, default=XML)
    parser.add_argument("--history", action="store_true", help="also round-trip the 342 published versions")
    args = parser.parse_args()

    import xml.etree.ElementTree as ElementTree

    from lxml import etree

    from portreg.formats import _xml_tree, xml

    data = args.xml.read_bytes()
    print(f"{args.xml.name}: {len(data) / 1e6:.1f} MB; load average {os.getloadavg()[0]:.2f}; median of {args.runs}")
    registry = xml.read(data, source=str(args.xml))
    print(f"  {len(registry.records)} records, {len(registry.people)} people")
    show("read (bytes -> model)", median_times(lambda: xml.read(data), args.runs), READ_TARGET_S)
    show("write (model -> bytes)", median_times(lambda: xml.write(registry, io.BytesIO()), args.runs), WRITE_TARGET_S)
    show("  parse only, lxml (the full reader's parser)", median_times(lambda: etree.fromstring(data, _xml_tree._parser()), args.runs))
    show("  full reader (lxml) alone", median_times(lambda: _xml_tree.read(data), args.runs))
    show("  parse only, xml.etree C parser", median_times(lambda: ElementTree.fromstring(data), args.runs))
    if args.history:
        history_figures()


if __name__ == "__main__":
    main()

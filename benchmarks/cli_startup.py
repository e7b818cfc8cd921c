"""Start-up and run time of ``portreg --help``, ``convert`` and ``check``, and what they import.

Runs each command N times through the installed console script (a fresh process each
time, as a user runs it) and prints the median and best wall time, then runs it once
under ``python -X importtime`` and names the heavy libraries it loaded (rich,
SQLAlchemy, FastAPI, lxml, ...): ``--help`` and ``convert`` from CSV should load none.

    python benchmarks/cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IANA = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana"
XML = IANA / "service-names-port-numbers.xml"
CSV = next(iter(sorted((IANA / "csv").glob("*.csv"))), None) if (IANA / "csv").is_dir() else None
HEAVY = ("rich", "sqlalchemy", "fastapi", "starlette", "uvicorn", "lxml", "jinja2", "httpx", "alembic", "psycopg")


def commands() -> list[list[str]]:
    found = [["--help"], ["convert", "--help"], ["check", "--help"]]
    if CSV:
        found += [["convert", str(CSV), "--to", "json"], ["check", str(CSV)]]
    if XML.exists():
        found += [["convert", str(XML), "--to", "csv"], ["check", str(XML)]]
    return found


def run_times(args: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of each run; CPU time suffers less from a busy machine."""
    script = Path(sys.executable).with_name("portreg")
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([str(script), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def heavy_imports(args: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "portreg", *args], capture_output=True, text=True, check=False
    )
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return sorted({m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {options.runs} runs each")
    print(f"{'command':<66} {'wall median':>11} {'wall best':>9} {'cpu median':>10}  heavy imports")
    for args in commands():
        walls, cpus = run_times(args, options.runs)
        label = "portreg " + " ".join(Path(a).name if "/" in a else a for a in args)
        heavy = ", ".join(heavy_imports(args)) or "none"
        print(
            f"{label:<66} {statistics.median(walls) * 1000:>9.0f}ms {min(walls) * 1000:>7.0f}ms"
            f" {statistics.median(cpus) * 1000:>8.0f}ms  {heavy}"
        )


if __name__ == "__main__":
    main()

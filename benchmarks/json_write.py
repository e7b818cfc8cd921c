"""How long writing and reading the whole registry as JSON take (target: write <= 0.3 s).

Prints the median wall time and the median CPU time (the steadier figure on a shared
machine) of ``json.write`` and ``json.read`` with the model already in memory.

    python benchmarks/json_write.py [--runs 7] [FILE]

FILE defaults to ../shared/iana/service-names-port-numbers.xml (any readable format).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=XML)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from portreg import formats
    from portreg.formats import json

    registry = formats.read(args.file.read_bytes(), source=str(args.file))
    data = b""

    def write() -> None:
        nonlocal data
        out = io.BytesIO()
        json.write(registry, out)
        data = out.getvalue()

    print(f"{args.file.name}: {len(registry.records)} records, {len(registry.people)} people; {args.runs} runs each")
    for label, fn in (("json.write", write), ("json.read", lambda: json.read(data))):
        walls, cpus = [], []
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(f"{label:12} median wall {statistics.median(walls) * 1000:7.1f} ms   "
              f"cpu {statistics.median(cpus) * 1000:7.1f} ms   {len(data):>10,} bytes")


if __name__ == "__main__":
    main()

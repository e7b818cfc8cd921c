"""The cost of checking the stack for conflicts in every import's transaction.

A SQLite store in a temporary directory holds IANA's 2024-03-18 registry and a local
registry ``acme`` of N records (most in its own range 20000-29999, one in 50 on a port
IANA assigns). Each figure is the median wall time of ``--runs`` imports, with the
check (the store as ``portreg.services.open_store`` gives it) and without it (the bare
store), so that the difference is what the check costs:

* a local import: acme's list with one record changed (checked against IANA's rows);
* an upstream import: IANA's registry with one description changed (every local
  registry checked against it), as a sync that brings a change;
* the check alone, in a transaction, with nothing to write.

    python benchmarks/conflicts.py [--local 1000] [--runs 5]

The machine may be shared: the load average at the start is printed with the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"
sys.path.insert(0, str(ROOT / "src"))


def median_ms(run: Callable[[int], object], runs: int) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def local_registry(size: int, upstream: Any, salt: int) -> Any:
    """``size`` local records: one in 50 on a port IANA assigns, the others in 20000-29999."""
    from portreg.model import PortRange, Record, Registry

    assigned = [r for r in upstream.records if r.name and r.port is not None and not r.port.is_range]
    records = []
    for i in range(size):
        if i % 50 == 0:
            taken = assigned[(i * 7) % len(assigned)]
            records.append(Record(name=f"acme-x{i}", port=taken.port, transport=taken.transport))
        else:
            records.append(Record(name=f"acme-s{i}", port=PortRange(20000 + i % 10000, 20000 + i % 10000), transport="tcp"))
    records[1] = dataclasses.replace(records[1], name=f"acme-salt{salt}")  # a change: each import publishes
    return Registry(title="acme", records=tuple(records))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", type=int, default=1000, help="records in the local registry")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from portreg.formats import xml
    from portreg.model import Text
    from portreg.services import conflicts
    from portreg.store import PortRange, Store

    upstream = xml.read(XML.read_bytes(), source=str(XML))
    print(f"load average {os.getloadavg()[0]:.2f}; IANA {len(upstream.records)} records, acme {args.local} records")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'store.db'}"
        with Store.open(url) as bare:
            bare.import_registry(upstream, source=str(XML))
            bare.registries.create("acme", owns=(PortRange(20000, 29999),))
            bare.scoped("acme").import_registry(local_registry(args.local, upstream, -1), source="acme")
        salt = iter(range(10**6))

        def local_import(store: Store) -> Callable[[int], object]:
            return lambda i: store.scoped("acme").import_registry(
                local_registry(args.local, upstream, next(salt)), source="acme"
            )

        def upstream_import(store: Store) -> Callable[[int], object]:
            def run(i: int) -> object:
                n = next(salt)
                changed = list(upstream.records)
                changed[100] = dataclasses.replace(changed[100], description=Text.of(f"changed {n}"))
                return store.import_registry(dataclasses.replace(upstream, records=tuple(changed)), source="bench")

            return run

        figures = {}
        for label, checked in (("without the check", False), ("with the check", True)):
            with Store.open(url) as store:
                if checked:
                    conflicts.install(store)
                figures[label] = (
                    median_ms(local_import(store), args.runs),
                    median_ms(upstream_import(store), args.runs),
                )
        with Store.open(url) as store:

            def check_alone(i: int) -> object:
                with store.transaction() as tx:
                    return conflicts.reconcile(tx, version=None, found_by="ranges")

            alone = median_ms(check_alone, args.runs)
            open_count = sum(1 for c in conflicts.conflicts(store, "acme", open_only=True))
    print(f"{'':20} {'local import':>14} {'upstream import':>16}")
    for label, (local_ms, upstream_ms) in figures.items():
        print(f"{label:20} {local_ms:11.0f} ms {upstream_ms:13.0f} ms")
    print(f"the check alone (read both sides, compare, nothing new): {alone:.0f} ms; {open_count} open conflicts")


if __name__ == "__main__":
    main()

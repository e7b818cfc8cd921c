"""The stack's cost: answering over a local registry on top of IANA's, against IANA's alone.

Two SQLite stores in a temporary directory: IANA's 2024-03-18 registry alone, and the
same with local registry ``acme`` (the tests' services(5) list) stacked on it.

Whole processes (fresh each run, median wall time):

* ``portreg lookup 5432`` and ``portreg lookup http`` on each store (IANA's alone takes
  the quick path; a store with a local registry takes the full road, over both layers);

In this process:

* composing the stack's snapshot (both layers' records, the in-memory index);
* lookups by port and by name through the stack's index and through IANA's alone;
* a one-shot layered port lookup (indexed SQL in each layer) against a single one;
* a new web app's first API lookup (building and warming the snapshot it serves), then
  the whole registry page, on each store.

    python benchmarks/stack.py [--runs 11]

The machine may be shared: the load average at the start is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def portreg_command() -> list[str]:
    script = Path(sys.executable).with_name("portreg")
    return [str(script)] if script.exists() else [sys.executable, "-m", "portreg"]


def median_ms(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def per_second(run: Callable[[int], object], count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        run(i)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()

    from tests.support.overlay import stack

    from portreg.formats import read
    from portreg.services import open_store
    from portreg.services.query import Query
    from portreg.services.registry import RegistryService
    from portreg.services.stack import layers_query

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average at start: {load} (figures are noisy on a shared machine)")
    registry = read(XML.read_bytes(), source=str(XML))
    with tempfile.TemporaryDirectory() as tmp:
        alone = f"sqlite:///{tmp}/alone.sqlite3"
        stacked = f"sqlite:///{tmp}/stacked.sqlite3"
        with open_store(alone) as store:
            store.import_registry(registry, source=str(XML))
        stack(stacked, registry)

        command = portreg_command()
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        for what in ("5432", "http"):
            for label, url in (("IANA alone", alone), ("acme over IANA", stacked)):
                ms = median_ms(
                    lambda url=url, what=what: subprocess.run(
                        [*command, "--db", url, "lookup", what], env=env, capture_output=True, check=True
                    ),
                    args.runs,
                )
                print(f"portreg lookup {what:<5} {label:<15} {ms:8.1f} ms  (median of {args.runs} processes)")

        with RegistryService.open(alone) as service:
            upstream = service.view()
            upstream.index  # noqa: B018 - built before timing
        with RegistryService.open(stacked) as service:
            start = time.perf_counter()
            view = service.view()
            view.index  # noqa: B018
            print(f"composing the stack's snapshot and index   {(time.perf_counter() - start) * 1000:8.1f} ms")
            ports = [p % 65536 for p in range(0, 65536 * 7, 7)][:200_000]
            names = [h.record.name for h in view.hits if h.record.name][:5000]
            for label, snap in (("IANA alone", upstream), ("acme over IANA", view)):
                index = snap.index
                rate = per_second(lambda i, index=index: index.port(ports[i % len(ports)]), 200_000)
                print(f"index port lookups, {label:<15} {rate:12,.0f} /s")
                rate = per_second(lambda i, index=index: index.name(names[i % len(names)]), 200_000)
                print(f"index name lookups, {label:<15} {rate:12,.0f} /s")

        with open_store(stacked) as store:
            single = Query(store)
            layered = layers_query(store, None)
            for label, query in (("one registry", single), ("two layers", layered)):
                ms = median_ms(lambda query=query: query.port(5432), args.runs * 5)
                print(f"SQL port lookup, {label:<12} {ms:8.2f} ms  (median of {args.runs * 5})")

        import warnings

        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        from portreg.web import create_app

        for label, url in (("IANA alone", alone), ("acme over IANA", stacked)):
            with open_store(url) as store, TestClient(create_app(store=store)) as client:
                first = median_ms(lambda client=client: client.get("/api/v1/ports/80"), 1)
                page = median_ms(lambda client=client: client.get("/?page_size=all"), 1)
                print(f"new app, {label:<15} first lookup {first:8.1f} ms, then the whole registry page {page:6.1f} ms")


if __name__ == "__main__":
    main()

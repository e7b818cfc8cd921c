"""The store's speed on the real data: import, reconstruction, reads, search, whole history.

Prints, for a fresh SQLite file in a temp dir:

- reading the 2024-03-18 XML into the model, and importing it into an empty store
  (in-process; the whole ``portreg import`` process adds start-up and imports);
- re-importing it unchanged (hash check only, nothing written);
- ``registry()`` rebuilt from the database (cache cleared each time), median;
- ``records_at_port`` / ``records_named`` through SQL, median;
- ``search`` (ranked full text, a mix of queries), median;
- with ``--history``: ``portreg import-history``'s path (the service, streaming the
  .tar.zst) over all 342 published versions into an empty store, wall and CPU time,
  the SQLite file's size, then a check that a few versions rebuild to their XML byte
  for byte. ``--db postgresql://…`` (an empty database) measures PostgreSQL instead;
  ``--only-history`` skips the figures on the current version.

    python benchmarks/store_import.py [--history | --only-history] [--db URL] [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
IANA = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana"
XML = IANA / "service-names-port-numbers.xml"

#: Typical questions, plus three of the broadest single words (about 1,000 matches each).
SEARCHES = [
    "web server", "kerberos", "database", "IESG", "printer", "Jon Postel", "network time", "x11",
    "game", "video", "protocol", "service", "server",
]  # fmt: skip


def median_ms(action, runs: int) -> str:  # type: ignore[no-untyped-def]
    """Median wall time and median CPU time of ``action``, in ms (the machine is shared)."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return f"{statistics.median(wall) * 1000:.3f} ms wall, {statistics.median(cpu) * 1000:.3f} ms CPU"


def store_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def current(tmp: Path, runs: int) -> None:
    from portreg.formats import xml
    from portreg.store import Store

    data = XML.read_bytes()
    start = time.perf_counter()
    registry = xml.read(data, source=str(XML))
    print(f"read XML 2024-03-18 ({len(registry.records)} records): {time.perf_counter() - start:.3f} s")
    path = tmp / "current.sqlite3"
    start = time.perf_counter()
    with Store.open(str(path)) as store:
        opened, cpu = time.perf_counter(), time.process_time()
        store.import_registry(registry, source=str(XML))
        done, cpu = time.perf_counter(), time.process_time() - cpu
        print(f"open (create) empty store: {opened - start:.3f} s; import into it: {done - opened:.3f} s ({cpu:.3f} s CPU)")
        start = time.perf_counter()
        assert store.import_registry(registry, source=str(XML)) is None
        print(f"re-import unchanged (nothing written): {time.perf_counter() - start:.3f} s")

        def rebuild() -> None:
            store._cache.clear()
            store.registry()

        print(f"registry() rebuilt, median of {runs}: {median_ms(rebuild, runs)}")
        print(f"registry() cached: {median_ms(store.registry, runs)}")
        ports = iter(range(10**9))
        print(f"records_at_port (SQL), median: {median_ms(lambda: store.records_at_port(next(ports) % 10000), runs * 50)}")
        print(f"records_named('http') (SQL), median: {median_ms(lambda: store.records_named('http'), runs * 50)}")
        queries = iter(SEARCHES * runs)
        print(f"search ({len(SEARCHES)} queries x {runs}), median: {median_ms(lambda: store.search(next(queries)), runs * len(SEARCHES))}")
        for query in ("kerberos", "protocol"):
            print(f"  search({query!r}), median: {median_ms(lambda: store.search(query), runs)}")
        states = iter(["assigned", "reserved", "unassigned"] * runs)
        print(f"search by filters only (state), median: {median_ms(lambda: store.search(None, state=next(states), limit=20), runs * 3)}")
    print(f"store file: {store_size(path) / 1e6:.1f} MB")


def history(tmp: Path, url: str | None) -> None:
    """All 342 versions through ``portreg import-history``'s own path (the service), timed."""
    from conftest import HISTORY, history_versions

    from portreg.formats import xml
    from portreg.services.history_import import import_history
    from portreg.store import Store

    path = tmp / "history.sqlite3"
    url = url or f"sqlite:///{path}"
    start, cpu = time.perf_counter(), time.process_time()

    def progress(done: int, total: int) -> None:
        if done and done % 50 == 0:
            size = f", {store_size(path) / 1e6:.1f} MB" if url.startswith("sqlite") else ""
            print(f"  {done}/{total} versions, {time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu:.0f} s CPU{size}", flush=True)

    with Store.open(url) as store:
        result = import_history(store, HISTORY, progress=progress)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        count = result.found
        print(
            f"history ({store.dialect}): {count} versions, {len(result.imported)} stored, in {elapsed:.1f} s wall, "
            f"{cpu:.1f} s CPU ({elapsed / count * 1000:.0f} ms each; the machine is shared: CPU time is this process's own)"
        )
        if store.dialect == "sqlite":
            store._db.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            print(f"history store file: {store_size(path) / 1e6:.1f} MB")
        kept = {1: None, 100: None, 250: None, count: None}
        for number, (_, data) in enumerate(history_versions(), start=1):
            if number in kept:
                same = xml.dumps(store.registry(number)) == data.decode()
                print(f"version {number} rebuilds to its XML exactly: {same}")
        revisions = store._db.scalar("SELECT count(*) FROM record_revisions")
        print(f"record revisions: {revisions}, records: {store._db.scalar('SELECT count(*) FROM records')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", action="store_true", help="also import all 342 versions (a few minutes)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only-history", action="store_true", help="skip the figures on the current version")
    parser.add_argument("--db", metavar="URL", help="an EMPTY store for --history (default: a SQLite file in a temp dir)")
    args = parser.parse_args()
    if not XML.exists():
        sys.exit(f"{XML} is absent: the real data lives in ../shared")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.only_history:
            current(Path(tmp), args.runs)
        if args.history or args.only_history:
            history(Path(tmp), args.db)


if __name__ == "__main__":
    main()

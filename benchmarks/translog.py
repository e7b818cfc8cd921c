"""The transparency log's costs on the real history: catching up, signing, proofs, verifying.

Imports the first N of the 342 published versions (all by default) into a fresh SQLite
store (the import writes no leaf), then prints:

- catching up the log: one leaf per version (a rebuild of the version and an XML
  write each), total and per version;
- the signed head (first, then cached), an inclusion proof, a consistency proof;
- ``verify`` of the store directly: content ``none``, then ``all`` (every version's
  XML rebuilt and hashed).

With ``--local K``, a local registry ``acme`` is created after the first IANA version
and one version of it (the tests' services(5) list, growing by one record each) is
imported after each of the first K IANA versions, so that the two registries' versions
interleave in the one sequence of numbers, as in a store that syncs IANA and imports
its own list; then also:

- one more leaf of each registry, appended alone (a local version is small: its leaf
  costs a fraction of an IANA one);
- the ``/changes`` entries (``services.feeds``): a page of the stack, cold (every
  entry's diff computed) and warm, IANA's alone, and a port watch over the stack.

    python benchmarks/translog.py [--versions N] [--local K]

Figures are wall and CPU time: the machine is shared, so wall time is noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def timed(label: str, action):  # type: ignore[no-untyped-def]
    start, start_cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(f"{label}: {wall:.3f} s wall, {cpu:.3f} s CPU")
    return result, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=342, help="how many of the published versions to import")
    parser.add_argument("--local", type=int, default=0, help="versions of a local registry interleaved with IANA's")
    args = parser.parse_args()

    from tests.support.data import history_versions

    from portreg.formats import xml
    from portreg.services import translog
    from portreg.services.translog import merkle
    from portreg.services.translog.signing import load_key
    from portreg.services.translog.verify import StoreSource, verify
    from portreg.store import Store

    directory = Path(tempfile.mkdtemp(prefix="portreg-translog-"))
    os.environ.setdefault("PORTREG_LOG_KEY", str(directory / "key.pem"))
    store = Store.open(f"sqlite:///{directory / 'store.db'}")

    def fill() -> int:
        if args.versions >= 342 and not args.local:  # the whole archive, as `portreg import-history` reads it
            from tests.support.data import HISTORY

            from portreg.services.history_import import import_history

            return len(import_history(store, HISTORY).imported)
        count = 0
        for name, data in history_versions():
            if count >= args.versions:
                break
            if store.import_registry(xml.read(data, source=name), source=name) is not None:
                count += 1
            if count <= args.local:
                local_version(count)
        return count

    def local_version(i: int) -> None:
        import dataclasses

        from tests.support.overlay import acme_registry

        from portreg.model import PortRange, Text
        from portreg.store import PortRange as Owned

        if i == 1:
            store.registries.create("acme", owns=(Owned(20000, 20999),), actor="bench")
        acme = acme_registry()
        extra = tuple(
            dataclasses.replace(
                acme.records[1],
                name=f"acme-svc{n}",
                port=PortRange(20300 + n, 20300 + n),
                description=Text.of(f"service {n}"),
            )
            for n in range(i)
        )
        store.scoped("acme").import_registry(
            dataclasses.replace(acme, records=acme.records + extra), source=f"acme-{i}"
        )

    count, _ = timed("import (no leaves written)", fill)
    print(f"  {count} versions")
    appended, wall = timed("catch_up: one leaf per version", lambda: translog.catch_up(store))
    print(f"  {appended} leaves, {wall / max(appended, 1) * 1000:.0f} ms per version")

    log = translog.TransparencyLog(store, load_key(directory / "key.pem"))
    head, _ = timed("signed head (first)", log.signed_head)
    timed("signed head (cached)", log.signed_head)
    proof, _ = timed(f"inclusion proof of version {count // 2}", lambda: log.inclusion(count // 2))
    assert merkle.verify_inclusion(proof.entry.leaf_hash, proof.entry.index, head.size, proof.path, head.root)
    timed(f"consistency proof {count // 3} -> {count}", lambda: log.consistency(count // 3))
    cache = directory / "cache"
    report, _ = timed(
        "verify --db --content none",
        lambda: verify(StoreSource(store, directory / "key.pem"), cache_dir=cache, content="none"),
    )
    assert report.ok, report.problems
    report, _ = timed(
        "verify --db --content all",
        lambda: verify(StoreSource(store, directory / "key.pem"), cache_dir=cache, content="all"),
    )
    assert report.ok and report.content_checked == count + args.local, report.problems
    if args.local:
        local_version(args.local + 1)
        timed("catch_up: one local version's leaf", lambda: translog.catch_up(store))
        last = store.registry()
        store.import_registry(dataclasses_replace(last, updated="2099-01-01"), source="bench.xml")
        timed("catch_up: one IANA version's leaf", lambda: translog.catch_up(store))
        from portreg.services.feeds import Feeds, Watch

        feeds = Feeds(store)
        (entries, total), _ = timed("/changes page of the stack, cold (25 diffs)", lambda: feeds.page())
        print(f"  {total} versions, {sum(1 for e in entries if e.local)} of acme on the first page")
        timed("/changes page of the stack, warm", lambda: feeds.page())
        timed("/changes page of IANA's alone, first (its older diffs)", lambda: feeds.page(registry="iana"))
        timed("/changes page of IANA's alone, warm", lambda: feeds.page(registry="iana"))
        timed("/port/20300-20400 feed over the stack", lambda: feeds.watch(Watch.parse("port", "20300-20400")))
    print(f"store file: {(directory / 'store.db').stat().st_size / 1e6:.1f} MB")
    store.close()


def dataclasses_replace(value, **changes):  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(value, **changes)


if __name__ == "__main__":
    main()

"""A store whose registries' versions interleave: iana 1, acme 2, iana 3, acme 4, iana 5.

Version numbers are one sequence over every registry, so a version's predecessor in
its registry is not N - 1: the history, feed and log tests use this store to show it.
IANA's versions are its real registry cut short (each hashes and diffs in milliseconds).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.support.overlay import acme_registry


def small(registry: Any, count: int = 60) -> Any:
    """IANA's registry cut to its first ``count`` records and 20 people."""
    return dataclasses.replace(registry, records=registry.records[:count], people=registry.people[:20])


def acme_v2() -> Any:
    """acme's second version: acme-sync/tcp's description changed, acme-new 20300/tcp added."""
    from portreg.model import PortRange, Text

    acme = acme_registry()
    records = list(acme.records)
    records[1] = dataclasses.replace(records[1], description=Text.of("acme's sync service, now with TLS"))
    records.append(dataclasses.replace(records[1], name="acme-new", port=PortRange(20300, 20300)))
    return dataclasses.replace(acme, records=tuple(records))


def iana_versions(registry: Any) -> list[Any]:
    """IANA's three versions: 60 records; one added (61); the first removed, one more added."""
    versions = [small(registry, n) for n in (60, 61, 62)]
    versions[1] = dataclasses.replace(versions[1], updated="2099-01-02")
    versions[2] = dataclasses.replace(versions[2], records=versions[2].records[1:], updated="2099-01-03")
    return versions


def interleave(store: Any, registry: Any) -> None:
    """Fill the empty ``store``: iana v1, acme v2, iana v3, acme v4, iana v5."""
    from portreg.store import PortRange

    iana = iana_versions(registry)
    store.import_registry(iana[0], source="iana-1.xml", actor="sync")
    store.registries.create("acme", title="ACME Corp.", owns=(PortRange(20000, 20999),), actor="ops")
    acme = store.scoped("acme")
    acme.import_registry(acme_registry(), source="acme.services", actor="ops")
    store.import_registry(iana[1], source="iana-2.xml", actor="sync")
    acme.import_registry(acme_v2(), source="acme-2.services", actor="ops")
    store.import_registry(iana[2], source="iana-3.xml", actor="sync")

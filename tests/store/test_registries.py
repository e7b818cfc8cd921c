"""Stacked registries in one store: a local registry never changes IANA's answers.

Each store test reads one registry; here a local registry ``acme`` sits beside IANA's
in the same database, and every read of IANA's registry must answer exactly as if it
were alone, while acme's reads see only acme's rows.
"""

from __future__ import annotations

from typing import Any

import pytest

from portreg.errors import Conflict, InvalidQuery, NotFound
from tests.support.overlay import acme_registry, stack


def test_iana_answers_as_if_alone(stacked: str, current_registry: Any) -> None:
    from portreg.store import Store

    with Store.open(stacked) as store:
        assert [v.number for v in store.versions()] == [1]
        assert store.current_version().number == 1
        assert store.registry() == current_registry
        assert [s.record.name for s in store.records_at_port(5432)] == ["postgresql"] * 2
        assert store.records_named("acme-db") == []
        found = store.search("acme").items
        assert found and {s.source for s in found} == {"iana"} and "acme-sync" not in {s.record.name for s in found}
        assert store.stats()["records"] == len(current_registry.records)
        assert {s.source for s in store.records_at_port(80)} == {"iana"}


def test_the_local_registry_sees_only_its_rows(stacked: str) -> None:
    from portreg.store import Store

    with Store.open(stacked) as store:
        acme = store.scoped("acme")
        assert [v.number for v in acme.versions()] == [2]
        assert acme.current_version().source == "acme.services"
        assert [(s.record.name, s.source) for s in acme.records_at_port(5432)] == [("acme-db", "acme")]
        assert [s.record.name for s in acme.records_named("ACME-SYNC")] == ["acme-sync", "acme-sync"]
        assert acme.registry() == acme_registry()
        assert acme.people() == []
        assert acme.search("sync").total == 2
        assert acme.stats()["records"] == 7
        with pytest.raises(NotFound, match="registry acme has no version 1"):
            acme.registry(1)


def test_the_registries_are_listed_in_stack_order(stacked: str) -> None:
    from portreg.store import PortRange, Store

    with Store.open(stacked) as store:
        names = [(r.name, r.kind, r.ranges) for r in store.registries.all()]
        assert names == [("acme", "local", (PortRange(20000, 20999),)), ("iana", "upstream", ())]
        assert store.registries.has_local()
        with pytest.raises(NotFound, match="holds no registry 'acne'"):
            store.scoped("acne")


def test_bad_and_duplicate_registry_names_are_refused(store_url: str) -> None:
    from portreg.store import Store

    with Store.open(store_url) as store:
        assert not store.registries.has_local()
        with pytest.raises(InvalidQuery, match="cannot name a registry"):
            store.registries.create("Acme Corp")
        with pytest.raises(InvalidQuery, match="reserved"):
            store.registries.create("stack")
        with pytest.raises(Conflict, match="already holds a registry 'iana'"):
            store.registries.create("iana")
        store.registries.create("acme")
        with pytest.raises(Conflict):
            store.registries.create("acme")


def test_imports_interleave_in_one_sequence_without_touching_each_other(store_url: str, current_registry: Any) -> None:
    """IANA version 1, acme 2, IANA 3 (a record gone), acme 4: each import matches and
    closes only its own registry's rows, and diffs stay inside one registry."""
    from dataclasses import replace

    from portreg.store import Store

    with Store.open(store_url) as store:
        stack(store_url, current_registry)
        smaller = replace(current_registry, records=current_registry.records[1:])
        assert store.import_registry(smaller, source="iana-next").number == 3
        acme = store.scoped("acme")
        local = acme_registry()
        assert acme.import_registry(replace(local, records=local.records[:-1]), source="acme-next").number == 4
        assert acme.import_registry(replace(local, records=local.records[:-1]), source="again") is None
        assert [v.number for v in store.versions()] == [1, 3]
        assert [v.number for v in acme.versions()] == [2, 4]
        assert store.registry() == smaller
        assert len(acme.records()) == 6
        diff = store.diff(1, 3)
        assert [s.record for s in diff.removed] == [current_registry.records[0]] and not diff.added
        acme_diff = acme.diff(2, 4)
        assert [s.record.name for s in acme_diff.removed] == ["www"] and not acme_diff.added
        assert store.delta(1, 3).records and len(acme.delta(2, 4).records) == 1
        www = acme_diff.removed[0].id
        assert store.watches.name("acme-db") == [] and acme.watches.name("www") == [(4, www), (2, www)]

"""The registries service: making local registries, filling them, and exporting IANA's
registry alone, a local one alone, the stack, and profile ``local``, on SQLite and
PostgreSQL, with the real 2024-03-18 registry underneath."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from portreg.errors import Conflict, EmptyStore, InvalidQuery, NotFound
from tests.support.data import CURRENT_XML
from tests.support.overlay import ACME, acme_registry


@pytest.fixture
def service(stacked: str) -> Iterator[Any]:
    from portreg.services.registry import RegistryService

    with RegistryService.open(stacked) as opened:
        yield opened


@pytest.fixture
def empty(store_url: str) -> Iterator[Any]:
    from portreg.services.registry import RegistryService

    with RegistryService.open(store_url) as opened:
        yield opened


def names(registry: Any) -> list[str | None]:
    return [r.name for r in registry.records]


def test_the_registries_are_listed_in_stack_order_with_their_versions(service: Any) -> None:
    from portreg.services.registries import describe, list_registries, summary_json

    found = list_registries(service)
    assert [(s.name, s.info.kind, s.current and s.current.number) for s in found] == [
        ("acme", "local", 2),
        ("iana", "upstream", 1),
    ]
    acme = summary_json(describe(service, "acme"))
    assert acme["title"] == "ACME Corp. services" and acme["created_by"] == "ops"
    assert acme["ranges"] == [{"low": 20000, "high": 20999, "transport": None, "text": "20000-20999"}]
    assert acme["current"]["record_count"] == 7 and acme["current"]["source"] == "acme.services"
    assert summary_json(describe(service, "iana"))["current"]["record_count"] == 14444
    with pytest.raises(NotFound) as missing:
        describe(service, "acne")
    assert list(missing.value.suggestions) == ["acme", "iana"]
    with pytest.raises(InvalidQuery) as bad:
        describe(service, "ac me")
    assert bad.value.parameter == "registry"


def test_create_and_set_ranges_check_what_they_are_given(empty: Any) -> None:
    from portreg.services.registries import create, describe, set_ranges

    made = create(empty, "acme", title="ACME Corp.", owns=["20000-20999", "30000-30099/udp"], actor="ops")
    assert made.current is None and [str(r) for r in made.info.ranges] == ["20000-20999", "30000-30099/udp"]
    assert [str(r) for r in describe(empty, "acme").info.ranges] == ["20000-20999", "30000-30099/udp"]
    with pytest.raises(Conflict):
        create(empty, "acme")
    for name in ("stack", "local"):
        with pytest.raises(InvalidQuery, match=r"reserved|cannot name"):
            create(empty, name)
    for name in ("Acme", "a", "acme-", "9acme", "ac me", "x" * 50):
        with pytest.raises(InvalidQuery) as bad:
            create(empty, name)
        assert bad.value.parameter == "registry"
    for owns in (["20000-70000"], ["x"], ["20-10"], ["1-2/icmp"]):
        with pytest.raises(InvalidQuery) as bad:
            create(empty, "beta", owns=owns)
        assert bad.value.parameter == "owns"
    with pytest.raises(InvalidQuery) as bad:
        create(empty, "beta", title="\x00")
    assert bad.value.parameter == "title"
    with pytest.raises(NotFound):
        describe(empty, "beta")  # nothing was made by the refused creations
    assert [str(r) for r in set_ranges(empty, "acme", ["40000-40009/tcp"]).info.ranges] == ["40000-40009/tcp"]
    assert set_ranges(empty, "acme", []).info.ranges == ()
    with pytest.raises(InvalidQuery, match="upstream"):
        set_ranges(empty, "iana", ["1-2"])


def test_an_import_goes_into_the_registry_it_names(empty: Any) -> None:
    from portreg.services.registries import create, describe, import_into

    create(empty, "acme")
    version = import_into(empty, "acme", acme_registry(), source="acme.services", actor="ops")
    assert version is not None and version.record_count == 7
    assert import_into(empty, "acme", acme_registry(), source="acme.services") is None
    assert describe(empty, "acme").current == version
    assert describe(empty, "iana").current is None  # IANA's registry is untouched
    with pytest.raises(InvalidQuery, match="one registry"):
        import_into(empty, "stack", acme_registry(), source="x")
    with pytest.raises(NotFound):
        import_into(empty, "beta", acme_registry(), source="x")
    upstream = import_into(empty, "iana", acme_registry(), source="x")
    assert upstream is not None and upstream.number == version.number + 1


def test_the_default_export_is_ianas_registry_byte_for_byte(service: Any, current_xml_bytes: bytes) -> None:
    from portreg import formats
    from portreg.services.registries import export

    document = export(service)
    assert document.layers == (("iana", 1),) and document.options == {}
    assert formats.to_bytes(document.registry, "xml") == current_xml_bytes
    assert export(service, registry="iana").registry == document.registry


def test_a_local_registry_exports_alone(service: Any) -> None:
    from portreg import formats
    from portreg.services.registries import export

    document = export(service, registry="acme")
    assert document.layers == (("acme", 2),)
    assert document.registry == acme_registry()
    assert formats.to_bytes(document.registry, "services") == formats.to_bytes(acme_registry(), "services")
    with pytest.raises(NotFound, match="registry acme has no version 1"):
        export(service, registry="acme", version=1)


def test_the_stack_puts_the_local_records_first(service: Any, current_registry: Any) -> None:
    from portreg import formats
    from portreg.services.registries import export, plan

    document = export(service, registry="stack")
    assert document.layers == (("acme", 2), ("iana", 1))
    assert names(document.registry) == names(acme_registry()) + names(current_registry)
    assert document.registry.people == current_registry.people
    assert document.registry.notes == current_registry.notes
    upstream = service.store.registries.get("iana").title
    assert document.registry.title == f"ACME Corp. services (acme) stacked on {upstream} (iana)"
    text = formats.to_bytes(document.registry, "services").decode()
    lines = {line.split()[1]: line.split("#")[0].split() for line in text.splitlines() if line and line[0] != "#"}
    # acme's name on 5432/tcp is the line's official name: getservbyport answers acme-db there.
    assert lines["5432/tcp"] == ["acme-db", "5432/tcp", "postgresql"]
    assert lines["20100/udp"] == ["acme-sync", "20100/udp"]
    assert lines["80/tcp"][:2] == ["http", "80/tcp"]
    # every format reads back with the records of both registries
    for fmt in ("xml", "csv", "json"):
        again = formats.read(formats.to_bytes(document.registry, fmt), format=fmt, source=f"stack.{fmt}")
        assert len(again.records) == len(acme_registry().records) + len(current_registry.records), fmt
    # the stack at version 1 is IANA's alone: acme's first version is 2
    assert export(service, registry="stack", version=1).layers == (("iana", 1),)
    assert plan(service, registry="stack").key != plan(service, registry="stack", version=1).key


def test_profile_local_writes_the_local_registries_only(service: Any) -> None:
    from portreg import formats
    from portreg.services.registries import export

    document = export(service, profile="local")
    assert document.layers == (("acme", 2),) and document.notice is None
    text = formats.to_bytes(document.registry, "services", **document.options).decode()
    entries = [line.split()[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert entries == ["http", "acme-db", "acme-sync", "acme-sync", "acme-mon"]
    assert "# Profile: local (the records of the local registry acme; IANA's own are left out)" in text
    assert export(service, registry="acme", profile="local").layers == (("acme", 2),)
    with pytest.raises(InvalidQuery) as bad:
        export(service, registry="iana", profile="local")
    assert bad.value.parameter == "profile"
    assert ACME.decode().count("acme-sync") == text.count("acme-sync")


def test_profile_local_without_a_local_registry_says_so(empty: Any, current_registry: Any) -> None:
    from portreg import formats
    from portreg.services.registries import export

    with pytest.raises(EmptyStore):
        export(empty, registry="stack")
    empty.import_registry(current_registry, source=str(CURRENT_XML))
    document = export(empty, profile="local")
    assert document.notice and "holds no local registry" in document.notice
    text = formats.to_bytes(document.registry, "services", **document.options).decode()
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == []
    # with no local registry the stack is IANA's registry itself
    assert export(empty, registry="stack").registry == current_registry


def test_bad_selectors_name_the_parameter(service: Any) -> None:
    from portreg.services.registries import export, parse_selector

    assert parse_selector(None) == "iana" and parse_selector("stack") == "stack" and parse_selector("acme") == "acme"
    assert parse_selector("ACME") == "acme" and parse_selector("Stack") == "stack"  # as every ?registry= reads
    for text in ("acme;drop", "../etc", "é", "x" * 41, "ac me"):
        with pytest.raises(InvalidQuery) as bad:
            export(service, registry=text)
        assert bad.value.parameter == "registry"

"""The store on both databases: exact round trips, versions and history, reads, search, errors.

Read-only tests share one store per database holding the 2024-03-18 registry; tests
that write get a fresh store (``store_url``: a SQLite file, or a new PostgreSQL
database on the session's server). Expected answers are computed from the model
itself, by brute force, so the SQL is checked against the registry, not against
itself.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support import history
from tests.support.data import history_versions
from portreg.errors import NotFound, StoreError
from portreg.formats import to_bytes
from portreg.model import PortRange, Record, Reference, Registry, Text
from portreg.rules import range_class, record_state
from portreg.store import Store
from portreg.store._matching import GAP, match, sort_keys
from portreg.store._urls import mask_password, resolve


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def current_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, current_registry: Registry) -> Iterator[Store]:
    """A store holding the 2024-03-18 registry as version 1 (one per database, per module)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('current') / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    with Store.open(url) as store:
        store.import_registry(current_registry, source="service-names-port-numbers.xml", actor="tester")
        yield store


def sample(registry: Registry, count: int = 300) -> Registry:
    """The first ``count`` records and the people they name: a small but real registry."""
    records = registry.records[:count]
    return dataclasses.replace(registry, records=records, people=registry.referenced_people(records))


def names(stored: list[Any]) -> list[tuple[str | None, str | None, str | None]]:
    return [(s.record.name, str(s.record.port) if s.record.port else None, s.record.transport) for s in stored]


# --------------------------------------------------------------------------- exactness


def test_export_gives_the_imported_xml_back(current_store: Store, current_registry: Registry, current_xml_bytes: bytes) -> None:
    rebuilt = current_store.registry()
    assert rebuilt == current_registry
    assert to_bytes(rebuilt, "xml") == to_bytes(current_registry, "xml")
    assert to_bytes(rebuilt, "xml") == current_xml_bytes  # and that is IANA's file, byte for byte
    assert to_bytes(rebuilt, "json") == to_bytes(current_registry, "json")  # layouts and spacing included


def test_records_come_back_in_order_with_stable_unique_ids(current_store: Store, current_registry: Registry) -> None:
    stored = current_store.records()
    assert [s.record for s in stored] == list(current_registry.records)
    assert len({s.id for s in stored}) == len(stored)
    some = stored[6000]
    assert current_store.record(some.id) == some


# --------------------------------------------------------------------------- versions


def test_the_import_is_version_one(current_store: Store) -> None:
    version = current_store.current_version()
    assert version is not None
    assert (version.number, version.published, version.record_count) == (1, "2024-03-18", 14444)
    assert (version.source, version.actor) == ("service-names-port-numbers.xml", "tester")
    assert version.created_at.tzinfo is not None
    assert current_store.versions() == [version]
    assert current_store.version() == current_store.version(1) == current_store.version(at="2024-12-31") == version
    with pytest.raises(NotFound, match="no version 2"):
        current_store.version(2)
    with pytest.raises(NotFound, match="on or before 2020-01-01"):
        current_store.version(at="2020-01-01")
    with pytest.raises(NotFound):
        current_store.records_at_port(80, version=7)


def test_an_identical_import_publishes_nothing(store_url: str, current_registry: Registry) -> None:
    small = sample(current_registry)
    with Store.open(store_url) as store:
        first = store.import_registry(small, source="a")
        assert first is not None and first.number == 1
        assert store.import_registry(small, source="b") is None
        assert [v.number for v in store.versions()] == [1]


def test_an_empty_store_says_how_to_fill_it(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert store.current_version() is None
        assert store.versions() == []
        with pytest.raises(NotFound, match="portreg sync"):
            store.registry()
        with pytest.raises(NotFound, match="portreg import"):
            store.version()
        assert store.records_at_port(80) == []
        assert store.records_named("http") == []
        assert store.search("http").total == 0


def test_history_keeps_every_version_and_ids_follow_records(store_url: str, current_registry: Registry) -> None:
    v1 = sample(current_registry, 400)
    records = list(v1.records)
    people = {p.id: p for p in v1.people}

    def find(name: str, transport: str = "tcp") -> int:
        return next(i for i, r in enumerate(records) if r.name == name and r.transport == transport)

    edited, renamed, removed, moved = find("ftp"), find("telnet"), find("gopher"), find("finger")
    staff = records[find("nntp")].contacts[0]  # a person named on nntp, whose name changes
    assert records[renamed].assignees, "a rename keeps the assignee"
    new = Record(name="brand-new", port=PortRange.single(99), transport="tcp", description=Text.of("New"),
                 references=(Reference("person", "Jon_Postel"),), registered="2024-04-01")
    records2 = list(records)
    records2[edited] = dataclasses.replace(records[edited], description=Text.of("File Transfer, edited"), modified="2024-04-02")
    records2[renamed] = dataclasses.replace(records[renamed], name="telnet-renamed")
    records2.insert(records2.index(records[moved]) + 3, records2.pop(records2.index(records[moved])))
    records2.insert(50, new)
    records2.remove(records[removed])
    people2 = dict(people)
    people2[staff] = dataclasses.replace(people[staff], name="Someone Else Entirely")
    v2 = dataclasses.replace(v1, records=tuple(records2), people=tuple(people2.values()), updated="2024-04-05")

    with Store.open(store_url) as store:
        assert store.import_registry(v1, source="v1").number == 1
        ids = {(s.record.name, s.record.transport): s.id for s in store.records()}
        assert store.import_registry(v2, source="v2", actor="editor", reason="test").number == 2
        assert store.registry(1) == v1 and store.registry(2) == v2
        assert to_bytes(store.registry(1), "json") == to_bytes(v1, "json")
        assert store.version(2).reason == "test"

        ids2 = {(s.record.name, s.record.transport): s.id for s in store.records()}
        assert ids2[("telnet-renamed", "tcp")] == ids[("telnet", "tcp")]  # a rename is the same record
        assert ids2[("ftp", "tcp")] == ids[("ftp", "tcp")]
        assert ids2[("brand-new", "tcp")] not in ids.values()
        assert store.record(ids[("telnet", "tcp")], version=1).record.name == "telnet"
        with pytest.raises(NotFound):
            store.record(ids[("gopher", "tcp")])  # removed in version 2

        diff = store.diff(1, 2)
        assert names(diff.added) == [("brand-new", "99", "tcp")]
        assert names(diff.removed) == [("gopher", "70", "tcp")]
        assert sorted(c.new.name for c in diff.changed) == ["ftp", "telnet-renamed"]  # not the moved finger
        assert diff.people_changed == [staff] and diff.head_changed
        back = store.diff(2, 1)
        assert names(back.added) == names(diff.removed) and names(back.removed) == names(diff.added)

        history = store.record_history(ids[("ftp", "tcp")])
        assert [(span.first, span.last) for span, _ in history] == [(1, 1), (2, None)]
        assert [r.description for _, r in history] == [records[edited].description, Text.of("File Transfer, edited")]
        assert [(s.first, s.last) for s, _ in store.record_history(ids[("finger", "tcp")])] == [(1, None)]

        # Search sees each version's people: the new name in version 2, not in version 1.
        assert "nntp" in [s.record.name for s in store.search("Someone Else Entirely", limit=1000).items]
        assert store.search("Someone Else Entirely", version=1).total == 0

        # Back to version 1's content: a new version, equal to it.
        assert store.import_registry(v1, source="v1 again").number == 3
        assert store.registry(3) == v1
        assert store.diff(1, 3).added and not store.diff(1, 3).changed  # gopher returns with a new id


def test_progress_counts_up_to_the_total(store_url: str, current_registry: Registry) -> None:
    seen: list[tuple[int, int]] = []
    with Store.open(store_url) as store:
        store.import_registry(sample(current_registry, 5000), source="x", progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 0
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 2


# --------------------------------------------------------------------------- reads


PORTS = [0, 7, 80, 443, 1021, 4748, 5432, 6010, 6063, 6064, 49151, 49152, 65535]


@pytest.mark.parametrize("port", PORTS)
def test_a_port_finds_exact_ports_and_ranges(current_store: Store, current_registry: Registry, port: int) -> None:
    expected = [r for r in current_registry.records if r.port is not None and port in r.port]
    assert [s.record for s in current_store.records_at_port(port)] == expected
    tcp = [r for r in expected if r.transport == "tcp"]
    assert [s.record for s in current_store.records_at_port(port, transport="tcp")] == tcp


def test_6010_finds_x11(current_store: Store) -> None:
    assert ("x11", "6000-6063", "tcp") in names(current_store.records_at_port(6010))


@pytest.mark.parametrize(("low", "high"), [(6000, 6010), (0, 5), (1020, 1030), (49000, 65535)])
def test_a_range_finds_every_overlapping_record(current_store: Store, current_registry: Registry, low: int, high: int) -> None:
    expected = [r for r in current_registry.records if r.port is not None and r.port.low <= high and r.port.high >= low]
    assert [s.record for s in current_store.records_in_range(low, high)] == expected


@pytest.mark.parametrize("name", ["HTTP", "www", "Sql*Net", "kerberos", "no-such-service"])
def test_names_ignore_case(current_store: Store, current_registry: Registry, name: str) -> None:
    expected = [r for r in current_registry.records if r.name and r.name.casefold() == name.casefold()]
    assert [s.record for s in current_store.records_named(name)] == expected


def test_people_and_their_records(current_store: Store, current_registry: Registry) -> None:
    postel = current_registry.people_by_id()["Jon_Postel"]
    assert current_store.person("Jon_Postel") == postel
    assert current_store.person("Nobody_At_All") is None
    expected = [r for r in current_registry.records if "Jon_Postel" in set(r.person_ids())]
    assert [s.record for s in current_store.records_of_person("Jon_Postel")] == expected
    assert postel in current_store.search_people("postel")
    assert current_store.search_people("isi.edu")  # URIs are searched too
    assert current_store.search_people("!!!") == []


def test_stats_count_what_the_model_holds(current_store: Store, current_registry: Registry) -> None:
    stats = current_store.stats()
    records = current_registry.records
    assert stats["records"] == len(records) and stats["people"] == len(current_registry.people)

    def count(key: Any) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in records:
            counts[key(r)] = counts.get(key(r), 0) + 1
        return counts

    assert stats["by_state"] == count(record_state)
    assert stats["by_transport"] == count(lambda r: r.transport or "none")
    assert stats["by_range_class"] == count(lambda r: range_class(r.port.low) if r.port else "none")
    assert stats["by_year"] == count(lambda r: r.registered[:4] if r.registered else "none")


# --------------------------------------------------------------------------- search


def test_search_ranks_names_first(current_store: Store) -> None:
    page = current_store.search("kerberos", limit=5)
    assert page.total >= 5
    assert all("kerberos" in (s.record.name or "") for s in page.items[:3])


def test_search_is_stemmed_and_needs_every_word(current_store: Store) -> None:
    found = current_store.search("databases", limit=200).items
    assert any("database" in str(s.record.description).lower() for s in found)
    both = current_store.search("network time", limit=500).items
    assert both and all("time" in f"{s.record.name} {s.record.description} {s.record.notes}".lower() for s in both)
    assert current_store.search("ntp").total > 0
    assert current_store.search("*** ???") == current_store.search("zzzzqqqxxyy")  # nothing, and no error


def test_search_covers_notes_and_people(current_store: Store) -> None:
    assert "www-http" in [s.record.name for s in current_store.search("txtrecords", limit=50).items]  # a note
    by_person = {s.id for s in current_store.search("Postel", limit=5000).items}
    assert {s.id for s in current_store.records_of_person("Jon_Postel")} <= by_person


def test_filters_alone_list_in_registry_order(current_store: Store, current_registry: Registry) -> None:
    # Records without a transport speak for every transport (services/filters.py).
    sctp = [r for r in current_registry.records if r.transport in ("sctp", None)]
    page = current_store.search(None, transport="sctp", limit=5000)
    assert page.total == len(sctp) and [s.record for s in page.items] == sctp
    first, second = current_store.search(None, transport="sctp", limit=10), current_store.search(None, transport="sctp", limit=10, offset=10)
    assert [s.record for s in first.items + second.items] == sctp[:20] and first.total == second.total == len(sctp)


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({"state": "unassigned"}, lambda r: record_state(r) == "unassigned"),
        ({"range_class": "system"}, lambda r: r.port is not None and range_class(r.port.low) == "system"),
        ({"person": "IESG"}, lambda r: "IESG" in set(r.person_ids())),
        ({"registered_after": "2023-01-01"}, lambda r: (r.registered or "") >= "2023-01-01"),
        ({"registered_before": "2002-01"}, lambda r: r.registered is not None and r.registered[:7] <= "2002-01"),
        ({"modified_after": "2023-06", "modified_before": "2023-12-31"}, lambda r: "2023-06" <= (r.modified or "") <= "2023-12-31"),
        ({"transport": "udp", "state": "reserved"}, lambda r: r.transport in ("udp", None) and record_state(r) == "reserved"),
    ],
)
def test_filters_match_the_model(current_store: Store, current_registry: Registry, filters: dict[str, str], keep: Any) -> None:
    expected = [r for r in current_registry.records if keep(r)]
    page = current_store.search(None, limit=20000, **filters)
    assert page.total == len(expected) and [s.record for s in page.items] == expected


def test_text_and_filters_together(current_store: Store) -> None:
    page = current_store.search("http", transport="udp", state="assigned", limit=100)
    assert page.total > 0 and all(s.record.transport in ("udp", None) for s in page.items)


# --------------------------------------------------------------------------- matching and order (pure)


def pairs(old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]) -> list[int | None]:
    """Match rows given as (port, transport, name, assignee ids)."""

    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return (row[0], row[0], row[1], row[2].casefold() if row[2] else None)

    return match([key(r) for r in old], [key(r) for r in new], lambda i: old[i][3], lambda j: new[j][3])


def test_matching_pairs_keys_then_renames_then_moves() -> None:
    old = [(1, "tcp", "a", ()), (2, "tcp", None, ()), (2, "tcp", None, ()), (3, "tcp", "b", ("x",)), (4, "tcp", "c", ("y",)), (5, "tcp", None, ())]
    new = [(1, "tcp", "A", ()), (2, "tcp", None, ()), (3, "tcp", "b2", ("x",)), (7, "tcp", "c", ("y",)), (5, "tcp", "d", ("z",))]
    # a (any case), the first nameless row on 2, b renamed by its assignee, c moved to port 7;
    # the Unassigned row 5 assigned to "d" is a new record, not a continuation.
    assert pairs(old, new) == [0, 1, 3, 4, None]
    assert pairs(old, [*new[:1], (2, "tcp", None, ()), (2, "tcp", None, ())]) == [0, 1, 2]  # duplicates in order


def test_a_rename_needs_the_same_assignee() -> None:
    assert pairs([(3, "tcp", "b", ("x",))], [(3, "tcp", "b2", ("other",))]) == [None]
    assert pairs([(3, "tcp", "b", ())], [(3, "tcp", "b2", ())]) == [None]


def test_sort_keys_touch_only_what_moved() -> None:
    assert sort_keys([None, None, None]) == [GAP, 2 * GAP, 3 * GAP]
    kept = [10 * GAP, None, 20 * GAP, 30 * GAP]
    assert sort_keys(kept)[0::2] == [10 * GAP, 20 * GAP] and 10 * GAP < sort_keys(kept)[1] < 20 * GAP
    moved = sort_keys([30, 10, 20])  # the first row moved from the end to the front
    assert moved[1:] == [10, 20] and moved[0] < 10
    assert sort_keys([None, 5]) == [5 - GAP, 5]


def test_sort_keys_widen_a_gap_that_is_too_narrow() -> None:
    keys = sort_keys([1, None, None, None, 3, 100])
    assert keys == sorted(set(keys)) and keys[0] == 1 and keys[-1] == 100


# --------------------------------------------------------------------------- opening, errors, migrations


def test_urls_resolve_and_mask(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PORTREG_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert resolve(None).path == tmp_path / "portreg" / "registry.sqlite3"
    monkeypatch.setenv("PORTREG_DATABASE_URL", "postgresql://me:secret@db.example/reg")
    env = resolve(None)
    assert env.url == "postgresql+psycopg://me:secret@db.example/reg" and env.masked == "postgresql+psycopg://me:***@db.example/reg"
    assert resolve(str(tmp_path / "x.db")).path == tmp_path / "x.db"
    assert resolve("sqlite:///relative.db").path == Path("relative.db").absolute()
    assert mask_password("postgresql://u@h/d") == "postgresql://u@h/d"
    for bad in ("sqlite://", "mysql://u:pw@h/d"):
        with pytest.raises(StoreError) as error:
            resolve(bad)
        assert "pw" not in str(error.value)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the tables you are looking for\n" * 100)
    with pytest.raises(StoreError, match=f"{path}.*not a portreg store"):
        Store.open(str(path))
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(str(tmp_path / "missing" / "dir" / "x.db"))


def test_a_database_of_something_else(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE invoices (id INTEGER)").connection.commit()
    with pytest.raises(StoreError, match="not a portreg store"):
        Store.open(str(path))


def test_an_unreachable_server_is_named_without_its_password() -> None:
    with pytest.raises(StoreError) as error:
        Store.open("postgresql://someone:hunter2@127.0.0.1:9/registry")
    message = str(error.value)
    assert "someone:***@127.0.0.1:9/registry" in message and "hunter2" not in message


def test_a_newer_schema_is_refused(store_url: str) -> None:
    Store.open(store_url).close()
    from sqlalchemy import create_engine

    engine = create_engine(resolve(store_url).url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this portreg"):
        Store.open(store_url)


def test_the_schema_revision_is_the_migrations_head() -> None:
    from alembic.script import ScriptDirectory

    from portreg.store._migrate import SCHEMA_REVISION, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_REVISION


def test_migrations_and_the_fresh_schema_agree(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """An empty database gets the schema directly; the Alembic chain must build the same one."""
    from alembic.command import upgrade
    from sqlalchemy import create_engine, inspect

    from portreg.store._migrate import alembic_config

    Store.open(store_url).close()  # the direct road
    if store_url.startswith("sqlite"):
        other_url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    else:
        other_url = request.getfixturevalue("postgres_server").create_database()
    engine = create_engine(resolve(other_url).url)
    with engine.begin() as conn:
        upgrade(alembic_config(conn), "head")  # the migrations' road
    engine.dispose()

    def shape(url: str) -> dict[str, Any]:
        engine = create_engine(resolve(url).url)
        inspector = inspect(engine)
        found = {}
        for table in sorted(inspector.get_table_names()):
            found[table] = (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
                inspector.get_pk_constraint(table)["constrained_columns"],
                sorted((f["constrained_columns"], f["referred_table"]) for f in inspector.get_foreign_keys(table)),
            )
        engine.dispose()
        return found

    direct, migrated = shape(store_url), shape(other_url)
    assert "record_search" in direct and "person_search" in direct
    assert direct == migrated
    with Store.open(other_url) as store:  # and a migrated store opens as current
        assert store.current_version() is None


def test_opening_a_current_sqlite_store_imports_neither_sqlalchemy_nor_alembic(tmp_path: Path, current_registry: Registry) -> None:
    path = tmp_path / "store.sqlite3"
    small = sample(current_registry, 50)
    with Store.open(str(path)) as store:
        store.import_registry(small, source="x")
    code = (
        "import sys; from portreg.store import Store\n"
        f"s = Store.open({str(path)!r}); print(len(s.records_at_port(7)), s.current_version().number)\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'psycopg') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    at_7 = sum(1 for r in small.records if r.port is not None and 7 in r.port)
    assert out.split("\n")[:2] == [f"{at_7} 1", "[]"]


# --------------------------------------------------------------------------- the real history


def test_the_first_versions_of_the_history_rebuild_exactly(store_url: str) -> None:
    from portreg.formats import xml

    with Store.open(store_url) as store:
        for count, (name, data) in enumerate(history_versions(), start=1):
            registry = xml.read(data, source=name)
            version = store.import_registry(registry, source=name)
            assert version is not None and version.number == count
            assert store.registry() == registry
            assert to_bytes(store.registry(), "xml") == to_bytes(registry, "xml")
            if count == 6:
                break
        diff = store.diff(1, 6)
        assert diff.added or diff.changed or diff.removed


@pytest.mark.slow
def test_all_342_versions_import_and_any_version_rebuilds(history_store: history.HistoryStore) -> None:
    """The whole history, imported as ``portreg import-history`` does (the XML memo and
    ``Store.series()``; the store is shared, see tests/support/history.py): one version per
    published file, in the archive's order, and any of them rebuilds exactly. Importing
    one version at a time without the series is checked above on the first six."""
    from portreg.formats import xml

    names: list[str] = []
    kept: dict[int, bytes] = {}
    for count, (name, data) in enumerate(history_versions(), start=1):
        names.append(name)
        if count in (1, 2, 99, 200, 341):
            kept[count] = data
    assert count == 342
    assert (history_store.found, history_store.imported, history_store.unchanged) == (342, 342, 0)
    with Store.open(history_store.url) as store:
        versions = store.versions()
        assert [v.number for v in versions] == list(range(1, 343))
        assert [v.source.rsplit("#", 1)[1] for v in versions] == names
        for number, data in kept.items():
            original = xml.read(data, source=str(number))
            assert store.registry(number) == original, f"version {number}"
            assert to_bytes(store.registry(number), "xml") == to_bytes(original, "xml"), f"version {number}"
        assert len(store.records()) == 14444
        revisions = store._db.scalar("SELECT count(*) FROM record_revisions")
        assert revisions < 2 * 14444  # intervals, not copies
    assert history_store.path.stat().st_size < 60_000_000

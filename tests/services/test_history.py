"""The history service: diffs between versions as values, version references, apply, the services patch.

Two small real registries (the first 400 records of 2024-03-18 and an edited copy)
are stored as versions 1 and 2 on both databases; every kind of change is made on
purpose and the diff must name each one, field by field, and nothing else. The whole
342-version cross-check lives in ``test_history_all.py`` (slow).
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from portreg.errors import Conflict, InvalidQuery, NotFound
from portreg.formats import to_bytes
from portreg.model import Footnote, Person, PortRange, Record, Reference, Registry, Text
from portreg.services import history
from portreg.store import Store


def sample(registry: Registry, count: int = 400) -> Registry:
    records = registry.records[:count]
    return dataclasses.replace(registry, records=records, people=registry.referenced_people(records))


def find(records: list[Record], name: str, transport: str = "tcp") -> int:
    return next(i for i, r in enumerate(records) if r.name == name and r.transport == transport)


def edited(v1: Registry) -> Registry:
    """Version 2: one record of each kind of change, people and head edited, one row reordered."""
    records = list(v1.records)
    ftp, telnet, gopher, finger, smtp = (find(records, n) for n in ("ftp", "telnet", "gopher", "finger", "smtp"))
    new = list(records)
    new[ftp] = dataclasses.replace(records[ftp], description=Text.of("File Transfer, edited"), modified="2024-04-02")
    new[telnet] = dataclasses.replace(records[telnet], name="telnet-renamed")
    new[finger] = dataclasses.replace(records[finger], port=PortRange.single(1079))
    new[smtp] = dataclasses.replace(records[smtp], spacing=tuple(s + " " for s in records[smtp].spacing) or ("\n",))
    # http/udp goes before http/tcp: a change of place only.
    http_tcp, http_udp = find(new, "http"), find(new, "http", "udp")
    new[http_tcp], new[http_udp] = new[http_udp], new[http_tcp]
    new.insert(50, Record(name="brand-new", port=PortRange.single(99), transport="tcp", description=Text.of("New"),
                          references=(Reference("person", "New_Person"),), registered="2024-04-01"))  # fmt: skip
    new.remove(records[gopher])
    new.remove(records[find(records, "gopher", "udp")])  # and with it the only rows naming its assignee
    people = {p.id: p for p in v1.people}
    staff = records[find(records, "nntp")].contacts[0]
    people[staff] = dataclasses.replace(people[staff], name="Someone Else Entirely")
    del people["Mark_McCahill"]
    people["New_Person"] = Person("New_Person", name="New Person", updated="2024-04-01")
    return dataclasses.replace(
        v1,
        records=tuple(new),
        people=tuple(people.values()),
        updated="2024-04-05",
        expert=(v1.expert or "") + "\nDCCP: Someone New",
        footnotes=(*v1.footnotes, Footnote("99", Text.of("A new footnote."))),
    )


@pytest.fixture
def two(store_url: str, current_registry: Registry) -> Iterator[tuple[Store, Registry, Registry]]:
    v1 = sample(current_registry)
    v1 = dataclasses.replace(v1, updated="2024-03-18")
    v2 = edited(v1)
    with Store.open(store_url) as store:
        store.import_registry(v1, source="v1")
        store.import_registry(v2, source="v2")
        yield store, v1, v2


def kinds(diff: history.Diff) -> list[tuple[str, str | None]]:
    return [(c.kind, c.record.name) for c in diff.records]


def test_each_kind_of_change_is_named_once_field_by_field(two: tuple[Store, Registry, Registry]) -> None:
    store, _, _ = two
    d = history.diff(store, 1, 2)
    assert kinds(d) == [("added", "brand-new"), ("removed", "gopher"), ("removed", "gopher"), ("renamed", "telnet-renamed"),
                        ("moved", "finger"), ("changed", "ftp")]  # fmt: skip
    assert [f.field for f in d.changed[0].fields] == ["description", "modified"]
    assert d.changed[0].fields[0] == history.FieldChange(
        "description", "File Transfer Protocol [Control]", "File Transfer, edited"
    )
    assert d.renamed[0].fields == (history.FieldChange("name", "telnet", "telnet-renamed"),)
    assert d.moved[0].fields == (history.FieldChange("port", "79", "1079"),)
    telnet = next(s for s in store.records(version=1) if (s.record.name, s.record.transport) == ("telnet", "tcp"))
    assert d.renamed[0].id == telnet.id and d.renamed[0].old == telnet.record
    assert [(p.kind, p.id) for p in d.people][:2] == [("added", "New_Person"), ("removed", "Mark_McCahill")]
    (person,) = d.people[2:]
    assert [f.field for f in person.fields] == ["name"] and person.fields[0].new == "Someone Else Entirely"
    assert [f.field for f in d.head] == ["expert", "footnotes"]  # the date is the version's own, not listed
    # smtp's whitespace and http's order changed: counted, not listed.
    assert d.reformatted >= 2 and "smtp" not in [c.record.name for c in d.records]
    assert d.summary() == "1 added, 2 removed, 1 renamed, 1 moved, 1 changed; 1 person added, 1 person removed, " \
                          "1 person changed; experts, footnotes changed"  # fmt: skip
    assert not d.empty and history.diff(store, 2, 2).empty


def test_the_json_and_text_shapes(two: tuple[Store, Registry, Registry]) -> None:
    store, _, _ = two
    d = history.diff(store, "1", "latest")
    data = d.as_json()
    assert data["from"]["number"] == 1 and data["to"]["number"] == 2
    assert data["counts"]["renamed"] == 1 and data["counts"]["people_added"] == 1 and data["counts"]["head"] == 2
    renamed = next(r for r in data["records"] if r["kind"] == "renamed")
    assert renamed["old"]["name"] == "telnet" and renamed["new"]["name"] == "telnet-renamed"
    assert renamed["old"]["id"] == renamed["new"]["id"] == renamed["id"]
    assert renamed["fields"] == [{"field": "name", "old": "telnet", "new": "telnet-renamed"}]
    added = next(r for r in data["records"] if r["kind"] == "added")
    assert added["old"] is None and added["new"]["port"] == "99" and added["new"]["contact"] == ["New_Person"]
    text = d.text()
    assert text.startswith("version 1 (2024-03-18) -> version 2 (2024-04-05): 1 added, 2 removed")
    assert f"renamed  [{renamed['id']}] telnet -> telnet-renamed 23/tcp" in text
    assert "moved    " in text and "79/tcp -> 1079/tcp" in text
    assert "description: 'File Transfer Protocol [Control]' -> 'File Transfer, edited'" in text
    assert "head     experts:" in text


def test_a_diff_backwards_swaps_added_and_removed(two: tuple[Store, Registry, Registry]) -> None:
    store, _, _ = two
    forth, back = history.diff(store, 1, 2), history.diff(store, 2, 1)
    assert [c.record.name for c in back.added] == [c.record.name for c in forth.removed]
    assert [c.record.name for c in back.removed] == [c.record.name for c in forth.added]
    assert back.renamed[0].fields == (history.FieldChange("name", "telnet-renamed", "telnet"),)


@pytest.mark.parametrize(("a", "b"), [(1, 2), (2, 1), (1, 1)])
def test_applying_a_diff_gives_the_other_version_exactly(two: tuple[Store, Registry, Registry], a: int, b: int) -> None:
    store, *_ = two
    d = history.diff(store, a, b)
    ids = [s.id for s in store.records(version=a)]
    rebuilt, new_ids = history.apply(d, store.registry(a), ids)
    assert rebuilt == store.registry(b)
    assert to_bytes(rebuilt, "xml") == to_bytes(store.registry(b), "xml")  # layout, whitespace and order too
    assert new_ids == [s.id for s in store.records(version=b)]


def test_a_diff_applies_only_to_its_own_starting_version(two: tuple[Store, Registry, Registry]) -> None:
    store, _, _ = two
    d = history.diff(store, 1, 2)
    with pytest.raises(Conflict, match=r"not in the version given|already there"):
        history.apply(d, store.registry(2), [s.id for s in store.records(version=2)])
    with pytest.raises(Conflict, match="ids were given"):
        history.apply(d, store.registry(1), [])
    with pytest.raises(Conflict, match="cannot be applied"):
        history.apply(dataclasses.replace(d, delta=None), store.registry(1), [])


def test_versions_by_number_date_or_latest(two: tuple[Store, Registry, Registry]) -> None:
    store, _, _ = two
    assert history.resolve(store, "latest").number == 2
    assert history.resolve(store, "1").number == history.resolve(store, 1).number == 1
    assert history.resolve(store, "2024-04-04").number == 1  # in force that day
    assert history.resolve(store, "2024-04-05").number == 2
    assert history.resolve(store, "2030-01-01").number == 2
    with pytest.raises(NotFound, match="no version was in force on 2020-01-01") as found:
        history.resolve(store, "2020-01-01")
    assert found.value.suggestions == ("1",)
    with pytest.raises(NotFound, match="no version 3"):
        history.resolve(store, "3")
    for bad in ("", "last", "-1", "²", "2024-13-01", "2024/01/01", "1.5", "x" * 1000):
        with pytest.raises(InvalidQuery) as refused:
            history.resolve(store, bad, "from")
        assert refused.value.parameter == "from"


def test_since_a_date_and_the_list_of_changes(two: tuple[Store, Registry, Registry]) -> None:
    store, _, _ = two
    assert history.since(store, "2024-04-01").summary() == history.diff(store, 1, 2).summary()
    assert history.since(store, "2024-04-05").empty
    with pytest.raises(InvalidQuery, match="since"):
        history.since(store, "yesterday")
    listed = history.changes(store)
    assert [(d.old.number, d.new.number) for d in listed] == [(1, 2)]
    assert history.changes(store, since="2024-04-05") == [] and history.changes(store, since=1, offset=1) == []


def test_an_empty_store_says_how_to_fill_it(store_url: str) -> None:
    with Store.open(store_url) as store:
        with pytest.raises(NotFound, match="portreg sync"):
            history.diff(store, "1", "latest")
        with pytest.raises(NotFound, match="portreg sync"):
            history.since(store, "2024-01-01")
        assert history.changes(store) == []


def test_the_services_patch_turns_one_file_into_the_other(
    two: tuple[Store, Registry, Registry], tmp_path: Path
) -> None:
    store, v1, v2 = two
    patch = history.services_patch(store, 1, "latest")
    assert "+brand-new\t99/tcp" in patch and "-gopher\t\t70/tcp" in patch
    assert "telnet-renamed" in patch and "-finger" in patch
    target = tmp_path / "services"
    target.write_bytes(to_bytes(v1, "services"))
    subprocess.run(["patch", "-s", str(target)], input=patch.encode(), check=True)
    assert target.read_bytes() == to_bytes(v2, "services")
    assert history.services_patch(store, 2, 2) == ""


def test_long_texts_show_only_what_changed() -> None:
    old = "word " * 40 + "the old middle " + "tail " * 40
    new = "word " * 40 + "the new middle " + "tail " * 40
    line = history.change_line(history.FieldChange("notes", old, new))
    assert "old middle" in line and "new middle" in line and len(line) < 200
    assert (
        history.change_line(history.FieldChange("modified", None, "2024-01-01")) == "modified: (none) -> '2024-01-01'"
    )

"""Every diff of the real history, checked against the XML itself (slow: all 342 versions).

The 342 published versions are imported from ../shared/iana/history.tar.zst as
``portreg import-history`` does (the XML memo and the store's series), once per test
session into a store the slow tests share (tests/support/history.py). The versions
are then streamed from the archive again, and the diff of each from the version
before it is checked two ways:

1. **Against a naive comparison of the two XML files** made here, without the model:
   records are cut out of the text with a regular expression and keyed by
   (number, protocol, case-folded name) as written; the keys that appear or disappear
   must be exactly those of the diff's added, removed, renamed and moved records, and
   the keys whose content changed (compared as canonical ElementTree content, white
   space between elements ignored) exactly those of its changed records. People by
   id, the head by element.
2. **By applying it**: the older version plus the diff gives the newer one, equal to
   the XML read afresh (layout and white space included), with the store's own ids.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import pytest

from tests.support.data import history_versions
from tests.support.history import HistoryStore
from portreg.formats import xml
from portreg.services import history
from portreg.store import Store

_RECORD = re.compile(r"<record[ >].*?</record>", re.DOTALL)
_PERSON = re.compile(r'<person id="([^"]*)">.*?</person>', re.DOTALL)


def record_chunks(text: str) -> list[str]:
    """What ``_RECORD.finditer`` finds, found with ``str.find`` (a tenth of the time: the
    non-greedy pattern tests every character of the 3.5 MB text for ``</record>``)."""
    found, at = [], text.find("<record")
    while at >= 0:
        if text[at + 7 : at + 8] in (" ", ">"):
            end = text.find("</record>", at + 8)
            if end < 0:
                break
            end += len("</record>")
            found.append(text[at:end])
            at = text.find("<record", end)
        else:
            at = text.find("<record", at + 1)
    return found


def person_chunks(text: str) -> dict[str, str]:
    """What ``_PERSON.finditer`` finds, by id, found with ``str.find`` (see :func:`record_chunks`)."""
    found, at = {}, text.find('<person id="')
    while at >= 0:
        quote = text.find('"', at + len('<person id="'))
        if quote >= 0 and text.startswith('">', quote):
            end = text.find("</person>", quote + 2)
            if end < 0:
                break
            end += len("</person>")
            found[text[at + len('<person id="') : quote]] = text[at:end]
            at = text.find('<person id="', end)
        else:
            at = text.find('<person id="', at + 1)
    return found
_FIELD = {tag: re.compile(rf"<{tag}>([^<]*)</{tag}>") for tag in ("name", "protocol", "number")}
#: Elements whose text is content, white space included; elsewhere blank text is layout.
_RICH = {"description", "note", "unauthorized", "paragraph", "footnote", "title", "expert", "xref"}
#: The head's elements as the diff names its fields.
_HEAD_FIELDS = {
    "title": "title",
    "category": "category",
    "expert": "expert",
    "note": "notes",
    "footnote": "footnotes",
    "xref": "references",
}

Key = tuple[str, str, str]


def record_key(chunk: str) -> Key:
    """(number, protocol, case-folded name) as the XML writes them, empty when absent."""
    number, protocol, name = (
        m[1] if (m := _FIELD[tag].search(chunk)) else "" for tag in ("number", "protocol", "name")
    )
    if "&" in name:
        name = ET.fromstring(f"<n>{name}</n>").text or ""
    return number, protocol, name.casefold()


def canonical(element: ET.Element, rich: bool = False) -> Any:
    """An element's content with the white space between elements dropped (unless rich)."""
    text = element.text or ""
    children = []
    for child in element:
        tail = child.tail or ""
        children.append((child.tag, tuple(sorted(child.attrib.items())), canonical(child, rich or child.tag in _RICH)))
        if rich or tail.strip():
            children.append(tail)
    return (text if rich or text.strip() else "", tuple(children))


def grouped(chunk: str) -> Any:
    """A record's or person's content: its attributes and its children by tag, in order within a tag
    (the order of different tags is layout, which the model keeps apart)."""
    element = ET.fromstring(chunk)
    by_tag: dict[str, list[Any]] = {}
    for child in element:
        by_tag.setdefault(child.tag, []).append(
            (tuple(sorted(child.attrib.items())), canonical(child, child.tag in _RICH))
        )
    return tuple(sorted(element.attrib.items())), tuple(sorted((tag, tuple(items)) for tag, items in by_tag.items()))


class Naive:
    """One version of the XML, cut up by regular expressions: records and people as text."""

    def __init__(self, text: str, before: Naive | None = None) -> None:
        known = before.keys if before is not None else {}
        chunks = record_chunks(text)
        self.keys = {chunk: known.get(chunk) or record_key(chunk) for chunk in chunks}  # keys are read once per text
        self.records = [(self.keys[chunk], chunk) for chunk in chunks]
        self.people = person_chunks(text)
        # The head: all but the records (one run) and the people (inside <people>).
        first, last = text.find("<record"), text.rfind("</record>") + len("</record>")
        people, end = text.find("<people>"), text.rfind("</people>")
        rest = text[:first] + text[last:people] + text[end + len("</people>") :] if first >= 0 else text
        rest = rest[rest.index("<registry") :]
        root = ET.fromstring(rest.replace(' xmlns="http://www.iana.org/assignments"', "", 1))
        head: dict[str, list[Any]] = {}
        for child in root:
            if child.tag in _HEAD_FIELDS:
                head.setdefault(_HEAD_FIELDS[child.tag], []).append(
                    (tuple(sorted(child.attrib.items())), canonical(child, child.tag in _RICH))
                )
        self.head = head


def naive_changes(a: Naive, b: Naive) -> dict[str, Any]:
    """What changed from ``a`` to ``b``, worked out from the text alone."""
    keys_a, keys_b = Counter(k for k, _ in a.records), Counter(k for k, _ in b.records)
    # Identical texts cancel out; what is left is parsed and compared by content.
    texts_a, texts_b = Counter(a.records), Counter(b.records)
    left_a, left_b = texts_a - texts_b, texts_b - texts_a
    contents_a: dict[Key, Counter[Any]] = {}
    contents_b: dict[Key, Counter[Any]] = {}
    for (key, chunk), n in left_a.items():
        contents_a.setdefault(key, Counter())[grouped(chunk)] += n
    for (key, chunk), n in left_b.items():
        contents_b.setdefault(key, Counter())[grouped(chunk)] += n
    same_count = {k for k in keys_a.keys() & keys_b.keys() if keys_a[k] == keys_b[k]}
    changed = {
        k for k in (contents_a.keys() | contents_b.keys()) & same_count if contents_a.get(k) != contents_b.get(k)
    }
    people_changed = {
        pid
        for pid in a.people.keys() & b.people.keys()
        if a.people[pid] != b.people[pid] and grouped(a.people[pid]) != grouped(b.people[pid])
    }
    return {
        "gone": keys_a - keys_b,
        "came": keys_b - keys_a,
        "changed": changed,
        "same_count": same_count,
        "people_added": set(b.people) - set(a.people),
        "people_removed": set(a.people) - set(b.people),
        "people_changed": people_changed,
        "head": {field for field in set(a.head) | set(b.head) if a.head.get(field) != b.head.get(field)},
    }


def key_of(record: Any) -> Key:
    return (str(record.port) if record.port else "", record.transport or "", (record.name or "").casefold())


def diff_changes(d: history.Diff, same_count: set[Key]) -> dict[str, Any]:
    """The same facts, from the service's diff."""
    gone: Counter[Key] = Counter(key_of(c.old) for c in d.records if c.kind in ("removed", "renamed", "moved"))
    came: Counter[Key] = Counter(key_of(c.new) for c in d.records if c.kind in ("added", "renamed", "moved"))
    return {
        "gone": gone,
        "came": came,
        "changed": {key_of(c.new) for c in d.changed} & same_count,
        "people_added": {p.id for p in d.people if p.kind == "added"},
        "people_removed": {p.id for p in d.people if p.kind == "removed"},
        "people_changed": {p.id for p in d.people if p.kind == "changed"},
        "head": {f.field for f in d.head},
    }


def exactly_equal(a: Any, b: Any) -> bool:
    """Equal registries, layout and white space included (which ``==`` leaves out)."""
    if a != b or (a.head_layout, a.spacing, a.processing_instructions) != (
        b.head_layout,
        b.spacing,
        b.processing_instructions,
    ):
        return False
    pairs = [*zip(a.records, b.records), *zip(a.people, b.people)]
    return all(x is y or (x.layout == y.layout and x.spacing == y.spacing) for x, y in pairs)


def test_the_naive_comparison_sees_each_kind_of_change() -> None:
    """The yardstick itself: a changed attribute, a new key, a re-indented record."""
    head = '<?xml version="1.0"?><registry xmlns="http://www.iana.org/assignments"><title>T</title>'
    rec = '<record><name>a</name><protocol>tcp</protocol><xref type="rfc" data="rfc1"/><number>1</number></record>'
    old = Naive(head + rec + '<people><person id="p"><name>P</name></person></people></registry>')
    moved = rec.replace('"rfc1"', '"rfc2"').replace("<number>", "\n  <number>")
    new = Naive(head.replace(">T<", ">U<") + moved + rec.replace(">a<", ">b<") + "<people></people></registry>")
    found = naive_changes(old, new)
    assert found["changed"] == {("1", "tcp", "a")} and found["came"] == Counter({("1", "tcp", "b"): 1})
    assert found["people_removed"] == {"p"} and found["head"] == {"title"}
    same = Naive(head + rec.replace("<number>", "\n    <number>") + "<people></people></registry>")
    assert naive_changes(old, same)["changed"] == set()


def test_the_cutters_find_what_the_patterns_find(current_xml_bytes: bytes) -> None:
    """``record_chunks`` and ``person_chunks`` stand for the regular expressions: the same
    runs on the real registry, and on text that only nearly matches."""
    tricky = (
        '<records><record a="1">x</record><recordx>y</record><record>z</record> <record>'
        '<person id="a"b">no</person><person id="p">P</person><person id="p">Q</person>'
        '<person id="r">R</person> <record>open<person id="s">'
    )
    for text in (current_xml_bytes.decode("utf-8"), tricky):
        assert record_chunks(text) == [m[0].strip() for m in _RECORD.finditer(text)]
        assert person_chunks(text) == {m[1]: m[0] for m in _PERSON.finditer(text)}
    assert len(record_chunks(current_xml_bytes.decode("utf-8"))) == 14444


@pytest.mark.slow
def test_every_consecutive_diff_agrees_with_the_xml_and_applies(history_store: HistoryStore) -> None:
    # Each published file is a version of its own: none is identical to the one before it.
    assert (history_store.found, history_store.imported, history_store.unchanged) == (342, 342, 0)
    memo = xml.memo()
    checked = 0
    with Store.open(history_store.url) as store:
        versions = store.versions()
        previous: tuple[Naive, Any, list[int]] | None = None
        for number, (name, data) in enumerate(history_versions(), start=1):
            assert versions[number - 1].source.rsplit("#", 1)[1] == name, f"version {number} is not {name}"
            text = data.decode("utf-8")
            registry = xml.read(data, source=name, memo=memo)
            naive = Naive(text, previous[0] if previous else None)
            if previous is None:
                ids = [s.id for s in store.records(version=number)]
            else:
                old_naive, old_registry, old_ids = previous
                d = history.diff(store, number - 1, number)
                expected = naive_changes(old_naive, naive)
                found = diff_changes(d, expected.pop("same_count"))
                assert found == expected, f"{name}: the diff disagrees with the XML"
                rebuilt, ids = history.apply(d, old_registry, old_ids)
                assert exactly_equal(rebuilt, registry), f"{name}: applying the diff does not give the version"
                if number % 50 == 0:
                    assert ids == [s.id for s in store.records(version=number)]
                    assert xml.dumps(rebuilt) == text
                checked += 1
            previous = (naive, registry, ids)
    assert checked == 341

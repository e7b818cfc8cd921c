"""Round trips through every format that can hold a registry, on generated registries.

Each format gives back what it can hold, defined here as a projection of the model:

- JSON and XML hold the whole model: ``read(write(r)) == r``, and what ``==`` leaves
  out too (layouts, whitespace between tags, processing instructions).
- CSV (IANA's export) holds, per record and in order: name, port as written, transport,
  the words of the description, assignment notes and unauthorized use (line breaks and
  runs of white space are not kept as such; references show as ``[label]``), the ids of
  the assignee and of the contact (:attr:`Record.assignees`, :attr:`Record.contacts`),
  the dates, the labels of the other references and the service code. No head, no
  footnotes, people only as ids. Writing what was read gives the same bytes.
- services(5) holds, for each (port, transport) of the records it can hold (a name,
  a single port, a transport: :func:`portreg.formats.services.holdable`), the names in
  registry order without repeats and the first description on one line, plus the
  registry's title and date.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from hypothesis import given, settings

from portreg.formats import csv as pcsv
from portreg.formats import json as pjson
from portreg.formats import services
from portreg.model import LineBreak, Paragraph, Person, Record, Reference, Registry, Text

from tests.support.strategies import beyond_equality, registries

SETTINGS = settings(max_examples=100, deadline=None)


def _bytes(module, registry: Registry) -> bytes:
    out = BytesIO()
    module.write(registry, out)
    return out.getvalue()


# --------------------------------------------------------------------------- JSON


@SETTINGS
@given(registries(layouts=True))
def test_json_holds_the_whole_model(registry: Registry) -> None:
    data = _bytes(pjson, registry)
    back = pjson.read(data)
    assert back == registry
    assert beyond_equality(back) == beyond_equality(registry)
    assert _bytes(pjson, back) == data


# --------------------------------------------------------------------------- XML


@SETTINGS
@given(registries(layouts=True))
def test_xml_holds_the_whole_model(registry: Registry) -> None:
    from portreg.formats import xml

    data = _bytes(xml, registry)
    back = xml.read(data)
    assert back == registry
    assert beyond_equality(back) == beyond_equality(registry)
    assert _bytes(xml, back) == data


@SETTINGS
@given(registries(layouts=True))
def test_json_carries_everything_xml_writes(registry: Registry) -> None:
    """XML written from a registry that went through JSON is the same document."""
    from portreg.formats import xml

    assert _bytes(xml, pjson.read(_bytes(pjson, registry))) == _bytes(xml, registry)


@pytest.mark.xfail(strict=False, reason="xml: an element without children is written as <x/>, dropping the blanks it held")
def test_xml_keeps_the_blanks_inside_an_element_without_children() -> None:
    """Minimal case found by the property above (the strategies now avoid it): a person
    with no children read from ``<person id="a"> </person>`` keeps the blank in its
    spacing (``("", " ")``), and the writer, which uses spacing "when it fits", writes
    ``<person id="a"/>``. Records without children behave the same."""
    from portreg.formats import xml

    registry = Registry(title="T", people=(Person("a", spacing=("\n    ", " ")),))
    back = xml.read(_bytes(xml, registry))
    assert back.people[0].spacing == ("\n    ", " ")


@SETTINGS
@given(registries())
def test_xml_without_layouts_writes_a_document_that_reads_back(registry: Registry) -> None:
    from portreg.formats import xml

    back = xml.read(_bytes(xml, registry))
    assert back == registry


# --------------------------------------------------------------------------- CSV


def _words(text: Text | None) -> str | None:
    """The words of rich text as a CSV cell shows them, white space runs as one space."""
    if not text:
        return None
    words = " ".join("".join(_flat(text.parts)).split())
    return words or None


def _flat(parts: tuple) -> list[str]:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, LineBreak):
            out.append(" ")
        elif isinstance(part, Reference):
            out.append(f"[{_shown(part)}]")
        elif isinstance(part, Paragraph):
            out += _flat(part.content)
    return out


def _shown(ref: Reference) -> str:
    """A reference as IANA's page and CSV show it: its own words, else its label."""
    return ref.text.strip() if ref.text and ref.text.strip() else ref.label


def csv_view(registry: Registry) -> list[tuple]:
    """What IANA's CSV holds of ``registry`` (see the module docstring)."""
    return [_csv_record(r) for r in registry.records]


def _csv_record(r: Record) -> tuple:
    return (
        r.name,
        None if r.port is None else str(r.port),
        r.transport,
        _words(r.description),
        r.assignees,
        r.contacts,
        r.registered,
        r.modified,
        tuple(_shown(ref) for ref in r.citations),
        r.service_code,
        _words(r.unauthorized),
        _words(r.notes),
    )


@SETTINGS
@given(registries())
def test_csv_holds_its_projection(registry: Registry) -> None:
    data = _bytes(pcsv, registry)
    back = pcsv.read(data)
    assert csv_view(back) == csv_view(registry)
    # Every person the records name is there (as an id: the CSV has no contact details).
    assert {p.id for p in back.people} == {pid for r in registry.records for pid in r.assignees + r.contacts}
    # Writing what was read gives the same bytes (but for the header when no row has a
    # date: see the xfail below).
    dated = any(r.registered or r.modified for r in registry.records)
    assert _bytes(pcsv, back).split(b"\r\n")[0 if dated else 1 :] == data.split(b"\r\n")[0 if dated else 1 :]


def test_csv_written_then_read_then_written_keeps_its_header() -> None:
    """Found by the property above (fixed in csv.py since): a registry dated 2024 whose
    only record is dated 2015 is written with the current header; read back, its date
    came from the rows (2015), so writing it again gave the legacy header."""
    registry = Registry(title="T", updated="2024-03-18", records=(Record(name="a", registered="2015-01"),))
    data = _bytes(pcsv, registry)
    assert _bytes(pcsv, pcsv.read(data)) == data


@pytest.mark.xfail(
    strict=True,
    reason="known limit: the CSV carries no date of its own, so an old header over rows without dates "
    "cannot be told from a new file; documented in portreg.formats.csv",
)
def test_csv_keeps_an_old_header_over_rows_without_dates() -> None:
    """Minimal case found by the property above: a registry dated 1980-01 without
    records (or whose records carry no dates) is written with the old header ("Known
    Unauthorized Uses"); read back it has no date, so writing it again gives the
    current header."""
    data = _bytes(pcsv, Registry(title="T", updated="1980-01"))
    assert _bytes(pcsv, pcsv.read(data)) == data


# --------------------------------------------------------------------------- services(5)


def services_view(registry: Registry) -> tuple:
    """What services(5) holds of ``registry`` (see the module docstring)."""
    lines: dict[tuple[int, str], tuple[list[str], list[str]]] = {}
    for r in registry.records:
        if r.name and services.holdable(r):
            names, descriptions = lines.setdefault((r.port.low, r.transport), ([], []))
            if r.name not in names:
                names.append(r.name)
            if r.description:
                descriptions.append(" ".join(str(r.description).split()))
    return (
        " ".join(registry.title.split()),
        registry.updated,
        {key: (names, descriptions[0] if descriptions else None) for key, (names, descriptions) in lines.items()},
    )


@SETTINGS
@given(registries())
def test_services_holds_its_projection(registry: Registry) -> None:
    data = _bytes(services, registry)
    back = services.read(data)
    assert services_view(back) == services_view(registry)
    # Writing what was read gives the same entries, title and date (the count of records
    # left out is lost: see the xfail below).
    assert _kept_lines(_bytes(services, back)) == _kept_lines(data)


def _kept_lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if not line.startswith((b"# Left out", b"#   "))]


def test_services_is_a_fixed_point_after_one_pass() -> None:
    """What services(5) cannot hold is said once, in the first file's header ("Left out
    on purpose ... 1 with a name but no port"), and is gone from what is read back; from
    there on, writing what was read gives the same bytes."""
    first = _bytes(services, Registry(title="T", records=(Record(name="a"),)))
    assert b"# Left out on purpose" in first
    second = _bytes(services, services.read(first))
    assert b"# Left out on purpose" not in second
    assert _kept_lines(second) == _kept_lines(first)
    assert _bytes(services, services.read(second)) == second

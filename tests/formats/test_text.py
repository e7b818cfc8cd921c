"""The plain-text format: the seed's head and contacts line for line, an aligned table."""

from __future__ import annotations

import dataclasses
from io import BytesIO

import pytest
from hypothesis import given, settings

from tests.support.data import SHARED, need_shared
from portreg.formats import text
from portreg.model import BR, Footnote, Person, PortRange, Record, Reference, Registry, Text

from tests.support.strategies import registries

SEED = SHARED / "seeds"


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    seed = need_shared(SEED)
    (path,) = sorted(seed.glob("001_*.txt"))
    return path.read_text("utf-8").split("\n")


#: The columns that hold runs of ``[label]``: their pieces join without a space.
PACKED = {4, 5, 8}


def _columns(table_row: list[str]) -> list[str]:
    """A rendered row (one or more lines) read back into its twelve cells, each cell's
    wrapped pieces joined by a space (by nothing in columns of references)."""
    cells: list[list[str]] = [[] for _ in text.COLUMNS]
    for line in table_row:
        start = 0
        for i, (_, width) in enumerate(text.COLUMNS):
            piece = line[start : start + width].strip()
            if piece:
                cells[i].append(piece)
            start += width + len(text.GAP)
    return [("" if i in PACKED else " ").join(c) for i, c in enumerate(cells)]


def _words(line: str) -> str:
    return " ".join(line.split()).replace("] [", "][")


# --------------------------------------------------------------------------- the seed


def test_the_head_is_the_seeds_head(current_registry: Registry, seed_lines: list[str]) -> None:
    # The seed was rendered from a later version: same head but its own date.
    registry = dataclasses.replace(current_registry, updated="2024-11-19")
    head = text.head_lines(registry)
    assert head == seed_lines[: len(head)]
    assert head[-1] == "Plain text" and seed_lines[len(head)].startswith("Service Name Port Number")


def test_contact_rows_are_the_seeds_rows(current_registry: Registry, seed_lines: list[str]) -> None:
    start = seed_lines.index("Contact Information")
    assert seed_lines[start + 2] == text.CONTACT_HEADER
    rows = [line for line in seed_lines[start + 3 :] if line]
    people = current_registry.people_by_id()
    ours = text.contact_lines(people[row.split()[0][1:-1]] for row in rows)
    assert ours[1:] == rows and len(rows) == 22


def test_record_rows_hold_the_seeds_cells(current_registry: Registry, seed_lines: list[str]) -> None:
    """Every record row of the seed is one record's row here, cell for cell."""
    first = seed_lines.index("Plain text") + 2
    last = seed_lines.index("Contact Information") - 1
    by_port: dict[str, list[Record]] = {}
    for record in current_registry.records:
        if record.port is not None:
            by_port.setdefault(str(record.port), []).append(record)
    unmatched = []
    for line in seed_lines[first:last]:
        port = next(tok for tok in line.split()[:2] if tok[0].isdigit())
        rendered = [_columns(text.table_lines([r])[3:]) for r in by_port[port]]
        if not any(_words(" ".join(c for c in cells if c)) == _words(line) for cells in rendered):
            unmatched.append(line)
    assert not unmatched
    assert last - first == 101


def test_the_whole_registry_renders(current_registry: Registry) -> None:
    out = BytesIO()
    text.write(current_registry, out)
    lines = out.getvalue().decode("utf-8").split("\n")
    assert lines[0] == "Internet Assigned Numbers Authority"
    assert "Footnotes" in lines and "Contact Information" in lines
    contacts = lines[lines.index("Contact Information") + 3 : -1]
    assert len(contacts) == len(current_registry.referenced_people())
    width = sum(w for _, w in text.COLUMNS) + len(text.GAP) * (len(text.COLUMNS) - 1)
    table = lines[lines.index("Plain text") + 1 : lines.index("Footnotes") - 1]
    assert max(map(len, table)) <= width


# --------------------------------------------------------------------------- the table


WRAPPING = Registry(
    title="T",
    records=(
        Record(
            name="domain-s",
            port=PortRange(853, 853),
            transport="udp",
            description=Text(("DNS query-response protocol run over DTLS or QUIC", BR, "second line")),
            assignee=(Reference("person", "IESG"),),
            references=(
                Reference("person", "Internet_Systems_Consortium_Inc"),
                Reference("rfc", "rfc7858"),
                Reference("rfc", "rfc8094"),
                Reference("rfc", "rfc9250"),
                Reference("note", "1"),
                Reference("uri", "https://x.example/TR-352.pdf", "TR-352"),
            ),
            registered="2015-10-08",
            modified="2022-04-01",
        ),
        Record(port=PortRange(6000, 6063), description=Text(("Unassigned",))),
    ),
    people=(Person("IESG", org="IESG"), Person("Internet_Systems_Consortium_Inc", org="ISC", updated="2017-06-08")),
    footnotes=(Footnote("1", Text(("It is only appropriate to use these values in explicitly-\nconfigured experiments.",))),),
)


def test_long_cells_wrap_inside_their_column() -> None:
    lines = text.table_lines(WRAPPING.records)
    assert lines[0].split() == ["Service", "Name", "Port", "Number", "Transport", "Description", "Assignee", "Contact",
                                "Registration", "Modification", "Reference", "Service", "Unauthorized", "Use",
                                "Assignment", "Notes"]
    assert set(lines[2]) == {"-", " "}
    row = lines[3:-1]
    cells = [[piece for piece in column] for column in zip(*(_split(line) for line in row))]
    assert [c for c in cells[3] if c] == ["DNS query-response protocol run", "over DTLS or QUIC", "second line"]
    assert [c for c in cells[8] if c] == ["[RFC7858][RFC8094]", "[RFC9250][1][TR-352]"]  # a URI's own words
    assert [c for c in cells[5] if c] == ["[Internet_Systems_Consorti", "um_Inc]"]
    assert _columns(lines[-1:])[:4] == ["", "6000-6063", "", "Unassigned"]


def _split(line: str) -> list[str]:
    return _columns([line])


def test_footnotes_and_contacts_follow_the_table() -> None:
    rendered = text.render(WRAPPING).split("\n")
    at = rendered.index("Footnotes")
    assert rendered[at + 2 : at + 4] == [
        "[1] It is only appropriate to use these values in explicitly-",
        "    configured experiments.",
    ]
    assert rendered[-4:] == [
        "ID Name Organization Contact URI Last Updated",
        "[IESG] IESG",
        "[Internet_Systems_Consortium_Inc] ISC 2017-06-08",
        "",
    ]


def test_media_type_and_extension() -> None:
    assert text.MEDIA_TYPE == "text/plain; charset=utf-8" and text.EXTENSION == "txt"


@settings(max_examples=40, deadline=None)
@given(registries())
def test_every_table_line_keeps_its_columns(registry: Registry) -> None:
    """Whatever the records hold, the gaps between columns stay blank and no cell
    spills past its column, so the table reads in columns."""
    lines = text.table_lines(registry.records)
    bounds, start = [], 0
    for _, width in text.COLUMNS:
        start += width
        bounds.append(start)
        start += len(text.GAP)
    for line in lines:
        assert "\n" not in line and line == line.rstrip()
        for end in bounds[:-1]:
            assert line[end : end + len(text.GAP)].strip() == "", (line, end)
        assert len(line) <= bounds[-1]

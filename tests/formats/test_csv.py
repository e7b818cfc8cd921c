"""IANA's CSV: byte-identical round trips of IANA's own exports, the mapping from the
model, and one clear error per kind of bad input."""

from __future__ import annotations

import io

import pytest

from tests.support.data import CSV_EXPORTS, IANA, need_shared
from portreg.errors import FormatError
from portreg.formats import csv as csvfmt
from portreg.model import BR, Paragraph, PortRange, Record, Reference, Registry, Text

HEADER_LINE = ",".join(csvfmt.HEADER)


def to_bytes(registry: Registry, **options) -> bytes:
    out = io.BytesIO()
    csvfmt.write(registry, out, **options)
    return out.getvalue()


def export(name: str) -> bytes:
    return need_shared(IANA / "csv" / name).read_bytes()


def csv_of(*rows: str, header: str = HEADER_LINE) -> bytes:
    return "".join(f"{line}\r\n" for line in (header, *rows)).encode("utf-8")


# --------------------------------------------------------------------------- IANA's exports


@pytest.mark.parametrize("name", [p.name for p in CSV_EXPORTS] or ["service-names-port-numbers-2024-04-30.csv"])
def test_iana_export_reads_and_writes_back_byte_identical(name: str) -> None:
    data = export(name)
    registry = csvfmt.read(data, source=name)
    assert to_bytes(registry) == data
    assert len(registry.records) == data.count(b"\r\n") - 1
    # every person a record names is in the registry, once
    ids = [p.id for p in registry.people]
    assert len(ids) == len(set(ids))
    assert {pid for r in registry.records for pid in r.person_ids()} == set(ids)


def test_the_2024_export_reads_into_the_values_the_xml_holds() -> None:
    registry = csvfmt.read(export("service-names-port-numbers-2024-04-30.csv"))
    assert registry.updated == "2024-04-30"  # the latest date in its rows
    by_key = {(r.name, str(r.port) if r.port else None, r.transport): r for r in registry.records}

    www = by_key[("www-http", "80", "tcp")]
    assert www.assignees == ("Tim_Berners_Lee",) and www.contacts == ("Tim_Berners_Lee",)
    assert www.assignee == ()  # Assignee == Contact: no <assignee>, the person is both
    http = by_key[("http", "80", "tcp")]
    assert http.assignee == (Reference("person", "IESG"),) and http.contacts == ("IETF_Chair",)
    assert http.citations == (Reference("rfc", "rfc9110"),)

    push = by_key[("dns-push-tls", None, "tcp")]
    assert push.assignee == (Reference("person", "IESG"),) and push.contacts == ("IETF_Chair",)
    assert push.citations == (Reference("rfc", "rfc8765", "RFC8765, Section 6.1"),)

    kinds = {ref.type for r in registry.records for ref in r.citations}
    assert kinds == {"rfc", "draft", "uri", "text", "note"}
    assert by_key[("exp1", "1021", "tcp")].citations == (
        Reference("note", "1"), Reference("rfc", "rfc4727"), Reference("rfc", "rfc6335"),
    )
    assert Reference("draft", "RFC-ietf-netconf-over-tls13-04") in {
        ref for r in registry.records for ref in r.citations
    }
    assert by_key[(None, "4748-4748", None)].port == PortRange.single(4748)  # written as IANA wrote it

    # Assignment Notes keep their RFC citations as references, other brackets as text
    rfc_notes = [r for r in registry.records if r.notes and any(True for _ in r.notes.references())]
    assert rfc_notes and all(ref.type in ("rfc", "uri") for r in rfc_notes for ref in r.notes.references())
    ftp = by_key[("ftp", "21", "tcp")]
    assert ftp.description == Text(("File Transfer Protocol [Control]",))


def rows_by_key(data: bytes) -> dict[tuple[str, str, str, int], list[str]]:
    """Data rows keyed by (name, port, transport, n-th time that key occurs), in file order."""
    import csv

    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]
    seen: dict[tuple[str, str, str], int] = {}
    keyed = {}
    for row in rows:
        key = (row[0], row[1], row[2])
        seen[key] = seen.get(key, -1) + 1
        keyed[(*key, seen[key])] = row
    return keyed


#: Rows of the 2025-03-28 export that differ from the 2024-03-18 XML without a date
#: saying so: edits IANA made without touching the modification date (the column that
#: changed), and the one note written in <paragraph>s, which the 2025 export indents 8
#: spaces deeper than its XML does (one record: too little to infer a rule from).
UNDATED_2025 = {
    ("smtp", "25", "tcp", 0): {"Reference"},  # [RFC5321] -> [RFC-ietf-emailcore-rfc5321bis-43]
    ("smtp", "25", "udp", 0): {"Reference"},
    ("gue", "6080", "udp", 0): {"Reference"},  # [draft-herbert-gue] -> [draft-herbert-gue-02]
    ("panagolin-ident", "9021", "tcp", 0): {"Assignee", "Contact"},  # William_Benner_2 -> William_Benner
    ("panagolin-ident", "9021", "udp", 0): {"Assignee", "Contact"},
    ("wot", "", "tcp", 0): {"Assignment Notes"},  # paragraphs indented 14 spaces, not 6
    ("wot", "", "udp", 0): {"Assignment Notes"},
}


def compare(ours: dict, iana: dict, since: str) -> dict[str, list]:
    """Sort the rows of two CSVs keyed alike into identical, modified, added and removed."""
    return {
        "identical": [k for k in ours if iana.get(k) == ours[k]],
        "modified": [k for k in ours if k in iana and iana[k] != ours[k]],
        "removed": [k for k in ours if k not in iana],
        "added": [k for k in iana if k not in ours],
    }


def changed_after(row: list[str], since: str) -> bool:
    return row[6] > since or row[7] > since  # Registration Date, Modification Date


def test_xml_to_csv_follows_iana_s_current_export_row_for_row(current_registry: Registry) -> None:
    """The 2024-03-18 XML written as CSV against IANA's export of 2025-03-28, row by row.

    That pair is the nearest we hold of IANA's current convention (the history ends with
    the 2024-03-18 XML). Every row is identical, or is explained by a change IANA made
    in between: a modified row carries a modification date after the XML's ``updated``
    (or is one of :data:`UNDATED_2025`, changed in the column named); an added row
    carries a date after it, or is an Unassigned row cut from a range that a new
    assignment split; a removed row was renamed or split, its port now held by an
    added row.
    """
    since = current_registry.updated
    ours = rows_by_key(to_bytes(current_registry))
    iana = rows_by_key(export("service-names-port-numbers-2025-03-28.csv"))
    rows = compare(ours, iana, since)
    columns = csvfmt.HEADER
    undated = {
        k: {columns[i] for i in range(12) if ours[k][i] != iana[k][i]}
        for k in rows["modified"]
        if not changed_after(iana[k], since)
    }
    assert undated == UNDATED_2025
    added_ports = {iana[k][1] for k in rows["added"]}
    dated_added = [k for k in rows["added"] if changed_after(iana[k], since)]
    cut = [k for k in rows["added"] if not changed_after(iana[k], since) and not iana[k][0]]
    assert set(rows["added"]) - set(dated_added) - set(cut) == {("oro", "", "tcp", 0)}  # name-only, undated
    for k in rows["removed"]:
        low, _, high = k[1].partition("-")
        assert any(
            int(low) <= int(p.partition("-")[0]) <= int(high or low) for p in added_ports if p
        ), f"{k} removed, and nothing added on its ports"
    print(
        f"\nXML {since} -> CSV vs IANA's CSV 2025-03-28: {len(ours)} rows against {len(iana)}: "
        f"{len(rows['identical'])} identical; {len(rows['modified'])} modified "
        f"({len(rows['modified']) - len(undated)} dated after {since}, {len(undated)} undated: {sorted(undated)}); "
        f"{len(rows['added'])} added ({len(dated_added)} dated, {len(cut)} Unassigned rows cut from split ranges, 1 undated "
        f"name-only); {len(rows['removed'])} removed"
    )
    assert len(rows["identical"]) == 14_401 and len(rows["modified"]) == 27
    assert (len(rows["added"]), len(rows["removed"])) == (46, 16)
    common = [k for k in ours if k in iana]
    assert common == [k for k in iana if k in ours]  # the rows both hold come in the same order


def test_xml_to_csv_differs_from_the_2024_export_only_where_it_folded_line_breaks(current_registry: Registry) -> None:
    """Against IANA's export of 2024-04-30 (the nearest in time), the same rows differ only
    where that export folded a ``<br/>`` into a space: our cell holds a newline there."""
    import re

    since = current_registry.updated
    ours = rows_by_key(to_bytes(current_registry))
    iana = rows_by_key(export("service-names-port-numbers-2024-04-30.csv"))
    rows = compare(ours, iana, since)
    assert rows["removed"] == [] and all(changed_after(iana[k], since) for k in rows["added"])
    dated = [k for k in rows["modified"] if iana[k][7] > since]
    folded = [k for k in rows["modified"] if k not in dated]

    def unfolded(cell: str) -> str:
        return re.sub(r"\s*\n\s*", " ", cell)

    for k in folded:
        differing = [i for i in range(12) if ours[k][i] != iana[k][i]]
        assert set(differing) <= {3, 10, 11}, (k, differing)  # Description, Unauthorized Use, Assignment Notes
        for i in differing:
            assert ours[k][i].count("\n") > iana[k][i].count("\n") and unfolded(ours[k][i]) == unfolded(iana[k][i]), k
    print(
        f"\nXML {since} -> CSV vs IANA's CSV 2024-04-30: {len(rows['identical'])} identical, "
        f"{len(dated)} modified after {since}, {len(folded)} where 2024 folded <br/> into a space, "
        f"{len(rows['added'])} added, {len(rows['removed'])} removed"
    )
    assert (len(rows["identical"]), len(dated), len(folded), len(rows["added"])) == (14_257, 3, 184, 3)


def test_reserved_ports_and_name_only_rows_keep_their_empty_cells() -> None:
    registry = csvfmt.read(
        csv_of(
            ",0,tcp,Reserved,[Jon_Postel],[Jon_Postel],,,,,,",
            "mumble,,,Mumble VoIP,[Thorvald_Natvig],[Thorvald_Natvig],,,,,,Defined TXT keys: None",
        )
    )
    reserved, mumble = registry.records
    assert reserved.name is None and reserved.port == PortRange.single(0) and reserved.transport == "tcp"
    assert mumble.port is None and mumble.transport is None and str(mumble.notes) == "Defined TXT keys: None"
    assert [p.id for p in registry.people] == ["Jon_Postel", "Thorvald_Natvig"]


# --------------------------------------------------------------------------- ambiguous cells


@pytest.mark.parametrize(
    "assignee, contact, has_assignee_element",
    [
        ("[A]", "[A]", False),  # IANA's rule: no <assignee>, the person is both
        ("[A]", "[B]", True),
        ("[A][B]", "[C]", True),
        ("[A]", "", True),  # an <assignee> and no contact
        ("", "", False),
    ],
)
def test_assignee_and_contact_cells_come_back_unchanged(assignee: str, contact: str, has_assignee_element: bool) -> None:
    data = csv_of(f"x,1,tcp,X,{assignee},{contact},,,,,,")
    (record,) = csvfmt.read(data).records
    assert bool(record.assignee) is has_assignee_element
    assert to_bytes(csvfmt.read(data)) == data


def test_a_contact_without_assignee_writes_as_both_roles() -> None:
    """The model fills Assignee from the contact when there is no <assignee>, as IANA does."""
    (record,) = csvfmt.read(csv_of("x,1,tcp,X,,[B],,,,,,")).records
    assert record.contacts == ("B",) and record.assignees == ("B",)


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("[RFC9110][1]", (Reference("rfc", "rfc9110"), Reference("note", "1"))),
        ("[draft-ietf-x-01]", (Reference("draft", "draft-ietf-x-01"),)),
        ("[https://example.org/a#b]", (Reference("uri", "https://example.org/a#b"),)),
        ("[ISO/IEC 13818-6 MPEG-2 DSM-CC]", (Reference("text", None, "ISO/IEC 13818-6 MPEG-2 DSM-CC"),)),
        ("[see [RFC1] first][RFC2]", (Reference("text", None, "see [RFC1] first"), Reference("rfc", "rfc2"))),
        ("[a ] b]", (Reference("text", None, "a ] b"),)),  # unbalanced: the cell is one text
    ],
)
def test_reference_cells_read_into_typed_references_and_back(cell: str, expected: tuple[Reference, ...]) -> None:
    data = csv_of(f"x,1,tcp,X,,,,,{cell},,,")
    (record,) = csvfmt.read(data).records
    assert record.citations == expected
    assert to_bytes(csvfmt.read(data)) == data


def test_the_old_header_is_read_and_written_back() -> None:
    old = ",".join(csvfmt.LEGACY_HEADER)
    data = csv_of("x,1,tcp,X,[A],[A],2009-04,2018-07-02,,,Spam on port 1,", header=old)
    registry = csvfmt.read(data)
    assert str(registry.records[0].unauthorized) == "Spam on port 1"
    assert registry.updated == "2018-07-02"
    assert to_bytes(registry) == data  # an old registry is written with the old header
    assert to_bytes(registry, legacy_header=False).startswith(HEADER_LINE.encode())


def test_a_current_header_over_old_rows_is_written_back_with_the_current_header() -> None:
    data = csv_of("x,1,tcp,X,[A],[A],2009-04,2015-01-02,,,,")
    registry = csvfmt.read(data)
    assert registry.updated is None  # exported in 2020 or later, by its header: date unknown
    assert to_bytes(registry) == data


def test_a_current_export_under_the_old_header_round_trips_when_asked() -> None:
    data = export("service-names-port-numbers-2024-04-30.csv")
    old = data.replace(b"Unauthorized Use Reported", b"Known Unauthorized Uses", 1)
    assert to_bytes(csvfmt.read(old), legacy_header=True) == old


# --------------------------------------------------------------------------- writing model values


def test_rich_text_is_written_as_iana_writes_it_today() -> None:
    """A ``<br/>`` is a newline in the quoted cell; the XML's own layout is unfolded."""
    record = Record(
        name="whoispp",
        port=PortRange.single(63),
        transport="tcp",
        description=Text(("whois++", BR, BR, '\nIANA assigned "whoispp".')),
        assignee=(Reference("person", "Org"),),
        references=(
            Reference("uri", "https://example.org/TR-352.pdf", "TR-352"),
            Reference("person", "Someone"),
            Reference("rfc", "rfc8765", "RFC8765, Section 6.1"),
        ),
        notes=Text((Paragraph(("Keys:",)), "\n  ", Paragraph(("a=1 per ", Reference("rfc", "rfc6763"), ".")), "\n")),
    )
    row = to_bytes(Registry(title="t", records=(record,))).split(b"\r\n", 1)[1]
    assert row == (
        b'whoispp,63,tcp,"whois++\nIANA assigned ""whoispp"".",[Org],[Someone],,,'
        b'"[TR-352][RFC8765, Section 6.1]",,,"Keys:\n  a=1 per [RFC6763]."\r\n'
    )


@pytest.mark.parametrize(
    "parts, cell",
    [
        (("Link Elements \n      (TEMPORARY)",), "Link Elements (TEMPORARY)"),  # the XML's layout: space, newline, indent
        (("keys:", BR, "\n  txtvers", BR, "\n  server=x"), "keys:\n  txtvers\n  server=x"),  # breaks keep their indentation
        (("whois++", BR, BR, "\nIANA"), "whois++\nIANA"),  # a run of breaks is one newline
        (("protocol with\n      a binary",), "protocol with\n      a binary"),  # text before the break
        (('"iChat AV" \n(Apple\'s',), '"iChat AV" \n(Apple\'s'),  # text after it
        (("'-'", BR, "\nAll of these"), "'-'\nAll of these"),
        ((BR, BR, "\n  IANA assigned "), "IANA assigned"),  # trimmed
        (("a", BR, "b"), "a\nb"),  # a break with no newline after it in the XML
        (("one \n  two", BR, "\nthree \n four"), "one two\nthree four"),  # layout unfolded on both sides of a break
    ],
)
def test_line_breaks_are_newlines_and_the_xml_layout_is_unfolded(parts: tuple, cell: str) -> None:
    record = Record(name="x", description=Text(parts))
    written = to_bytes(Registry(title="t", records=(record,)))
    assert csvfmt.read(written).records[0].description == Text.of(cell)
    assert to_bytes(csvfmt.read(written)) == written  # and the cell comes back as written


def test_output_is_utf8_without_bom_with_crlf_rows() -> None:
    record = Record(name="café", port=PortRange(6000, 6063), transport="tcp", description=Text.of("a,b"))
    data = to_bytes(Registry(title="t", records=(record,)))
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.endswith('café,6000-6063,tcp,"a,b",,,,,,,,\r\n'.encode())


# --------------------------------------------------------------------------- bad input


def read_error(data: bytes) -> FormatError:
    with pytest.raises(FormatError) as info:
        csvfmt.read(data, source="in.csv")
    return info.value


def test_wrong_columns_are_named() -> None:
    header = HEADER_LINE.replace("Contact,", "Contacts,")
    error = read_error(csv_of(header=header))
    assert error.line == 1
    assert "missing column 'Contact'" in str(error) and "unknown column 'Contacts'" in str(error)
    assert str(error).startswith("in.csv:1: ")


def test_a_row_with_the_wrong_number_of_cells_names_its_line() -> None:
    # the first row spans three physical lines, so the bad row starts on line 5
    data = csv_of('x,1,tcp,"two\nmore\nlines",,,,,,,,', "y,2,tcp,Y,,,,,,,")
    error = read_error(data)
    assert (error.line, error.field) == (5, None)
    assert "11 cells where the header has 12" in str(error)


@pytest.mark.parametrize("port", ["8o", "70000", "9-3", "-1"])
def test_a_bad_port_names_line_and_field(port: str) -> None:
    error = read_error(csv_of("x,1,tcp,X,,,,,,,,", f"y,{port},tcp,Y,,,,,,,,"))
    assert (error.line, error.field) == (3, "Port Number")
    assert str(error).startswith("in.csv:3: Port Number: ")


@pytest.mark.parametrize(
    "row, field",
    [
        ("x,1,tcpp,X,,,,,,,,", "Transport Protocol"),
        ("x,1,tcp,X,,,18-07-2020,,,,,", "Registration Date"),
        ("x,1,tcp,X,Jon,,,,,,,", "Assignee"),
        ("x,1,tcp,X,,,,,RFC 9110,,,", "Reference"),
    ],
)
def test_other_bad_cells_name_their_field(row: str, field: str) -> None:
    error = read_error(csv_of(row))
    assert (error.line, error.field) == (2, field)


def test_non_utf8_input_names_its_line() -> None:
    data = csv_of("x,1,tcp,X,,,,,,,,") + "y,2,tcp,Caf\u00e9,,,,,,,,\r\n".encode("latin-1")
    error = read_error(data)
    assert error.line == 3 and "not UTF-8" in str(error)


def test_broken_quoting_and_empty_input_are_format_errors() -> None:
    assert read_error(b"").line == 1
    assert read_error(csv_of('x,1,tcp,"open quote,,,,,,,,')).line is not None

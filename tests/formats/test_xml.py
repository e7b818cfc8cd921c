"""IANA's XML: the model holds what the real files hold, every published version comes
back from read -> write, and bad input ends in one FormatError naming file and line.

"Comes back" is judged twice: byte for byte, and by a strict structural comparison
(:func:`xml_differences`) that allows only whitespace between elements of element-only
content to differ. The comparison is itself tested: it must catch a changed attribute,
text, order or processing instruction, and must not flag re-indentation.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import socket
import subprocess
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.support.data import history_versions
from portreg.errors import FormatError
from portreg.formats import _xml_plain, _xml_tree, xml
from portreg.model import BR, Paragraph, Person, Record, Reference, Registry, Text
from tests.support.strategies import registries

NS = "http://www.iana.org/assignments"
DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"


def write_bytes(registry: Registry) -> bytes:
    buf = io.BytesIO()
    xml.write(registry, buf)
    return buf.getvalue()


def everything(registry: Registry) -> tuple[object, ...]:
    """``registry`` with the fields equality leaves out (layouts, spacing, instructions)."""
    return (
        registry,
        registry.head_layout,
        registry.processing_instructions,
        registry.spacing,
        [(r.layout, r.spacing) for r in registry.records],
        [(p.layout, p.spacing) for p in registry.people],
    )


def plain_or_none(data: bytes) -> Registry | None:
    """What the plain-form reader makes of ``data``; None when it leaves it to lxml."""
    try:
        return _xml_plain.read(data)
    except _xml_plain.Unusual:
        return None


# --------------------------------------------------------------------------- the comparator

#: Elements whose content is elements only: whitespace between their children is layout.
ELEMENT_ONLY = frozenset({"registry", "record", "assignee", "people", "person"})


def xml_differences(expected: bytes, actual: bytes, limit: int = 10) -> list[str]:
    """How ``actual`` differs from ``expected`` as a document, at most ``limit`` lines.

    Compared: the processing instructions before the root, then every element's tag,
    attributes, text, tail and children in order, recursively. The only freedom is
    whitespace-only text between the children of :data:`ELEMENT_ONLY` elements.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    roots = etree.fromstring(expected, parser), etree.fromstring(actual, parser)
    found: list[str] = []
    prologs = [_prolog(root) for root in roots]
    if prologs[0] != prologs[1]:
        found.append(f"before the root: {prologs[0]!r} != {prologs[1]!r}")
    _compare(*roots, f"/{etree.QName(roots[0]).localname}", found, limit)
    return found[:limit]


def _prolog(root: etree._Element) -> list[tuple[object, str | None]]:
    nodes = []
    node = root.getprevious()
    while node is not None:
        nodes.append((node.tag if node.tag is not etree.PI else f"?{node.target}", node.text))
        node = node.getprevious()
    return nodes[::-1]


def _same_text(a: str | None, b: str | None, layout_only: bool) -> bool:
    a, b = a or "", b or ""
    return a == b or (layout_only and not a.strip() and not b.strip())


def _compare(a: etree._Element, b: etree._Element, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit:
        return
    if a.tag != b.tag:
        found.append(f"{path}: element {a.tag!r} != {b.tag!r}")
        return
    if dict(a.attrib) != dict(b.attrib):
        found.append(f"{path}: attributes {dict(a.attrib)} != {dict(b.attrib)}")
    layout_only = isinstance(a.tag, str) and etree.QName(a).localname in ELEMENT_ONLY
    if not _same_text(a.text, b.text, layout_only):
        found.append(f"{path}: text {a.text!r} != {b.text!r}")
    children_a, children_b = list(a), list(b)
    if len(children_a) != len(children_b):
        found.append(f"{path}: {len(children_a)} children != {len(children_b)}")
    seen: dict[str, int] = {}
    for x, y in zip(children_a, children_b):
        name = etree.QName(x).localname if isinstance(x.tag, str) else str(x.tag)
        seen[name] = seen.get(name, 0) + 1
        child_path = f"{path}/{name}[{seen[name]}]"  # numbered as XPath does
        _compare(x, y, child_path, found, limit)
        if not _same_text(x.tail, y.tail, layout_only):
            found.append(f"{child_path}: text after it {x.tail!r} != {y.tail!r}")


def test_the_comparator_accepts_the_same_document(current_xml_bytes: bytes) -> None:
    assert xml_differences(current_xml_bytes, current_xml_bytes) == []


def test_the_comparator_allows_reindented_element_only_content(current_xml_bytes: bytes) -> None:
    reindented = current_xml_bytes.replace(b"\n    <protocol>", b"\n\t<protocol>").replace(b"  <record>", b"<record>")
    assert reindented != current_xml_bytes
    assert xml_differences(current_xml_bytes, reindented) == []


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        (b'<record date="2022-11-22" updated="2022-12-15">\n    <name>wot</name>',
         b'<record date="2022-11-23" updated="2022-12-15">\n    <name>wot</name>', "attributes"),
        (b'<record date="2022-11-22" updated="2022-12-15">\n    <name>wot</name>',
         b'<record date="2022-11-22">\n    <name>wot</name>', "attributes"),
        (b"<description>World Wide Web HTTP</description>", b"<description>World Wide Web  HTTP</description>", "text"),
        (b"<name>http</name>\n    <protocol>tcp</protocol>", b"<protocol>tcp</protocol>\n    <name>http</name>", "element"),
        (b"whois++<br/><br/>\nIANA", b"whois++<br/><br/>\n IANA", "text after it"),
        (b'<xref type="rfc" data="rfc9110"/>', b'<xref type="rfc" data="rfc9111"/>', "attributes"),
        (b"<note>\n      <paragraph>Defined TXT keys:</paragraph>\n",
         b"<note>\n        <paragraph>Defined TXT keys:</paragraph>\n", "text"),
        (b'<xref type="person" data="IETF_Chair"/>\n', b"", "children"),
        (b'<?xml-model href="service-names-port-numbers.rng" schematypens="http://relaxng.org/ns/structure/1.0" ?>\n',
         b"", "before the root"),
    ],
    ids=["changed-attribute", "dropped-attribute", "changed-text", "swapped-order", "mixed-content-whitespace",
         "changed-reference", "note-whitespace", "dropped-element", "dropped-processing-instruction"],
)  # fmt: skip
def test_the_comparator_catches_every_kind_of_change(current_xml_bytes: bytes, old: bytes, new: bytes, what: str) -> None:
    assert old in current_xml_bytes
    changed = current_xml_bytes.replace(old, new, 1)
    found = xml_differences(current_xml_bytes, changed)
    assert found, f"the comparator missed a change of {what}"
    assert what in found[0], found


def test_the_comparator_catches_two_records_swapped(current_xml_bytes: bytes) -> None:
    first = b"  <record>\n    <name>tcpmux</name>\n    <protocol>tcp</protocol>"
    second = b"  <record>\n    <name>tcpmux</name>\n    <protocol>udp</protocol>"
    swapped = current_xml_bytes.replace(first, b"\0").replace(second, first).replace(b"\0", second)
    found = xml_differences(current_xml_bytes, swapped)
    assert found and "/registry/record[3]/protocol[1]: text 'tcp' != 'udp'" in found[0], found


# --------------------------------------------------------------------------- round trips


def test_the_current_registry_round_trips_byte_for_byte(current_xml_bytes: bytes, current_registry: Registry) -> None:
    written = write_bytes(current_registry)
    assert xml_differences(current_xml_bytes, written) == []
    assert written == current_xml_bytes


def _round_trip(item: tuple[str, bytes]) -> tuple[str, str | None, bool]:
    """(version, what is wrong or None, byte-identical?) for one published version.

    The version must also be in the plain form, and both readers must read it alike.

    What the plain-form reader gives is what ``xml.read`` returns (it tries that reader
    first), so the version is read by it once and that registry is written; ``xml.read``
    runs only for a version the plain reader leaves to lxml, to report what it makes of
    it. Garbage collection waits meanwhile, as in ``xml.read``: the objects die by
    reference counting, and scanning them took a third of the plain reader's CPU time.
    """
    name, data = item
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _check_version(name, data)
    finally:
        if collecting:
            gc.enable()


def _check_version(name: str, data: bytes) -> tuple[str, str | None, bool]:
    try:
        plain = plain_or_none(data)
        registry = plain if plain is not None else xml.read(data, source=name)
        written = write_bytes(registry)
    except Exception as exc:  # noqa: BLE001 - reported per version
        return name, f"{type(exc).__name__}: {exc}", False
    if plain is None:
        return name, "not read by the plain-form reader", False
    if everything(plain) != everything(_xml_tree.read(data, source=name)):
        return name, "the plain-form reader and lxml disagree", False
    if written == data:
        return name, None, True
    found = xml_differences(data, written, limit=3)
    return name, "; ".join(found) if found else None, False


@pytest.mark.slow
def test_every_published_version_round_trips() -> None:
    """All 342 versions, streamed from the archive and checked by two worker processes.

    Each is read by the plain-form reader, and equally (layouts and spacing included)
    by the full one."""
    outcomes: list[tuple[str, str | None, bool]] = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        pending: set[Future] = set()
        for item in history_versions():
            pending.add(pool.submit(_round_trip, item))
            if len(pending) >= 4:  # a few versions in flight: memory stays bounded
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                outcomes += [f.result() for f in done]
        outcomes += [f.result() for f in pending]
    assert len(outcomes) == 342
    broken = sorted(f"{name}: {problem}" for name, problem, _ in outcomes if problem)
    assert not broken, f"{len(broken)} versions do not round trip:\n" + "\n".join(broken)
    not_identical = sorted(name for name, _, identical in outcomes if not identical)
    assert not not_identical, f"{len(not_identical)} versions are equivalent but not byte-identical: {not_identical}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(registries(layouts=True))
def test_generated_registries_round_trip(registry: Registry) -> None:
    data = write_bytes(registry)
    back = xml.read(data)
    assert back == registry
    assert everything(_xml_tree.read(data)) == everything(back)
    assert [r.layout for r in back.records] == [r.layout for r in registry.records]
    assert [p.layout for p in back.people] == [p.layout for p in registry.people]


# --------------------------------------------------------------------------- what the model holds


def test_the_current_registry_has_every_record_and_person(current_registry: Registry) -> None:
    assert len(current_registry.records) == 14444
    assert len(current_registry.people) == 5554
    assert current_registry.title == "Service Name and Transport Protocol Port Number Registry"
    assert current_registry.category == "Service Names and Transport Protocol Port Numbers"
    assert current_registry.updated == "2024-03-18"
    assert current_registry.references == (Reference("rfc", "rfc6335"),)
    assert current_registry.expert.startswith("TCP/UDP: Joe Touch; Eliot Lear")
    assert current_registry.head_layout == ("title", "category", "updated", "xref", "expert", "note", "note")
    assert current_registry.processing_instructions == xml.DEFAULT_PROCESSING_INSTRUCTIONS


def test_records_keep_the_registry_order(current_registry: Registry) -> None:
    first = [(r.name, r.transport, str(r.port)) for r in current_registry.records[:4]]
    assert first == [(None, "tcp", "0"), (None, "udp", "0"), ("tcpmux", "tcp", "1"), ("tcpmux", "udp", "1")]
    last = current_registry.records[-1]
    assert (last.name, last.transport, last.port) == ("zigbee-gateway", "udp", None)
    assert sum(1 for r in current_registry.records if r.port is None) == 1036
    assert sum(1 for r in current_registry.records if r.port is not None and r.port.is_range) == 750


def test_http_has_its_assignee_contact_and_reference(current_registry: Registry) -> None:
    (http,) = [r for r in current_registry.records if r.name == "http" and r.transport == "tcp" and r.port and 80 in r.port]
    assert http.assignee == (Reference("person", "IESG"),)
    assert http.assignees == ("IESG",)
    assert http.contacts == ("IETF_Chair",)
    assert Reference("rfc", "rfc9110") in http.references
    assert http.layout == ("name", "protocol", "assignee", "description", "number", "xref", "xref", "note")


def test_line_breaks_in_a_description_are_kept(current_registry: Registry) -> None:
    (whoispp,) = [r for r in current_registry.records if r.name == "whoispp" and r.transport == "tcp"]
    assert whoispp.description == Text(
        ("whois++", BR, BR, '\nIANA assigned this well-formed service name as a replacement for "whois++".')
    )


def test_paragraphs_in_a_note_are_kept(current_registry: Registry) -> None:
    wot = [r for r in current_registry.records if r.name == "wot"]
    assert len(wot) == 2
    parts = wot[0].notes.parts
    paragraphs = [p for p in parts if isinstance(p, Paragraph)]
    assert len(paragraphs) == 4
    assert paragraphs[0] == Paragraph(("Defined TXT keys:",))
    assert paragraphs[1].content[0].startswith("td: Absolute pathname")
    assert parts[0] == "\n      " and parts[-1] == "\n    "  # the whitespace between them, exactly


def test_the_footnote_and_its_references(current_registry: Registry) -> None:
    (footnote,) = current_registry.footnotes
    assert footnote.anchor == "1"
    assert str(footnote.text).startswith("It is only appropriate to use these values in explicitly-\nconfigured")
    citing = [(r.name, r.transport) for r in current_registry.records if Reference("note", "1") in r.references]
    assert citing[:2] == [("exp1", "tcp"), ("exp1", "udp")] and len(citing) == 8


def test_registry_notes_people_and_empty_elements(current_registry: Registry) -> None:
    request = current_registry.notes[1]
    assert request.title == "Request an Assignment"
    assert request.text.parts == ("\n  ", Reference("uri", "https://www.iana.org/protocols/apply"), "\n\n")
    assert current_registry.people_by_id()["Zia_Bhatti"] == Person(
        "Zia_Bhatti", name="Zia Bhatti", uris=("mailto:zia&netright.com",)
    )
    (ident,) = [r for r in current_registry.records if r.name == "ident" and r.transport == "tcp"]
    assert ident.description == Text(())  # <description/>: present and empty, not absent
    written = [r for r in current_registry.records if r.port is not None and r.port.written]
    assert [str(r.port) for r in written][0] == "4748-4748"


# --------------------------------------------------------------------------- writing without a layout


def _bare(registry: Registry) -> Registry:
    """``registry`` as another format would give it: no layouts, whitespace or instructions."""
    return dataclasses.replace(
        registry,
        records=tuple(dataclasses.replace(r, layout=(), spacing=()) for r in registry.records),
        people=tuple(dataclasses.replace(p, layout=(), spacing=()) for p in registry.people),
        head_layout=(),
        processing_instructions=(),
        spacing=(),
    )


def test_a_registry_without_layout_is_written_in_ianas_layout(current_registry: Registry) -> None:
    written = write_bytes(_bare(current_registry))
    lines = written.decode("utf-8").split("\n")
    assert written.startswith(DECLARATION)
    assert lines[1:4] == [
        '<?xml-stylesheet type="text/xsl" href="service-names-port-numbers.xsl"?>',
        '<?xml-model href="service-names-port-numbers.rng" schematypens="http://relaxng.org/ns/structure/1.0" ?>',
        f'<registry xmlns="{NS}" id="service-names-port-numbers">',
    ]
    assert lines[4:7] == [
        "  <title>Service Name and Transport Protocol Port Number Registry</title>",
        "  <category>Service Names and Transport Protocol Port Numbers</category>",
        "  <updated>2024-03-18</updated>",
    ]
    assert "\n  <record>\n    <protocol>tcp</protocol>\n    <xref type=\"person\" data=\"Jon_Postel\"/>\n" in written.decode()
    assert "\n  <people>\n    <person id=\"_88solutions_Corporation\">\n      <org>" in written.decode()
    assert written.endswith(b"  </people>\n</registry>\n")
    assert xml.read(written) == current_registry


def test_a_record_whose_layout_no_longer_fits_is_written_in_the_default_order(current_registry: Registry) -> None:
    http = next(r for r in current_registry.records if r.name == "http")
    changed = dataclasses.replace(http, service_code="42", references=http.references[:1])
    registry = dataclasses.replace(current_registry, records=(changed,), people=())
    text = write_bytes(registry).decode()
    assert (
        '  <record updated="2021-10-01">\n    <name>http</name>\n    <protocol>tcp</protocol>\n'
        "    <assignee>\n      <xref type=\"person\" data=\"IESG\"/>\n    </assignee>\n"
        '    <xref type="person" data="IETF_Chair"/>\n    <description>World Wide Web HTTP</description>\n'
        "    <number>80</number>\n    <note>Defined TXT keys: u=&lt;username&gt; p=&lt;password&gt; "
        "path=&lt;path to document&gt;</note>\n    <sc>42</sc>\n  </record>\n"
    ) in text
    assert xml.read(write_bytes(registry)).records == (changed,)


def test_markup_characters_are_escaped_and_come_back() -> None:
    tricky = 'a < b && c > "d" \'e\' \r\n\tf'
    registry = Registry(
        title=tricky,
        records=(Record(name="x", description=Text((tricky, BR, Reference("uri", 'https://e.org/?a=1&b="2"', tricky))),
                        registered='2020 "x" <&>\n\t'),),  # fmt: skip
        people=(Person("p", name=tricky, uris=("mailto:a&b.org",)),),
    )
    assert xml.read(write_bytes(registry)) == registry


def test_characters_xml_cannot_carry_are_refused_when_writing() -> None:
    registry = Registry(title="t", records=(Record(name="bell\x07"),))
    with pytest.raises(FormatError, match="U\\+0007"):
        write_bytes(registry)


def test_the_format_registry_finds_this_module(current_registry: Registry, current_xml_bytes: bytes) -> None:
    from portreg import formats

    assert formats.detect(current_xml_bytes) == "xml"
    assert formats.to_bytes(current_registry, "xml") == current_xml_bytes
    assert (xml.MEDIA_TYPE, xml.EXTENSION) == ("application/xml", "xml")


# --------------------------------------------------------------------------- bad input

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ROOT = b'<registry xmlns="http://www.iana.org/assignments" id="service-names-port-numbers">\n'


def registry_with(body: bytes) -> bytes:
    return HEAD + ROOT + b"  <title>t</title>\n" + body + b"</registry>\n"


def read_error(data: bytes, source: str = "bad.xml") -> FormatError:
    with pytest.raises(FormatError) as caught:
        xml.read(data, source=source)
    error = caught.value
    assert str(error).startswith(f"{source}:"), str(error)
    assert "\n" not in str(error)
    return error


BILLION_LAUGHS = (
    HEAD
    + b'<!DOCTYPE registry [\n<!ENTITY lol "lol">\n'
    + b"".join(b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>\n"
    + ROOT
    + b"<title>&lol9;</title>\n</registry>\n"
)


def test_malformed_xml_names_the_line() -> None:
    error = read_error(registry_with(b"  <record>\n    <name>http</name>\n  </recrod>\n"))
    assert error.line == 6 and "not well-formed" in error.message


def test_a_truncated_file_names_the_line(current_xml_bytes: bytes) -> None:
    cut = current_xml_bytes[: len(current_xml_bytes) // 2]
    error = read_error(cut)
    assert error.line == cut.count(b"\n") + 1
    assert "truncated" in error.message


def test_binary_garbage_is_refused() -> None:
    error = read_error(bytes(range(256)) * 64)
    assert "binary" in error.message
    error = read_error(b"\x89PNG\r\n\x1a\n" + bytes(range(1, 256)) * 8)
    assert "not well-formed" in error.message and error.line == 1


def test_an_entity_bomb_is_refused_before_parsing() -> None:
    error = read_error(BILLION_LAUGHS)
    assert error.line == 2 and "DOCTYPE" in error.message


def test_an_entity_bomb_in_utf16_is_refused_too() -> None:
    wide = BILLION_LAUGHS.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode("ascii").encode("utf-16")
    error = read_error(wide)
    assert "entity" in error.message.lower() or "DOCTYPE" in error.message


def test_an_external_entity_never_reads_the_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("PORTREG-SECRET-31337")
    for target in (secret.as_uri(), "/etc/passwd", "file:///etc/passwd"):
        data = HEAD + f'<!DOCTYPE registry [<!ENTITY x SYSTEM "{target}">]>\n'.encode() + ROOT + b"<title>&x;</title></registry>"
        error = read_error(data)
        assert "DOCTYPE" in error.message and "SECRET" not in str(error) and "root:" not in str(error)


def test_an_external_entity_or_dtd_never_touches_the_network() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x"
    try:
        for doctype in (f'<!DOCTYPE registry [<!ENTITY x SYSTEM "{url}">]>', f'<!DOCTYPE registry SYSTEM "{url}">'):
            error = read_error(HEAD + doctype.encode() + b"\n" + ROOT + b"<title>&x;</title></registry>")
            assert "DOCTYPE" in error.message
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()


def test_xinclude_is_not_followed() -> None:
    body = b'  <record><description><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/></description></record>\n'
    error = read_error(registry_with(body))
    assert error.line == 4 and "XInclude}include" in error.message


def test_a_document_that_is_not_a_registry() -> None:
    error = read_error(HEAD + b"<html><body>hello</body></html>\n")
    assert error.line == 2 and "not a port registry" in error.message and "<html>" in error.message
    error = read_error(HEAD + b'<registry xmlns="http://example.org/other"><title>t</title></registry>\n')
    assert "not a port registry" in error.message


def test_a_non_numeric_port_names_line_and_field() -> None:
    error = read_error(registry_with(b"  <record>\n    <name>www</name>\n    <number>eighty</number>\n  </record>\n"))
    assert (error.line, error.field) == (6, "number")
    assert str(error) == "bad.xml:6: number: not a port or port range: 'eighty'"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (b"  <record>\n    <number>70000</number>\n  </record>\n", 5, "ports run from 0 to 65535"),
        (b"  <record>\n    <number>90-80</number>\n  </record>\n", 5, "not a port or port range"),
        (b"  <record>\n    <nmae>x</nmae>\n  </record>\n", 5, "unexpected element <nmae> in <record>"),
        (b'  <record flag="1">\n  </record>\n', 4, "unexpected attribute 'flag' on <record>"),
        (b'  <record>\n    <xref type="rfc" data="rfc1" rel="x"/>\n  </record>\n', 5, "unexpected attribute 'rel' on <xref>"),
        (b'  <record>\n    <xref data="rfc1"/>\n  </record>\n', 5, "an <xref> without a type"),
        (b"  <record>\n    loose text\n    <name>x</name>\n  </record>\n", 4, "unexpected text 'loose text' in <record>"),
        (b"  <record>\n    <name>x</name>\n    <name>y</name>\n  </record>\n", 6, "a second <name> in one <record>"),
        (b"  <record>\n    <name>x<b>y</b></name>\n  </record>\n", 5, "unexpected element <b> in <name>"),
        (b"  <record>\n    <description>a<script/>b</description>\n  </record>\n", 5, "unexpected element <script> in <description>"),
        (b'  <record>\n    <assignee>\n      <person id="x"/>\n    </assignee>\n  </record>\n', 6, "unexpected element <person> in <assignee>"),
        (b"  <people>\n    <person>\n    </person>\n  </people>\n", 5, "a <person> without an id"),
        (b'  <people>\n    <person id="a">\n      <email>x</email>\n    </person>\n  </people>\n', 6, "unexpected element <email> in <person>"),
        (b"  <footnote>x</footnote>\n", 4, "a <footnote> without an anchor"),
        (b"  <version>1</version>\n", 4, "unexpected element <version> in <registry>"),
        (b"  <?php echo 1 ?>\n", 4, "unexpected processing instruction in <registry>"),
    ],
    ids=["port-out-of-range", "port-range-backwards", "unknown-element", "unknown-attribute", "unknown-xref-attribute",
         "xref-without-type", "stray-text", "repeated-name", "element-in-name", "element-in-description",
         "non-xref-in-assignee", "person-without-id", "unknown-person-field", "footnote-without-anchor",
         "unknown-head-element", "processing-instruction-inside"],
)  # fmt: skip
def test_structure_the_model_cannot_hold_is_an_error_not_a_loss(body: bytes, line: int, message: str) -> None:
    error = read_error(registry_with(body))
    assert error.line == line and message in error.message, str(error)


def test_empty_input() -> None:
    assert read_error(b"").message == "the input is empty"
    assert read_error(b" \n\t").message == "the input is empty"


def test_deep_nesting_is_refused_by_the_parser_limits() -> None:
    error = read_error(registry_with(b"<note>" * 100_000))
    assert "depth" in error.message.lower()


SMALL = registry_with(
    b'  <record date="2020-01-02" updated="2021-03-04">\n    <name>www</name>\n    <protocol>tcp</protocol>\n'
    b'    <assignee>\n      <xref type="person" data="p"/>\n    </assignee>\n'
    b"    <description>a<br/>b &amp; c</description>\n    <number>80-81</number>\n"
    b'    <note>\n      <paragraph>x <xref type="rfc" data="rfc1"/></paragraph>\n    </note>\n  </record>\n'
    b'  <footnote anchor="1">f</footnote>\n  <people>\n    <person id="p">\n      <name>P</name>\n'
    b"      <uri>mailto:p&amp;example.org</uri>\n    </person>\n  </people>\n"
)


def test_the_small_document_round_trips() -> None:
    assert write_bytes(xml.read(SMALL)).endswith(SMALL[len(HEAD) :])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SMALL) - 1), st.integers(0, 3), st.binary(max_size=3)), min_size=1, max_size=4))
def test_any_damaged_document_reads_or_fails_with_a_format_error(edits: list[tuple[int, int, bytes]]) -> None:
    """Bytes cut, replaced or inserted anywhere: a registry or one FormatError, nothing else."""
    data = bytearray(SMALL)
    for at, cut, insert in edits:
        data[at : at + cut] = insert
    plain = plain_or_none(bytes(data))
    try:
        registry = xml.read(bytes(data), source="damaged.xml")
    except FormatError as error:
        assert str(error).startswith("damaged.xml") and "\n" not in str(error)
        assert plain is None, "the plain-form reader read what lxml refuses"
    else:
        assert xml.read(write_bytes(registry)) == registry
        if plain is not None:
            assert everything(plain) == everything(_xml_tree.read(bytes(data)))


# --------------------------------------------------------------------------- the two readers


def test_ianas_file_is_read_without_lxml(current_xml_bytes: bytes, current_registry: Registry) -> None:
    assert everything(_xml_plain.read(current_xml_bytes)) == everything(_xml_tree.read(current_xml_bytes))
    script = "import sys; from portreg.formats import xml; xml.read(sys.stdin.buffer.read()); print('lxml' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], input=current_xml_bytes, capture_output=True, check=True)
    assert done.stdout == b"False\n"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<title>t</title>", b"<title>t</title><!-- a comment -->"),
        (b"<name>www</name>", b"<name><![CDATA[www]]></name>"),
        (b"<name>www</name>", b"<name>w&#119;w</name>"),
        (b'<xref type="person" data="p"/>', b"<xref type='person' data='p'/>"),
        (b'<xref type="person" data="p"/>', b'<xref data="p" type="person"/>'),
        (b'<xref type="person" data="p"/>', b'<xref type="person" data="p" />'),
        (b"<number>80-81</number>", b"<number >80-81</number>"),
        (b"b &amp; c", b"b &amp; c &gt; d"),
        (b"\n", b"\r\n"),
        (b'<?xml version="1.0" encoding="UTF-8"?>', b"\xef\xbb\xbf<?xml version='1.0' encoding='utf-8' standalone='yes'?>"),
        (b"<people>", b'<people xmlns="http://www.iana.org/assignments">'),
    ],
    ids=["comment", "cdata", "character-reference", "single-quotes", "attribute-order", "space-in-tag",
         "space-in-end-tag", "raw-greater-than", "crlf", "bom-and-standalone", "namespace-again"],
)  # fmt: skip
def test_xml_outside_the_plain_form_is_read_by_lxml(old: bytes, new: bytes) -> None:
    """Legal XML the plain-form reader leaves to lxml reads as its plain equivalent."""
    assert old in SMALL
    equivalent = SMALL.replace(old, new)
    data = equivalent.replace(b"&gt;", b">")  # (">" may stand for itself in text)
    with pytest.raises(_xml_plain.Unusual):
        _xml_plain.read(data)
    assert everything(xml.read(data)) == everything(_xml_tree.read(data))
    assert xml.read(data) == xml.read(equivalent if b"&gt;" in new else SMALL)

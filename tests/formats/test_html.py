"""The HTML format: IANA's page, standalone and well formed, every registry string escaped."""

from __future__ import annotations

import html as stdhtml
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import unquote

import pytest
from hypothesis import given, settings

from portreg.formats import html
from portreg.model import BR, Footnote, Note, Paragraph, Person, PortRange, Record, Reference, Registry, Text

from tests.support.strategies import registries

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: Elements a standalone page without scripts or outside resources must not have.
FORBIDDEN = {"script", "link", "img", "iframe", "object", "embed", "base", "form", "input", "audio", "video", "source"}


class Page(HTMLParser):
    """Checks structure while parsing: tags nest and close, ids are unique, nothing is
    loaded from elsewhere; collects what the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: dict[str, int] = {}
        self.data: list[str] = []
        self.doctype = None
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed: {self.stack}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in FORBIDDEN:
            self.problems.append(f"<{tag}> in a standalone page")
        attrs_d = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name in ("src", "style"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "id":
                self.ids.append(value or "")
        if tag == "a":
            self.links.append(attrs_d.get("href") or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.data.append(data)

    @property
    def text(self) -> str:
        return "".join(self.data)

    def check(self) -> Page:
        assert self.doctype and self.doctype.lower() == "doctype html"
        assert not self.problems, self.problems[:5]
        assert len(self.ids) == len(set(self.ids)), "duplicate ids"
        assert all(self.ids), "empty id"
        local = {unquote(h[1:]) for h in self.links if h.startswith("#")}
        assert local <= set(self.ids), f"links to nowhere: {sorted(local - set(self.ids))[:5]}"
        for href in self.links:
            assert href.startswith(("#", "https://", "http://", "ftp://")) or "/" not in href, href
        return self


def _render(registry: Registry) -> str:
    out = BytesIO()
    html.write(registry, out)
    return out.getvalue().decode("utf-8")


HOSTILE = Registry(
    title="Ports <&> \"registry\"",
    updated="2024-03-18",
    references=(Reference("rfc", "rfc6335"),),
    expert="TCP/UDP: Joe Touch; Eliot Lear, \nJana Iyengar\nSCTP: Michael Tuexen\nDCCP: Eddie Kohler",
    notes=(
        Note(Text(("\nService names, see ", Reference("rfc", "rfc6335"), ".\n\n*  PLEASE NOTE  *\n\n"))),
        Note(Text(("\n  ", Reference("uri", "https://www.iana.org/protocols/apply"), "\n\n")), "Request an Assignment"),
    ),
    footnotes=(Footnote("1", Text(("Only for <experiments>.",))),),
    records=(
        Record(
            name="evil<script>",
            port=PortRange(6000, 6063),
            transport="tcp",
            description=Text(("<script>alert(1)</script>", BR, "u=<username> & more")),
            assignee=(Reference("person", 'Jo "q" <b>'),),
            references=(
                Reference("person", "Ann"),
                Reference("rfc", "rfc9110"),
                Reference("draft", "draft-ietf-x-y-01"),
                Reference("uri", "javascript:alert(1)"),
                Reference("uri", "https://example.org/a?b=1&c=<2>", "TR-352"),
                Reference("text", None, "n/a <x>"),
                Reference("note", "1"),
            ),
            registered="2005-08",
            notes=Text((Paragraph(("Defined TXT keys: ", Reference("person", "Ann"))), "\n  ", Paragraph(("p=<password>",)))),
            unauthorized=Text(("used by <img src=x onerror=alert(1)>",)),
            service_code="1145656131",
        ),
        Record(port=PortRange(0, 0), transport="udp", description=Text(("Reserved",))),
    ),
    people=(
        Person('Jo "q" <b>', name="Jo <Doe>", uris=("mailto:jo&example.org", "javascript:alert(1)")),
        Person("Ann", org="Org & Co", updated="2020-01"),
        Person("Unreferenced", name="Nobody"),
    ),
)


def test_every_registry_string_is_escaped_and_nothing_runs() -> None:
    page = Page(_render(HOSTILE)).check()
    assert page.tags.get("script", 0) == 0 and page.tags.get("img", 0) == 0
    text = page.text
    for shown in ("<script>alert(1)</script>", "u=<username> & more", "p=<password>", "used by <img src=x onerror=alert(1)>",
                  "Jo <Doe>", "[n/a <x>]", "Only for <experiments>.", "evil<script>", 'Ports <&> "registry"'):
        assert shown in text, shown
    assert "javascript:" not in " ".join(page.links)
    assert "[javascript:alert(1)]" in text  # shown, not linked


def test_links_follow_iana() -> None:
    page = Page(_render(HOSTILE)).check()
    assert "https://www.iana.org/go/rfc9110" in page.links
    assert "https://www.iana.org/go/rfc6335" in page.links
    assert "https://www.iana.org/go/draft-ietf-x-y-01" in page.links
    assert "https://example.org/a?b=1&c=%3C2%3E" in page.links
    assert "https://www.iana.org/protocols/apply" in page.links
    assert "#footnote-1" in page.links and "#Ann" in page.links
    assert [h for h in page.links if not h.startswith(("#", "http"))] == [
        "service-names-port-numbers.csv", "service-names-port-numbers.xml",
        "service-names-port-numbers.html", "service-names-port-numbers.txt",
    ]


def test_head_shows_what_iana_shows() -> None:
    source = _render(HOSTILE)
    page = Page(source).check()
    text = page.text
    for heading in ("Last Updated", "Expert(s)", "Reference", "Note", "Request an Assignment", "Available Formats"):
        assert f"<dt>{heading}</dt>" in source
    assert "TCP/UDP: Joe Touch; Eliot Lear, Jana Iyengar<br>SCTP: Michael Tuexen<br>DCCP: Eddie Kohler" in source
    assert "*  PLEASE NOTE  *" in text  # pre-formatted note keeps its spaces
    assert [label for label in ("CSV", "XML", "HTML", "Plain text") if f">{label}</a>" in source] == ["CSV", "XML", "HTML", "Plain text"]


def test_records_table_has_ianas_twelve_columns_and_cells() -> None:
    table = html.render_table(HOSTILE.records)
    page = Page("<!DOCTYPE html>" + table)
    assert not page.problems
    assert page.tags["th"] == 12 and page.tags["tr"] == 3
    headers = table[table.index("<thead>") : table.index("</thead>")]
    assert [stdhtml.unescape(h.split("</th>")[0]) for h in headers.split("<th>")[1:]] == list(html.COLUMNS)
    row = html.record_cells(HOSTILE.records[0])
    assert row[1] == "6000-6063" and row[6] == "2005-08" and row[9] == "1145656131"
    assert row[4] == '[<a href="#Jo_%22q%22_%3Cb%3E">Jo &quot;q&quot; &lt;b&gt;</a>]'
    assert row[5] == '[<a href="#Ann">Ann</a>]'
    assert row[3] == "&lt;script&gt;alert(1)&lt;/script&gt;<br>u=&lt;username&gt; &amp; more"
    assert row[8].startswith('[<a href="https://www.iana.org/go/rfc9110">RFC9110</a>]')
    assert "[<a href=\"https://example.org/a?b=1&amp;c=%3C2%3E\">TR-352</a>]" in row[8]
    assert row[11].startswith("<p>Defined TXT keys: [<a href=\"#Ann\">Ann</a>]</p>")


def test_contact_table_lists_the_people_referenced() -> None:
    source = _render(HOSTILE)
    contacts = source[source.index('<table id="table-people">') :]
    assert 'id="Ann"' in contacts and 'id="Jo_&#34;q&#34;_&lt;b&gt;"' in contacts
    assert "Unreferenced" not in contacts
    assert "<th>ID</th><th>Name</th><th>Organization</th><th>Contact URI</th><th>Last Updated</th>" in contacts
    assert "mailto:jo&amp;example.org<br>javascript:alert(1)</td>" in contacts  # URIs are text, never links


def test_rows_alone_and_the_environment_are_reusable() -> None:
    rows = html.render_rows(HOSTILE.records[1:])
    assert rows.count("<tr>") == 1 and "<td>Reserved</td>" in rows
    env = html.environment()
    assert env.autoescape is True or env.autoescape(None) is True
    page = env.from_string(
        '{% import "registry_macros.html" as m %}<!DOCTYPE html><html><head><title>x</title>{{ m.style() }}</head>'
        "<body>{{ m.head(r, []) }}{{ m.records_table(r.records[:1], id='mine') }}{{ m.contacts_table(r.people[1:2]) }}</body></html>"
    ).render(r=HOSTILE)
    parsed = Page(page)
    assert not parsed.problems and "mine" in parsed.ids
    assert "&lt;script&gt;" in page and "<script>" not in page


def test_media_type_and_extension() -> None:
    assert html.MEDIA_TYPE == "text/html; charset=utf-8" and html.EXTENSION == "html"


@settings(max_examples=40, deadline=None)
@given(registries())
def test_any_registry_renders_a_well_formed_page_showing_its_text(registry: Registry) -> None:
    page = Page(_render(registry)).check()
    text = page.text
    for record in registry.records:
        for value in (record.name, record.transport, record.registered, record.service_code):
            if value:
                assert value in text
        if record.description:
            for part in record.description.parts:
                if isinstance(part, str) and part.strip():
                    assert part.strip() in text


# --------------------------------------------------------------------------- the real registry


def test_the_real_registry_renders_a_well_formed_page(current_registry: Registry) -> None:
    source = _render(current_registry)
    page = Page(source).check()
    records = source[source.index('<table id="table-records">') : source.index("</table>")]
    assert records.count("<tr>") == 14444 + 1
    assert page.tags["tr"] == 14444 + 1 + len(current_registry.referenced_people()) + 1
    assert "u=&lt;username&gt;" in source
    assert source.count("[<a href=\"https://www.iana.org/go/rfc6335\">RFC6335</a>]") >= 7
    assert "<dd>TCP/UDP: Joe Touch; Eliot Lear, Kumiko Ono, Wes Eddy, Brian Trammell, Jana Iyengar, and Michael Scharf<br>SCTP: Michael Tuexen<br>DCCP: Eddie Kohler and Yoshifumi Nishida</dd>" in source
    assert '<dt id="footnote-1">[1]</dt>' in source

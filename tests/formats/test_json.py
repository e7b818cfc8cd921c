"""The JSON format: the documented shape, exact round trips, errors that name their path."""

from __future__ import annotations

import json as stdjson
from importlib import resources

import pytest
from hypothesis import given, settings

from portreg.errors import FormatError
from portreg.formats import json as pjson
from portreg.formats import to_bytes
from portreg.model import BR, Footnote, Note, Paragraph, Person, PortRange, Record, Reference, Registry, Text

from tests.support.data import history_versions
from tests.support.strategies import beyond_equality, registries


@pytest.fixture(scope="module")
def schema() -> dict:
    return stdjson.loads(resources.files("portreg.formats").joinpath("registry.schema.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def validator(schema):
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def current_json(current_registry) -> bytes:
    return _dump(current_registry)


def _dump(registry: Registry) -> bytes:
    return to_bytes(registry, "json")


RICH = Registry(
    title="Test registry",
    updated="2024-03-18",
    references=(Reference("rfc", "rfc6335"),),
    expert="TCP/UDP: A, \nB\nSCTP: C",
    notes=(
        Note(Text(("\nSee ", Reference("rfc", "rfc6335"), ".\n\n*  box  *\n"))),
        Note(Text(("\n  ", Reference("uri", "https://www.iana.org/protocols/apply"), "\n\n")), "Request an Assignment"),
    ),
    footnotes=(Footnote("1", Text(("Only for experiments.",))),),
    records=(
        Record(
            name="whoispp",
            port=PortRange.parse("63"),
            transport="tcp",
            description=Text(("whois++", BR, BR, "\nIANA assigned <this>",)),
            assignee=(Reference("person", "Jo"),),
            references=(Reference("person", "Jo"), Reference("rfc", "rfc1"), Reference("note", "1")),
            registered="2005-08",
            modified="2017-06-05",
            notes=Text((
                Paragraph(("Defined TXT keys: u=<username>",)),
                "\n      ",
                Paragraph(("see ", Reference("uri", "https://x.example/TR-352.pdf", "TR-352"))),
            )),
            unauthorized=Text(("Known <script>alert(1)</script> use",)),
            service_code="1145656131",
            layout=("name", "protocol", "assignee", "xref", "description", "number", "xref", "xref", "note", "unauthorized", "sc"),
            spacing=("\n  ", "\n\t", "\n    ", "", "\n      ", " \n    ", "\n    ", "\n", "\n    ", "\n    ", "\n    ", "\n    ", "\n    ", "\n    ", "\n  "),
        ),
        Record(port=PortRange.parse("4748-4748"), description=Text(("Unassigned",)), layout=("number", "description")),
        Record(name="only-a-name", description=Text(()), notes=Text(("a", "b"))),
    ),
    people=(Person("Jo", name="Jo Doe", org="Org", uris=("mailto:jo&example.org", "https://jo.example"), updated="2020-01", layout=("org", "name", "uri", "uri", "updated")),),
    head_layout=("title", "updated", "xref", "expert", "note", "note"),
    processing_instructions=('xml-stylesheet type="text/xsl" href="x.xsl"',),
    spacing=("\n  ",) * 7 + ("\n\n  ", "\n  ", "\n"),
)


def test_a_registry_with_every_kind_of_node_round_trips_exactly(validator) -> None:
    data = _dump(RICH)
    validator.validate(stdjson.loads(data))
    back = pjson.read(data)
    assert back == RICH
    assert beyond_equality(back) == beyond_equality(RICH)
    assert str(back.records[1].port) == "4748-4748"  # the written form survives
    assert _dump(back) == data


def test_records_are_pleasant_objects() -> None:
    doc = stdjson.loads(_dump(RICH))
    first, ranged, name_only = doc["records"]
    assert first["port"] == "63" and first["port_low"] == first["port_high"] == 63
    assert first["description"] == ["whois++", {"br": True}, {"br": True}, "\nIANA assigned <this>"]
    assert first["unauthorized"] == "Known <script>alert(1)</script> use"  # plain text is a plain string
    assert first["notes"][2] == {"paragraph": ["see ", {"xref": {"type": "uri", "data": "https://x.example/TR-352.pdf", "text": "TR-352"}}]}
    assert (ranged["port"], ranged["port_low"], ranged["port_high"]) == ("4748-4748", 4748, 4748)
    assert (name_only["port"], name_only["port_low"], name_only["transport"]) == (None, None, None)
    assert name_only["description"] == [] and name_only["notes"] == ["a", "b"]
    assert list(first) == [
        "name", "port", "port_low", "port_high", "transport", "description", "assignee", "references",
        "registered", "modified", "notes", "unauthorized", "service_code", "xml",
    ]
    assert first["xml"]["layout"][:3] == ["name", "protocol", "assignee"] and first["xml"]["spacing"][1] == "\n\t"
    assert "xml" not in name_only  # nothing only XML needs: no key
    assert doc["xml"]["processing_instructions"] == ['xml-stylesheet type="text/xsl" href="x.xsl"']


def test_one_record_per_line() -> None:
    lines = _dump(RICH).decode().splitlines()
    assert sum(line.startswith('    {"name"') for line in lines) == len(RICH.records)


def test_every_schema_property_is_described(schema) -> None:
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if "description" not in sub:
                    missing.append(f"{path}.{name}")
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(schema, "$")
    assert not missing
    assert all("description" in d for d in schema["$defs"].values())


#: Errors the reader finds that a JSON Schema cannot express (values that must agree).
READER_ONLY = {"records[0].port_low"}


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"records": []}, "title", "is required"),
        ({"title": 7}, "title", "expected a string"),
        ({"title": "t", "records": [{}] * 12 + [{"port": "80-x"}]}, "records[12].port", "expected a port"),
        ({"title": "t", "records": [{"port": "70000"}]}, "records[0].port:range", "0-65535"),
        ({"title": "t", "records": [{"port": "90-80"}]}, "records[0].port:range", "0-65535"),
        ({"title": "t", "records": [{"port": "80", "port_low": 81}]}, "records[0].port_low", "is 81"),
        ({"title": "t", "records": [{"port_high": 80}]}, "records[0].port_high", "port is null"),
        ({"title": "t", "records": [{"port_low": "80", "port": "80"}]}, "records[0].port_low", "expected an integer"),
        ({"title": "t", "records": [{"prot": "tcp"}]}, "records[0].prot", "unknown key"),
        ({"title": "t", "records": [{"xml": {"layout": ["name"], "spaces": []}}]}, "records[0].xml.spaces", "unknown key"),
        ({"title": "t", "xml": {"spacing": "\n"}}, "xml.spacing", "expected a list"),
        ({"title": "t", "records": [{"notes": [{"bold": "x"}]}]}, "records[0].notes[0]", '{"br": true}'),
        ({"title": "t", "records": [{"notes": [{"paragraph": [{"br": 1}]}]}]}, "records[0].notes[0].paragraph[0].br", "expected true"),
        ({"title": "t", "records": [{"description": 5}]}, "records[0].description", "list of text nodes"),
        ({"title": "t", "records": [{"references": [{"data": "x"}]}]}, "records[0].references[0].type", "is required"),
        ({"title": "t", "records": "none"}, "records", "expected a list"),
        ({"title": "t", "people": [{"id": "a", "uris": [None]}]}, "people[0].uris[0]", "expected a string"),
        ({"title": "t", "footnotes": [{"anchor": "1"}]}, "footnotes[0].text", "is required"),
        ({"title": "t", "format_version": 2}, "format_version", "not supported"),
        ([], "$", "expected an object"),
    ],
)
def test_bad_documents_name_the_path_of_the_bad_field(doc, field, words, validator) -> None:
    field, _, check = field.partition(":")
    with pytest.raises(FormatError) as caught:
        pjson.read(stdjson.dumps(doc).encode(), source="in.json")
    assert caught.value.field == field
    assert words in caught.value.message
    assert str(caught.value).startswith(f"in.json: {field}: ")
    if field not in READER_ONLY and check != "range":
        assert not validator.is_valid(doc)  # the schema documents the same rule


def test_bad_json_and_bad_bytes_name_the_line() -> None:
    with pytest.raises(FormatError) as caught:
        pjson.read(b'{\n  "title": "t",\n  "records": [,]\n}', source="in.json")
    assert caught.value.line == 3 and str(caught.value).startswith("in.json:3: ")
    with pytest.raises(FormatError, match="not UTF-8"):
        pjson.read(b'{"title": "\xff"}')


def test_missing_keys_read_as_absent() -> None:
    registry = pjson.read(b'{"title": "t", "records": [{"name": "x", "port": "6000-6063"}]}')
    assert registry.records == (Record(name="x", port=PortRange(6000, 6063)),)
    assert registry.id == "service-names-port-numbers"


@settings(max_examples=40, deadline=None)
@given(registries(layouts=True))
def test_generated_registries_match_the_schema(validator, registry: Registry) -> None:
    validator.validate(stdjson.loads(_dump(registry)))


# --------------------------------------------------------------------------- the real registry


def test_the_real_registry_validates_against_the_schema(validator, current_json: bytes) -> None:
    errors = list(validator.iter_errors(stdjson.loads(current_json)))
    assert not errors, errors[:3]


def test_the_real_registry_round_trips_exactly(current_registry: Registry, current_json: bytes) -> None:
    back = pjson.read(current_json)
    assert back == current_registry
    assert beyond_equality(back) == beyond_equality(current_registry)
    assert [str(r.port) for r in back.records] == [str(r.port) for r in current_registry.records]
    assert len(back.records) == 14444 and len(back.people) == 5554


def test_xml_to_json_to_xml_gives_the_same_bytes(current_xml_bytes: bytes, current_json: bytes) -> None:
    assert to_bytes(pjson.read(current_json), "xml") == current_xml_bytes


def test_the_real_json_is_queryable(current_json: bytes) -> None:
    doc = stdjson.loads(current_json)
    http = [r for r in doc["records"] if r["port_low"] is not None and r["port_low"] <= 80 <= r["port_high"]]
    assert {(r["name"], r["transport"]) for r in http} >= {("http", "tcp"), ("http", "udp")}


@pytest.mark.slow
def test_published_versions_go_through_json_and_back_to_the_same_xml() -> None:
    """Every 68th of the 342 published versions, 2017 to 2024 (older quirks included)."""
    from portreg.formats import xml

    checked = []
    for count, (name, data) in enumerate(history_versions()):
        if count % 68 == 0:
            assert to_bytes(pjson.read(_dump(xml.read(data))), "xml") == data, name
            checked.append(name)
    assert len(checked) == 6

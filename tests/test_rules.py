"""RFC 6335 rules: the name syntax against the spec's regex, ABNF and prose; ranges;
record and port states, service codes and experts on the real registry."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portreg import rules
from portreg.errors import RuleViolation
from portreg.model import DYNAMIC, SYSTEM, USER, PortRange, Record, Text

# The regex of the implementation brief (docs: spec/rfc6335.md §1), used with fullmatch:
# with re.match its "$" would also accept a name followed by a newline.
SPEC_REGEX = re.compile(r"^(?=.{1,15}$)(?=.*[A-Za-z])[A-Za-z0-9](?:-?[A-Za-z0-9])*$")
# The RFC's non-normative ABNF, SRVNAME = *(1*DIGIT [HYPHEN]) ALPHA *([HYPHEN] ALNUM), plus §5.1's length.
ABNF = re.compile(r"(?:[0-9]+-?)*[A-Za-z](?:-?[A-Za-z0-9])*")

name_alphabet = st.sampled_from(list("aZ09-_.*+/ é\n\t") + ["A", "z", "5"])
names = st.one_of(st.text(name_alphabet, max_size=18), st.text(max_size=18))


def spec_says_valid(name: str) -> bool:
    return SPEC_REGEX.fullmatch(name) is not None


@given(names)
def test_name_syntax_matches_the_spec_regex_and_the_prose(name: str) -> None:
    valid = rules.is_valid_service_name(name)
    assert valid == spec_says_valid(name)
    assert valid == (rules.service_name_problems(name) == [])
    assert valid == (ABNF.fullmatch(name) is not None and 1 <= len(name) <= 15)


def test_name_syntax_exhaustively_on_short_names() -> None:
    for length in range(0, 7):
        for chars in itertools.product("a1-_", repeat=length):
            name = "".join(chars)
            assert rules.is_valid_service_name(name) == spec_says_valid(name), name
            assert (rules.service_name_problems(name) == []) == spec_says_valid(name), name


def test_name_length_edges() -> None:
    assert rules.is_valid_service_name("a" * 15)
    assert not rules.is_valid_service_name("a" * 16)
    assert rules.service_name_problems("a" * 16) == ["the name is 16 characters long; at most 15 are allowed"]
    assert not rules.is_valid_service_name("http\n")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("http", []),
        ("6000-6063", ["the name has no letter, so it could be mistaken for a port number"]),
        ("-http", ["the name starts with a hyphen"]),
        ("http-", ["the name ends with a hyphen"]),
        ("a--b", ["two hyphens in a row at position 2"]),
        ("sql*net", ["character '*' at position 4 is not allowed; use only letters A-Z and a-z, digits 0-9 and '-'"]),
        ("", ["the name is empty; a service name has 1 to 15 characters"]),
    ],
)
def test_name_problems_are_sentences_with_positions(name: str, expected: list[str]) -> None:
    assert rules.service_name_problems(name) == expected


def test_every_fault_is_told_at_once() -> None:
    problems = rules.service_name_problems("Apple Remote Desktop (Net Assistant)")
    assert problems[0].startswith("the name is 36 characters long")
    assert sum("is not allowed" in p for p in problems) == 6  # four spaces and two brackets


@given(st.from_regex(SPEC_REGEX, fullmatch=True))
def test_valid_names_are_their_own_replacement_and_never_legacy(name: str) -> None:
    assert rules.is_valid_service_name(name)
    assert rules.replacement_name(name) == name
    assert not rules.is_legacy_name(name)


@given(names, names)
def test_name_key_ignores_case_only(a: str, b: str) -> None:
    assert rules.name_key(a) == rules.name_key(a.upper()) == rules.name_key(a.lower())
    if a.isascii() and b.isascii():
        assert (rules.name_key(a) == rules.name_key(b)) == (a.lower() == b.lower())


@pytest.mark.parametrize(
    ("legacy", "replacement"),
    [
        ("sql*net", "sql-net"),
        ("z39.50", "z39-50"),
        ("EtherNet/IP-1", "EtherNet-IP-1"),
        ("acmaint_dbd", "acmaint-dbd"),
        ("whois++", "whoispp"),
        ("Escale (Newton Dock)", None),
    ],
)
def test_replacement_names_follow_section_10_1(legacy: str, replacement: str | None) -> None:
    assert rules.is_legacy_name(legacy)
    assert rules.replacement_name(legacy) == replacement


@pytest.mark.parametrize("name", ["", " http", "http ", "h\u00e9llo", "tab\there", "new\nline"])
def test_names_the_registry_never_held_are_not_legacy(name: str) -> None:
    assert not rules.is_valid_service_name(name)
    assert not rules.is_legacy_name(name)


def test_legacy_names_in_the_real_registry(current_registry) -> None:
    named = {r.name for r in current_registry.records if r.name}
    invalid = {n for n in named if not rules.is_valid_service_name(n)}
    keys = {rules.name_key(n) for n in named}
    # The spec says 100: it counts the empty <name/> of nine Reserved rows as a name.
    assert len(invalid) == 99
    assert all(rules.is_legacy_name(n) for n in invalid)
    unreplaced = {n for n in invalid if rules.name_key(rules.replacement_name(n) or "?") not in keys}
    assert unreplaced == {"Apple Remote Desktop (Net Assistant)", "Escale (Newton Dock)", "edi_service"}
    assert rules.replacement_name("edi_service") == "edi-service"
    # §10.1 says all the replaced names were 15 characters or fewer; the unreplaced two are not.
    assert {n for n in invalid if len(n) > 15} == {"Apple Remote Desktop (Net Assistant)", "Escale (Newton Dock)"}
    # No two names differ only in case.
    assert len(keys) == len(named)


# --------------------------------------------------------------------------------------
# Ranges


@pytest.mark.parametrize(
    ("port", "expected"),
    [(0, SYSTEM), (1023, SYSTEM), (1024, USER), (49151, USER), (49152, DYNAMIC), (65535, DYNAMIC)],
)
def test_range_class_edges(port: int, expected: str) -> None:
    assert rules.range_class(port) == expected


@pytest.mark.parametrize("port", [-1, 65536, 10**9])
def test_ports_outside_16_bits_are_a_rule_violation(port: int) -> None:
    with pytest.raises(RuleViolation, match=r"§6"):
        rules.range_class(port)


@given(st.integers(0, 65535), st.integers(0, 65535))
def test_range_classes_are_the_classes_of_its_ports(a: int, b: int) -> None:
    span = PortRange(min(a, b), max(a, b))
    expected = {rules.range_class(p) for p in (span.low, span.high, 1023, 1024, 49151, 49152) if p in span}
    assert set(rules.range_classes(span)) == expected
    assert list(rules.range_classes(span)) == sorted(expected, key=[SYSTEM, USER, DYNAMIC].index)


def test_assignment_procedures() -> None:
    assert rules.assignment_procedures(SYSTEM) == ("IETF Review", "IESG Approval")
    assert rules.assignment_procedures(USER) == ("IETF Review", "IESG Approval", "Expert Review")
    assert rules.assignment_procedures(DYNAMIC) == ()
    with pytest.raises(ValueError):
        rules.assignment_procedures("private")


def test_no_real_record_lies_in_the_dynamic_range(current_registry) -> None:
    ports = [r.port for r in current_registry.records if r.port is not None]
    assert max(p.high for p in ports) == 49151
    assert all(DYNAMIC not in rules.range_classes(p) for p in ports)


# --------------------------------------------------------------------------------------
# Record and port states


def row(description: str | None = None, name: str | None = None) -> Record:
    return Record(name=name, port=PortRange.single(4), transport="tcp", description=Text.of(description))


@pytest.mark.parametrize(
    ("description", "state"),
    [
        ("Unassigned", rules.UNASSIGNED),
        ("unassigned", rules.UNASSIGNED),
        ("Unassigned [was netstat]", rules.UNASSIGNED),
        ("(unassigned) Possibly assigned", rules.UNASSIGNED),
        ("Reserved", rules.RESERVED),
        ("IANA Reserved", rules.RESERVED),
        ("De-registered", rules.RESERVED),
        ("any private mail system", rules.RESERVED),
        (None, rules.RESERVED),
    ],
)
def test_nameless_rows(description: str | None, state: str) -> None:
    assert rules.record_state(row(description)) == state
    assert rules.record_state(row(description, name="")) == state


def test_named_rows_are_assigned() -> None:
    assert rules.record_state(row("Reserved", name="echo")) == rules.ASSIGNED


def test_record_states_on_the_real_registry(current_registry) -> None:
    records = current_registry.records
    states = Counter(rules.record_state(r) for r in records)
    # 12,761 rows have a name element; nine of them are empty (Reserved rows, ports 359,
    # 914, 915, 1301, 1302, 8077): a reader may give "" or None, both mean no name.
    assert sum(1 for r in records if r.name and r.name.strip()) == 12752
    assert states == {rules.ASSIGNED: 12752, rules.UNASSIGNED: 879, rules.RESERVED: 813}
    # Every nameless row that is not Unassigned says Reserved or records a past use.
    reserved_texts = {str(r.description) for r in records if rules.record_state(r) == rules.RESERVED}
    assert {"Reserved", "De-registered", "Removed", "any private mail system"} <= reserved_texts
    assert not any("unassigned" in t.lower() for t in reserved_texts)


@pytest.mark.parametrize(
    ("port", "transport", "state"),
    [
        (80, "tcp", rules.ASSIGNED),
        (0, "tcp", rules.RESERVED),
        (4, "udp", rules.UNASSIGNED),
        (1021, "sctp", rules.ASSIGNED),
        (1022, "dccp", rules.ASSIGNED),
        (7775, "tcp", rules.ASSIGNED),  # inetfs, inside the Unassigned row 7748-7776
        (7775, "udp", rules.RESERVED),
        (7760, "sctp", rules.UNASSIGNED),
        (8162, "udp", rules.RESERVED),
        (50000, "tcp", rules.UNASSIGNED),  # the dynamic range: no rows, never assigned
    ],
)
def test_port_states_on_the_real_registry(current_registry, port: int, transport: str, state: str) -> None:
    assert rules.port_state(current_registry.records, port, transport) == state


def test_port_state_needs_a_known_transport() -> None:
    with pytest.raises(ValueError):
        rules.port_state([], 80, "quic")


# --------------------------------------------------------------------------------------
# DCCP service codes


def test_the_real_service_codes(current_registry) -> None:
    codes = {r.name: r.service_code for r in current_registry.records if r.service_code}
    assert codes == {
        "discard": "1145656131",
        "ltp-deepspace": "7107696",
        "dtn-bundle": "1685351985",
        "dccp-ping": "1885957735",
    }
    ascii_forms = {name: rules.format_service_code(rules.parse_service_code(c), "ascii") for name, c in codes.items()}
    assert ascii_forms == {"discard": "SC:DISC", "ltp-deepspace": "SC:ltp", "dtn-bundle": "SC:dtn1", "dccp-ping": "SC:ping"}
    allocation = {name: rules.service_code_allocation(int(c)) for name, c in codes.items()}
    assert allocation == {
        "discard": "specification required",
        "ltp-deepspace": "first come first served",
        "dtn-bundle": "first come first served",
        "dccp-ping": "first come first served",
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1717858426", 1717858426),
        ("SC:fdpz", 1717858426),
        ("0x6664707A", 1717858426),
        ("0x6664707a", 1717858426),
        ("SC:ltp", 7107696),
        ("0", 0),
        ("4294967295", 0xFFFFFFFF),
    ],
)
def test_service_code_forms(text: str, value: int) -> None:
    assert rules.parse_service_code(text) == value


@pytest.mark.parametrize("text", ["", "4294967296", "-1", "SC:", "SC:toolong", "SC:\u00e9t\u00e9", "0x123456789", "fdpz", "12 34"])
def test_bad_service_codes(text: str) -> None:
    with pytest.raises(RuleViolation):
        rules.parse_service_code(text)


@given(st.integers(0, 0xFFFFFFFF))
def test_service_code_forms_round_trip(code: int) -> None:
    for form in ("decimal", "hex"):
        assert rules.parse_service_code(rules.format_service_code(code, form)) == code
    if rules.service_code_ascii(code) is not None:
        assert rules.parse_service_code(rules.format_service_code(code, "ascii")) == code
    else:
        with pytest.raises(RuleViolation):
            rules.format_service_code(code, "ascii")


@given(st.binary(min_size=4, max_size=4))
def test_service_code_allocation_classes(raw: bytes) -> None:
    code = int.from_bytes(raw, "big")
    allocation = rules.service_code_allocation(code)
    if code in (0, 0xFFFFFFFF):
        assert allocation == "reserved"
    elif raw[0] == ord("?"):
        assert allocation == "private use"
    elif all(b == 32 or 45 <= b <= 57 or 65 <= b <= 90 for b in raw):
        assert allocation == "specification required"
    else:
        assert allocation == "first come first served"


def test_service_code_edges() -> None:
    assert rules.is_reserved_service_code(0) and rules.is_reserved_service_code(0xFFFFFFFF)
    assert rules.is_private_service_code(0x3F000000) and rules.is_private_service_code(0x3FFFFFFF)
    assert not rules.is_private_service_code(0x40000000) and not rules.is_private_service_code(0x3EFFFFFF)
    assert rules.service_code_needs_specification(rules.parse_service_code("SC:RTPA"))
    assert rules.service_code_needs_specification(rules.parse_service_code("SC:A-1."))
    assert not rules.service_code_needs_specification(rules.parse_service_code("SC:fdpz"))
    assert rules.service_code_ascii(0) is None
    assert rules.service_code_ascii(0x41004141) is None  # a zero byte inside
    with pytest.raises(RuleViolation):
        rules.service_code_ascii(-1)


# --------------------------------------------------------------------------------------
# Experts

EXPECTED_EXPERTS = {
    "TCP/UDP": (
        "Joe Touch",
        "Eliot Lear",
        "Kumiko Ono",
        "Wes Eddy",
        "Brian Trammell",
        "Jana Iyengar",
        "Michael Scharf",
    ),
    "SCTP": ("Michael Tuexen",),
    "DCCP": ("Eddie Kohler", "Yoshifumi Nishida"),
}


def test_experts_of_the_real_registry(current_registry) -> None:
    assert "\n" in current_registry.expert  # its first group wraps onto a second line
    assert rules.experts_by_group(current_registry.expert) == EXPECTED_EXPERTS


def test_experts_when_the_line_breaks_are_lost() -> None:
    # As the registry page's text shows it (seed 000): one line, and a later group added.
    text = (
        "TCP/UDP: Joe Touch; Eliot Lear, Kumiko Ono, Wes Eddy, Brian Trammell, and Michael Scharf "
        "SCTP: Michael Tuexen DCCP: Eddie Kohler and Yoshifumi Nishida Service Codes: Eddie Kohler"
    )
    groups = rules.experts_by_group(text)
    assert groups["TCP/UDP"] == ("Joe Touch", "Eliot Lear", "Kumiko Ono", "Wes Eddy", "Brian Trammell", "Michael Scharf")
    assert groups["DCCP"] == EXPECTED_EXPERTS["DCCP"]
    assert groups["Service Codes"] == ("Eddie Kohler",)


def test_no_experts() -> None:
    assert rules.experts_by_group(None) == {}
    assert rules.experts_by_group("") == {}

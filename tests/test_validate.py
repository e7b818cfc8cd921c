"""``validate.check``: the real registry has only legacy findings; every breakage is an error."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from portreg.model import Footnote, Person, PortRange, Record, Reference, Registry, Text
from portreg.validate import ERROR, LEGACY, WARNING, Finding, check


def person(pid: str) -> Reference:
    return Reference("person", pid)


def record(name: str | None, port: int | str | None, transport: str | None, **kw) -> Record:
    if isinstance(port, int):
        port = PortRange.single(port)
    elif isinstance(port, str):
        port = PortRange.parse(port)
    return Record(name=name, port=port, transport=transport, description=Text.of(kw.pop("description", name)), **kw)


BASE = Registry(
    title="Service Name and Transport Protocol Port Number Registry",
    updated="2024-03-18",
    records=(
        record(None, 0, "tcp", description="Reserved"),
        record("http", 80, "tcp", references=(person("Tim"), Reference("rfc", "rfc9110"))),
        record("http", 80, "udp", references=(person("Tim"),)),
        record("www", 80, "tcp", registered="2005-08"),
        record("exp1", 1021, "dccp", references=(Reference("note", "1"),)),
        record("discard", 9, "dccp", service_code="1145656131", references=(Reference("rfc", "rfc4340"),)),
        record("dccp-ping", None, "dccp", service_code="SC:ping", registered="2012-11-14"),
        record(None, "1100-1200", None, description="Unassigned"),
        record("ssh", 22, "tcp"),
        record("ssh", None, "tcp", description="SSH Remote Login Protocol"),
    ),
    people=(Person("Tim", name="Tim Berners-Lee", updated="2012-02-03"),),
    footnotes=(Footnote("1", Text.of("experiments")),),
)


def codes(findings: list[Finding], severity: str | None = None) -> Counter[str]:
    return Counter(f.code for f in findings if severity is None or f.severity == severity)


def test_the_base_registry_is_clean() -> None:
    assert check(BASE) == []


def with_records(*extra: Record) -> Registry:
    return replace(BASE, records=BASE.records + extra)


@pytest.mark.parametrize(
    ("broken", "code"),
    [
        (with_records(record("foo bar\u00e9", 5000, "tcp")), "invalid-name"),
        (with_records(record(" padded", 5000, "tcp")), "invalid-name"),
        (with_records(record("HTTP", 80, "sctp")), "case-variant-name"),
        (with_records(record("http", 80, "tcp")), "duplicate-name"),
        (with_records(record("http", "70-90", "udp")), "duplicate-name"),
        (with_records(record("ssh", None, "tcp")), "duplicate-name"),
        (with_records(record("quic-x", 80, "quic")), "unknown-transport"),
        (with_records(record("big", 70000, "tcp")), "port-out-of-range"),
        (with_records(record("big", PortRange(-1, -1), "tcp")), "port-out-of-range"),
        (with_records(record("backwards", PortRange(6063, 6000), "tcp")), "reversed-range"),
        (with_records(record("ephemeral", 50000, "udp")), "dynamic-port"),
        (with_records(record("span", "49000-49200", "udp")), "dynamic-port"),
        (with_records(record("nobody", 5000, "tcp", references=(person("Ghost"),))), "dangling-person"),
        (with_records(record("nobody", 5000, "tcp", assignee=(person("Ghost"),))), "dangling-person"),
        (
            with_records(record("nobody", 5000, "tcp", notes=Text(("see ", person("Ghost"))))),
            "dangling-person",
        ),
        (replace(BASE, people=BASE.people * 2), "duplicate-person"),
        (with_records(record("foot", 5000, "tcp", references=(Reference("note", "2"),))), "dangling-footnote"),
        (with_records(record("dated", 5000, "tcp", registered="2024-13-01")), "bad-date"),
        (with_records(record("dated", 5000, "tcp", modified="2024-02-30")), "bad-date"),
        (with_records(record("dated", 5000, "tcp", registered="18 March 2024")), "bad-date"),
        (replace(BASE, updated="2024/03/18"), "bad-date"),
        (replace(BASE, people=(Person("Tim", updated="yesterday"),)), "bad-date"),
        (with_records(record("coded", 5000, "tcp", service_code="1685351985")), "service-code-without-dccp"),
        (with_records(record("coded", 5000, "dccp", service_code="lots")), "bad-service-code"),
        (with_records(record("coded", 5000, "dccp", service_code="0")), "bad-service-code"),
        (with_records(record("coded", 5000, "dccp", service_code="4294967295")), "bad-service-code"),
        (with_records(record("coded", 5000, "dccp", service_code="SC:?abc")), "bad-service-code"),
        (with_records(record("again", 5000, "dccp", service_code="1885957735")), "duplicate-service-code"),
        (with_records(record("again", 5000, "dccp", service_code="SC:ping")), "duplicate-service-code"),
    ],
)
def test_each_breakage_is_one_error(broken: Registry, code: str) -> None:
    findings = [f for f in check(broken) if f.severity != LEGACY]
    assert codes(findings) == {code: 1}, findings
    (finding,) = findings
    assert finding.severity == ERROR
    assert finding.message
    assert finding.record is not None or finding.subject


def test_findings_point_at_the_record() -> None:
    (finding,) = check(with_records(record("big", 70000, "tcp")))
    assert finding.record == len(BASE.records)
    assert finding.message == "big 70000/tcp: port 70000 is outside 0-65535"
    assert finding.section == "6"
    assert finding.as_dict()["code"] == "port-out-of-range"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (record("sql*net", 66, "tcp"), "legacy-name"),
        (record("rdp", None, None), "no-transport"),
        (record("boe-cms", 6400, None), "no-transport"),
        (record("http", 8080, "tcp"), "name-on-several-ports"),
        (record("aws-wsp", 4195, "dccp"), "dccp-without-service-code"),
        (record("inetfs", 1150, "tcp"), "overlaps-unassigned"),
    ],
)
def test_legacy_departures_are_legacy(extra: Record, code: str) -> None:
    findings = check(with_records(extra))
    assert codes(findings) == {code: 1}, findings
    assert findings[0].severity == LEGACY


def test_a_name_only_duplicate_without_transport_is_legacy() -> None:
    findings = check(with_records(record("rdp", None, None), record("rdp", None, None, description="Windows RDP")))
    assert codes(findings, LEGACY) == {"no-transport": 2, "duplicate-name": 1}
    assert codes(findings, ERROR) == {}


def test_a_code_that_needs_a_specification_but_cites_none_is_a_warning() -> None:
    findings = check(with_records(record("rtp-x", 5000, "dccp", service_code="SC:RTPX")))
    assert [(f.severity, f.code) for f in findings] == [(WARNING, "service-code-without-specification")]


def test_footnote_references_are_not_checked_without_footnotes() -> None:
    # IANA's CSV keeps "[1]" but not the footnote: a registry read from it has none.
    assert check(replace(BASE, footnotes=())) == []


def test_the_experimental_ports_need_no_service_code() -> None:
    assert check(with_records(record("exp2", 1022, "dccp"))) == []


def test_the_real_registry_has_only_legacy_findings(current_registry) -> None:
    findings = check(current_registry)
    assert codes(findings, ERROR) == {} and codes(findings, WARNING) == {}
    assert codes(findings, LEGACY) == {
        "legacy-name": 189,  # 99 distinct names, most on a tcp and a udp row
        "no-transport": 593,  # name-only rows from the registries §10.1 merged, and 16 old ranges
        "name-on-several-ports": 35,
        "dccp-without-service-code": 4,  # aws-wsp, avt-profile-1, avt-profile-2, syslog-tls
        "overlaps-unassigned": 4,  # 7775 and 7997, tcp and udp
        "duplicate-name": 1,  # rdp: Reliable Data Protocol and Windows Remote Desktop, name-only
    }
    assert len({f.subject for f in findings if f.code == "legacy-name"}) == 99
    assert {f.subject for f in findings if f.code == "dccp-without-service-code"} == {
        "aws-wsp",
        "avt-profile-1",
        "avt-profile-2",
        "syslog-tls",
    }
    edi = next(f for f in findings if f.subject == "edi_service")
    assert "'edi-service' is not registered" in edi.message


@pytest.mark.slow
def test_published_versions_have_errors_only_where_iana_had_them() -> None:
    """Every twentieth of the 342 versions (and the two around the fix): only dangling people.

    From 2017-03-10 to 2022-01-28 IANA's XML referred to people it did not define (13,
    then 5: ``Egon_Technologies_LLC``, ``None``, ``Cisco_systems_3``, ...); from
    2022-02-04 on it is clean. The 99 legacy names are the same in every version.
    """
    from tests.support.data import history_versions

    from portreg.formats import xml

    boundary = {"snpn-20220128.xml", "snpn-20220204.xml"}
    seen = 0
    for number, (name, data) in enumerate(history_versions()):
        if number % 20 and name not in boundary:
            continue
        seen += 1
        findings = check(xml.read(data, source=name))
        problems = codes(findings, ERROR) + codes(findings, WARNING)
        if name < "snpn-20220204.xml":
            assert set(problems) == {"dangling-person"}, (name, problems)
        else:
            assert problems == {}, (name, problems)
        assert len({f.subject for f in findings if f.code == "legacy-name"}) == 99, name
    assert seen >= 19

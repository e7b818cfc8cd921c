"""Local registries' requests: RFC 6335's process with the registry's own rules, on both databases.

A local registry ``acme`` sits on the small real registry (ports below 1500); its
requests are checked against its ranges, its exceptions and the upstream's rows,
reviewed by its own group and published into it, while the upstream's process and
answers stay as they were.
"""

from __future__ import annotations

from typing import Any

import pytest

from portreg.errors import Conflict, InvalidQuery, NotFound
from portreg.services import workflow as wf
from portreg.services.workflow import Account, local
from portreg.store import PortRange
from tests.support.workflow import ALICE, BOB, EVE, SAM, drive, template

#: An expert of acme's own review group (the group named after the registry).
ACE = Account(8, "ace@acme.example", "Ace Acme", frozenset({"expert"}), frozenset({"acme"}), True)


@pytest.fixture
def acme(wf_store: Any) -> Any:
    wf_store.registries.create(
        "acme", title="ACME Corp.", owns=(PortRange(20000, 20999), PortRange(1400, 1499, "tcp"), PortRange(50000, 50099))
    )
    return wf_store


def asked(**fields: Any) -> dict[str, Any]:
    """A request to acme: acme-sync on 20100, ``fields`` override."""
    return template(**{"registry": "acme", "service_name": "acme-sync", "port": 20100, **fields})


def errors(findings: list[Any]) -> list[tuple[str, str]]:
    return [(f.field, f.message) for f in findings if f.level == "error"]


def test_a_local_assignment_is_reviewed_by_its_group_and_published_into_its_registry(acme: Any) -> None:
    from portreg.services import accounts, mail

    store = acme
    assert accounts.create_account(store, email=ACE.email, name=ACE.name, roles={"expert"}, groups={"acme"}) == ACE
    filed = wf.file(store, ALICE, asked())
    assert (filed["registry"], filed["state"]) == ("acme", "new")
    routed = drive(store, filed["id"], (SAM, "validate"), (SAM, "route"))
    assert [r["group"] for r in routed["reviews"]] == ["acme"]
    to_experts = [m.subject for m in mail.outbox(store) if ACE.email in m.recipients]
    assert to_experts == [f"[portreg acme request #{filed['id']}] acme-sync: Expert Review"]
    assert EVE.email not in {r for m in mail.outbox(store) for r in m.recipients}
    with pytest.raises(NotFound):  # IANA's tcp-udp experts do not review acme's requests
        wf.act(store, EVE, filed["id"], "approve")
    assert [r["id"] for r in wf.list_requests(store, ACE, scope="queue")] == [filed["id"]]
    done = drive(store, filed["id"], (ACE, "approve"), (SAM, "assign"))
    assert done["state"] == "assigned" and done["published_version"] == 2

    acme_store = store.scoped("acme")
    assert acme_store.current_version().number == 2 and acme_store.version(2).source == f"request {filed['id']}"
    published = acme_store.records_at_port(20100)
    assert {(s.record.name, s.record.transport, s.source) for s in published} == {
        ("acme-sync", "tcp", "acme"),
        ("acme-sync", "udp", "acme"),
        (None, "sctp", "acme"),
        (None, "dccp", "acme"),
    }
    assert acme_store.person("Alice_Example") is not None
    first = acme_store.registry()  # acme's first version is a whole registry, titled as acme is
    assert first.title == "ACME Corp." and len(first.records) == 4 and first.updated == done["state_since"][:10]
    # The upstream is untouched: same version, nothing at 20100, no new person.
    assert store.current_version().number == 1 and store.records_at_port(20100) == []
    assert wf.verify(store).ok
    assert [r["id"] for r in wf.list_requests(store, SAM, registry="acme")] == [filed["id"]]
    assert wf.list_requests(store, SAM, registry="iana") == []


def test_a_port_outside_the_ranges_or_the_upstreams_is_refused_unless_excepted(acme: Any) -> None:
    store = acme
    found = wf.dry_run(store, ALICE, asked(port=21000))
    assert ("port", "port 21000/tcp is outside the ranges acme allocates from (1400-1499/tcp, 20000-20999, 50000-50099)") in errors(found)
    # 1400-1499 is acme's on tcp only.
    assert any("1433/udp is outside" in m for _, m in errors(wf.dry_run(store, ALICE, asked(port=1433))))
    refused = errors(wf.dry_run(store, ALICE, asked(port=1433, transports=["tcp"])))
    assert refused == [("port", "iana assigns 1433/tcp to 'ms-sql-s': acme never assigns it without a recorded exception")]
    with pytest.raises(wf.RequestRejected):
        wf.file(store, ALICE, asked(port=1433, transports=["tcp"]))

    local.add_exception(store, "acme", 1433, "tcp", "our SQL gateway has used it since 2009", actor="ops")
    with pytest.raises(Conflict):
        local.add_exception(store, "acme", 1433, "tcp", "again")
    found = wf.dry_run(store, ALICE, asked(port=1433, transports=["tcp"]))
    assert errors(found) == []
    assert any(f.level == "warning" and "exception: our SQL gateway" in f.message for f in found)
    filed = wf.file(store, ALICE, asked(port=1433, transports=["tcp"]))
    assert filed["port"] == 1433
    local.remove_exception(store, "acme", 1433, "tcp")
    with pytest.raises(Conflict, match="never assigns it without a recorded exception"):
        drive(store, filed["id"], (SAM, "validate"), (SAM, "route"), (ACE, "approve"))


def test_the_range_policy_is_the_registrys_ranges_and_nothing_goes_to_the_iesg(acme: Any) -> None:
    store = acme
    # A dynamic port IANA never assigns is acme's to give when it owns it.
    dynamic = wf.file(store, ALICE, asked(port=50010))
    assert errors(wf.dry_run(store, BOB, asked(service_name="other", port=50011))) == []
    assert not dynamic["data"].get("iesg")
    validated = drive(store, dynamic["id"], (SAM, "validate"))
    assert "route" in {n["action"] for n in validated["next"]}  # to acme's experts, not to the IESG
    assert errors(wf.dry_run(store, ALICE, asked(service_name="any-sync", port="system"))) == [
        ("port", 'acme assigns from its own ranges (1400-1499/tcp, 20000-20999, 50000-50099): name the port, '
         'or ask for "user" (any port of its ranges)')
    ]
    # The upstream still refuses it.
    assert ("port", "port 50010 is a dynamic port (49152-65535): never assigned") in errors(
        wf.dry_run(store, ALICE, template(port=50010))
    )


def test_names_are_one_namespace_with_the_upstream_and_holds_are_per_registry(acme: Any) -> None:
    store = acme
    assert any("iana assigns the name 'HTTP'" in m for _, m in errors(wf.dry_run(store, ALICE, asked(service_name="HTTP"))))
    upstream = wf.file(store, ALICE, template())  # an open upstream request holds frobnitz and 1491
    assert ("service_name", "an open request to iana holds the name 'frobnitz'") in errors(
        wf.dry_run(store, BOB, asked(service_name="frobnitz"))
    )
    mine = wf.file(store, ALICE, asked())
    assert ("port", "an open request holds port 20100/tcp; you may choose another port") in errors(
        wf.dry_run(store, BOB, asked(service_name="other-sync"))
    )
    # The upstream's checks never see a local hold: 20100 is free upstream.
    assert errors(wf.dry_run(store, BOB, template(service_name="bobsync", port=20100))) == []
    drive(store, mine["id"], (ALICE, "withdraw", {"reason": "not needed"}))
    assert errors(wf.dry_run(store, BOB, asked(service_name="other-sync"))) == []
    assert upstream["registry"] == "iana"


def test_a_registry_relaxes_some_checks_into_warnings_never_the_port_rules(acme: Any) -> None:
    store = acme
    loose = asked(service_name="acme_metrics_collector", justification=None, reference=None)
    refused = {field for field, _ in errors(wf.dry_run(store, ALICE, loose))}
    assert refused == {"service_name", "justification", "reference"}
    rules = local.set_rules(store, "acme", relax=["name-syntax", "justification", "reference"], actor="ops")
    assert rules.relaxed == {"name-syntax", "justification", "reference"} and rules.updated_by == "ops"
    found = wf.dry_run(store, ALICE, loose)
    assert errors(found) == []
    assert any(f.level == "warning" and f.message.endswith("(acme relaxes justification)") for f in found)
    filed = wf.file(store, ALICE, loose)
    # Still unique, and still no port of the upstream's.
    assert ("service_name", "an open request holds the name 'acme_metrics_collector'") in errors(
        wf.dry_run(store, BOB, {**loose, "port": 20101})
    )
    assert any(field == "port" for field, _ in errors(wf.dry_run(store, ALICE, {**loose, "service_name": "x_y", "port": 1433, "transports": ["tcp"]})))
    assert any("at most 63 characters" in m for _, m in errors(wf.dry_run(store, ALICE, {**loose, "service_name": "a b"})))
    assert filed["registry"] == "acme"
    local.set_rules(store, "acme", enforce=["reference"])
    assert local.rules_of(store, "acme").relaxed == {"name-syntax", "justification"}
    with pytest.raises(InvalidQuery) as bad:
        local.set_rules(store, "acme", relax=["port"])
    assert bad.value.parameter == "relax"


def test_the_review_group_is_the_registrys_choice(acme: Any) -> None:
    store = acme
    local.set_rules(store, "acme", review_group="tcp-udp")
    filed = wf.file(store, ALICE, asked())
    routed = drive(store, filed["id"], (SAM, "validate"), (SAM, "route"))
    assert [r["group"] for r in routed["reviews"]] == ["tcp-udp"]
    assert wf.act(store, EVE, filed["id"], "approve")["state"] == "assignable"
    with pytest.raises(InvalidQuery):
        local.set_rules(store, "acme", review_group="No Such Group!")
    assert local.rules_json(local.rules_of(store, "acme"))["review_group"] == "tcp-udp"


def test_a_request_names_a_registry_the_store_holds(acme: Any) -> None:
    with pytest.raises(InvalidQuery, match="holds no registry 'nosuch'") as unknown:
        wf.dry_run(acme, ALICE, template(registry="nosuch"))
    assert unknown.value.parameter == "registry"
    with pytest.raises(InvalidQuery) as bad:
        wf.file(acme, ALICE, template(registry="Not A Name"))
    assert bad.value.parameter == "registry"
    with pytest.raises(InvalidQuery):
        local.rules_of(acme, "iana")
    assert wf.file(acme, ALICE, template(registry="iana"))["registry"] == "iana"


def test_an_upstream_assignment_on_a_port_a_local_registry_uses_is_a_conflict_of_that_request(acme: Any) -> None:
    from portreg.formats import read
    from portreg.services import conflicts

    store = acme
    store.scoped("acme").import_registry(read(b"acme-legacy 1491/tcp\n", format="services"), source="acme.services")
    before = {c.id for c in conflicts.conflicts(store, "acme")}
    filed = wf.file(store, ALICE, template())  # frobnitz on 1491, upstream
    done = drive(store, filed["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"), (SAM, "assign"))
    new = [c for c in conflicts.conflicts(store, "acme") if c.id not in before]
    assert [(c.kind, c.found_by, c.found_version) for c in new] == [("port", "request", done["published_version"])]
    assert "1491/tcp" in new[0].message


def test_any_port_of_the_ranges_is_the_first_free_one_unless_staff_choose(acme: Any) -> None:
    store = acme
    found = wf.dry_run(store, ALICE, asked(service_name="any-sync", port="user"))
    assert errors(found) == [] and any("the first free one now: 20000" in f.message for f in found)
    first = wf.file(store, ALICE, asked(service_name="any-sync", port="user"))
    done = drive(store, first["id"], (SAM, "validate"), (SAM, "route"), (ACE, "approve"), (SAM, "assign"))
    assert done["port"] == 20000 and done["state"] == "assigned"
    held = wf.file(store, ALICE, asked(service_name="held-sync", port=20001))  # an open request holds 20001
    second = wf.file(store, BOB, asked(service_name="bob-sync", port="user"))
    done = drive(store, second["id"], (SAM, "validate"), (SAM, "route"), (ACE, "approve"), (SAM, "assign"))
    assert done["port"] == 20002 and held["port"] == 20001
    third = wf.file(store, BOB, asked(service_name="bob-sync2", port="user"))
    drive(store, third["id"], (SAM, "validate"), (SAM, "route"), (ACE, "approve"))
    with pytest.raises(Conflict, match="outside the ranges"):  # staff's choice is judged by the rules too
        wf.act(store, SAM, third["id"], "assign", port=21000)


def _assign_any(url: str, request_id: int, start: Any, results: Any) -> None:
    from portreg.store import Store

    with Store.open(url) as store:
        start.wait()
        try:
            results.put((request_id, wf.act(store, SAM, request_id, "assign")["port"]))
        except Exception as exc:  # reported, and failed on below
            results.put((request_id, f"{type(exc).__name__}: {exc}"))


def test_assignments_of_any_port_racing_in_processes_each_get_their_own(acme: Any) -> None:
    import multiprocessing

    store = acme
    url = store._db.url.url if store.dialect == "postgresql" else f"sqlite:///{store._db.url.path}"
    ids = []
    for i in range(6):
        filed = wf.file(store, ALICE, asked(service_name=f"race{i}", port="user"))
        drive(store, filed["id"], (SAM, "validate"), (SAM, "route"), (ACE, "approve"))
        ids.append(filed["id"])
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_assign_any, args=(url, rid, start, results)) for rid in ids]
    for p in processes:
        p.start()
    start.set()
    found = dict(results.get(timeout=120) for _ in processes)
    for p in processes:
        p.join(timeout=60)
    assert sorted(found.values()) == list(range(20000, 20006)), found
    assert {s.record.name for p in range(20000, 20006) for s in store.scoped("acme").records_at_port(p) if s.record.name} == {
        f"race{i}" for i in range(6)
    }

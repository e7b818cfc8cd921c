"""The assignment workflow as a service: every kind of request through its paths, on both databases.

Each test files real requests against a store holding (part of) the real registry and
checks what the registry becomes: the new version differs from the one before by
exactly the request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.workflow import ALICE, BOB, DOT, EVE, IVY, SAM, STU, drive, template
from portreg.errors import Conflict, InvalidQuery, NotFound, PermissionDenied, Stale
from portreg.services import workflow as wf
from portreg.services.workflow import clock


def names(records: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((s.record.name or "", str(s.record.port) if s.record.port else "", s.record.transport or "", str(s.record.description or "")) for s in records)


def assign_new(store: Any, **fields: Any) -> dict[str, Any]:
    request = wf.file(store, ALICE, template(**fields))
    return drive(store, request["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"), (SAM, "assign"))


# --------------------------------------------------------------------------- new assignments


def test_a_port_request_is_reviewed_approved_and_published_as_exactly_one_change(wf_store: Any) -> None:
    store = wf_store
    filed = wf.file(store, ALICE, template())
    assert (filed["state"], filed["turn"], filed["etag"]) == ("new", "staff", 1)
    routed = drive(store, filed["id"], (SAM, "validate"), (SAM, "route"))
    assert routed["state"] == "expert-review" and [r["group"] for r in routed["reviews"]] == ["tcp-udp"]
    approved = wf.act(store, EVE, filed["id"], "approve")
    assert approved["state"] == "assignable"
    done = wf.act(store, SAM, filed["id"], "assign", etag=approved["etag"])
    assert done["state"] == "assigned" and not done["open"] and done["published_version"] == 2

    version = store.version(2)
    assert version.source == f"request {filed['id']}" and version.actor == SAM.email
    diff = store.diff(1, 2)
    assert names(diff.added) == [
        ("", "1491", "dccp", "Reserved"),
        ("", "1491", "sctp", "Reserved"),
        ("frobnitz", "1491", "tcp", "Frobnitz remote control"),
        ("frobnitz", "1491", "udp", "Frobnitz remote control"),
    ]
    assert diff.removed == [] and diff.changed == [] and diff.people_changed == ["Alice_Example"] and diff.head_changed
    registry = store.registry()
    assert registry.updated == done["state_since"][:10]
    tcp = next(r for r in registry.records if r.name == "frobnitz" and r.transport == "tcp")
    assert tcp.assignees == ("Alice_Example",) and tcp.registered == registry.updated
    assert registry.people_by_id()["Alice_Example"].uris == ("mailto:alice&example.com",)
    # In the registry's order: between the ports around it.
    ports = [r.port.low for r in registry.records if r.port is not None]
    assert ports == sorted(ports)
    # Searchable like imported records, by name, description and person.
    assert {s.record.name for s in store.search("frobnitz remote").items} == {"frobnitz"}
    assert {s.record.name for s in store.search("Alice Example").items} == {"frobnitz", None}
    # The stored version hash is the one an import computes: importing the same registry is a no-op.
    assert store.import_registry(registry, source="again") is None
    assert wf.verify(store).ok


def test_a_request_for_any_user_port_gets_its_number_at_assignment(wf_store: Any) -> None:
    store = wf_store
    request = wf.file(store, ALICE, template(port="user"))
    drive(store, request["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"))
    with pytest.raises(InvalidQuery) as missing:
        wf.act(store, SAM, request["id"], "assign")
    assert missing.value.parameter == "port"
    with pytest.raises(InvalidQuery, match="system port"):
        wf.act(store, SAM, request["id"], "assign", port=700)
    with pytest.raises(Conflict, match="back to Expert Review"):
        wf.act(store, SAM, request["id"], "assign", port=1080)  # socks: checked again at approval
    assert wf.get(store, ALICE, request["id"])["state"] == "expert-review"
    drive(store, request["id"], (EVE, "approve"), (SAM, "assign", {"port": 2195}))
    assert names(store.records_named("frobnitz")) == [("frobnitz", "2195", "tcp", "Frobnitz remote control"), ("frobnitz", "2195", "udp", "Frobnitz remote control")]


def test_a_system_port_goes_to_the_iesg_which_ballots_before_approving(wf_store: Any) -> None:
    store = wf_store
    reserved_free = 1023 - 1  # 1022 is exp2: refused
    with pytest.raises(wf.RequestRejected) as refused:
        wf.file(store, ALICE, template(port=reserved_free))
    assert any(f.section == "6.1" for f in refused.value.findings)
    request = wf.file(store, ALICE, template(port="system"))
    assert any(f["section"] == "8.1.2" and f["level"] == "warning" for f in request["findings"])
    wf.act(store, SAM, request["id"], "validate")
    with pytest.raises(Conflict):
        wf.act(store, SAM, request["id"], "route")  # system ports are the IESG's, not the experts'
    assert [n["action"] for n in wf.get(store, SAM, request["id"])["next"]] == ["escalate", "ask", "reject", "withdraw"]
    wf.act(store, SAM, request["id"], "escalate")
    with pytest.raises(PermissionDenied):
        wf.vote(store, SAM, request["id"], "yes")
    with pytest.raises(Conflict, match="yes ballot"):
        wf.act(store, IVY, request["id"], "approve")
    with pytest.raises(InvalidQuery):
        wf.vote(store, IVY, request["id"], "discuss")
    wf.vote(store, IVY, request["id"], "discuss", "why not a user port?")
    with pytest.raises(Conflict, match="discuss"):
        wf.act(store, IVY, request["id"], "approve")
    wf.vote(store, IVY, request["id"], "yes", "answered")
    assert wf.ballot(store, SAM, request["id"])[IVY.email]["position"] == "yes"
    drive(store, request["id"], (IVY, "approve"))
    done = wf.act(store, SAM, request["id"], "assign", port=4)  # listed as Unassigned on tcp and udp
    assert done["state"] == "assigned"
    diff = store.diff(1, 2)
    assert names(diff.removed) == [("", "4", "tcp", "Unassigned"), ("", "4", "udp", "Unassigned")]
    assert [n[:3] for n in names(diff.added)] == [("", "4", "dccp"), ("", "4", "sctp"), ("frobnitz", "4", "tcp"), ("frobnitz", "4", "udp")]


def test_a_name_only_request_is_assigned_first_come_first_served(wf_store: Any) -> None:
    store = wf_store
    request = wf.file(store, ALICE, template(port=None, justification=None, service_name="Frob-Disc", transports=["udp"]))
    done = drive(store, request["id"], (SAM, "validate"), (SAM, "accept"), (SAM, "assign"))
    assert done["state"] == "assigned"
    assert names(store.diff(1, 2).added) == [("Frob-Disc", "", "udp", "Frobnitz remote control")]


def test_dccp_needs_a_free_well_formed_service_code_and_goes_to_both_dccp_groups(wf_store: Any) -> None:
    store = wf_store
    base = template(transports=["dccp"])
    for code, section in ((None, "8.1.1"), ("0", "RFC 5595 §2.4"), ("0x3F000001", "RFC 5595 §2.3"), ("SC:ltp", "8.1.1")):
        with pytest.raises(wf.RequestRejected) as refused:
            wf.file(store, ALICE, {**base, **({"service_code": code} if code else {})})
        assert any(f.field == "service_code" and f.section == section for f in refused.value.findings), code
    with pytest.raises(wf.RequestRejected):
        wf.file(store, ALICE, template(service_code="SC:frob"))  # a code without dccp
    request = wf.file(store, ALICE, {**base, "service_code": "SC:frob"})
    routed = drive(store, request["id"], (SAM, "validate"), (SAM, "route"))
    assert [r["group"] for r in routed["reviews"]] == ["dccp", "service-codes"]
    with pytest.raises(NotFound):
        wf.act(store, EVE, request["id"], "approve")  # tcp-udp experts do not see it
    with pytest.raises(wf.RequestRejected, match="holds service code"):
        wf.file(store, BOB, template(service_name="other", port=2196, transports=["dccp"], service_code="SC:frob"))
    done = drive(store, request["id"], (DOT, "approve"), (SAM, "assign"))
    assert done["state"] == "assigned"
    record = store.records_named("frobnitz")[0].record
    assert record.transport == "dccp" and record.service_code == str(int.from_bytes(b"frob", "big"))


# --------------------------------------------------------------------------- checks and holds


def test_every_check_names_its_field_and_section(wf_store: Any) -> None:
    store = wf_store
    cases = [
        (dict(service_name="sql*net"), "service_name", "5.1"),
        (dict(service_name="FTP"), "service_name", "8.1.1"),
        (dict(service_name="-bad"), "service_name", "5.1"),
        (dict(port=50000), "port", "6"),
        (dict(port=80), "port", "8.1.1"),
        (dict(reference="see our site"), "reference", "8.1.1"),
        (dict(justification=None), "justification", "8.1.2"),
        (dict(transports=[]), "transports", "8.1.1"),
        (dict(assignee={"name": "A"}), "assignee.email", "8.1.1"),
        (dict(contact={"name": "C", "email": "not-an-address"}), "contact.email", "8.1.1"),
        (dict(description=None), "description", "8.1.1"),
    ]
    for fields, field, section in cases:
        findings = wf.dry_run(store, ALICE, template(**fields))
        assert any(f.field == field and f.section == section and f.level == "error" for f in findings), (fields, findings)
    legacy = wf.dry_run(store, ALICE, template(service_name="sql*net"))
    assert "never acceptable" in legacy[0].message and "'sql-net'" in legacy[0].message
    style = wf.dry_run(store, ALICE, template(service_name="frob-service"))
    assert [(f.field, f.section, f.level) for f in style] == [("service_name", "5", "warning")]
    assert wf.dry_run(store, ALICE, template()) == []
    assert store.workflow().requests() == []  # a dry run files nothing


def test_an_open_request_holds_its_port_and_name_without_naming_its_requester(wf_store: Any) -> None:
    store = wf_store
    first = wf.file(store, ALICE, template())
    with pytest.raises(wf.RequestRejected) as clash:
        wf.file(store, BOB, template(service_name="FROBNITZ", port=2196, assignee={"name": "Bob", "email": "bob@example.org"}))
    assert "an open request holds the name" in str(clash.value) and "alice" not in str(clash.value).lower()
    with pytest.raises(wf.RequestRejected, match="holds port 1491/udp"):
        wf.file(store, BOB, template(service_name="other", transports=["udp"]))
    assert wf.file(store, BOB, template(service_name="other", transports=["sctp"]))["state"] == "new"  # another transport is free
    wf.act(store, ALICE, first["id"], "withdraw")
    assert wf.file(store, BOB, template(service_name="frobnitz", transports=["udp"]))["state"] == "new"  # the holds ended


def test_the_checks_run_again_at_approval(wf_store: Any, small: Any) -> None:
    """The registry changed under a request (an import took its port): approval sends it back to review."""
    import dataclasses

    from portreg.model import PortRange, Record

    store = wf_store
    request = wf.file(store, ALICE, template())
    drive(store, request["id"], (SAM, "validate"), (SAM, "route"))
    taken = Record(name="squatter", port=PortRange.single(1491), transport="tcp", description=None)
    store.import_registry(dataclasses.replace(small, records=(*small.records, taken)), source="upstream")
    with pytest.raises(Conflict, match="assigned to 'squatter'"):
        wf.act(store, EVE, request["id"], "approve")
    shown = wf.get(store, ALICE, request["id"])
    assert shown["state"] == "expert-review"
    assert wf.events(store, ALICE, request["id"])[-1]["kind"] == "conflict"


# --------------------------------------------------------------------------- other kinds


def test_adding_a_transport_converts_the_assignees_reservation(wf_store: Any) -> None:
    store = wf_store
    assign_new(store, transports=["tcp"])
    request = wf.file(store, ALICE, {"kind": "add-transport", "service_name": "frobnitz", "transports": ["udp"]})
    assert request["port"] == 1491
    done = drive(store, request["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"), (SAM, "assign"))
    diff = store.diff(2, done["published_version"])
    assert names(diff.added) == [("frobnitz", "1491", "udp", "Frobnitz remote control")]
    assert names(diff.removed) == [("", "1491", "udp", "Reserved")] and diff.changed == []


def test_a_modification_changes_description_and_contact_never_the_assignee(wf_store: Any) -> None:
    store = wf_store
    assign_new(store)
    with pytest.raises(wf.RequestRejected) as refused:
        wf.file(store, ALICE, {"kind": "modification", "target": "frobnitz", "changes": {"assignee": "Bob <bob@example.org>"}})
    assert refused.value.findings[0].section == "8.6"
    request = wf.file(
        store, ALICE, {"kind": "modification", "target": "frobnitz", "changes": {"description": "Frobnitz control", "contact": "Carol <carol@example.com>"}}
    )
    done = drive(store, request["id"], (SAM, "validate"), (SAM, "accept"), (SAM, "apply"))
    assert done["state"] == "modified"
    diff = store.diff(2, 3)
    assert diff.added == [] and diff.removed == [] and len(diff.changed) == 2
    new = diff.changed[0].new
    assert str(new.description) == "Frobnitz control" and new.assignees == ("Alice_Example",) and new.contacts == ("Carol",)
    assert new.modified == store.version(3).published


def test_a_deassignment_leaves_the_port_reserved_and_the_name_name_only(wf_store: Any) -> None:
    store = wf_store
    assign_new(store, transports=["tcp"])
    request = wf.file(store, ALICE, {"kind": "de-assignment", "target": "frobnitz"})
    done = drive(store, request["id"], (SAM, "validate"), (SAM, "accept"), (SAM, "apply"))
    diff = store.diff(2, done["published_version"])
    assert names(diff.added) == [("", "1491", "tcp", "Reserved")]
    assert [(c.old.port, c.new.port, c.new.name) for c in diff.changed] == [(c.old.port, None, "frobnitz") for c in diff.changed]
    assert "De-assigned from port 1491" in str(diff.changed[0].new.notes) and "8.2" in str(diff.changed[0].new.notes)


def test_a_reuse_keeps_the_old_name_and_gives_the_port_to_a_new_one(wf_store: Any) -> None:
    store = wf_store
    assign_new(store, transports=["tcp"])
    request = wf.file(store, ALICE, template(kind="reuse", target="frobnitz", service_name="frobnext", port=None, transports=["tcp"]))
    done = drive(store, request["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"), (SAM, "assign"))
    diff = store.diff(2, done["published_version"])
    assert names(diff.added) == [("frobnext", "1491", "tcp", "Frobnitz remote control")]
    assert [(c.new.name, c.new.port) for c in diff.changed] == [("frobnitz", None)]


def test_a_revocation_is_staffs_after_a_four_week_call_and_the_iesg(wf_store: Any) -> None:
    store = wf_store
    assign_new(store, transports=["tcp"])
    revoke = {"kind": "revocation", "target": "frobnitz"}
    with pytest.raises(wf.RequestRejected) as by_requester:
        wf.file(store, BOB, {**revoke, "clearly_unused": True})
    assert by_requester.value.findings[0].section == "8.4"
    with pytest.raises(wf.RequestRejected, match="four weeks"):
        wf.file(store, SAM, {**revoke, "community_call": {"started": "2026-01-01", "ended": "2026-01-10", "summary": "-"}})
    call = {"started": "2026-01-01", "ended": "2026-02-01", "summary": "nobody answered"}
    request = wf.file(store, SAM, {**revoke, "community_call": call})
    drive(store, request["id"], (SAM, "validate"), (SAM, "escalate"))
    wf.vote(store, IVY, request["id"], "yes", "unused")
    done = drive(store, request["id"], (IVY, "approve"), (SAM, "apply"))
    assert done["state"] == "modified"
    assert "Revoked" in str(store.records_named("frobnitz")[0].record.notes)
    assert store.records_at_port(1491)[0].record.name is None
    filed = wf.events(store, SAM, request["id"])[0]
    assert filed["data"]["request"]["community_call"] == call


def test_a_transfer_is_the_new_partys_request_after_the_old_partys_deassignment(wf_store: Any) -> None:
    store = wf_store
    assign_new(store, transports=["tcp"])
    old = wf.file(store, ALICE, {"kind": "de-assignment", "target": "frobnitz"})
    bob = {"name": "Bob Other", "email": "bob@example.org"}
    transfer = wf.file(
        store, BOB, template(kind="transfer", transfer_from=old["id"], service_name="bobnitz", port=None, transports=["tcp"], assignee=bob, contact=bob)
    )
    drive(store, transfer["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"))
    with pytest.raises(Conflict, match="not applied yet"):
        wf.act(store, SAM, transfer["id"], "assign")
    drive(store, old["id"], (SAM, "validate"), (SAM, "accept"), (SAM, "apply"))
    done = drive(store, transfer["id"], (EVE, "approve"), (SAM, "assign"))
    assert done["state"] == "assigned"
    at = store.records_at_port(1491, transport="tcp")
    assert [(s.record.name, s.record.assignees) for s in at] == [("bobnitz", ("Bob_Other",))]


# --------------------------------------------------------------------------- people and turns


def test_an_experts_question_reaches_the_requester_unsigned_and_the_answer_goes_back(wf_store: Any) -> None:
    store = wf_store
    request = wf.file(store, ALICE, template())
    drive(store, request["id"], (SAM, "validate"), (SAM, "route"))
    with pytest.raises(InvalidQuery):
        wf.act(store, EVE, request["id"], "ask")
    asked = wf.act(store, EVE, request["id"], "ask", reason="Why not a dynamic port?")
    assert (asked["state"], asked["turn"]) == ("with-requester", "requester")
    seen = wf.events(store, ALICE, request["id"])[-1]
    assert seen["actor"] == "an expert" and seen["reason"] == "Why not a dynamic port?"
    assert wf.events(store, SAM, request["id"])[-1]["actor"] == EVE.email
    with pytest.raises(PermissionDenied):
        wf.act(store, SAM, request["id"], "answer", reason="x")  # only the requester answers
    back = wf.act(store, ALICE, request["id"], "answer", reason="Devices must find it without discovery.")
    assert back["state"] == "expert-review"


def test_a_rejection_shows_its_reason(wf_store: Any) -> None:
    store = wf_store
    request = wf.file(store, ALICE, template())
    drive(store, request["id"], (SAM, "validate"), (SAM, "route"))
    rejected = wf.act(store, EVE, request["id"], "reject", reason="Use a dynamic port with mDNS.")
    assert rejected["state"] == "rejected" and rejected["rejection"] == "Use a dynamic port with mDNS."
    assert wf.get(store, ALICE, request["id"])["rejection"] == "Use a dynamic port with mDNS."
    assert wf.file(store, BOB, template(service_name="other"))["state"] == "new"  # its holds ended


def test_requesters_see_only_their_own_and_experts_their_groups(wf_store: Any) -> None:
    store = wf_store
    mine = wf.file(store, ALICE, template())
    sctp = wf.file(store, BOB, template(service_name="bobsctp", port=2196, transports=["sctp"]))
    for request in (mine, sctp):
        drive(store, request["id"], (SAM, "validate"), (SAM, "route"))
    with pytest.raises(NotFound) as hidden:
        wf.get(store, BOB, mine["id"])
    assert str(hidden.value) == f"there is no request {mine['id']}"
    with pytest.raises(NotFound):
        wf.get(store, BOB, 999)  # the same answer as for a request that does not exist
    with pytest.raises(NotFound):
        wf.act(store, BOB, mine["id"], "withdraw")
    with pytest.raises(PermissionDenied):
        wf.get(store, None, mine["id"])
    assert [r["id"] for r in wf.list_requests(store, ALICE)] == [mine["id"]]
    assert [r["id"] for r in wf.list_requests(store, EVE, scope="queue")] == [mine["id"]]
    assert [r["id"] for r in wf.list_requests(store, STU, scope="queue")] == [sctp["id"]]
    assert {r["id"] for r in wf.list_requests(store, SAM)} == {mine["id"], sctp["id"]}
    assert {r["id"] for r in wf.list_requests(store, IVY)} == {mine["id"], sctp["id"]}
    with pytest.raises(PermissionDenied):
        wf.act(store, ALICE, mine["id"], "approve")  # she sees it, but approving is the experts'


def test_a_write_based_on_an_old_version_is_stale(wf_store: Any) -> None:
    store = wf_store
    request = wf.file(store, ALICE, template())
    moved = wf.act(store, SAM, request["id"], "validate", etag=request["etag"])
    assert moved["etag"] > request["etag"]
    with pytest.raises(Stale):
        wf.act(store, SAM, request["id"], "route", etag=request["etag"])
    with pytest.raises(Stale):
        wf.comment(store, ALICE, request["id"], "hello", etag=request["etag"])
    assert wf.comment(store, ALICE, request["id"], "hello", etag=moved["etag"])["etag"] == moved["etag"] + 1


def test_time_is_counted_per_party_and_late_parties_are_reminded(wf_store: Any) -> None:
    store = wf_store
    request = wf.file(store, ALICE, template())
    later = clock.parse(request["created_at"]) + timedelta(days=6)
    assert wf.remind(store, at=later) == [request["id"]]  # staff's limit is five days
    assert wf.remind(store, at=later) == []  # once per wait
    assert wf.remind(store, at=later, limits={"staff": timedelta(days=7)}) == []
    times = clock.times(store.workflow().request(request["id"]), store.workflow().events(request["id"]), later)
    assert times["gross"] == 6 * 86400 and times["net"]["staff"] == 6 * 86400 and times["net"]["requester"] == 0
    shown = wf.get(store, ALICE, request["id"])
    assert shown["time"]["turn"] == "staff"


# --------------------------------------------------------------------------- the audit trail


def _raw(store: Any, sql: str) -> None:
    """Run SQL as someone with the database in hand (not through portreg)."""
    from sqlalchemy import create_engine

    from portreg.store._urls import resolve

    url = store._db.url
    engine = create_engine(resolve(url.url if url.backend != "sqlite" else f"sqlite:///{url.path}").url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_the_database_refuses_to_change_or_remove_an_event(wf_store: Any) -> None:
    from portreg.errors import StoreError

    store = wf_store
    wf.file(store, ALICE, template())
    for sql in ("UPDATE request_events SET reason = 'nothing happened' WHERE seq = 1", "DELETE FROM request_events WHERE seq = 2"):
        with pytest.raises(Exception, match="append-only"):
            _raw(store, sql)
    assert len(store.workflow().events()) == 2
    with pytest.raises((StoreError, Conflict)), store.workflow().transaction() as tx:
        tx.conn.exec_driver_sql("DELETE FROM request_events")


def _drop_guards(store: Any) -> None:
    if store.dialect == "sqlite":
        _raw(store, "DROP TRIGGER request_events_no_update")
        _raw(store, "DROP TRIGGER request_events_no_delete")
    else:
        _raw(store, "DROP TRIGGER request_events_no_change ON request_events")


def test_audit_verify_finds_an_edited_or_removed_event(wf_store: Any) -> None:
    store = wf_store
    first = wf.file(store, ALICE, template())
    drive(store, first["id"], (SAM, "validate"), (SAM, "route"))
    second = wf.file(store, BOB, template(service_name="other", port=2196))
    wf.act(store, SAM, second["id"], "validate")
    report = wf.verify(store)
    assert report.ok and report.events == 7
    _drop_guards(store)  # someone with the database in hand
    _raw(store, "UPDATE request_events SET reason = 'filed much earlier' WHERE seq = 1")
    assert wf.verify(store).problems == ["event 1 was changed after it was written"]
    _raw(store, "UPDATE request_events SET reason = 'filed' WHERE seq = 1")
    assert wf.verify(store).ok
    _raw(store, "DELETE FROM request_events WHERE seq = 3")
    problems = wf.verify(store).problems
    assert "event 3 is missing (the trail jumps to 4)" in problems and any("event 4 does not follow" in p for p in problems)
    _raw(store, "DELETE FROM request_events WHERE seq = 7")  # the latest event of request 2
    assert f"request {second['id']}: its latest event 7 is missing or changed" in wf.verify(store).problems


def test_every_event_records_who_when_why_and_the_request_at_that_moment(wf_store: Any) -> None:
    store = wf_store
    request = wf.file(store, ALICE, template())
    wf.comment(store, SAM, request["id"], "looks fine")
    trail = store.workflow().events(request["id"])
    assert [(e["kind"], e["actor"], e["role"]) for e in trail] == [
        ("transition", ALICE.email, "requester"),
        ("check", ALICE.email, "requester"),
        ("comment", SAM.email, "staff"),
    ]
    import json

    snapshot = json.loads(trail[0]["data"])
    assert snapshot["request"]["service_name"] == "frobnitz" and snapshot["state"] == "new" and snapshot["port"] == 1491
    assert all(e["at"] and e["hash"] for e in trail)


# --------------------------------------------------------------------------- mail


def test_every_change_mails_both_sides_and_a_question_reaches_the_requester_unsigned(wf_store: Any) -> None:
    from portreg.services import mail

    store = wf_store
    request = wf.file(store, ALICE, template(contact="Carol <carol@example.com>"))
    drive(store, request["id"], (SAM, "validate"), (SAM, "route"))
    wf.act(store, EVE, request["id"], "ask", reason="Why not a dynamic port?")
    sent = mail.outbox(store)
    assert all(f"#{request['id']}" in m.subject for m in sent)
    to_requester = [m for m in sent if ALICE.email in m.recipients]
    assert [m.subject.rsplit(": ", 1)[1] for m in to_requester] == ["New", "Validating Request", "Expert Review", "With Requester"]
    assert {"alice@example.com", "carol@example.com"} <= set(to_requester[-1].recipients)
    question = to_requester[-1]
    assert "Why not a dynamic port?" in question.body and "Eve" not in question.body and EVE.email not in question.body
    assert all(EVE.email not in m.recipients for m in to_requester)  # the sides never share a mail
    to_experts = [m for m in sent if EVE.email in m.recipients]
    assert [m.subject.rsplit(": ", 1)[1] for m in to_experts] == ["Expert Review"]
    assert STU.email not in {r for m in sent for r in m.recipients}  # sctp's expert is not concerned
    to_staff = [m for m in sent if SAM.email in m.recipients]
    assert [m.subject.rsplit(": ", 1)[1] for m in to_staff] == ["New", "Validating Request"]


def test_a_reserved_port_goes_to_the_iesg_and_strangers_changes_are_flagged(wf_store: Any) -> None:
    store = wf_store
    assign_new(store, transports=["tcp"])  # 1491 is now Reserved on udp, sctp and dccp for Alice
    bob = {"name": "Bob Other", "email": "bob@example.org"}
    request = wf.file(store, BOB, template(service_name="bobsctp", transports=["sctp"], assignee=bob, contact=bob))
    assert [(f["field"], f["section"], f["level"]) for f in request["findings"]] == [("port", "8.1", "warning")]
    wf.act(store, SAM, request["id"], "validate")
    with pytest.raises(Conflict):
        wf.act(store, SAM, request["id"], "route")
    assert wf.act(store, SAM, request["id"], "escalate")["state"] == "iesg-escalation"
    change = {"kind": "modification", "target": "frobnitz", "changes": {"notes": "x"}}
    assert [f.message for f in wf.dry_run(store, BOB, change)] == [
        "the requester is not the assignee or contact on record: staff confirm with the assignee"
    ]
    assert wf.dry_run(store, ALICE, change) == []


# --------------------------------------------------------------------------- every kind, every path

PATHS = ("through", "rejected", "withdrawn", "asked")


def _filed(store: Any, kind: str, n: int) -> tuple[dict[str, Any], Any]:
    """A request of ``kind`` (on an assignment made for it), and who files it."""
    base = f"k{n}"
    if kind != "assignment":
        assign_new(store, service_name=base, port=3000 + n, transports=["tcp"])
    bob = {"name": "Bob Other", "email": "bob@example.org"}
    raw: dict[str, Any] = {
        "assignment": template(service_name=base, port=3000 + n),
        "add-transport": {"kind": "add-transport", "service_name": base, "transports": ["udp"]},
        "modification": {"kind": "modification", "target": base, "changes": {"description": "changed"}},
        "de-assignment": {"kind": "de-assignment", "target": base},
        "reuse": template(kind="reuse", target=base, service_name=f"{base}r", port=None, transports=["tcp"]),
        "revocation": {"kind": "revocation", "target": base, "clearly_unused": True},
        "transfer": template(kind="transfer", service_name=f"{base}t", port=None, transports=["tcp"], assignee=bob, contact=bob),
    }[kind]
    if kind == "transfer":
        old = wf.file(store, ALICE, {"kind": "de-assignment", "target": base})
        drive(store, old["id"], (SAM, "validate"), (SAM, "accept"), (SAM, "apply"))
        raw["transfer_from"] = old["id"]
    filer = SAM if kind == "revocation" else BOB if kind == "transfer" else ALICE
    return wf.file(store, filer, raw), filer


@pytest.mark.slow
def test_every_kind_of_request_through_every_path(wf_store: Any) -> None:
    """Each kind: to the end (Assigned or Modified, a version published), rejected with its
    reason, withdrawn by its requester, and through a question and its answer."""
    store = wf_store
    n = 0
    for kind in wf.KINDS:
        for path in PATHS:
            n += 1
            request, filer = _filed(store, kind, n)
            rid = request["id"]
            review = (IVY, "approve") if kind == "revocation" else (EVE, "approve")
            first = [(SAM, "validate")]
            if kind == "revocation":
                first.append((SAM, "escalate"))
                wf_vote = True
            else:
                first.append((SAM, "accept") if kind in ("modification", "de-assignment") else (SAM, "route"))
                wf_vote = False
            drive(store, rid, *first)
            if wf_vote:
                wf.vote(store, IVY, rid, "yes", "unused")
            waiting = wf.get(store, SAM, rid)["state"]
            if path == "rejected":
                rejecter = IVY if kind == "revocation" else SAM if waiting == "modifiable" else EVE
                if waiting == "modifiable":  # nothing left to judge: withdrawn by staff instead
                    done = wf.act(store, SAM, rid, "withdraw", reason="not needed")
                    assert done["state"] == "withdrawn"
                    continue
                done = wf.act(store, rejecter, rid, "reject", reason=f"no ({kind})")
                assert (done["state"], done["rejection"]) == ("rejected", f"no ({kind})"), kind
                continue
            if path == "withdrawn":
                done = wf.act(store, filer, rid, "withdraw", reason="changed my mind")
                assert done["state"] == "withdrawn" and not done["open"]
                continue
            if path == "asked" and waiting != "modifiable":
                asker = IVY if kind == "revocation" else EVE
                wf.act(store, asker, rid, "ask", reason="why?")
                assert wf.act(store, filer, rid, "answer", reason="because")["state"] == waiting
            before = store.current_version().number
            if waiting == "expert-review" or waiting == "iesg-escalation":
                drive(store, rid, review)
            done = wf.act(store, SAM, rid, "apply" if kind in ("modification", "de-assignment", "revocation") else "assign")
            assert done["state"] in ("assigned", "modified") and done["published_version"] == before + 1, (kind, path)
    assert wf.verify(store).ok

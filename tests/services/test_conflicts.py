"""Overlay conflicts kept in the store: found by a local import and by a sync of the
upstream, in the version's own transaction; resolved when they no longer hold or by a
person; mailed to the registry's watchers. On SQLite and PostgreSQL, with small
registries so that each test takes a second, and one sync over a loopback HTTP server."""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest

from portreg.errors import Conflict, InvalidQuery, NotFound
from portreg.model import Registry
from tests.support.conflicts import ACME, AFTER, BEFORE, iana, rec
from tests.support.smtp import smtp_server
from tests.support.upstream import publishing


def _open(url: str) -> Any:
    from portreg.services import open_store

    return open_store(url)


@pytest.fixture
def acme(store_url: str) -> Iterator[Any]:
    """IANA's BEFORE as version 1, registry acme (owning 20000-20999) with ACME as version 2."""
    from portreg.store import PortRange as Owned

    with _open(store_url) as store:
        store.import_registry(BEFORE, source="iana.xml")
        store.registries.create("acme", title="ACME", owns=(Owned(20000, 20999),), actor="ops")
        store.scoped("acme").import_registry(ACME, source="acme.services")
        yield store


def _table(store: Any, *, open_only: bool = True) -> list[tuple[str, str, str | None]]:
    from portreg.services import conflicts

    found = conflicts.conflicts(store, "acme", open_only=open_only)
    return sorted((c.kind, c.message.split(":")[0].split(" is ")[0], c.resolved_by) for c in found)


def test_a_local_import_stores_what_collides(acme: Any) -> None:
    from portreg.services import conflicts

    assert _table(acme) == [
        ("name", "ssh 2222/tcp", None),
        ("name", "ssh 2222/tcp", None),  # one per IANA record: ssh on 22/tcp and on 22/udp
        ("outside", "acme-db 5432/tcp", None),
        ("outside", "ssh 2222/tcp", None),
        ("port", "acme-db 5432/tcp", None),
    ]
    version = acme.scoped("acme").current_version().number
    report = conflicts.of_version(acme, version)
    assert len(report.found) == 5 and report.resolved == []
    port = next(c for c in report.found if c.kind == "port")
    assert port.found_by == "import" and port.found_version == version == port.local_version == 2
    assert port.upstream_version == 1 and port.open
    assert acme.records_at_port(5432)[0].id == port.upstream_record_id
    assert acme.scoped("acme").records_at_port(5432)[0].id == port.local_record_id
    assert port.message == "acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql"
    assert conflicts.get(acme, port.id) == port
    assert conflicts.counts(acme) == {"acme": (5, 0)}
    # the same list again publishes nothing and finds nothing new
    assert acme.scoped("acme").import_registry(ACME, source="acme.services") is None
    assert len(conflicts.conflicts(acme)) == 5


def test_a_sync_reports_the_port_iana_just_gave_away(acme: Any) -> None:
    from portreg.services import conflicts

    version = acme.import_registry(AFTER, source="https://www.iana.org/assignments/x.xml")
    report = conflicts.of_version(acme, version.number)
    assert [(c.kind, c.message, c.found_by) for c in report.found] == [
        ("port", "acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc", "sync")
    ]
    assert report.found[0].upstream_version == version.number and report.found[0].local_version == 2
    assert report.resolved == []
    assert len(conflicts.conflicts(acme, "acme", open_only=True)) == 6


def test_conflicts_resolve_when_either_side_changes(acme: Any) -> None:
    from portreg.services import conflicts

    moved = Registry(
        title="acme",
        records=(rec("acme-db", "20300", "tcp"), rec("acme-sync", "20100", "tcp"), rec("acme-sync", "20100", "udp")),
    )
    local = acme.scoped("acme").import_registry(moved, source="acme.services")
    report = conflicts.of_version(acme, local.number)
    assert report.found == []
    assert sorted(c.kind for c in report.resolved) == ["name", "name", "outside", "outside", "port"]
    assert {(c.resolved_by, c.resolved_version, c.resolution) for c in report.resolved} == {
        ("import", local.number, f"no longer holds after version {local.number}")
    }
    assert _table(acme) == []
    # upstream's turn: IANA assigns 20100/tcp (found), then withdraws it (resolved by the sync)
    after = acme.import_registry(AFTER, source="https://iana.example/x.xml")
    assert [c.kind for c in conflicts.of_version(acme, after.number).found] == ["port"]
    again = acme.import_registry(BEFORE, source="https://iana.example/x.xml")
    report = conflicts.of_version(acme, again.number)
    assert report.found == [] and [(c.kind, c.resolved_by) for c in report.resolved] == [("port", "sync")]
    assert _table(acme) == []
    assert len(conflicts.conflicts(acme, "acme")) == 6  # the history stays


def test_a_person_resolves_a_conflict_with_a_reason(acme: Any) -> None:
    from portreg.services import conflicts

    port = next(c for c in conflicts.conflicts(acme, "acme") if c.kind == "port")
    with pytest.raises(InvalidQuery) as refused:
        conflicts.resolve(acme, port.id, "  ", actor="ann")
    assert refused.value.parameter == "reason"
    with pytest.raises(NotFound, match="no conflict #9999"):
        conflicts.resolve(acme, 9999, "why not", actor="ann")
    done = conflicts.resolve(acme, port.id, "acme-db listens on loopback only", actor="ann")
    assert (done.state, done.resolved_by, done.resolution, done.resolved_version) == (
        "resolved",
        "ann",
        "acme-db listens on loopback only",
        None,
    )
    assert conflicts.get(acme, port.id) == done
    with pytest.raises(Conflict, match="resolved already"):
        conflicts.resolve(acme, port.id, "again", actor="bob")
    # still true after the next versions, but acknowledged: not raised again
    acme.import_registry(AFTER, source="https://iana.example/x.xml")
    kinds = [(c.kind, c.message) for c in conflicts.conflicts(acme, "acme", open_only=True)]
    assert ("port", port.message) not in kinds and len(kinds) == 5


def test_new_ranges_are_checked_again(acme: Any) -> None:
    from portreg.services import conflicts
    from portreg.store import PortRange as Owned

    acme.registries.set_ranges("acme", (Owned(20000, 20999), Owned(5432, 5432, "tcp"), Owned(2222, 2222)))
    report = conflicts.refresh(acme, "acme")
    assert sorted(c.message for c in report.resolved) == [
        "acme-db 5432/tcp is outside the ranges it allocates from, 20000-20999",
        "ssh 2222/tcp is outside the ranges it allocates from, 20000-20999",
    ]
    assert {(c.resolved_by, c.resolved_version) for c in report.resolved} == {("ranges", None)}
    assert report.found == [] and not conflicts.refresh(acme, "acme")
    with pytest.raises(NotFound, match="no registry 'acne'"):
        conflicts.refresh(acme, "acne")


def test_an_upstream_import_without_local_registries_writes_nothing(store_url: str) -> None:
    from portreg.services import conflicts

    with _open(store_url) as store:
        store.import_registry(BEFORE, source="iana.xml")
        version = store.import_registry(AFTER, source="https://iana.example/x.xml")
        assert not conflicts.of_version(store, version.number)
        assert conflicts.conflicts(store) == []
        with pytest.raises(NotFound, match="holds no registry 'acme'"):
            conflicts.conflicts(store, "acme")


def test_watchers_are_mailed_in_the_version_s_transaction(acme: Any) -> None:
    from portreg.services import accounts, conflicts, mail, subscriptions

    ann = accounts.create_account(acme, email="ann@example.org", name="Ann").id
    bob = accounts.create_account(acme, email="bob@example.org", name="Bob").id
    subscriptions.subscribe(acme, ann, "registry", "acme")
    subscriptions.subscribe(acme, bob, "port", "20100")  # a port watch: mailed by notify, not here
    with pytest.raises(NotFound, match="no registry 'acne'"):
        subscriptions.subscribe(acme, ann, "registry", "acne")
    before = len(mail.outbox(acme))
    version = acme.import_registry(AFTER, source="https://iana.example/x.xml")
    sent = mail.outbox(acme)[before:]
    assert [m.recipients for m in sent] == [("ann@example.org",)]
    assert sent[0].subject == "[portreg] acme: 1 new conflict"
    assert "acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc" in sent[0].body
    assert f"after version {version.number} (sync)" in sent[0].body
    # a person's resolution is mailed too
    found = conflicts.of_version(acme, version.number).found[0]
    conflicts.resolve(acme, found.id, "we move to 20101", actor="ann")
    last = mail.outbox(acme)[-1]
    assert last.subject == "[portreg] acme: 1 resolved" and "we move to 20101" in last.body
    # the outbox's sender delivers both through a real SMTP server, with their headers
    with smtp_server() as (inbox, settings):
        mail.send_pending(acme, settings)
        found = inbox.wait_for("ann@example.org", "1 new conflict")
        assert found["X-Portreg-Registry"] == "acme" and found["X-Portreg-Version"] == str(version.number)
        assert "newsvc" in found.get_payload(decode=True).decode()
        inbox.wait_for("ann@example.org", "1 resolved")


def test_a_failure_in_the_check_publishes_nothing(acme: Any) -> None:
    """The version and its conflicts commit together: a check that fails takes the version with it."""
    from portreg.services import conflicts

    def broken(tx: Any, version: Any, registry: str) -> None:
        raise RuntimeError("the check failed")

    acme.publish_hooks.append(broken)
    try:
        with pytest.raises(RuntimeError):
            acme.import_registry(AFTER, source="https://iana.example/x.xml")
    finally:
        acme.publish_hooks.remove(broken)
    assert acme.current_version().number == 1 and len(conflicts.conflicts(acme)) == 5


@pytest.fixture
def served() -> Iterator[Any]:
    """A loopback HTTP server standing for IANA; set ``.body`` to publish another registry."""
    from portreg.formats import to_bytes

    with publishing(to_bytes(BEFORE, "xml")) as published:
        yield published


def test_a_real_sync_finds_the_conflict(store_url: str, served: Any) -> None:
    from portreg.formats import to_bytes
    from portreg.services import conflicts
    from portreg.services.sync import sync
    from portreg.store import PortRange as Owned

    with _open(store_url) as store:
        assert sync(store, served.url).changed
        store.registries.create("acme", owns=(Owned(20000, 20999),))
        store.scoped("acme").import_registry(ACME, source="acme.services")
        served.body = to_bytes(AFTER, "xml")
        result = sync(store, served.url)
        report = conflicts.of_version(store, result.version.number)
        assert [(c.found_by, c.message) for c in report.found] == [
            ("sync", "acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc")
        ]


def test_an_upstream_assignment_through_the_workflow_is_checked_too(wf_store: Any) -> None:
    """IANA's process assigns 1491/tcp, which acme already uses: the publication finds it."""
    from portreg.services import conflicts
    from portreg.services import workflow as wf
    from portreg.store import PortRange as Owned
    from tests.support.workflow import ALICE, EVE, SAM, drive, template

    wf_store.registries.create("acme", owns=(Owned(1400, 1499, "tcp"),))
    wf_store.scoped("acme").import_registry(Registry(title="acme", records=(rec("acme-ctl", "1491", "tcp"),)), source="acme")
    assert conflicts.conflicts(wf_store) == []  # 1491 is free upstream (and this store checks on publication only)
    filed = wf.file(wf_store, ALICE, template(port=1491))
    done = drive(wf_store, filed["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"), (SAM, "assign"))
    found = conflicts.of_version(wf_store, done["published_version"]).found
    assert [(c.kind, c.found_by, c.message) for c in found] == [
        ("port", "request", "acme-ctl 1491/tcp: upstream assigns 1491/tcp to frobnitz")
    ]


def test_a_sync_during_a_local_import_still_finds_their_conflict(store_url: str) -> None:
    """Two versions published at once: acme starts using 20100/tcp while IANA assigns it.

    Each transaction alone would check against the other's old rows and miss the
    conflict. SQLite makes the sync wait for the import; PostgreSQL refuses it while an
    import runs (Conflict: try again), and the retry sees what the import committed.
    """
    from portreg.services import conflicts
    from portreg.store import PortRange as Owned

    without_sync = Registry(title="acme", records=tuple(r for r in ACME.records if r.name != "acme-sync"))
    with _open(store_url) as store:
        store.import_registry(BEFORE, source="iana.xml")
        store.registries.create("acme", owns=(Owned(20000, 20999),))
        store.scoped("acme").import_registry(without_sync, source="acme")
    checked, done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def slow(tx: Any, version: Any, registry: str) -> None:
        checked.set()  # acme's check is done; its transaction stays open a moment longer
        done.wait(timeout=1.5)

    def local_import() -> None:
        try:
            with _open(store_url) as store:
                store.publish_hooks.append(slow)
                store.scoped("acme").import_registry(ACME, source="acme")
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=local_import)
    worker.start()
    assert checked.wait(timeout=30)
    refused: list[Conflict] = []

    def sync() -> None:
        with _open(store_url) as store:
            try:
                store.import_registry(AFTER, source="https://iana.example/x.xml")
            except Conflict as exc:
                refused.append(exc)

    syncing = threading.Thread(target=sync, daemon=True)
    syncing.start()
    syncing.join(timeout=0.5)
    done.set()
    syncing.join(timeout=30)
    worker.join(timeout=30)
    assert not failures and not syncing.is_alive()
    with _open(store_url) as store:
        if refused:  # PostgreSQL: one import at a time; the sync is run again
            assert store.dialect == "postgresql"
            store.import_registry(AFTER, source="https://iana.example/x.xml")
        found = [(c.kind, c.message) for c in conflicts.conflicts(store, "acme", open_only=True) if c.kind == "port"]
        assert ("port", "acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc") in found


def test_a_history_is_checked_once_against_its_newest_version(store_url: str, tmp_path: Any) -> None:
    """import-history stores IANA's past versions; acme is checked against the newest only."""
    import dataclasses

    from portreg.formats import to_bytes
    from portreg.services import conflicts
    from portreg.services.history_import import import_history
    from portreg.store import PortRange as Owned

    history = tmp_path / "history"
    history.mkdir()
    # the middle version assigns 20100/tcp, the newest withdraws it again
    newest = dataclasses.replace(BEFORE, updated="2024-05-01")
    for name, registry in (("1.xml", BEFORE), ("2.xml", AFTER), ("3.xml", newest)):
        (history / name).write_bytes(to_bytes(registry, "xml"))
    with _open(store_url) as store:
        store.import_registry(iana("2024-01-01", rec("postgresql", "5432", "tcp")), source="first.xml")
        store.registries.create("acme", owns=(Owned(20000, 20999),))
        store.scoped("acme").import_registry(ACME, source="acme")
        before = {c.kind for c in conflicts.conflicts(store)}
        assert before == {"port", "outside"}  # no ssh upstream yet: no name conflict
        done = import_history(store, history)
        assert len(done.imported) == 3
        last = store.current_version().number
        report = conflicts.of_version(store, last)
        assert sorted(c.kind for c in report.found) == ["name", "name"]  # ssh, from BEFORE on
        assert all(c.found_version == last for c in conflicts.conflicts(store, open_only=True) if c.kind == "name")
        assert not [c for c in conflicts.conflicts(store) if "newsvc" in c.message]  # the middle was never checked


def test_a_port_the_registry_has_an_exception_for_is_settled_at_once(acme: Any) -> None:
    """acme records an exception for 20100/tcp (it keeps using it): IANA's assignment of it is
    stored as a conflict resolved by the exception, neither open nor mailed."""
    from portreg.services import conflicts
    from portreg.services.workflow import local

    local.add_exception(acme, "acme", 20100, "tcp", "acme-sync predates newsvc; agreed with IANA", actor="ops")
    version = acme.import_registry(AFTER, source="https://iana.example/x.xml")
    report = conflicts.of_version(acme, version.number)
    assert report.found == [] and [c.message for c in report.allowed] == [
        "acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc"
    ]
    settled = [c for c in conflicts.conflicts(acme, "acme") if "newsvc" in c.message]
    assert [(c.kind, c.state, c.resolved_by) for c in settled] == [("port", "resolved", "exception")]
    assert settled[0].resolution == "allowed by the registry's exception: acme-sync predates newsvc; agreed with IANA"
    assert conflicts.of_version(acme, version.number).resolved == []
    assert not [c for c in conflicts.conflicts(acme, "acme", open_only=True) if "newsvc" in c.message]
    # an exception recorded after the conflict was found settles it at the next check
    local.add_exception(acme, "acme", 5432, "tcp", "acme-db is postgresql, renamed", actor="ops")
    settled = [c for c in conflicts.conflicts(acme, "acme") if c.message.endswith("5432/tcp to postgresql")]
    assert [(c.state, c.resolved_by) for c in settled] == [("resolved", "exception")]
    assert not conflicts.refresh(acme, "acme")
    # withdrawn, the exception no longer settles it: the conflict is open again, once
    local.remove_exception(acme, "acme", 20100, "tcp")
    reopened = [c for c in conflicts.conflicts(acme, "acme", open_only=True) if "newsvc" in c.message]
    assert [(c.kind, c.found_by) for c in reopened] == [("port", "ranges")]
    assert not conflicts.refresh(acme, "acme")


def test_a_check_reads_every_upstream_row_its_records_can_meet(store_url: str, current_registry: Any) -> None:
    """The check reads only the upstream rows on a local record's ports or of its names;
    over IANA's real registry it finds exactly what a check against every row finds."""
    from dataclasses import replace

    from portreg.model import PortRange as Ports
    from portreg.model import Record
    from portreg.services.conflicts import KINDS
    from portreg.services.overlay import OwnedRange, collisions
    from portreg.services.query import Hit
    from portreg.store import PortRange as Owned

    iana_records = [r for r in current_registry.records if r.name and r.port is not None]
    local = [
        replace(r, name=(r.name.upper() if i % 2 else f"acme-{r.name}"), port=r.port if i % 3 else Ports(r.port.low, r.port.low))
        for i, r in enumerate(iana_records[::97])
    ]
    local += [
        rec("acme-x", "6000-6010", "tcp"),  # inside x11's range (6000-6063)
        rec("acme-irc", "6668-6672", "tcp"),  # across the end of ircu's range (6665-6669)
        rec("acme-low", "1-5", None),  # across several ports, every transport
        rec("HTTP", "20001", "tcp"),  # IANA's name on our port
        rec("acme-free", "20002", "udp"),
        rec("acme-zero", "0", "tcp"),  # IANA keeps port 0 reserved
        rec("Kerberos", None, None),  # a name without a port
    ]
    registry = Registry(title="acme", records=tuple(local))
    owns = (OwnedRange(Ports(20000, 20999), None),)
    with _open(store_url) as store:
        store.import_registry(current_registry, source="iana.xml")
        store.registries.create("acme", owns=(Owned(20000, 20999),))
        store.scoped("acme").import_registry(registry, source="acme")
        everything = [Hit.of(s) for s in store.records()]
        with store.transaction() as tx:
            met = tx.conflicts.slots_meeting("iana", "acme")
    seen = [
        Hit(rid, Record(name=name, port=None if lo is None else Ports(lo, hi), transport=t), st, None)
        for rid, name, lo, hi, t, st in met
    ]

    def kept(upstream: list[Any]) -> list[tuple[str, Any, str]]:
        found = collisions(upstream, registry, owns=owns)
        return [(f.kind, f.local, f.message) for f in found if f.kind in KINDS]

    assert len(met) < len(everything) / 10
    expected = kept(everything)
    assert len(expected) > 100 and {kind for kind, _, _ in expected} == set(KINDS)
    assert kept(seen) == expected

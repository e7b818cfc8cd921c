"""History across registries (SQLite and PostgreSQL): diffs, change lists, feeds and
mails when a local registry's versions interleave with IANA's in one number sequence."""

from __future__ import annotations

from typing import Any

import pytest

from portreg.errors import InvalidQuery, NotFound
from portreg.model import Registry
from portreg.services import history
from portreg.services.feeds import Feeds, Watch
from portreg.store import Store
from tests.support.interleaved import interleave


@pytest.fixture
def interleaved(store_url: str, current_registry: Registry) -> Any:
    store = Store.open(store_url)
    interleave(store, current_registry)
    yield store
    store.close()


def test_a_diff_of_local_versions_finds_their_registry(interleaved: Store) -> None:
    found = history.diff(interleaved, 2, 4)
    assert (found.old.number, found.new.number) == (2, 4)
    assert found.summary() == "1 added, 1 changed"
    assert [(c.kind, c.record.name) for c in found.records] == [("added", "acme-new"), ("changed", "acme-sync")]
    assert [f.field for f in found.changed[0].fields] == ["description"]
    # Dates and "latest" mean IANA's unless the registry is named.
    assert history.diff(interleaved, "latest", "latest").new.number == 5
    assert history.diff(interleaved, 2, "latest", registry="acme").new.number == 4
    assert history.diff(interleaved.scoped("acme"), "latest", "latest").new.number == 4


def test_iana_diffs_skip_the_local_versions_between(interleaved: Store) -> None:
    found = history.diff(interleaved, 3, 5)
    assert found.summary() == "1 added, 1 removed"
    assert {c.record.name for c in found.records} <= {s.record.name for s in interleaved.records(version=3)} | {
        s.record.name for s in interleaved.records(version=5)
    }
    assert "acme" not in " ".join(str(c.record.name) for c in found.records)
    assert history.since(interleaved, "2099-01-02").old.number == 3


def test_two_registries_never_make_one_diff(interleaved: Store) -> None:
    with pytest.raises(InvalidQuery, match="version 1 is iana's and version 2 is acme's") as caught:
        history.diff(interleaved, 1, 2)
    assert caught.value.parameter == "to"
    # "stack" (every registry, the default elsewhere) lets the numbers decide.
    assert history.diff(interleaved, 2, 4, registry="stack").registry == "acme"
    with pytest.raises(InvalidQuery, match="version 1 is iana's and version 2 is acme's"):
        history.diff(interleaved, 1, 2, registry="stack")
    with pytest.raises(InvalidQuery, match="cannot name a registry") as caught:
        history.diff(interleaved, 1, 3, registry="Acme!")
    assert caught.value.parameter == "registry"
    with pytest.raises(NotFound, match="holds no registry 'acne'"):
        history.diff(interleaved, "latest", "latest", registry="acne")
    with pytest.raises(NotFound, match="registry acme has no version 3"):
        history.diff(interleaved, 2, 3, registry="acme")
    with pytest.raises(NotFound, match="published on or before 1999-01-01"):  # acme's versions are undated
        history.diff(interleaved, "1999-01-01", "latest", registry="acme")


def test_changes_list_each_registry_against_its_own_previous_version(interleaved: Store) -> None:
    iana = history.changes(interleaved)
    assert [(d.old.number, d.new.number) for d in iana] == [(3, 5), (1, 3)]
    acme = history.changes(interleaved, registry="acme")
    assert [(d.old.number, d.new.number) for d in acme] == [(2, 4)]
    assert [(d.old.number, d.new.number) for d in history.changes(interleaved, since=3)] == [(3, 5)]
    assert history.predecessors(interleaved.scoped("acme")) == {4: 2}


def test_the_stack_feed_names_the_registry_of_every_entry(interleaved: Store) -> None:
    feeds = Feeds(interleaved)
    entries, total = feeds.page()
    assert total == 5
    assert [(e.version.number, e.registry, e.previous) for e in entries] == [
        (5, "iana", 3),
        (4, "acme", 2),
        (3, "iana", 1),
        (2, "acme", None),
        (1, "iana", None),
    ]
    assert entries[1].title == "Version 4 of acme: 1 added, 1 changed" and entries[1].summary == "1 added, 1 changed"
    assert entries[3].summary == "first version of acme: 7 records"
    assert entries[4].summary.startswith("first version in this store: 60 records")
    assert not entries[0].title.startswith("Version 5 of")
    only, total = feeds.page(registry="acme")
    assert total == 2 and [e.version.number for e in only] == [4, 2]
    assert [e.version.number for e in feeds.page(registry="iana")[0]] == [5, 3, 1]
    assert feeds.entry(interleaved.version(3)).previous == 1
    with pytest.raises(NotFound):
        feeds.page(registry="acne")
    with pytest.raises(InvalidQuery):
        feeds.page(registry="ACME")


def test_a_port_watch_over_the_stack_and_one_registry(interleaved: Store) -> None:
    feeds = Feeds(interleaved)
    found = feeds.watch(Watch.parse("port", "20000-20999"))
    assert [(e.version.number, e.registry) for e in found] == [(4, "acme"), (2, "acme")]
    assert [str(c) for c in found[0].changes] == [
        "acme-new 20300/tcp added",
        "acme-sync 20100/tcp changed: description",
    ]
    assert {c.label for c in found[1].changes} == {
        "acme-sync 20100/tcp",
        "acme-sync 20100/udp",
        "acme-mon 20200/tcp",
        "acme-monitor 20200/tcp",  # services(5) aliases are records of their own
    }
    assert feeds.watch(Watch.parse("port", "20100"), registry="iana") == []
    service = feeds.watch(Watch.parse("service", "acme-sync"), registry="acme")
    assert [e.version.number for e in service] == [4, 2]


def test_mail_announcements_skip_local_versions(interleaved: Store) -> None:
    from portreg.services import subscriptions

    with interleaved.transaction() as tx:
        tx.subscriptions.mark_notified(1, 0, "2099-01-01T00:00:00+00:00")
    # No subscriber: nothing mailed, but every IANA version after 1 is marked announced
    # (before, version 2, acme's, stopped the announcements for good with NotFound).
    assert subscriptions.notify(interleaved) == 0
    assert interleaved.rows.subscriptions.last_notified() == 5

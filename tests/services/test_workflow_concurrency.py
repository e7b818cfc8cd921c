"""Approvals racing in real processes, and a publication killed with SIGKILL, on both databases.

The processes are forked from the test (everything already imported, so they start in
milliseconds); each opens its own connection to the store, as separate servers would.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Any

import pytest

from tests.support.workflow import EVE, SAM, drive, template
from portreg.errors import Conflict
from portreg.services import workflow as wf
from portreg.store import Store

pytestmark = pytest.mark.slow

RACERS = 50
PORT = 40000


def _assignable(store: Any, count: int, prefix: str) -> list[int]:
    """``count`` requests for any user port, each approved and waiting for staff to assign it."""
    from tests.support.workflow import ALICE

    found = []
    for i in range(count):
        filed = wf.file(store, ALICE, template(service_name=f"{prefix}{i}", port="user"))
        drive(store, filed["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"))
        found.append(filed["id"])
    return found


def _racer(url: str, request_id: int, start: Any, results: Any) -> None:
    with Store.open(url) as store:
        start.wait()
        try:
            done = wf.act(store, SAM, request_id, "assign", port=PORT)
            results.put((request_id, "assigned", done["published_version"]))
        except Conflict as exc:
            results.put((request_id, "conflict", str(exc)))
        except Exception as exc:  # reported, and failed on below
            results.put((request_id, "error", f"{type(exc).__name__}: {exc}"))


def test_of_many_approvals_racing_for_one_port_exactly_one_wins(wf_store: Any) -> None:
    store = wf_store
    url = store._db.url.url if store.dialect == "postgresql" else f"sqlite:///{store._db.url.path}"
    ids = _assignable(store, RACERS, "race")
    before = store.current_version().number
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_racer, args=(url, rid, start, results)) for rid in ids]
    for p in processes:
        p.start()
    time.sleep(0.5)
    started = time.monotonic()
    start.set()
    outcomes = [results.get(timeout=120) for _ in processes]
    elapsed = time.monotonic() - started
    for p in processes:
        p.join(timeout=30)
    errors = [o for o in outcomes if o[1] == "error"]
    assert errors == [], errors
    winners = [o for o in outcomes if o[1] == "assigned"]
    assert len(winners) == 1, outcomes
    losers = [o for o in outcomes if o[1] == "conflict"]
    assert all("went back to Expert Review" in o[2] and "40000/tcp is assigned" in o[2] for o in losers), losers[:3]
    # Nothing lost: one new version, the winner in it, every loser back in review with its note.
    assert store.current_version().number == before + 1
    winner = winners[0][0]
    assert [s.record.name for s in store.records_at_port(PORT, transport="tcp")] == [f"race{ids.index(winner)}"]
    for rid in ids:
        request = wf.get(store, SAM, rid)
        if rid == winner:
            assert request["state"] == "assigned"
        else:
            assert request["state"] == "expert-review"
            assert wf.events(store, SAM, rid)[-1]["kind"] == "conflict"
    assert wf.verify(store).ok
    print(f"\n{RACERS} racing approvals on {store.dialect}: {elapsed:.2f} s")


def _publisher(url: str, request_id: int, ready: Any, go: Any) -> None:
    with Store.open(url) as store:
        ready.set()
        go.wait()
        wf.act(store, SAM, request_id, "assign", port=PORT + request_id)


def test_a_publication_killed_half_way_leaves_no_version_or_the_whole_one(wf_store: Any) -> None:
    store = wf_store
    url = store._db.url.url if store.dialect == "postgresql" else f"sqlite:///{store._db.url.path}"
    delays = [0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8, 1.2, 10.0]  # the last one lets it finish
    ids = _assignable(store, len(delays), "kill")
    context = multiprocessing.get_context("fork")
    outcomes = []
    for rid, delay in zip(ids, delays):
        before = store.current_version().number
        ready, go = context.Event(), context.Event()
        child = context.Process(target=_publisher, args=(url, rid, ready, go))
        child.start()
        assert ready.wait(30)
        go.set()
        time.sleep(delay)
        if child.is_alive():
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join()
        with Store.open(url) as after:  # a fresh connection, as after a crash
            now = after.current_version().number
            request = after.workflow().request(rid)
            records = [s.record.name for s in after.records_at_port(PORT + rid)]
            if now == before:
                outcomes.append("none")
                assert request["state"] == "assignable" and records == []
            else:
                outcomes.append("whole")
                assert now == before + 1 and request["state"] == "assigned" and request["published_version"] == now
                assert sorted(records, key=str) == [None, None, f"kill{ids.index(rid)}", f"kill{ids.index(rid)}"]
                assert after.version(now).record_count == len(after.records())
            assert wf.verify(after).ok
    # The versions written are whole: importing the registry they hold changes nothing.
    assert store.import_registry(store.registry(), source="check") is None
    assert outcomes[0] == "none" and outcomes[-1] == "whole", outcomes
    print(f"\nkill -9 during publication on {store.dialect}: {outcomes}")


def _filer(url: str, n: int, start: Any, results: Any) -> None:
    from tests.support.workflow import ALICE

    with Store.open(url) as store:
        start.wait()
        try:
            filed = wf.file(store, ALICE, template(service_name=f"same{n}", port=2693))
            results.put((n, "filed", filed["id"]))
        except wf.RequestRejected as exc:
            results.put((n, "refused", str(exc)))
        except Exception as exc:  # reported, and failed on below
            results.put((n, "error", f"{type(exc).__name__}: {exc}"))


def test_of_many_requests_filed_at_once_for_one_port_one_holds_it(wf_store: Any) -> None:
    store = wf_store
    url = store._db.url.url if store.dialect == "postgresql" else f"sqlite:///{store._db.url.path}"
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=_filer, args=(url, n, start, results)) for n in range(20)]
    for p in processes:
        p.start()
    time.sleep(0.5)
    start.set()
    outcomes = [results.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=30)
    assert [o for o in outcomes if o[1] == "error"] == []
    assert len([o for o in outcomes if o[1] == "filed"]) == 1, outcomes
    assert all("an open request holds port 2693/tcp" in o[2] for o in outcomes if o[1] == "refused")
    assert len(store.workflow().requests()) == 1

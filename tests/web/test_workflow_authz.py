"""Who may do what, generated from the transition table: every row × every kind of caller.

Callers: nobody signed in; the request's own requester; another requester; an expert of
a group the request is routed to; an expert of another group; staff; the IESG. For
each row of :data:`~portreg.services.workflow.TRANSITIONS` a request is brought to the
row's state, and every caller tries the row's action: the ones the row names succeed;
the others are refused: 401 (nobody), 404 (a caller who may not see the request, the
same answer as for one that does not exist), 403 (one who sees it but whose action it
is not). The API's routes and the CLI's commands are then checked against the same
expectations.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Iterator

import httpx
import pytest

from tests.support.cli import run
from tests.support.workflow import ACCOUNTS, ALICE, BOB, EVE, IVY, SAM, STU, drive, template
from portreg.errors import NotFound, PermissionDenied, SignInRequired
from portreg.services import workflow as wf
from portreg.services.workflow import states

CALLERS = {"anonymous": None, "requester": ALICE, "other-requester": BOB, "expert": EVE, "other-expert": STU, "staff": SAM, "iesg": IVY}
#: Which role of the table each caller holds on a request ALICE filed and that is routed to tcp-udp.
TABLE_ROLE = {"requester": "requester", "expert": "expert", "staff": "staff", "iesg": "iesg"}
BASE = "matrixbase"
_counter = itertools.count(1)


def expected(row: states.Transition, caller: str, routed: bool = True) -> str:
    """``routed``: the request went to expert review (its experts see it from then on)."""
    if caller == "anonymous":
        return "401"
    if caller in ("other-requester", "other-expert") or (caller == "expert" and not routed):
        return "404"
    return "ok" if TABLE_ROLE[caller] in row.roles else "403"


def _kind(row: states.Transition) -> str:
    if row.source == states.MODIFIABLE and states.MODIFICATION in row.kinds:
        return states.MODIFICATION
    for kind in (states.ASSIGNMENT, states.DEASSIGNMENT, states.MODIFICATION, states.REVOCATION):
        if kind in row.kinds:
            return kind
    return sorted(row.kinds)[0]


def reach(store: Any, row: states.Transition) -> int:
    """A new request of a kind the row applies to, brought to the row's state."""
    n = next(_counter)
    kind = _kind(row)
    if row.action == "accept" and row.target == states.ASSIGNABLE:
        raw = template(service_name=f"m{n}", port=None, justification=None)
    elif kind == states.ASSIGNMENT:
        raw = template(service_name=f"m{n}", port="user")
    elif kind == states.MODIFICATION:
        raw = {"kind": kind, "target": BASE, "changes": {"description": f"change {n}"}}
    elif kind == states.DEASSIGNMENT:
        raw = {"kind": kind, "target": BASE}
    else:
        raw = {"kind": kind, "target": BASE, "clearly_unused": True}
    filer = SAM if kind == states.REVOCATION else ALICE
    request = wf.file(store, filer, raw)
    rid = request["id"]
    if filer is SAM:  # a revocation is staff's own: let the table's "requester" be staff's too
        pytest.skip("revocations are filed by staff")
    steps: dict[str, list[tuple[Any, ...]]] = {
        states.NEW: [],
        states.VALIDATING: [(SAM, "validate")],
        states.EXPERT_REVIEW: [(SAM, "validate"), (SAM, "route")],
        states.INTERNAL_REVIEW: [(SAM, "validate"), (SAM, "route"), (EVE, "consult")],
        states.WITH_REQUESTER: [(SAM, "validate"), (SAM, "route"), (EVE, "ask", {"reason": "why?"})],
        states.IESG_ESCALATION: [(SAM, "validate"), (SAM, "escalate")],
        states.ASSIGNABLE: [(SAM, "validate"), (SAM, "accept")] if raw.get("port", 1) is None else [(SAM, "validate"), (SAM, "route"), (EVE, "approve")],
        states.MODIFIABLE: [(SAM, "validate"), (SAM, "accept")],
    }
    drive(store, rid, *steps[row.source])
    if row.source == states.IESG_ESCALATION:
        wf.vote(store, IVY, rid, "yes", "fine")
    if row.source == states.EXPERT_REVIEW or row.source == states.WITH_REQUESTER:
        pass
    return rid


def attempt(store: Any, caller: str, rid: int, row: states.Transition) -> str:
    options: dict[str, Any] = {"reason": "because"}
    if row.action == "assign":
        options["port"] = 30000 + rid
    try:
        wf.act(store, CALLERS[caller], rid, row.action, **options)
    except SignInRequired:
        return "401"
    except NotFound:
        return "404"
    except PermissionDenied:
        return "403"
    return "ok"


@pytest.fixture(scope="module")
def matrix_store(tmp_path_factory: pytest.TempPathFactory, small: Any) -> Iterator[Any]:
    from portreg.services import accounts
    from portreg.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'store.db'}"
    with Store.open(url) as store:
        store.import_registry(small, source="small")
        for account in sorted(ACCOUNTS.values(), key=lambda a: a.id):
            accounts.create_account(store, email=account.email, name=account.name, roles=account.roles, groups=account.groups)
        base = wf.file(store, ALICE, template(service_name=BASE))
        drive(store, base["id"], (SAM, "validate"), (SAM, "route"), (EVE, "approve"), (SAM, "assign"))
        yield store


ROWS = [row for row in wf.TRANSITIONS if _kind(row) != states.REVOCATION]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.action}:{r.source}->{r.target}" for r in ROWS])
def test_every_row_of_the_table_for_every_caller(matrix_store: Any, row: states.Transition) -> None:
    store = matrix_store
    rid = reach(store, row)
    routed = bool(wf.get(store, SAM, rid)["reviews"])
    refused = {c for c in CALLERS if expected(row, c, routed) != "ok"}
    for caller in sorted(refused):  # refusals change nothing: one request serves them all
        assert attempt(store, caller, rid, row) == expected(row, caller, routed), (caller, row)
    assert wf.get(store, SAM, rid)["state"] == row.source
    for caller in sorted(set(CALLERS) - refused):
        rid = rid or reach(store, row)
        assert attempt(store, caller, rid, row) == "ok", (caller, row)
        rid = 0


def test_the_iesg_alone_votes_and_only_on_an_escalated_request(matrix_store: Any) -> None:
    store = matrix_store
    row = next(r for r in wf.TRANSITIONS if r.action == "approve" and r.source == states.IESG_ESCALATION)
    rid = reach(store, row)
    outcomes = {}
    for caller, account in CALLERS.items():
        try:
            wf.vote(store, account, rid, "no-objection", "ok")
            outcomes[caller] = "ok"
        except SignInRequired:
            outcomes[caller] = "401"
        except NotFound:
            outcomes[caller] = "404"
        except PermissionDenied:
            outcomes[caller] = "403"
    assert outcomes == {
        "anonymous": "401", "requester": "403", "other-requester": "404", "expert": "404",  # escalated before any expert saw it
        "other-expert": "404", "staff": "403", "iesg": "ok",
    }


# --------------------------------------------------------------------------- the API's routes


@pytest.fixture(scope="module")
def api(matrix_store: Any) -> Iterator[dict[str, Any]]:
    from tests.support.web import serving
    from portreg.services import accounts

    tokens = {caller: accounts.new_token(matrix_store, account.id, name="matrix").secret for caller, account in CALLERS.items() if account}
    with serving(matrix_store.url) as (base, _):
        yield {"base": base + "/api/v1", "tokens": tokens}


def _status(api: dict[str, Any], caller: str, method: str, path: str, **kwargs: Any) -> int:
    headers = kwargs.pop("headers", {})
    if caller != "anonymous":
        headers["Authorization"] = f"Bearer {api['tokens'][caller]}"
    return httpx.request(method, api["base"] + path, headers=headers, timeout=30, **kwargs).status_code


@pytest.mark.slow
def test_every_route_for_every_caller(matrix_store: Any, api: dict[str, Any]) -> None:
    """Generated from the router: a route added without a row here fails."""
    from fastapi.routing import APIRoute

    from portreg.web.api import requests as requests_api

    store = matrix_store
    routed = next(r for r in wf.TRANSITIONS if r.action == "approve" and r.source == states.EXPERT_REVIEW)
    rid = reach(store, routed)
    etag = {"If-Match": f'"{wf.get(store, SAM, rid)["etag"]}"'}
    seeing = {"anonymous": 401, "requester": 200, "other-requester": 404, "expert": 200, "other-expert": 404, "staff": 200, "iesg": 200}
    cases: dict[tuple[str, str], tuple[dict[str, Any], dict[str, int]]] = {
        ("GET", "/requests"): ({}, {c: 401 if c == "anonymous" else 200 for c in CALLERS}),
        ("GET", "/requests/transitions"): ({}, dict.fromkeys(CALLERS, 200)),
        ("POST", "/requests/check"): ({"json": template(service_name="probe", port="user")}, {c: 401 if c == "anonymous" else 200 for c in CALLERS}),
        ("POST", "/requests"): ({"json": {"service_name": "-"}}, {c: 401 if c == "anonymous" else 422 for c in CALLERS}),
        ("GET", "/requests/{request_id}"): ({}, seeing),
        ("GET", "/requests/{request_id}/events"): ({}, seeing),
        ("POST", "/requests/{request_id}/transitions"): (
            {"json": {"action": "ask", "reason": "?"}, "headers": {"If-Match": '"999"'}},  # a stale version: 412 for those allowed
            {c: {"401": 401, "404": 404, "403": 403, "ok": 412}[expected(next(r for r in wf.TRANSITIONS if r.action == "ask" and r.source == states.EXPERT_REVIEW), c)] for c in CALLERS},
        ),
        ("POST", "/requests/{request_id}/comments"): ({"json": {"text": "hi"}, "headers": dict(etag)}, {**seeing, **{c: 200 for c in seeing if seeing[c] == 200}}),
        ("POST", "/requests/{request_id}/votes"): (
            {"json": {"position": "yes"}, "headers": {"If-Match": '"999"'}},
            {"anonymous": 401, "requester": 403, "other-requester": 404, "expert": 403, "other-expert": 404, "staff": 403, "iesg": 412},
        ),
        ("GET", "/audit"): ({}, {"anonymous": 401, "requester": 403, "other-requester": 403, "expert": 403, "other-expert": 403, "staff": 200, "iesg": 200}),
    }
    routes = {(m, r.path) for r in requests_api.router.routes if isinstance(r, APIRoute) for m in r.methods}
    assert routes == set(cases)
    for (method, path), (options, wanted) in sorted(cases.items()):
        for caller in CALLERS:
            concrete = path.replace("{request_id}", str(rid))
            kwargs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in options.items()}
            if path.endswith("comments"):
                kwargs["headers"] = {"If-Match": f'"{wf.get(store, SAM, rid)["etag"]}"'}
            got = _status(api, caller, method, concrete, **kwargs)
            assert got == wanted[caller], (method, path, caller, got)


# --------------------------------------------------------------------------- the CLI's commands


@pytest.mark.slow
def test_every_command_for_every_caller(matrix_store: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from portreg.cli import workflow as cli

    store = matrix_store
    routed = next(r for r in wf.TRANSITIONS if r.action == "approve" and r.source == states.EXPERT_REVIEW)
    commands = {
        f"{group.name} {name}"
        for group in (cli.request, cli.review, cli.iesg, cli.audit)
        for name in group.commands  # type: ignore[attr-defined]
    }
    cases = {
        "request new": lambda n: ["request", "new", "--dry-run", "--name", "probe", "--transport", "tcp"],
        "request check": lambda n: ["request", "check", "--name", "probe"],
        "request list": lambda n: ["request", "list"],
        "request show": lambda n: ["request", "show", n],
        "request withdraw": lambda n: ["request", "withdraw", n],
        "request answer": lambda n: ["request", "answer", n, "text"],
        "request comment": lambda n: ["request", "comment", n, "text"],
        "review queue": lambda n: ["review", "queue"],
        "review approve": lambda n: ["review", "approve", n],
        "review reject": lambda n: ["review", "reject", n, "--reason", "no"],
        "review ask": lambda n: ["review", "ask", n, "why?"],
        "review move": lambda n: ["review", "move", n, "consult"],
        "review remind": lambda n: ["review", "remind"],
        "iesg vote": lambda n: ["iesg", "vote", n, "yes"],
        "audit verify": lambda n: ["audit", "verify"],
    }
    assert set(cases) == commands
    table = {
        "request withdraw": "withdraw", "request answer": "answer", "review approve": "approve", "review reject": "reject",
        "review ask": "ask", "review move": "consult",
    }
    for command, args in sorted(cases.items()):
        for caller, account in CALLERS.items():
            if account is None:
                continue  # the CLI always acts as someone: --as is required
            rid = reach(store, routed)
            code, out, err = run(capsys, "--db", store.url, *args(str(rid))[:2], "--as", account.email, *args(str(rid))[2:]) if command not in (
                "review remind", "audit verify") else run(capsys, "--db", store.url, *args(str(rid)))
            if command in table:
                row = states.transition_for(table[command], states.EXPERT_REVIEW, states.ASSIGNMENT)
                wanted = "ok" if row is not None and expected(row, caller) == "ok" else expected(row, caller) if row else "409"
                ok = code == 0
                if wanted == "ok":
                    assert ok, (command, caller, err)
                else:
                    assert not ok and "Traceback" not in err, (command, caller, out)
                    if wanted == "404":
                        assert f"there is no request {rid}" in err
            elif command in ("request show", "request comment"):
                assert (code == 0) == (caller not in ("other-requester", "other-expert")), (command, caller, err)
            elif command == "iesg vote":
                assert code != 0 and "Traceback" not in err  # not escalated: nobody votes on it
            elif command == "review queue":
                refused = caller in ("requester", "other-requester")
                assert code == (7 if refused else 0) and ("only experts" in err) == refused, (command, caller, err)  # 7: PermissionDenied
            else:
                assert code in (0, 1, 7) and "Traceback" not in err, (command, caller, err)  # 7: PermissionDenied
            json  # noqa: B018

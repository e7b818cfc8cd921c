"""``portreg request | review | iesg | audit``: the assignment process from the command line.

Every command acts as an account, named by ``--as EMAIL`` (or ``$PORTREG_AS``): whoever
runs portreg on the store's own machine may act as any account, as with ``portreg
user``; people elsewhere use the JSON API with their own token. Each command calls one
function of :mod:`portreg.services.workflow`, which checks what that account may do.

A request comes from a TOML or JSON file (the §8.1.1 template's fields, see ``portreg
request new --help``), from options, or both (options win).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ._context import open_store
from ._output import Listing, Table, listing

REQUEST_JSON = """\b
A request in JSON:
  {"id": 7, "registry": "iana", "kind": "assignment", "state": "expert-review", "state_label": "Expert Review",
   "open": true, "etag": 4, "service_name": "frobnitz", "port": 1491, "transports": ["tcp"],
   "turn": "expert", "reviews": [{"group": "tcp-udp", "decision": "pending", ...}],
   "time": {"gross": 86400, "net": {"staff": 3600, "expert": 82800, ...}, ...},
   "next": [{"action": "approve", "to": "assignable", ...}], "findings": [...], "data": {...}}"""

TEMPLATE_HELP = """\b
The file (TOML or JSON) holds the fields of RFC 6335 §8.1.1:
  service_name = "frobnitz"
  transports = ["tcp", "udp"]
  assignee = "Alice Example <alice@example.com>"
  contact = "Alice Example <alice@example.com>"
  description = "Frobnitz remote control"
  reference = "https://example.com/frobnitz; unicast only"
  port = 1491            # or "user" / "system"; leave out for a name only
  justification = "why a dynamic port will not do"
  service_code = "SC:frob"   # with dccp only
Other kinds: kind = "add-transport" | "modification" | "de-assignment" | "reuse" |
"revocation" | "transfer", with target = "NAME", changes = {...}, transfer_from = N,
clearly_unused = true or community_call = {started, ended, summary}."""

as_option = click.option(
    "--as",
    "actor",
    envvar="PORTREG_AS",
    required=True,
    metavar="EMAIL",
    help="The account acting (default: $PORTREG_AS).",
)


def _account(store: Any, email: str) -> Any:
    from ..services import accounts

    return accounts.find_account(store, email)


def _summary(request: dict[str, Any]) -> str:
    port = request["port"] if request["port"] is not None else "-"
    registry = request.get("registry") or "iana"
    to = "" if registry == "iana" else f" to {registry}"
    return (
        f"request {request['id']}{to} ({request['kind']} {request['service_name'] or ''} port {port} "
        f"{'/'.join(request['transports'])}): {request['state_label']}, waiting on {request['turn']}"
    )


def _table(requests: list[dict[str, Any]], title: str) -> Table:
    rows = [
        (
            r["id"],
            r["kind"],
            r["service_name"] or "",
            r["port"] if r["port"] is not None else "",
            " ".join(r["transports"]),
            r["state"],
            r["turn"],
            r["state_since"][:10],
        )
        for r in requests
    ]
    if any((r.get("registry") or "iana") != "iana" for r in requests):  # only when local registries are asked
        return Table(
            ("id", "registry", "kind", "name", "port", "transports", "state", "turn", "since"),
            [(row[0], r["registry"], *row[1:]) for row, r in zip(rows, requests, strict=True)],
            title,
        )
    return Table(("id", "kind", "name", "port", "transports", "state", "turn", "since"), rows, title)


def _findings(findings: list[dict[str, Any]]) -> Table:
    return Table(
        ("level", "field", "section", "message"),
        [(f["level"], f["field"], f["section"], f["message"]) for f in findings],
        "findings",
    )


def _shown(request: dict[str, Any]) -> Listing:
    lines = [_summary(request)]
    if request.get("rejection"):
        lines.append(f"rejected: {request['rejection']}")
    if request.get("next"):
        lines.append("next: " + ", ".join(f"{n['action']} -> {n['to']}" for n in request["next"]))
    return Listing(request, tables=[_findings(request.get("findings") or [])], lines=lines)


# --------------------------------------------------------------------------- reading a request


def _template(path: str | None, options: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if path is not None:
        text = sys.stdin.read() if path == "-" else _read(path)
        if path.endswith(".json") or text.lstrip().startswith("{"):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(f"{path}: not JSON: {exc}") from None
        else:
            import tomllib

            try:
                raw = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise click.BadParameter(f"{path}: not TOML: {exc}") from None
        if not isinstance(raw, dict):
            raise click.BadParameter(f"{path}: a request is a table of fields")
    for key, value in options.items():
        if value not in (None, ()):
            raw[key] = list(value) if isinstance(value, tuple) else value
    return raw


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.FileError(path, str(exc)) from None


def template_options(func: Any) -> Any:
    for option in reversed(
        [
            click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True)),
            click.option(
                "--kind",
                help="assignment (default), add-transport, modification, de-assignment, reuse, revocation, transfer.",
            ),
            click.option("--name", "service_name", help="The service name (§5.1)."),
            click.option("--transport", "transports", multiple=True, help="tcp, udp, sctp, dccp (repeatable)."),
            click.option("--port", help='A number, "user" or "system"; none for a name only.'),
            click.option("--assignee", help='"Name <email>".'),
            click.option("--contact", help='"Name <email>".'),
            click.option("--description"),
            click.option(
                "--reference", help="The specification; say whether it uses unicast, multicast, broadcast or anycast."
            ),
            click.option("--justification", help="Why a dynamic (and for system ports, a user) port will not do."),
            click.option("--service-code", help="The DCCP service code (with dccp only)."),
            click.option("--target", help="The assigned name the request is about (other kinds)."),
            click.option("--transfer-from", type=int, help="Transfer: the old party's de-assignment request."),
            click.option(
                "--registry",
                metavar="NAME",
                help="The registry asked: iana (default) or a local registry of this store, with its own rules "
                "(see `portreg registry rules NAME`).",
            ),
        ]
    ):
        func = option(func)
    return func


# --------------------------------------------------------------------------- portreg request


@click.group("request")
def request() -> None:
    """File and follow requests for ports and service names (RFC 6335 §8)."""


@request.command("new", epilog=f"{TEMPLATE_HELP}\n\n{REQUEST_JSON}")
@as_option
@template_options
@click.option("--dry-run", is_flag=True, help="Run the checks only; file nothing.")
@listing
def new(actor: str, file: str | None, dry_run: bool, **options: Any) -> Listing:
    """File a request from FILE (TOML or JSON; - for standard input) and/or options.

    Every check runs first; a request that fails one is not filed, and every failure
    is listed with its field and RFC section (exit 1).
    """
    from ..services import workflow

    raw = _template(file, options)
    with open_store() as store:
        account = _account(store, actor)
        if dry_run:
            findings = [f.as_json() for f in workflow.dry_run(store, account, raw)]
            ok = not any(f["level"] == "error" for f in findings)
            return Listing(
                {"ok": ok, "findings": findings},
                tables=[_findings(findings)],
                found=ok,
                lines=[
                    "every check passed"
                    if not findings
                    else ("only warnings" if ok else "the request would be refused")
                ],
            )
        try:
            filed = workflow.file(store, account, raw)
        except workflow.RequestRejected as exc:
            findings = [f.as_json() for f in exc.findings]
            return Listing({"ok": False, "findings": findings}, tables=[_findings(findings)], found=False,
                           message="the request was not filed: every check must pass")
    return _shown(filed)


@request.command("check", epilog=TEMPLATE_HELP)
@as_option
@template_options
@listing
def check(actor: str, file: str | None, **options: Any) -> Listing:
    """The checks a request would meet, without filing it (exit 1 when one fails)."""
    from ..services import workflow

    raw = _template(file, options)
    with open_store() as store:
        findings = [f.as_json() for f in workflow.dry_run(store, _account(store, actor), raw)]
    ok = not any(f["level"] == "error" for f in findings)
    return Listing(
        {"ok": ok, "findings": findings},
        tables=[_findings(findings)],
        found=ok,
        lines=["every check passed" if not findings else ("only warnings" if ok else "the request would be refused")],
    )


@request.command("list", epilog=f'JSON (--json): {{"requests": [request, ...]}}\n\n{REQUEST_JSON}')
@as_option
@click.option("--mine", is_flag=True, help="Only requests I filed.")
@click.option("--state", help="Only requests in this state (e.g. expert-review).")
@click.option("--open", "open_only", is_flag=True, help="Only open requests.")
@click.option("--registry", metavar="NAME", help="Only requests to this registry (iana or a local one).")
@listing
def list_(actor: str, mine: bool, state: str | None, open_only: bool, registry: str | None) -> Listing:
    """Requests I may see: my own; an expert's groups'; for staff and the IESG, all."""
    from ..services import workflow

    with open_store() as store:
        found = workflow.list_requests(
            store,
            _account(store, actor),
            scope="mine" if mine else "visible",
            state=state,
            open_only=open_only,
            registry=registry,
        )
    return Listing({"requests": found}, tables=[_table(found, "requests")], message=None if found else "no requests")


@request.command("show", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.option("--events", "with_events", is_flag=True, help="Also the request's audit trail.")
@listing
def show(actor: str, number: int, with_events: bool) -> Listing:
    """One request: its state, whose turn it is, time per party, the moves open to me."""
    from ..services import workflow

    with open_store() as store:
        account = _account(store, actor)
        found = workflow.get(store, account, number)
        trail = workflow.events(store, account, number) if with_events else []
    shown = _shown(found)
    if not with_events:
        return shown
    table = Table(
        ("at", "actor", "kind", "from", "to", "why"),
        [
            (e["at"], e["actor"], e["kind"], e["from_state"] or "", e["to_state"] or "", e["reason"] or "")
            for e in trail
        ],
        "events",
    )
    return Listing({**found, "events": trail}, tables=[*shown.tables, table], lines=shown.lines)


def _move(actor: str, number: int, action: str, **options: Any) -> Listing:
    from ..services import workflow

    with open_store() as store:
        return _shown(workflow.act(store, _account(store, actor), number, action, **options))


@request.command("withdraw", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.option("--reason", help="Why (kept in the audit trail).")
@listing
def withdraw(actor: str, number: int, reason: str | None) -> Listing:
    """Withdraw my request; its holds end."""
    return _move(actor, number, "withdraw", reason=reason)


@request.command("answer", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.argument("text")
@listing
def answer(actor: str, number: int, text: str) -> Listing:
    """Answer the question a request is waiting on; it goes back to whoever asked."""
    return _move(actor, number, "answer", reason=text)


@request.command("comment", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.argument("text")
@listing
def comment(actor: str, number: int, text: str) -> Listing:
    """Add a comment to a request."""
    from ..services import workflow

    with open_store() as store:
        return _shown(workflow.comment(store, _account(store, actor), number, text))


# --------------------------------------------------------------------------- portreg review


@click.group("review")
def review() -> None:
    """Expert and staff work: the queue, and moving requests along the process."""


@review.command("queue", epilog=f'JSON (--json): {{"requests": [request, ...]}}\n\n{REQUEST_JSON}')
@as_option
@listing
def queue(actor: str) -> Listing:
    """Open requests waiting on me: my review groups (experts), or my role (staff, IESG)."""
    from ..services import workflow

    with open_store() as store:
        found = workflow.list_requests(store, _account(store, actor), scope="queue")
    return Listing(
        {"requests": found}, tables=[_table(found, "queue")], message=None if found else "the queue is empty"
    )


@review.command("approve", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.option("--group", help="The review group approving (default: all of mine that are pending).")
@click.option("--reason", help="A note kept with the approval.")
@listing
def approve(actor: str, number: int, group: str | None, reason: str | None) -> Listing:
    """Approve a request (expert: for my groups; IESG: an escalated one). The checks run again."""
    return _move(actor, number, "approve", group=group, reason=reason)


@review.command("reject", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.option("--reason", required=True, help="Why: shown to the requester.")
@listing
def reject(actor: str, number: int, reason: str) -> Listing:
    """Reject a request, with the reason the requester will read."""
    return _move(actor, number, "reject", reason=reason)


@review.command("ask", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.argument("question")
@listing
def ask(actor: str, number: int, question: str) -> Listing:
    """Ask the requester a question (it reaches them without my name)."""
    return _move(actor, number, "ask", reason=question)


@review.command("move", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.argument(
    "action", type=click.Choice(["validate", "route", "escalate", "accept", "consult", "resume", "assign", "apply"])
)
@click.option("--port", type=int, help="assign: the number for a request of any user or system port.")
@click.option("--reason", help="Why (kept in the audit trail).")
@listing
def move(actor: str, number: int, action: str, port: int | None, reason: str | None) -> Listing:
    """Any other move of the transition table; assign and apply publish a registry version."""
    return _move(actor, number, action, port=port, reason=reason)


@review.command("remind")
@click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="QUEUE=DAYS",
    help="How long a queue (staff, expert, iesg, requester) may hold a request (repeatable; "
    "defaults: staff 5, expert 14, iesg 30, requester 30).",
)
@listing
def remind(limits: tuple[str, ...]) -> Listing:
    """Remind whoever holds a request past their queue's limit (run it daily)."""
    from datetime import timedelta

    from ..services import workflow
    from ..services.workflow import clock

    chosen = dict(clock.LIMITS)
    for item in limits:
        queue, _, days = item.partition("=")
        if queue not in chosen or not (days.isascii() and days.isdigit() and len(days) < 5):
            raise click.BadParameter(f"{item!r}: QUEUE=DAYS, QUEUE one of {', '.join(chosen)}", param_hint="--limit")
        chosen[queue] = timedelta(days=int(days))
    with open_store() as store:
        found = workflow.remind(store, limits=chosen)
    return Listing({"reminded": found}, lines=[f"reminded: {', '.join(map(str, found)) or 'nobody'}"])


# --------------------------------------------------------------------------- portreg iesg / audit


@click.group("iesg")
def iesg() -> None:
    """The IESG's ballots on escalated requests."""


@iesg.command("vote", epilog=REQUEST_JSON)
@as_option
@click.argument("number", type=int)
@click.argument("position", type=click.Choice(["yes", "no-objection", "discuss", "abstain", "recuse"]))
@click.option("--text", help="The ballot's text (required for discuss).")
@listing
def vote(actor: str, number: int, position: str, text: str | None) -> Listing:
    """Record my ballot position on an escalated request."""
    from ..services import workflow

    with open_store() as store:
        return _shown(workflow.vote(store, _account(store, actor), number, position, text))


@click.group("audit")
def audit() -> None:
    """The workflow's audit trail."""


@audit.command(
    "verify", epilog='JSON (--json): {"events": 120, "ok": true, "problems": ["event 7 was changed ...", ...]}'
)
@listing
def verify() -> Listing:
    """Walk the hash chain of every event: exit 1 when one was edited or removed."""
    from ..services import workflow

    with open_store() as store:
        report = workflow.verify(store)
    lines = [
        f"{report.events} events, the chain is intact"
        if report.ok
        else f"{report.events} events; {len(report.problems)} problem(s):"
    ]
    return Listing(report.as_json(), lines=[*lines, *report.problems], found=report.ok)

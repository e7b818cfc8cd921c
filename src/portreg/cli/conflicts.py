"""``portreg registry conflicts | resolve``: what the stacked registries' versions found against each other.

Conflicts are found by the imports and syncs themselves (``portreg.services.conflicts``);
``portreg import`` and ``portreg sync`` print what they found and resolved with
:func:`report_lines`, and these commands list them and let a person resolve one.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Any

import click

from ._context import open_store
from ._output import Listing, Table, listing

if TYPE_CHECKING:
    from ..services.conflicts import Reconciled

CONFLICT_JSON = """\b
A conflict in JSON:
  {"id": 12, "registry": "acme", "kind": "port" | "reserved" | "name" | "outside",
   "state": "open" | "resolved", "message": "acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql",
   "local_record_id": 14445, "upstream_record_id": 9249 | null,
   "local_version": 2, "upstream_version": 1,
   "found_at": "2026-11-30T12:00:00+00:00", "found_by": "import" | "sync" | "request" | "ranges",
   "found_version": 2 | null, "resolved_at": ... | null, "resolved_by": "sync" | "alice" | null,
   "resolution": "no longer holds after version 5" | "a person's reason" | null,
   "resolved_version": 5 | null}"""


def _actor() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def report_json(report: Reconciled) -> dict[str, Any]:
    """What one version found and resolved, as ``portreg import`` and ``sync`` write it in JSON."""
    return {
        "found": [c.as_json() for c in report.found],
        "resolved": [c.as_json() for c in report.resolved],
        "allowed": [c.as_json() for c in report.allowed],
    }


def report_lines(report: Reconciled, indent: str = "  ") -> list[str]:
    """One line per conflict a version found or resolved, under an import's or a sync's line."""
    lines = [f"{indent}conflict {c.line()}" for c in report.found]
    lines += [f"{indent}resolved {c.line()} ({c.resolution})" for c in report.resolved]
    lines += [f"{indent}allowed  {c.line()} ({c.resolution})" for c in report.allowed]
    return lines


@click.command(
    epilog=f"""\b
JSON (--json): {{"registry": "acme" | null, "open": true | false,
                 "counts": {{"acme": {{"open": 3, "resolved": 1}}, ...}},
                 "conflicts": [conflict, ...]}}  newest first.
Exit status: 1 when there is no (open, with --open) conflict.

{CONFLICT_JSON}"""
)
@click.argument("name", required=False)
@click.option("--open", "open_only", is_flag=True, help="Only the conflicts that still hold.")
@click.option(
    "--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True, help="List at most N, newest first."
)
@listing
def conflicts(name: str | None, open_only: bool, limit: int) -> Listing:
    """List the conflicts between local registries and the upstream one (of registry NAME).

    A conflict is found when a local import or a sync of IANA's registry publishes a
    version: a local record on a port IANA assigns (port) or keeps reserved (reserved),
    a local name IANA assigns elsewhere (name), a local record outside its registry's
    ranges (outside). It is resolved by the first version after which it no longer
    holds, or by a person (`portreg registry resolve`).

    \b
    portreg registry conflicts acme --open
    """
    from ..services import conflicts as service

    with open_store() as store:
        found = service.conflicts(store, name, open_only=open_only, limit=limit)
        counts = service.counts(store)
    rows = [(c.id, c.registry, c.kind, c.state, c.message, c.found_version, c.resolution or "") for c in found]
    data = {
        "registry": name,
        "open": open_only,
        "counts": {reg: {"open": o, "resolved": r} for reg, (o, r) in counts.items()},
        "conflicts": [c.as_json() for c in found],
    }
    what = "open conflicts" if open_only else "conflicts"
    return Listing(
        data,
        [Table(("id", "registry", "kind", "state", "conflict", "found in", "resolution"), rows, what)],
        found=bool(found),
        message=None if found else f"no {what}" + (f" in registry {name}" if name else ""),
    )


@click.command(epilog=f"JSON (--json): the conflict, resolved.\n\n{CONFLICT_JSON}")
@click.argument("conflict_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
@click.option("--reason", required=True, help="Why it is resolved: kept in the store and mailed to the watchers.")
@listing
def resolve(conflict_id: int, reason: str) -> Listing:
    """Resolve conflict ID, saying why (it is not reported again for the same two records).

    \b
    portreg registry resolve 12 --reason "acme-db listens on 127.0.0.1 only"
    """
    from ..services import conflicts as service

    with open_store() as store:
        done = service.resolve(store, conflict_id, reason, actor=_actor())
    return Listing(done.as_json(), lines=[f"resolved {done.line()}"])

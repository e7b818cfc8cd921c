"""``portreg diff | import-history``: the registry's past, compared and filled in."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import click

from ._context import open_store
from ._output import Listing, Table, listing, progress

if TYPE_CHECKING:
    from ..services.history import Diff

VERSIONS_HELP = """\b
A version is a number (12), a date YYYY-MM-DD (the version in force that day) or
'latest'."""


# --------------------------------------------------------------------------- diff


@click.command(
    epilog=f"""{VERSIONS_HELP}

\b
JSON (--json):
  {{"from": version, "to": version, "summary": "3 added, 1 removed",
   "counts": {{"added": 3, "removed": 1, "renamed": 0, "moved": 0, "changed": 0,
              "people_added": 0, "people_removed": 0, "people_changed": 0, "head": 0,
              "reformatted": 2}},
   "records": [{{"kind": "added" | "removed" | "renamed" | "moved" | "changed", "id": 12345,
                "old": record | null, "new": record | null,
                "fields": [{{"field": "description", "old": "…", "new": "…"}}, ...]}}, ...],
   "people": [{{"kind": "added" | "removed" | "changed", "id": "Jon_Postel",
               "old": person | null, "new": person | null, "fields": [...]}}, ...],
   "head": [{{"field": "expert" | "notes" | "footnotes" | ..., "old": ..., "new": ...}}]}}
Records and people as in `portreg lookup --json` and `portreg people --json`.

\b
Piped, one change a line, tab-separated:
  kind  id  name  port  transport  what changed
then people (kind, id, name, what changed), then the head (field, change)."""
)
@click.argument("old", required=False, metavar="A")
@click.argument("new", required=False, metavar="[B]")
@click.option(
    "--since",
    metavar="DATE",
    help="What changed since DATE (YYYY-MM-DD): from the version in force then to the latest.",
)
@click.option(
    "--registry",
    metavar="NAME",
    help="Compare two versions of registry NAME (iana or a local one). Default: the registry "
    "the version numbers belong to; for dates and 'latest', IANA's.",
)
@listing
def diff(old: str | None, new: str | None, since: str | None, registry: str | None) -> Listing:
    """What changed from version A to version B (default: the latest).

    Records added, removed, renamed (same port, transport and assignee), moved (same
    name, another port) and changed, field by field; people added, removed and
    changed; the registry's experts, notes and footnotes. Records are named by the
    store's stable ids (`portreg show ID`).

    A store with local registries numbers the versions of all of them in one
    sequence; a diff compares two versions of one registry.
    """
    from ..services import history

    if since is not None and old is not None:
        raise click.UsageError("give versions A [B] or --since DATE, not both")
    if since is None and old is None:
        raise click.UsageError("give a version A (and B), or --since DATE")
    with open_store() as store:
        if since is not None:
            found = history.since(store, since, registry=registry)
        else:
            found = history.diff(store, old or "", new or "latest", registry=registry)
    return _diff_listing(found)


def _diff_listing(found: Diff) -> Listing:
    from ..services.history import change_line, describe

    rows = []
    for change in found.records:
        record = change.record
        if change.kind in ("added", "removed"):
            what = " ".join(str(record.description or "").split())
        elif change.kind in ("renamed", "moved"):
            what = describe(change).split("] ", 1)[1]
            rest = [change_line(f) for f in change.fields if f.field not in ("name", "port")]
            what = "; ".join([what, *rest])
        else:
            what = "; ".join(change_line(f) for f in change.fields)
        port = None if record.port is None else str(record.port)
        rows.append((change.kind, change.id, record.name, port, record.transport, what))
    people = []
    for person in found.people:
        shown = person.new or person.old
        assert shown is not None
        people.append((person.kind, person.id, shown.display_name, "; ".join(change_line(f) for f in person.fields)))
    head = [(f.field, change_line(f)) for f in found.head]
    title = (
        f"version {found.old.number} ({found.old.published or 'undated'}) "
        f"-> version {found.new.number} ({found.new.published or 'undated'})"
    )
    body = found.as_json()
    if "registry" in body:  # a local registry's versions
        title = f"{found.registry}: {title}"
    tables = [
        Table(("change", "id", "name", "port", "transport", "what changed"), rows, f"{title}: {found.summary()}"),
        Table(("change", "person", "name", "what changed"), people, "people"),
        Table(("field", "change"), head, "registry head"),
    ]
    message = f"{title}: {found.summary()}"
    return Listing(body, tables, message=message)


# --------------------------------------------------------------------------- import-history


@click.command(
    "import-history",
    epilog="""\b
JSON (--json): {"source": "…", "found": 342, "imported": 342, "unchanged": 0, "skipped": 0,
                "skipped_up_to": "2017-03-10" | null, "first": version | null, "last": version | null}""",
)
@click.argument("source", type=click.Path(exists=True, file_okay=True, dir_okay=True))
@listing
def import_history(source: str) -> Listing:
    """Import every past version of the registry from SOURCE, oldest first.

    SOURCE is a directory of IANA XML files, or a .tar.zst, .tar.gz or .tar archive of
    them (read as a stream: nothing is unpacked to disk). Versions go in by the date
    each file holds (<updated>) and keep it. Interrupted, it keeps every version it
    finished; run again, it skips the files dated on or before the store's latest
    version and goes on.
    """
    from ..services.history_import import import_history as run

    try:
        actor = getpass.getuser()
    except (KeyError, OSError):
        actor = None
    with open_store() as store, progress("importing versions") as advance:
        result = run(store, source, actor=actor, progress=advance)
    lines = [f"{source}: {result.found} versions found"]
    if result.skipped:
        lines.append(
            f"  {result.skipped} skipped: dated on or before the store's latest version ({result.latest_before})"
        )
    if result.imported:
        first, last = result.imported[0], result.imported[-1]
        lines.append(
            f"  {len(result.imported)} imported: versions {first.number} "
            f"({first.published}) to {last.number} ({last.published})"
        )
    if result.unchanged:
        lines.append(f"  {result.unchanged} unchanged: the same registry as the version before, nothing published")
    return Listing(result.as_json(), lines=lines)

"""``portreg registry``: an organization's own registries, stacked on IANA's.

``create``, ``list``, ``show`` and ``ranges`` manage the local registries a store holds
(through :mod:`portreg.services.registries`); ``check`` compares a local port list
with the registry in the store. See ``docs/overlays.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ._context import open_service
from ._output import Listing, Table, listing

if TYPE_CHECKING:
    from ..services.registries import RegistrySummary

REGISTRY_JSON = """\b
A registry in JSON:
  {"name": "acme", "kind": "local" | "upstream", "title": "ACME Corp. services",
   "position": 2, "created_at": "2026-11-30T12:00:00+00:00", "created_by": "ops" | null,
   "ranges": [{"low": 20000, "high": 20999, "transport": "tcp" | null, "text": "20000-20999/tcp"}],
   "current": version | null}
a version as `portreg versions --json` writes it (null: nothing imported yet)."""


@click.group()
def registry() -> None:
    """Local registries on top of IANA's (see docs/overlays.md)."""


def _actor() -> str | None:
    from .store import _actor as actor

    return actor()


def _rows(found: list[RegistrySummary]) -> list[tuple[Any, ...]]:
    return [
        (
            s.info.name,
            s.info.kind,
            s.current.number if s.current else None,
            s.current.record_count if s.current else None,
            ", ".join(str(r) for r in s.info.ranges) or None,
            s.info.title,
        )
        for s in found
    ]


_COLUMNS = ("registry", "kind", "version", "records", "owns", "title")


def _one(summary: RegistrySummary, message: str | None = None) -> Listing:
    from ..services.registries import summary_json

    return Listing(summary_json(summary), [Table(_COLUMNS, _rows([summary]), "registry")], message=message)


_owns = click.option(
    "--owns",
    multiple=True,
    metavar="LOW-HIGH[/TRANSPORT]",
    help="A range the registry allocates from, such as 20000-20999 or 30000-30099/udp (repeatable).",
)


@registry.command(epilog=REGISTRY_JSON)
@click.argument("name")
@click.option("--title", help="What the registry is called in its documents (default: NAME).")
@_owns
@listing
def create(name: str, title: str | None, owns: tuple[str, ...]) -> Listing:
    """Create local registry NAME on top of the stack.

    \b
    portreg registry create acme --title "ACME Corp. services" --owns 20000-20999
    portreg import --registry acme acme.services

    NAME is 2 to 32 lower-case letters, digits and hyphens (stack, all, local, upstream
    and none are reserved). Exit status 6 when the store already holds NAME.
    """
    from ..services.registries import create as create_registry

    with open_service() as service:
        made = create_registry(service, name, title=title, owns=owns, actor=_actor())
    return _one(made, f"created registry {made.name}: `portreg import --registry {made.name} FILE` fills it")


@registry.command(
    "list",
    epilog=f"""\b
JSON (--json): {{"registries": [registry, ...]}}, the one consulted first first.

{REGISTRY_JSON}""",
)
@listing
def list_() -> Listing:
    """List the registries in the store, in stack order: local ones first, IANA's last."""
    from ..services.registries import list_registries, summary_json

    with open_service() as service:
        found = list_registries(service)
    return Listing({"registries": [summary_json(s) for s in found]}, [Table(_COLUMNS, _rows(found), "registries")])


@registry.command(epilog=REGISTRY_JSON)
@click.argument("name")
@listing
def show(name: str) -> Listing:
    """Show registry NAME: its kind, title, ranges and current version."""
    from ..services.registries import describe, summary_json

    with open_service() as service:
        found = describe(service, name)
    lines = [
        f"{found.name} ({found.info.kind}): {found.info.title}",
        f"created {found.info.created_at}" + (f" by {found.info.created_by}" if found.info.created_by else ""),
        "allocates from " + (", ".join(str(r) for r in found.info.ranges) or "no range"),
        (
            f"current version {found.current.number} ({found.current.record_count} records, "
            f"from {found.current.source})"
            if found.current
            else "no version yet"
        ),
    ]
    return Listing(summary_json(found), lines=lines)


@registry.command(epilog=REGISTRY_JSON)
@click.argument("name")
@_owns
@click.option("--clear", is_flag=True, help="Remove every range: the registry allocates from none.")
@listing
def ranges(name: str, owns: tuple[str, ...], clear: bool) -> Listing:
    """Show the ranges local registry NAME allocates from; with --owns, replace them.

    \b
    portreg registry ranges acme
    portreg registry ranges acme --owns 20000-20999 --owns 30000-30099/udp
    """
    from ..services.registries import describe, set_ranges

    if clear and owns:
        raise click.UsageError("--clear removes every range: give it without --owns")
    from ..services.registries import summary_json

    with open_service() as service:
        if owns or clear:
            found = set_ranges(service, name, owns)
        else:
            found = describe(service, name)
    held = [str(r) for r in found.info.ranges]
    note = None if held else f"{found.name} allocates from no range"
    return Listing(summary_json(found), lines=held, message=note)


@registry.command(
    epilog="""\b
JSON (--json): {"upstream": {"number": 1, "published": "2024-03-18", ...},
  "since": version | null,
  "owns": ["20000-20999", ...], "counts": {"port": 1, ...},
  "findings": [{"kind": "port" | "reserved" | "name" | "outside" | "owned" | "same",
                "local": record | null, "owned": "20000-20999" | null,
                "upstream": [record, ...], "message": "..."}, ...]}
records as `portreg lookup --json` writes them (a local record's id is null).
Exit status: 0 when nothing collides (notes of kind "same" do not count), 1 otherwise."""
)
@click.argument("file", metavar="FILE")
@click.option(
    "--owns",
    "owns",
    multiple=True,
    metavar="LOW-HIGH[/TRANSPORT]",
    help="A range the local registry allocates from (repeatable): records outside them, and upstream "
    "assignments inside them, are reported.",
)
@click.option(
    "--since",
    metavar="VERSION",
    help="Only collisions with what upstream assigned or changed after VERSION (a number, a date "
    "YYYY-MM-DD, or latest): what the last sync brought.",
)
@click.option(
    "--from",
    "from_format",
    type=click.Choice(["xml", "csv", "json", "services"]),
    help="FILE's format (default: detected).",
)
@listing
def check(file: str, owns: tuple[str, ...], since: str | None, from_format: str | None) -> Listing:
    """Check the local registry in FILE against the registry in the store (IANA's).

    \b
    portreg registry check acme.services --owns 20000-20999
    portreg registry check acme.services --since 12   # has IANA given away one of our ports since version 12?

    Reports each local record on a port or transport IANA has assigned to another
    service (port) or keeps reserved (reserved), each local name IANA has assigned
    elsewhere, ignoring case (name), and with --owns the records outside the local
    ranges (outside) and IANA's assignments inside them (owned).
    """
    from ..services.overlay import check as check_local
    from ..services.overlay import parse_owned
    from ..services.query import version_json
    from .convert import read_registry

    ranges = [parse_owned(text) for text in owns]
    local = read_registry(file, from_format)
    with open_service() as service:
        result = check_local(service, local, owns=ranges, since=since)
    rows = [(f.kind, f.message) for f in result.findings]
    data = {
        "upstream": version_json(result.version),
        "since": result.since and version_json(result.since),
        "owns": [str(r) for r in result.owns],
        "counts": result.counts(),
        "findings": [f.as_json() for f in result.findings],
    }
    v = result.version
    collide = sum(1 for f in result.findings if f.collides)
    news = f", with what changed since version {result.since.number}" if result.since else ""
    summary = (
        f"{file}: {len(local.records)} records against version {v.number} ({v.published or 'undated'}, "
        f"{v.record_count:,} records){news}: {collide} collision{'s' if collide != 1 else ''}"
    )
    return Listing(
        data,
        [Table(("kind", "finding"), rows, "findings")],
        found=not result.collides,
        message=summary,
    )


def _rules_commands() -> None:
    """The local assignment rules live in their own module (cli/registry_rules.py)."""
    from .registry_rules import exception, rules

    registry.add_command(rules)
    registry.add_command(exception)


_rules_commands()


def _conflict_commands() -> None:
    """Listing and resolving the conflicts the imports and syncs find (cli/conflicts.py)."""
    from .conflicts import conflicts, resolve

    registry.add_command(conflicts)
    registry.add_command(resolve)


_conflict_commands()

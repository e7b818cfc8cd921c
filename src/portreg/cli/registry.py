"""``portreg registry``: an organization's own registry, next to IANA's.

Today: ``check``, a local port list against the registry in the store (see
``docs/overlays.md``, which also describes the stacked registries to come).
"""

from __future__ import annotations

import click

from ._context import open_service
from ._output import Listing, Table, listing


@click.group()
def registry() -> None:
    """Local registries on top of IANA's (see docs/overlays.md)."""


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

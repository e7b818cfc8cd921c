"""``portreg verify`` and ``portreg log``: the transparency log from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ._context import open_store
from ._output import Listing, emit, listing, progress

#: ``portreg verify``'s exit code when a check failed (1 is "could not ask").
FAILED = 3

HEAD_JSON = """\b
JSON (--json): {"origin": "portreg", "tree_size": 342, "root_hash": "<hex>",
  "timestamp": <ms>, "key_id": "<hex>", "signature": "<base64>", "checkpoint": "..."}"""


@click.command(
    epilog="""\b
JSON (--json): {"source": "URL", "ok": true | false, "head": {signed head} | null,
  "previous_size": N | null, "versions_included": N, "content_checked": N,
  "registries": {"iana": N, "acme": N}, "problems": ["..."], "warnings": ["..."]}

"registries" counts the logged versions of each registry: a store with local registries
logs their versions in the same log, each leaf naming its registry.

Exit code 0 when every check passed, 3 when one failed, 1 when the log could not be asked."""
)
@click.argument("url", required=False)
@click.option("--db", "db", metavar="URL", help="Verify this store directly instead of a server (with --log-key).")
@click.option(
    "--log-key",
    metavar="PATH",
    help="With --db: the log's key file (default: $PORTREG_LOG_KEY or your data directory).",
)
@click.option(
    "--content",
    type=click.Choice(["new", "all", "none"]),
    default="new",
    show_default=True,
    help="Whose XML to hash and compare with the log: versions not checked before, every version, or none.",
)
@click.option(
    "--cache",
    "cache",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Where the heads seen are kept (default: your cache directory).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (its shape is described below).")
def verify(url: str | None, db: str | None, log_key: str | None, content: str, cache: str | None, as_json: bool) -> int:
    """Check that a registry's log is signed, whole, only grew, and holds every version.

    URL is a portreg server (http://host:port). The first run pins the log's key and
    remembers its head and every version's leaf; later runs fail when the key changed,
    the log shrank or was rewritten, a version remembered is no longer included as it
    was, or a version's XML does not hash to its leaf.
    """
    from ..services.translog.verify import HttpSource, StoreSource
    from ..services.translog.verify import verify as run

    if (url is None) == (db is None and not _global_db()):
        raise click.UsageError("give a server URL or --db URL (one of them)")
    cache_dir = Path(cache) if cache else None
    say = None if as_json else _say
    if url is not None:
        source = HttpSource(url)
        try:
            report = run(source, cache_dir=cache_dir, content=content, progress=say)
        finally:
            source.close()
    else:
        from ..services import open_store as open_

        with open_(db or _global_db()) as store:
            report = run(StoreSource(store, log_key), cache_dir=cache_dir, content=content, progress=say)
    lines = [f"{report.source}: {'OK' if report.ok else 'FAILED'}"]
    if report.head is not None:
        lines.append(f"  head: {report.head.size} leaves, root {report.head.root.hex()}, key {report.head.key_id}")
    if report.previous is not None:
        lines.append(f"  previous head: {report.previous.size} leaves")
    lines.append(f"  versions proven included: {report.included}; XML checked: {report.content_checked}")
    if len(report.registries) > 1:
        counts = ", ".join(f"{name} {count}" for name, count in sorted(report.registries.items()))
        lines.append(f"  versions logged per registry: {counts}")
    lines += [f"  problem: {p}" for p in report.problems]
    lines += [f"  warning: {w}" for w in report.warnings]
    emit(Listing(report.to_json(), lines=lines), as_json=as_json)
    return 0 if report.ok else FAILED


def _global_db() -> str | None:
    return (click.get_current_context().find_root().obj or {}).get("db")


def _say(message: str) -> None:
    click.echo(f"portreg: {message}", err=True)


@click.group("log")
def log() -> None:
    """The transparency log of this store: its head, and catching up after imports."""


@log.command("catch-up")
@listing
def catch_up() -> Listing:
    """Append a leaf for every version not yet in the log (each costs a rebuild and an XML write)."""
    from ..services.translog import catch_up as run

    with open_store() as store, progress("hashing versions into the log") as advance:
        appended = run(store, progress=advance)
        size = store.log.size()
    return Listing({"appended": appended, "tree_size": size}, lines=[f"appended {appended} leaves; the log has {size}"])


@log.command("head", epilog=HEAD_JSON)
@click.option(
    "--log-key", metavar="PATH", help="The log's key file (default: $PORTREG_LOG_KEY or your data directory)."
)
@listing
def head(log_key: str | None) -> Listing:
    """Print the log's current signed tree head."""
    from ..services.translog import TransparencyLog
    from ..services.translog.signing import load_key

    with open_store() as store:
        signed = TransparencyLog(store, load_key(log_key, create=False)).signed_head()
    data: dict[str, Any] = signed.to_json()
    return Listing(data, lines=[signed.checkpoint.decode().rstrip("\n"), f"key {signed.key_id}"])

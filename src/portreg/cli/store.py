"""``portreg import | export | sync | versions``: filling the store and taking from it."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click

from ..formats import FORMATS
from ._context import open_service
from ._output import Listing, Table, listing, progress

VERSION_JSON = """\b
A version in JSON:
  {"number": 3, "published": "2024-03-18" | null, "created_at": "2024-04-01T12:00:00+00:00",
   "source": "https://… or a file path", "actor": "alice" | null, "record_count": 14444}"""


def _actor() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


# --------------------------------------------------------------------------- import


@click.command(
    "import",
    epilog=f"""\b
JSON (--json): {{"imported": [{{"source": "FILE", "registry": "iana", "version": version | null,
                                 "conflicts": {{"found": [...], "resolved": [...], "allowed": [...]}}}}, ...]}}
version null: the file holds what the current version holds, nothing was imported.
conflicts: what the version found against the stacked registries, what it settled, and
what it found on ports the registry has an exception for (stored resolved), as
`portreg registry conflicts --json` writes them (empty lists without local registries).

{VERSION_JSON}""",
)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "format_", type=click.Choice(list(FORMATS)), help="The files' format (default: detected).")
@click.option(
    "--max-size", metavar="SIZE", help="Refuse a file larger than SIZE (64M by default, or $PORTREG_MAX_INPUT)."
)
@click.option(
    "--registry",
    metavar="NAME",
    help="The registry to import into: a local one made by `portreg registry create` (default: iana, the upstream).",
)
@listing
def import_(files: tuple[str, ...], format_: str | None, max_size: str | None, registry: str | None) -> Listing:
    """Import registry FILEs (XML, CSV, JSON, services…), each as a new version, in order.

    Every file is read before any is imported, and each import is one transaction:
    all of it or nothing. A file whose content equals the current version's publishes
    no new version. "-" reads standard input.

    \b
    portreg import --registry acme acme.services   # a new version of local registry acme
    """
    from .. import formats
    from ..services.query import version_json
    from ..services.registries import UPSTREAM, import_into, parse_selector
    from .conflicts import report_json, report_lines

    target = parse_selector(registry)  # a bad name fails before any file is read

    # Read every file before importing any: a bad third file should not leave two imported.
    limit = _limit(max_size)
    registries = [(name, formats.read(_read(name, limit), format=format_, source=name)) for name in files]
    done: list[dict[str, Any]] = []
    lines: list[str] = []
    into = "" if target == UPSTREAM else f" of {target}"
    with open_service() as service:
        for name, content in registries:
            source = "<stdin>" if name == "-" else str(Path(name).resolve())
            with progress(f"importing {Path(name).name}") as advance:
                version = import_into(service, target, content, source=source, actor=_actor(), progress=advance)
            report = _conflicts_of(service.store, version)
            done.append(
                {
                    "source": source,
                    "registry": target,
                    "version": version and version_json(version),
                    "conflicts": report_json(report),
                }
            )
            if version is None:
                lines.append(f"{name}: unchanged (the current version{into} holds the same registry)")
            else:
                lines.append(f"{name}: imported as version {version.number}{into} ({version.record_count} records)")
                lines.extend(report_lines(report))
        _log_versions(service.store)
    return Listing({"imported": done}, lines=lines)


def _conflicts_of(store: Any, version: Any) -> Any:
    """What ``version`` (None: nothing published) found and resolved against the stacked registries."""
    from ..services.conflicts import Reconciled, of_version

    return Reconciled() if version is None else of_version(store, version.number)


#: Versions an import or sync appends to the log itself, after importing (about 0.3 s each).
CATCH_UP_HERE = 5


def _log_versions(store: Any) -> None:
    """Append the new versions to the transparency log, now that the imports are done,
    and mail the subscribers of what they touched (links on ``$PORTREG_BASE_URL``)."""
    import os

    from ..services.subscriptions import notify
    from ..services.translog import catch_up, pending

    waiting = pending(store)
    if waiting > CATCH_UP_HERE:  # a whole history imported: not this command's minutes to spend
        click.echo(
            f"portreg: {waiting} versions are not in the transparency log yet: `portreg log catch-up` "
            "appends them (or `portreg serve`, in the background)",
            err=True,
        )
    else:
        catch_up(store)
    notify(store, base_url=os.environ.get("PORTREG_BASE_URL", ""))


def _read(name: str, limit: int) -> bytes:
    from .._files import read_file, read_stream

    if name == "-":
        return read_stream(sys.stdin.buffer, source="<stdin>", limit=limit)
    try:
        return read_file(name, limit=limit)
    except OSError as exc:
        raise click.FileError(name, exc.strerror) from None


def _limit(max_size: str | None) -> int:
    """The bound on what one file or download may hold (a bad $PORTREG_MAX_INPUT is an error too)."""
    from .._files import input_limit, parse_size

    return input_limit(parse_size(max_size) if max_size is not None else None)


# --------------------------------------------------------------------------- export


@click.command()
@click.option("--format", "format_", type=click.Choice(list(FORMATS)), required=True, help="The format to write.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (default: standard output).")
@click.option("--version", type=click.IntRange(1), metavar="N", help="Export version N (default: the current one).")
@click.option(
    "--registry",
    metavar="iana|NAME|stack",
    help="Which registry: iana (the default: IANA's registry alone, byte for byte), a local registry's NAME, "
    "or stack (every registry, local ones first).",
)
@click.option(
    "--profile",
    metavar="full|small|local|names:FILE",
    help="With --format services: which services to keep (default: full; small: those of Debian's netbase; "
    "local: local registries only; names:FILE: the names listed in FILE).",
)
@click.option(
    "--since",
    metavar="VERSION",
    help="With --format services: a unified diff (patch) of the file from VERSION (a number, "
    "a date YYYY-MM-DD or 'latest') to the current version, or to --version N.",
)
def export(
    format_: str,
    output: str | None,
    version: int | None,
    registry: str | None,
    profile: str | None,
    since: str | None,
) -> None:
    """Write the registry (the current version, or version N) in any format.

    \b
    portreg export --format services -o /etc/services
    portreg export --format services --profile small -o /etc/services
    portreg export --format services --profile names:my-services.txt
    portreg export --format services --since 2024-01-01 -o services.patch
    portreg export --format csv --registry acme            # local registry acme alone
    portreg export --format services --registry stack      # acme's services, then IANA's
    portreg export --format services --profile local       # every local registry, no IANA

    A file is written whole or not at all: an interrupted export leaves what was there.
    With --since, services only: the patch a distribution applies to the /etc/services
    of the version it shipped (`patch /etc/services < services.patch`).
    With --registry stack, --version N is a moment: each registry as it was at version N
    (version numbers are one sequence over every registry).
    """
    from .. import formats
    from .._files import atomic_writer
    from ..services.registries import STACK, UPSTREAM, parse_selector

    if profile is not None and format_ != "services":
        raise click.UsageError("--profile applies to --format services only")
    selected = parse_selector(registry, default=STACK if profile == "local" else UPSTREAM)
    if since is not None:
        if format_ != "services":
            raise click.UsageError("--since makes a patch of /etc/services: use it with --format services")
        if selected != UPSTREAM or profile == "local":
            raise click.UsageError("--since patches IANA's /etc/services: leave out --registry and --profile local")
        from ..services.exports import services_profile
        from ..services.history import services_patch

        options: dict[str, Any] = {} if profile is None else {"profile": services_profile(profile)}
        with open_service() as service:
            patch = services_patch(service.store, since, "latest" if version is None else version, **options).encode(
                "utf-8"
            )
        if output is None or output == "-":
            sys.stdout.buffer.write(patch)
            return
        with atomic_writer(output) as out:
            out.write(patch)
        return
    from ..services.registries import export as exported

    with open_service() as service:
        document = exported(service, registry=selected, version=version, profile=profile)
    if document.notice:
        click.echo(f"portreg: {document.notice}", err=True)
    if output is None or output == "-":
        formats.write(document.registry, format_, sys.stdout.buffer, **document.options)
        return
    with atomic_writer(output) as out:
        formats.write(document.registry, format_, out, **document.options)


# --------------------------------------------------------------------------- sync


@click.command(
    epilog=f"""\b
JSON (--json): {{"url": "...", "changed": true | false, "status": 200 | 304,
                 "version": version | null,
                 "collisions": [finding, ...] | null,
                 "conflicts": {{"found": [conflict, ...], "resolved": [...], "allowed": [...]}}}}
findings as `portreg registry check --json` writes them (with --check only); conflicts:
what the new version found against the local registries in the store and what it settled,
as `portreg registry conflicts --json` writes them.
Exit status: 1 when the sync found a new conflict with a local registry, or --check a collision.

{VERSION_JSON}"""
)
@click.option("--url", metavar="URL", help="Where to download the registry XML from (default: IANA).")
@click.option(
    "--check",
    "local_file",
    metavar="FILE",
    help="Then report what the sync brought that collides with the local registry in FILE "
    "(as `portreg registry check FILE --since` the version before).",
)
@click.option(
    "--owns",
    multiple=True,
    metavar="LOW-HIGH[/TRANSPORT]",
    help="With --check: a range FILE's registry allocates from.",
)
@click.option(
    "--timeout", type=click.FloatRange(0.1, 86400), default=60.0, show_default=True, metavar="SECONDS",
    help="Give up when the whole download takes longer.",
)
@click.option(
    "--max-size",
    metavar="SIZE",
    help="Refuse a registry larger than SIZE, decompressed (64M by default, or $PORTREG_MAX_INPUT).",
)
@listing
def sync(
    url: str | None, local_file: str | None, owns: tuple[str, ...], timeout: float, max_size: str | None
) -> Listing:
    """Download the registry from IANA when it changed, and import it as a new version.

    The request is conditional (ETag, Last-Modified): when IANA has nothing new, it
    prints "unchanged" and downloads nothing.

    \b
    portreg sync --check acme.services   # and did IANA just assign a port acme uses?
    """
    from ..services.query import version_json
    from ..services.sync import DEFAULT_URL
    from ..services.sync import sync as download
    from .conflicts import report_json, report_lines

    limit = _limit(max_size)
    local = ranges = None
    if local_file is not None:
        from ..services.overlay import parse_owned
        from .convert import read_registry

        local = read_registry(local_file)  # a bad file fails before anything is downloaded
        ranges = [parse_owned(text) for text in owns]
    elif owns:
        raise click.UsageError("--owns goes with --check FILE")
    with open_service() as service, progress("importing") as advance:
        before = service.current_version()
        result = download(
            service.store,
            DEFAULT_URL if url is None else url,
            actor=_actor(),
            timeout=timeout,
            limit=limit,
            progress=advance,
        )
        report = _conflicts_of(service.store, result.version if result.changed else None)
        if result.changed:
            _log_versions(service.store)
        checked = None
        if local is not None and ranges is not None:
            from ..services.overlay import check

            since = None if before is None else str(before.number)
            checked = check(service, local, owns=ranges, since=since)
    if result.changed and result.version is not None:
        v = result.version
        line = f"imported version {v.number} (published {v.published or 'undated'}, {v.record_count} records)"
    else:
        line = "unchanged"
    lines = [line, *report_lines(report)]
    if checked is not None:
        found = [f for f in checked.findings if f.collides]
        lines.append(f"{local_file}: {len(found)} collision{'s' if len(found) != 1 else ''} with what the sync brought")
        lines.extend(f"{f.kind}\t{f.message}" for f in found)
    data = {
        "url": result.url,
        "changed": result.changed,
        "status": result.status,
        "version": result.version and version_json(result.version),
        "collisions": None if checked is None else [f.as_json() for f in checked.findings if f.collides],
        "conflicts": report_json(report),
    }
    return Listing(data, lines=lines, found=(checked is None or not checked.collides) and not report.found)


# --------------------------------------------------------------------------- versions


@click.command(
    epilog=f"""\b
JSON (--json): {{"versions": [version, ...]}}, oldest first; with --registry each version
also names its "registry".

{VERSION_JSON}"""
)
@click.option(
    "--registry",
    metavar="iana|NAME|stack",
    help="Whose versions: iana (the default), a local registry's NAME, or stack (every registry's, "
    "with a registry column; numbers are one sequence over all).",
)
@listing
def versions(registry: str | None) -> Listing:
    """List the versions of the registry in the store, oldest first."""
    from ..services.query import EMPTY_STORE, version_json
    from ..services.registries import versions as listed

    with open_service() as service:
        found = listed(service, registry)
    named = registry is not None
    rows = [
        ((name,) if named else ())
        + (v.number, v.published, v.created_at.isoformat(timespec="seconds"), v.record_count, v.actor, v.source)
        for name, v in found
    ]
    columns = ("version", "published", "stored", "records", "actor", "source")
    table = Table((("registry",) if named else ()) + columns, rows, "versions")
    shaped = [{**version_json(v), "registry": name} if named else version_json(v) for name, v in found]
    empty = EMPTY_STORE if not named or registry == "iana" else f"{registry} holds no version yet"
    return Listing({"versions": shaped}, [table], found=bool(found), message=None if found else empty)

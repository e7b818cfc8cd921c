"""``portreg serve``: the registry's website and API, with a first start that fills the store.

A newcomer on a fresh machine runs ``portreg serve`` and should see a working registry,
online or not. So on an empty store, before listening, ``serve`` fills it: from IANA as
``portreg sync`` does (with a short timeout), and when IANA cannot be reached, from the
system's ``/etc/services`` — saying which on the console and at the top of every page.
``--init-from PATH`` fills it from a file instead, ``--init-from none`` leaves it empty.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._context import open_store

__all__ = ["first_start", "serve"]

SYSTEM_SERVICES = Path("/etc/services")
#: Seconds to wait for IANA on a first start: a newcomer offline should not wait long.
FIRST_SYNC_TIMEOUT = 10.0


def first_start(store, init_from: str, *, sync_url: str | None = None, services: Path = SYSTEM_SERVICES) -> str | None:
    """Fill an empty ``store`` as ``init_from`` says; return the notice pages show, if any.

    ``init_from`` is ``iana`` (falling back to ``services`` when IANA cannot be
    reached), a file path, or ``none``. A store that holds a version is left alone.
    """
    from .. import formats
    from ..services.sync import DEFAULT_URL, SyncError, sync

    if store.current_version() is not None:
        return None
    if init_from == "none":
        say("the store is empty and --init-from none leaves it so; fill it with `portreg sync` or `portreg import FILE`")
        return "This registry is empty: fill it with “portreg sync” or “portreg import FILE”."
    if init_from != "iana":
        path = Path(init_from)
        say(f"the store is empty; filling it from {path}")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise click.FileError(str(path), exc.strerror) from None
        version = store.import_registry(formats.read(data, source=str(path)), source=str(path.resolve()))
        count = version.record_count if version else 0
        say(f"imported {count:,} records from {path}")
        return f"First start: this registry was filled from {path} ({count:,} records)."
    url = sync_url or DEFAULT_URL
    say(f"the store is empty; filling it from IANA ({url})")
    try:
        result = sync(store, url, timeout=FIRST_SYNC_TIMEOUT)
    except SyncError as exc:
        reason = str(exc)
    else:
        count = result.version.record_count if result.version else 0
        say(f"imported {count:,} records from IANA")
        return f"First start: this registry was filled from IANA ({url}), {count:,} records."
    say(f"IANA could not be reached ({reason})")
    try:
        data = services.read_bytes()
    except OSError:
        say(f"{services} cannot be read either; serving an empty registry")
        return f"IANA could not be reached and {services} is missing: this registry is empty. Run “portreg sync” when online."
    from ..formats import services as services_format

    registry = services_format.read(data, source=str(services))
    version = store.import_registry(registry, source=str(services))
    count = version.record_count if version else 0
    say(f"filled the store from {services} instead: {count:,} records")
    return (
        f"IANA could not be reached on first start, so this registry was filled from this system's {services} "
        f"({count:,} records, names and ports only). Run “portreg sync” when online for IANA's full registry."
    )


def say(message: str) -> None:
    click.echo(f"portreg: {message}", err=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on.")
@click.option(
    "--init-from",
    default="iana",
    show_default=True,
    metavar="iana|PATH|none",
    help="How to fill an empty store before listening: from IANA (else /etc/services), from a file, or not at all.",
)
@click.option("--sync-url", metavar="URL", help="Where to download the registry from on first start (default: IANA).")
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="Log every request.")
def serve(host: str, port: int, init_from: str, sync_url: str | None, access_log: bool) -> None:
    """Serve the registry's website, downloads and JSON API (/api/v1) on HOST:PORT."""
    import uvicorn

    from ..web import create_app
    from ..web.server import server_options

    store = open_store()
    notice = first_start(store, init_from, sync_url=sync_url)
    app = create_app(store=store, notice=notice)
    version = store.current_version()
    if version is not None:
        app.state.registry_service.current()  # build the index and the pages' rows before the first visitor
        say(f"serving registry version {version.number} ({version.record_count:,} records) from {store.url}")
    say(f"listening on http://{_url_host(host)}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=access_log, **server_options())


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host

"""``portreg serve``: the registry's website and API, with a first start that fills the store.

A newcomer on a fresh machine runs ``portreg serve`` and should see a working registry,
online or not. So on an empty store, before listening, ``serve`` fills it
(:func:`portreg.services.first_start.first_start`): from IANA as ``portreg sync`` does
(with a short timeout), and when IANA cannot be reached, from the snapshot of IANA's
registry shipped with portreg, saying which (and the snapshot's date) on the console
and at the top of every page. ``--init-from snapshot|PATH|none`` chooses otherwise;
this system's services file is ``--init-from /etc/services``.
"""

from __future__ import annotations

import os

import click

from ._context import open_store

__all__ = ["serve"]


def say(message: str) -> None:
    click.echo(f"portreg: {message}", err=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on.")
@click.option(
    "--init-from",
    default="iana",
    show_default=True,
    metavar="iana|snapshot|PATH|none",
    help="How to fill an empty store before listening: from IANA (else the snapshot of IANA's registry shipped "
    "with portreg), from that snapshot, from a file (such as /etc/services), or not at all.",
)
@click.option("--sync-url", metavar="URL", help="Where to download the registry from on first start (default: IANA).")
@click.option("--access-log/--no-access-log", default=False, show_default=True, help="Log every request.")
@click.option(
    "--log-key",
    metavar="PATH",
    help="The transparency log's Ed25519 signing key, made there on first start "
    "(default: $PORTREG_LOG_KEY, else log-key.pem in your data directory).",
)
def serve(host: str, port: int, init_from: str, sync_url: str | None, access_log: bool, log_key: str | None) -> None:
    """Serve the registry's website, downloads and JSON API (/api/v1) on HOST:PORT."""
    import uvicorn

    from ..errors import EmptyStore
    from ..services.first_start import first_start
    from ..services.translog import Keeper
    from ..web import create_app
    from ..web.server import server_options

    store = open_store()
    notice = first_start(store, init_from, sync_url=sync_url, say=say)
    app = create_app(store=store, notice=notice, log_key=log_key)
    # The log's leaves are appended beside the server, never in an import's way.
    keeper = Keeper(
        store,
        base_url=os.environ.get("PORTREG_BASE_URL") or f"http://{_url_host(host)}:{port}",
        on_error=lambda exc: say(f"transparency log or subscriptions not caught up: {exc}"),
    )
    app.state.registry_service.warmers.append(lambda snapshot: keeper.poke())
    keeper.start()
    try:
        # Build the index and the pages' rows before the first visitor.
        version = app.state.registry_service.current().version
    except EmptyStore:
        pass
    else:
        say(f"serving registry version {version.number} ({version.record_count:,} records) from {store.url}")
    # The version's index, rows and pages are a million long-lived objects: moved out of
    # the collector's sight, a full collection no longer stalls every request for a
    # good part of a second (it did under load, every few seconds).
    import gc

    gc.collect()
    gc.freeze()
    from ..services.mail import MailSettings, start_background_sender

    mail = MailSettings.from_env()
    if mail.configured:
        start_background_sender(store, mail)
        say(f"sending mail through {mail.host}:{mail.port} every {mail.interval:g} s")
    say(f"listening on http://{_url_host(host)}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=access_log, **server_options())


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host

"""The store a command works on, from the global ``--db`` option, opened through the service layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..services.registry import RegistryService
    from ..store import Store


def _url() -> str | None:
    ctx = click.get_current_context()
    return (ctx.find_root().obj or {}).get("db")


def open_store() -> Store:
    """Open the store named by ``--db`` (else ``$PORTREG_DATABASE_URL``, else the default file).

    Imported late: the store brings in the database layer, which ``portreg --help``
    should not pay for.
    """
    from ..services import open_store as open_

    return open_(_url())


def open_service() -> RegistryService:
    """The registry service over the store named by ``--db``; close it (``with``) when done."""
    from ..services.registry import RegistryService

    return RegistryService(open_store())

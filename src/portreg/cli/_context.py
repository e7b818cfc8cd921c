"""The store a command works on, from the global ``--db`` option."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..store import Store


def open_store() -> Store:
    """Open the store named by ``--db`` (else ``$PORTREG_DATABASE_URL``, else the default file).

    Imported late: the store brings in the database layer, which ``portreg --help``
    should not pay for.
    """
    from ..store import Store

    ctx = click.get_current_context()
    return Store.open((ctx.find_root().obj or {}).get("db"))

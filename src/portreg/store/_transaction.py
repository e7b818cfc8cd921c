"""One write transaction a service can run several writes in: :meth:`Store.transaction`.

::

    with store.transaction() as tx:
        account = tx.accounts.insert(...)          # SQL of store/_accounts.py
        tx.outbox.add(...)                          # SQL of store/_outbox.py
    # both committed, or (on any exception) neither

The SQL stays in the store package: each concept has a module of row operations
(``_accounts``, ``_outbox``, ...) whose class takes anything with ``rows`` and
``execute``: a :class:`Transaction` (reads see the transaction's own writes) or, for
reads only, a :class:`Reader` over the store's connection. A concept added later
gives :class:`Transaction` and :class:`Reader` one property each.

SQLite runs one writer at a time (``BEGIN IMMEDIATE``, waiting up to the busy
timeout); PostgreSQL runs writers side by side at READ COMMITTED, with unique
constraints as the arbiter: a collision is a :class:`~portreg.errors.Conflict` and
nothing of the transaction is written.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ._accounts import AccountRows
    from ._backend import Backend
    from ._conflicts import ConflictRows
    from ._outbox import OutboxRows
    from ._subscriptions import SubscriptionRows

__all__ = ["Reader", "Transaction"]


class Transaction:
    """An open write transaction (see the module docstring); valid only inside its ``with``."""

    def __init__(self, conn: Connection, dialect: str) -> None:
        self._conn = conn
        self.dialect = dialect
        self._statements: dict[str, Any] = {}

    def _statement(self, sql: str) -> Any:
        found = self._statements.get(sql)
        if found is None:
            from sqlalchemy import text

            found = self._statements[sql] = text(sql)
        return found

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``:name`` parameters) and return its rows (``RETURNING`` included)."""
        result = self._conn.execute(self._statement(sql), params or {})
        return [tuple(row) for row in result] if result.returns_rows else []

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """Run a write; returns how many rows it touched."""
        return self._conn.execute(self._statement(sql), params or {}).rowcount

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    @property
    def connection(self) -> Connection:
        """The SQLAlchemy connection, for SQL Core statements a store module builds."""
        return self._conn

    @cached_property
    def accounts(self) -> AccountRows:
        from ._accounts import AccountRows

        return AccountRows(self)

    @cached_property
    def outbox(self) -> OutboxRows:
        from ._outbox import OutboxRows

        return OutboxRows(self)

    @cached_property
    def subscriptions(self) -> SubscriptionRows:
        from ._subscriptions import SubscriptionRows

        return SubscriptionRows(self)

    @cached_property
    def conflicts(self) -> ConflictRows:
        from ._conflicts import ConflictRows

        return ConflictRows(self)


class Reader:
    """The row operations of each concept, for reads outside a transaction."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend
        self.dialect = backend.dialect

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self._db.rows(sql, params)

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        return self._db.scalar(sql, params)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        raise StoreError("a write outside a transaction: use `with store.transaction() as tx`")

    @cached_property
    def accounts(self) -> AccountRows:
        from ._accounts import AccountRows

        return AccountRows(self)

    @cached_property
    def outbox(self) -> OutboxRows:
        from ._outbox import OutboxRows

        return OutboxRows(self)

    @cached_property
    def subscriptions(self) -> SubscriptionRows:
        from ._subscriptions import SubscriptionRows

        return SubscriptionRows(self)

    @cached_property
    def conflicts(self) -> ConflictRows:
        from ._conflicts import ConflictRows

        return ConflictRows(self)

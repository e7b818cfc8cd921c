"""A local registry's rules for the assignment process, and the exceptions it records.

The service (:mod:`portreg.services.workflow.local`) decides what the rules mean; this
module only reads and writes ``registry_rules`` and ``registry_exceptions``. The rules
are read inside the workflow's transaction too (:func:`read`), so that a request is
checked against the rules as they stand under the write lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Callable

from ..errors import Conflict, InvalidQuery, NotFound
from ._values import PortRange

if TYPE_CHECKING:
    from ._backend import Backend

__all__ = ["LocalRules", "PortException", "RegistryRulesTable", "read"]

Rows = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class PortException:
    """A port (on one transport) a local registry may assign although the upstream
    assigns or reserves it there, with the reason someone recorded."""

    id: int
    port: int
    transport: str
    reason: str
    created_at: str
    created_by: str | None = None

    def __str__(self) -> str:
        return f"{self.port}/{self.transport}"


@dataclass(frozen=True)
class LocalRules:
    """What the assignment process of one local registry follows.

    ``review_group`` None: the group named after the registry. ``relaxed``: names of
    checks whose findings are warnings here (see the service for the list).
    """

    registry: str
    ranges: tuple[PortRange, ...] = ()
    review_group: str | None = None
    relaxed: frozenset[str] = frozenset()
    exceptions: tuple[PortException, ...] = ()
    updated_at: str | None = None
    updated_by: str | None = None

    def exception(self, port: int, transport: str) -> PortException | None:
        return next((e for e in self.exceptions if e.port == port and e.transport == transport), None)

    def owns(self, port: int, transport: str) -> bool:
        """Whether ``port`` on ``transport`` lies in one of the ranges the registry allocates from."""
        return any(r.low <= port <= r.high and (r.transport is None or r.transport == transport) for r in self.ranges)


def read(rows: Rows, registry: str) -> LocalRules:
    """The rules of ``registry`` read through ``rows`` (a backend's or a transaction's)."""
    ranges = tuple(
        PortRange(low, high, transport)
        for low, high, transport in rows(
            "SELECT port_low, port_high, transport FROM registry_ranges WHERE registry = :r ORDER BY port_low, id",
            {"r": registry},
        )
    )
    found = rows(
        "SELECT review_group, relaxed, updated_at, updated_by FROM registry_rules WHERE registry = :r",
        {"r": registry},
    )
    exceptions = tuple(
        PortException(*row)
        for row in rows(
            "SELECT id, port, transport, reason, created_at, created_by FROM registry_exceptions "
            "WHERE registry = :r ORDER BY port, transport",
            {"r": registry},
        )
    )
    if not found:
        return LocalRules(registry, ranges, exceptions=exceptions)
    group, relaxed, updated_at, updated_by = found[0]
    return LocalRules(registry, ranges, group, frozenset((relaxed or "").split()), exceptions, updated_at, updated_by)


class RegistryRulesTable:
    """Reads and writes of a local registry's rules and exceptions (each write its own transaction)."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend

    def get(self, registry: str) -> LocalRules:
        return read(self._db.rows, registry)

    def set(
        self, registry: str, *, review_group: str | None, relaxed: frozenset[str], actor: str | None = None
    ) -> LocalRules:
        """Replace the registry's review group and relaxed checks."""
        from sqlalchemy import text

        with self._db.transaction(purpose="write") as conn:
            conn.execute(text("DELETE FROM registry_rules WHERE registry = :r"), {"r": registry})
            conn.execute(
                text(
                    "INSERT INTO registry_rules (registry, review_group, relaxed, updated_at, updated_by) "
                    "VALUES (:r, :g, :x, :at, :by)"
                ),
                {"r": registry, "g": review_group, "x": " ".join(sorted(relaxed)), "at": _now(), "by": actor},
            )
        return self.get(registry)

    def add_exception(
        self, registry: str, port: int, transport: str, reason: str, *, actor: str | None = None
    ) -> PortException:
        """Record that ``registry`` may assign ``port``/``transport``; Conflict when it already may."""
        from sqlalchemy import text

        if not reason.strip():
            raise InvalidQuery("an exception records its reason", parameter="reason")
        with self._db.transaction(purpose="write") as conn:
            if conn.execute(
                text("SELECT 1 FROM registry_exceptions WHERE registry = :r AND port = :p AND transport = :t"),
                {"r": registry, "p": port, "t": transport},
            ).first():
                raise Conflict(f"{registry} already records an exception for {port}/{transport}")
            conn.execute(
                text(
                    "INSERT INTO registry_exceptions (registry, port, transport, reason, created_at, created_by) "
                    "VALUES (:r, :p, :t, :why, :at, :by)"
                ),
                {"r": registry, "p": port, "t": transport, "why": reason.strip(), "at": _now(), "by": actor},
            )
        found = self.get(registry).exception(port, transport)
        assert found is not None
        return found

    def remove_exception(self, registry: str, port: int, transport: str) -> PortException:
        """Withdraw an exception (the assignments made under it stay); NotFound when there is none."""
        from sqlalchemy import text

        found = self.get(registry).exception(port, transport)
        if found is None:
            raise NotFound(f"{registry} records no exception for {port}/{transport}")
        with self._db.transaction(purpose="write") as conn:
            conn.execute(text("DELETE FROM registry_exceptions WHERE id = :id"), {"id": found.id})
        return found


def _now() -> str:
    return datetime.now(UTC).isoformat()

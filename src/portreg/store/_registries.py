"""The registries a store holds and the ranges each local one allocates from.

The upstream registry ``iana`` exists in every store (the schema creates it); local
registries are added by ``portreg registry create`` and stacked above it by
``position``. Registry names are short lower-case words, so that they can stand in a
URL, a CLI option and a services(5) comment unquoted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidQuery, NotFound
from ._values import PortRange, RegistryInfo

if TYPE_CHECKING:
    from ._backend import Backend

__all__ = ["UPSTREAM", "RegistryTable", "check_name"]

#: The upstream registry's name: IANA's, kept by ``portreg sync``.
UPSTREAM = "iana"
#: Names that would be ambiguous where a registry is named: ``stack`` means all of them.
RESERVED_NAMES = frozenset({"stack", "all", "local", "upstream", "none"})
_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}[a-z0-9]")


def check_name(name: str) -> str:
    """``name`` if it can name a registry; InvalidQuery saying the rule otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidQuery(
            f"{name!r} cannot name a registry: use 2 to 32 lower-case letters, digits and hyphens, "
            "starting with a letter and not ending with a hyphen",
            parameter="registry",
        )
    return name


class RegistryTable:
    """Reads and writes of ``registries`` and ``registry_ranges`` (each write its own transaction)."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend

    def all(self) -> list[RegistryInfo]:
        """Every registry, in stack order: the one consulted first comes first."""
        ranges: dict[str, list[PortRange]] = {}
        for registry, low, high, transport in self._db.rows(
            "SELECT registry, port_low, port_high, transport FROM registry_ranges ORDER BY registry, port_low, id"
        ):
            ranges.setdefault(registry, []).append(PortRange(low, high, transport))
        return [
            RegistryInfo(name, kind, title, position, created_at, created_by, tuple(ranges.get(name, ())))
            for name, kind, title, position, created_at, created_by in self._db.rows(
                "SELECT name, kind, title, position, created_at, created_by FROM registries ORDER BY position DESC"
            )
        ]

    def get(self, name: str) -> RegistryInfo:
        """Registry ``name``; NotFound naming those the store holds otherwise."""
        found = self.all()
        for info in found:
            if info.name == name:
                return info
        raise NotFound(
            f"the store holds no registry {name!r} (it holds {', '.join(i.name for i in found)}); "
            "create it with `portreg registry create NAME`",
            suggestions=[i.name for i in found],
        )

    def has_local(self) -> bool:
        """Whether any local registry is stacked on the upstream (else every answer is IANA's alone)."""
        return bool(self._db.scalar("SELECT count(*) FROM registries WHERE kind = 'local'"))

    def create(
        self, name: str, *, title: str | None = None, owns: tuple[PortRange, ...] = (), actor: str | None = None
    ) -> RegistryInfo:
        """Add local registry ``name`` on top of the stack, with the ranges it allocates from.

        Conflict when the store already holds a registry of that name.
        """
        from sqlalchemy import text

        check_name(name)
        if name in RESERVED_NAMES:
            raise InvalidQuery(
                f"{name!r} is reserved: it names a view of the registries, not one", parameter="registry"
            )
        for port_range in owns:
            _check_range(port_range)
        with self._db.transaction(purpose="write") as conn:
            if conn.execute(text("SELECT 1 FROM registries WHERE name = :n"), {"n": name}).first():
                raise Conflict(f"the store already holds a registry {name!r}")
            position = (conn.execute(text("SELECT max(position) FROM registries")).scalar() or 0) + 1
            conn.execute(
                text(
                    "INSERT INTO registries (name, kind, title, position, created_at, created_by) "
                    "VALUES (:n, 'local', :t, :p, :at, :by)"
                ),
                {"n": name, "t": title or name, "p": position, "at": datetime.now(UTC).isoformat(), "by": actor},
            )
            _write_ranges(conn, name, owns)
        return self.get(name)

    def set_ranges(self, name: str, owns: tuple[PortRange, ...]) -> RegistryInfo:
        """Replace the ranges local registry ``name`` allocates from."""
        info = self.get(name)
        if not info.local:
            raise InvalidQuery(f"{name} is the upstream registry: it allocates from no range of ours", parameter="owns")
        for port_range in owns:
            _check_range(port_range)
        with self._db.transaction(purpose="write") as conn:
            from sqlalchemy import text

            conn.execute(text("DELETE FROM registry_ranges WHERE registry = :n"), {"n": name})
            _write_ranges(conn, name, owns)
        return self.get(name)


def _check_range(port_range: PortRange) -> None:
    from ..rules import MAX_PORT

    if not 0 <= port_range.low <= port_range.high <= MAX_PORT:
        raise InvalidQuery(f"{port_range} is not a range of ports 0-{MAX_PORT}", parameter="owns")


def _write_ranges(conn: Any, name: str, owns: tuple[PortRange, ...]) -> None:
    from sqlalchemy import text

    for port_range in owns:
        conn.execute(
            text(
                "INSERT INTO registry_ranges (registry, port_low, port_high, transport) VALUES (:n, :lo, :hi, :t)"
            ),
            {"n": name, "lo": port_range.low, "hi": port_range.high, "t": port_range.transport},
        )

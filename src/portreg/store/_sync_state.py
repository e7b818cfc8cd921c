"""The validators of the last download of a registry URL (``sync_state``), read and written.

Written inside the import's transaction (or alone, when a download changed nothing), so
the row never names a version the store does not hold. Read defensively: a row written
by an older portreg, or holding what a server sent that is not a valid validator, is
worth a full download, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ._backend import Backend

__all__ = ["SyncState", "load", "save"]


@dataclass(frozen=True)
class SyncState:
    """What a download of ``url`` answered: its validators and the version current after it."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    version: int | None = None


def load(backend: Backend, url: str) -> SyncState | None:
    rows = backend.rows("SELECT url, etag, last_modified, version FROM sync_state WHERE url = :url", {"url": url})
    if not rows:
        return None
    row = rows[0]
    version = row[3] if isinstance(row[3], int) else None
    return SyncState(row[0], _text(row[1]), _text(row[2]), version)


def save(conn: Connection, state: SyncState) -> None:
    from sqlalchemy import delete, insert

    from .schema import sync_state

    conn.execute(delete(sync_state).where(sync_state.c.url == state.url))
    values: dict[str, Any] = {
        "url": state.url,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "version": state.version,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    conn.execute(insert(sync_state).values(**values))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None

"""The SQL of the mail outbox: rows written inside a caller's transaction, claimed by a
sender, marked sent or failed. ``portreg.services.mail`` decides what they mean.

A sender claims rows with one conditional UPDATE (``claimed_until`` a lease in the
future): two senders, in two processes or on two machines, never claim the same row;
a sender that died holding a lease frees its rows when the lease runs out.
"""

from __future__ import annotations

from typing import Any

from ._accounts import Executor

__all__ = ["OutboxRow", "OutboxRows"]

#: id, message_id, recipients (JSON), subject, body, headers (JSON), created_at, attempts,
#: next_attempt_at, last_error, sent_at
OutboxRow = tuple[int, str, str, str, str, str, str, int, str, str | None, str | None]

_COLUMNS = (
    "id, message_id, recipients, subject, body, headers, created_at, attempts, next_attempt_at, last_error, sent_at"
)


class OutboxRows:
    def __init__(self, db: Executor) -> None:
        self._db = db

    def add(self, *, message_id: str, recipients: str, subject: str, body: str, headers: str, created_at: str) -> int:
        rows = self._db.rows(
            "INSERT INTO mail_outbox "
            "(message_id, recipients, subject, body, headers, created_at, attempts, next_attempt_at) "
            "VALUES (:mid, :rcpt, :subject, :body, :headers, :created, 0, :created) RETURNING id",
            {
                "mid": message_id,
                "rcpt": recipients,
                "subject": subject,
                "body": body,
                "headers": headers,
                "created": created_at,
            },
        )
        return int(rows[0][0])

    def claim(self, *, now: str, until: str, limit: int, max_attempts: int) -> list[OutboxRow]:
        """Take up to ``limit`` rows due for sending (tried fewer than ``max_attempts``
        times), leasing them until ``until``."""
        rows = self._db.rows(
            f"UPDATE mail_outbox SET claimed_until = :until, attempts = attempts + 1 "
            "WHERE id IN (SELECT id FROM mail_outbox "
            "WHERE sent_at IS NULL AND next_attempt_at <= :now AND attempts < :max "
            "AND (claimed_until IS NULL OR claimed_until <= :now) ORDER BY id LIMIT :limit) "
            "AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until <= :now) "
            f"RETURNING {_COLUMNS}",
            {"now": now, "until": until, "limit": limit, "max": max_attempts},
        )
        return sorted(tuple(row) for row in rows)

    def mark_sent(self, row_id: int, at: str) -> int:
        return self._db.execute(
            "UPDATE mail_outbox SET sent_at = :at, claimed_until = NULL, last_error = NULL "
            "WHERE id = :id AND sent_at IS NULL",
            {"at": at, "id": row_id},
        )

    def mark_failed(self, row_id: int, *, error: str, next_attempt_at: str) -> int:
        return self._db.execute(
            "UPDATE mail_outbox SET claimed_until = NULL, last_error = :error, next_attempt_at = :next "
            "WHERE id = :id AND sent_at IS NULL",
            {"error": error[:2000], "next": next_attempt_at, "id": row_id},
        )

    def rows(self, *, pending_only: bool = False, limit: int = 1000) -> list[OutboxRow]:
        where = "WHERE sent_at IS NULL " if pending_only else ""
        found: Any = self._db.rows(
            f"SELECT {_COLUMNS} FROM mail_outbox {where}ORDER BY id LIMIT :limit", {"limit": limit}
        )
        return [tuple(row) for row in found]

    def counts(self) -> tuple[int, int]:
        """(pending, sent)."""
        rows = self._db.rows("SELECT count(*) - count(sent_at), count(sent_at) FROM mail_outbox")
        return int(rows[0][0] or 0), int(rows[0][1] or 0)

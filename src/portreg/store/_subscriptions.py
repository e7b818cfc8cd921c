"""The SQL of mail subscriptions: who watches what, and which versions were announced.
``portreg.services.subscriptions`` decides what they mean."""

from __future__ import annotations

from ._accounts import Executor

__all__ = ["SubscriptionRow", "SubscriptionRows"]

#: id, account_id, kind, key, created_at
SubscriptionRow = tuple[int, int, str, str, str]

_COLUMNS = "s.id, s.account_id, s.kind, s.key, s.created_at"


class SubscriptionRows:
    def __init__(self, db: Executor) -> None:
        self._db = db

    def add(self, *, account_id: int, kind: str, key: str, created_at: str) -> int:
        rows = self._db.rows(
            "INSERT INTO subscriptions (account_id, kind, key, created_at) VALUES (:a, :k, :key, :at) RETURNING id",
            {"a": account_id, "k": kind, "key": key, "at": created_at},
        )
        return int(rows[0][0])

    def find(self, account_id: int, kind: str, key: str) -> SubscriptionRow | None:
        rows = self._db.rows(
            f"SELECT {_COLUMNS} FROM subscriptions s WHERE s.account_id = :a AND s.kind = :k AND s.key = :key",
            {"a": account_id, "k": kind, "key": key},
        )
        return tuple(rows[0]) if rows else None

    def remove(self, account_id: int, subscription_id: int) -> int:
        return self._db.execute(
            "DELETE FROM subscriptions WHERE id = :id AND account_id = :a", {"id": subscription_id, "a": account_id}
        )

    def of_account(self, account_id: int) -> list[SubscriptionRow]:
        rows = self._db.rows(
            f"SELECT {_COLUMNS} FROM subscriptions s WHERE s.account_id = :a ORDER BY s.id", {"a": account_id}
        )
        return [tuple(row) for row in rows]

    def of_active_accounts(self) -> list[tuple[SubscriptionRow, str]]:
        """Every subscription of an active account, with the account's address."""
        rows = self._db.rows(
            f"SELECT {_COLUMNS}, a.email FROM subscriptions s JOIN accounts a ON a.id = s.account_id "
            "WHERE a.active ORDER BY s.id"
        )
        return [(tuple(row[:5]), row[5]) for row in rows]

    def last_notified(self) -> int | None:
        value = self._db.rows("SELECT max(version) FROM subscription_notices")
        return int(value[0][0]) if value and value[0][0] is not None else None

    def mark_notified(self, version: int, mails: int, at: str) -> None:
        """Fails (a unique key) when another process announced ``version`` first."""
        self._db.execute(
            "INSERT INTO subscription_notices (version, mails, notified_at) VALUES (:v, :m, :at)",
            {"v": version, "m": mails, "at": at},
        )

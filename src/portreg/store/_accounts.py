"""The SQL of accounts: people, their roles and review groups, API tokens, mailed links,
failed sign-ins. Rows in, plain tuples out; the service (``portreg.services.accounts``)
decides what they mean.

Times are ISO 8601 UTC text (the same text on both databases, compared as text).
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["AccountRow", "AccountRows", "TokenRow"]

#: id, email, name, active, password_hash, session_stamp, created_at, confirmed_at
AccountRow = tuple[int, str, str, bool, str | None, str, str, str | None]
#: id, account_id, name, prefix, roles, created_at, last_used_at, revoked_at
TokenRow = tuple[int, int, str, str, str, str, str | None, str | None]

#: PostgreSQL advisory lock key (arbitrary, fixed) for changes that could remove the last admin.
_ADMIN_LOCK = 0x706F727461646D

_ACCOUNT = "SELECT id, email, name, active, password_hash, session_stamp, created_at, confirmed_at FROM accounts"
_TOKEN = "SELECT id, account_id, name, prefix, roles, created_at, last_used_at, revoked_at FROM api_tokens"


class Executor(Protocol):
    dialect: str

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int: ...


def _account(row: tuple[Any, ...]) -> AccountRow:
    return (row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7])


class AccountRows:
    """Row operations on the account tables through a transaction or a reader."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    # -- accounts

    def insert(
        self,
        *,
        email: str,
        email_key: str,
        name: str,
        password_hash: str | None,
        session_stamp: str,
        created_at: str,
        confirmed_at: str | None,
    ) -> int:
        rows = self._db.rows(
            "INSERT INTO accounts "
            "(email, email_key, name, password_hash, active, session_stamp, created_at, confirmed_at) "
            "VALUES (:email, :key, :name, :hash, :active, :stamp, :created, :confirmed) RETURNING id",
            {
                "email": email,
                "key": email_key,
                "name": name,
                "hash": password_hash,
                "active": True,
                "stamp": session_stamp,
                "created": created_at,
                "confirmed": confirmed_at,
            },
        )
        return int(rows[0][0])

    def by_id(self, account_id: int) -> AccountRow | None:
        rows = self._db.rows(f"{_ACCOUNT} WHERE id = :id", {"id": account_id})
        return _account(rows[0]) if rows else None

    def by_email_key(self, email_key: str) -> AccountRow | None:
        rows = self._db.rows(f"{_ACCOUNT} WHERE email_key = :key", {"key": email_key})
        return _account(rows[0]) if rows else None

    def all(self) -> list[AccountRow]:
        return [_account(row) for row in self._db.rows(f"{_ACCOUNT} ORDER BY id")]

    def with_role(self, role: str) -> list[AccountRow]:
        rows = self._db.rows(
            f"{_ACCOUNT} WHERE id IN (SELECT account_id FROM account_roles WHERE role = :role) ORDER BY id",
            {"role": role},
        )
        return [_account(row) for row in rows]

    def lock_admins(self) -> None:
        """Hold, until the transaction ends, the lock of changes that could remove the last
        admin. SQLite's writer lock already serializes every write; PostgreSQL takes a
        transaction-scoped advisory lock."""
        if self._db.dialect == "postgresql":
            self._db.rows("SELECT pg_advisory_xact_lock(:k)", {"k": _ADMIN_LOCK})

    def update(self, account_id: int, **values: Any) -> int:
        """Set columns of one account (names from this module only, never from input)."""
        allowed = {"name", "password_hash", "active", "session_stamp", "confirmed_at", "email", "email_key"}
        assert values and set(values) <= allowed, values
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        return self._db.execute(f"UPDATE accounts SET {assignments} WHERE id = :id", {**values, "id": account_id})

    # -- roles and groups

    def roles(self, account_ids: list[int]) -> dict[int, set[str]]:
        return self._pairs("SELECT account_id, role FROM account_roles", account_ids)

    def local_groups(self) -> set[str]:
        """Review groups of local registries: each one's own (named after it) and any its rules name."""
        return {
            str(row[0])
            for row in self._db.rows(
                "SELECT name FROM registries WHERE kind = 'local' "
                "UNION SELECT review_group FROM registry_rules WHERE review_group IS NOT NULL"
            )
            if len(str(row[0])) <= 16
        }

    def groups(self, account_ids: list[int]) -> dict[int, set[str]]:
        return self._pairs("SELECT account_id, review_group FROM account_groups", account_ids)

    def _pairs(self, select: str, account_ids: list[int]) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {i: set() for i in account_ids}
        if not account_ids:
            return found
        if len(account_ids) == 1:
            rows = self._db.rows(f"{select} WHERE account_id = :id", {"id": account_ids[0]})
        else:
            rows = self._db.rows(select)
        for account_id, value in rows:
            if account_id in found:
                found[account_id].add(value)
        return found

    def set_roles(self, account_id: int, roles: set[str]) -> None:
        self._db.execute("DELETE FROM account_roles WHERE account_id = :id", {"id": account_id})
        for role in sorted(roles):
            self._db.execute(
                "INSERT INTO account_roles (account_id, role) VALUES (:id, :role)", {"id": account_id, "role": role}
            )

    def set_groups(self, account_id: int, groups: set[str]) -> None:
        self._db.execute("DELETE FROM account_groups WHERE account_id = :id", {"id": account_id})
        for group in sorted(groups):
            self._db.execute(
                "INSERT INTO account_groups (account_id, review_group) VALUES (:id, :g)", {"id": account_id, "g": group}
            )

    # -- API tokens

    def insert_token(
        self, *, account_id: int, name: str, token_hash: str, prefix: str, roles: str, created_at: str
    ) -> int:
        rows = self._db.rows(
            "INSERT INTO api_tokens (account_id, name, token_hash, prefix, roles, created_at) "
            "VALUES (:account, :name, :hash, :prefix, :roles, :created) RETURNING id",
            {
                "account": account_id,
                "name": name,
                "hash": token_hash,
                "prefix": prefix,
                "roles": roles,
                "created": created_at,
            },
        )
        return int(rows[0][0])

    def tokens(self, account_id: int) -> list[TokenRow]:
        return [tuple(row) for row in self._db.rows(f"{_TOKEN} WHERE account_id = :id ORDER BY id", {"id": account_id})]

    def token_by_hash(self, token_hash: str) -> TokenRow | None:
        rows = self._db.rows(f"{_TOKEN} WHERE token_hash = :hash", {"hash": token_hash})
        return tuple(rows[0]) if rows else None

    def revoke_token(self, account_id: int, token_id: int, at: str) -> int:
        return self._db.execute(
            "UPDATE api_tokens SET revoked_at = :at WHERE id = :id AND account_id = :account AND revoked_at IS NULL",
            {"at": at, "id": token_id, "account": account_id},
        )

    def revoke_all_tokens(self, account_id: int, at: str) -> int:
        return self._db.execute(
            "UPDATE api_tokens SET revoked_at = :at WHERE account_id = :account AND revoked_at IS NULL",
            {"at": at, "account": account_id},
        )

    def token_used(self, token_id: int, at: str) -> int:
        return self._db.execute("UPDATE api_tokens SET last_used_at = :at WHERE id = :id", {"at": at, "id": token_id})

    # -- mailed single-use links

    def insert_link(self, *, account_id: int, purpose: str, token_hash: str, created_at: str, expires_at: str) -> int:
        rows = self._db.rows(
            "INSERT INTO account_links (account_id, purpose, token_hash, created_at, expires_at) "
            "VALUES (:account, :purpose, :hash, :created, :expires) RETURNING id",
            {
                "account": account_id,
                "purpose": purpose,
                "hash": token_hash,
                "created": created_at,
                "expires": expires_at,
            },
        )
        return int(rows[0][0])

    def use_link(self, *, purpose: str, token_hash: str, now: str) -> int | None:
        """Mark a link used, when it is unused and unexpired; its account's id, or None.

        One UPDATE with the conditions in its WHERE: two clicks racing on one link
        cannot both use it.
        """
        rows = self._db.rows(
            "UPDATE account_links SET used_at = :now WHERE token_hash = :hash AND purpose = :purpose "
            "AND used_at IS NULL AND expires_at > :now RETURNING account_id",
            {"now": now, "hash": token_hash, "purpose": purpose},
        )
        return int(rows[0][0]) if rows else None

    def link_state(self, *, purpose: str, token_hash: str, now: str) -> str | None:
        """``"valid"``, ``"used"``, ``"expired"``, or None for a link that never existed."""
        rows = self._db.rows(
            "SELECT used_at, expires_at FROM account_links WHERE token_hash = :hash AND purpose = :purpose",
            {"hash": token_hash, "purpose": purpose},
        )
        if not rows:
            return None
        used_at, expires_at = rows[0]
        return "used" if used_at is not None else "expired" if expires_at <= now else "valid"

    def links_since(self, account_id: int, purpose: str, since: str) -> int:
        """How many links of ``purpose`` were made for the account after ``since``."""
        rows = self._db.rows(
            "SELECT count(*) FROM account_links WHERE account_id = :id AND purpose = :purpose AND created_at > :since",
            {"id": account_id, "purpose": purpose, "since": since},
        )
        return int(rows[0][0])

    def drop_links(self, account_id: int, purpose: str, now: str) -> int:
        """Spend every open link of one purpose (a password set makes older reset links void)."""
        return self._db.execute(
            "UPDATE account_links SET used_at = :now WHERE account_id = :id AND purpose = :purpose AND used_at IS NULL",
            {"now": now, "id": account_id, "purpose": purpose},
        )

    # -- failed sign-ins

    def add_failure(self, scope: str, key: str, at: str) -> None:
        self._db.execute(
            "INSERT INTO signin_failures (scope, key, at) VALUES (:scope, :key, :at)",
            {"scope": scope, "key": key, "at": at},
        )

    def failures_since(self, scope: str, key: str, since: str) -> tuple[int, str | None]:
        """How many failures since ``since``, and the oldest of them."""
        rows = self._db.rows(
            "SELECT count(*), min(at) FROM signin_failures WHERE scope = :scope AND key = :key AND at > :since",
            {"scope": scope, "key": key, "since": since},
        )
        return int(rows[0][0]), rows[0][1]

    def clear_failures(self, scope: str, key: str) -> None:
        self._db.execute(
            "DELETE FROM signin_failures WHERE scope = :scope AND key = :key", {"scope": scope, "key": key}
        )

    def prune_failures(self, before: str) -> None:
        self._db.execute("DELETE FROM signin_failures WHERE at <= :before", {"before": before})

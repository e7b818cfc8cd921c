"""The two databases behind one small interface: run a read, open a locked write transaction.

Reads are plain SQL with ``:name`` parameters, the same text on both databases
(full-text search aside, see ``_search``). On SQLite they run on the standard library's
``sqlite3`` directly, so a one-shot ``portreg lookup`` never imports SQLAlchemy; on
PostgreSQL through a SQLAlchemy engine over psycopg 3. Writes (imports, migrations)
always go through SQLAlchemy Core on a connection holding the store's write lock:

* SQLite: ``BEGIN IMMEDIATE`` takes the database's single writer lock (waiting up to
  the busy timeout). The SQLAlchemy engine wraps the very same ``sqlite3`` connection,
  which runs in autocommit mode so that transactions are exactly the ones issued here.
* PostgreSQL: a transaction-scoped advisory lock, tried without waiting for imports.

Other writes (accounts, the mail outbox, the workflow: ``purpose="write"``) take the
same single writer lock on SQLite and no advisory lock on PostgreSQL, whose row locks
and unique constraints keep them apart. A unique constraint violated by a concurrent
writer is a Conflict, not a StoreError.

A second writer therefore either fails to get the lock or, once it has it, finds that
the version it started from is no longer current (the importer checks): a Conflict
either way, and the first writer's version stands.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import Conflict, StoreError
from ._urls import StoreURL, default_path, mask_password

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

#: How long a writer waits for SQLite's write lock before giving up (milliseconds).
BUSY_TIMEOUT_MS = 5000

#: PostgreSQL advisory lock keys (arbitrary, fixed): one for imports, one for migrations.
#: The workflow's writes take the import lock, since publishing an approval is an import
#: of one change; they wait for it (imports only try), as a reviewer's click should not
#: fail because another reviewer clicked at the same moment.
_PG_LOCKS = {"import": 0x706F72747265, "migrate": 0x706F72746D67, "workflow": 0x706F72747265}
_PG_WAITS = frozenset({"migrate", "workflow"})

BUSY = "another process is writing to the store; nothing was written, try again when it has finished"


class Backend:
    """What the store needs from a database; see :class:`SqliteBackend` and :class:`PostgresBackend`."""

    dialect: str

    def __init__(self, url: StoreURL) -> None:
        self.url = url

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def transaction(self, *, purpose: str = "import") -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    def schema_revision(self, conn: Connection | None = None) -> str | None:
        """The Alembic revision stamped in the database, None when it has none."""
        raise NotImplementedError

    def table_names(self, conn: Connection) -> list[str]:
        raise NotImplementedError

    def _error(self, exc: BaseException, what: str = "cannot be used") -> StoreError:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "://" in reason:
            reason = mask_password(reason)
        return StoreError(f"{self.url.masked}: {what}: {reason}")


def _conflict(backend: Backend, exc: Any) -> Conflict:
    """A unique (or foreign key) constraint refused a row: another writer got there first."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return Conflict(f"{backend.url.masked}: nothing was written: a concurrent change collided ({reason})")


def open_backend(url: StoreURL) -> Backend:
    return SqliteBackend(url) if url.backend == "sqlite" else PostgresBackend(url)


class SqliteBackend(Backend):
    dialect = "sqlite"

    def __init__(self, url: StoreURL) -> None:
        super().__init__(url)
        assert url.path is not None
        if not url.path.parent.is_dir():
            if url.path != default_path():
                raise StoreError(f"{url.masked}: cannot be opened: the directory {url.path.parent} does not exist")
            url.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        if not url.path.exists() and (url.mode is not None or not url.create):
            raise StoreError(
                f"{url.masked}: no store there"
                + ("" if url.mode else "; to make a new one, name it sqlite:///FILE (or FILE.db)")
            )
        #: True when this store can only be read (?mode=ro, ?immutable=1, read-only media).
        self.read_only = url.mode is not None
        try:
            self.raw = self._connect(url.mode)
        except sqlite3.Error as exc:
            raise self._error(exc, "cannot be opened") from None
        try:
            self._configure()
        except sqlite3.DatabaseError as exc:
            self.raw.close()
            not_sqlite = "not a database" in str(exc) or "malformed" in str(exc)
            if not_sqlite or url.mode == "immutable":
                raise self._error(exc, "is not a portreg store" if not_sqlite else "cannot be opened") from None
            # A read-only file, directory or file system: read it as it is. WAL needs
            # its -shm file beside the database; where that cannot be made, only an
            # immutable read works (nothing may write the file meanwhile).
            for mode in ("ro", "immutable"):
                try:
                    self.raw = self._connect(mode)
                    self._configure(writable=False)
                    self.read_only = True
                    break
                except sqlite3.DatabaseError as again:
                    self.raw.close()
                    exc = again
            else:
                raise self._error(exc, "cannot be opened") from None

    def _connect(self, mode: str | None) -> sqlite3.Connection:
        from urllib.parse import quote

        assert self.url.path is not None
        if mode is None and self.url.create:
            return sqlite3.connect(self.url.path, isolation_level=None, check_same_thread=False)
        flag = {"ro": "mode=ro", "immutable": "immutable=1", None: "mode=rw"}[mode]
        uri = f"file:{quote(str(self.url.path))}?{flag}"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)

    def _configure(self, *, writable: bool | None = None) -> None:
        writable = not self.read_only if writable is None else writable
        self.raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = self.raw.execute("PRAGMA journal_mode").fetchone()[0]
        if writable and mode != "wal":
            self.raw.execute("PRAGMA journal_mode = WAL")
        self.raw.execute("PRAGMA foreign_keys = ON")
        if writable:
            self.raw.execute("PRAGMA synchronous = NORMAL")
        else:
            self.raw.execute("PRAGMA query_only = ON")
        self.raw.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the file now, not at the first query

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self.raw.execute(sql, params or {}).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc) from None

    def schema_revision(self, conn: Connection | None = None) -> str | None:
        sql = "SELECT version_num FROM alembic_version"
        try:
            if conn is not None:
                return conn.exec_driver_sql(sql).scalar()
            with self._lock:
                found = self.raw.execute(sql).fetchone()
            return found[0] if found else None
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):
                return None
            raise self._error(exc, "is not a portreg store") from None
        except Exception as exc:  # SQLAlchemy wraps the same sqlite3 error
            if "no such table" in str(exc):
                return None
            raise

    def table_names(self, conn: Connection) -> list[str]:
        return list(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())

    def engine(self) -> Engine:
        """A SQLAlchemy engine over this very connection (created on the first write)."""
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import StaticPool

            self._engine = create_engine("sqlite://", creator=lambda: self.raw, poolclass=StaticPool)
        return self._engine

    @contextlib.contextmanager
    def transaction(self, *, purpose: str = "import") -> Iterator[Connection]:
        from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

        if self.read_only:
            raise StoreError(f"{self.url.masked}: the store is open read-only; nothing was written")
        with self._lock, self.engine().connect() as conn:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except OperationalError as exc:
                conn.rollback()
                if "locked" in str(exc) or "busy" in str(exc):
                    raise Conflict(f"{self.url.masked}: {BUSY}") from None
                raise self._error(exc.orig or exc) from None
            try:
                yield conn
                conn.commit()
            except IntegrityError as exc:
                conn.rollback()
                raise _conflict(self, exc) from None
            except DBAPIError as exc:
                conn.rollback()
                raise self._error(exc.orig or exc, "nothing was written") from None
            except BaseException:
                conn.rollback()
                raise

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self.raw.close()


class PostgresBackend(Backend):
    dialect = "postgresql"

    def __init__(self, url: StoreURL) -> None:
        super().__init__(url)
        from sqlalchemy import create_engine, text

        self._text = text
        self._statements: dict[str, Any] = {}
        try:
            self.engine = create_engine(url.url, pool_pre_ping=True)
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception as exc:
            raise self._error(getattr(exc, "orig", None) or exc, "cannot connect") from None

    def _statement(self, sql: str) -> Any:
        found = self._statements.get(sql)
        if found is None:
            found = self._statements[sql] = self._text(sql)
        return found

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as conn:
                return [tuple(r) for r in conn.execute(self._statement(sql), params or {})]
        except DBAPIError as exc:
            raise self._error(exc.orig or exc) from None

    def schema_revision(self, conn: Connection | None = None) -> str | None:
        sql = "SELECT version_num FROM alembic_version"
        exists = "SELECT to_regclass('alembic_version') IS NOT NULL"
        if conn is not None:
            return conn.exec_driver_sql(sql).scalar() if conn.exec_driver_sql(exists).scalar() else None
        return self.scalar(sql) if self.scalar(exists) else None

    def table_names(self, conn: Connection) -> list[str]:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        return list(conn.exec_driver_sql(sql).scalars())

    @contextlib.contextmanager
    def transaction(self, *, purpose: str = "import") -> Iterator[Connection]:
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError, IntegrityError

        try:
            with self.engine.connect() as conn, conn.begin():
                if purpose in _PG_WAITS:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCKS[purpose]})
                elif purpose != "write" and not conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _PG_LOCKS[purpose]}
                ).scalar():
                    raise Conflict(f"{self.url.masked}: {BUSY}")
                yield conn
        except IntegrityError as exc:
            raise _conflict(self, exc) from None
        except DBAPIError as exc:
            raise self._error(exc.orig or exc, "nothing was written") from None

    def close(self) -> None:
        self.engine.dispose()

"""Bring a database to the current schema on open, paying for Alembic only when needed.

Opening an up-to-date store costs one query (``SELECT version_num FROM
alembic_version``) compared with :data:`SCHEMA_REVISION`: Alembic, and on SQLite even
SQLAlchemy, is not imported. An empty database gets the current schema in one step
(:func:`portreg.store.schema.create_current`, then stamped), which is what Alembic's own
cookbook advises for new databases; a database at an older revision is upgraded by
the migrations in ``migrations/``. Both happen under the store's write lock, so two
processes opening a fresh store at once do not both create it.
"""

from __future__ import annotations

#: typing.TYPE_CHECKING without importing typing: ``portreg lookup`` reads SCHEMA_REVISION.
TYPE_CHECKING = False

from ..errors import StoreError  # noqa: E402 (after the TYPE_CHECKING stand-in, on purpose)

if TYPE_CHECKING:
    from ._backend import Backend

#: The Alembic head this code works with (a test checks it against ``migrations/``).
SCHEMA_REVISION = "0009_conflict_versions"


def ensure_schema(backend: Backend) -> None:
    """Make the database's schema current, or raise StoreError saying why it cannot be."""
    revision = backend.schema_revision()
    if revision == SCHEMA_REVISION:
        return
    if getattr(backend, "read_only", False):
        raise StoreError(
            f"{backend.url.masked}: opened read-only, and its schema (revision {revision or 'none'}) is not the one "
            f"this portreg reads ({SCHEMA_REVISION}): open it once where it can be written, to upgrade it"
        )
    with backend.transaction(purpose="migrate") as conn:
        revision = backend.schema_revision(conn)
        if revision == SCHEMA_REVISION:
            return  # another process did it while this one waited for the lock
        if revision is None:
            if backend.table_names(conn):
                raise StoreError(f"{backend.url.masked}: the database holds other tables and is not a portreg store")
            from .schema import create_current

            create_current(conn)
        else:
            _upgrade(backend, conn, revision)


def _upgrade(backend: Backend, conn: object, revision: str) -> None:
    from alembic.command import upgrade
    from alembic.script import ScriptDirectory

    config = alembic_config(conn)
    known = {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}
    if revision not in known:
        raise StoreError(
            f"{backend.url.masked}: the store's schema (revision {revision}) is newer than this portreg "
            f"understands (up to {SCHEMA_REVISION}): upgrade portreg"
        )
    upgrade(config, SCHEMA_REVISION)


def alembic_config(conn: object = None):  # type: ignore[no-untyped-def]
    """An Alembic Config for the migrations shipped inside the package (no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "portreg.store:migrations")
    config.attributes["connection"] = conn
    return config

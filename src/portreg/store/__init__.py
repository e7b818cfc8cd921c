"""The registry's versioned home: SQLite (the embedded default) or PostgreSQL.

::

    with Store.open() as store:                      # --db URL, $PORTREG_DATABASE_URL, or ~/.local/share/portreg
        store.import_registry(registry, source="service-names-port-numbers.xml")
        store.records_at_port(6010)                  # [StoredRecord(id=..., record=x11 6000-6063/tcp), ...]
        store.registry()                             # the whole current version, exactly as imported

Every import publishes a version (number, the registry's date, source, actor);
records and people keep their history as validity intervals, and each record has a
stable id, matched across versions by its key (see ``_matching`` for the rule,
renames included). Layout of the package:

- ``_store``: :class:`Store`, the public API (reads return model values);
- ``_importer``: one import = one transaction, touching only changed rows;
- ``_matching``: which old record a new row continues; the order of rows;
- ``_delta``: the raw difference between two versions (``Store.delta``);
- ``_codec`` / ``_encoder``: stored rows -> model values / model values -> rows,
  hashes and search documents;
- ``schema`` / ``migrations/`` / ``_migrate``: the tables, Alembic, the cheap
  up-to-date check on open;
- ``_backend`` / ``_search``: what differs between SQLite and PostgreSQL;
- ``_transaction``: :meth:`Store.transaction`, several writes of a service in one
  transaction, and the per-concept row operations (``_accounts``, ``_outbox``).

Opening an up-to-date SQLite store imports neither SQLAlchemy nor Alembic.

Shapes worth knowing: ``import_registry`` takes a ``reason`` (the audit trail a
workflow writes) and ``Version`` carries it; ``records(version=...)`` returns a whole
version as StoredRecords (for the services' in-memory index); ``dialect`` names the
database. ``record_history`` returns ``(VersionSpan, Record)`` pairs
(``VersionSpan(first, last)``, ``last`` None while current; revisions differing only in
position are merged); ``diff`` returns a :class:`Diff` (added, removed, changed as
:class:`RecordChange`, ``people_changed``, ``head_changed``); ``stats`` returns
``records``, ``people``, ``version`` and the ``by_state``, ``by_transport``,
``by_range_class``, ``by_year`` counts, with "none" for rows lacking the field.
``search`` filters mean what :class:`portreg.services.filters.RecordFilter` says. Reads
of an empty store return nothing; ``registry()`` and ``version()`` raise NotFound saying
how to fill it.
"""

from __future__ import annotations

#: typing.TYPE_CHECKING without importing typing (type checkers take the name as true).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from ._registry_rules import LocalRules, PortException
    from ._store import Store
    from ._sync_state import SyncState
    from ._transaction import Reader, Transaction
    from ._values import (
        Change,
        ConflictRow,
        Delta,
        Diff,
        PersonDelta,
        PortRange,
        RecordChange,
        RecordDelta,
        RegistryInfo,
        SearchPage,
        StoredRecord,
        Version,
        VersionSpan,
    )

__all__ = [
    "Change",
    "ConflictRow",
    "Delta",
    "Diff",
    "LocalRules",
    "PersonDelta",
    "PortException",
    "PortRange",
    "Reader",
    "RecordChange",
    "RecordDelta",
    "RegistryInfo",
    "SearchPage",
    "Store",
    "StoredRecord",
    "SyncState",
    "Transaction",
    "Version",
    "VersionSpan",
]

_HOMES = {
    "Store": "._store",
    "Reader": "._transaction",
    "Transaction": "._transaction",
    "SyncState": "._sync_state",
    "LocalRules": "._registry_rules",
    "PortException": "._registry_rules",
}


def __getattr__(name: str) -> object:
    """The public names, imported on first use, so that a module of the package
    (``_migrate``'s schema revision, which ``portreg lookup`` checks) costs only itself."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(_HOMES.get(name, "._values"), __name__), name)
    globals()[name] = value
    return value

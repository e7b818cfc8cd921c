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
- ``_codec``: rows <-> model values, hashes, search documents;
- ``schema`` / ``migrations/`` / ``_migrate``: the tables, Alembic, the cheap
  up-to-date check on open;
- ``_backend`` / ``_search``: what differs between SQLite and PostgreSQL.

Opening an up-to-date SQLite store imports neither SQLAlchemy nor Alembic.

Deviations from the written contract (the names are kept): ``import_registry`` also
takes ``reason`` (the audit trail a workflow will write) and ``Version`` carries it;
``records_named`` also takes ``transport``; ``search_people`` also takes ``version``;
``records(version=...)`` returns a whole version as StoredRecords (the query layer's
in-memory index); ``record_history`` returns ``(VersionSpan, Record)`` pairs; ``diff``
returns a :class:`Diff`; ``stats`` adds ``version`` and ``people`` to the counts.
"""

from __future__ import annotations

from ._store import Store
from ._values import Diff, RecordChange, SearchPage, StoredRecord, Version, VersionSpan

__all__ = ["Diff", "RecordChange", "SearchPage", "Store", "StoredRecord", "Version", "VersionSpan"]

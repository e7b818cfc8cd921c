"""Stores filled once per test module, on SQLite and on PostgreSQL.

``store_url`` (tests/pg.py) gives each test an empty store; the query and CLI tests
only read, so they share one store holding the real registry per module and database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.data import CURRENT_XML

BACKENDS = ["sqlite", "postgresql"]


def filled_store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, registry: Any) -> str:
    """A new store of the kind ``request.param`` names, holding ``registry`` as version 1."""
    from portreg.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    with Store.open(url) as store:
        store.import_registry(registry, source=str(CURRENT_XML))
    return url

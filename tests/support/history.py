"""One SQLite store holding all 342 published versions, imported once per test process.

Importing the history is the slowest thing the tests do (about a minute of CPU even on
the fast path ``portreg import-history`` takes: the XML memo and ``Store.series()``).
Several slow tests only read such a store, so they share this one instead of each
importing the history anew. It must stay as imported: tests open it, read, and close it.

Under pytest-xdist each worker process has its own session, so the tests that use it
carry ``@pytest.mark.xdist_group("history")`` and run on one worker, which imports once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.data import HISTORY, need_shared

#: The mark of the tests that read :func:`history_store` (one xdist worker imports it).
GROUP = pytest.mark.xdist_group("history")


@dataclass(frozen=True)
class HistoryStore:
    """Where the store is, and what the import reported (``portreg import-history``'s answer)."""

    path: Path
    imported: int
    unchanged: int
    found: int

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


@pytest.fixture(scope="session")
def history_store(tmp_path_factory: pytest.TempPathFactory) -> HistoryStore:
    """All of ../shared/iana/history.tar.zst imported into a new SQLite store, the way
    ``portreg import-history`` does it (read the tests' docstrings for what they check)."""
    from portreg.services import history_import
    from portreg.store import Store

    need_shared(HISTORY)
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    with Store.open(f"sqlite:///{path}") as store:
        result = history_import.import_history(store, HISTORY)
    return HistoryStore(path, len(result.imported), result.unchanged, result.found)

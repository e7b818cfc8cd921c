"""One SQLite store holding all 342 published versions, imported once per test run.

Importing the history is the slowest thing the tests do (about a minute of CPU even on
the fast path ``portreg import-history`` takes: the XML memo and ``Store.series()``).
Several slow tests only read such a store, so they share this one instead of each
importing the history anew. It must stay as imported: tests open it, read, and close it.

Under pytest-xdist the workers of one run share it too: the first that needs it imports
it into the run's common temporary directory while holding a lock, and any other waits
for it and reads the import's report (pytest-xdist 3.8's ``xdist_group`` cannot keep
tests of two files on one worker under pytest 9, and waiting costs less than a second
import on two cores).
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.data import HISTORY, need_shared


@dataclass(frozen=True)
class HistoryStore:
    """Where the store is, and what the import reported (``portreg import-history``'s answer)."""

    path: Path
    found: int
    imported: int
    unchanged: int

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


@pytest.fixture(scope="session")
def history_store(tmp_path_factory: pytest.TempPathFactory) -> HistoryStore:
    """All of ../shared/iana/history.tar.zst imported into a new SQLite store, the way
    ``portreg import-history`` does it (read the tests' docstrings for what they check)."""
    need_shared(HISTORY)
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's directory, above each worker's own
    folder = base / "history-store"
    folder.mkdir(exist_ok=True)
    path, report = folder / "history.sqlite3", folder / "import.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not report.exists():
            from portreg.services import history_import
            from portreg.store import Store

            path.unlink(missing_ok=True)  # a worker that failed half-way leaves no report
            with Store.open(f"sqlite:///{path}") as store:
                result = history_import.import_history(store, HISTORY)
            report.write_text(json.dumps([result.found, len(result.imported), result.unchanged]))
    found, imported, unchanged = json.loads(report.read_text())
    return HistoryStore(path, found, imported, unchanged)

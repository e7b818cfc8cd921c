"""Two importers at once, and an importer killed mid-way, with real processes on both databases.

A child process imports the real 2024-03-18 XML. Its progress callback, which runs
inside the import's transaction, can hold it there (touching ``holding``, waiting for
``release``): that is how a test arranges for a second importer to arrive while the
first one is writing, or kills a writer that is certainly mid-transaction.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.data import CURRENT_XML, need_shared
from portreg.model import Registry
from portreg.store import Store

CHILD = r"""
import dataclasses, sys, time
from pathlib import Path
from portreg.errors import Conflict
from portreg.formats import xml
from portreg.store import Store

url, source, signals, hold, drop = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "hold", int(sys.argv[5])
registry = xml.read(Path(source).read_bytes(), source=source)
if drop:
    registry = dataclasses.replace(registry, records=registry.records[:-drop])

def progress(done, total):
    if hold and done > 0 and not (signals / "holding").exists():
        (signals / "holding").touch()
        deadline = time.monotonic() + 120
        while not (signals / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.02)

store = Store.open(url)
(signals / f"started-{drop}").touch()
try:
    version = store.import_registry(registry, source=source, progress=progress)
except Conflict as exc:
    print(f"conflict: {exc}", flush=True)
    sys.exit(3)
print(f"imported {version.number if version else None}", flush=True)
"""


def start(url: str, signals: Path, *, hold: bool, drop: int = 0) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", CHILD, url, str(need_shared(CURRENT_XML)), str(signals), "hold" if hold else "go", str(drop)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"child exited {process.returncode} before {path.name}: {process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {path.name}")
        time.sleep(0.02)


def test_two_imports_at_once_one_wins(store_url: str, tmp_path: Path, current_registry: Registry) -> None:
    Store.open(store_url).close()  # create the schema first: this test is about imports
    first = start(store_url, tmp_path, hold=True)
    wait_for(tmp_path / "holding", first)  # the first import is inside its transaction
    second = start(store_url, tmp_path, hold=False, drop=10)
    wait_for(tmp_path / "started-10", second)
    try:
        second.wait(timeout=1.5)  # PostgreSQL: refused at once; SQLite: waits for the write lock
    except subprocess.TimeoutExpired:
        pass
    (tmp_path / "release").touch()
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)

    assert (first.returncode, out1.strip()) == (0, "imported 1"), err1
    assert second.returncode == 3, (out2, err2)
    assert out2.startswith("conflict: ") and "nothing was written" in out2 and "another" in out2
    assert "Traceback" not in err2
    with Store.open(store_url) as store:
        assert [v.number for v in store.versions()] == [1]
        assert store.registry() == current_registry  # the winner's content, whole


def test_a_killed_import_leaves_the_previous_version(store_url: str, tmp_path: Path, current_registry: Registry) -> None:
    small = dataclasses.replace(current_registry, records=current_registry.records[:200])
    small = dataclasses.replace(small, people=small.referenced_people())
    with Store.open(store_url) as store:
        store.import_registry(small, source="small")
        before = store.records_at_port(80)
    child = start(store_url, tmp_path, hold=True)
    wait_for(tmp_path / "holding", child)  # rows of version 2 are written, not committed
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with Store.open(store_url) as store:
        version = store.current_version()
        assert version is not None and version.number == 1 and version.source == "small"
        assert store.registry() == small
        assert store.records_at_port(80) == before
        assert store.search("http").total == len(store.search("http", limit=1000).items) > 0
        # The lock died with the process: the next import goes through.
        again = store.import_registry(current_registry, source="again")
        assert again is not None and again.number == 2 and store.registry() == current_registry
    if store_url.startswith("sqlite"):
        path = store_url.removeprefix("sqlite:///")
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)

"""Stores that must not be written: read-only URLs, read-only files and file systems, typos.

Tests run as root, where file modes do not stop writes; a read-only file system does:
a bind mount remounted read-only inside a private mount namespace (``unshare -m``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run
from tests.support.web import real_store_file
from tests.support.data import ROOT
from portreg.errors import StoreError
from portreg.store import Store


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the real registry, checkpointed so that it is one file."""
    path = real_store_file(tmp_path_factory.mktemp("ro"))
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


def copy_of(real: Path, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "store.db"
    shutil.copyfile(real, target)
    return target


def test_a_bare_word_is_not_a_new_store(capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "--db", "garbage", "lookup", "80")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "garbage: no store there" in err
    assert list(tmp_path.iterdir()) == [], "no file was created"
    with Store.open("new.db") as store:  # a database file name is a new store, as before
        assert store.current_version() is None
    assert (tmp_path / "new.db").exists()


@pytest.mark.parametrize("query", ["?mode=ro", "?immutable=1"])
def test_a_read_only_url_never_creates(capsys: Any, tmp_path: Path, query: str) -> None:
    url = f"sqlite:///{tmp_path}/missing.db{query}"
    code, _, err = run(capsys, "--db", url, "lookup", "80")
    assert code != 0 and "no store there" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_sqlite_option_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"\?mode=ro or \?immutable=1"):
        Store.open(f"sqlite:///{tmp_path}/x.db?cache=shared")


@pytest.mark.parametrize("query", ["?mode=ro", "?immutable=1"])
def test_reading_a_read_only_url(capsys: Any, tmp_path: Path, real: Path, query: str, current_xml_bytes: bytes) -> None:
    path = copy_of(real, tmp_path / "d")
    before = path.read_bytes()
    url = f"sqlite:///{path}{query}"
    code, out, _ = run(capsys, "--db", url, "lookup", "80")
    assert code == 0 and "http" in out
    code, out, _ = run(capsys, "--db", url, "versions")
    assert code == 0 and "1" in out
    xml = tmp_path / "r.xml"
    xml.write_bytes(current_xml_bytes.replace(b"<updated>2024-03-18</updated>", b"<updated>2024-03-19</updated>", 1))
    code, _, err = run(capsys, "--db", url, "import", str(xml))
    assert code != 0 and "read-only" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) in (["store.db"], ["store.db", "store.db-shm", "store.db-wal"])


def _can_mount_read_only(directory: Path) -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind {directory} {directory} && mount -o remount,bind,ro {directory}"],
        capture_output=True,
    )
    return probe.returncode == 0


#: Reads a store through the CLI and the web app, inside a namespace where its directory is read-only.
_READER = """
import sys
from fastapi.testclient import TestClient
from portreg.store import Store
from portreg.web import create_app
url = sys.argv[1]
store = Store.open(url)
assert store.current_version().number == 1
with TestClient(create_app(store=store)) as client:
    for path in ("/api/v1/ports/80", "/", "/port/80", "/service/http", "/api/v1/search?q=http"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
try:
    import dataclasses
    store.import_registry(dataclasses.replace(store.registry(), updated="2099-01-01"), source="x")
except Exception as exc:
    print("write:", type(exc).__name__, exc)
print("read ok")
"""


def test_a_store_on_a_read_only_file_system(tmp_path: Path, real: Path) -> None:
    directory = tmp_path / "media"
    path = copy_of(real, directory)
    if shutil.which("unshare") is None or not _can_mount_read_only(directory):
        pytest.skip("no private mount namespace here (unshare -m): cannot make a read-only file system")
    before = path.read_bytes()
    script = (
        f"mount --bind {directory} {directory} && mount -o remount,bind,ro {directory} && "
        f'"{sys.executable}" -m portreg --db sqlite:///{path} lookup 80 && '
        f'"{sys.executable}" -c "$READER" sqlite:///{path}'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**__import__("os").environ, "READER": _READER},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "http" in done.stdout and "read ok" in done.stdout
    assert "write: StoreError" in done.stdout
    assert path.read_bytes() == before

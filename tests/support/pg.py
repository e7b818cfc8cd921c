"""A real PostgreSQL server for the tests, and a ``store_url`` that runs a test on both databases.

The server is started once per session with the machine's own binaries (``initdb``,
``pg_ctl``) in a temp dir, listening on a free loopback port, and stopped at the end.
``initdb`` refuses to run as root, so as root the server runs as the ``postgres``
system user (``runuser``) in a directory it owns. Without the binaries PostgreSQL
tests skip with the reason; under CI (which installs them) that is a failure.

``store_url`` is parametrized: ``sqlite`` (a file in the test's tmp_path) and
``postgresql`` (a fresh database on the session's server for each test).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest


def _bindir() -> Path | None:
    """Where initdb and pg_ctl live: Debian's versioned dir, pg_config, or the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    if shutil.which("pg_config"):
        bindir = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL (postgresql://, as a user would write it)."""
        import psycopg

        name = "portreg_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but PostgreSQL cannot run: {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _bindir()
    if bindir is None:
        _unavailable("initdb/pg_ctl not found (install the postgresql package)")
    assert bindir is not None
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="portreg-pg-"))
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", _free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=base, timeout=120)

    init = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C")
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    start = run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "-t", "60", "start")
    if start.returncode != 0:
        log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"pg_ctl start failed: {start.stderr.strip()} {log[-2000:]}")
    try:
        yield PostgresServer("127.0.0.1", port, "postgres")
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()

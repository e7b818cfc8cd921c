"""Shared fixtures: the real registry data in ../shared, and small helpers.

Tests that need ../shared skip with a reason when it is absent, and fail when the
environment variable CI is set (CI always has it beside the clone).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared"))
IANA = SHARED / "iana"
CURRENT_XML = IANA / "service-names-port-numbers.xml"
HISTORY = IANA / "history.tar.zst"
CSV_EXPORTS = sorted((IANA / "csv").glob("*.csv")) if (IANA / "csv").is_dir() else []

# Servers and apps made by the tests sign their transparency log with a key of the test
# session's, never one in the user's data directory (subprocesses inherit it).
if not os.environ.get("PORTREG_LOG_KEY"):
    import tempfile

    os.environ["PORTREG_LOG_KEY"] = str(Path(tempfile.mkdtemp(prefix="portreg-test-key-")) / "log-key.pem")


def need_shared(path: Path = IANA) -> Path:
    """Return ``path`` in ../shared, or skip (fail under CI) when it is not there."""
    if path.exists():
        return path
    message = f"{path} is absent: the real registry data lives in ../shared beside the clone"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def current_xml_bytes() -> bytes:
    """The registry as IANA published it on 2024-03-18."""
    return need_shared(CURRENT_XML).read_bytes()


@pytest.fixture(scope="session")
def current_registry(current_xml_bytes: bytes):
    """The 2024-03-18 registry read into the model (read once per test session)."""
    from portreg.formats import xml

    return xml.read(current_xml_bytes, source=str(CURRENT_XML))


def history_versions() -> Iterator[tuple[str, bytes]]:
    """Stream (member name, XML bytes) for each of the 342 published versions, oldest first.

    Reads the archive through ``zstd -dc`` and ``tarfile`` in stream mode, so nothing is
    unpacked to disk and only one version is in memory at a time.
    """
    import tarfile

    need_shared(HISTORY)
    proc = subprocess.Popen(["zstd", "-dc", str(HISTORY)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".xml"):
                    handle = archive.extractfile(member)
                    assert handle is not None
                    yield Path(member.name).name, handle.read()
    finally:
        proc.kill()
        proc.wait()


# A real PostgreSQL server (session) and `store_url`, parametrized over SQLite and PostgreSQL.
from pg import postgres_server, store_url  # noqa: E402,F401
from _workflow import small, wf_store  # noqa: E402,F401

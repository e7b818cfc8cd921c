"""Where the real registry data is (../shared beside the clone), and how to read it.

Tests that need ../shared skip with a reason when it is absent, and fail when the
environment variable CI is set (CI always has it beside the clone).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared"))
IANA = SHARED / "iana"
CURRENT_XML = IANA / "service-names-port-numbers.xml"
HISTORY = IANA / "history.tar.zst"
CSV_EXPORTS = sorted((IANA / "csv").glob("*.csv")) if (IANA / "csv").is_dir() else []

def need_shared(path: Path = IANA) -> Path:
    """Return ``path`` in ../shared, or skip (fail under CI) when it is not there."""
    if path.exists():
        return path
    message = f"{path} is absent: the real registry data lives in ../shared beside the clone"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}")
    pytest.skip(message)


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

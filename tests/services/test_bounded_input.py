"""Reading is bounded: in time, in size, in decompression and in nesting, for sync and import.

A real HTTP server on loopback serves a trickle, a huge body, a gzip bomb and deeply
nested JSON; ``portreg sync`` and ``portreg import`` run as a user runs them, in a
subprocess whose peak memory (ru_maxrss, from wait4) is measured. Each must end with one
line on standard error, within its bound, and leave the store as it was.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.data import ROOT
from portreg.errors import FormatError, TooLarge
from portreg.services.sync import SyncError, sync

MB = 1024 * 1024
#: Peak memory a refused download or import may reach (the limit is 64 MB; Python,
#: lxml, SQLAlchemy and httpx take about 60-80 MB before reading anything).
MEMORY_BOUND = 300 * MB


def _bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of ``size``)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MB)
    return b"".join(packer.compress(block) for _ in range(size // MB)) + packer.flush()


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    bomb = _bomb(256 * MB)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                getattr(self, "serve_" + self.path.strip("/").split("?")[0])()

        def serve_trickle(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(0.5)

        def serve_huge(self) -> None:
            """A gigabyte of XML-looking bytes with no Content-Length: only counting stops it."""
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Connection", "close")
            self.end_headers()
            block = b"<registry>" + b" " * (MB - 10)
            for _ in range(1024):
                self.wfile.write(block)

        def serve_declared(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(10 * 1024 * MB))
            self.end_headers()
            self.wfile.write(b"<registry>")

        def serve_bomb(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(bomb)))
            self.end_headers()
            self.wfile.write(bomb)

        def serve_nested(self) -> None:
            body = b"[" * 100_000
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def filled(tmp_path: Path, current_xml_bytes: bytes) -> tuple[str, bytes]:
    """A store holding the real registry as version 1; and its file's bytes, to compare."""
    from tests.support.web import real_store_file

    path = real_store_file(tmp_path)
    return f"sqlite:///{path}", path.read_bytes()


#: Runs ``portreg`` and, at exit, writes the process's peak resident memory (VmHWM) to
#: $PORTREG_TEST_HWM. Not ru_maxrss: Linux carries the parent's peak across fork and exec.
_MEASURED = """\
import atexit, os, sys
def _peak():
    with open('/proc/self/status') as status, open(os.environ['PORTREG_TEST_HWM'], 'w') as out:
        out.write(next(line for line in status if line.startswith('VmHWM:')).split()[1])
atexit.register(_peak)
sys.argv[0] = 'portreg'
from portreg.cli import main
main()
"""


def portreg(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str, float, int]:
    """Run ``portreg ARGS``; return its exit code, standard error, seconds taken and peak RSS in bytes."""
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".hwm") as peak_file:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", _MEASURED, *args],
            cwd=ROOT,
            env={**os.environ, **(env or {}), "PORTREG_TEST_HWM": peak_file.name},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
        seconds = time.monotonic() - started
        peak = int(peak_file.read() or 0) * 1024
    return proc.returncode, proc.stderr.decode(), seconds, peak


def assert_one_line(code: int, err: str, *words: str) -> None:
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("portreg: error: ") and "Traceback" not in err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize(
    "path, words",
    [
        ("huge", ["more than 64 MB"]),
        ("declared", ["more than 64 MB"]),
        ("bomb", ["more than 64 MB"]),
        ("nested", ["nested too deeply"]),
    ],
)
def test_sync_refuses_in_one_line_and_bounded_memory(
    hostile: str, filled: tuple[str, bytes], path: str, words: list[str]
) -> None:
    db, before = filled
    code, err, seconds, peak = portreg("--db", db, "sync", "--url", f"{hostile}/{path}")
    assert_one_line(code, err, *words)
    print(f"sync {path}: peak memory {peak / MB:.0f} MB, {seconds:.1f} s")
    assert 0 < peak < MEMORY_BOUND, f"peak memory {peak / MB:.0f} MB"
    assert seconds < 30
    assert Path(db.removeprefix("sqlite:///")).read_bytes() == before, "the store changed"


def test_sync_has_an_overall_deadline(hostile: str, filled: tuple[str, bytes]) -> None:
    """One byte every half second never lets a per-read timeout fire; the deadline does."""
    db, before = filled
    code, err, seconds, _ = portreg("--db", db, "sync", "--url", f"{hostile}/trickle", "--timeout", "2")
    assert_one_line(code, err, "within 2 seconds")
    assert seconds < 2 + 8  # the interpreter's start and imports included
    assert Path(db.removeprefix("sqlite:///")).read_bytes() == before


def test_the_deadline_in_process(hostile: str, tmp_path: Path) -> None:
    from portreg.store import Store

    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        started = time.monotonic()
        with pytest.raises(SyncError, match=r"within 1\.5 seconds"):
            sync(store, f"{hostile}/trickle", timeout=1.5)
        assert time.monotonic() - started < 2.5
        with pytest.raises(TooLarge):
            sync(store, f"{hostile}/bomb", limit=8 * MB)
        with pytest.raises(TooLarge, match="more than 1 MB"):
            sync(store, f"{hostile}/huge", limit=MB)
        assert store.versions() == []


def test_the_first_start_of_serve_keeps_its_ten_seconds(hostile: str, tmp_path: Path) -> None:
    from portreg.services.first_start import FIRST_SYNC_TIMEOUT, first_start
    from portreg.store import Store

    for path, limit in (("trickle", FIRST_SYNC_TIMEOUT + 1.5), ("bomb", 5.0)):
        said: list[tuple[float, str]] = []
        with Store.open(f"sqlite:///{tmp_path / (path + '.db')}") as store:
            started = time.monotonic()
            notice = first_start(
                store,
                "iana",
                sync_url=f"{hostile}/{path}",
                say=lambda line, said=said: said.append((time.monotonic(), line)),
            )
            gave_up = next(at for at, line in said if "IANA could not be reached" in line)
            assert gave_up - started < limit
            assert notice is not None and "IANA could not be reached" in notice
            assert store.current_version() is not None, "filled from the shipped snapshot instead"


@pytest.mark.parametrize("url", ["", "   ", "ftp://example.org/x.xml", "file:///etc/passwd", "registry.xml"])
def test_sync_url_must_be_http(filled: tuple[str, bytes], url: str) -> None:
    db, before = filled
    code, err, _, _ = portreg("--db", db, "sync", "--url", url)
    assert_one_line(code, err, "url")
    assert Path(db.removeprefix("sqlite:///")).read_bytes() == before


# ------------------------------------------------------------------ import


def test_import_refuses_devices_and_fifos(filled: tuple[str, bytes], tmp_path: Path) -> None:
    db, before = filled
    code, err, seconds, _ = portreg("--db", db, "import", "/dev/zero")
    assert_one_line(code, err, "/dev/zero", "a device")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, err, seconds, _ = portreg("--db", db, "import", str(fifo), timeout=20)
    assert_one_line(code, err, "a FIFO")
    assert seconds < 15, "opening a FIFO without a writer must not wait for one"
    code, err, _, _ = portreg("--db", db, "import", str(tmp_path))
    assert code != 0 and "Traceback" not in err
    assert Path(db.removeprefix("sqlite:///")).read_bytes() == before


def test_import_refuses_big_files_and_deep_nesting(filled: tuple[str, bytes], tmp_path: Path) -> None:
    db, before = filled
    nested = tmp_path / "nested.json"
    nested.write_bytes(b"[" * 2000)
    code, err, _, _ = portreg("--db", db, "import", str(nested))
    assert_one_line(code, err, "nested too deeply", "nested.json")
    objects = tmp_path / "objects.json"
    objects.write_bytes(b'{"a":' * 5000)
    code, err, _, _ = portreg("--db", db, "import", str(objects))
    assert_one_line(code, err, "nested too deeply")
    big = tmp_path / "big.xml"
    with big.open("wb") as out:
        out.truncate(3 * MB)
    code, err, _, _ = portreg("--db", db, "import", "--max-size", "1M", str(big))
    assert_one_line(code, err, "more than 1 MB")
    code, err, _, _ = portreg("--db", db, "import", str(big), env={"PORTREG_MAX_INPUT": "2M"})
    assert_one_line(code, err, "more than 2 MB")
    assert Path(db.removeprefix("sqlite:///")).read_bytes() == before


def test_standard_input_is_bounded_too(filled: tuple[str, bytes]) -> None:
    db, before = filled
    proc = subprocess.run(
        [sys.executable, "-m", "portreg", "--db", db, "import", "--max-size", "1M", "-"],
        cwd=ROOT,
        input=b"<registry>" + bytes(5 * MB),
        capture_output=True,
        timeout=60,
    )
    assert_one_line(proc.returncode, proc.stderr.decode(), "<stdin>", "more than 1 MB")
    assert Path(db.removeprefix("sqlite:///")).read_bytes() == before


def test_formats_read_nested_json_in_process() -> None:
    from portreg import formats

    with pytest.raises(FormatError, match="nested too deeply"):
        formats.read(b"[" * 2000, source="x.json")
    with pytest.raises(FormatError, match="nested too deeply"):
        formats.read(b'{"records": ' + b"[" * 5000, source="x.json")


def test_gzip_bombs_are_cut_while_decompressing() -> None:
    """The decoder never hands more than one step at a time, however small the input."""
    from portreg.services.sync import _STEP, _decoder

    bomb = gzip.compress(bytes(64 * MB))
    decode = _decoder("u", "gzip")
    sizes = [len(piece) for piece in decode(bomb)] + [len(piece) for piece in decode(None)]
    assert max(sizes) <= _STEP and sum(sizes) == 64 * MB

"""Helpers for the website's tests: stores filled with the real registry, a hostile record, a real server.

Importing the 2024-03-18 XML takes seconds, so it is done once per test process into a
template SQLite file, and each test module gets its own copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from tests.support.data import CURRENT_XML, ROOT, need_shared

_TEMPLATE: dict[str, Path] = {}


def real_store_file(directory: Path) -> Path:
    """A SQLite store file in ``directory`` holding the 2024-03-18 registry as version 1."""
    need_shared(CURRENT_XML)
    if "real" not in _TEMPLATE:
        import tempfile

        from portreg.formats import xml
        from portreg.store import Store

        template = Path(tempfile.mkdtemp(prefix="portreg-web-")) / "real.db"
        with Store.open(sqlite_url(template)) as store:
            store.import_registry(xml.read(CURRENT_XML.read_bytes(), source=str(CURRENT_XML)), source=str(CURRENT_XML))
        _TEMPLATE["real"] = template
    target = directory / "real.db"
    shutil.copyfile(_TEMPLATE["real"], target)
    return target


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


HOSTILE = "<script>alert(1)</script>"


def hostile_registry() -> Any:
    """A small registry whose every text field tries to inject markup or a script."""
    from portreg.model import Footnote, Note, Person, PortRange, Record, Reference, Registry, Text

    evil_ref = Reference("uri", "javascript:alert(1)", '"><script>alert(2)</script>')
    return Registry(
        title=f"Evil {HOSTILE} Registry",
        category=f"<b>{HOSTILE}</b>",
        updated="2024-01-01",
        expert=f"TCP/UDP: {HOSTILE}",
        notes=(Note(Text((f"Note {HOSTILE} ", evil_ref))), Note(Text((evil_ref,)), title="Request an Assignment")),
        footnotes=(Footnote("1", Text((HOSTILE,))),),
        records=(
            Record(
                name="evil",
                port=PortRange(4242, 4242),
                transport="tcp",
                description=Text.of(HOSTILE),
                assignee=(Reference("person", "Mallory<x>"),),
                references=(Reference("person", "Mallory<x>"), evil_ref, Reference("note", "1")),
                registered="2024-01-01",
                notes=Text.of(f'" onmouseover="alert(3) {HOSTILE}'),
                unauthorized=Text.of(HOSTILE),
            ),
            Record(port=PortRange(4243, 4250), description=Text.of(f"Unassigned {HOSTILE}")),
        ),
        people=(Person("Mallory<x>", name=HOSTILE, org=f"'{HOSTILE}'", uris=("javascript:alert(4)",), updated="2024-01-01"),),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(db_url: str, *args: str, timeout: float = 90.0) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run a real ``portreg serve`` on a free loopback port; yield its base URL and process.

    The server is stopped (SIGTERM, then SIGKILL) when the block ends, whatever happens.
    """
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "portreg", "--db", db_url, "serve", "--port", str(port), *args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"portreg serve exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}")
            try:
                httpx.get(base + "/static/favicon.svg", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"portreg serve did not answer on {base} within {timeout} s") from None
                time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

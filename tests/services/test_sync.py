"""``portreg sync`` against a real HTTP server on loopback that honours ETag and If-Modified-Since."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.cli import run
from portreg.errors import FormatError
from portreg.services.sync import SyncError, sync

LAST_MODIFIED = "Mon, 18 Mar 2024 20:55:18 GMT"


class Registry:
    """What the fake IANA serves, and what it was asked."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.status = 200
        self.send_etag = True
        self.requests: list[dict[str, str]] = []
        self.answers: list[int] = []

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@pytest.fixture
def served(current_xml_bytes: bytes) -> Iterator[tuple[Registry, str]]:
    registry = Registry(current_xml_bytes)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            registry.requests.append(dict(self.headers))
            if registry.status != 200:
                self._answer(registry.status, b"not here")
                return
            fresh = (
                self.headers.get("If-None-Match") == registry.etag
                if registry.send_etag and self.headers.get("If-None-Match")
                else self.headers.get("If-Modified-Since") == LAST_MODIFIED
            )
            self._answer(304 if fresh else 200, b"" if fresh else registry.body)

        def _answer(self, status: int, body: bytes) -> None:
            registry.answers.append(status)
            self.send_response(status)
            if registry.send_etag:
                self.send_header("ETag", registry.etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Type", "application/xml")
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield registry, f"http://127.0.0.1:{server.server_port}/service-names-port-numbers.xml"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def store(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from portreg.store import Store

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # where a PostgreSQL store's validators go
    with Store.open(store_url) as opened:
        yield opened


def changed(body: bytes) -> bytes:
    """The registry as IANA might publish it the next day: a new date, one new description."""
    return body.replace(b"<updated>2024-03-18</updated>", b"<updated>2024-03-19</updated>", 1).replace(
        b"PostgreSQL Database<", b"PostgreSQL Database Server<", 1
    )


def test_first_sync_imports_then_a_conditional_request_costs_nothing(served: Any, store: Any) -> None:
    registry, url = served
    first = sync(store, url)
    assert (first.changed, first.status, first.version.number, first.version.published) == (True, 200, 1, "2024-03-18")
    assert first.version.source == url
    second = sync(store, url)
    assert (second.changed, second.status, second.version.number) == (False, 304, 1)
    assert registry.requests[1]["If-None-Match"] == registry.etag
    assert registry.answers == [200, 304]
    assert [v.number for v in store.versions()] == [1]


def test_a_new_publication_is_imported(served: Any, store: Any) -> None:
    registry, url = served
    sync(store, url)
    registry.body = changed(registry.body)
    result = sync(store, url)
    assert (result.changed, result.version.number, result.version.published) == (True, 2, "2024-03-19")
    (postgresql, _) = store.records_named("postgresql")
    assert str(postgresql.record.description) == "PostgreSQL Database Server"
    assert sync(store, url).status == 304


def test_last_modified_alone_is_enough(served: Any, store: Any) -> None:
    registry, url = served
    registry.send_etag = False
    sync(store, url)
    assert sync(store, url).status == 304
    assert registry.requests[1]["If-Modified-Since"] == LAST_MODIFIED and "If-None-Match" not in registry.requests[1]


def test_same_content_under_a_new_etag_is_unchanged(served: Any, store: Any) -> None:
    registry, url = served
    sync(store, url)
    registry.body = registry.body + b"\n"  # a new ETag, the same registry
    result = sync(store, url)
    assert (result.changed, result.status, result.version.number) == (False, 200, 1)


def test_validators_are_forgotten_after_an_import_from_elsewhere(served: Any, store: Any) -> None:
    from portreg import formats

    registry, url = served
    sync(store, url)
    elsewhere = changed(registry.body)
    store.import_registry(formats.read(elsewhere, source="elsewhere.xml"), source="elsewhere.xml")
    result = sync(store, url)
    assert "If-None-Match" not in registry.requests[-1]
    assert (result.changed, result.version.number) == (True, 3)  # IANA's again, over the file


def test_http_errors_and_garbage_are_clear(served: Any, store: Any) -> None:
    registry, url = served
    registry.status = 404
    with pytest.raises(SyncError, match="HTTP 404"):
        sync(store, url)
    registry.status = 200
    registry.body = b"<!DOCTYPE html><html><body>Maintenance</body></html>"
    with pytest.raises(FormatError, match="127.0.0.1"):
        sync(store, url)
    assert store.versions() == []


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_offline_is_one_line(store: Any) -> None:
    url = f"http://127.0.0.1:{closed_port()}/registry.xml"
    with pytest.raises(SyncError, match="cannot download") as failed:
        sync(store, url, timeout=5)
    assert "\n" not in str(failed.value)


# ------------------------------------------------------------------ the command


def test_the_command(capsys: Any, served: Any, tmp_path: Path) -> None:
    registry, url = served
    db = f"sqlite:///{tmp_path}/cli.db"
    code, out, _ = run(capsys, "--db", db, "sync", "--url", url)
    assert code == 0 and out == "imported version 1 (published 2024-03-18, 14444 records)\n"
    code, out, _ = run(capsys, "--db", db, "sync", "--url", url)
    assert (code, out) == (0, "unchanged\n")
    code, out, _ = run(capsys, "--db", db, "sync", "--url", url, "--json")
    doc = json.loads(out)
    assert (doc["changed"], doc["status"], doc["version"]["number"]) == (False, 304, 1)


def test_the_command_offline(capsys: Any, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/registry.xml"
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path}/cli.db", "sync", "--url", url)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("portreg: error: cannot download")


# ------------------------------------------------------------------ state kept in the store


def test_validators_live_in_the_store_with_their_version(served: Any, store: Any, tmp_path: Path) -> None:
    registry, url = served
    sync(store, url)
    state = store.sync_state(url)
    assert (state.etag, state.last_modified, state.version) == (registry.etag, LAST_MODIFIED, 1)
    assert not list(tmp_path.glob("**/*.sync.json")), "no state beside the database any more"
    registry.body = registry.body + b"\n"
    sync(store, url)  # a new ETag, the same registry: the state moves on, the version does not
    assert store.sync_state(url).etag == registry.etag and store.sync_state(url).version == 1


@pytest.mark.parametrize(
    "etag, modified",
    [
        ('"caf\u00e9"', LAST_MODIFIED),
        ('"a\x01b"', "yesterday"),
        ("no quotes", "Mon, 99 Foo 2024 99:99:99 GMT"),
        ('"' + "x" * 5000 + '"', "\u00e9t\u00e9"),
    ],
)
def test_a_garbage_validator_never_breaks_a_later_sync(served: Any, store: Any, etag: str, modified: str) -> None:
    """What a server sent (or an older portreg stored) that is not a validator is not sent back."""
    from portreg.store import SyncState

    registry, url = served
    sync(store, url)
    store.save_sync_state(SyncState(url, etag, modified))
    result = sync(store, url)
    assert result.status in (200, 304) and not result.changed
    sent = registry.requests[-1]
    assert "If-None-Match" not in sent
    assert sent.get("If-Modified-Since") in (None, LAST_MODIFIED)
    assert sync(store, url).status == 304, "the good validators of that download are kept"


def test_a_non_ascii_etag_from_the_server(current_xml_bytes: bytes, store: Any) -> None:
    """A server that answers with an ETag in Latin-1: stored as nothing, and the next sync works."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("ETag", '"caf\u00e9"')
            self.send_header("Last-Modified", "not a date")
            self.send_header("Content-Length", str(len(current_xml_bytes)))
            self.end_headers()
            self.wfile.write(current_xml_bytes)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/registry.xml"
        assert sync(store, url).changed
        assert store.sync_state(url).etag is None
        again = sync(store, url)
        assert again.status == 200 and not again.changed
    finally:
        server.shutdown()
        server.server_close()

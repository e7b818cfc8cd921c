"""The server's own guards (web/server.py), on a real uvicorn listening on loopback.

Raw sockets, because an HTTP client will not send what a hostile one does: a request
that is not HTTP, 40 KB of headers, headers one byte at a time, or nothing at all.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Iterator

import pytest

from tests.support.web import free_port
from portreg.web.middleware import CONTENT_SECURITY_POLICY

TIMEOUT = 0.6


async def hello(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    import uvicorn

    from portreg.web.server import server_options

    options = server_options()
    options["http"].header_timeout = TIMEOUT
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(hello, host="127.0.0.1", port=port, log_level="critical", lifespan="off", **options)
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield ("127.0.0.1", port)
    server.should_exit = True
    thread.join(5)


def exchange(address: tuple[str, int], *parts: bytes, pause: float = 0.0, wait: float = 5.0) -> bytes:
    """Send ``parts`` (``pause`` seconds apart) and read until the server closes."""
    with socket.create_connection(address, timeout=wait) as sock:
        for part in parts:
            try:
                sock.sendall(part)
            except OSError:
                break
            time.sleep(pause)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        return received


def assert_refusal(answer: bytes, status: int) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith(f"HTTP/1.1 {status} "), lines[0]
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:]}
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["connection"] == "close"
    assert body.count(b"\n") == 1 and len(body) == int(headers["content-length"])


def test_a_well_formed_request_is_answered_and_kept_alive(address: tuple[str, int]) -> None:
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(address, timeout=5) as sock:
        for _ in range(2):
            sock.sendall(request)
            time.sleep(TIMEOUT * 1.5)  # longer than the header timeout: it must not fire between requests
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize(
    "garbage",
    [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost x\r\n\r\n", b"GET /\x00 HTTP/1.1\r\n\r\n", b"\xff\xfe\r\n\r\n"],
)
def test_a_malformed_request_is_a_400_with_our_headers(address: tuple[str, int], garbage: bytes) -> None:
    assert_refusal(exchange(address, garbage), 400)


def test_huge_headers_are_a_431(address: tuple[str, int]) -> None:
    cookie = b"Cookie: " + b"a" * 40_000 + b"\r\n"
    assert_refusal(exchange(address, b"GET / HTTP/1.1\r\nHost: x\r\n" + cookie + b"\r\n"), 431)
    many = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 100) for i in range(400))
    assert_refusal(exchange(address, b"GET / HTTP/1.1\r\n" + many + b"\r\n"), 431)
    assert_refusal(exchange(address, b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\n\r\n"), 431)


def test_headers_that_trickle_are_cut_off(address: tuple[str, int]) -> None:
    started = time.monotonic()
    answer = exchange(address, *[bytes([c]) for c in b"GET / HTTP/1.1\r\nHost: example\r\n"], pause=0.1)
    assert_refusal(answer, 408)
    assert time.monotonic() - started < TIMEOUT + 2.5


def test_a_silent_connection_is_closed(address: tuple[str, int]) -> None:
    started = time.monotonic()
    assert_refusal(exchange(address), 408)
    assert time.monotonic() - started < TIMEOUT + 1

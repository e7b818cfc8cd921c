"""HTTP done once for every response: validators, 304s, gzip, HEAD, caching and security headers.

One pure-ASGI middleware wraps the whole app (pages, downloads, API, static files), so
no route has to remember any of this. Routes may set their own ``ETag``,
``Last-Modified``, ``Cache-Control`` or ``Content-Security-Policy``; the middleware
fills in what a route left out:

- ``ETag`` from a hash of the body, ``Last-Modified`` from the registry version the
  app serves (every page and document is derived from it);
- ``304 Not Modified`` for a matching ``If-None-Match`` (or, without one,
  ``If-Modified-Since``), with no body;
- gzip when the client accepts it and the body is text worth compressing; the gzip
  variant's ETag carries a ``-gzip`` suffix (RFC 9110 §8.8.3: distinct representations,
  distinct tags) and big immutable bodies are compressed once and kept;
- HEAD answered as GET without the body (FastAPI routes only declare GET);
- security headers: a Content-Security-Policy that allows no script at all and styles
  only from our own static files, ``nosniff``, a strict Referrer-Policy and
  ``frame-ancestors 'none'``; CORS for GET on ``/api/``.

Responses are buffered: every body portreg sends is built whole anyway, and the ETag
and compression need all of it.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, MutableMapping

import anyio.to_thread

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["HttpMiddleware", "install"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
COMPRESSIBLE = (b"text/", b"application/json", b"application/xml", b"image/svg+xml", b"application/javascript")
GZIP_MINIMUM = 512
GZIP_SUFFIX = "-gzip"
#: Compressed bodies at least this big are kept, keyed by their strong ETag.
GZIP_CACHE_MINIMUM = 64 * 1024
GZIP_CACHE_BYTES = 16 * 1024 * 1024
#: Bodies at least this big are finished (hashed, compressed) in a worker thread.
OFF_LOOP = 256 * 1024
#: Bodies at least this big are sent a few at a time (see ``HttpMiddleware.__call__``).
HEAVY_BODY = 256 * 1024
HEAVY_CONCURRENCY = 2
HEAVY_SLICE = 64 * 1024


class HttpMiddleware:
    """Wraps an ASGI app; see the module docstring for what it adds."""

    def __init__(self, app: ASGIApp, *, last_modified: Callable[[], str | None] = lambda: None) -> None:
        self.app = app
        self.last_modified = last_modified
        self._gzip_cache: OrderedDict[str, bytes] = OrderedDict()
        self._gzip_cache_size = 0
        self._gzip_lock = threading.Lock()
        self._heavy_gate = asyncio.Semaphore(HEAVY_CONCURRENCY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_head = scope["method"] == "HEAD"
        if is_head:
            scope = dict(scope, method="GET")
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, capture)
        except Exception:  # a bug: answered like any other response, headers included
            log.exception("unhandled error on %s %s", scope["method"], scope.get("path"))
            start, chunks = _server_error(scope)
        if "status" not in start:  # the app returned without answering
            start, chunks = _server_error(scope)
        body = b"".join(chunks)
        args = (scope, start["status"], list(start.get("headers", [])), body)
        # Hashing or compressing megabytes would stall the loop: a worker thread does it.
        if len(body) >= OFF_LOOP and self._costly(args[2], scope):
            status, headers, body = await anyio.to_thread.run_sync(self._finish, *args)
        else:
            status, headers, body = self._finish(*args)
        if is_head or len(body) < HEAVY_BODY:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if is_head else body})
            return
        # A megabyte body to fifty clients at once would fill every turn of the event
        # loop with writes, and a lookup would wait behind all of them: a few heavy
        # bodies go out at a time, in slices, each slice waiting for the client to
        # take the one before (uvicorn's flow control), and the others queue.
        async with self._heavy_gate:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            view = memoryview(body)
            for offset in range(0, len(body), HEAVY_SLICE):
                last = offset + HEAVY_SLICE >= len(body)
                piece = bytes(view[offset : offset + HEAVY_SLICE])
                await send({"type": "http.response.body", "body": piece, "more_body": not last})
                await asyncio.sleep(0)  # loopback takes a slice at once: let a lookup in between

    def _costly(self, headers: list[tuple[bytes, bytes]], scope: Scope) -> bool:
        """False when a big body needs neither hashing nor compressing: it carries its own
        strong ETag and its gzip form is kept (or not wanted), so finishing it is a few
        lookups, cheaper on the loop than a trip through a worker thread."""
        etag = _Headers(headers).get(b"etag")
        if etag is None or etag.startswith(b"W/"):
            return True
        if not _accepts_gzip(_Headers(scope["headers"]).get(b"accept-encoding")):
            return False
        with self._gzip_lock:
            return _gzip_tag(etag.decode("latin-1")) not in self._gzip_cache

    def _finish(
        self, scope: Scope, status: int, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The final status, headers and body for one buffered response."""
        request = _Headers(scope["headers"])
        response = _Headers(headers)
        method = scope["method"]
        for name, value in SECURITY_HEADERS:
            response.setdefault(name, value)
        if scope["path"].startswith("/api/"):
            response.setdefault(b"access-control-allow-origin", b"*")
            response.setdefault(b"access-control-expose-headers", b"ETag, Last-Modified, Link")
        if method != "GET" or status != 200:
            response.setdefault(b"cache-control", b"no-store")
            return status, response.items, body

        response.setdefault(b"cache-control", b"no-cache")
        if response.get(b"last-modified") is None:
            stamp = self.last_modified()
            if stamp:
                response.set(b"last-modified", stamp.encode())
        given = response.get(b"etag")
        if given is None:
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            response.set(b"etag", etag.encode())
        else:
            etag = given.decode()

        content_type = response.get(b"content-type") or b""
        compressible = content_type.startswith(COMPRESSIBLE) and response.get(b"content-encoding") is None
        if compressible:
            response.add_vary(b"Accept-Encoding")
        use_gzip = compressible and len(body) >= GZIP_MINIMUM and _accepts_gzip(request.get(b"accept-encoding"))
        if use_gzip:
            etag = _gzip_tag(etag)
            response.set(b"etag", etag.encode())

        if _not_modified(request, etag, response.get(b"last-modified")):
            keep = (b"etag", b"last-modified", b"cache-control", b"vary", b"content-location", b"expires")
            kept = _Headers([(k, v) for k, v in response.items if k in keep or k in dict(SECURITY_HEADERS)])
            return 304, kept.items, b""

        if use_gzip:
            body = self._gzip(etag, body)
            response.set(b"content-encoding", b"gzip")
        response.set(b"content-length", str(len(body)).encode())
        return status, response.items, body

    def _gzip(self, etag: str, body: bytes) -> bytes:
        """``body`` compressed; big bodies with a strong ETag are compressed only once."""
        cacheable = len(body) >= GZIP_CACHE_MINIMUM and not etag.startswith("W/")
        if cacheable:
            with self._gzip_lock:
                if etag in self._gzip_cache:
                    self._gzip_cache.move_to_end(etag)
                    return self._gzip_cache[etag]
        compressed = gzip.compress(body, compresslevel=6, mtime=0)
        if cacheable and len(compressed) <= GZIP_CACHE_BYTES // 4:
            with self._gzip_lock:
                if etag not in self._gzip_cache:
                    self._gzip_cache[etag] = compressed
                    self._gzip_cache_size += len(compressed)
                while self._gzip_cache_size > GZIP_CACHE_BYTES:
                    _, dropped = self._gzip_cache.popitem(last=False)
                    self._gzip_cache_size -= len(dropped)
        return compressed


class _Headers:
    """A small mutable view of ASGI header pairs (names are lower-case bytes)."""

    def __init__(self, items: list[tuple[bytes, bytes]]) -> None:
        self.items = [(bytes(k).lower(), bytes(v)) for k, v in items]

    def get(self, name: bytes) -> bytes | None:
        for key, value in self.items:
            if key == name:
                return value
        return None

    def set(self, name: bytes, value: bytes) -> None:
        self.items = [(k, v) for k, v in self.items if k != name]
        self.items.append((name, value))

    def setdefault(self, name: bytes, value: bytes) -> None:
        if self.get(name) is None:
            self.items.append((name, value))

    def add_vary(self, token: bytes) -> None:
        current = self.get(b"vary")
        if current is None:
            self.set(b"vary", token)
        elif token.lower() not in current.lower():
            self.set(b"vary", current + b", " + token)


#: RFC 9110 §12.4.2: ``qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )``.
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?", re.ASCII)


def _accepts_gzip(accept_encoding: bytes | None) -> bool:
    """True when the Accept-Encoding header allows gzip (RFC 9110 §12.5.3).

    An explicit ``gzip`` entry decides over ``*``; ``q=0`` refuses. A quality value
    outside the RFC's grammar (``q=abc``, ``q=-1``, ``q=nan``, ``q=infinity``, ``q=2``)
    makes its entry mean nothing: it is ignored, never an error, and never consent.
    """
    if not accept_encoding:
        return False
    found: dict[str, bool] = {}
    for item in accept_encoding.decode("latin-1").split(","):
        coding, *params = item.split(";")
        coding = coding.strip().lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        accepted: bool | None = True
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                accepted = float(value) > 0 if _QVALUE.fullmatch(value) else None
        if accepted is not None:
            found.setdefault("gzip" if coding == "x-gzip" else coding, accepted)
    if "gzip" in found:
        return found["gzip"]
    return found.get("*", False)


def _server_error(scope: Scope) -> tuple[Message, list[bytes]]:
    """A 500 for a request whose route failed: JSON under /api/, a short page elsewhere."""
    if str(scope.get("path", "")).startswith("/api/"):
        body = json.dumps(
            {"error": {"code": "internal_error", "message": "the server failed; this is a bug in portreg"}}
        ).encode()
        content_type = b"application/json"
    else:
        body = (
            b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Server error - portreg</title>"
            b"</head><body><h1>Server error</h1><p>The server failed to answer this request; this is a bug in "
            b"portreg, and it has been logged.</p><p><a href=\"/\">The registry</a></p></body></html>\n"
        )
        content_type = b"text/html; charset=utf-8"
    start: Message = {"type": "http.response.start", "status": 500, "headers": [(b"content-type", content_type)]}
    return start, [body]


def _gzip_tag(etag: str) -> str:
    return etag[:-1] + GZIP_SUFFIX + '"' if etag.endswith('"') else etag + GZIP_SUFFIX


def _opaque(tag: str) -> str:
    """The tag compared weakly: without ``W/`` and without our gzip suffix."""
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.replace(GZIP_SUFFIX + '"', '"')


def _not_modified(request: _Headers, etag: str, last_modified: bytes | None) -> bool:
    """RFC 9110 §13.1.2-3: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = request.get(b"if-none-match")
    if if_none_match is not None:
        wanted = if_none_match.decode("latin-1").strip()
        if wanted == "*":
            return True
        mine = _opaque(etag)
        return any(_opaque(tag) == mine for tag in wanted.split(","))
    if_modified_since = request.get(b"if-modified-since")
    if if_modified_since is not None and last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
            modified = parsedate_to_datetime(last_modified.decode("latin-1"))
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None or modified.tzinfo is None:
            return False
        return modified <= since
    return False


def http_date(moment: Any) -> str:
    """An aware datetime as an HTTP date (``Sun, 06 Nov 1994 08:49:37 GMT``), to the second."""

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def install(app: FastAPI) -> None:
    """Wrap ``app`` in the middleware; Last-Modified defaults to its current version's time."""

    def last_modified() -> str | None:
        try:
            # The default view: with local registries, the stack, whose newest version is the
            # last change any page of it can show.
            return http_date(app.state.registry_service.view().version.created_at)
        except Exception:  # an empty or unreachable store: no validator rather than an error page
            return None

    app.add_middleware(HttpMiddleware, last_modified=last_modified)

"""The HTTP server's own guards, below the app: slow clients, huge headers, malformed requests.

uvicorn answers a request it cannot parse with a bare ``400`` of its own, waits forever
for a client that opens a connection and sends its headers one byte at a time, and keeps
every header line a client sends. The app's middleware never sees any of these, so the
protocol class here (uvicorn's httptools protocol, extended) does:

- a request's line and headers must arrive within :data:`HEADER_TIMEOUT` seconds of its
  first byte (and a new connection must start one within that time), else ``408`` and
  the connection is closed;
- the request line and headers together are at most :data:`MAX_HEADER_BYTES`, else
  ``431`` (RFC 6585) and the connection is closed;
- every answer the server gives on its own (400, 408, 431) carries the same security
  headers as the app's responses and a one-line reason.

Idle keep-alive connections are closed after :data:`KEEP_ALIVE` seconds (uvicorn's
``timeout_keep_alive``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .middleware import SECURITY_HEADERS

__all__ = ["HEADER_TIMEOUT", "KEEP_ALIVE", "MAX_HEADER_BYTES", "protocol_class", "server_options"]

#: Seconds a client has to send a request's line and headers, from its first byte.
HEADER_TIMEOUT = 10.0
#: Request line plus headers, in bytes; browsers send 1-8 KB.
MAX_HEADER_BYTES = 32 * 1024
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE = 5

log = logging.getLogger(__name__)

_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class _HeadersTooLarge(Exception):
    pass


def protocol_class() -> type[asyncio.Protocol] | None:
    """uvicorn's httptools protocol with the guards above; None without httptools."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency
        return None

    class GuardedProtocol(HttpToolsProtocol):
        """See the module docstring."""

        header_timeout = HEADER_TIMEOUT
        max_header_bytes = MAX_HEADER_BYTES

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._header_timer: asyncio.TimerHandle | None = None
            self._header_bytes = 0
            self._refused = False

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self._header_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # bytes of a new request on a kept-alive connection
            super().data_received(data)

        def on_message_begin(self) -> None:
            self._header_bytes = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            if self._header_bytes > self.max_header_bytes:
                self._refuse(431, f"The request's line and headers are larger than {self.max_header_bytes} bytes.")
            else:
                self._refuse(400, "This is not a well-formed HTTP/1.1 request.")

        def _count(self, size: int) -> None:
            self._header_bytes += size
            if self._header_bytes > self.max_header_bytes:
                raise _HeadersTooLarge  # httptools stops parsing and uvicorn calls send_400_response

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self.cycle is not None and not self.cycle.response_complete:
                return  # a request is being answered; its headers were complete
            self._refuse(408, f"The request's headers did not arrive within {self.header_timeout:g} seconds.")

        def _refuse(self, status: int, message: str) -> None:
            """Answer ``status`` with our headers and close; the app never sees the request."""
            self._disarm()
            self._refused = True
            if self.transport.is_closing():
                return
            body = (message + "\n").encode("ascii")
            lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])]
            lines += [name + b": " + value + b"\r\n" for name, value in SECURITY_HEADERS]
            lines += [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"cache-control: no-store\r\n",
                b"content-length: %d\r\n" % len(body),
                b"connection: close\r\n\r\n",
                body,
            ]
            self.transport.write(b"".join(lines))
            self.transport.close()

    return GuardedProtocol


def server_options() -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` that install the guards."""
    protocol = protocol_class()
    options: dict[str, Any] = {"timeout_keep_alive": KEEP_ALIVE, "server_header": False}
    if protocol is not None:
        options["http"] = protocol
    else:  # pragma: no cover - h11 bounds a request's head itself, without a timeout
        options["http"] = "h11"
        options["h11_max_incomplete_event_size"] = MAX_HEADER_BYTES
    return options

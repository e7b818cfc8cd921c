"""A loopback HTTP server standing for IANA: ``portreg sync`` downloads from it for real."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator


class Published:
    """What the server publishes: set ``body`` to publish another registry; ``url`` is where."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.url = ""


@contextlib.contextmanager
def publishing(body: bytes) -> Iterator[Published]:
    """Serve ``body`` (an XML registry) at ``.url`` until the block ends."""
    published = Published(body)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(published.body)))
            self.end_headers()
            self.wfile.write(published.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    published.url = f"http://127.0.0.1:{server.server_port}/service-names-port-numbers.xml"
    try:
        yield published
    finally:
        server.shutdown()
        server.server_close()

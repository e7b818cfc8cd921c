"""Keep a store up to date with the registry IANA publishes.

:func:`sync` downloads the registry XML with a conditional request: the ``ETag`` and
``Last-Modified`` of the last download are sent back as ``If-None-Match`` and
``If-Modified-Since``, so an unchanged registry costs one small 304 response instead of
4 MB. A changed one is read and imported as a new version (or as nothing, when its
content equals the current version's).

The validators are kept in the store (``Store.sync_state``), written in the transaction
of the import they led to, with the version number current after it; they are used only
while that version is still the current one: after an import from elsewhere, the next
sync downloads in full rather than trust a validator that no longer describes the store.
A validator that is not one (non-ASCII, a control character, too long, a date that does
not parse) is never sent: it costs a full download, not a failed sync.

A download is bounded: in time (``timeout`` seconds for the whole of it, however slowly
the server trickles bytes), in size (``limit`` bytes after decompression, 64 MB by
default, checked while streaming) and in compression (gzip and deflate are decoded here,
a bounded amount at a time, so a small bomb cannot expand past the limit in memory).
"""

from __future__ import annotations

import re
import threading
import time
import zlib
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Callable, Iterator

from .._files import input_limit, too_large
from ..errors import InvalidQuery, RegistryError

if TYPE_CHECKING:
    from ..store import Store, SyncState, Version

__all__ = ["DEFAULT_URL", "SyncError", "SyncResult", "download", "sync"]

#: Where IANA publishes the registry.
DEFAULT_URL = "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.xml"
#: Bytes handed to the decompressor, and most it may give back, per step.
_STEP = 256 * 1024
#: RFC 9110 §8.8.3 entity-tag, ASCII only (obs-text is allowed by the RFC but not sent back here).
_ETAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e]*"', re.ASCII)
_VALIDATOR_MAX = 200


class SyncError(RegistryError):
    """The registry could not be downloaded (offline, refused, an HTTP error, too slow)."""


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: ``changed`` is True when it published a new version."""

    url: str
    changed: bool
    version: Version | None
    status: int  # the HTTP status of the download: 200, or 304 when unchanged


@dataclass(frozen=True)
class _Download:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None


def sync(
    store: Store,
    url: str = DEFAULT_URL,
    *,
    actor: str | None = None,
    timeout: float = 60.0,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Download the registry from ``url`` when it changed, and import it into ``store``.

    Raises :class:`SyncError` when the download fails or takes longer than ``timeout``
    seconds in all (one line saying why), :class:`~portreg.errors.TooLarge` past
    ``limit`` bytes, and :class:`~portreg.errors.FormatError` when what came back is
    not a registry. The store is unchanged by any of these.
    """
    from .. import formats
    from ..store import SyncState

    url = _check_url(url)
    current = store.current_version()
    remembered = store.sync_state(url)
    headers: dict[str, str] = {}
    if current is not None and remembered is not None and remembered.version == current.number:
        headers.update(_validators(remembered))
    got = download(url, headers=headers, timeout=timeout, limit=limit)
    if got.status == 304:
        return SyncResult(url, False, current, 304)
    registry = formats.read(got.body, source=url)
    state = SyncState(url, _valid_etag(got.etag), _valid_date(got.last_modified))
    version = store.import_registry(registry, source=url, actor=actor, progress=progress, sync_state=state)
    now = version or store.current_version()
    return SyncResult(url, version is not None, now, 200)


def _check_url(url: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidQuery(
            "the URL is empty; give an http:// or https:// URL, or leave --url out for IANA", parameter="url"
        )
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidQuery(f"{url!r} is not an http:// or https:// URL", parameter="url")
    return url


def _validators(state: SyncState) -> dict[str, str]:
    """The conditional headers a remembered state allows; nothing that is not a validator."""
    headers = {}
    etag = _valid_etag(state.etag)
    if etag:
        headers["If-None-Match"] = etag
    modified = _valid_date(state.last_modified)
    if modified:
        headers["If-Modified-Since"] = modified
    return headers


def _valid_etag(value: str | None) -> str | None:
    if value and len(value) <= _VALIDATOR_MAX and _ETAG.fullmatch(value):
        return value
    return None


def _valid_date(value: str | None) -> str | None:
    if not value or len(value) > _VALIDATOR_MAX or not value.isascii() or not value.isprintable():
        return None
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value


def download(
    url: str, *, headers: dict[str, str] | None = None, timeout: float = 60.0, limit: int | None = None
) -> _Download:
    """GET ``url``, bounded in time (``timeout`` for all of it) and in decoded size.

    The transfer runs in a worker thread that this one waits for at most ``timeout``
    seconds: a server trickling a byte every few seconds never resets the clock, as it
    would a per-read timeout. On the deadline the worker is told to stop (it does within
    one read, each of which is itself bounded by the time that was left).
    """
    bound = input_limit(limit)
    deadline = time.monotonic() + timeout
    stop = threading.Event()
    outcome: list[_Download | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_transfer(url, dict(headers or {}), deadline, bound, stop))
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome.append(exc)

    worker = threading.Thread(target=work, name="portreg-sync", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        stop.set()
        raise SyncError(f"cannot download {url}: no complete answer within {timeout:g} seconds")
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _transfer(url: str, headers: dict[str, str], deadline: float, bound: int, stop: threading.Event) -> _Download:
    import httpx

    from .. import __version__

    remaining = max(0.1, deadline - time.monotonic())
    headers = {"User-Agent": f"portreg/{__version__}", "Accept-Encoding": "gzip, deflate", **headers}
    try:
        with (
            httpx.Client(timeout=remaining, follow_redirects=True, max_redirects=5) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code == 304:
                return _Download(304, b"", None, None)
            if response.status_code != 200:
                raise SyncError(f"cannot download {url}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
            declared = response.headers.get("content-length", "")
            if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > bound:
                raise too_large(url, bound)
            decoder = _decoder(url, response.headers.get("content-encoding", ""))
            chunks: list[bytes] = []
            size = 0
            for raw in response.iter_raw(_STEP):
                if stop.is_set() or time.monotonic() > deadline:
                    raise SyncError(f"cannot download {url}: too slow")
                for piece in decoder(raw):
                    size += len(piece)
                    if size > bound:
                        raise too_large(url, bound)
                    chunks.append(piece)
            for piece in decoder(None):
                size += len(piece)
                if size > bound:
                    raise too_large(url, bound)
                chunks.append(piece)
            return _Download(200, b"".join(chunks), _header(response, "etag"), _header(response, "last-modified"))
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SyncError(f"cannot download {url}: {_reason(exc)}") from None
    except UnicodeError as exc:
        raise SyncError(f"cannot download {url}: {_reason(exc)}") from None


def _header(response: object, name: str) -> str | None:
    raw = response.headers.get_list(name)  # type: ignore[attr-defined]
    return raw[0] if len(raw) == 1 else None


def _decoder(url: str, encoding: str) -> Callable[[bytes | None], Iterator[bytes]]:
    """A function from a raw chunk (None at the end) to its decoded pieces, each at most _STEP bytes.

    A generator, so that the caller counts every piece before the next is made: a
    256 KB chunk of a gzip bomb never becomes 256 MB in memory.
    """
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        return lambda raw: iter([raw] if raw else [])
    if coding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    elif coding == "deflate":
        inflater = zlib.decompressobj()
    else:
        raise SyncError(f"cannot download {url}: the server answered in {encoding!r}, which portreg did not ask for")

    def decode(raw: bytes | None) -> Iterator[bytes]:
        data = raw or b""
        try:
            while True:
                piece = inflater.decompress(data, _STEP)
                if piece:
                    yield piece
                data = inflater.unconsumed_tail
                if not data and len(piece) < _STEP:
                    break
            if raw is None:
                tail = inflater.flush(_STEP)
                if tail:
                    yield tail
        except zlib.error as exc:
            raise SyncError(f"cannot download {url}: the {coding} body is corrupt ({exc})") from None

    return decode


def _reason(exc: Exception) -> str:
    """One line: the innermost cause is usually the one a person understands."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())

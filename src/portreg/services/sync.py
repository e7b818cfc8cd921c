"""Keep a store up to date with the registry IANA publishes.

:func:`sync` downloads the registry XML with a conditional request: the ``ETag`` and
``Last-Modified`` of the last download are sent back as ``If-None-Match`` and
``If-Modified-Since``, so an unchanged registry costs one small 304 response instead of
4 MB. A changed one is read and imported as a new version (or as nothing, when its
content equals the current version's).

The validators are remembered with the version number they led to, and used only while
that version is still the current one: after an import from elsewhere, the next sync
downloads in full rather than trust a validator that no longer describes the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import RegistryError

if TYPE_CHECKING:
    from ..store import Store, Version

__all__ = ["DEFAULT_URL", "SyncError", "SyncResult", "sync"]

#: Where IANA publishes the registry.
DEFAULT_URL = "https://www.iana.org/assignments/service-names-port-numbers/service-names-port-numbers.xml"


class SyncError(RegistryError):
    """The registry could not be downloaded (offline, refused, or an HTTP error)."""


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: ``changed`` is True when it published a new version."""

    url: str
    changed: bool
    version: Version | None
    status: int  # the HTTP status of the download: 200, or 304 when unchanged


def sync(
    store: Store,
    url: str = DEFAULT_URL,
    *,
    actor: str | None = None,
    timeout: float = 60.0,
    progress: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Download the registry from ``url`` when it changed, and import it into ``store``.

    Raises :class:`SyncError` when the download fails (one line saying why), and
    :class:`~portreg.errors.FormatError` when what came back is not a registry.
    """
    import httpx

    from .. import __version__, formats

    current = store.current_version()
    memo = _Memo.of(store)
    remembered = memo.load()
    headers = {"User-Agent": f"portreg/{__version__}"}
    if current is not None and remembered.get("url") == url and remembered.get("version") == current.number:
        if remembered.get("etag"):
            headers["If-None-Match"] = remembered["etag"]
        if remembered.get("last_modified"):
            headers["If-Modified-Since"] = remembered["last_modified"]
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            response = client.get(url, headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SyncError(f"cannot download {url}: {_reason(exc)}") from None
    if response.status_code == 304:
        return SyncResult(url, False, current, 304)
    if response.status_code != 200:
        raise SyncError(f"cannot download {url}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
    registry = formats.read(response.content, source=url)
    version = store.import_registry(registry, source=url, actor=actor, progress=progress)
    now = version or store.current_version()
    memo.save(
        {
            "url": url,
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
            "version": now.number if now else None,
        }
    )
    return SyncResult(url, version is not None, now, 200)


def _reason(exc: Exception) -> str:
    """One line: the innermost cause is usually the one a person understands."""
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())


@dataclass(frozen=True)
class _Memo:
    """The validators of the last download, in a small JSON file.

    Beside the database for a SQLite store (``portreg.db`` → ``portreg.db.sync.json``);
    in the user cache directory, named after the store's URL, for a server database.
    """

    path: Path

    @classmethod
    def of(cls, store: Store) -> _Memo:
        url = store.url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            return cls(Path(url.removeprefix("sqlite:///") + ".sync.json"))
        from platformdirs import user_cache_dir

        digest = sha256(url.encode("utf-8")).hexdigest()[:16]
        return cls(Path(user_cache_dir("portreg")) / f"sync-{digest}.json")

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, data: dict[str, Any]) -> None:
        from .._files import atomic_writer

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(self.path) as out:
                out.write(json.dumps(data).encode("utf-8"))
        except OSError:
            pass  # forgetting the validators only costs a full download next time

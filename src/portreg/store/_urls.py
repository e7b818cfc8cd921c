"""Where the store lives: from ``--db``, ``$PORTREG_DATABASE_URL``, or the user's data dir.

Parsed by hand rather than by SQLAlchemy's ``make_url`` so that opening a SQLite store
(what ``portreg lookup`` does) never imports SQLAlchemy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ..errors import StoreError

ENV_VAR = "PORTREG_DATABASE_URL"
DEFAULT_FILE = "registry.sqlite3"


@dataclass(frozen=True)
class StoreURL:
    """A resolved store location: ``backend`` is ``"sqlite"`` or ``"postgresql"``."""

    backend: str
    url: str  # what SQLAlchemy is given (postgresql+psycopg://..., sqlite:///...)
    path: Path | None = None  # the SQLite file
    #: SQLite: ``"ro"`` (``?mode=ro``: read, never write or create), ``"immutable"``
    #: (``?immutable=1``: read a file nothing writes, on read-only media too), or None.
    mode: str | None = None
    #: SQLite: whether a missing file may be created (a new store).
    create: bool = True

    @property
    def masked(self) -> str:
        """The URL with its password replaced by ``***``: safe in messages and logs."""
        return mask_password(self.url)


def resolve(url: str | None) -> StoreURL:
    """Turn ``url`` (or the environment, or the default) into a :class:`StoreURL`.

    Accepted: ``sqlite:///relative.db``, ``sqlite:////absolute.db``, a bare file path
    (taken as SQLite), ``postgresql://...`` (mapped to psycopg 3) and
    ``postgresql+psycopg://...``.
    """
    url = url or os.environ.get(ENV_VAR) or None
    if url is None:
        return _sqlite(default_path())
    scheme, sep, rest = url.partition("://")
    if not sep:
        # A bare word (--db garbage) is more likely a slip than a new store: only a
        # name that looks like a database file is created (store.db, x.sqlite3).
        path = Path(url).expanduser()
        return _sqlite(path, create=path.suffix.lower() in _SQLITE_SUFFIXES)
    scheme = scheme.lower()
    if scheme in ("sqlite", "sqlite+pysqlite"):
        text = rest[1:] if rest.startswith("/") else rest
        text, _, query = text.partition("?")
        if not text or text == ":memory:":
            raise StoreError(f"{url}: an in-memory store would vanish on exit; give a file path (sqlite:///FILE)")
        options = dict(parse_qsl(query))
        immutable = options.get("immutable") in ("1", "true")
        mode = "immutable" if immutable else "ro" if options.get("mode") == "ro" else None
        unknown = set(options) - {"mode", "immutable"}
        if unknown or options.get("mode", "ro") not in ("ro", "rw", "rwc"):
            raise StoreError(f"{url}: a SQLite store takes ?mode=ro or ?immutable=1, nothing else")
        return _sqlite(Path(text).expanduser(), mode=mode, create=mode is None and options.get("mode") != "rw")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return StoreURL("postgresql", "postgresql+psycopg://" + rest)
    raise StoreError(f"{mask_password(url)}: unsupported database; use sqlite:///FILE or postgresql://USER@HOST/DB")


def default_path() -> Path:
    """The SQLite file in the user's data dir (XDG on Linux), e.g. ~/.local/share/portreg/."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("portreg", appauthor=False)) / DEFAULT_FILE


_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")


def _sqlite(path: Path, *, mode: str | None = None, create: bool = True) -> StoreURL:
    path = path.absolute()
    return StoreURL("sqlite", f"sqlite:///{path}", path, mode, create)


def mask_password(url: str) -> str:
    """``postgresql://me:secret@host/db`` -> ``postgresql://me:***@host/db``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))

"""Where the store lives: from ``--db``, ``$PORTREG_DATABASE_URL``, or the user's data dir.

Parsed by hand rather than by SQLAlchemy's ``make_url`` so that opening a SQLite store
(what ``portreg lookup`` does) never imports SQLAlchemy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import StoreError

ENV_VAR = "PORTREG_DATABASE_URL"
DEFAULT_FILE = "registry.sqlite3"


@dataclass(frozen=True)
class StoreURL:
    """A resolved store location: ``backend`` is ``"sqlite"`` or ``"postgresql"``."""

    backend: str
    url: str  # what SQLAlchemy is given (postgresql+psycopg://..., sqlite:///...)
    path: Path | None = None  # the SQLite file

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
        return _sqlite(Path(url).expanduser())
    scheme = scheme.lower()
    if scheme in ("sqlite", "sqlite+pysqlite"):
        path = rest[1:] if rest.startswith("/") else rest
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            raise StoreError(f"{url}: an in-memory store would vanish on exit; give a file path (sqlite:///FILE)")
        return _sqlite(Path(path).expanduser())
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return StoreURL("postgresql", "postgresql+psycopg://" + rest)
    raise StoreError(f"{mask_password(url)}: unsupported database; use sqlite:///FILE or postgresql://USER@HOST/DB")


def default_path() -> Path:
    """The SQLite file in the user's data dir (XDG on Linux), e.g. ~/.local/share/portreg/."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("portreg", appauthor=False)) / DEFAULT_FILE


def _sqlite(path: Path) -> StoreURL:
    path = path.absolute()
    return StoreURL("sqlite", f"sqlite:///{path}", path)


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

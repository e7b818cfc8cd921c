"""Filling an empty store on first start, so that a newcomer sees a working registry.

``portreg serve`` on an empty store calls :func:`first_start` before it listens. The
choices (``--init-from``):

- ``iana`` (the default): download IANA's registry as ``portreg sync`` does, with a
  short timeout; when IANA cannot be reached, fall back to the snapshot of IANA's
  registry shipped in the package (:mod:`.snapshot`), saying its date and that
  ``portreg sync`` brings it up to date;
- ``snapshot``: the shipped snapshot, without trying the network;
- a file path, in any format ``portreg import`` reads (``/etc/services`` among them);
- ``none``: leave the store empty.

What was done is said twice: line by line through ``say`` (the console), and as the
returned notice, which every page shows in its head.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FormatError

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["CHOICES", "FIRST_SYNC_TIMEOUT", "first_start"]

#: The named sources ``--init-from`` takes; anything else is a file path.
CHOICES = ("iana", "snapshot", "none")
#: Seconds to wait for IANA on a first start: a newcomer offline should not wait long.
FIRST_SYNC_TIMEOUT = 10.0


def first_start(
    store: Store,
    init_from: str,
    *,
    sync_url: str | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> str | None:
    """Fill an empty ``store`` as ``init_from`` says; return the notice pages show, if any.

    A store that holds a version is left alone (and gets no notice). A path that
    cannot be read is a :class:`FormatError` naming it, before anything is written.
    """
    from .sync import DEFAULT_URL, SyncError, sync

    if store.current_version() is not None:
        return None
    if init_from == "none":
        say(
            "the store is empty and --init-from none leaves it so; fill it with `portreg sync` or `portreg import FILE`"
        )
        return "This registry is empty: fill it with “portreg sync” or “portreg import FILE”."
    if init_from == "snapshot":
        say("the store is empty; filling it from the snapshot of IANA's registry shipped with portreg")
        return _from_snapshot(store, say, why="")
    if init_from != "iana":
        return _from_file(store, Path(init_from), say)
    url = sync_url or DEFAULT_URL
    say(f"the store is empty; filling it from IANA ({url})")
    try:
        result = sync(store, url, timeout=FIRST_SYNC_TIMEOUT)
    except (SyncError, FormatError) as exc:  # offline, too slow, too large, or not a registry
        say(f"IANA could not be reached ({exc})")
        return _from_snapshot(store, say, why="IANA could not be reached on first start, so ")
    count = result.version.record_count if result.version else 0
    say(f"imported {count:,} records from IANA")
    return f"First start: this registry was filled from IANA ({url}), {count:,} records."


def _from_snapshot(store: Store, say: Callable[[str], None], *, why: str) -> str:
    from . import snapshot

    shipped = snapshot.load()
    version = store.import_registry(shipped.registry, source=shipped.source)
    count = version.record_count if version else 0
    dated = f"dated {shipped.updated}" if shipped.updated else "undated"
    say(f"filled the store from the snapshot of IANA's registry shipped with portreg, {dated}: {count:,} records")
    say("run `portreg sync` when online to bring it up to date")
    text = (
        "this registry was filled from the snapshot of IANA's registry shipped with portreg, "
        f"{dated} ({count:,} records)."
    )
    if why:
        return f"{why}{text} Run “portreg sync” when online to bring it up to date."
    return f"First start: {text} Run “portreg sync” to bring it up to date."


def _from_file(store: Store, path: Path, say: Callable[[str], None]) -> str:
    from .. import formats

    say(f"the store is empty; filling it from {path}")
    from .._files import read_file

    try:
        data = read_file(path)
    except OSError as exc:
        raise FormatError(f"cannot read --init-from: {exc.strerror or exc}", source=str(path)) from None
    version = store.import_registry(formats.read(data, source=str(path)), source=str(path.resolve()))
    count = version.record_count if version else 0
    say(f"imported {count:,} records from {path}")
    return f"First start: this registry was filled from {path} ({count:,} records)."

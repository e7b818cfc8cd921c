"""Importing the registry's past: every published version of IANA's XML, oldest first.

::

    result = import_history(store, "history.tar.zst", progress=print)   # or a .tar.gz, a .tar, a directory
    result.imported, result.unchanged, result.skipped

The versions come as XML files in a directory or in a tar archive (plain, gzip or
zstd). An archive is never unpacked to disk: it is read as a stream, one version in
memory at a time (IANA's 342 versions are 1.2 GB of XML). A first pass reads the head
of each file for its registry date (``<updated>``), so that versions are imported in
date order whatever the order of the files; each version keeps its registry date.

Resuming: an import that stopped (interrupted, a bad file) left every version it
finished stored, each import being one transaction. Run again, it skips each file whose
registry date is on or before the store's latest version's date, and goes on from
there. Files with the same content as the version before them publish nothing.

Speed: consecutive versions share nearly all their rows, so the XML reader keeps the
records it read from one version for the next (``formats.xml.memo()``) and the store
keeps what it encoded and what it published (``Store.series()``).
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from ..errors import FormatError

if TYPE_CHECKING:
    from ..store import Store, Version

__all__ = ["HistoryImport", "import_history", "read_versions", "version_files"]

#: What the first pass reads of each file to find its date: ``<updated>`` is in the head.
HEAD_BYTES = 4096
_UPDATED = re.compile(rb"<updated>\s*([0-9]{4}-[0-9]{2}-[0-9]{2})\s*</updated>")
#: Archive suffixes and the tarfile stream mode (None: zstd, decompressed here).
_ARCHIVES = {".tar.zst": None, ".tzst": None, ".tar.gz": "r|gz", ".tgz": "r|gz", ".tar": "r|"}


class VersionFile(NamedTuple):
    """One XML file of the history: its name and the registry date its head holds."""

    name: str
    date: str | None


class HistoryImport(NamedTuple):
    """What an import of the history did."""

    source: str
    found: int  # XML files in the source
    imported: list[Version]  # versions published, oldest first
    unchanged: int  # files whose content was the version before's: nothing published
    skipped: int  # files dated on or before the store's latest version when the import began
    latest_before: str | None  # that date

    def as_json(self) -> dict[str, Any]:
        from .query import version_json

        return {
            "source": self.source,
            "found": self.found,
            "imported": len(self.imported),
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "skipped_up_to": self.latest_before,
            "first": version_json(self.imported[0]) if self.imported else None,
            "last": version_json(self.imported[-1]) if self.imported else None,
        }


# --------------------------------------------------------------------------- reading the source


def _kind(path: Path) -> str | None:
    """The tarfile mode of an archive (``"zstd"`` for zstd), or None when ``path`` is no archive."""
    name = path.name.lower()
    for suffix, mode in _ARCHIVES.items():
        if name.endswith(suffix):
            return mode or "zstd"
    return None


def _check(path: Path) -> None:
    if path.is_dir():
        return
    if not path.exists():
        raise FormatError("no such file or directory", source=str(path))
    if _kind(path) is None:
        raise FormatError(
            "not a directory or an archive of XML versions (.tar.zst, .tar.gz, .tgz, .tar)", source=str(path)
        )


def _members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """(name, readable) for each XML file of the directory or archive, in its own order.

    Each readable is good until the next item is asked for (archives are streams).
    """
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.suffix.lower() == ".xml" and file.is_file():
                with file.open("rb") as handle:
                    yield file.name, handle
        return
    mode = _kind(path)
    with path.open("rb") as raw:
        stream: IO[bytes] = raw
        if mode == "zstd":
            import zstandard

            stream = zstandard.ZstdDecompressor().stream_reader(raw, read_size=1 << 20)
            mode = "r|"
        try:
            with tarfile.open(fileobj=stream, mode=mode) as archive:  # type: ignore[call-overload]
                for member in archive:
                    if member.isfile() and member.name.lower().endswith(".xml"):
                        handle = archive.extractfile(member)
                        if handle is not None:
                            yield Path(member.name).name, handle
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise FormatError(f"cannot read the archive: {exc}", source=str(path)) from None
        except Exception as exc:  # zstandard.ZstdError: imported lazily, so caught by name
            if type(exc).__name__ == "ZstdError":
                raise FormatError(f"cannot read the archive: {exc}", source=str(path)) from None
            raise


def version_files(path: str | Path) -> list[VersionFile]:
    """The XML files of ``path`` in the order they will be imported: by registry date
    (undated files last), then by name. Reads only the head of each file."""
    path = Path(path)
    _check(path)
    found = [VersionFile(name, _date(handle.read(HEAD_BYTES))) for name, handle in _members(path)]
    return sorted(found, key=lambda f: (f.date is None, f.date or "", f.name))


def _date(head: bytes) -> str | None:
    match = _UPDATED.search(head)
    return match[1].decode() if match else None


def read_versions(path: str | Path, wanted: list[VersionFile]) -> Iterator[tuple[VersionFile, bytes]]:
    """The bytes of each of ``wanted`` (files of ``path``), in the order given, one at a time.

    The source is read once, as a stream. A file that comes before its turn (an
    archive not in date order) waits in memory, compressed, until its turn.
    """
    path = Path(path)
    position = {f.name: i for i, f in enumerate(wanted)}
    waiting: dict[int, bytes] = {}
    turn = 0
    for name, handle in _members(path):
        at = position.get(name)
        if at is None or at < turn:
            continue
        data = handle.read()
        if at > turn:
            waiting[at] = zlib.compress(data, 1)
            continue
        yield wanted[at], data
        turn += 1
        while turn in waiting:
            yield wanted[turn], zlib.decompress(waiting.pop(turn))
            turn += 1
    if turn < len(wanted):
        raise FormatError(f"{wanted[turn].name} was listed but could not be read again", source=str(path))


# --------------------------------------------------------------------------- importing


def import_history(
    store: Store,
    source: str | Path,
    *,
    actor: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> HistoryImport:
    """Import every version of ``source`` newer than the store's latest, oldest first.

    ``progress(done, total)`` is called after each file. A file that cannot be read
    stops the import with FormatError naming it; the versions before it stay stored
    and a second run goes on from there.
    """
    from ..formats import xml

    path = Path(source)
    files = version_files(path)
    latest = store.current_version()
    since = latest.published if latest is not None else None
    wanted = [f for f in files if since is None or f.date is None or f.date > since]
    imported: list[Version] = []
    unchanged = 0
    memo = xml.memo()
    if progress is not None:
        progress(0, len(wanted))
    from .conflicts import deferred

    with store.series(), deferred(store):  # local registries checked once, against the newest version
        for done, (file, data) in enumerate(read_versions(path, wanted), start=1):
            registry = xml.read(data, source=file.name, memo=memo)
            del data
            version = store.import_registry(registry, source=f"{path.resolve()}#{file.name}", actor=actor)
            if version is None:
                unchanged += 1
            else:
                imported.append(version)
            if progress is not None:
                progress(done, len(wanted))
    return HistoryImport(str(path), len(files), imported, unchanged, len(files) - len(wanted), since)

"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    On any error the temporary file is removed and ``path`` is left as it was, so an
    interrupted export never leaves a truncated file behind. The result gets the mode a
    plain ``open()`` would give it (an existing file's mode, else 0666 less the umask),
    not mkstemp's private 0600: an exported page must stay readable by a web server.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        os.fchmod(fd, _mode_for(target))
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# --------------------------------------------------------------------------------------
# Reading input with a bound

#: What portreg reads at most from one file, download or stream, unless told otherwise.
#: IANA's registry is about 4 MB in XML; 64 MB leaves room for a large organization's.
DEFAULT_MAX_INPUT = 64 * 1024 * 1024
#: The environment variable that changes :data:`DEFAULT_MAX_INPUT` (bytes, or with K/M/G).
MAX_INPUT_ENV = "PORTREG_MAX_INPUT"
#: Bytes read per call.
_CHUNK = 1024 * 1024


def parse_size(text: str) -> int:
    """``"64M"``, ``"512k"``, ``"1G"`` or a number of bytes, as bytes (1K = 1024)."""
    from .errors import InvalidQuery

    cleaned = text.strip().upper().removesuffix("B")
    factor = 1
    if cleaned[-1:] in ("K", "M", "G"):
        factor = 1024 ** ("KMG".index(cleaned[-1]) + 1)
        cleaned = cleaned[:-1]
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 12 or int(cleaned) == 0:
        raise InvalidQuery(
            f"a size is a positive number of bytes, optionally with K, M or G (64M), got {text!r}", parameter="size"
        )
    return int(cleaned) * factor


def input_limit(limit: int | None = None) -> int:
    """``limit`` if given, else ``$PORTREG_MAX_INPUT``, else :data:`DEFAULT_MAX_INPUT`."""
    if limit is not None:
        return limit
    configured = os.environ.get(MAX_INPUT_ENV, "").strip()
    return parse_size(configured) if configured else DEFAULT_MAX_INPUT


def describe_size(size: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


def too_large(source: str, limit: int) -> Exception:
    from .errors import TooLarge

    return TooLarge(
        f"more than {describe_size(limit)}; a registry is a few MB "
        f"(raise the limit with --max-size or ${MAX_INPUT_ENV})",
        source=source,
    )


def read_stream(stream: BinaryIO, *, source: str, limit: int | None = None) -> bytes:
    """All of ``stream``, refusing (TooLarge) as soon as it passes ``limit`` bytes."""
    bound = input_limit(limit)
    chunks: list[bytes] = []
    size = 0
    while chunk := stream.read(min(_CHUNK, bound + 1 - size) or 1):
        size += len(chunk)
        if size > bound:
            raise too_large(source, bound)
        chunks.append(chunk)
    return b"".join(chunks)


def read_file(path: str | os.PathLike[str], *, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    A FIFO, a device (``/dev/zero``), a socket or a directory is refused with a
    FormatError before anything is read: such a "file" may never end, or block forever.
    An OSError (missing, unreadable) is left to the caller, which knows how to say it.
    """
    import stat

    from .errors import FormatError

    name = os.fspath(path)
    # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb", buffering=0) as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "a directory" if stat.S_ISDIR(mode)
                else "a FIFO" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                else "a socket" if stat.S_ISSOCK(mode)
                else "not a regular file"
            )
            raise FormatError(f"is {kind}, not a regular file; give a file, or - for standard input", source=name)
        bound = input_limit(limit)
        if os.fstat(fd).st_size > bound:
            raise too_large(name, bound)
        return read_stream(handle, source=name, limit=bound)

"""Every format the registry is read from or published in, one module each.

Each module has ``read(data: bytes, *, source: str | None = None) -> Registry`` (where
the format can be read) and ``write(registry: Registry, out: BinaryIO) -> None`` (where
it can be written). Its facts (name, file extension, media type, label) are declared
once, in its :class:`Format` in :data:`FORMATS`, which the command line, :func:`detect`
and the web's downloads all read; a module's ``MEDIA_TYPE`` and ``EXTENSION`` come from
there. Adding a format is one new module and one line in :data:`FORMATS`.

Modules are imported on first use, so that asking for CSV does not pay for lxml.
"""

from __future__ import annotations

import importlib
import io
from types import ModuleType
from typing import Any, BinaryIO, NamedTuple

from ..errors import FormatError, TooLarge
from ..model import Registry

__all__ = ["FORMATS", "Format", "detect", "module", "read", "readable", "to_bytes", "writable", "write"]


class Format(NamedTuple):
    """One format's facts, declared once: what the CLI, detection and downloads read."""

    name: str  # as the command line spells it (--format, --to)
    extension: str  # of its file, and of its download path
    media_type: str  # as the web serves it
    label: str  # in the "Available Formats" list
    module: str  # where its read and/or write live

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


#: Format name -> its descriptor, in IANA's order of formats, then ours.
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("csv", "csv", "text/csv; charset=utf-8", "CSV", "portreg.formats.csv"),
        Format("xml", "xml", "application/xml", "XML", "portreg.formats.xml"),
        Format("html", "html", "text/html; charset=utf-8", "HTML", "portreg.formats.html"),
        Format("txt", "txt", "text/plain; charset=utf-8", "Plain text", "portreg.formats.text"),
        Format("services", "services", "text/plain; charset=utf-8", "services(5)", "portreg.formats.services"),
        Format("json", "json", "application/json", "JSON", "portreg.formats.json"),
    )
}


def module(name: str) -> ModuleType:
    """The module for format ``name``; a FormatError lists the known names otherwise."""
    try:
        found = FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise FormatError(f"unknown format {name!r}; choose one of: {known}", field="format") from None
    return found.load()


def readable() -> tuple[str, ...]:
    """Names of the formats that have a reader."""
    return tuple(n for n in FORMATS if hasattr(module(n), "read"))


def writable() -> tuple[str, ...]:
    """Names of the formats that have a writer."""
    return tuple(n for n in FORMATS if hasattr(module(n), "write"))


def detect(data: bytes, *, source: str | None = None) -> str:
    """Name the format of ``data`` from its content (never from a file name).

    XML starts with ``<?xml`` or ``<registry``; JSON with ``{``; IANA's CSV with its
    header row; anything else that reads as text lines is taken for services(5).
    """
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FormatError("the input is empty", source=source, line=1)
    if b"\x00" in data[:4096]:
        raise FormatError("the input is binary, not a registry in any known format", source=source)
    if head.startswith(b"<"):
        lowered = head[:512].lower()
        if lowered.startswith((b"<!doctype html", b"<html")):
            raise FormatError("HTML is a published format only; read the XML, CSV or JSON instead", source=source)
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"Service Name,"):
        return "csv"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A cut multi-byte character at the 4096 boundary is fine; garbage is not.
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("the input is not UTF-8 text", source=source) from None
    return "services"


def read(data: bytes, *, format: str | None = None, source: str | None = None) -> Registry:
    """Read a registry from ``data`` in ``format`` (detected from the content when None)."""
    name = format or detect(data, source=source)
    mod = module(name)
    if not hasattr(mod, "read"):
        raise FormatError(f"{name} is a published format only and cannot be read", source=source, field="format")
    try:
        return mod.read(data, source=source)
    except FormatError as exc:
        if source:
            exc.with_source(source)
        raise
    except RecursionError:  # JSON's [[[[…: the C scanner stops at Python's recursion limit
        raise TooLarge("nested too deeply to be a registry", source=source) from None


def write(registry: Registry, format: str, out: BinaryIO, **options: Any) -> None:
    """Write ``registry`` in ``format`` to the binary stream ``out``.

    ``options`` go to the format's writer as keywords (services' ``profile=``, CSV's
    ``legacy_header=``); a writer that does not take one raises TypeError, a bug.
    """
    mod = module(format)
    if not hasattr(mod, "write"):
        raise FormatError(f"{format} cannot be written", field="format")
    mod.write(registry, out, **options)


def to_bytes(registry: Registry, format: str, **options: Any) -> bytes:
    """``registry`` written in ``format``, as bytes."""
    buf = io.BytesIO()
    write(registry, format, buf, **options)
    return buf.getvalue()

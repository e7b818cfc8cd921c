"""IANA's XML: the registry's source of truth, read into the model and written back.

Reading keeps everything the document holds (record and reference order, the order of
each record's child elements, text exactly as written, line breaks, paragraphs,
processing instructions), so that reading a published version and writing it again
gives the same document; an element, attribute or run of text the model has no place
for is an error naming its line, never silently dropped.

Two readers share the work. IANA writes its files in a small, regular part of XML,
which :mod:`._xml_plain` reads with string methods and regular expressions in half
the time lxml takes, and without importing it. Everything else, and every
error, goes to :mod:`._xml_tree`: lxml, with entities left unresolved, no DTD, no
network, any DOCTYPE refused, and an error that names the line. The writer lives in
:mod:`._xml_write`, compiled only when XML is written.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, BinaryIO

from ..model import Record, Registry
from . import FORMATS

if TYPE_CHECKING:
    from ._xml_plain import Memo

__all__ = ["DEFAULT_PROCESSING_INSTRUCTIONS", "EXTENSION", "MEDIA_TYPE", "NAMESPACE", "dumps", "memo", "read", "write"]

MEDIA_TYPE = FORMATS["xml"].media_type
EXTENSION = FORMATS["xml"].extension

NAMESPACE = "http://www.iana.org/assignments"

# --------------------------------------------------------------------------- reading


def memo() -> Memo:
    """A memo for reading a series of versions: pass it to each :func:`read` in turn.

    Each record or person whose text is the same as in the document read before is
    taken from it instead of being read again (a history of 342 versions reads in a
    seventh of the time).
    """
    from ._xml_plain import Memo

    return Memo()


def read(data: bytes, *, source: str | None = None, memo: Memo | None = None) -> Registry:
    """Read one published version of the registry from IANA's XML.

    The plain-form reader first; lxml for anything it does not recognise. Garbage
    collection waits meanwhile: building 100,000 objects (none in a cycle) would
    otherwise set it off again and again (a process that reads the 2024 file takes
    0.26 s of CPU with it, 0.21 s without). ``memo`` (from :func:`memo`) shares the
    elements of consecutive versions.
    """
    from . import _xml_plain

    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            return _xml_plain.read(data, memo)
        except _xml_plain.Unusual:
            from . import _xml_tree

            return _xml_tree.read(data, source=source)
    finally:
        if collecting:
            gc.enable()


# --------------------------------------------------------------------------- writing


def write(registry: Registry, out: BinaryIO) -> None:
    """Write ``registry`` as IANA writes it: declaration, processing instructions, 2-space indent."""
    out.write(dumps(registry).encode("utf-8"))


def dumps(registry: Registry, *, record_texts: dict[int, tuple[Record, str]] | None = None) -> str:
    """The XML text of ``registry`` (written by :mod:`._xml_write`; ``record_texts``: see there)."""
    from ._xml_write import dumps

    return dumps(registry, record_texts=record_texts)


#: What IANA puts before the root element (2024): the stylesheet and the schema.
DEFAULT_PROCESSING_INSTRUCTIONS = (
    'xml-stylesheet type="text/xsl" href="service-names-port-numbers.xsl"',
    'xml-model href="service-names-port-numbers.rng" schematypens="http://relaxng.org/ns/structure/1.0" ',
)

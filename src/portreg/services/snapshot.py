"""The snapshot of IANA's registry that ships inside the package.

A newcomer who starts portreg without a network should still see the real registry,
not the few hundred lines of this machine's ``/etc/services``. So the package carries
IANA's public registry XML, as iana.org serves it to anyone, compressed with xz
(``portreg/data/service-names-port-numbers.xml.xz``, about 330 kB for 4 MB of XML).
It is only a starting point: ``portreg sync`` replaces it with what IANA publishes now.

The file is made by ``scripts/make_snapshot.py`` from whatever registry XML it is given
(:func:`make`), and refreshed the same way: download IANA's current XML, run the
script on it, commit the new ``.xz``.
"""

from __future__ import annotations

import lzma
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from ..errors import FormatError

if TYPE_CHECKING:
    from ..model import Registry

__all__ = ["FILENAME", "Snapshot", "load", "make"]

#: The snapshot's file name inside ``portreg/data/``.
FILENAME = "service-names-port-numbers.xml.xz"
#: The name a store records as the source of a version filled from the snapshot.
SOURCE = "portreg's snapshot of IANA's registry"


@dataclass(frozen=True)
class Snapshot:
    """The shipped registry: ``updated`` is the date IANA gave it (``2024-03-18``)."""

    registry: Registry
    updated: str | None

    @property
    def source(self) -> str:
        """What the store records as the source of a version made from this snapshot."""
        return f"{SOURCE} of {self.updated}" if self.updated else SOURCE


def make(xml: bytes, *, source: str | None = None) -> bytes:
    """The snapshot file for the registry XML ``xml``: checked to read as a registry, then xz.

    The XML is kept byte for byte (IANA's own serialization, not ours), so the snapshot
    is exactly what IANA published; xz at its strongest setting keeps the package small
    and is in the standard library, so reading it costs no dependency.
    """
    from ..formats import xml as xml_format

    registry = xml_format.read(xml, source=source)
    if not registry.records:
        raise FormatError("the registry holds no records; a snapshot of it would fill nothing", source=source)
    return lzma.compress(xml, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9 | lzma.PRESET_EXTREME)


def load() -> Snapshot:
    """Read the shipped snapshot; a FormatError when the package lacks it or it is damaged."""
    from ..formats import xml as xml_format

    where = f"portreg/data/{FILENAME}"
    try:
        packed = resources.files("portreg").joinpath("data", FILENAME).read_bytes()
        data = lzma.decompress(packed)
    except (OSError, lzma.LZMAError) as exc:
        raise FormatError(f"the package's snapshot of IANA's registry cannot be read: {exc}", source=where) from None
    registry = xml_format.read(data, source=where)
    return Snapshot(registry, registry.updated)

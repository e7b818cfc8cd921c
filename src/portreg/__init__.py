"""portreg: the Service Name and Transport Protocol Port Number Registry.

The public API is what this module names; everything else may change. Heavy parts
(formats, the store, the web) are imported when first used.
"""

from __future__ import annotations

from .errors import Conflict, FormatError, NotFound, RegistryError, RuleViolation, StoreError
from .model import Footnote, LineBreak, Note, Paragraph, Person, PortRange, Record, Reference, Registry, Text

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "Footnote",
    "FormatError",
    "LineBreak",
    "Note",
    "NotFound",
    "Paragraph",
    "Person",
    "PortRange",
    "Record",
    "Reference",
    "Registry",
    "RegistryError",
    "RuleViolation",
    "StoreError",
    "Text",
]

"""portreg: the Service Name and Transport Protocol Port Number Registry.

The public API is what this module names; everything else may change. Every part,
the model included, is imported when first used.
"""

from __future__ import annotations

#: typing.TYPE_CHECKING without importing typing (type checkers take the name as true).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from .errors import (
        Conflict,
        FormatError,
        NotFound,
        RegistryError,
        RuleViolation,
        StoreError,
    )
    from .model import (
        Footnote,
        LineBreak,
        Note,
        Paragraph,
        Person,
        PortRange,
        Record,
        Reference,
        Registry,
        Text,
    )

__version__ = "0.1.0"

__all__ = [
    "Conflict",
    "Footnote",
    "FormatError",
    "LineBreak",
    "NotFound",
    "Note",
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

_ERRORS = frozenset(("Conflict", "FormatError", "NotFound", "RegistryError", "RuleViolation", "StoreError"))


def __getattr__(name: str) -> object:
    """The public names, imported on first use: ``portreg lookup`` answered from SQLite
    (:mod:`portreg.cli._quick`) never needs the model's classes."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(".errors" if name in _ERRORS else ".model", __name__), name)
    globals()[name] = value
    return value

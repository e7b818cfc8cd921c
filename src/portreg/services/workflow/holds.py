"""What an open request holds: its (port, transport) pairs, its name, its DCCP service code.

Held keys are rows of ``request_holds`` whose primary key is (kind, key), so the
database itself refuses a second holder. A check that finds a key held by another
request says so without saying whose request it is.
"""

from __future__ import annotations

from typing import Any, Sequence

from ...rules import name_key


def port_key(port: int, transport: str) -> tuple[str, str]:
    return ("port", f"{port}/{transport}")


def name_hold(name: str) -> tuple[str, str]:
    return ("name", name_key(name))


def code_key(code: int) -> tuple[str, str]:
    return ("code", str(code))


def keys_of(data: dict[str, Any], port: int | None, code: int | None) -> list[tuple[str, str]]:
    """The keys a request with ``data`` holds while open (``port`` once it is known)."""
    keys: list[tuple[str, str]] = []
    kind = data["kind"]
    name = data.get("service_name")
    if name and kind in ("assignment", "reuse", "transfer"):
        keys.append(name_hold(name))
    if port is not None and kind in ("assignment", "add-transport", "transfer"):
        keys.extend(port_key(port, t) for t in data.get("transports") or ())
    if code is not None:
        keys.append(code_key(code))
    return keys


def scoped(keys: Sequence[tuple[str, str]], registry: str) -> list[tuple[str, str]]:
    """``keys`` as held in ``registry``: the upstream's unchanged, a local registry's
    prefixed with its name, so that each registry's holds are its own."""
    if registry == "iana":
        return list(keys)
    return [(kind, f"{registry}:{key}") for kind, key in keys]

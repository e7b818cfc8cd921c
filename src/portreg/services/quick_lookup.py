"""``portreg lookup`` answered from a SQLite store without click, SQLAlchemy or the model.

The quick twin of :class:`~portreg.services.query.Query`'s lookups: the same answer (a
port's states, a range's records, a name with its aliases, legacy names and the name to
use instead) built from :mod:`portreg.store._quickread`'s rows. It repeats the rules'
record state, range classes and §10.1 replacement names, and must keep in step with
them; ``tests/cli/test_quick.py`` compares it with the full road on the real registry.
Anything it is unsure of answers None, and the caller takes the full road.
"""

from __future__ import annotations

import re
import sqlite3

from ..store import _quickread as quickread

#: typing.TYPE_CHECKING without importing typing (type checkers take the name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TRANSPORTS = ("tcp", "udp", "sctp", "dccp")
MAX_PORT = 65535
_STRENGTH = {"unassigned": 0, "reserved": 1, "assigned": 2}
_PORT = re.compile(r"([0-9]+)(?:-([0-9]+))?")
_SERVICE_NAME = re.compile(r"(?=.{1,15}\Z)(?=.*[A-Za-z])[A-Za-z0-9](?:-?[A-Za-z0-9])*", re.ASCII)
_POINTS_TO = re.compile(r'(?:alias to|duplicate of the)\s+"([^"]+)"', re.IGNORECASE)
_REPLACES = re.compile(r'replacement for\s+"([^"]+)"', re.IGNORECASE)


class Answer:
    """A lookup's answer: its JSON ``data``, the ``tables`` of rows a listing prints,
    whether anything was ``found``, and what to say when not (``missing``)."""

    __slots__ = ("data", "found", "missing", "tables")

    def __init__(self, data: dict[str, Any], tables: list[list[tuple[Any, ...]]], found: bool, missing: str) -> None:
        data["records"] = [{k: v for k, v in h.items() if not k.startswith("_")} for h in data["records"]]
        self.data = data
        self.tables = tables
        self.found = found
        self.missing = missing


class Stack:
    """The registries a lookup reads, top first, each at its current version: IANA's
    alone, or local registries over it (then every record names its ``source``, and the
    rows start with it, as :mod:`portreg.services.stack` answers)."""

    __slots__ = ("conn", "layers", "sourced")

    def __init__(self, conn: sqlite3.Connection, layers: list[tuple[str, int | None]]) -> None:
        self.conn = conn
        self.sourced = len(layers) > 1
        self.layers = [(name, number) for name, number in layers if number is not None]

    def _read(self, read: Any, *args: Any) -> list[dict[str, Any]]:
        if not self.sourced:
            name, number = self.layers[0]
            return read(self.conn, number, *args, name)
        found = []
        for name, number in self.layers:
            for hit in read(self.conn, number, *args, name):
                found.append({"id": hit.pop("id"), "source": name, **hit})
        return found

    def at_port(self, port: int) -> list[dict[str, Any]]:
        return self._read(quickread.at_port, port)

    def in_range(self, low: int, high: int) -> list[dict[str, Any]]:
        return self._read(quickread.in_range, low, high)

    def named(self, key: str) -> list[dict[str, Any]]:
        return self._read(quickread.named, key)

    def has_name(self, key: str) -> bool:
        return any(quickread.has_name(self.conn, number, key, name) for name, number in self.layers)


def lookup(path: str, query: str, transport: str | None) -> Answer | None:
    """The answer to ``query`` (a port, a range or a name) on the SQLite store at
    ``path``; None when the quick road cannot be sure of it (the full road then answers)."""
    opened = quickread.open_stack(path)
    if opened is None:
        return None
    conn, layers = opened
    try:
        return _answer(Stack(conn, layers), query, transport)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _answer(stack: Stack, query: str, transport: str | None) -> Answer | None:
    text = query.strip()
    if not text or not text.isascii():
        return None
    port = _PORT.fullmatch(text)
    if port is not None:
        if len(text) > 11:
            return None
        low = int(port.group(1))
        high = int(port.group(2)) if port.group(2) is not None else low
        if high > MAX_PORT or low > high:
            return None
        if low == high:
            return _port(stack, query, low, transport)
        return _range(stack, query, low, high, transport)
    return _name(stack, query, text, transport)


def _port(stack: Stack, query: str, port: int, transport: str | None) -> Answer:
    hits = stack.at_port(port)
    states = dict.fromkeys(TRANSPORTS, "unassigned")
    for hit in hits:
        for t in (hit["transport"],) if hit["transport"] else TRANSPORTS:
            if t in states and _STRENGTH[hit["state"]] > _STRENGTH[states[t]]:
                states[t] = hit["state"]
    if transport is not None:
        hits = _on(hits, transport)
        states = {transport: states[transport]}
    cls = _range_class(port)
    data = {"query": query, "kind": "port", "port": port, "range_class": cls, "states": states, "records": hits}
    said = ", ".join(f"{t} {s}" for t, s in states.items())
    return Answer(data, [_rows(hits)], bool(hits), f"no record holds port {port} ({cls} range): {said}")


def _range(stack: Stack, query: str, low: int, high: int, transport: str | None) -> Answer:
    hits = stack.in_range(low, high)
    if transport is not None:
        hits = _on(hits, transport)
    data = {"query": query, "kind": "range", "low": low, "high": high, "records": hits}
    return Answer(data, [_rows(hits)], bool(hits), f"no record overlaps ports {low}-{high}")


def _name(stack: Stack, query: str, text: str, transport: str | None) -> Answer:
    key = text.casefold()
    hits = stack.named(key)
    name, aliases, preferred, legacy = text, [], None, []
    if hits:
        slots = {_slot(h) for h in hits if h["port_low"] is not None}
        ports = {(h["port_low"], h["port_high"]) for h in hits if h["port_low"] is not None}
        seen_aliases: dict[str, None] = {}
        seen_legacy: dict[str, None] = {}
        for low, _high in ports:  # the order the full road visits them in: a set of equal hashes
            for other in stack.at_port(low):
                other_name = other["name"]
                if other_name is None or other_name.casefold() == key or _slot(other) not in slots:
                    continue
                seen_aliases[other_name] = None
                target = _points_to(other)
                if target is not None and target.casefold() == key:
                    seen_legacy[other_name] = None
        for hit in hits:
            for match in _REPLACES.finditer(hit["_description"]):
                seen_legacy[match.group(1)] = None
        preferred = next(filter(None, (_points_to(h) for h in hits)), None)
        if preferred is None:
            replacement = _replacement_name(hits[0]["name"] or text)
            if (
                replacement
                and replacement.casefold() != key
                and stack.has_name(replacement.casefold())
            ):
                preferred = replacement
        name = hits[0]["name"] or text
        aliases, legacy = list(seen_aliases), list(seen_legacy)
    if transport is not None:
        hits = _on(hits, transport)
    data = {"query": query, "kind": "name", "name": name, "aliases": aliases, "preferred": preferred,
            "legacy": legacy, "records": hits}  # fmt: skip
    links = [("alias", a) for a in aliases] + [("legacy", n) for n in legacy]
    if preferred:
        links.insert(0, ("use instead", preferred))
    return Answer(data, [_rows(hits), links], bool(hits), f"no service is named {query!r}")


def _on(hits: list[dict[str, Any]], transport: str) -> list[dict[str, Any]]:
    return [h for h in hits if h["transport"] in (None, transport)]


def _slot(hit: dict[str, Any]) -> tuple[int, int, str | None] | None:
    return None if hit["port_low"] is None else (hit["port_low"], hit["port_high"], hit["transport"])


def _points_to(hit: dict[str, Any]) -> str | None:
    match = _POINTS_TO.search(hit["_notes"])
    return match.group(1) if match else None


def _replacement_name(name: str) -> str | None:
    if _SERVICE_NAME.fullmatch(name):
        return name
    if name == "whois++":
        return "whoispp"
    candidate = re.sub(r"[^A-Za-z0-9-]", "-", name)
    return candidate if _SERVICE_NAME.fullmatch(candidate) else None


def _range_class(port: int) -> str:
    return "system" if port <= 1023 else "user" if port <= 49151 else "dynamic"


def _rows(hits: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    rows = [(h["name"], h["port"], h["transport"], h["state"], h["_description"] or None, h["assignee"]) for h in hits]
    if hits and "source" in hits[0]:
        return [(h["source"], *row) for h, row in zip(hits, rows)]
    return rows

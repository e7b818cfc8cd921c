"""The current version's records read with ``sqlite3`` alone: the store's quick reader.

``portreg lookup`` is the command people run most, often from scripts, and its answer
is a few rows; SQLAlchemy, the model's classes and the store's codec cost several times
the work itself. This module reads the same rows as ``Store.records_at_port``,
``records_in_range`` and ``records_named`` and decodes each stored body straight to the
JSON shape the query service gives a record. It must keep in step with the stored record
layout (``_codec``) and that SQL; ``tests/cli/test_quick.py`` compares its answers with the
full road's on the real registry, byte for byte.
"""

from __future__ import annotations

import json
import sqlite3

#: typing.TYPE_CHECKING without importing typing (type checkers take the name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

_SELECT = (
    "SELECT r.record_id, r.sort_key, b.body FROM record_revisions r JOIN record_bodies b ON b.row_id = r.row_id "
    "WHERE {where} AND r.registry = :reg AND r.valid_from <= :v AND (r.valid_to IS NULL OR r.valid_to > :v)"
)
_AT_PORT = (
    _SELECT.format(where="r.port_low = :p AND r.port_high = r.port_low")
    + " UNION ALL "
    + _SELECT.format(where="r.port_high > r.port_low AND r.port_low <= :p AND r.port_high >= :p")
    + " ORDER BY 2"
)
_IN_RANGE = (
    _SELECT.format(where="r.port_low BETWEEN :lo AND :hi AND r.port_high = r.port_low")
    + " UNION ALL "
    + _SELECT.format(where="r.port_high > r.port_low AND r.port_low <= :hi AND r.port_high >= :lo")
    + " ORDER BY 2"
)
_NAMED = _SELECT.format(where="r.name_key = :name") + " ORDER BY r.sort_key"
#: The upstream registry (as ``_registries.UPSTREAM``, without importing it).
UPSTREAM = "iana"



def open_current(path: str) -> tuple[sqlite3.Connection, int] | None:
    """A connection to the SQLite store at ``path`` and its current version; None when
    the file is missing, not an up-to-date store, empty (the full road then says why), or
    holds local registries as well as IANA's (see :func:`open_stack`)."""
    opened = open_stack(path)
    if opened is None:
        return None
    conn, layers = opened
    if len(layers) != 1 or layers[0][0] != UPSTREAM or layers[0][1] is None:
        conn.close()
        return None
    return conn, layers[0][1]


def open_stack(path: str) -> tuple[sqlite3.Connection, list[tuple[str, int | None]]] | None:
    """A connection to the SQLite store at ``path`` and the stack it holds: each registry,
    top first, with its current version (None for a local registry not filled yet; IANA's
    alone when it holds no local registry). None when the file is missing, not an
    up-to-date store, or IANA's registry is empty (the full road then says why)."""
    import os

    from ._migrate import SCHEMA_REVISION

    if not os.path.isfile(path):
        return None
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != SCHEMA_REVISION:
            conn.close()
            return None
        layers = conn.execute(
            "SELECT g.name, max(v.number) FROM registries g LEFT JOIN versions v ON v.registry = g.name "
            "GROUP BY g.name, g.position ORDER BY g.position DESC"
        ).fetchall()
    except sqlite3.Error:
        conn.close()
        return None
    if not any(name == UPSTREAM and number for name, number in layers):
        conn.close()
        return None
    return conn, [(name, number) for name, number in layers]


def at_port(conn: sqlite3.Connection, version: int, port: int, registry: str = UPSTREAM) -> list[dict[str, Any]]:
    """The records holding ``port`` (singles and ranges), in registry order."""
    return _hits(conn, _AT_PORT, {"p": port, "v": version, "reg": registry})


def in_range(
    conn: sqlite3.Connection, version: int, low: int, high: int, registry: str = UPSTREAM
) -> list[dict[str, Any]]:
    """The records overlapping ``low``-``high``, in registry order."""
    return _hits(conn, _IN_RANGE, {"lo": low, "hi": high, "v": version, "reg": registry})


def named(conn: sqlite3.Connection, version: int, key: str, registry: str = UPSTREAM) -> list[dict[str, Any]]:
    """The records whose case-folded name is ``key``, in registry order."""
    return _hits(conn, _NAMED, {"name": key, "v": version, "reg": registry})


def has_name(conn: sqlite3.Connection, version: int, key: str, registry: str = UPSTREAM) -> bool:
    """Whether any record of ``version`` is named ``key`` (case-folded)."""
    return conn.execute(_NAMED, {"name": key, "v": version, "reg": registry}).fetchone() is not None


def _hits(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Each stored record as the JSON the full road gives it (plus the texts the name links need)."""
    return [_hit(record_id, body) for record_id, _, body in conn.execute(sql, params)]


def _hit(record_id: int, body: str) -> dict[str, Any]:
    (name, low, high, written, transport, description, assignee, references,
     registered, modified, notes, unauthorized, service_code) = json.loads(body)  # fmt: skip
    references = [_reference(r) for r in references or ()]
    assignee = [_reference(r) for r in assignee or ()]
    people = [r for r in references if r["type"] == "person"]
    plain_description = _plain(description)
    if name and name.strip():
        state = "assigned"
    else:
        said = (plain_description or "").strip().lstrip("([").casefold()
        state = "unassigned" if said.startswith("unassigned") else "reserved"
    if low is None:
        port = None
    elif written is not None:
        port = written
    else:
        port = f"{low}-{high}" if high != low else str(low)
    plain_notes = _plain(notes)
    return {
        "id": record_id,
        "name": name,
        "port": port,
        "port_low": low,
        "port_high": None if low is None else high,
        "transport": transport,
        "state": state,
        "range_class": None if low is None else _range_class(low),
        "description": None if plain_description is None else plain_description.strip(),
        "assignee": [r["data"] for r in (assignee or people) if r["data"]],
        "contact": [r["data"] for r in people if r["data"]],
        "references": [r for r in references if r["type"] != "person"],
        "registered": registered,
        "modified": modified,
        "notes": None if plain_notes is None else plain_notes.strip(),
        "unauthorized": None if unauthorized is None else (_plain(unauthorized) or "").strip(),
        "service_code": service_code,
        "_description": plain_description or "",
        "_notes": plain_notes or "",
    }


def _reference(item: list[Any]) -> dict[str, Any]:
    kind = item[0]
    data = item[1] if len(item) > 1 else None
    text = item[2] if len(item) > 2 else None
    if kind == "rfc" and data:
        label = data.upper()
    elif kind == "text" or data is None:
        label = (text or "").strip()
    else:
        label = data
    return {"type": kind, "data": data, "text": text, "label": label}


def _plain(value: Any) -> str | None:
    """Stored rich text as ``str(Text)`` reads it: line breaks as newlines, references as [label]."""
    if value is None:
        return None
    if type(value) is str:
        return value
    return "".join(_inline(value))


def _inline(parts: list[Any]) -> Iterator[str]:
    for part in parts:
        if type(part) is str:
            yield part
        elif part is None:
            yield "\n"
        elif type(part) is list:
            yield f"[{_reference(part)['label']}]"
        else:
            yield from _inline(part["p"])


def _range_class(port: int) -> str:
    return "system" if port <= 1023 else "user" if port <= 49151 else "dynamic"

"""``portreg lookup`` on a SQLite store, answered without click, SQLAlchemy or the model.

A lookup is the command people run most, often from scripts, and its answer is a few
rows: the full road (click, the model's classes, the store package, the query
service) costs several times the work itself. :func:`lookup` recognises the plain
forms — ``portreg [--db URL] lookup QUERY [--proto T] [--json]`` on an existing,
up-to-date SQLite store — and answers them straight from ``sqlite3``, printing what
the full command prints, byte for byte (``tests/cli/test_quick.py`` compares the two
on the real registry). Anything else (help, a malformed query, PostgreSQL, an empty
or missing store, an old schema, a terminal) returns None, and the full command runs
and says what is wrong.

What it repeats of the full road, and must keep in step with: the stored record
layout (``store/_codec.py``), the SQL of ``Store.records_at_port``,
``records_in_range`` and ``records_named``, the rules' record state, range classes and
§10.1 replacement names, and ``services/query.py``'s answers and their JSON.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys

#: typing.TYPE_CHECKING without importing typing (type checkers take the name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

TRANSPORTS = ("tcp", "udp", "sctp", "dccp")
MAX_PORT = 65535
_STRENGTH = {"unassigned": 0, "reserved": 1, "assigned": 2}
_PORT = re.compile(r"([0-9]+)(?:-([0-9]+))?")
_SERVICE_NAME = re.compile(r"(?=.{1,15}\Z)(?=.*[A-Za-z])[A-Za-z0-9](?:-?[A-Za-z0-9])*", re.ASCII)
_POINTS_TO = re.compile(r'(?:alias to|duplicate of the)\s+"([^"]+)"', re.IGNORECASE)
_REPLACES = re.compile(r'replacement for\s+"([^"]+)"', re.IGNORECASE)
#: What click.echo strips from text written to anything but a terminal.
_ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")

_SELECT = (
    "SELECT r.record_id, r.sort_key, b.body FROM record_revisions r JOIN record_bodies b ON b.row_id = r.row_id "
    "WHERE {where} AND r.valid_from <= :v AND (r.valid_to IS NULL OR r.valid_to > :v)"
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


def lookup(argv: list[str]) -> int | None:
    """Answer ``argv`` (the arguments after ``portreg``) and return the exit code; None
    when this is not a plain lookup on a ready SQLite store (the full command then runs)."""
    parsed = _parse(argv)
    if parsed is None:
        return None
    db, query, transport, as_json = parsed
    if not as_json and is_terminal():
        return None  # a person at a terminal gets Rich tables: the full road draws them
    path = _sqlite_path(db)
    if path is None or not os.path.isfile(path):
        return None
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        return _answer(conn, query, transport, as_json)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def is_terminal() -> bool:
    """Whether standard output is a terminal (the test ``cli._output.is_terminal`` makes)."""
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def _parse(argv: list[str]) -> tuple[str | None, str, str | None, bool] | None:
    db: str | None = None
    args = list(argv)
    while args and args[0] != "lookup":
        option = args.pop(0)
        if option == "--db" and args:
            db = args.pop(0)
        elif option.startswith("--db="):
            db = option[5:]
        else:
            return None
    if not args:
        return None
    args.pop(0)
    query: str | None = None
    transport: str | None = None
    as_json = False
    while args:
        arg = args.pop(0)
        if arg == "--json":
            as_json = True
        elif arg == "--proto" and args:
            transport = args.pop(0)
        elif arg.startswith("--proto="):
            transport = arg[8:]
        elif arg.startswith("-") or query is not None:
            return None
        else:
            query = arg
    if query is None or (transport is not None and transport not in TRANSPORTS):
        return None
    return db, query, transport, as_json


def _sqlite_path(url: str | None) -> str | None:
    """The SQLite file ``--db`` (else ``$PORTREG_DATABASE_URL``, else the default) names; None otherwise."""
    url = url or os.environ.get("PORTREG_DATABASE_URL") or None
    if url is None:
        from platformdirs import user_data_dir

        return os.path.join(user_data_dir("portreg", appauthor=False), "registry.sqlite3")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return os.path.abspath(os.path.expanduser(url))
    if scheme.lower() not in ("sqlite", "sqlite+pysqlite") or "?" in rest:
        return None
    path = rest.removeprefix("/")
    if not path or path == ":memory:":
        return None
    return os.path.abspath(os.path.expanduser(path))


# --------------------------------------------------------------------------- the answer


def _answer(conn: sqlite3.Connection, query: str, transport: str | None, as_json: bool) -> int | None:
    from ..store._migrate import SCHEMA_REVISION

    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is None or revision[0] != SCHEMA_REVISION:
        return None
    version = conn.execute("SELECT max(number) FROM versions").fetchone()[0]
    if not version:
        return None
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
            return _port(conn, version, query, low, transport, as_json)
        return _range(conn, version, query, low, high, transport, as_json)
    return _name(conn, version, query, text, transport, as_json)


def _port(conn: sqlite3.Connection, version: int, query: str, port: int, transport: str | None, as_json: bool) -> int:
    hits = _hits(conn, _AT_PORT, {"p": port, "v": version})
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
    return _emit(data, [_rows(hits)], bool(hits), f"no record holds port {port} ({cls} range): {said}", as_json)


def _range(
    conn: sqlite3.Connection, version: int, query: str, low: int, high: int, transport: str | None, as_json: bool
) -> int:
    hits = _hits(conn, _IN_RANGE, {"lo": low, "hi": high, "v": version})
    if transport is not None:
        hits = _on(hits, transport)
    data = {"query": query, "kind": "range", "low": low, "high": high, "records": hits}
    return _emit(data, [_rows(hits)], bool(hits), f"no record overlaps ports {low}-{high}", as_json)


def _name(conn: sqlite3.Connection, version: int, query: str, text: str, transport: str | None, as_json: bool) -> int:
    key = text.casefold()
    hits = _hits(conn, _NAMED, {"name": key, "v": version})
    name, aliases, preferred, legacy = text, [], None, []
    if hits:
        slots = {_slot(h) for h in hits if h["port_low"] is not None}
        ports = {(h["port_low"], h["port_high"]) for h in hits if h["port_low"] is not None}
        seen_aliases: dict[str, None] = {}
        seen_legacy: dict[str, None] = {}
        for low, _high in ports:  # the order the full road visits them in: a set of equal hashes
            for other in _hits(conn, _AT_PORT, {"p": low, "v": version}):
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
                and conn.execute(_NAMED, {"name": replacement.casefold(), "v": version}).fetchone() is not None
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
    return _emit(data, [_rows(hits), links], bool(hits), f"no service is named {query!r}", as_json)


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


# --------------------------------------------------------------------------- records


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


# --------------------------------------------------------------------------- output


def _rows(hits: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(h["name"], h["port"], h["transport"], h["state"], h["_description"] or None, h["assignee"]) for h in hits]


def _emit(data: dict[str, Any], tables: list[list[tuple[Any, ...]]], found: bool, missing: str, as_json: bool) -> int:
    """Print as ``cli._output.emit`` does off a terminal; the exit code."""
    data["records"] = [{k: v for k, v in h.items() if not k.startswith("_")} for h in data["records"]]
    try:
        if as_json:
            _echo(sys.stdout, json.dumps(data, indent=2, ensure_ascii=False))
        else:
            if not found:
                _echo(sys.stderr, missing)
            lines: list[str] = []
            for rows in (t for t in tables if t):
                if lines:
                    lines.append("")
                lines.extend("\t".join(_cell(v) for v in row) for row in rows)
            if lines:
                _echo(sys.stdout, "\n".join(lines))
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    return 0 if found else 1


def _echo(stream: Any, text: str) -> None:
    stream.write(_ANSI.sub("", text) + "\n" if "\033" in text else text + "\n")
    stream.flush()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    return " ".join(str(value).split())

"""``portreg lookup`` on a SQLite store, answered without click, SQLAlchemy or the model.

A lookup is the command people run most, often from scripts, and its answer is a few
rows: the full road (click, the model's classes, the store package, the query
service) costs several times the work itself. :func:`lookup` recognises the plain
forms — ``portreg [--db URL] lookup QUERY [--proto T] [--json]`` on an existing,
up-to-date SQLite store — asks :mod:`portreg.services.quick_lookup`, and prints what
the full command prints, byte for byte (``tests/cli/test_quick.py`` compares the two
on the real registry). Anything else (help, a malformed query, PostgreSQL, an empty
or missing store, an old schema, a terminal) returns None, and the full command runs
and says what is wrong.
"""

from __future__ import annotations

import json
import os
import re
import sys

#: typing.TYPE_CHECKING without importing typing (type checkers take the name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TRANSPORTS = ("tcp", "udp", "sctp", "dccp")
#: What click.echo strips from text written to anything but a terminal.
_ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")


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
    if path is None:
        return None
    from ..services.quick_lookup import lookup as answer

    found = answer(path, query, transport)
    if found is None:
        return None
    return _emit(found.data, found.tables, found.found, found.missing, as_json)


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



# --------------------------------------------------------------------------- output


def _emit(data: dict[str, Any], tables: list[list[tuple[Any, ...]]], found: bool, missing: str, as_json: bool) -> int:
    """Print as ``cli._output.emit`` does off a terminal; the exit code."""
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

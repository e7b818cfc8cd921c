"""How every listing command prints, in one place, so users learn the switches once.

A listing command returns a :class:`Listing` (a named tuple: cheaper to define at
start-up than a dataclass): the JSON document it stands for and the tables a person
reads. :func:`listing` turns that into output:

* ``--json``: the document, indented, on standard output (stable: each command's help
  describes its shape);
* on a terminal: Rich tables (Rich is imported only then: it costs start-up time);
* piped: tab-separated lines, no headers and no decoration, one row per line, so that
  ``cut``, ``sort`` and ``awk`` work; tables are separated by an empty line.

The exit code follows the answer: 0 when something was found, 1 when not. Library
errors and usage errors are turned into one line by :func:`portreg.cli.main`.
"""

from __future__ import annotations

import functools
import json
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, NamedTuple, Sequence

import click

__all__ = ["Listing", "Table", "is_terminal", "listing", "progress"]


class Table(NamedTuple):
    """Rows under named columns; ``title`` shows on a terminal only."""

    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    title: str | None = None


class Listing(NamedTuple):
    """What a listing command found: ``data`` for ``--json``, ``tables`` for people.

    ``found`` False makes the exit code 1; ``message`` is said on standard error (not
    under ``--json``), for "nothing found" and similar notes. Commands that report an
    action rather than rows (``sync``, ``import``) give ``lines`` of plain text instead
    of tables.
    """

    data: Any
    tables: Sequence[Table] = ()
    found: bool = True
    message: str | None = None
    lines: Sequence[str] = ()


def is_terminal(stream: Any = None) -> bool:
    """True when ``stream`` (default standard output) is an interactive terminal."""
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def listing(func: Callable[..., Listing]) -> Callable[..., int]:
    """Give a click command returning a :class:`Listing` the shared ``--json`` switch and output.

    Put it below ``@click.command``; ValueErrors the command raises while reading its
    arguments (a port out of range, an unknown state) become usage errors (exit 2).
    """

    @click.option("--json", "as_json", is_flag=True, help="Print JSON (its shape is described below).")
    @functools.wraps(func)
    def command(*args: Any, as_json: bool, **kwargs: Any) -> int:
        try:
            result = func(*args, **kwargs)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        emit(result, as_json=as_json)
        return 0 if result.found else 1

    return command


def emit(result: Listing, *, as_json: bool = False) -> None:
    """Print ``result`` as JSON, as Rich tables on a terminal, or as tab-separated text."""
    if as_json:
        click.echo(json.dumps(result.data, indent=2, ensure_ascii=False))
        return
    if result.message:
        click.echo(result.message, err=True)
    for line in result.lines:
        click.echo(line)
    tables = [t for t in result.tables if t.rows]
    if not tables:
        return
    if is_terminal():
        _print_rich(tables)
    else:
        _print_tsv(tables)


def _print_tsv(tables: list[Table]) -> None:
    lines: list[str] = []
    for i, table in enumerate(tables):
        if i:
            lines.append("")
        lines.extend("\t".join(_cell(value) for value in row) for row in table.rows)
    if lines:
        click.echo("\n".join(lines))


def _cell(value: object) -> str:
    """One field on one line: None is empty, lists are comma-joined, breaks become spaces."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    return " ".join(str(value).split())


def _print_rich(tables: list[Table]) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable

    console = Console()
    for table in tables:
        rich_table = RichTable(title=table.title, title_justify="left", title_style="bold")
        for column in table.columns:
            rich_table.add_column(column, overflow="fold")
        for row in table.rows:
            rich_table.add_row(*(_rich_cell(v) for v in row))
        console.print(rich_table)


def _rich_cell(value: object) -> str:
    from rich.markup import escape

    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    return escape(str(value).strip())


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A ``(done, total)`` callback drawing a bar on a terminal's standard error; None when piped."""
    if not is_terminal(sys.stderr):
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)

"""The ``portreg`` command line: a thin skin over the library.

Each command lives in its own module and is imported only when it runs, so that
``portreg lookup 80`` does not pay for the web server or the XML parser; a plain
lookup on a SQLite store does not even pay for click (see :mod:`._quick`). Errors from
the library (:mod:`portreg.errors`) become one line on standard error and an exit code;
a traceback means a bug.
"""

from __future__ import annotations

import sys
from typing import Any

#: Command name -> "module:attribute" of its click command, in help order.
COMMANDS: dict[str, str] = {
    "convert": "portreg.cli.convert:convert",
    "check": "portreg.cli.convert:check",
    "lookup": "portreg.cli.query:lookup",
    "search": "portreg.cli.query:search",
    "show": "portreg.cli.query:show",
    "people": "portreg.cli.query:people",
    "free": "portreg.cli.query:free",
    "stats": "portreg.cli.query:stats",
    "import": "portreg.cli.store:import_",
    "export": "portreg.cli.store:export",
    "sync": "portreg.cli.store:sync",
    "versions": "portreg.cli.store:versions",
    "diff": "portreg.cli.history:diff",
    "import-history": "portreg.cli.history:import_history",
    "serve": "portreg.cli.serve:serve",
    "user": "portreg.cli.users:user",
    "mail": "portreg.cli.mail:mail",
    "verify": "portreg.cli.log:verify",
    "log": "portreg.cli.log:log",
    "registry": "portreg.cli.registry:registry",
    "request": "portreg.cli.workflow:request",
    "review": "portreg.cli.workflow:review",
    "iesg": "portreg.cli.workflow:iesg",
    "audit": "portreg.cli.workflow:audit",
}


def main(argv: list[str] | None = None) -> None:
    """Run the command line; library errors exit non-zero with one line, never a traceback."""
    args = sys.argv[1:] if argv is None else list(argv)
    if "lookup" in args:  # the command people run most: answered without click where it can be
        from ._quick import lookup

        quick = lookup(args)
        if quick is not None:
            sys.exit(quick)
    import click

    from ..errors import RegistryError
    from ._group import cli

    try:
        # A command may return an int: its exit code (1 for "not found").
        code = cli.main(args=argv, prog_name="portreg", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except RegistryError as exc:
        click.echo(f"portreg: error: {_said(exc, cli, args)}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _said(exc: Exception, group: Any, args: list[str]) -> str:
    """The error as the person typed the question: a bad value of a service's parameter
    (``registry``, ``to``) named by the command's option or argument (``--registry``,
    ``B``), which is what they can correct."""
    import click

    from ..errors import InvalidQuery

    if not isinstance(exc, InvalidQuery) or not exc.parameter:
        return str(exc)
    command = group
    with click.Context(group) as ctx:
        for token in args:
            found = command.get_command(ctx, token) if isinstance(command, click.Group) else None
            if found is not None:
                command = found
    wanted = exc.parameter.replace("-", "_")
    for param in getattr(command, "params", ()):
        if param.name == wanted:
            label = max(param.opts, key=len) if isinstance(param, click.Option) else param.human_readable_name
            message = exc.message
            if message.startswith(f"{exc.parameter} "):
                return f"{label}{message[len(exc.parameter):]}"
            return f"{label}: {message}"
    return str(exc)


def __getattr__(name: str) -> object:
    """``cli`` (the click group) and ``LazyGroup``, built on first use: click is not
    imported by a lookup that :mod:`._quick` answers."""
    if name in ("cli", "LazyGroup"):
        from . import _group

        return getattr(_group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

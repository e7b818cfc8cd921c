"""The ``portreg`` command line: a thin skin over the library.

Each command lives in its own module and is imported only when it runs, so that
``portreg lookup 80`` does not pay for the web server or the XML parser. Errors from
the library (:mod:`portreg.errors`) become one line on standard error and an exit code;
a traceback means a bug.
"""

from __future__ import annotations

import sys
from importlib import import_module

import click

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
    "serve": "portreg.cli.serve:serve",
    "user": "portreg.cli.users:user",
    "mail": "portreg.cli.mail:mail",
    "verify": "portreg.cli.log:verify",
    "log": "portreg.cli.log:log",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        return getattr(import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="portreg")
@click.option(
    "--db",
    metavar="URL",
    help="The store: sqlite:///FILE or postgresql://… "
    "(default: $PORTREG_DATABASE_URL, else a SQLite file in your data directory).",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """portreg: the Service Name and Transport Protocol Port Number Registry."""
    ctx.ensure_object(dict)["db"] = db


def main(argv: list[str] | None = None) -> None:
    """Run the command line; library errors exit non-zero with one line, never a traceback."""
    from ..errors import RegistryError

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
        click.echo(f"portreg: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)

"""The ``portreg`` click group: global options, and commands imported when used (:data:`COMMANDS`)."""

from __future__ import annotations

from importlib import import_module

import click

from . import COMMANDS


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

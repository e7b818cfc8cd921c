"""``portreg registry rules | exception``: how a local registry's requests are judged.

Each command calls one function of :mod:`portreg.services.workflow.local`; the command
line runs on the store's own machine, where its operator sets the rules (as with
``portreg registry create``).
"""

from __future__ import annotations

from typing import Any

import click

from ._context import open_store
from ._output import Listing, Table, listing

RULES_JSON = """\b
JSON (--json): {"registry": "acme", "ranges": ["20000-20999", ...], "review_group": "acme",
  "relaxed": ["justification", ...], "relaxable": {"name-syntax": "...", ...},
  "exceptions": [{"port": 1433, "transport": "tcp", "reason": "...", "created_at": "...",
                  "created_by": "..."}, ...], "updated_at": "..." | null, "updated_by": ... }"""


def _shown(found: dict[str, Any]) -> Listing:
    rows = [
        ("ranges", ", ".join(found["ranges"]) or "none: every port is refused"),
        ("review group", found["review_group"]),
        ("relaxed checks", ", ".join(found["relaxed"]) or "none"),
    ]
    exceptions = [
        (f"{e['port']}/{e['transport']}", e["reason"], e["created_by"] or "", e["created_at"][:10])
        for e in found["exceptions"]
    ]
    return Listing(
        found,
        [
            Table(("rule", "value"), rows, f"rules of {found['registry']}"),
            Table(("port", "reason", "by", "since"), exceptions, "exceptions"),
        ],
    )


@click.command("rules", epilog=RULES_JSON)
@click.argument("name")
@click.option(
    "--group",
    metavar="GROUP",
    help="The review group of its requests (default: the group named after the registry); experts join "
    "it with `portreg user role EMAIL --group GROUP`.",
)
@click.option("--relax", multiple=True, metavar="CHECK", help="A check whose errors become warnings (repeatable).")
@click.option("--enforce", multiple=True, metavar="CHECK", help="A relaxed check made strict again (repeatable).")
@click.option("--by", "actor", metavar="WHO", help="Who changes the rules (recorded).")
@listing
def rules(name: str, group: str | None, relax: tuple[str, ...], enforce: tuple[str, ...], actor: str | None) -> Listing:
    """Show or change the rules local registry NAME assigns by.

    \b
    portreg registry rules acme
    portreg registry rules acme --group acme-ops --relax justification --relax reference

    A request to a local registry gets a port only from the ranges the registry
    allocates from, never one the upstream assigns or reserves (unless recorded as an
    exception: `portreg registry exception`), and a name no upstream name equals.
    Checks it may relax: name-syntax, justification, reference, description.
    """
    from ..services.workflow import local

    with open_store() as store:
        if group is not None or relax or enforce:
            found = local.set_rules(store, name, review_group=group, relax=relax, enforce=enforce, actor=actor)
        else:
            found = local.rules_of(store, name)
    return _shown(local.rules_json(found))


@click.command("exception", epilog=RULES_JSON)
@click.argument("name")
@click.argument("port", metavar="PORT/TRANSPORT")
@click.option("--reason", help="Why the local registry may assign this upstream port (required to add).")
@click.option("--remove", is_flag=True, help="Withdraw the exception (what was assigned under it stays).")
@click.option("--by", "actor", metavar="WHO", help="Who records it.")
@listing
def exception(name: str, port: str, reason: str | None, remove: bool, actor: str | None) -> Listing:
    """Record (or --remove) that local registry NAME may assign PORT/TRANSPORT although the
    upstream assigns or reserves it there.

    \b
    portreg registry exception acme 1433/tcp --reason "our SQL gateway has used it since 2009"
    portreg registry exception acme 1433/tcp --remove
    """
    from ..errors import InvalidQuery
    from ..services.params import parse_port
    from ..services.workflow import local

    number, _, transport = port.partition("/")
    if not transport:
        raise InvalidQuery("name the port with its transport, e.g. 1433/tcp", parameter="port")
    with open_store() as store:
        if remove:
            local.remove_exception(store, name, parse_port(number), transport.lower())
        elif not reason:
            raise InvalidQuery("an exception records its reason: --reason TEXT", parameter="reason")
        else:
            local.add_exception(store, name, parse_port(number), transport.lower(), reason, actor=actor)
        return _shown(local.rules_json(local.rules_of(store, name)))

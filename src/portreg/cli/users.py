"""``portreg user add | role | list | disable | enable | password | token new|list|revoke``.

The registry's first admin comes from here (``portreg user add EMAIL --role admin``):
there is no default account and no default password. Passwords are prompted for
(hidden, twice) or read from one line of standard input (``--password-stdin``, for
scripts); never from an option, where they would land in the shell's history.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ._context import open_store
from ._output import Listing, Table, listing

if TYPE_CHECKING:
    from ..services.accounts import Account, Token

ROLE_CHOICE = click.Choice(["requester", "expert", "staff", "iesg", "admin"])
#: A review group: tcp-udp, sctp, dccp, service-codes, or a local registry's (checked by the
#: accounts service, which knows the store's registries).
GROUP_CHOICE = click.STRING

ACCOUNT_JSON = """\b
An account in JSON:
  {"id": 1, "email": "ann@example.org", "name": "Ann", "roles": ["admin"], "groups": [], "active": true}"""

TOKEN_JSON = """\b
A token in JSON (never its secret, except once from `token new`):
  {"id": 3, "name": "ci", "prefix": "prt_Ab12Cd", "roles": ["expert"], "created_at": "…",
   "last_used_at": "…" | null, "revoked_at": "…" | null}"""


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "roles": sorted(account.roles),
        "groups": sorted(account.groups),
        "active": account.active,
    }


def token_json(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "roles": sorted(token.roles),
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


def _accounts_table(accounts: list[Account], title: str = "accounts") -> Table:
    rows = [
        (
            a.id,
            a.email,
            a.name,
            " ".join(sorted(a.roles)),
            " ".join(sorted(a.groups)),
            "yes" if a.active else "disabled",
        )
        for a in accounts
    ]
    return Table(("id", "email", "name", "roles", "groups", "active"), rows, title)


def _read_password(from_stdin: bool) -> str:
    """One line of standard input, or a hidden prompt (twice) on a terminal."""
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise click.UsageError("no password on standard input")
        return line.rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _account_ref(value: str) -> int | str:
    """An account named on the command line: its id (digits) or its email address."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else value


@click.group("user")
def user() -> None:
    """Accounts: people who sign in, their roles, review groups and API tokens."""


@user.command("add", epilog=ACCOUNT_JSON)
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as mails and pages show it.")
@click.option(
    "--role", "roles", multiple=True, type=ROLE_CHOICE, help="A role to give (repeatable; default: requester)."
)
@click.option(
    "--group", "groups", multiple=True, type=GROUP_CHOICE, metavar="GROUP",
    help="A review group (repeatable; makes an expert): tcp-udp, sctp, dccp, service-codes or a local registry's."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
@click.option("--no-password", is_flag=True, help="No password: the person sets one through a password-reset mail.")
@listing
def add(
    email: str, name: str, roles: tuple[str, ...], groups: tuple[str, ...], password_stdin: bool, no_password: bool
) -> Listing:
    """Create an account for EMAIL (its address counts as confirmed).

    The first admin: portreg user add you@example.org --name "You" --role admin
    """
    from ..services import accounts

    if password_stdin and no_password:
        raise click.UsageError("--password-stdin and --no-password exclude each other")
    password = None if no_password else _read_password(password_stdin)
    role_set = set(roles) or {"requester"}
    if groups:
        role_set.add("expert")
    with open_store() as store:
        account = accounts.create_account(
            store, email=email, name=name, password=password, roles=role_set, groups=groups
        )
    return Listing(
        account_json(account),
        lines=[f"account {account.id} created for {account.email}: {' '.join(sorted(account.roles))}"],
    )


@user.command("role", epilog=ACCOUNT_JSON)
@click.argument("account")
@click.option("--add", "add_roles", multiple=True, type=ROLE_CHOICE, help="A role to give (repeatable).")
@click.option("--remove", "remove_roles", multiple=True, type=ROLE_CHOICE, help="A role to take away (repeatable).")
@click.option(
    "--group", "add_groups", multiple=True, type=GROUP_CHOICE, metavar="GROUP",
    help="A review group to join (repeatable).",
)
@click.option(
    "--leave", "remove_groups", multiple=True, type=GROUP_CHOICE, metavar="GROUP",
    help="A review group to leave (repeatable).",
)
@listing
def role(
    account: str,
    add_roles: tuple[str, ...],
    remove_roles: tuple[str, ...],
    add_groups: tuple[str, ...],
    remove_groups: tuple[str, ...],
) -> Listing:
    """Give or take roles and review groups of ACCOUNT (email or id); without options, show them."""
    from ..services import accounts

    with open_store() as store:
        if add_roles or remove_roles or add_groups or remove_groups:
            found = accounts.change_roles(
                store,
                _account_ref(account),
                add=add_roles,
                remove=remove_roles,
                add_groups=add_groups,
                remove_groups=remove_groups,
            )
        else:
            ref = _account_ref(account)
            found = accounts.get_account(store, ref) if isinstance(ref, int) else accounts.find_account(store, ref)
    groups = f"; groups: {' '.join(sorted(found.groups))}" if found.groups else ""
    return Listing(
        account_json(found), lines=[f"{found.email}: {' '.join(sorted(found.roles)) or '(no role)'}{groups}"]
    )


@user.command("list", epilog=f'JSON (--json): {{"accounts": [account, ...]}}\n\n{ACCOUNT_JSON}')
@click.option("--role", type=ROLE_CHOICE, help="Only accounts holding this role.")
@click.option("--group", type=GROUP_CHOICE, help="Only experts of this review group.")
@listing
def list_(role: str | None, group: str | None) -> Listing:
    """List accounts, oldest first."""
    from ..services import accounts

    with open_store() as store:
        found = accounts.list_accounts(store, role=role, group=group)
    return Listing(
        {"accounts": [account_json(a) for a in found]},
        tables=[_accounts_table(found)],
        message=None if found else "no accounts",
    )


@user.command("disable", epilog=ACCOUNT_JSON)
@click.argument("account")
@listing
def disable(account: str) -> Listing:
    """Disable ACCOUNT (email or id): it cannot sign in, its tokens are revoked, its sessions end."""
    from ..services import accounts

    with open_store() as store:
        found = accounts.disable_account(store, _account_ref(account))
    return Listing(account_json(found), lines=[f"{found.email}: disabled, tokens revoked"])


@user.command("enable", epilog=ACCOUNT_JSON)
@click.argument("account")
@listing
def enable(account: str) -> Listing:
    """Let a disabled ACCOUNT sign in again (its revoked tokens stay revoked)."""
    from ..services import accounts

    with open_store() as store:
        found = accounts.enable_account(store, _account_ref(account))
    return Listing(account_json(found), lines=[f"{found.email}: enabled"])


@user.command("password")
@click.argument("account")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
def password(account: str, password_stdin: bool) -> None:
    """Set ACCOUNT's password (its sessions end; unused reset links die)."""
    from ..services import accounts

    secret = _read_password(password_stdin)
    with open_store() as store:
        accounts.set_password(store, _account_ref(account), secret)
    click.echo(f"{account}: password set")


@user.group("token")
def token() -> None:
    """API tokens, sent to the JSON API as "Authorization: Bearer TOKEN"."""


@token.command("new", epilog=f'JSON (--json): {{"secret": "prt_…", "token": token}}\n\n{TOKEN_JSON}')
@click.argument("account")
@click.option("--name", required=True, help='What the token is for ("ci", "laptop").')
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=ROLE_CHOICE,
    help="Limit the token to this role (repeatable; default: all the account's roles).",
)
@listing
def token_new(account: str, name: str, roles: tuple[str, ...]) -> Listing:
    """Make an API token for ACCOUNT and print its secret: the only time it is shown."""
    from ..services import accounts

    with open_store() as store:
        issued = accounts.new_token(store, _account_ref(account), name=name, roles=roles or None)
    scope = " ".join(sorted(issued.token.roles)) or "(no role)"
    return Listing(
        {"secret": issued.secret, "token": token_json(issued.token)},
        lines=[issued.secret],
        message=f"token {issued.token.id} ({issued.token.name}; roles: {scope}); "
        "keep the secret below: it is not shown again",
    )


@token.command("list", epilog=f'JSON (--json): {{"tokens": [token, ...]}}\n\n{TOKEN_JSON}')
@click.argument("account")
@listing
def token_list(account: str) -> Listing:
    """List ACCOUNT's tokens (never their secrets), revoked ones included."""
    from ..services import accounts

    with open_store() as store:
        found = accounts.list_tokens(store, _account_ref(account))
    rows = [
        (
            t.id,
            t.name,
            t.prefix + "…",
            " ".join(sorted(t.roles)),
            t.created_at[:19],
            (t.last_used_at or "never")[:19],
            (t.revoked_at or "")[:19],
        )
        for t in found
    ]
    table = Table(("id", "name", "prefix", "roles", "created", "last used", "revoked"), rows, "tokens")
    return Listing({"tokens": [token_json(t) for t in found]}, tables=[table], message=None if found else "no tokens")


@token.command("revoke")
@click.argument("account")
@click.argument("token_id", type=click.IntRange(min=1))
def token_revoke(account: str, token_id: int) -> None:
    """Revoke ACCOUNT's token TOKEN_ID: API calls with it are refused from now on."""
    from ..services import accounts

    with open_store() as store:
        accounts.revoke_token(store, _account_ref(account), token_id)
    click.echo(f"token {token_id} revoked")

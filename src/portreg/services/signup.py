"""Signing up and resetting a password: an account change and its mail, in one transaction.

::

    sign_up(store, email=…, name=…, password=…, base_url="https://ports.example.org")
    confirm_email(store, token)                           # from the mailed link
    request_password_reset(store, email, base_url=…)      # mails a link, if there is an account
    reset_password(store, token, new_password)

Neither signing up nor asking for a reset says whether an address has an account: both
answer the same way either way. Signing up with an address that has one mails its owner
instead ("someone tried to sign up with your address"), so a person who forgot they had
signed up learns it from their own mailbox, and nobody else learns anything.

Each account gets at most three mails of each kind an hour from these forms, so that
they cannot be used to flood someone's mailbox; past that the forms answer as usual
and mail nothing.

Links carry a single-use secret (see :mod:`portreg.services.accounts`) and point at
``base_url``: the server's public address, configured (``$PORTREG_BASE_URL``) rather
than taken from a request's Host header, which a client chooses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from ..errors import InvalidQuery, NotFound
from . import accounts, mail
from .accounts import Account, confirm_email, reset_password

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "CONFIRM_PATH",
    "RESET_PATH",
    "confirm_email",
    "problems",
    "request_password_reset",
    "reset_password",
    "sign_up",
]

#: Where the mailed links lead (the web pages that take them).
CONFIRM_PATH = "/account/confirm"
RESET_PATH = "/account/reset/new"


def _link(base_url: str, path: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def problems(*, email: str, name: str, password: str) -> dict[str, str]:
    """Every field of a sign-up that is wrong, with its message (empty when all are fine),
    so that a form can show them all at once."""
    found: dict[str, str] = {}
    for field, check in (
        ("email", lambda: accounts.normalize_email(email)),
        ("name", lambda: accounts.check_name(name)),
        ("password", lambda: accounts.check_password_rules(password)),
    ):
        try:
            check()
        except InvalidQuery as exc:
            found[exc.parameter or field] = exc.message
    return found


def sign_up(store: Store, *, email: str, name: str, password: str, base_url: str) -> Account | None:
    """A new requester account, unconfirmed, and the mail with its confirmation link.

    Returns None, writing only a mail to the address's owner, when the address has an
    account already. InvalidQuery (naming the field) for bad input, before anything is
    written.
    """
    address, key = accounts.normalize_email(email)
    accounts.check_name(name)
    accounts.check_password_rules(password)
    with store.transaction() as tx:
        try:
            existing = accounts.find_account(tx, key)
        except NotFound:
            existing = None
        if existing is not None:
            if not accounts.may_mail(tx, existing.id, "notice"):
                return None
            accounts.issue_link(tx, existing.id, "notice")  # counted, never usable: it expires at once
            mail.enqueue(
                tx,
                to=existing.email,
                subject="portreg: someone tried to sign up with your address",
                body=(
                    f"Hello {existing.name},\n\n"
                    "Someone (perhaps you) tried to create a portreg account with this address,\n"
                    "which has one already.\n"
                    f"If it was you, sign in at {base_url.rstrip('/')}/account/signin, or set a new password at\n"
                    f"{base_url.rstrip('/')}/account/reset.\n\nIf it was not you, there is nothing to do.\n"
                ),
            )
            return None
        account = accounts.create_account(
            tx, email=address, name=name, password=password, roles={"requester"}, confirmed=False
        )
        token = accounts.issue_link(tx, account.id, "confirm")
        mail.enqueue(
            tx,
            to=account.email,
            subject="portreg: confirm your address",
            body=(
                f"Hello {account.name},\n\n"
                "Follow this link to confirm your address and finish creating your portreg account:\n\n"
                f"{_link(base_url, CONFIRM_PATH, token)}\n\n"
                f"The link works once, for {int(accounts.LINK_LIFETIMES['confirm'].total_seconds() // 3600)} hours.\n"
                "If you did not sign up, ignore this mail: without confirmation the account cannot be used.\n"
            ),
        )
        return account


def request_password_reset(store: Store, email: str, *, base_url: str) -> None:
    """Mail a password-reset link to ``email`` if it has an active account (and has not
    had three in the last hour); nothing otherwise.

    InvalidQuery("email") only for text that is not an address at all.
    """
    _, key = accounts.normalize_email(email)
    with store.transaction() as tx:
        try:
            account = accounts.find_account(tx, key)
        except NotFound:
            return
        if not account.active or not accounts.may_mail(tx, account.id, "reset"):
            return
        token = accounts.issue_link(tx, account.id, "reset")
        minutes = int(accounts.LINK_LIFETIMES["reset"].total_seconds() // 60)
        mail.enqueue(
            tx,
            to=account.email,
            subject="portreg: set a new password",
            body=(
                f"Hello {account.name},\n\n"
                "Follow this link to choose a new password for your portreg account:\n\n"
                f"{_link(base_url, RESET_PATH, token)}\n\n"
                f"The link works once, for {minutes} minutes. If you did not ask for it, ignore this mail:\n"
                "your password stays as it is.\n"
            ),
        )

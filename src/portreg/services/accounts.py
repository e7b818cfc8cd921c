"""The people who use the registry: accounts, roles, review groups, passwords, API tokens.

::

    account = create_account(store, email="ann@example.org", name="Ann", password=secret, roles={"admin"})
    authenticate_password(store, "ann@example.org", secret, address="192.0.2.1")   # Account, or PermissionDenied
    issued = new_token(store, account.id, name="ci")      # issued.secret is shown once, never stored
    authenticate_token(store, issued.secret)               # Account with the token's roles only

Roles (:data:`ROLES`): ``requester`` (anyone who signs up), ``expert`` (a member of one
or more review groups, :data:`GROUPS`), ``staff`` (the registry's operator), ``iesg``
and ``admin`` (gives and takes roles). Roles do not imply one another: an admin who
also reviews has both roles.

Why these choices:

- Passwords are hashed with argon2id (argon2-cffi's defaults, the RFC 9106 second
  recommendation); a hash made with older parameters is replaced at the next sign-in.
- API tokens are long random secrets (256 bits), so a plain SHA-256 is enough to store
  them: nobody can guess one from its hash, and a lookup by hash is one indexed read
  per API call rather than an argon2 verification.
- Mailed links (address confirmation, password reset) are tokens of the same kind,
  single-use (one conditional UPDATE spends them) and short-lived.
- Failed sign-ins are counted in the store, per account and per client address, so
  that a limit holds across processes and restarts.

Every function takes a :class:`~portreg.store.Store` or an open
:class:`~portreg.store.Transaction`: given a transaction, writes join it (the workflow
creates or changes accounts in its own transactions); given a store, each call is
one transaction of its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Iterator, Union

from ..errors import (
    Conflict,
    InvalidQuery,
    NotFound,
    PermissionDenied,
    RateLimited,
    SignInRequired,
)

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from ..store import Store, Transaction
    from ..store._accounts import AccountRow, AccountRows, TokenRow

__all__ = [
    "GROUPS",
    "ROLES",
    "Account",
    "IssuedToken",
    "Token",
    "account_for_session",
    "authenticate_password",
    "authenticate_token",
    "change_roles",
    "check_name",
    "check_password_rules",
    "confirm_email",
    "create_account",
    "disable_account",
    "enable_account",
    "find_account",
    "get_account",
    "issue_link",
    "list_accounts",
    "list_tokens",
    "may_mail",
    "new_token",
    "normalize_email",
    "reset_password",
    "revoke_token",
    "session_stamp",
    "set_password",
    "set_roles",
]

#: Every role an account may hold.
ROLES: tuple[str, ...] = ("requester", "expert", "staff", "iesg", "admin")
#: The review groups of the registry's experts (the Expert(s) head of the registry).
GROUPS: tuple[str, ...] = ("tcp-udp", "sctp", "dccp", "service-codes")

#: Passwords: long enough to resist guessing, bounded so that hashing stays cheap.
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
NAME_MAX = 200
EMAIL_MAX = 254
TOKEN_NAME_MAX = 100
TOKEN_PREFIX = "prt_"

#: Sign-in limits: failures counted over a window, per account and per client address.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

#: How long a mailed link stays valid, by purpose.
LINK_LIFETIMES = {"confirm": timedelta(days=2), "reset": timedelta(hours=1), "notice": timedelta(0)}

#: At most this many mailed links of one purpose per account per hour: the forms that
#: mail someone must not become a way to flood their mailbox.
MAX_LINKS_PER_HOUR = 3

#: A token's last-used time is written at most this often (an API call is then a read).
LAST_USED_RESOLUTION = timedelta(minutes=1)

Source = Union["Store", "Transaction"]


@dataclass(frozen=True)
class Account:
    """Someone who signs in. ``roles`` ⊆ :data:`ROLES`; ``groups`` ⊆ :data:`GROUPS`."""

    id: int
    email: str
    name: str
    roles: frozenset[str]
    groups: frozenset[str]
    active: bool

    def has_role(self, *roles: str) -> bool:
        """True when the account holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class Token:
    """An API token as listed (never its secret). ``roles`` is its scope."""

    id: int
    account_id: int
    name: str
    prefix: str
    roles: frozenset[str]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: ``secret`` is shown to its owner once and kept nowhere."""

    token: Token
    secret: str


# --------------------------------------------------------------------------- plumbing


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime | None = None) -> str:
    """Times as stored: ISO 8601 UTC to the microsecond, so that text order is time order."""
    return (moment or _now()).astimezone(UTC).isoformat(timespec="microseconds")


def _is_transaction(db: Source) -> bool:
    from ..store import Transaction

    return isinstance(db, Transaction)


def _reader(db: Source) -> AccountRows:
    return db.accounts if _is_transaction(db) else db.rows.accounts  # type: ignore[union-attr]


@contextlib.contextmanager
def _writer(db: Source) -> Iterator[AccountRows]:
    """The caller's transaction, or a new one when given a store."""
    if _is_transaction(db):
        yield db.accounts  # type: ignore[union-attr]
    else:
        with db.transaction() as tx:  # type: ignore[union-attr]
            yield tx.accounts


def _hasher() -> PasswordHasher:
    """argon2-cffi's hasher with its default parameters (RFC 9106's low-memory profile).

    ``$PORTREG_ARGON2_PROFILE`` names another of argon2-cffi's profiles; the tests use
    ``CHEAPEST`` so that dozens of sign-ins do not take a minute. A hash made under
    other parameters is re-made at the owner's next sign-in.
    """
    global _HASHER
    if _HASHER is None:
        import os

        from argon2 import PasswordHasher, profiles

        name = os.environ.get("PORTREG_ARGON2_PROFILE")
        profile = getattr(profiles, name, None) if name else None
        _HASHER = PasswordHasher.from_parameters(profile) if profile is not None else PasswordHasher()
    return _HASHER


_HASHER: PasswordHasher | None = None
_DUMMY_HASH: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _load(rows: AccountRows, row: AccountRow, roles: set[str] | None = None, groups: set[str] | None = None) -> Account:
    account_id = row[0]
    if roles is None:
        roles = rows.roles([account_id])[account_id]
    if groups is None:
        groups = rows.groups([account_id])[account_id]
    return Account(account_id, row[1], row[2], frozenset(roles), frozenset(groups), row[3])


def _token(row: TokenRow) -> Token:
    return Token(row[0], row[1], row[2], row[3], frozenset(row[4].split()), row[5], row[6], row[7])


# --------------------------------------------------------------------------- checking input


def _no_controls(value: str, parameter: str) -> None:
    if any(unicodedata.category(c) in ("Cc", "Cs") or c in "\u2028\u2029" for c in value):
        raise InvalidQuery("must not contain control characters", parameter=parameter)


def normalize_email(email: str) -> tuple[str, str]:
    """The address as written (trimmed) and its key (case-folded); InvalidQuery("email") when
    it is not an address mail can be sent to."""
    email = email.strip()
    if not email:
        raise InvalidQuery("an email address is required", parameter="email")
    if len(email) > EMAIL_MAX:
        raise InvalidQuery(f"an email address has at most {EMAIL_MAX} characters", parameter="email")
    _no_controls(email, "email")
    local, at, domain = email.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or len(local) > 64
        or any(c.isspace() or c in '<>()[]\\,;:"@' for c in local)
        or len(labels) < 2
        or not all(
            label and len(label) <= 63 and not label.startswith("-") and not label.endswith("-") for label in labels
        )
        or not all(c.isascii() and (c.isalnum() or c == "-") for c in domain.replace(".", ""))
    ):
        raise InvalidQuery("is not an email address (name@example.org)", parameter="email")
    return email, email.casefold()


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidQuery("a name is required", parameter="name")
    if len(name) > NAME_MAX:
        raise InvalidQuery(f"a name has at most {NAME_MAX} characters", parameter="name")
    _no_controls(name, "name")
    return name


def check_password_rules(password: str) -> None:
    """InvalidQuery("password") unless ``password`` is acceptable as a new password."""
    if len(password) < PASSWORD_MIN:
        raise InvalidQuery(f"a password has at least {PASSWORD_MIN} characters", parameter="password")
    if len(password) > PASSWORD_MAX:
        raise InvalidQuery(f"a password has at most {PASSWORD_MAX} characters", parameter="password")
    if "\x00" in password:
        raise InvalidQuery("a password must not contain NUL characters", parameter="password")


def _check_roles(roles: Iterable[str], parameter: str = "role") -> set[str]:
    found = set(roles)
    unknown = sorted(found - set(ROLES))
    if unknown:
        raise InvalidQuery(f"unknown role {unknown[0]!r}; roles are {', '.join(ROLES)}", parameter=parameter)
    return found


def _check_groups(groups: Iterable[str], db: Source | None = None) -> set[str]:
    """``groups`` if each is the upstream's or a local registry's review group (read from ``db``)."""
    found = set(groups)
    unknown = sorted(found - set(GROUPS))
    if unknown and db is not None:
        unknown = sorted(set(unknown) - _reader(db).local_groups())
    if unknown:
        raise InvalidQuery(f"unknown review group {unknown[0]!r}; groups are {', '.join(GROUPS)}", parameter="group")
    return found


# --------------------------------------------------------------------------- accounts


def create_account(
    db: Source,
    *,
    email: str,
    name: str,
    password: str | None = None,
    roles: Iterable[str] = ("requester",),
    groups: Iterable[str] = (),
    confirmed: bool = True,
) -> Account:
    """A new active account. Conflict when the address (ignoring case) has one already.

    ``password`` None leaves the account without one (it signs in once a reset link
    sets one). ``confirmed`` False for sign-ups, whose address is confirmed by mail.
    Review groups need the ``expert`` role.
    """
    email, key = normalize_email(email)
    name = check_name(name)
    role_set, group_set = _check_roles(roles), _check_groups(groups, db)
    if group_set and "expert" not in role_set:
        raise InvalidQuery("review groups are for experts: give the expert role too", parameter="group")
    password_hash = None
    if password is not None:
        check_password_rules(password)
        password_hash = _hasher().hash(password)
    with _writer(db) as rows:
        if rows.by_email_key(key) is not None:
            raise Conflict(f"an account for {email} exists already")
        now = _stamp()
        account_id = rows.insert(
            email=email,
            email_key=key,
            name=name,
            password_hash=password_hash,
            session_stamp=secrets.token_hex(16),
            created_at=now,
            confirmed_at=now if confirmed else None,
        )
        rows.set_roles(account_id, role_set)
        rows.set_groups(account_id, group_set)
        return Account(account_id, email, name, frozenset(role_set), frozenset(group_set), True)


def get_account(db: Source, account_id: int) -> Account:
    """The account ``account_id``; NotFound when there is none."""
    rows = _reader(db)
    row = rows.by_id(account_id)
    if row is None:
        raise NotFound(f"there is no account {account_id}")
    return _load(rows, row)


def find_account(db: Source, email: str) -> Account:
    """The account of ``email`` (ignoring case); NotFound when there is none."""
    rows = _reader(db)
    row = rows.by_email_key(email.strip().casefold())
    if row is None:
        raise NotFound(f"there is no account for {email.strip()}")
    return _load(rows, row)


def list_accounts(db: Source, *, role: str | None = None, group: str | None = None) -> list[Account]:
    """Every account (or those holding ``role`` / in review ``group``), oldest first."""
    rows = _reader(db)
    if role is not None:
        _check_roles([role])
    if group is not None:
        _check_groups([group], db)
    found = rows.with_role(role) if role is not None else rows.all()
    ids = [row[0] for row in found]
    roles, groups = rows.roles(ids), rows.groups(ids)
    accounts = [_load(rows, row, roles[row[0]], groups[row[0]]) for row in found]
    return [a for a in accounts if group is None or group in a.groups]


def _account_row(rows: AccountRows, account: int | str) -> AccountRow:
    """An account's row by id or by email address."""
    row = rows.by_id(account) if isinstance(account, int) else rows.by_email_key(account.strip().casefold())
    if row is None:
        raise NotFound(f"there is no account {'for ' + account.strip() if isinstance(account, str) else account}")
    return row


def change_roles(
    db: Source,
    account: int | str,
    *,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    add_groups: Iterable[str] = (),
    remove_groups: Iterable[str] = (),
) -> Account:
    """Give and take roles and review groups (of the account with that id or address).

    Joining a review group gives the expert role; losing the expert role leaves every
    group. Conflict when it would leave the registry without an active admin.
    """
    add_set, remove_set = _check_roles(add), _check_roles(remove)
    add_g, remove_g = _check_groups(add_groups, db), _check_groups(remove_groups, db)
    both = (add_set & remove_set) or (add_g & remove_g)
    if both:
        raise InvalidQuery(
            f"{sorted(both)[0]!r} is both given and taken", parameter="role" if add_set & remove_set else "group"
        )
    with _writer(db) as rows:
        row = _account_row(rows, account)
        account_id = row[0]
        roles = rows.roles([account_id])[account_id]
        groups = rows.groups([account_id])[account_id]
        new_roles = (roles | add_set) - remove_set
        new_groups = (groups | add_g) - remove_g
        if add_g:
            new_roles.add("expert")
        if "expert" not in new_roles:
            new_groups = set()
        if "admin" in roles and "admin" not in new_roles and row[3]:
            _keep_an_admin(rows, account_id)
        if new_roles != roles:
            rows.set_roles(account_id, new_roles)
        if new_groups != groups:
            rows.set_groups(account_id, new_groups)
        return _load(rows, row, new_roles, new_groups)


def set_roles(db: Source, account: int | str, *, roles: Iterable[str], groups: Iterable[str] = ()) -> Account:
    """Make the account hold exactly ``roles`` and review ``groups`` (what the admin's page
    sends); the rules of :func:`change_roles` apply."""
    role_set, group_set = _check_roles(roles), _check_groups(groups, db)
    if group_set and "expert" not in role_set:
        raise InvalidQuery("review groups are for experts: give the expert role too", parameter="group")
    with _writer(db) as rows:
        row = _account_row(rows, account)
        held = rows.roles([row[0]])[row[0]]
        in_groups = rows.groups([row[0]])[row[0]]
    return change_roles(
        db,
        row[0],
        add=role_set - held,
        remove=held - role_set,
        add_groups=group_set - in_groups,
        remove_groups=in_groups - group_set,
    )


def _keep_an_admin(rows: AccountRows, leaving: int) -> None:
    """Conflict unless another active admin remains. Admins are counted under the admin
    lock, so that two admins taking the role from each other at once cannot both win."""
    rows.lock_admins()
    if not any(other[3] and other[0] != leaving for other in rows.with_role("admin")):
        raise Conflict("this is the last active admin: make another account admin first")


def disable_account(db: Source, account: int | str) -> Account:
    """Stop an account: no sign-in, its tokens revoked, its sessions ended. Kept, not deleted:
    requests and the audit trail point at it."""
    with _writer(db) as rows:
        row = _account_row(rows, account)
        roles = rows.roles([row[0]])[row[0]]
        if "admin" in roles and row[3]:
            _keep_an_admin(rows, row[0])
        now = _stamp()
        rows.update(row[0], active=False, session_stamp=secrets.token_hex(16))
        rows.revoke_all_tokens(row[0], now)
        return _load(rows, (*row[:3], False, *row[4:]), roles)


def enable_account(db: Source, account: int | str) -> Account:
    """Let a disabled account sign in again (its old tokens stay revoked)."""
    with _writer(db) as rows:
        row = _account_row(rows, account)
        rows.update(row[0], active=True)
        return _load(rows, (*row[:3], True, *row[4:]))


def set_password(db: Source, account: int | str, password: str) -> None:
    """A new password: older sessions end and unused reset links die with the old one."""
    check_password_rules(password)
    password_hash = _hasher().hash(password)
    with _writer(db) as rows:
        row = _account_row(rows, account)
        rows.update(row[0], password_hash=password_hash, session_stamp=secrets.token_hex(16))
        rows.drop_links(row[0], "reset", _stamp())


# --------------------------------------------------------------------------- signing in


def authenticate_password(db: Store, email: str, password: str, *, address: str | None = None) -> Account:
    """The account whose address and password these are.

    PermissionDenied (one message for a wrong address, a wrong password, a disabled
    account, so that the answer tells nobody which addresses have accounts);
    RateLimited, before any password is checked, after too many failures for this
    account or from this client ``address`` within :data:`FAILURE_WINDOW`.
    """
    key = email.strip().casefold()[: EMAIL_MAX + 1]
    now = _now()
    since = _stamp(now - FAILURE_WINDOW)
    rows = db.rows.accounts
    for scope, scope_key, limit in (
        ("account", key, MAX_FAILURES_PER_ACCOUNT),
        ("address", address, MAX_FAILURES_PER_ADDRESS),
    ):
        if scope_key is None:
            continue
        count, oldest = rows.failures_since(scope, scope_key, since)
        if count >= limit and oldest is not None:
            wait = datetime.fromisoformat(oldest) + FAILURE_WINDOW - now
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            whom = "this account" if scope == "account" else "your address"
            raise RateLimited(
                f"too many failed sign-ins for {whom}: try again in {minutes} minute{'s' if minutes != 1 else ''}",
                retry_after=max(1, int(wait.total_seconds())),
            )
    row = rows.by_email_key(key)
    if not _password_matches(row, password):
        with db.transaction() as tx:
            at = _stamp(now)
            tx.accounts.add_failure("account", key, at)
            if address is not None:
                tx.accounts.add_failure("address", address, at)
            tx.accounts.prune_failures(_stamp(now - 4 * FAILURE_WINDOW))
        raise PermissionDenied("wrong email address or password")
    assert row is not None
    if row[7] is None:
        raise PermissionDenied("this address is not confirmed yet: follow the link mailed to it, or reset the password")
    with db.transaction() as tx:
        tx.accounts.clear_failures("account", key)
        if row[4] is not None and _hasher().check_needs_rehash(row[4]):
            tx.accounts.update(row[0], password_hash=_hasher().hash(password))
    return _load(rows, row)


def _password_matches(row: AccountRow | None, password: str) -> bool:
    """Verify ``password`` against the row's hash; without a row (or hash), against a dummy
    one, so that a missing account takes as long to refuse as a wrong password."""
    from argon2.exceptions import InvalidHashError, VerificationError

    global _DUMMY_HASH
    if row is None or row[4] is None or not row[3]:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = _hasher().hash(secrets.token_hex(16))
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher().verify(_DUMMY_HASH, password)
        return False
    try:
        return bool(_hasher().verify(row[4], password))
    except (VerificationError, InvalidHashError):
        return False


def session_stamp(db: Source, account_id: int) -> str:
    """What a session cookie carries besides the account id: it changes with the password
    and on disable, ending every session made before."""
    row = _account_row(_reader(db), account_id)
    return row[5]


def account_for_session(db: Source, account_id: int, stamp: str) -> Account | None:
    """The account a session names, if it is active and the session not outdated."""
    rows = _reader(db)
    row = rows.by_id(account_id)
    if row is None or not row[3] or not secrets.compare_digest(row[5], stamp):
        return None
    return _load(rows, row)


# --------------------------------------------------------------------------- API tokens


def new_token(db: Source, account: int | str, *, name: str, roles: Iterable[str] | None = None) -> IssuedToken:
    """A new API token for the account: ``roles`` (default: all the account's roles) is its
    scope, which must lie within the account's roles. The secret is in the answer only."""
    name = name.strip()
    if not name:
        raise InvalidQuery("a token needs a name (what it is for)", parameter="name")
    if len(name) > TOKEN_NAME_MAX:
        raise InvalidQuery(f"a token's name has at most {TOKEN_NAME_MAX} characters", parameter="name")
    _no_controls(name, "name")
    with _writer(db) as rows:
        row = _account_row(rows, account)
        if not row[3]:
            raise PermissionDenied(f"the account of {row[1]} is disabled")
        held = rows.roles([row[0]])[row[0]]
        scope = held if roles is None else _check_roles(roles)
        beyond = sorted(scope - held)
        if beyond:
            raise InvalidQuery(f"the account does not hold the role {beyond[0]!r}", parameter="role")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        prefix = secret[: len(TOKEN_PREFIX) + 6]
        now = _stamp()
        token_id = rows.insert_token(
            account_id=row[0],
            name=name,
            token_hash=_digest(secret),
            prefix=prefix,
            roles=" ".join(sorted(scope)),
            created_at=now,
        )
        return IssuedToken(Token(token_id, row[0], name, prefix, frozenset(scope), now, None, None), secret)


def list_tokens(db: Source, account: int | str) -> list[Token]:
    rows = _reader(db)
    return [_token(row) for row in rows.tokens(_account_row(rows, account)[0])]


def revoke_token(db: Source, account: int | str, token_id: int) -> None:
    """Revoke one of the account's tokens; NotFound when it has no such active token."""
    with _writer(db) as rows:
        row = _account_row(rows, account)
        if not rows.revoke_token(row[0], token_id, _stamp()):
            raise NotFound(f"{row[1]} has no active token {token_id}")


def authenticate_token(db: Store, secret: str) -> Account:
    """The account an API token speaks for, holding only the roles in the token's scope that
    the account still holds. SignInRequired for an unknown, revoked or disabled one."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise SignInRequired("not a portreg API token")
    rows = db.rows.accounts
    token = rows.token_by_hash(_digest(secret))
    if token is None or token[7] is not None:
        raise SignInRequired("this API token is unknown or revoked")
    row = rows.by_id(token[1])
    if row is None or not row[3]:
        raise SignInRequired("this API token's account is disabled")
    account = _load(rows, row)
    now = _now()
    if token[6] is None or datetime.fromisoformat(token[6]) < now - LAST_USED_RESOLUTION:
        with contextlib.suppress(Conflict), db.transaction() as tx:  # a busy store should not refuse the call
            tx.accounts.token_used(token[0], _stamp(now))
    scope = frozenset(token[4].split()) & account.roles
    return Account(
        account.id, account.email, account.name, scope, account.groups if "expert" in scope else frozenset(), True
    )


# --------------------------------------------------------------------------- mailed links


def may_mail(db: Source, account: int | str, purpose: str) -> bool:
    """False when the account was mailed :data:`MAX_LINKS_PER_HOUR` links of ``purpose``
    in the last hour (a "notice" purpose counts the sign-up notices)."""
    rows = _reader(db)
    row = _account_row(rows, account)
    return rows.links_since(row[0], purpose, _stamp(_now() - timedelta(hours=1))) < MAX_LINKS_PER_HOUR


def issue_link(db: Source, account: int | str, purpose: str) -> str:
    """A new single-use secret for a mailed link (``purpose`` "confirm", "reset", or
    "notice" for a mail that only counts towards :func:`may_mail`); only its hash is
    stored. It expires after :data:`LINK_LIFETIMES` [purpose]."""
    lifetime = LINK_LIFETIMES[purpose]
    secret = secrets.token_urlsafe(32)
    now = _now()
    with _writer(db) as rows:
        row = _account_row(rows, account)
        rows.insert_link(
            account_id=row[0],
            purpose=purpose,
            token_hash=_digest(secret),
            created_at=_stamp(now),
            expires_at=_stamp(now + lifetime),
        )
    return secret


def _spend_link(rows: AccountRows, purpose: str, secret: str) -> int:
    if not secret or len(secret) > 100:
        raise InvalidQuery("this link is not valid", parameter="token")
    now = _stamp()
    account_id = rows.use_link(purpose=purpose, token_hash=_digest(secret), now=now)
    if account_id is None:
        state = rows.link_state(purpose=purpose, token_hash=_digest(secret), now=now)
        why = {"used": "has been used already", "expired": "has expired"}.get(state or "", "is not valid")
        raise InvalidQuery(f"this link {why}", parameter="token")
    return account_id


def confirm_email(db: Source, secret: str) -> Account:
    """Confirm an address with the secret of a mailed "confirm" link (single use)."""
    with _writer(db) as rows:
        account_id = _spend_link(rows, "confirm", secret)
        rows.update(account_id, confirmed_at=_stamp())
        row = _account_row(rows, account_id)
        return _load(rows, row)


def reset_password(db: Source, secret: str, password: str) -> Account:
    """Set a new password with the secret of a mailed "reset" link (single use). The address
    counts as confirmed: the link reached it."""
    check_password_rules(password)
    password_hash = _hasher().hash(password)
    with _writer(db) as rows:
        account_id = _spend_link(rows, "reset", secret)
        row = _account_row(rows, account_id)
        values: dict[str, object] = {"password_hash": password_hash, "session_stamp": secrets.token_hex(16)}
        if row[7] is None:
            values["confirmed_at"] = _stamp()
        rows.update(account_id, **values)
        rows.drop_links(account_id, "reset", _stamp())
        rows.clear_failures("account", row[1].casefold())
        return _load(rows, row)


def is_confirmed(db: Source, account: int | str) -> bool:
    return _account_row(_reader(db), account)[7] is not None

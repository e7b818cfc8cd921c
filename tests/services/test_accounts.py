"""Accounts, roles, passwords, API tokens, mailed links and ``portreg user``, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
from typing import Any, Iterator

import pytest

from tests.support.cli import rows, run
from portreg.errors import (
    Conflict,
    InvalidQuery,
    NotFound,
    PermissionDenied,
    RateLimited,
    SignInRequired,
)
from portreg.services import accounts as A
from portreg.store import Store

#: argon2-cffi's cheapest parameters: the tests hash and verify dozens of passwords.
os.environ.setdefault("PORTREG_ARGON2_PROFILE", "CHEAPEST")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as store:
        yield store


def _admin(store: Store, email: str = "ann@example.org") -> A.Account:
    return A.create_account(store, email=email, name="Ann Admin", password=PASSWORD, roles={"admin"})


# --------------------------------------------------------------------------- accounts


def test_accounts_are_created_found_and_unique_ignoring_case(store: Store) -> None:
    ann = A.create_account(store, email="  Ann@Example.ORG ", name=" Ann ", password=PASSWORD)
    assert ann == A.Account(ann.id, "Ann@Example.ORG", "Ann", frozenset({"requester"}), frozenset(), True)
    assert A.find_account(store, "ann@example.org") == ann == A.get_account(store, ann.id)
    with pytest.raises(Conflict, match="exists already"):
        A.create_account(store, email="ANN@example.org", name="Other", password=PASSWORD)
    with pytest.raises(NotFound):
        A.find_account(store, "bob@example.org")
    with pytest.raises(NotFound):
        A.get_account(store, 999)
    assert A.list_accounts(store) == [ann]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("email", {"email": "no-at-sign"}),
        ("email", {"email": "a@b"}),
        ("email", {"email": "<script>@example.org"}),
        ("email", {"email": "a\x00b@example.org"}),
        ("email", {"email": "x" * 250 + "@example.org"}),
        ("name", {"name": ""}),
        ("name", {"name": "Ann\x00"}),
        ("name", {"name": "A" * 1_000_000}),
        ("password", {"password": "short"}),
        ("password", {"password": "long enough\x00but NUL"}),
        ("password", {"password": "p" * 5000}),
        ("role", {"roles": {"wizard"}}),
        ("group", {"roles": {"expert"}, "groups": {"udp-lite"}}),
        ("group", {"roles": {"requester"}, "groups": {"sctp"}}),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(store: Store, field: str, values: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {"email": "ann@example.org", "name": "Ann", "password": PASSWORD, **values}
    with pytest.raises(InvalidQuery) as error:
        A.create_account(store, **arguments)
    assert error.value.parameter == field
    assert A.list_accounts(store) == []


def test_roles_and_review_groups(store: Store) -> None:
    ann = _admin(store)
    bob = A.create_account(store, email="bob@example.org", name="Bob", password=PASSWORD)
    bob = A.change_roles(store, bob.id, add_groups={"sctp", "dccp"})
    assert bob.roles == {"requester", "expert"} and bob.groups == {"sctp", "dccp"}
    bob = A.change_roles(store, "BOB@example.org", remove_groups={"dccp"}, add={"staff"})
    assert bob.roles == {"requester", "expert", "staff"} and bob.groups == {"sctp"}
    assert A.list_accounts(store, group="sctp") == [bob] and A.list_accounts(store, role="staff") == [bob]
    bob = A.change_roles(store, bob.id, remove={"expert"})
    assert bob.groups == frozenset() and A.get_account(store, bob.id) == bob
    with pytest.raises(InvalidQuery, match="both given and taken"):
        A.change_roles(store, bob.id, add={"iesg"}, remove={"iesg"})
    with pytest.raises(Conflict, match="last active admin"):
        A.change_roles(store, ann.id, remove={"admin"})
    with pytest.raises(Conflict, match="last active admin"):
        A.disable_account(store, ann.id)
    A.change_roles(store, bob.id, add={"admin"})
    assert A.change_roles(store, ann.id, remove={"admin"}).roles == frozenset()


# --------------------------------------------------------------------------- passwords


def test_password_sign_in(store: Store) -> None:
    ann = _admin(store)
    assert A.authenticate_password(store, "ANN@example.org", PASSWORD, address="192.0.2.1") == ann
    for email, password in (("ann@example.org", "wrong password"), ("nobody@example.org", PASSWORD)):
        with pytest.raises(PermissionDenied, match=r"^wrong email address or password$"):
            A.authenticate_password(store, email, password)
    stored = store.rows.accounts.by_id(ann.id)
    assert (
        stored is not None
        and stored[4] is not None
        and stored[4].startswith("$argon2id$")
        and PASSWORD not in stored[4]
    )
    A.set_password(store, ann.id, "a brand new passphrase")
    with pytest.raises(PermissionDenied):
        A.authenticate_password(store, "ann@example.org", PASSWORD)
    assert A.authenticate_password(store, "ann@example.org", "a brand new passphrase") == ann


def test_disabled_and_unconfirmed_accounts_cannot_sign_in(store: Store) -> None:
    _admin(store)
    bob = A.create_account(store, email="bob@example.org", name="Bob", password=PASSWORD)
    stamp = A.session_stamp(store, bob.id)
    assert A.account_for_session(store, bob.id, stamp) == bob
    A.disable_account(store, "bob@example.org")
    assert A.account_for_session(store, bob.id, stamp) is None
    with pytest.raises(PermissionDenied, match="wrong email address or password"):
        A.authenticate_password(store, "bob@example.org", PASSWORD)
    A.enable_account(store, bob.id)
    assert A.authenticate_password(store, "bob@example.org", PASSWORD).active
    assert A.account_for_session(store, bob.id, stamp) is None  # sessions ended with the disable
    A.create_account(store, email="cy@example.org", name="Cy", password=PASSWORD, confirmed=False)
    with pytest.raises(PermissionDenied, match="not confirmed"):
        A.authenticate_password(store, "cy@example.org", PASSWORD)


def test_failed_sign_ins_are_limited_per_account_and_per_address(store: Store) -> None:
    _admin(store)
    for _ in range(A.MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(PermissionDenied) as error:
            A.authenticate_password(store, "ann@example.org", "not the password", address="192.0.2.7")
        assert not isinstance(error.value, RateLimited)
    with pytest.raises(
        RateLimited, match="too many failed sign-ins for this account: try again in 15 minutes"
    ) as limited:
        A.authenticate_password(store, "ann@example.org", PASSWORD, address="192.0.2.8")  # even the right password
    assert 800 < limited.value.retry_after <= 900
    # Another account from one address: refused once the address has used up its own limit.
    for i in range(A.MAX_FAILURES_PER_ADDRESS - A.MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(PermissionDenied):
            A.authenticate_password(store, f"guess{i}@example.org", "x", address="192.0.2.7")
    A.create_account(store, email="bob@example.org", name="Bob", password=PASSWORD)
    with pytest.raises(RateLimited, match="for your address"):
        A.authenticate_password(store, "bob@example.org", PASSWORD, address="192.0.2.7")
    assert (
        A.authenticate_password(store, "bob@example.org", PASSWORD, address="198.51.100.1").email == "bob@example.org"
    )


# --------------------------------------------------------------------------- tokens


def test_api_tokens_are_scoped_revocable_and_stored_hashed(store: Store) -> None:
    ann = _admin(store)
    A.change_roles(store, ann.id, add_groups={"tcp-udp"})
    full = A.new_token(store, ann.id, name="laptop")
    narrow = A.new_token(store, "ann@example.org", name="ci", roles={"expert"})
    assert full.secret.startswith("prt_") and len(full.secret) > 40 and full.token.roles == {"admin", "expert"}
    assert A.authenticate_token(store, full.secret).roles == {"admin", "expert"}
    as_ci = A.authenticate_token(store, narrow.secret)
    assert as_ci.roles == {"expert"} and as_ci.groups == {"tcp-udp"} and as_ci.id == ann.id
    listed = {t.name: t for t in A.list_tokens(store, ann.id)}
    assert listed["ci"].last_used_at is not None and listed["ci"].prefix == narrow.secret[:10]
    dump = json.dumps(store.rows.rows("SELECT * FROM api_tokens"))
    assert narrow.secret not in dump and full.secret not in dump
    with pytest.raises(InvalidQuery, match="does not hold the role 'staff'"):
        A.new_token(store, ann.id, name="x", roles={"staff"})
    # Taking a role from the account takes it from its tokens too.
    A.change_roles(store, ann.id, remove={"expert"})
    assert A.authenticate_token(store, narrow.secret).roles == frozenset()
    A.revoke_token(store, ann.id, narrow.token.id)
    with pytest.raises(SignInRequired, match="unknown or revoked"):
        A.authenticate_token(store, narrow.secret)
    with pytest.raises(NotFound):
        A.revoke_token(store, ann.id, narrow.token.id)
    for bogus in ("", "prt_" + "A" * 43, "Bearer x", "prt_" + "x" * 5000):
        with pytest.raises(SignInRequired):
            A.authenticate_token(store, bogus)
    bob = A.create_account(store, email="bob@example.org", name="Bob", password=PASSWORD, roles={"admin"})
    bobs = A.new_token(store, bob.id, name="cron")
    A.disable_account(store, bob.id)
    with pytest.raises(SignInRequired):
        A.authenticate_token(store, bobs.secret)


# --------------------------------------------------------------------------- mailed links


def test_confirm_and_reset_links_are_single_use_and_expire(store: Store) -> None:
    cy = A.create_account(store, email="cy@example.org", name="Cy", password=PASSWORD, confirmed=False)
    assert not A.is_confirmed(store, cy.id)
    secret = A.issue_link(store, cy.id, "confirm")
    with pytest.raises(InvalidQuery, match="not valid"):
        A.confirm_email(store, secret + "x")
    assert A.confirm_email(store, secret) == cy and A.is_confirmed(store, cy.id)
    with pytest.raises(InvalidQuery, match="used already"):
        A.confirm_email(store, secret)
    stamp = A.session_stamp(store, cy.id)
    reset = A.issue_link(store, "cy@example.org", "reset")
    older = A.issue_link(store, cy.id, "reset")
    with pytest.raises(InvalidQuery, match="not valid"):
        A.reset_password(store, secret, "the new passphrase")  # a confirm link is not a reset link
    A.reset_password(store, reset, "the new passphrase")
    assert A.authenticate_password(store, "cy@example.org", "the new passphrase").id == cy.id
    assert A.account_for_session(store, cy.id, stamp) is None
    with pytest.raises(InvalidQuery, match="used already"):
        A.reset_password(store, older, "yet another passphrase")  # a password set spends the others
    late = A.issue_link(store, cy.id, "reset")
    with store.transaction() as tx:
        tx.execute(
            "UPDATE account_links SET expires_at = :t WHERE used_at IS NULL", {"t": "2000-01-01T00:00:00.000000+00:00"}
        )
    with pytest.raises(InvalidQuery, match="expired"):
        A.reset_password(store, late, "yet another passphrase")


# --------------------------------------------------------------------------- transactions


def test_a_transaction_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        A.create_account(tx, email="ann@example.org", name="Ann", password=PASSWORD, roles={"admin"})
        assert A.find_account(tx, "ann@example.org").roles == {"admin"}  # a transaction reads its own writes
        raise RuntimeError("and then something failed")
    assert A.list_accounts(store) == []
    with store.transaction() as tx:
        a = A.create_account(tx, email="ann@example.org", name="Ann", roles={"admin"})
        b = A.create_account(tx, email="bob@example.org", name="Bob")
    assert [x.id for x in A.list_accounts(store)] == [a.id, b.id]


def test_a_unique_constraint_collision_is_a_conflict(store: Store) -> None:
    with pytest.raises(Conflict, match="collided"), store.transaction() as tx:
        for _ in range(2):
            tx.accounts.insert(
                email="x@example.org",
                email_key="x@example.org",
                name="X",
                password_hash=None,
                session_stamp="s",
                created_at="t",
                confirmed_at=None,
            )
    assert A.list_accounts(store) == []
    with pytest.raises(Exception, match="outside a transaction"):
        store.rows.accounts.update(1, name="Y")


# --------------------------------------------------------------------------- portreg user


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_cli_first_admin_roles_tokens_and_disable(capsys: Any, monkeypatch: pytest.MonkeyPatch, store_url: str) -> None:
    db = ["--db", store_url]
    _stdin(monkeypatch, PASSWORD + "\n")
    code, out, err = run(
        capsys, *db, "user", "add", "ann@example.org", "--name", "Ann", "--role", "admin", "--password-stdin"
    )
    assert (code, err) == (0, "") and "account 1 created for ann@example.org: admin" in out
    _stdin(monkeypatch, "")
    code, _, err = run(capsys, *db, "user", "add", "bob@example.org", "--name", "Bob", "--password-stdin")
    assert code == 2 and "no password on standard input" in err
    _stdin(monkeypatch, "short\n")
    code, _, err = run(capsys, *db, "user", "add", "bob@example.org", "--name", "Bob")
    assert code == 2 and err.strip().splitlines() == ["portreg: error: password: a password has at least 10 characters"]
    code, out, _ = run(
        capsys, *db, "user", "add", "bob@example.org", "--name", "Bob", "--group", "sctp", "--no-password", "--json"
    )
    assert code == 0 and json.loads(out)["roles"] == ["expert", "requester"] and json.loads(out)["groups"] == ["sctp"]
    _stdin(monkeypatch, PASSWORD + "\n")
    code, _, err = run(capsys, *db, "user", "add", "BOB@example.org", "--name", "Bob")
    assert code == 6 and "exists already" in err and "Traceback" not in err

    code, out, _ = run(
        capsys, *db, "user", "role", "bob@example.org", "--add", "staff", "--leave", "sctp", "--group", "dccp"
    )
    assert code == 0 and out.strip() == "bob@example.org: expert requester staff; groups: dccp"
    code, out, _ = run(capsys, *db, "user", "list")
    assert rows(out) == [
        ["1", "ann@example.org", "Ann", "admin", "", "yes"],
        ["2", "bob@example.org", "Bob", "expert requester staff", "dccp", "yes"],
    ]
    code, _, err = run(capsys, *db, "user", "role", "ann@example.org", "--remove", "admin")
    assert code == 6 and "last active admin" in err

    code, out, err = run(
        capsys, *db, "user", "token", "new", "bob@example.org", "--name", "ci", "--role", "expert", "--json"
    )
    issued = json.loads(out)
    assert code == 0 and issued["secret"].startswith("prt_") and issued["token"]["roles"] == ["expert"]
    with Store.open(store_url) as store:
        assert A.authenticate_token(store, issued["secret"]).roles == {"expert"}
    code, out, _ = run(capsys, *db, "user", "token", "list", "2", "--json")
    assert [t["name"] for t in json.loads(out)["tokens"]] == ["ci"] and issued["secret"] not in out
    code, out, _ = run(capsys, *db, "user", "token", "revoke", "bob@example.org", str(issued["token"]["id"]))
    assert code == 0
    code, _, err = run(capsys, *db, "user", "token", "revoke", "bob@example.org", str(issued["token"]["id"]))
    assert code == 1 and "no active token" in err
    code, out, _ = run(capsys, *db, "user", "disable", "bob@example.org")
    assert code == 0 and "disabled" in out
    code, out, _ = run(capsys, *db, "user", "list", "--role", "staff", "--json")
    assert [a["active"] for a in json.loads(out)["accounts"]] == [False]
    code, _, err = run(capsys, *db, "user", "disable", "nobody@example.org")
    assert code == 1 and "no account for nobody@example.org" in err
    code, out, _ = run(capsys, *db, "user", "enable", "2", "--json")
    assert code == 0 and json.loads(out)["active"] is True
    _stdin(monkeypatch, "a freshly set passphrase\n")
    code, out, _ = run(capsys, *db, "user", "password", "bob@example.org", "--password-stdin")
    assert code == 0 and out.strip() == "bob@example.org: password set"
    with Store.open(store_url) as store:
        assert A.authenticate_password(store, "bob@example.org", "a freshly set passphrase").id == 2
        with pytest.raises(SignInRequired):  # enabling again does not bring revoked tokens back
            A.authenticate_token(store, issued["secret"])


# --------------------------------------------------------------------------- sign-up and reset mails


def test_sign_up_and_reset_mail_in_the_same_transaction_and_cannot_flood_a_mailbox(store: Store) -> None:
    from portreg.services import mail, signup

    base = "https://ports.example.org"
    with pytest.raises(InvalidQuery):
        signup.sign_up(store, email="dee@example.org", name="Dee", password="short", base_url=base)
    assert A.list_accounts(store) == [] and mail.outbox(store) == []
    assert signup.problems(email="x", name="", password="y") == {
        "email": "is not an email address (name@example.org)",
        "name": "a name is required",
        "password": "a password has at least 10 characters",
    }
    dee = signup.sign_up(store, email="dee@example.org", name="Dee", password=PASSWORD, base_url=base)
    assert dee is not None and not A.is_confirmed(store, dee.id)
    [confirm] = mail.outbox(store)
    assert confirm.recipients == ("dee@example.org",) and f"{base}/account/confirm?token=" in confirm.body
    token = confirm.body.split("token=")[1].split()[0]
    assert A.confirm_email(store, token).id == dee.id

    for _ in range(5):
        assert signup.sign_up(store, email="DEE@example.org", name="Other", password=PASSWORD, base_url=base) is None
        signup.request_password_reset(store, "dee@example.org", base_url=base)
        signup.request_password_reset(store, "nobody@example.org", base_url=base)  # no account: no mail, same answer
    subjects = [entry.subject for entry in mail.outbox(store)][1:]
    assert subjects.count("portreg: someone tried to sign up with your address") == A.MAX_LINKS_PER_HOUR
    assert subjects.count("portreg: set a new password") == A.MAX_LINKS_PER_HOUR
    assert len(subjects) == 2 * A.MAX_LINKS_PER_HOUR and len(A.list_accounts(store)) == 1


def test_two_admins_taking_the_role_from_each_other_at_once_leave_one(store_url: str) -> None:
    """Each in its own process's connection, started together: exactly one succeeds."""
    import threading

    with Store.open(store_url) as store:
        first = _admin(store, "one@example.org")
        second = _admin(store, "two@example.org")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(account_id: int) -> None:
        with Store.open(store_url) as own:
            barrier.wait()
            try:
                A.change_roles(own, account_id, remove={"admin"})
                outcomes.append("done")
            except Conflict as exc:
                outcomes.append("last" if "last active admin" in str(exc) else "busy")

    threads = [threading.Thread(target=demote, args=(a.id,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Store.open(store_url) as store:
        admins = [a for a in A.list_accounts(store, role="admin") if a.active]
    assert len(admins) == 1 and outcomes.count("done") == 1, outcomes

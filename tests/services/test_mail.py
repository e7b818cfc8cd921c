"""The mail outbox and its sender, against a real SMTP server (aiosmtpd) on loopback, on both databases."""

from __future__ import annotations

import email
import threading
from typing import Any, Iterator

import pytest

from tests.support.cli import run
from tests.support.smtp import Inbox, free_port
from tests.support.smtp import smtp as smtp  # the fixture, under its own name
from portreg.errors import InvalidQuery
from portreg.services import mail
from portreg.services.mail import MailSettings
from portreg.store import Store

PAST = "2000-01-01T00:00:00.000000+00:00"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as store:
        yield store


def _overdue(store: Store) -> None:
    """Make every unsent row due now, as if its retry delay or its lease had passed."""
    with store.transaction() as tx:
        tx.execute(
            "UPDATE mail_outbox SET next_attempt_at = :p, claimed_until = NULL WHERE sent_at IS NULL", {"p": PAST}
        )


def test_mail_commits_with_its_transaction_and_is_sent_once(store: Store, smtp: tuple[Inbox, MailSettings]) -> None:
    inbox, settings = smtp
    with pytest.raises(RuntimeError), store.transaction() as tx:
        mail.enqueue(tx, to="ann@example.org", subject="never", body="rolled back")
        raise RuntimeError
    assert mail.outbox(store) == []
    with store.transaction() as tx:
        first = mail.enqueue(
            tx,
            to=["ann@example.org", "Bob@Example.org"],
            subject="[portreg #42] Expert Review",
            body="Dear Ann,\nnews.\n",
        )
        second = mail.enqueue(
            tx, to="cy@example.org", subject="Ünïcode ✓", body="ça va\n", headers={"In-Reply-To": first}
        )
    assert first != second and first.startswith("<") and first.endswith(">") and "@" in first
    report = mail.send_pending(store, settings)
    assert (report.sent, report.failed, report.pending) == (2, 0, 0)
    assert inbox.message_ids() == [first, second]
    one, two = inbox.messages
    assert one["To"] == "ann@example.org, Bob@Example.org" and one["From"] == "registry@example.net"
    assert (
        one["Subject"] == "[portreg #42] Expert Review"
        and one.get_payload(decode=True).decode().replace("\r\n", "\n") == "Dear Ann,\nnews.\n"
    )
    assert (
        str(email.header.make_header(email.header.decode_header(two["Subject"]))) == "Ünïcode ✓"
        and two["In-Reply-To"] == first
    )
    assert inbox.envelopes[0] == ("registry@example.net", ["ann@example.org", "Bob@Example.org"])
    assert mail.send_pending(store, settings).sent == 0  # nothing twice
    _overdue(store)
    assert mail.send_pending(store, settings).sent == 0 and len(inbox.messages) == 2
    assert all(entry.sent_at is not None for entry in mail.outbox(store))


def test_a_server_that_is_down_loses_nothing(store: Store, smtp: tuple[Inbox, MailSettings]) -> None:
    inbox, settings = smtp
    with store.transaction() as tx:
        message_id = mail.enqueue(tx, to="ann@example.org", subject="hello", body="x")
    down = MailSettings(host="127.0.0.1", port=free_port(), timeout=2)
    report = mail.send_pending(store, down)
    assert (report.sent, report.failed, report.pending) == (0, 1, 1)
    [entry] = mail.outbox(store)
    assert entry.attempts == 1 and entry.sent_at is None and "cannot reach" in (entry.last_error or "")
    assert entry.next_attempt_at > entry.created_at
    assert mail.send_pending(store, settings).sent == 0  # not due yet: it waits its retry delay
    _overdue(store)
    assert mail.send_pending(store, settings).sent == 1
    assert inbox.message_ids() == [message_id]  # the Message-ID it was given when written


def test_a_refused_recipient_is_kept_and_the_others_are_sent(store: Store, smtp: tuple[Inbox, MailSettings]) -> None:
    inbox, settings = smtp
    inbox.refuse.add("gone@example.org")
    with store.transaction() as tx:
        mail.enqueue(tx, to="gone@example.org", subject="one", body="x")
        mail.enqueue(tx, to="ann@example.org", subject="two", body="y")
    report = mail.send_pending(store, settings)
    assert (report.sent, report.failed, report.pending) == (1, 1, 1)
    assert [m["Subject"] for m in inbox.messages] == ["two"]
    assert "550" in (mail.outbox(store, pending_only=True)[0].last_error or "")


def test_a_claimed_mail_is_not_sent_by_another_sender_until_its_lease_ends(
    store: Store, smtp: tuple[Inbox, MailSettings]
) -> None:
    """A sender that died after claiming: nobody else sends its rows until the lease runs out,
    and then they go out with the Message-ID they were written with."""
    inbox, settings = smtp
    with store.transaction() as tx:
        message_id = mail.enqueue(tx, to="ann@example.org", subject="claimed", body="x")
        tx.execute("UPDATE mail_outbox SET claimed_until = '9999-01-01'")
    assert mail.send_pending(store, settings).sent == 0 and inbox.messages == []
    with store.transaction() as tx:
        tx.execute("UPDATE mail_outbox SET claimed_until = :p", {"p": PAST})
    assert mail.send_pending(store, settings).sent == 1 and inbox.message_ids() == [message_id]


def test_concurrent_senders_send_each_mail_once(store_url: str, smtp: tuple[Inbox, MailSettings]) -> None:
    inbox, settings = smtp
    with Store.open(store_url) as store, store.transaction() as tx:
        ids = [mail.enqueue(tx, to=f"p{i}@example.org", subject=f"#{i}", body="x") for i in range(30)]
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with Store.open(store_url) as own:
                for _ in range(5):
                    mail.send_pending(own, settings, limit=4)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Store.open(store_url) as store:
        mail.send_pending(store, settings)  # whatever a busy store made the others skip
    assert not [e for e in errors if "another process is writing" not in str(e)]
    assert sorted(inbox.message_ids()) == sorted(ids)


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"subject": "hi\r\nBcc: everyone@example.org"}, "subject"),
        ({"to": "not an address"}, "email"),
        ({"to": []}, "to"),
        ({"body": "x" * 1_000_001}, "body"),
        ({"headers": {"Bcc": "x@example.org"}}, "headers"),
        ({"headers": {"X-Note": "a\nBcc: x@example.org"}}, "X-Note"),
    ],
)
def test_header_injection_and_oversized_mail_are_refused(
    store: Store, arguments: dict[str, Any], parameter: str
) -> None:
    values: dict[str, Any] = {"to": "ann@example.org", "subject": "s", "body": "b", **arguments}
    with pytest.raises(InvalidQuery) as error, store.transaction() as tx:
        mail.enqueue(tx, **values)
    assert error.value.parameter == parameter
    assert mail.outbox(store) == []


def test_cli_mail_send_and_list(
    capsys: Any, monkeypatch: pytest.MonkeyPatch, store_url: str, smtp: tuple[Inbox, MailSettings]
) -> None:
    import json

    inbox, settings = smtp
    with Store.open(store_url) as store, store.transaction() as tx:
        mail.enqueue(tx, to="ann@example.org", subject="from the CLI", body="x")
    code, out, _ = run(capsys, "--db", store_url, "mail", "list", "--pending", "--json")
    assert code == 0 and [m["subject"] for m in json.loads(out)["mail"]] == ["from the CLI"]
    monkeypatch.delenv("PORTREG_SMTP_HOST", raising=False)
    code, _, err = run(capsys, "--db", store_url, "mail", "send")
    assert code == 2 and "PORTREG_SMTP_HOST" in err  # InvalidQuery
    monkeypatch.setenv("PORTREG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PORTREG_SMTP_PORT", str(settings.port))
    monkeypatch.setenv("PORTREG_MAIL_FROM", "registry@example.net")
    code, out, _ = run(capsys, "--db", store_url, "mail", "send")
    assert code == 0 and out.strip() == "sent 1, failed 0, 0 waiting"
    assert [m["Subject"] for m in inbox.messages] == ["from the CLI"] and inbox.messages[0][
        "From"
    ] == "registry@example.net"

"""Mail to people, through an outbox: written with the change it reports, sent afterwards.

::

    with store.transaction() as tx:
        ... change a request's state ...
        mail.enqueue(tx, to="ann@example.org", subject="[portreg #42] Expert Review", body=text)
    # the state change and its mail committed together, or neither

    report = mail.send_pending(store, MailSettings.from_env())    # or `portreg mail send`

Why an outbox rather than sending from the request: a mail server that is down must
lose nothing (the row waits and is retried with a growing delay), and a mail must never
be sent for a change that was rolled back (the row is in the same transaction).

Each row gets its Message-ID when it is written, so every attempt to send it carries
the same one. A row is claimed (leased for a few minutes) before it is sent and marked
sent right after the server accepts it; a second sender never takes a claimed row. The
one gap no SMTP client can close is a crash between the server's acceptance and that
mark: the row is sent again once its lease runs out, with the same Message-ID, which
is how mail software recognises a duplicate.

Settings come from the environment (:meth:`MailSettings.from_env`):
``PORTREG_SMTP_HOST`` (no host: nothing is sent, mail waits in the outbox),
``PORTREG_SMTP_PORT`` (25), ``PORTREG_MAIL_FROM``, ``PORTREG_SMTP_USER`` /
``PORTREG_SMTP_PASSWORD``, ``PORTREG_SMTP_STARTTLS=1`` or ``PORTREG_SMTP_SSL=1``,
``PORTREG_MAIL_INTERVAL`` (seconds between the server's background runs, 10).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Iterable, Mapping

from ..errors import InvalidQuery, StoreError
from .accounts import normalize_email

if TYPE_CHECKING:
    from ..store import Store, Transaction
    from ..store._outbox import OutboxRow

__all__ = ["MailSettings", "OutboxEntry", "SendReport", "enqueue", "outbox", "send_pending", "start_background_sender"]

log = logging.getLogger(__name__)

MAX_SUBJECT = 500
MAX_BODY = 1_000_000
MAX_RECIPIENTS = 100
#: After this many failed attempts a row is left alone (``portreg mail list`` shows it).
MAX_ATTEMPTS = 12
#: How long a claimed row is reserved for the sender that claimed it.
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send (see the module docstring for the environment variables)."""

    host: str | None = None
    port: int = 25
    sender: str = "portreg@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0
    interval: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        env = os.environ if environ is None else environ

        def flag(name: str) -> bool:
            return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")

        port = env.get("PORTREG_SMTP_PORT", "").strip()
        interval = env.get("PORTREG_MAIL_INTERVAL", "").strip()
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise InvalidQuery(f"must be a port number, got {port!r}", parameter="PORTREG_SMTP_PORT")
        try:
            seconds = float(interval) if interval else 10.0
        except ValueError:
            raise InvalidQuery(
                f"must be a number of seconds, got {interval!r}", parameter="PORTREG_MAIL_INTERVAL"
            ) from None
        return cls(
            host=env.get("PORTREG_SMTP_HOST") or None,
            port=int(port) if port else 25,
            sender=env.get("PORTREG_MAIL_FROM") or "portreg@localhost",
            username=env.get("PORTREG_SMTP_USER") or None,
            password=env.get("PORTREG_SMTP_PASSWORD") or None,
            starttls=flag("PORTREG_SMTP_STARTTLS"),
            ssl=flag("PORTREG_SMTP_SSL"),
            interval=max(0.5, seconds),
        )

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    created_at: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    sent_at: str | None


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    pending: int


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _one_line(value: str, parameter: str, limit: int) -> str:
    """Header text: one line (a newline would let input add headers of its own), bounded."""
    if any(c in value for c in "\r\n\x00"):
        raise InvalidQuery("must be one line of text", parameter=parameter)
    if len(value) > limit:
        raise InvalidQuery(f"at most {limit} characters", parameter=parameter)
    return value


def enqueue(
    tx: Transaction,
    *,
    to: str | Iterable[str],
    subject: str,
    body: str,
    headers: Mapping[str, str] | None = None,
    reply_to: str | None = None,
) -> str:
    """Add a mail to the outbox inside ``tx`` (the caller's transaction); its Message-ID.

    ``headers`` adds headers (``In-Reply-To``, ``References``, ``X-…``: one line each).
    InvalidQuery for an address that is not one, a subject or header of several lines,
    a body over a megabyte.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise InvalidQuery("a mail needs at least one recipient", parameter="to")
    if len(recipients) > MAX_RECIPIENTS:
        raise InvalidQuery(f"at most {MAX_RECIPIENTS} recipients", parameter="to")
    addresses = list(dict.fromkeys(normalize_email(r)[0] for r in recipients))
    _one_line(subject, "subject", MAX_SUBJECT)
    if len(body) > MAX_BODY or "\x00" in body:
        raise InvalidQuery(f"a mail's body is text of at most {MAX_BODY} characters", parameter="body")
    extra: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not name.replace("-", "").isalnum() or not name.isascii() or name.lower() in _RESERVED:
            raise InvalidQuery(f"{name!r} cannot be set here", parameter="headers")
        extra[name] = _one_line(value, name, 2000)
    if reply_to is not None:
        extra["Reply-To"] = normalize_email(reply_to)[0]
    now = _now()
    domain = MailSettings.from_env().sender.rpartition("@")[2] or "localhost"
    message_id = f"<{now.strftime('%Y%m%d%H%M%S')}.{secrets.token_hex(10)}@{domain}>"
    tx.outbox.add(
        message_id=message_id,
        recipients=json.dumps(addresses),
        subject=subject,
        body=body,
        headers=json.dumps(extra, ensure_ascii=False),
        created_at=_stamp(now),
    )
    return message_id


_RESERVED = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "message-id",
    "date",
    "sender",
    "content-type",
    "mime-version",
    "content-transfer-encoding",
    "reply-to",
}


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        row[0], row[1], tuple(json.loads(row[2])), row[3], row[4], row[6], row[7], row[8], row[9], row[10]
    )


def outbox(store: Store, *, pending_only: bool = False, limit: int = 1000) -> list[OutboxEntry]:
    """The outbox's rows, oldest first (sent ones too unless ``pending_only``)."""
    return [_entry(row) for row in store.rows.outbox.rows(pending_only=pending_only, limit=limit)]


def _message(row: OutboxRow, settings: MailSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(json.loads(row[2]))
    message["Subject"] = row[3]
    message["Date"] = format_datetime(datetime.fromisoformat(row[6]))
    message["Message-ID"] = row[1]
    for name, value in json.loads(row[5]).items():
        message[name] = value
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row[4])
    return message


def _backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes between attempts, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def send_pending(store: Store, settings: MailSettings, *, limit: int = 100) -> SendReport:
    """Send what the outbox holds that is due, through ``settings``' SMTP server.

    Each row is marked sent as soon as the server accepts it. When the server cannot
    be reached or refuses a mail, the row is kept and tried again later (1, 2, 4 …
    minutes, at most an hour apart; after :data:`MAX_ATTEMPTS` attempts it is left for
    a person to look at).
    """
    import smtplib

    if not settings.configured:
        raise InvalidQuery(
            "no SMTP server configured: set PORTREG_SMTP_HOST (and PORTREG_SMTP_PORT)", parameter="PORTREG_SMTP_HOST"
        )
    now = _now()
    with store.transaction() as tx:
        rows = tx.outbox.claim(now=_stamp(now), until=_stamp(now + LEASE), limit=limit, max_attempts=MAX_ATTEMPTS)
    sent = failed = 0
    if rows:
        smtp: smtplib.SMTP | None = None
        try:
            smtp = _connect(settings)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("cannot reach the SMTP server %s:%s: %s", settings.host, settings.port, exc)
            failed = len(rows)
            _fail(store, rows, f"cannot reach {settings.host}:{settings.port}: {exc}")
        else:
            try:
                for row in rows:
                    try:
                        smtp.send_message(_message(row, settings))
                    except smtplib.SMTPServerDisconnected as exc:
                        # The connection is gone: this row and the rest wait for the next run.
                        failed += len(rows) - rows.index(row)
                        _fail(store, rows[rows.index(row) :], f"the server disconnected: {exc}")
                        break
                    except (smtplib.SMTPException, OSError, ValueError) as exc:
                        failed += 1
                        _fail(store, [row], f"refused: {exc}")
                        continue
                    with store.transaction() as tx:
                        tx.outbox.mark_sent(row[0], _stamp(_now()))
                    sent += 1
            finally:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    smtp.close()
    pending, _ = store.rows.outbox.counts()
    return SendReport(sent, failed, pending)


def _connect(settings: MailSettings):  # type: ignore[no-untyped-def]
    import smtplib

    assert settings.host is not None
    if settings.ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.starttls:
            import ssl

            smtp.starttls(context=ssl.create_default_context())
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    return smtp


def _fail(store: Store, rows: list[OutboxRow], error: str) -> None:
    now = _now()
    try:
        with store.transaction() as tx:
            for row in rows:
                tx.outbox.mark_failed(row[0], error=error, next_attempt_at=_stamp(now + _backoff(row[7])))
    except StoreError:
        log.exception("could not record a failed mail; its lease will run out and it will be tried again")


def start_background_sender(store: Store, settings: MailSettings) -> threading.Event:
    """Send the outbox every ``settings.interval`` seconds in a daemon thread (the web
    server does this when an SMTP host is configured). Set the returned event to stop."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                send_pending(store, settings)
            except Exception:  # the thread must outlive a bad run; the next one retries
                log.exception("sending the outbox failed")
            stop.wait(settings.interval)

    threading.Thread(target=run, name="portreg-mail", daemon=True).start()
    return stop

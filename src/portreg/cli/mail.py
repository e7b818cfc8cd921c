"""``portreg mail send | list``: the outbox of mail to people (see ``portreg.services.mail``)."""

from __future__ import annotations

import click

from ._context import open_store
from ._output import Listing, Table, listing


@click.group("mail")
def mail() -> None:
    """The outbox: mail written with the changes it reports, sent through SMTP.

    \b
    The SMTP server comes from the environment:
      PORTREG_SMTP_HOST, PORTREG_SMTP_PORT (25), PORTREG_MAIL_FROM,
      PORTREG_SMTP_USER, PORTREG_SMTP_PASSWORD, PORTREG_SMTP_STARTTLS=1 or PORTREG_SMTP_SSL=1.
    `portreg serve` sends in the background when PORTREG_SMTP_HOST is set.
    """


@mail.command("send", epilog='JSON (--json): {"sent": 3, "failed": 0, "pending": 0}')
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000), help="At most this many mails.")
@listing
def send(limit: int) -> Listing:
    """Send the mail that is due now; what fails is kept and retried later."""
    from ..services.mail import MailSettings, send_pending

    with open_store() as store:
        report = send_pending(store, MailSettings.from_env(), limit=limit)
    data = {"sent": report.sent, "failed": report.failed, "pending": report.pending}
    return Listing(
        data, lines=[f"sent {report.sent}, failed {report.failed}, {report.pending} waiting"], found=report.failed == 0
    )


@mail.command(
    "list",
    epilog="""\b
JSON (--json): {"mail": [{"id": 1, "message_id": "<…>", "to": ["…"], "subject": "…",
  "created_at": "…", "attempts": 0, "next_attempt_at": "…", "last_error": null, "sent_at": null}, ...]}""",
)
@click.option("--pending", is_flag=True, help="Only mail not sent yet.")
@listing
def list_(pending: bool) -> Listing:
    """List the outbox, oldest first."""
    from ..services.mail import outbox

    with open_store() as store:
        entries = outbox(store, pending_only=pending)
    data = {
        "mail": [
            {
                "id": e.id,
                "message_id": e.message_id,
                "to": list(e.recipients),
                "subject": e.subject,
                "created_at": e.created_at,
                "attempts": e.attempts,
                "next_attempt_at": e.next_attempt_at,
                "last_error": e.last_error,
                "sent_at": e.sent_at,
            }
            for e in entries
        ]
    }
    rows = [
        (
            e.id,
            ", ".join(e.recipients),
            e.subject,
            e.created_at[:19],
            e.attempts,
            (e.sent_at or "")[:19],
            e.last_error or "",
        )
        for e in entries
    ]
    table = Table(("id", "to", "subject", "created", "attempts", "sent", "last error"), rows, "outbox")
    return Listing(data, tables=[table], message=None if entries else "the outbox is empty")

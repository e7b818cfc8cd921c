"""A real SMTP server (aiosmtpd) on loopback for the tests, and what it received."""

from __future__ import annotations

import contextlib
import email
import re
import socket
import threading
import time
from email.message import Message
from typing import Any, Iterator

import pytest

from portreg.services.mail import MailSettings


class Inbox:
    """What the SMTP server received; ``refuse`` makes it answer 550 to matching recipients."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    def wait_for(self, to: str, subject: str, timeout: float = 20.0) -> Message:
        """The first message to ``to`` whose subject contains ``subject``, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for message in self.messages:
                    if to in (message["To"] or "") and subject in (message["Subject"] or ""):
                        return message
            time.sleep(0.1)
        raise AssertionError(
            f"no mail to {to} about {subject!r} within {timeout} s; got {[m['Subject'] for m in self.messages]}"
        )

    @staticmethod
    def link(message: Message) -> str:
        """The first web link in a message's text."""
        body = message.get_payload(decode=True).decode()
        found = re.search(r"https?://\S+", body)
        assert found, body
        return found.group(0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Inbox, MailSettings]]:
    """Run an SMTP server on a free loopback port while the block runs."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, MailSettings(host="127.0.0.1", port=controller.port, sender="registry@example.net", timeout=10)
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, MailSettings]]:
    with smtp_server() as found:
        yield found

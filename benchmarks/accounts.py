"""What accounts and mail cost: a password's hash and check, an API call's token check,
writing mail into the outbox, and sending it through a real SMTP server on loopback.

Runs on a fresh SQLite store in a temporary directory (``--db URL`` for another, such
as an empty PostgreSQL database). Prints the median and best of several runs; on a busy
machine the medians are noisy, the best times less so.

    python benchmarks/accounts.py [--accounts 1000] [--mails 500] [--db URL]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable


def timed(label: str, func: Callable[[], Any], runs: int, per: int = 1, unit: str = "ms") -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) / per)
    scale = 1000 if unit == "ms" else 1_000_000
    print(f"{label:58} median {statistics.median(times) * scale:8.2f} {unit}   best {min(times) * scale:8.2f} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--db", help="a store URL (default: a new SQLite file)")
    args = parser.parse_args()

    from argon2 import PasswordHasher

    from portreg.services import accounts, mail
    from portreg.store import Store

    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    hasher = PasswordHasher()
    secret = "correct horse battery staple"
    hashed = hasher.hash(secret)
    print(
        f"argon2id parameters: time_cost={hasher.time_cost} memory_cost={hasher.memory_cost} KiB "
        f"parallelism={hasher.parallelism}"
    )
    timed("hash a password (argon2id, default parameters)", lambda: hasher.hash(secret), 5)
    timed("check a password (argon2id, default parameters)", lambda: hasher.verify(hashed, secret), 5)

    with Store.open(url) as store:
        start = time.perf_counter()
        with store.transaction() as tx:
            for i in range(args.accounts):
                accounts.create_account(tx, email=f"user{i}@example.org", name=f"User {i}", roles={"requester"})
        print(
            f"{'create ' + str(args.accounts) + ' accounts in one transaction (no password)':58} "
            f"{(time.perf_counter() - start) * 1000 / args.accounts:8.3f} ms each"
        )
        token = accounts.new_token(store, args.accounts // 2, name="bench").secret
        accounts.authenticate_token(store, token)  # the first call writes last_used_at; later ones only read
        timed(
            "check an API token (one indexed read + roles)",
            lambda: accounts.authenticate_token(store, token),
            200,
            unit="µs",
        )
        timed(
            "look an account up by email",
            lambda: accounts.find_account(store, f"user{args.accounts - 1}@example.org"),
            200,
            unit="µs",
        )

        def enqueue_all() -> None:
            with store.transaction() as tx:
                for i in range(args.mails):
                    mail.enqueue(tx, to=f"user{i}@example.org", subject=f"[portreg #{i}] Expert Review", body="x" * 800)

        timed(f"enqueue a mail ({args.mails} in one transaction), per mail", enqueue_all, 1, per=args.mails, unit="µs")

        from aiosmtpd.controller import Controller

        class Sink:
            count = 0

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                Sink.count += 1
                return "250 OK"

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        controller = Controller(Sink(), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            settings = mail.MailSettings(host="127.0.0.1", port=port, sender="bench@example.net")
            start = time.perf_counter()
            while mail.send_pending(store, settings, limit=100).sent:
                pass
            elapsed = time.perf_counter() - start
        finally:
            controller.stop()
        print(
            f"{'send the outbox through aiosmtpd on loopback':58} {Sink.count / elapsed:8.0f} mails/s "
            f"({Sink.count} mails)"
        )


if __name__ == "__main__":
    main()

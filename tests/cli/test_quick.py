"""``portreg lookup`` answered straight from SQLite prints what the full command prints.

The quick path (``portreg.cli._quick``, ``services.quick_lookup``, ``store._quickread``)
repeats the store's record layout and the query service's answers; this compares the two, byte for byte and exit code for exit
code, over ports, ranges and names of the real registry (legacy names, aliases,
ranges, unassigned rows, names that are not there), in tab-separated text and JSON.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.support.data import CURRENT_XML

TRICKY = [
    "5432", "80", "0", "1", "6010", "1021", "11711", "49151", "49152", "65535", "4748", " 22 ",
    "6000-6063", "1-100", "11624-11719", "80-80", "0080", "60000-65535",
    "http", "HTTP", "www", "www-http", "sql*net", "sql-net", "whois++", "whoispp", "z39.50", "z39-50",
    "Apple Remote Desktop (Net Assistant)", "postgresql", "x11", "kerberos", "no-such-service", "80-",
    "nicname", "domain", "pop3s", "spop3", "acmaint_dbd", "MS-SQL-S",
]  # fmt: skip


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> str:
    from portreg.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('quick') / 'store.sqlite3'}"
    with Store.open(url) as store:
        store.import_registry(current_registry, source=str(CURRENT_XML))
    return url


def _quick(capsys: Any, args: list[str]) -> tuple[int | None, str, str]:
    from portreg.cli._quick import lookup

    code = lookup(args)
    out, err = capsys.readouterr()
    return code, out, err


def _full(capsys: Any, args: list[str]) -> tuple[int, str, str]:
    from portreg.cli._group import cli

    code = cli.main(args=args, prog_name="portreg", standalone_mode=False)
    out, err = capsys.readouterr()
    return code, out, err


def _queries(registry: Any) -> list[str]:
    names = sorted({r.name for r in registry.records if r.name})
    chosen = random.Random(7).sample(names, 150)
    ports = [str(p) for p in random.Random(8).sample(range(65536), 150)]
    return TRICKY + chosen + ports


def test_quick_lookups_print_what_the_full_command_prints(capsys: Any, db: str, current_registry: Any) -> None:
    answered = 0
    for query in _queries(current_registry):
        for extra in ([], ["--json"], ["--proto", "udp"], ["--json", "--proto=sctp"]):
            args = ["--db", db, "lookup", query, *extra]
            quick = _quick(capsys, args)
            full = _full(capsys, args)
            assert quick[0] is not None, args
            assert quick == full, args
            answered += 1
    assert answered > 1000


def test_what_the_quick_path_leaves_to_the_full_command(capsys: Any, db: str, tmp_path: Path) -> None:
    from portreg.cli._quick import lookup

    for args in (
        ["--db", db, "lookup", "--help"],
        ["--db", db, "lookup", "70000"],  # a usage error, said by the full command
        ["--db", db, "lookup", "10-5"],
        ["--db", db, "lookup", "5432", "--proto", "quic"],
        ["--db", db, "lookup", "٥"],  # digits of other scripts: the full command's rules
        ["--db", db, "--verbose", "lookup", "80"],
        ["--db", db, "lookup", "80", "443"],
        ["--db", f"sqlite:///{tmp_path / 'absent.sqlite3'}", "lookup", "80"],
        ["--db", "postgresql://nobody@localhost/none", "lookup", "80"],
        ["lookup"],
    ):
        assert lookup(args) is None, args
    assert capsys.readouterr() == ("", "")


def test_a_lookup_process_imports_neither_click_nor_the_model(db: str) -> None:
    script = (
        "import sys\nfrom portreg.cli import main\ntry: main(sys.argv[1:])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('click', 'portreg.model', 'sqlalchemy', 'portreg.store._store') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "--db", db, "lookup", "5432", "--json"],
        capture_output=True, text=True, timeout=60, env={**os.environ}, check=False,
    )  # fmt: skip
    doc, _, imported = done.stdout.rpartition("}\n")
    assert json.loads(doc + "}")["records"][0]["name"] == "postgresql"
    assert imported.strip() == "[]"

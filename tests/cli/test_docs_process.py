"""docs/process.md's examples, run in order on a real store: the page cannot drift from the code.

Every line of a ``sh`` block that starts with ``portreg`` is run (with ``--db``), and
must succeed unless it ends with ``# exit 1``; every ``toml`` block whose first line is
``# FILE`` is written to FILE first.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run
from tests.support.data import ROOT

DOC = ROOT / "docs" / "process.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def test_the_process_page_runs(small: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from portreg.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    store.import_registry(small, source="the registry's ports below 1500")
    monkeypatch.chdir(tmp_path)
    ran = 0
    for language, body in BLOCK.findall(DOC.read_text()):
        if language == "toml":
            first = body.splitlines()[0]
            assert first.startswith("# "), first
            (tmp_path / first[2:].strip()).write_text(body)
        if language != "sh":
            continue
        for line in body.splitlines():
            if not line.startswith("portreg "):
                continue
            command, _, comment = line.partition("   #")
            args = shlex.split(command)[1:]
            code, out, err = run(capsys, "--db", store.url, *args)
            wanted = 1 if "exit 1" in comment else 0
            assert code == wanted, (line, out, err)
            ran += 1
    assert ran >= 30
    assert store.workflow().request(1)["state"] == "assigned"
    assert store.workflow().request(2)["state"] == "rejected"
    assert store.workflow().request(3)["state"] == "modified"
    assert store.workflow().request(4)["state"] == "assigned"
    assert store.workflow().request(5)["state"] == "assigned" and store.workflow().request(5)["registry"] == "acme"
    assert [s.record.name for s in store.scoped("acme").records_at_port(20100)][:1] == ["acme-sync"]
    store.close()

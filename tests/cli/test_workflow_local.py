"""``portreg request --registry`` and ``portreg registry rules | exception``, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from portreg.store import PortRange
from tests.support.cli import run
from tests.support.workflow import ALICE, SAM

pytestmark = pytest.mark.parametrize("wf_store", ["sqlite"], indirect=True)

TOML = """\
registry = "acme"
service_name = "acme-sync"
transports = ["tcp"]
assignee = "Alice Example <alice@example.com>"
contact = "Alice Example <alice@example.com>"
description = "ACME's file synchronizer"
reference = "https://acme.example/sync (unicast)"
port = 20100
"""


def portreg(capsys: pytest.CaptureFixture[str], store: Any, *args: str) -> tuple[int, str, str]:
    return run(capsys, "--db", store.url, *args)


def test_a_local_request_from_filing_to_publication(wf_store: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = wf_store
    store.registries.create("acme", owns=(PortRange(20000, 20999), PortRange(1400, 1499, "tcp")))
    path = tmp_path / "acme.toml"
    path.write_text(TOML)

    code, out, _ = portreg(capsys, store, "request", "check", "--as", ALICE.email, str(path), "--json")
    assert code == 1 and [f["field"] for f in json.loads(out)["findings"] if f["level"] == "error"] == ["justification"]
    code, out, _ = portreg(capsys, store, "registry", "rules", "acme", "--relax", "justification", "--by", "ops", "--json")
    assert code == 0 and json.loads(out)["relaxed"] == ["justification"] and json.loads(out)["review_group"] == "acme"
    code, out, _ = portreg(capsys, store, "request", "check", "--as", ALICE.email, str(path))
    assert code == 0 and "only warnings" in out

    code, out, _ = portreg(capsys, store, "request", "check", "--as", ALICE.email, str(path), "--port", "1433")
    assert code == 1 and "iana assigns 1433/tcp to 'ms-sql-s': acme never assigns it without a recorded exception" in out
    code, _, err = portreg(capsys, store, "registry", "exception", "acme", "1433")
    assert code == 2 and "1433/tcp" in err
    code, out, _ = portreg(capsys, store, "registry", "exception", "acme", "1433/tcp", "--reason", "our SQL gateway")
    assert code == 0 and "our SQL gateway" in out
    code, out, _ = portreg(capsys, store, "request", "check", "--as", ALICE.email, str(path), "--port", "1433")
    assert code == 0 and "acme records an exception: our SQL gateway" in out

    # acme's own expert, in the group named after it.
    code, _, err = portreg(capsys, store, "user", "add", "ace@acme.example", "--name", "Ace Acme", "--group", "acme", "--no-password")
    assert code == 0, err
    code, _, err = portreg(capsys, store, "user", "add", "x@acme.example", "--name", "X", "--group", "nosuch", "--no-password")
    assert code == 2 and "unknown review group 'nosuch'" in err

    code, out, _ = portreg(capsys, store, "request", "new", "--as", ALICE.email, str(path), "--json")
    assert code == 0 and json.loads(out)["registry"] == "acme"
    number = str(json.loads(out)["id"])
    for args in (
        ("review", "move", "--as", SAM.email, number, "validate"),
        ("review", "move", "--as", SAM.email, number, "route"),
        ("review", "approve", "--as", "ace@acme.example", number),
        ("review", "move", "--as", SAM.email, number, "assign"),
    ):
        code, out, err = portreg(capsys, store, *args)
        assert code == 0, (args, out, err)
    assert f"request {number} to acme (assignment acme-sync port 20100 tcp): Assigned" in out
    published = [(s.record.name, s.record.transport, s.source) for s in store.scoped("acme").records_at_port(20100)]
    assert ("acme-sync", "tcp", "acme") in published
    assert store.records_at_port(20100) == []

    code, out, _ = portreg(capsys, store, "request", "list", "--as", SAM.email, "--registry", "acme")
    assert code == 0 and out.splitlines()[0].split("\t")[:3] == [number, "acme", "assignment"]
    code, out, err = portreg(capsys, store, "request", "list", "--as", SAM.email, "--registry", "Bad Name")
    assert code == 2 and "cannot name a registry" in err

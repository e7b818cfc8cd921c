"""``portreg request | review | iesg | audit`` run as a user would, on a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run
from tests.support.workflow import ALICE, EVE, IVY, SAM

pytestmark = pytest.mark.parametrize("wf_store", ["sqlite"], indirect=True)

TOML = """\
service_name = "clifrob"
transports = ["tcp"]
assignee = "Alice Example <alice@example.com>"
contact = "Alice Example <alice@example.com>"
description = "Frobnitz from the command line"
reference = "https://example.com/clifrob (unicast)"
port = 2194
justification = "devices are configured by hand, so a dynamic port cannot be known"
"""


def portreg(capsys: pytest.CaptureFixture[str], store: Any, *args: str) -> tuple[int, str, str]:
    return run(capsys, "--db", store.url, *args)


def test_a_request_from_a_toml_file_goes_through_the_whole_process(wf_store: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = wf_store
    path = tmp_path / "request.toml"
    path.write_text(TOML)
    code, out, _ = portreg(capsys, store, "request", "check", "--as", ALICE.email, str(path))
    assert code == 0 and "every check passed" in out
    code, out, _ = portreg(capsys, store, "request", "new", "--as", ALICE.email, str(path), "--json")
    assert code == 0
    number = json.loads(out)["id"]
    for args in (
        ("review", "move", "--as", SAM.email, str(number), "validate"),
        ("review", "move", "--as", SAM.email, str(number), "route"),
        ("review", "ask", "--as", EVE.email, str(number), "Which devices?"),
        ("request", "answer", "--as", ALICE.email, str(number), "Printers."),
        ("review", "approve", "--as", EVE.email, str(number)),
        ("review", "move", "--as", SAM.email, str(number), "assign"),
    ):
        code, out, err = portreg(capsys, store, *args)
        assert code == 0, (args, out, err)
    assert "Assigned" in out
    code, out, _ = portreg(capsys, store, "request", "show", "--as", ALICE.email, str(number), "--events", "--json")
    shown = json.loads(out)
    assert shown["state"] == "assigned" and [e["actor"] for e in shown["events"] if e["kind"] == "transition"][3] == "an expert"
    code, out, _ = portreg(capsys, store, "audit", "verify")
    assert code == 0 and "the chain is intact" in out
    assert [s.record.name for s in store.records_at_port(2194)] == ["clifrob", None, None, None]


def test_options_override_the_file_and_failures_name_field_and_section(wf_store: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = wf_store
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"service_name": "ftp", "transports": ["tcp"]}))
    code, out, err = portreg(capsys, store, "request", "new", "--as", ALICE.email, str(path), "--port", "50000", "--json")
    assert code == 1
    found = {(f["field"], f["section"]) for f in json.loads(out)["findings"]}
    assert {("service_name", "8.1.1"), ("port", "6"), ("reference", "8.1.1"), ("assignee.name", "8.1.1")} <= found
    assert store.workflow().requests() == []
    code, out, err = portreg(capsys, store, "request", "list", "--as", "nobody@example.com")
    assert code == 1 and err.startswith("portreg: error:") and "Traceback" not in err


def test_the_iesg_votes_and_the_queue_shows_whose_turn_it_is(wf_store: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = wf_store
    path = tmp_path / "request.toml"
    path.write_text(TOML.replace("port = 2194", 'port = "system"').replace("clifrob", "sysfrob"))
    code, out, _ = portreg(capsys, store, "request", "new", "--as", ALICE.email, str(path), "--json")
    number = str(json.loads(out)["id"])
    portreg(capsys, store, "review", "move", "--as", SAM.email, number, "validate")
    code, out, _ = portreg(capsys, store, "review", "queue", "--as", SAM.email, "--json")
    assert [r["id"] for r in json.loads(out)["requests"]] == [int(number)]
    portreg(capsys, store, "review", "move", "--as", SAM.email, number, "escalate")
    code, out, err = portreg(capsys, store, "iesg", "vote", "--as", SAM.email, number, "yes")
    assert code != 0 and "only IESG members vote" in err
    code, out, _ = portreg(capsys, store, "iesg", "vote", "--as", IVY.email, number, "yes", "--text", "fine")
    assert code == 0
    code, out, _ = portreg(capsys, store, "review", "approve", "--as", IVY.email, number)
    assert code == 0 and "Assignable" in out
    code, out, err = portreg(capsys, store, "review", "move", "--as", SAM.email, number, "assign")
    assert code != 0 and "port" in err  # any system port: staff choose it
    code, out, _ = portreg(capsys, store, "review", "move", "--as", SAM.email, number, "assign", "--port", "4")
    assert code == 0 and "Assigned" in out


def test_reminders_follow_each_queues_limit(wf_store: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = wf_store
    path = tmp_path / "request.toml"
    path.write_text(TOML)
    portreg(capsys, store, "request", "new", "--as", ALICE.email, str(path))
    code, out, _ = portreg(capsys, store, "review", "remind", "--json")
    assert json.loads(out) == {"reminded": []}  # filed a moment ago
    import time

    time.sleep(1.1)  # past a limit of no time at all
    code, out, _ = portreg(capsys, store, "review", "remind", "--limit", "staff=0", "--json")
    assert code == 0 and json.loads(out) == {"reminded": [1]}
    code, out, err = portreg(capsys, store, "review", "remind", "--limit", "lunch=3")
    assert code == 2 and "QUEUE=DAYS" in err

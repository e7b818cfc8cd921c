"""The console's side of overlay conflicts: ``portreg import`` and ``portreg sync`` print
what their version found and resolved, ``portreg registry conflicts`` lists them and
``portreg registry resolve`` settles one, with the documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from portreg.formats import to_bytes
from tests.support.cli import rows, run
from tests.support.conflicts import ACME, AFTER, BEFORE
from tests.support.upstream import publishing


@pytest.fixture
def iana() -> Iterator[Any]:
    """A loopback HTTP server standing for IANA; set ``.body`` to publish another registry."""
    with publishing(to_bytes(BEFORE, "xml")) as published:
        yield published


def test_import_sync_list_and_resolve(
    tmp_path: Path, iana: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = ("--db", f"sqlite:///{tmp_path / 'store.db'}")
    local = tmp_path / "acme.json"
    local.write_bytes(to_bytes(ACME, "json"))
    code, out, err = run(capsys, *db, "sync", "--url", iana.url)
    assert code == 0 and out.startswith("imported version 1"), err
    assert run(capsys, *db, "registry", "create", "acme", "--owns", "20000-20999")[0] == 0
    code, out, err = run(capsys, *db, "import", "--registry", "acme", str(local))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{local}: imported as version 2 of acme (4 records)"
    assert "  conflict #1 acme port acme-db 5432/tcp: upstream assigns 5432/tcp to postgresql" in lines
    assert len(lines) == 6  # port, outside twice, name twice (ssh on 22/tcp and 22/udp)

    # IANA assigns acme-sync's port: the sync says so and exits 1, for a cron job
    iana.body = to_bytes(AFTER, "xml")
    code, out, err = run(capsys, *db, "sync", "--url", iana.url, "--json")
    data = json.loads(out)
    assert code == 1 and data["changed"] and data["version"]["number"] == 3
    assert [(c["kind"], c["found_by"], c["message"]) for c in data["conflicts"]["found"]] == [
        ("port", "sync", "acme-sync 20100/tcp: upstream assigns 20100/tcp to newsvc")
    ]
    assert data["conflicts"]["resolved"] == []
    newest = data["conflicts"]["found"][0]["id"]
    code, out, _ = run(capsys, *db, "sync", "--url", iana.url)
    assert code == 0  # nothing new: nothing found

    code, out, _ = run(capsys, *db, "registry", "conflicts", "acme", "--open")
    table = rows(out)
    assert code == 0 and len(table) == 6 and table[0][:4] == [str(newest), "acme", "port", "open"]
    code, out, err = run(capsys, *db, "registry", "resolve", str(newest), "--reason", "acme-sync moves to 20101")
    assert code == 0 and out.startswith(f"resolved #{newest} acme port acme-sync 20100/tcp"), err
    code, _, err = run(capsys, *db, "registry", "resolve", str(newest), "--reason", "again")
    assert code == 6 and "resolved already" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, *db, "registry", "resolve", "9999", "--reason", "x")
    assert code == 1 and "no conflict #9999" in err
    code, _, err = run(capsys, *db, "registry", "resolve", str(newest))
    assert code == 2 and "--reason" in err
    code, out, _ = run(capsys, *db, "registry", "conflicts", "--json")
    data = json.loads(out)
    assert data["counts"] == {"acme": {"open": 5, "resolved": 1}} and len(data["conflicts"]) == 6
    resolved = next(c for c in data["conflicts"] if c["state"] == "resolved")
    assert resolved["resolution"] == "acme-sync moves to 20101" and resolved["resolved_version"] is None

    # acme moves acme-db into its range and renames ssh: those conflicts resolve themselves
    moved = tmp_path / "acme.services"
    moved.write_text("acme-db\t20300/tcp\nacme-sync\t20100/tcp\nacme-sync\t20100/udp\nacme-ssh\t20022/tcp\n")
    code, out, _ = run(capsys, *db, "import", "--registry", "acme", str(moved), "--json")
    report = json.loads(out)["imported"][0]["conflicts"]
    assert code == 0 and report["found"] == []
    assert sorted(c["kind"] for c in report["resolved"]) == ["name", "name", "outside", "outside", "port"]
    code, _, err = run(capsys, *db, "registry", "conflicts", "acme", "--open")
    assert code == 1 and "no open conflicts in registry acme" in err
    code, _, err = run(capsys, *db, "registry", "conflicts", "acne")
    assert code == 1 and "holds no registry 'acne'" in err
    code, _, err = run(capsys, *db, "registry", "conflicts", "Bad Name")
    assert code == 2 and "cannot name a registry" in err

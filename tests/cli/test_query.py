"""``portreg lookup | search | show | people | free | stats`` as a user runs them.

Commands run in process through ``portreg.cli.main`` (the real entry point, exit codes
included); standard output is not a terminal here, so the plain tab-separated form is
what most tests read. One test draws the Rich form, one checks Rich stays unimported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.support.cli import rows, run
from tests.support.stores import BACKENDS, filled_store_url


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> str:
    return filled_store_url(request, tmp_path_factory, current_registry)


# ------------------------------------------------------------------ lookup


def test_lookup_a_port_prints_tab_separated_rows(capsys: Any, db: str) -> None:
    code, out, err = run(capsys, "--db", db, "lookup", "5432")
    assert code == 0 and err == ""
    assert [r[:4] for r in rows(out)] == [
        ["postgresql", "5432", "tcp", "assigned"],
        ["postgresql", "5432", "udp", "assigned"],
    ]
    assert rows(out)[0][4] == "PostgreSQL Database"


def test_lookup_inside_a_range_as_json(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "lookup", "6010", "--json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["query"], doc["kind"], doc["port"], doc["range_class"]) == ("6010", "port", 6010, "user")
    assert doc["states"] == {"tcp": "assigned", "udp": "assigned", "sctp": "unassigned", "dccp": "unassigned"}
    assert [(r["name"], r["port"], r["port_low"], r["port_high"]) for r in doc["records"]] == [
        ("x11", "6000-6063", 6000, 6063)
    ] * 2


def test_lookup_a_name_links_legacy_names(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "lookup", "WWW", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["kind"] == "name" and doc["preferred"] == "http"
    assert {r["name"] for r in doc["records"]} == {"www"}
    code, out, _ = run(capsys, "--db", db, "lookup", "sql-net")
    assert ["legacy", "sql*net"] in rows(out)


def test_lookup_a_range_and_a_transport(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "lookup", "6000-6010", "--proto", "tcp")
    assert code == 0
    assert ["x11", "6000-6063", "tcp", "assigned"] in [r[:4] for r in rows(out)]
    assert all(r[2] in ("tcp", "") for r in rows(out))


def test_lookup_nothing_found_exits_1(capsys: Any, db: str) -> None:
    code, out, err = run(capsys, "--db", db, "lookup", "65000")
    assert (code, out) == (1, "")
    assert "no record holds port 65000 (dynamic range)" in err
    code, _, err = run(capsys, "--db", db, "lookup", "no-such-service")
    assert code == 1 and "no service is named" in err


@pytest.mark.parametrize("args", [["lookup", "70000"], ["lookup", "9-1"], ["lookup", "80", "--proto", "quic"], ["lookup"]])
def test_lookup_usage_errors_exit_2(capsys: Any, db: str, args: list[str]) -> None:
    code, out, err = run(capsys, "--db", db, *args)
    assert code == 2 and out == "" and "Traceback" not in err


def test_lookup_draws_a_table_on_a_terminal(capsys: Any, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("portreg.cli._output.is_terminal", lambda stream=None: True)
    monkeypatch.setattr("portreg.cli._quick.is_terminal", lambda: True)  # a terminal: Rich, by the full road
    code, out, _ = run(capsys, "--db", db, "lookup", "80")
    assert code == 0
    assert "port 80 (system range): tcp assigned, udp assigned, sctp assigned, dccp unassigned" in " ".join(out.split())
    assert "┃ name" in out and "www-http" in out


def test_piped_output_never_imports_rich(db: str) -> None:
    code = "import sys; from portreg.cli import main\ntry: main(sys.argv[1:])\nexcept SystemExit: pass\nprint('rich' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", db, "lookup", "5432"], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "False"


def test_db_comes_from_the_environment(capsys: Any, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTREG_DATABASE_URL", db)
    code, out, _ = run(capsys, "lookup", "5432")
    assert code == 0 and "postgresql" in out


# ------------------------------------------------------------------ search, show, people, free, stats


def test_search_ranks_and_filters(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "search", "postgresql", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["query"] == "postgresql" and doc["total"] >= 2
    assert doc["records"][0]["name"] == "postgresql"
    code, out, _ = run(capsys, "--db", db, "search", "--state", "reserved", "--range", "system", "--limit", "5")
    assert code == 0 and len(rows(out)) == 5 and {r[3] for r in rows(out)} == {"reserved"}


def test_search_needs_text_or_a_filter(capsys: Any, db: str) -> None:
    code, _, err = run(capsys, "--db", db, "search")
    assert code == 2 and "filter" in err
    code, _, _ = run(capsys, "--db", db, "search", "x", "--registered-after", "soon")
    assert code == 2


def test_search_with_no_match_exits_1(capsys: Any, db: str) -> None:
    code, out, err = run(capsys, "--db", db, "search", "zzqxjv")
    assert (code, out) == (1, "") and "no record matches" in err


def test_show_prints_every_field_and_the_people(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "show", "http", "--json")
    doc = json.loads(out)
    assert code == 0 and {r["transport"] for r in doc["records"]} == {"tcp", "udp", "sctp"}
    assert {"IESG", "IETF_Chair"} <= {p["id"] for p in doc["people"]}
    code, out, _ = run(capsys, "--db", db, "show", "5432")
    table = rows(out)
    assert ["name", "postgresql"] in table and ["transport", "udp"] in table
    assert any(r[0] == "Tom_Lane" for r in table)


def test_people_lists_a_person_and_their_records(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "people", "Jon_Postel", "--json")
    doc = json.loads(out)
    assert code == 0
    (person,) = doc["people"]
    assert person["person"]["id"] == "Jon_Postel" and len(person["records"]) > 10
    assert all("Jon_Postel" in r["assignee"] + r["contact"] for r in person["records"])
    code, _, err = run(capsys, "--db", db, "people", "Nobody_Such_Person_Zz")
    assert code == 1 and "no person matches" in err


def test_free_suggests_ports(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "free", "--count", "3")
    ports = [int(line) for line in out.split()]
    assert code == 0 and len(ports) == 3 and all(1024 <= p <= 49151 for p in ports)
    code, out, _ = run(capsys, "--db", db, "free", "--proto", "sctp,dccp", "--range", "system", "--json")
    doc = json.loads(out)
    assert doc["transports"] == ["sctp", "dccp"] and all(p < 1024 for p in doc["ports"])
    assert run(capsys, "--db", db, "free", "--range", "dynamic")[0] == 2
    assert run(capsys, "--db", db, "free", "--proto", "tcp,quic")[0] == 2


def test_stats(capsys: Any, db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "stats", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["records"] == 14444 and doc["version"] == 1
    assert sum(doc["by_state"].values()) == 14444
    code, out, _ = run(capsys, "--db", db, "stats")
    assert ["total", "records", "14444"] in rows(out)


# ------------------------------------------------------------------ an empty store


@pytest.mark.parametrize("args", [["lookup", "5432"], ["lookup", "http"], ["search", "x"], ["people", "x"], ["free"], ["stats"], ["show", "80"]])
def test_an_empty_store_says_how_to_fill_it(capsys: Any, store_url: str, args: list[str]) -> None:
    code, out, err = run(capsys, "--db", store_url, *args)
    assert code == 1 and out == ""
    assert "portreg sync" in err and "portreg import" in err and "Traceback" not in err


def test_the_real_entry_point(db: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "portreg", "--db", db, "lookup", "x11", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["records"][0]["port"] == "6000-6063"

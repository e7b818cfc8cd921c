"""``portreg lookup | search | show | free | stats`` over the stack, and ``--registry``:
a source column when the store holds a local registry, none when it does not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cli import rows, run
from tests.support.overlay import acme_registry, stack


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('stack-cli') / 'store.sqlite3'}"
    stack(url, current_registry)
    return url


def test_lookup_prints_a_source_column_local_rows_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", db, "lookup", "5432")
    assert code == 0
    assert [(r[0], r[1], r[3]) for r in rows(out)] == [
        ("acme", "acme-db", "tcp"),
        ("iana", "postgresql", "tcp"),
        ("iana", "postgresql", "udp"),
    ]


def test_registry_narrows_and_json_names_every_source(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", db, "lookup", "5432", "--registry", "iana")
    assert code == 0 and [r[:2] for r in rows(out)] == [["iana", "postgresql"]] * 2
    code, out, _ = run(capsys, "--db", db, "lookup", "acme-sync", "--registry", "acme", "--json")
    doc = json.loads(out)
    assert code == 0 and [(r["source"], r["transport"]) for r in doc["records"]] == [("acme", "tcp"), ("acme", "udp")]
    code, out, _ = run(capsys, "--db", db, "lookup", "acme-sync", "--registry", "iana")
    assert code == 1 and out == ""


def test_search_show_free_and_stats_read_the_stack(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", db, "search", "acme-mon", "--limit", "2")
    assert code == 0 and rows(out)[0][:2] == ["acme", "acme-mon"]
    code, out, _ = run(capsys, "--db", db, "show", "acme-mon", "--json")
    assert json.loads(out)["records"][0]["source"] == "acme"
    code, out, _ = run(capsys, "--db", db, "stats", "--registry", "acme", "--json")
    assert json.loads(out)["records"] == 7
    code, out, _ = run(capsys, "--db", db, "free", "--range", "user", "--count", "65536", "--json")
    stacked = set(json.loads(out)["ports"])
    code, out, _ = run(capsys, "--db", db, "free", "--range", "user", "--count", "65536", "--json", "--registry", "iana")
    assert set(json.loads(out)["ports"]) - stacked == {20100, 20200}


def test_a_registry_the_store_lacks_or_a_bad_name_is_one_line(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", db, "lookup", "80", "--registry", "beta")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [err.strip()] and "no registry 'beta'" in err and "acme, iana" in err
    code, out, err = run(capsys, "--db", db, "lookup", "80", "--registry", "Acme!")
    assert code == 2 and err.startswith("portreg: error: --registry: 'acme!' cannot name a registry")
    code, out, err = run(capsys, "--db", db, "search", "http", "--registry", "Acme!")
    assert code == 2 and err.startswith("portreg: error: --registry: ")  # the option the person typed


def test_without_local_registries_there_is_no_source_column(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from portreg.services import open_store

    url = f"sqlite:///{tmp_path / 'alone.sqlite3'}"
    with open_store(url) as store:
        store.import_registry(acme_registry(), source="small")
    code, out, _ = run(capsys, "--db", url, "lookup", "5432")
    assert code == 0 and rows(out) == [["acme-db", "5432", "tcp", "assigned", "collides with IANA's postgresql", ""]]
    code, out, _ = run(capsys, "--db", url, "lookup", "5432", "--json")
    assert "source" not in json.loads(out)["records"][0]


STACK_QUERIES = [
    "5432", "80", "20100", "20200", "20000-20300", "5000-5500", "22", "0", "65535",
    "www", "WWW", "http", "acme-sync", "ACME-MONITOR", "acme-mon", "acme-db", "postgresql", "no-such-service",
]  # fmt: skip


def test_the_quick_lookup_answers_over_the_stack_as_the_full_command(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``portreg lookup`` on a SQLite store with a local registry takes the quick road
    too, and prints what the full command prints, byte for byte, exit code included."""
    from portreg.cli._group import cli
    from portreg.cli._quick import lookup

    for query in STACK_QUERIES:
        for extra in ([], ["--json"], ["--proto", "udp"], ["--json", "--proto=tcp"]):
            args = ["--db", db, "lookup", query, *extra]
            quick_code = lookup(args)
            quick = (quick_code, *capsys.readouterr())
            full_code = cli.main(args=args, prog_name="portreg", standalone_mode=False)
            full = (full_code, *capsys.readouterr())
            assert quick_code is not None, args
            assert quick == full, args
    code = lookup(["--db", db, "lookup", "5432"])
    assert code == 0 and rows(capsys.readouterr().out)[0][:2] == ["acme", "acme-db"]
    assert lookup(["--db", db, "lookup", "5432", "--registry", "iana"]) is None  # the full command's option


def test_an_empty_local_registry_still_names_sources_on_the_quick_road(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from portreg.cli._quick import lookup
    from portreg.services import open_store

    url = f"sqlite:///{tmp_path / 'beta.sqlite3'}"
    with open_store(url) as store:
        store.import_registry(acme_registry(), source="small upstream")
        store.registries.create("beta")
    assert lookup(["--db", url, "lookup", "5432"]) == 0
    quick = capsys.readouterr().out
    code, full, _ = run(capsys, "--db", url, "lookup", "5432", "--registry", "stack")
    assert code == 0 and quick == full and rows(quick)[0][0] == "iana"

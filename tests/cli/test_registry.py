"""``portreg registry create|list|show|ranges``, ``portreg import --registry`` and
``portreg export --registry|--profile local``, run as a user runs them, on a real
SQLite store holding the 2024-03-18 registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import rows, run
from tests.support.data import CURRENT_XML
from tests.support.overlay import ACME
from tests.support.web import real_store_file, sqlite_url


@pytest.fixture(scope="module")
def acme_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("acme") / "acme.services"
    path.write_bytes(ACME)
    return path


@pytest.fixture
def db(tmp_path: Path) -> str:
    return sqlite_url(real_store_file(tmp_path))


def portreg(capsys: Any, db: str, *args: str) -> tuple[int, str, str]:
    return run(capsys, "--db", db, *args)


def test_create_import_list_show(capsys: Any, db: str, acme_file: Path) -> None:
    code, out, err = portreg(capsys, db, "registry", "create", "acme", "--title", "ACME Corp.", "--owns", "20000-20999")
    assert code == 0 and "portreg import --registry acme" in err
    assert rows(out) == [["acme", "local", "", "", "20000-20999", "ACME Corp."]]
    code, out, err = portreg(capsys, db, "import", "--registry", "acme", str(acme_file), "--json")
    assert code == 0, err
    (imported,) = json.loads(out)["imported"]
    assert imported["registry"] == "acme" and imported["version"]["number"] == 2
    assert imported["version"]["record_count"] == 7
    code, out, _ = portreg(capsys, db, "import", "--registry", "acme", str(acme_file))
    assert code == 0 and out.strip().endswith("unchanged (the current version of acme holds the same registry)")
    code, out, _ = portreg(capsys, db, "registry", "list")
    assert code == 0
    listed = rows(out)
    assert [row[:5] for row in listed] == [
        ["acme", "local", "2", "7", "20000-20999"],
        ["iana", "upstream", "1", "14444", ""],
    ]
    code, out, _ = portreg(capsys, db, "registry", "list", "--json")
    assert [r["name"] for r in json.loads(out)["registries"]] == ["acme", "iana"]
    code, out, _ = portreg(capsys, db, "registry", "show", "acme")
    assert code == 0 and out.splitlines()[0] == "acme (local): ACME Corp."
    assert "allocates from 20000-20999" in out and "current version 2 (7 records" in out
    code, out, _ = portreg(capsys, db, "registry", "show", "iana", "--json")
    shown = json.loads(out)
    assert (shown["kind"], shown["ranges"], shown["current"]["published"]) == ("upstream", [], "2024-03-18")
    # IANA's own versions are untouched by the local import
    code, out, _ = portreg(capsys, db, "versions", "--json")
    assert [v["number"] for v in json.loads(out)["versions"]] == [1]
    code, out, _ = portreg(capsys, db, "versions", "--registry", "acme")
    assert code == 0 and [row[:2] for row in rows(out)] == [["acme", "2"]]
    code, out, _ = portreg(capsys, db, "versions", "--registry", "stack", "--json")
    assert [(v["registry"], v["number"]) for v in json.loads(out)["versions"]] == [("iana", 1), ("acme", 2)]
    portreg(capsys, db, "registry", "create", "beta")
    code, out, err = portreg(capsys, db, "versions", "--registry", "beta")
    assert code == 1 and out == "" and "beta holds no version yet" in err


def test_ranges_show_and_replace(capsys: Any, db: str) -> None:
    portreg(capsys, db, "registry", "create", "acme")
    code, out, err = portreg(capsys, db, "registry", "ranges", "acme")
    assert code == 0 and out == "" and "allocates from no range" in err
    code, out, _ = portreg(capsys, db, "registry", "ranges", "acme", "--owns", "20000-20999", "--owns", "30000-30099/udp")
    assert code == 0 and out.splitlines() == ["20000-20999", "30000-30099/udp"]
    code, out, _ = portreg(capsys, db, "registry", "ranges", "acme", "--json")
    assert [r["text"] for r in json.loads(out)["ranges"]] == ["20000-20999", "30000-30099/udp"]
    code, out, _ = portreg(capsys, db, "registry", "ranges", "acme", "--clear")
    assert code == 0 and out == ""
    code, _, err = portreg(capsys, db, "registry", "ranges", "acme", "--clear", "--owns", "1-2")
    assert code == 2 and "--clear" in err


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (("registry", "create", "Acme"), 2, "cannot name a registry"),
        (("registry", "create", "stack"), 2, "reserved"),
        (("registry", "create", "acme", "--owns", "20000-70000"), 2, "owns"),
        (("registry", "show", "acne"), 1, "holds no registry 'acne'"),
        (("registry", "ranges", "iana", "--owns", "1-2"), 2, "upstream"),
        (("import", "--registry", "stack", "FILE"), 2, "one registry"),
        (("import", "--registry", "nope", "FILE"), 1, "holds no registry 'nope'"),
        (("import", "--registry", "no_pe", "FILE"), 2, "cannot name a registry"),
        (("export", "--format", "csv", "--registry", "nope"), 1, "holds no registry 'nope'"),
        (("export", "--format", "services", "--registry", "iana", "--profile", "local"), 2, "local"),
        (("export", "--format", "services", "--registry", "stack", "--since", "1"), 2, "--since"),
    ],
)
def test_mistakes_are_one_line_and_an_exit_code(
    capsys: Any, db: str, acme_file: Path, args: tuple[str, ...], exit_code: int, words: str
) -> None:
    args = tuple(str(acme_file) if a == "FILE" else a for a in args)
    code, _, err = portreg(capsys, db, *args)
    assert code == exit_code and words in err, err
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == 1 or (exit_code == 2 and lines[-1].startswith("Error: ") and words in lines[-1])


def test_a_registry_name_is_taken_once(capsys: Any, db: str) -> None:
    assert portreg(capsys, db, "registry", "create", "acme")[0] == 0
    code, _, err = portreg(capsys, db, "registry", "create", "acme")
    assert code == 6 and "already holds a registry 'acme'" in err


def test_exports_of_iana_local_and_stack(capsys: Any, db: str, acme_file: Path, tmp_path: Path) -> None:
    portreg(capsys, db, "registry", "create", "acme", "--title", "ACME Corp.")
    portreg(capsys, db, "import", "--registry", "acme", str(acme_file))

    def export(*args: str) -> bytes:
        target = tmp_path / "out"
        code, _, err = portreg(capsys, db, "export", "-o", str(target), *args)
        assert code == 0, err
        return target.read_bytes()

    # IANA's file stays IANA's, byte for byte, beside a local registry
    assert export("--format", "xml") == CURRENT_XML.read_bytes()
    assert export("--format", "xml", "--registry", "iana") == CURRENT_XML.read_bytes()
    acme = export("--format", "services", "--registry", "acme").decode()
    assert [line.split()[0] for line in acme.splitlines() if line and line[0] != "#"] == [
        "http", "acme-db", "acme-sync", "acme-sync", "acme-mon",
    ]
    stacked = export("--format", "services", "--registry", "stack").decode()
    assert "# Source:  ACME Corp. (acme) stacked on" in stacked
    assert "\nacme-db\t\t5432/tcp\tpostgresql\t# collides with IANA's postgresql\n" in stacked
    assert "\npostgresql\t5432/udp" in stacked
    csv = export("--format", "csv", "--registry", "stack").decode().splitlines()
    assert csv[1].startswith("acme-db,5432,tcp,") and len(csv) > 14000
    local = export("--format", "services", "--profile", "local").decode()
    assert "# Profile: local (the records of the local registry acme; IANA's own are left out)" in local
    assert [line.split()[0] for line in local.splitlines() if line and line[0] != "#"] == [
        "http", "acme-db", "acme-sync", "acme-sync", "acme-mon",
    ]
    # the stack at version 1 (before acme's first version) is IANA's registry
    code, out, _ = portreg(capsys, db, "export", "--format", "services", "--registry", "stack", "--version", "1")
    assert code == 0 and "acme-db" not in out and "acme-sync" not in out


@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_a_local_registry_moves_through_any_format(capsys: Any, db: str, acme_file: Path, tmp_path: Path, fmt: str) -> None:
    """acme written in a format and imported into another local registry gives the same entries
    (the header's title is the format's: CSV names none, so the reader gives IANA's)."""
    portreg(capsys, db, "registry", "create", "acme")
    portreg(capsys, db, "import", "--registry", "acme", str(acme_file))
    moved = tmp_path / f"acme.{fmt}"
    assert portreg(capsys, db, "export", "--format", fmt, "--registry", "acme", "-o", str(moved))[0] == 0
    portreg(capsys, db, "registry", "create", "beta")
    code, out, err = portreg(capsys, db, "import", "--registry", "beta", str(moved), "--json")
    assert code == 0, err
    assert json.loads(out)["imported"][0]["version"]["record_count"] == 7
    again = [portreg(capsys, db, "export", "--format", "services", "--registry", name)[1] for name in ("acme", "beta")]
    entries = [[line for line in text.splitlines() if line and not line.startswith("#")] for text in again]
    assert entries[0] == entries[1] and len(entries[0]) == 5

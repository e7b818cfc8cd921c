"""``portreg import | export | versions``: filling the store from files and writing it back out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import rows, run
from tests.support.stores import BACKENDS, filled_store_url
from tests.support.data import CSV_EXPORTS, CURRENT_XML, need_shared


@pytest.fixture
def db(store_url: str) -> str:
    """An empty store, on each database."""
    return store_url


@pytest.fixture(scope="module", params=BACKENDS)
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> str:
    """A store holding the 2024-03-18 registry, shared by the tests that only export."""
    return filled_store_url(request, tmp_path_factory, current_registry)


def test_import_then_export_gives_the_same_document_back(
    capsys: Any, db: str, tmp_path: Path, current_registry: Any
) -> None:
    from portreg import formats

    code, out, _ = run(capsys, "--db", db, "import", str(need_shared(CURRENT_XML)))
    assert code == 0 and "imported as version 1 (14444 records)" in out
    target = tmp_path / "out.xml"
    code, _, err = run(capsys, "--db", db, "export", "--format", "xml", "-o", str(target))
    assert (code, err) == (0, "")
    assert target.read_bytes() == formats.to_bytes(current_registry, "xml")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.xml")] == []  # no temp file left


def test_importing_the_same_content_again_makes_no_version(capsys: Any, db: str) -> None:
    xml = str(need_shared(CURRENT_XML))
    run(capsys, "--db", db, "import", xml)
    code, out, _ = run(capsys, "--db", db, "import", xml, "--json")
    assert code == 0 and json.loads(out) == {"imported": [{"source": str(Path(xml).resolve()), "registry": "iana", "version": None, "conflicts": {"found": [], "resolved": [], "allowed": []}}]}
    code, out, _ = run(capsys, "--db", db, "versions", "--json")
    (version,) = json.loads(out)["versions"]
    assert (version["number"], version["published"], version["record_count"]) == (1, "2024-03-18", 14444)


def next_day(registry: Any, folder: Path) -> Path:
    """The registry as IANA might publish it the next day (a new date, one new description), as JSON."""
    from dataclasses import replace

    from portreg import formats
    from portreg.model import Text

    records = tuple(
        replace(r, description=Text.of("PostgreSQL Database Server")) if r.name == "postgresql" else r
        for r in registry.records
    )
    path = folder / "next-day.json"
    path.write_bytes(formats.to_bytes(replace(registry, updated="2024-03-19", records=records), "json"))
    return path


def test_import_reads_any_format_and_versions_lists_them(
    capsys: Any, db: str, tmp_path: Path, current_registry: Any
) -> None:
    newer = next_day(current_registry, tmp_path)
    code, out, _ = run(capsys, "--db", db, "import", str(need_shared(CURRENT_XML)), str(newer))
    assert code == 0 and "imported as version 1" in out and "imported as version 2" in out
    code, out, _ = run(capsys, "--db", db, "versions")
    assert [r[:2] for r in rows(out)] == [["1", "2024-03-18"], ["2", "2024-03-19"]]
    assert rows(out)[1][5] == str(newer.resolve())
    code, out, _ = run(capsys, "--db", db, "lookup", "5432")
    assert rows(out)[0][4] == "PostgreSQL Database Server"


def test_import_reads_iana_csv(capsys: Any, db: str) -> None:
    csv = need_shared(CSV_EXPORTS[0]) if CSV_EXPORTS else need_shared(CURRENT_XML.parent / "csv")
    code, out, _ = run(capsys, "--db", db, "import", str(csv))
    assert code == 0 and "imported as version 1" in out


def test_export_an_older_version_to_standard_output(db: str, current_registry: Any, tmp_path: Path) -> None:
    from portreg import formats

    newer = next_day(current_registry, tmp_path)
    subprocess.run(
        [sys.executable, "-m", "portreg", "--db", db, "import", str(need_shared(CURRENT_XML)), str(newer)],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, "-m", "portreg", "--db", db, "export", "--format", "services", "--version", "1"],
        capture_output=True,
        check=True,
    )
    assert done.stdout == formats.to_bytes(current_registry, "services")


def test_a_bad_file_is_one_line_and_changes_nothing(capsys: Any, db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<registry><record><number>eighty</number></record>")
    code, out, err = run(capsys, "--db", db, "import", str(bad))
    assert code == 4 and out == ""  # FormatError
    assert len(err.strip().splitlines()) == 1 and "bad.xml" in err and "Traceback" not in err
    assert run(capsys, "--db", db, "versions")[0] == 1  # still empty
    code, _, err = run(capsys, "--db", db, "import", str(tmp_path / "missing.xml"))
    assert code != 0 and "missing.xml" in err
    code, _, err = run(capsys, "--db", db, "import", str(need_shared(CURRENT_XML)), str(bad))
    assert code == 4 and "bad.xml" in err  # FormatError
    assert run(capsys, "--db", db, "versions")[0] == 1  # the good file first was not imported either


def test_a_failed_export_leaves_the_old_file(
    capsys: Any, filled: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portreg import formats
    from portreg.errors import FormatError

    target = tmp_path / "services"
    target.write_bytes(b"the old file\n")

    def half_then_fail(registry: Any, format: str, out: Any) -> None:
        out.write(b"half a file")
        raise FormatError("the disk is full (simulated)")

    monkeypatch.setattr(formats, "write", half_then_fail)
    code, _, err = run(capsys, "--db", filled, "export", "--format", "services", "-o", str(target))
    assert code == 4 and "simulated" in err  # FormatError
    assert target.read_bytes() == b"the old file\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "services" in p.name) == ["services"]


def test_export_refuses_what_it_cannot_do(capsys: Any, db: str, filled: str) -> None:
    code, _, err = run(capsys, "--db", db, "export", "--format", "xml")
    assert code == 1 and "portreg sync" in err  # an empty store
    assert run(capsys, "--db", filled, "export", "--format", "pdf")[0] == 2
    code, _, err = run(capsys, "--db", filled, "export", "--format", "xml", "--version", "7")
    assert code == 1 and "7" in err


def test_versions_on_an_empty_store(capsys: Any, db: str) -> None:
    code, out, err = run(capsys, "--db", db, "versions")
    assert (code, out) == (1, "") and "portreg sync" in err

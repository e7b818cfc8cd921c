"""``portreg convert`` and ``portreg check``, run as a user runs them: the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.data import CSV_EXPORTS, CURRENT_XML, need_shared
from portreg import formats
from portreg.model import PortRange, Record, Reference, Text

PORTREG = [sys.executable, "-m", "portreg"]


def portreg(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*PORTREG, *args], input=stdin, capture_output=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def csv_export() -> Path:
    return need_shared(CSV_EXPORTS[0] if CSV_EXPORTS else CURRENT_XML.parent / "csv" / "missing.csv")


def test_convert_csv_to_json_on_stdout(csv_export: Path) -> None:
    done = portreg("convert", str(csv_export), "--to", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert formats.read(done.stdout, format="json") == formats.read(csv_export.read_bytes(), format="csv")


def test_convert_reads_standard_input(csv_export: Path) -> None:
    done = portreg("convert", "-", "--to", "csv", stdin=csv_export.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout == csv_export.read_bytes()  # the CSV writer reproduces IANA's export


def test_convert_writes_the_output_file_atomically(csv_export: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old content")
    done = portreg("convert", str(csv_export), "--to", "json", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    assert json.loads(target.read_bytes())  # replaced whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary file left


def test_convert_from_overrides_detection(csv_export: Path) -> None:
    done = portreg("convert", str(csv_export), "--from", "json", "--to", "csv")
    assert done.returncode == 4  # FormatError
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"portreg: error: {csv_export}")


def test_convert_rejects_an_unknown_format(csv_export: Path) -> None:
    done = portreg("convert", str(csv_export), "--to", "yaml")
    assert done.returncode == 2
    assert b"yaml" in done.stderr and b"Traceback" not in done.stderr


def test_convert_the_real_xml_to_every_format(current_xml_bytes: bytes, tmp_path: Path) -> None:
    pytest.importorskip("portreg.formats.xml", reason="the XML format module is not there yet")
    for name in formats.writable():
        target = tmp_path / f"registry.{name}"
        done = portreg("convert", str(CURRENT_XML), "--to", name, "-o", str(target))
        assert done.returncode == 0, (name, done.stderr)
        assert target.stat().st_size > 100_000, name


def test_check_the_real_registry_passes_with_legacy_only(current_xml_bytes: bytes) -> None:
    pytest.importorskip("portreg.formats.xml", reason="the XML format module is not there yet")
    done = portreg("check", str(CURRENT_XML))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.decode()
    assert f"{CURRENT_XML}: 14444 records, 5554 people: 0 errors, 0 warnings" in out
    assert "legacy (kept, RFC 6335 §10): 99 legacy names on 189 rows" in out
    assert "[legacy-name]" not in out  # counted, not listed


@pytest.mark.parametrize("flag", ["--show-legacy", "--verbose", "-v"])
def test_check_lists_legacy_findings_on_request(csv_export: Path, flag: str) -> None:
    done = portreg("check", str(csv_export), flag)
    assert done.returncode == 0
    lines = done.stdout.decode().splitlines()
    assert sum(line.startswith("legacy [legacy-name]") for line in lines) == 189
    assert any("'sql*net'" in line and "'sql-net' is registered" in line for line in lines)


def test_check_json(csv_export: Path) -> None:
    done = portreg("check", str(csv_export), "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["counts"]["error"] == {} and report["counts"]["warning"] == {}
    assert report["counts"]["legacy"]["legacy-name"] == 189
    assert len(report["findings"]) == sum(report["counts"]["legacy"].values())
    assert set(report["findings"][0]) == {"severity", "code", "message", "record", "subject", "section"}


@pytest.fixture(scope="module")
def broken_registry_file(csv_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real registry with three rows gone wrong, written as JSON."""
    registry = formats.read(csv_export.read_bytes(), format="csv")
    bad = (
        Record(name="http", port=PortRange.single(80), transport="tcp", description=Text.of("again")),
        Record(name="lonely", port=PortRange.single(4443), transport="tcp", references=(Reference("person", "Nobody"),)),
        Record(name="ghost", port=PortRange.single(4444), transport="tcp", service_code="SC:boo!"),
    )
    path = tmp_path_factory.mktemp("broken") / "broken.json"
    path.write_bytes(formats.to_bytes(replace(registry, records=registry.records + bad), "json"))
    return path


def test_check_lists_errors_and_fails(broken_registry_file: Path) -> None:
    done = portreg("check", str(broken_registry_file))
    assert done.returncode == 1
    lines = done.stdout.decode().splitlines()
    errors = [line for line in lines if line.startswith("error ")]
    assert [line.split()[1] for line in errors] == ["[duplicate-name]", "[dangling-person]", "[service-code-without-dccp]"]
    assert errors[1].endswith("lonely 4443/tcp refers to person 'Nobody', who is not in the people list")
    assert ": 3 errors, 0 warnings" in lines[-2]


def test_check_json_of_a_broken_registry(broken_registry_file: Path) -> None:
    done = portreg("check", "--json", str(broken_registry_file))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False
    assert report["counts"]["error"] == {"dangling-person": 1, "duplicate-name": 1, "service-code-without-dccp": 1}


@pytest.mark.parametrize("args", [["--help"], ["convert", "--help"], ["check", "--help"]])
def test_start_up_stays_light(args: list[str]) -> None:
    """--help and convert import no database, web, terminal-UI or XML library."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "portreg", *args],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines() if "|" in line}
    heavy = {m for m in imported if m.split(".")[0] in {"rich", "sqlalchemy", "fastapi", "starlette", "lxml", "jinja2", "uvicorn"}}
    assert heavy == set()
    assert "portreg.cli" in imported


def test_convert_csv_to_json_imports_no_heavy_module(csv_export: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "portreg", "convert", str(csv_export), "--to", "json"],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines() if "|" in line}
    assert not {m for m in imported if m.split(".")[0] in {"rich", "sqlalchemy", "fastapi", "lxml"}}

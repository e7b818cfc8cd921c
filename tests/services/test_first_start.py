"""The first start: an empty store filled from IANA, the shipped snapshot, a file, or nothing.

IANA is never reached here: the "unreachable" URL is the discard port on loopback,
where nothing listens, so the fallback is exercised for real.
"""

from __future__ import annotations

import lzma
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from tests.support.web import serving, sqlite_url
from tests.support.data import ROOT

UNREACHABLE = "http://127.0.0.1:9/service-names-port-numbers.xml"


def test_the_package_ships_iana_s_registry_compressed() -> None:
    from portreg.formats import xml
    from portreg.services import snapshot

    packed = resources.files("portreg").joinpath("data", snapshot.FILENAME).read_bytes()
    assert len(packed) < 600_000, "the snapshot should stay a few hundred kB"
    registry = xml.read(lzma.decompress(packed))
    assert len(registry.records) > 14_000 and len(registry.people) > 5_000
    shipped = snapshot.load()
    assert shipped.updated == registry.updated and shipped.updated is not None
    assert shipped.registry.records[0] == registry.records[0]
    assert shipped.updated in shipped.source


def test_make_keeps_iana_s_bytes_and_is_deterministic(current_xml_bytes: bytes) -> None:
    from portreg.services import snapshot

    packed = snapshot.make(current_xml_bytes)
    assert lzma.decompress(packed) == current_xml_bytes
    assert snapshot.make(current_xml_bytes) == packed


def test_make_refuses_what_is_not_a_registry() -> None:
    from portreg.errors import FormatError
    from portreg.services import snapshot

    with pytest.raises(FormatError):
        snapshot.make(b"<html>not a registry</html>")
    with pytest.raises(FormatError, match="no records"):
        snapshot.make(b'<?xml version="1.0"?><registry xmlns="http://www.iana.org/assignments" id="x"><title>t</title></registry>')


def test_the_make_script_writes_the_snapshot(tmp_path: Path, current_xml_bytes: bytes) -> None:
    source = tmp_path / "service-names-port-numbers.xml"
    source.write_bytes(current_xml_bytes)
    out = tmp_path / "snap.xml.xz"
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_snapshot.py"), str(source), "-o", str(out)],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "2024-03-18" in done.stdout and "14,444 records" in done.stdout
    assert lzma.decompress(out.read_bytes()) == current_xml_bytes
    bad = subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_snapshot.py"), str(tmp_path / "missing.xml"), "-o", str(out)],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode == 1 and "missing.xml" in bad.stderr and "Traceback" not in bad.stderr


def test_offline_first_start_falls_back_to_the_snapshot(tmp_path: Path) -> None:
    from portreg.services import snapshot
    from portreg.services.first_start import first_start
    from portreg.store import Store

    said: list[str] = []
    shipped = snapshot.load()
    with Store.open(sqlite_url(tmp_path / "fresh.db")) as store:
        notice = first_start(store, "iana", sync_url=UNREACHABLE, say=said.append)
        version = store.current_version()
        assert version is not None and version.record_count == len(shipped.registry.records)
        assert version.published == shipped.updated and version.source == shipped.source
        assert store.records_at_port(5432)  # postgresql: the real registry, not /etc/services
        assert notice is not None
        assert "IANA could not be reached" in notice and f"dated {shipped.updated}" in notice and "portreg sync" in notice
        console = "\n".join(said)
        assert "IANA could not be reached" in console and f"dated {shipped.updated}" in console and "portreg sync" in console
        assert first_start(store, "iana", sync_url=UNREACHABLE) is None  # a filled store is left alone


def test_init_from_snapshot_does_not_try_the_network(tmp_path: Path) -> None:
    from portreg.services.first_start import first_start
    from portreg.store import Store

    said: list[str] = []
    with Store.open(sqlite_url(tmp_path / "snap.db")) as store:
        notice = first_start(store, "snapshot", sync_url=UNREACHABLE, say=said.append)
        assert notice is not None and notice.startswith("First start:") and "snapshot" in notice
        assert not any("IANA could not be reached" in line for line in said)
        assert store.current_version() is not None


def test_etc_services_is_an_explicit_choice(tmp_path: Path) -> None:
    from portreg.services.first_start import first_start
    from portreg.store import Store

    services = Path("/etc/services")
    if not services.exists():
        pytest.skip("this system has no /etc/services")
    with Store.open(sqlite_url(tmp_path / "etc.db")) as store:
        notice = first_start(store, str(services))
        assert notice is not None and "/etc/services" in notice
        version = store.current_version()
        assert version is not None and version.source == str(services.resolve())


def test_an_unreadable_init_source_is_one_format_error(tmp_path: Path) -> None:
    from portreg.errors import FormatError
    from portreg.services.first_start import first_start
    from portreg.store import Store

    with Store.open(sqlite_url(tmp_path / "x.db")) as store:
        with pytest.raises(FormatError, match="missing.xml"):
            first_start(store, str(tmp_path / "missing.xml"))
        assert store.current_version() is None


@pytest.mark.slow
def test_serve_offline_says_so_on_the_console_and_the_page(tmp_path: Path) -> None:
    """A real ``portreg serve`` on an empty store with IANA out of reach."""
    import httpx

    with serving(sqlite_url(tmp_path / "fresh.db"), "--sync-url", UNREACHABLE) as (base, proc):
        page = httpx.get(base + "/", timeout=30).text
        postgres = httpx.get(base + "/api/v1/ports/5432", timeout=30)
        proc.terminate()
        console, _ = proc.communicate(timeout=10)
    assert "snapshot of IANA" in page and "portreg sync" in page
    assert postgres.status_code == 200 and "postgresql" in postgres.text
    assert "filled the store from the snapshot of IANA's registry" in console
    assert "/etc/services" not in console

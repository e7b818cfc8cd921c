"""/etc/services as people ship it: the full, small, local and user-named profiles,
from the service layer, the command line (``portreg export --profile``) and the web
download (``?profile=``), on the real 2024-03-18 registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.cli import run
from tests.support.web import real_store_file, sqlite_url

DOWNLOAD = "/assignments/service-names-port-numbers/service-names-port-numbers.services"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real_store_file(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def client(store_path: Path) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    with Store.open(sqlite_url(store_path)) as store, TestClient(create_app(store=store)) as test_client:
        yield test_client


def export(capsys: Any, store_path: Path, target: Path, *args: str) -> tuple[int, str, str]:
    code, _, err = run(capsys, "--db", sqlite_url(store_path), "export", "--format", "services", "-o", str(target), *args)
    return code, (target.read_text("utf-8") if target.exists() else ""), err


def entries(text: str) -> list[list[str]]:
    return [line.partition("#")[0].split() for line in text.splitlines() if line and not line.startswith("#")]


def header(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_the_netbase_list_names_its_package_and_source() -> None:
    from portreg.services.exports import netbase_names

    package, source, names = netbase_names()
    assert package.startswith("netbase ") and "salsa.debian.org/md/netbase" in source
    assert {"http", "ssh", "domain", "smtp", "nicname", "www"} <= set(names) and len(names) > 250
    assert len(names) == len(set(names))


def test_small_keeps_only_netbase_services(capsys: Any, store_path: Path, tmp_path: Path) -> None:
    from portreg.services.exports import netbase_names

    code, text, err = export(capsys, store_path, tmp_path / "small", "--profile", "small")
    assert code == 0, err
    listed = {n.lower() for n in netbase_names()[2]}
    lines = entries(text)
    assert 300 < len(lines) < 1000
    assert all(line[0].lower() in listed for line in lines)
    assert ["ssh", "22/tcp"] in lines and ["domain", "53/udp"] in lines and ["nicname", "43/tcp"] in lines
    top = header(text)
    assert "# Updated: 2024-03-18" in top
    profile = next(line for line in top if line.startswith("# Profile: small"))
    assert "netbase 6.4" in profile and "salsa.debian.org" in profile
    left_out = next(line for line in top if line.startswith("# Left out as the profile asks:"))
    assert int(left_out.split(":")[1].split()[0]) > 12_000
    missing = top.index(next(line for line in top if line.startswith("# Names the profile lists that this registry does not hold")))
    assert "whois" in " ".join(top[missing:])  # netbase's name for IANA's nicname


def test_full_is_the_default(capsys: Any, store_path: Path, tmp_path: Path) -> None:
    _, full, _ = export(capsys, store_path, tmp_path / "full", "--profile", "full")
    _, default, _ = export(capsys, store_path, tmp_path / "default")
    assert full == default and len(entries(full)) > 11_000
    assert "# Profile: full (every named record services(5) can hold)" in header(full)


def test_local_is_empty_and_says_why(capsys: Any, store_path: Path, tmp_path: Path) -> None:
    code, text, err = export(capsys, store_path, tmp_path / "local", "--profile", "local")
    assert code == 0 and entries(text) == []
    assert "holds no local registry" in err
    top = header(text)
    assert any("holds no local registry" in line for line in top)
    assert any(line.startswith("# Left out as the profile asks:") and "upstream registry (IANA's)" in line for line in top)


def test_a_users_list_of_names(capsys: Any, store_path: Path, tmp_path: Path) -> None:
    names = tmp_path / "mine.txt"
    names.write_text("# our services\nPostgreSQL ssh\nwarmspotmgmt  # mixed case in the registry\nno-such-service\n")
    code, text, err = export(capsys, store_path, tmp_path / "mine", "--profile", f"names:{names}")
    assert code == 0, err
    assert {line[0] for line in entries(text)} == {"postgresql", "ssh", "warmspotMgmt"}
    assert ["warmspotMgmt", "1074/tcp", "warmspotmgmt"] in entries(text)
    top = header(text)
    assert f"# Profile: names (the 4 names listed in {names})" in top
    assert top[-1] == "#   no-such-service"


def test_bad_profiles_are_one_line(capsys: Any, store_path: Path, tmp_path: Path) -> None:
    code, _, err = export(capsys, store_path, tmp_path / "x", "--profile", "tiny")
    assert code != 0 and "tiny" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, _, err = export(capsys, store_path, tmp_path / "x", "--profile", f"names:{tmp_path / 'absent.txt'}")
    assert code != 0 and "absent.txt" in err and len(err.strip().splitlines()) == 1
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    code, _, err = export(capsys, store_path, tmp_path / "x", "--profile", f"names:{empty}")
    assert code != 0 and "lists no service names" in err
    code, _, err = run(capsys, "--db", sqlite_url(store_path), "export", "--format", "csv", "--profile", "small")
    assert code == 2 and "--format services" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("profile", ["small", "local", "full"])
def test_the_download_takes_the_profile_as_export_does(
    client: Any, capsys: Any, store_path: Path, tmp_path: Path, profile: str
) -> None:
    _, text, _ = export(capsys, store_path, tmp_path / profile, "--profile", profile)
    response = client.get(DOWNLOAD, params={"profile": profile})
    assert response.status_code == 200 and response.text == text
    if profile != "full":
        assert response.headers["etag"] != client.get(DOWNLOAD).headers["etag"]
        assert profile in response.headers["etag"]


def test_the_download_refuses_a_profile_it_cannot_serve(client: Any) -> None:
    assert client.get(DOWNLOAD, params={"profile": "names:/etc/passwd"}).status_code == 400
    assert client.get(DOWNLOAD, params={"profile": "tiny"}).status_code == 400
    csv = client.get(DOWNLOAD.replace(".services", ".csv"), params={"profile": "small"})
    assert csv.status_code == 400 and ".services" in csv.text


def test_the_registry_page_offers_the_small_profile(client: Any) -> None:
    import lxml.html

    doc = lxml.html.fromstring(client.get("/").text)
    links = {a.text_content(): a.get("href") for a in doc.cssselect("dd.formats a")}
    assert links["services(5)"] == DOWNLOAD
    assert links["services(5), small"] == DOWNLOAD + "?profile=small"
    assert client.get(links["services(5), small"]).status_code == 200

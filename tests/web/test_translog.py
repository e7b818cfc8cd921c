"""The log over HTTP, and ``portreg verify`` catching a server whose database was tampered with.

In process for the API's shapes; a real ``portreg serve`` on loopback for verify, with
the database edited behind the server's back (and the server restarted, as an attacker
would, so that no cache of the server's hides the edit).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from tests.support.cli import run
from tests.support.web import serving, sqlite_url

from portreg.model import Registry, Text
from portreg.services import translog
from portreg.services.translog import merkle
from portreg.services.translog.signing import SignedTreeHead, public_key_from_pem
from portreg.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def small_versions(registry: Registry) -> list[Registry]:
    """Four small versions: records added, and the first record's description changed in the third."""
    base = dataclasses.replace(registry, records=registry.records[:40], people=registry.people[:20])
    out = []
    for i in range(4):
        records = list(base.records[: 30 + i])
        if i >= 2:
            records[0] = dataclasses.replace(records[0], description=Text.of("Changed in version 3"))
        out.append(dataclasses.replace(base, records=tuple(records), updated=f"2024-02-{i + 1:02d}"))
    return out


def fill(path: Path, registries: list[Registry]) -> str:
    url = sqlite_url(path)
    with Store.open(url) as store:
        for i, registry in enumerate(registries):
            store.import_registry(registry, source=f"v{i + 1}.xml", actor="tester")
    return url


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, current_registry: Registry) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.web import create_app

    directory = tmp_path_factory.mktemp("logweb")
    url = fill(directory / "store.db", small_versions(current_registry))
    with Store.open(url) as store:
        translog.catch_up(store)
        app = create_app(store=store, log_key=directory / "key.pem")
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client


def test_the_head_is_signed_by_the_published_key(client: Any) -> None:
    head = client.get("/api/v1/log/head")
    assert head.status_code == 200
    signed = SignedTreeHead.from_json(head.json())
    assert signed.size == 4
    key = client.get("/.well-known/portreg-log-key")
    assert key.status_code == 200 and key.text.startswith("-----BEGIN PUBLIC KEY-----")
    assert signed.verify(public_key_from_pem(key.text))
    assert head.json()["checkpoint"].splitlines()[:2] == ["portreg", "4"]


def test_entries_make_the_signed_root(client: Any) -> None:
    head = SignedTreeHead.from_json(client.get("/api/v1/log/head").json())
    body = client.get("/api/v1/log/entries", params={"start": 0}).json()
    leaves = [e["leaf"].encode() for e in body["entries"]]
    assert [json.loads(leaf)["number"] for leaf in leaves] == [1, 2, 3, 4]
    assert merkle.root([merkle.leaf_hash(leaf) for leaf in leaves]) == head.root


def test_every_version_has_a_proof_that_verifies(client: Any) -> None:
    head = SignedTreeHead.from_json(client.get("/api/v1/log/head").json())
    for version in range(1, 5):
        body = client.get("/api/v1/log/inclusion", params={"version": version}).json()
        path = [bytes.fromhex(h) for h in body["audit_path"]]
        assert merkle.verify_inclusion(merkle.leaf_hash(body["leaf"].encode()), body["leaf_index"], 4, path, head.root)
    entries = client.get("/api/v1/log/entries").json()["entries"]
    first_two = merkle.root([bytes.fromhex(e["leaf_hash"]) for e in entries[:2]])
    proof = [bytes.fromhex(h) for h in client.get("/api/v1/log/consistency", params={"first": 2}).json()["proof"]]
    assert merkle.verify_consistency(2, 4, first_two, head.root, proof)


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        ("/api/v1/log/inclusion", {}, 400, "version"),
        ("/api/v1/log/inclusion", {"version": "x"}, 400, "version"),
        ("/api/v1/log/inclusion", {"version": "²"}, 400, "version"),
        ("/api/v1/log/inclusion", {"version": "99"}, 404, None),
        ("/api/v1/log/inclusion", {"version": "1", "tree_size": "9"}, 400, "tree_size"),
        ("/api/v1/log/consistency", {"first": "3", "second": "2"}, 400, "first"),
        ("/api/v1/log/consistency", {"first": "-1"}, 400, "first"),
        ("/api/v1/log/entries", {"start": "2", "end": "1"}, 400, "end"),
        ("/api/v1/log/head", {"x": "1"}, 400, "x"),
    ],
)
def test_bad_questions_are_400s_naming_the_parameter(client: Any, path: str, params: dict[str, str], status: int, parameter: str | None) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error.get("parameter") == parameter


def test_the_head_answers_304_to_its_etag(client: Any) -> None:
    first = client.get("/api/v1/log/head")
    again = client.get("/api/v1/log/head", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_the_footer_shows_the_tree_head(client: Any) -> None:
    head = client.get("/api/v1/log/head").json()
    page = client.get("/")
    assert page.status_code == 200
    assert "Transparency log: 4 versions" in page.text
    assert head["root_hash"][:16] in page.text and head["key_id"] in page.text


# ------------------------------------------------------------------ portreg verify against a real server


def _wait_for_log(base: str, size: int, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(base + "/api/v1/log/head", timeout=5)
        if response.status_code == 200 and response.json()["tree_size"] >= size:
            return
        time.sleep(0.2)
    raise AssertionError(f"the server's log did not reach {size} leaves")


def _verify(capsys: pytest.CaptureFixture[str], base: str, cache: Path, *more: str) -> tuple[int, dict[str, Any]]:
    code, out, _err = run(capsys, "verify", base, "--cache", str(cache), "--json", *more)
    return code, json.loads(out)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, current_registry: Registry) -> tuple[Path, Path, list[Registry]]:
    """A store of four versions served once, and the verifier's cache of that first visit."""
    directory = tmp_path_factory.mktemp("verify")
    registries = small_versions(current_registry)
    fill(directory / "store.db", registries)
    return directory / "store.db", directory / "cache", registries


@pytest.mark.slow
def test_verify_passes_on_an_honest_server_and_after_it_grows(clean: tuple[Path, Path, list[Registry]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, _, registries = clean
    shutil.copyfile(db, tmp_path / "store.db")
    url = sqlite_url(tmp_path / "store.db")
    with serving(url) as (base, _proc):
        _wait_for_log(base, 4)
        code, report = _verify(capsys, base, tmp_path / "cache")
        assert code == 0, report
        assert report["head"]["tree_size"] == 4 and report["content_checked"] == 4
        with Store.open(url) as store:  # a new version, published as usual while the server runs
            store.import_registry(dataclasses.replace(registries[-1], updated="2024-03-01"), source="v5.xml")
        _wait_for_log(base, 5)
        code, report = _verify(capsys, base, tmp_path / "cache")
        assert code == 0, report
        assert report["previous_size"] == 4 and report["versions_included"] == 4
        assert report["content_checked"] == 1  # only the new version's XML, by default


def _tampered(
    clean: tuple[Path, Path, list[Registry]], tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: list[str], *more: str
) -> dict[str, Any]:
    """Serve the clean store, verify (pinning its head), then edit the database, restart
    the server at the same address and verify again; return the second report, which must fail."""
    from tests.support import web as _web

    db, _, _ = clean
    port = _web.free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_web, "free_port", lambda: port)  # the verifier knows a log by its URL
        return _tamper_and_verify(db, tmp_path, capsys, sql, more)


def _tamper_and_verify(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: list[str], more: tuple[str, ...]) -> dict[str, Any]:
    shutil.copyfile(db, tmp_path / "store.db")
    url = sqlite_url(tmp_path / "store.db")
    with serving(url) as (base, _proc):
        _wait_for_log(base, 4)
        code, report = _verify(capsys, base, tmp_path / "cache")
        assert code == 0, report
    with sqlite3.connect(tmp_path / "store.db") as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        for statement in sql:
            conn.execute(statement)
    with serving(url) as (base, _proc):
        _wait_for_log(base, 1)
        code, report = _verify(capsys, base, tmp_path / "cache", *more)
    assert code == 3, report
    assert not report["ok"]
    return report


@pytest.mark.slow
def test_verify_catches_a_rewritten_version(clean: tuple[Path, Path, list[Registry]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The first record's description as versions 1 and 2 held it (a row closed by version 3).
    report = _tampered(
        clean,
        tmp_path,
        capsys,
        [
            "UPDATE record_bodies SET body = replace(body, 'e', 'E') WHERE row_id IN "
            "(SELECT row_id FROM record_revisions WHERE valid_to = 3)"
        ],
        "--content",
        "all",
    )
    assert any("version 1's XML does not hash" in p for p in report["problems"])
    assert any("version 2's XML does not hash" in p for p in report["problems"])
    assert not any("version 4" in p for p in report["problems"])


@pytest.mark.slow
def test_verify_catches_a_dropped_version(clean: tuple[Path, Path, list[Registry]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _tampered(clean, tmp_path, capsys, ["DELETE FROM versions WHERE number = 2"])
    assert any("version 2 is in the log" in p and "dropped" in p for p in report["problems"])


@pytest.mark.slow
def test_verify_catches_a_rewritten_log(clean: tuple[Path, Path, list[Registry]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Whoever edits a version and its leaf alike gets a log whose head no longer extends the old one."""
    forged = translog.canonical_json({"kind": "version", "number": 2, "published": "2024-02-02", "source": "v2.xml", "actor": "tester", "xml_sha256": "0" * 64})
    report = _tampered(
        clean,
        tmp_path,
        capsys,
        [f"UPDATE log_entries SET leaf = '{forged.decode()}', leaf_hash = '{merkle.leaf_hash(forged).hex()}' WHERE version = 2"],
    )
    assert any("rewritten" in p for p in report["problems"])
    assert any("does not extend" in p for p in report["problems"]), report["problems"]

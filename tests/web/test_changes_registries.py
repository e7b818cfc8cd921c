"""/changes, its feeds, diffs and the log of a store with a local registry, over a real
``portreg serve`` on loopback; ``portreg diff`` and ``portreg verify`` from the command line.

The store: iana v1, acme v2, iana v3, acme v4, iana v5 (``tests.support.interleaved``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from portreg.model import Registry
from portreg.store import Store
from tests.support.cli import rows, run
from tests.support.interleaved import interleave
from tests.support.web import serving, sqlite_url

feedparser = pytest.importorskip("feedparser")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, current_registry: Registry) -> Iterator[tuple[str, str, Path]]:
    """(base URL, store URL, key path) of a running server over the interleaved store, its log caught up."""
    directory = tmp_path_factory.mktemp("changes-registries")
    url = sqlite_url(directory / "store.db")
    with Store.open(url) as store:
        interleave(store, current_registry)
    key = directory / "key.pem"
    with serving(url, "--log-key", str(key), "--init-from", "none") as (base, _proc):
        deadline = time.monotonic() + 60
        while httpx.get(base + "/api/v1/log/head").json().get("tree_size", 0) < 5:
            assert time.monotonic() < deadline, "the server's log did not catch up"
            time.sleep(0.2)
        yield base, url, key


def test_the_changes_page_lists_every_registry_and_names_each(served: tuple[str, str, Path]) -> None:
    base, _, _ = served
    page = httpx.get(base + "/changes")
    assert page.status_code == 200
    text = page.text
    assert "5 versions of 2 registries" in text
    for number in (5, 4, 3, 2, 1):
        assert f'id="v{number}"' in text
    assert text.index('id="v5"') < text.index('id="v4"') < text.index('id="v1"')
    assert 'class="badge registry-local" title="published by registry acme">acme</span>' in text
    assert 'href="/changes/2..4"' in text and 'href="/changes/3..5"' in text and 'href="/changes/1..3"' in text
    assert 'href="/changes?registry=acme"' in text


def test_registry_narrows_the_page(served: tuple[str, str, Path]) -> None:
    base, _, _ = served
    text = httpx.get(base + "/changes", params={"registry": "acme"}).text
    assert "<h1>Changes to acme</h1>" in text
    assert 'id="v4"' in text and 'id="v2"' in text and 'id="v3"' not in text and 'id="v5"' not in text
    assert 'href="/changes.atom?registry=acme"' in text
    assert '<link rel="alternate" type="application/atom+xml" href="/changes.atom?registry=acme"' in text
    iana = httpx.get(base + "/changes", params={"registry": "iana"}).text
    assert 'id="v5"' in iana and 'id="v4"' not in iana
    missing = httpx.get(base + "/changes", params={"registry": "acne"})
    assert missing.status_code == 404 and "holds no registry" in missing.text
    bad = httpx.get(base + "/changes.atom", params={"registry": "ACME"})
    assert bad.status_code == 400 and "cannot name a registry" in bad.text


def test_the_feeds_name_the_registry(served: tuple[str, str, Path]) -> None:
    base, _, _ = served
    atom = feedparser.parse(httpx.get(base + "/changes.atom").content)
    assert not atom.bozo
    titles = [e.title for e in atom.entries]
    assert titles[0].startswith("Version 5 (") and titles[1] == "Version 4 of acme: 1 added, 1 changed"
    assert atom.entries[1].link == base + "/changes/2..4"
    assert atom.entries[3].link == base + "/changes?registry=acme"  # acme's first version
    assert [t.term for t in atom.entries[1].tags] == ["acme"]
    only = feedparser.parse(httpx.get(base + "/changes.atom", params={"registry": "acme"}).content)
    assert [e.title.split(":")[0] for e in only.entries] == ["Version 4 of acme", "Version 2 of acme"]
    assert only.feed.title == "portreg: changes to acme"
    body = httpx.get(base + "/changes.json").json()
    assert [(i["_portreg"]["version"], i["_portreg"]["registry"]) for i in body["items"]] == [
        (5, "iana"),
        (4, "acme"),
        (3, "iana"),
        (2, "acme"),
        (1, "iana"),
    ]


def test_a_port_feed_of_the_local_registry(served: tuple[str, str, Path]) -> None:
    base, _, _ = served
    body = httpx.get(base + "/port/20100/changes.json").json()
    assert [i["_portreg"]["version"] for i in body["items"]] == [4, 2]
    assert body["items"][0]["_portreg"]["changes"][0]["record"] == "acme-sync 20100/tcp"
    assert httpx.get(base + "/port/20100/changes.json", params={"registry": "iana"}).json()["items"] == []
    page = httpx.get(base + "/port/20100", params={"registry": "acme"})
    assert page.status_code == 200
    assert "Changes to port 20100 in acme" in page.text
    assert 'href="/port/20100/changes.atom?registry=acme"' in page.text
    assert 'type="application/atom+xml" href="/port/20100/changes.atom?registry=acme"' in page.text
    ranged = feedparser.parse(httpx.get(base + "/port/20000-20999/changes.atom", params={"registry": "acme"}).content)
    assert ranged.feed.title == "portreg: changes to ports 20000-20999 in acme" and len(ranged.entries) == 2


def test_diffs_of_a_local_registry(served: tuple[str, str, Path]) -> None:
    base, _, _ = served
    page = httpx.get(base + "/changes/2..4")
    assert page.status_code == 200
    assert '<span class="badge registry-local">acme</span>' in page.text and "acme-new" in page.text
    assert 'rel="prev"' not in page.text and 'rel="next"' not in page.text  # acme has no version before 2, after 4
    iana = httpx.get(base + "/changes/1..3").text
    assert 'rel="next" href="/changes/3..5"' in iana
    latest = httpx.get(base + "/changes/latest..latest", params={"registry": "acme"}, follow_redirects=False)
    assert latest.status_code == 302 and latest.headers["location"] == "/changes/4..4"
    for number, where in ((5, "/changes/3..5"), (4, "/changes/2..4"), (2, "/changes?registry=acme"), (1, "/changes")):
        step = httpx.get(base + f"/changes/{number}", follow_redirects=False)
        assert (step.status_code, step.headers["location"]) == (302, where), number
    assert httpx.get(base + "/changes/99").status_code == 404
    mixed = httpx.get(base + "/changes/1..2")
    assert mixed.status_code == 400 and "version 1 is iana" in mixed.text
    api = httpx.get(base + "/api/v1/changes/2..4")
    assert api.status_code == 200 and api.json()["registry"] == "acme" and api.json()["counts"]["added"] == 1
    assert "registry" not in httpx.get(base + "/api/v1/changes/1..3").json()  # IANA's diffs unchanged
    stacked = httpx.get(base + "/api/v1/changes/latest..latest", params={"registry": "stack"})
    assert stacked.status_code == 200 and stacked.json()["to"]["number"] == 5  # dates and latest: IANA's
    error = httpx.get(base + "/api/v1/changes/latest..latest", params={"registry": "Acme"})
    assert error.status_code == 400 and error.json()["error"]["parameter"] == "registry"


def test_verify_over_http_checks_the_local_registry(
    served: tuple[str, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _, _ = served
    code, out, err = run(capsys, "verify", base, "--cache", str(tmp_path / "cache"), "--json", "--content", "all")
    assert out, err
    report = json.loads(out)
    assert code == 0 and report["ok"], report
    assert report["content_checked"] == 5 and not report["warnings"]
    assert report["registries"] == {"iana": 3, "acme": 2}
    code, out, _ = run(capsys, "verify", base, "--cache", str(tmp_path / "cache"))
    assert code == 0 and "  versions logged per registry: acme 2, iana 3" in out.splitlines()


def test_the_command_line(served: tuple[str, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, url, key = served
    code, out, _ = run(capsys, "--db", url, "diff", "2", "4", "--json")
    body = json.loads(out)
    assert code == 0 and body["registry"] == "acme" and body["summary"] == "1 added, 1 changed"
    code, out, _ = run(capsys, "--db", url, "diff", "--registry", "acme", "2")
    assert code == 0 and [r[0] for r in rows(out)] == ["added", "changed"]
    code, out, _ = run(capsys, "--db", url, "diff", "3", "5", "--json")
    assert code == 0 and "registry" not in json.loads(out)
    code, _, err = run(capsys, "--db", url, "diff", "1", "2")
    assert code == 2 and "version 1 is iana's and version 2 is acme's" in err
    code, _, err = run(capsys, "--db", url, "diff", "--registry", "acne", "latest")
    assert code == 1 and "holds no registry 'acne'" in err
    code, out, _ = run(capsys, "--db", url, "log", "catch-up", "--json")
    assert code == 0 and json.loads(out) == {"appended": 0, "tree_size": 5}
    code, out, _ = run(
        capsys,
        "verify",
        "--db",
        url,
        "--log-key",
        str(key),
        "--cache",
        str(tmp_path / "c"),
        "--json",
        "--content",
        "all",
    )
    assert code == 0 and json.loads(out)["content_checked"] == 5, out


def test_import_history_fills_iana_only(
    tmp_path: Path, current_registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    import dataclasses

    from portreg.formats import to_bytes
    from tests.support.interleaved import iana_versions

    url = sqlite_url(tmp_path / "store.db")
    with Store.open(url) as store:
        interleave(store, current_registry)
    last = iana_versions(current_registry)[-1]
    for day in (4, 5):
        later = dataclasses.replace(last, records=last.records[: 50 + day], updated=f"2099-01-{day:02d}")
        (tmp_path / f"v{day}.xml").write_bytes(to_bytes(later, "xml"))
    (tmp_path / "old.xml").write_bytes(to_bytes(dataclasses.replace(last, updated="2099-01-01"), "xml"))
    code, out, err = run(capsys, "--db", url, "import-history", str(tmp_path), "--json")
    body = json.loads(out)
    assert code == 0 and body["imported"] == 2 and body["skipped"] == 1, (out, err)
    with Store.open(url) as store:
        assert [v.number for v in store.versions()] == [1, 3, 5, 6, 7]
        assert [v.number for v in store.scoped("acme").versions()] == [2, 4]
    code, out, _ = run(capsys, "--db", url, "diff", "5", "--json")
    assert code == 0 and (json.loads(out)["from"]["number"], json.loads(out)["to"]["number"]) == (5, 7)
    code, out, _ = run(capsys, "--db", url, "log", "catch-up", "--json")
    assert code == 0 and json.loads(out) == {"appended": 7, "tree_size": 7}
    # A local import appends its version's leaf at once, naming the registry.
    from tests.support.overlay import ACME

    (tmp_path / "acme-3.services").write_bytes(ACME + b"acme-x          20400/tcp\n")
    code, _, err = run(capsys, "--db", url, "import", "--registry", "acme", str(tmp_path / "acme-3.services"))
    assert code == 0, err
    with Store.open(url) as store:
        last = store.log.entries()[-1]
        assert last.version == 8 and json.loads(last.leaf)["registry"] == "acme"

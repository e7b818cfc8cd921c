"""The transparency log over a real store (SQLite and PostgreSQL): leaves, catch-up, heads, proofs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from portreg.errors import InvalidQuery, NotFound, StoreError
from portreg.formats import to_bytes
from portreg.model import Registry
from portreg.services import translog
from portreg.services.translog import merkle
from portreg.services.translog.signing import (
    SignedTreeHead,
    load_key,
    public_key_from_pem,
)
from portreg.store import Store


def versions_of(registry: Registry, count: int) -> list[Registry]:
    """``count`` small registries, each a little different from the one before: records
    added, then one changed, one removed, two swapped in the order, a person dropped."""
    from portreg.model import Text

    base = dataclasses.replace(registry, records=registry.records[:40], people=registry.people[:20])
    out = []
    for i in range(count):
        records = list(base.records[: 30 + i])
        people = base.people
        if i >= 2:
            records[3] = dataclasses.replace(records[3], description=Text.of(f"changed in version {i + 1}"))
        if i >= 3:
            del records[7]
        if i == 4:
            records[10], records[11] = records[11], records[10]
            people = people[1:]
        out.append(dataclasses.replace(base, records=tuple(records), people=people, updated=f"2024-01-{i + 1:02d}"))
    return out


@pytest.fixture
def filled(store_url: str, current_registry: Registry) -> Store:
    store = Store.open(store_url)
    for i, registry in enumerate(versions_of(current_registry, 5)):
        store.import_registry(registry, source=f"file-{i}.xml", actor="tester")
    yield store
    store.close()


def test_imports_write_no_leaf_and_catch_up_logs_every_version_in_order(filled: Store) -> None:
    assert filled.log.size() == 0
    assert filled.log.unlogged_versions() == [1, 2, 3, 4, 5]
    seen: list[tuple[int, int]] = []
    assert translog.catch_up(filled, progress=lambda done, total: seen.append((done, total))) == 5
    assert seen[-1] == (5, 5)
    entries = filled.log.entries()
    assert [(e.index, e.kind, e.version) for e in entries] == [(i, "version", i + 1) for i in range(5)]
    assert translog.catch_up(filled) == 0  # nothing left to do


def test_a_leaf_names_the_version_and_hashes_its_canonical_xml(filled: Store) -> None:
    translog.catch_up(filled)
    entry = filled.log.entry_of_version(3)
    assert entry is not None
    leaf = json.loads(entry.leaf)
    xml = to_bytes(filled.registry(3), "xml")
    assert leaf == {
        "kind": "version",
        "number": 3,
        "published": "2024-01-03",
        "source": "file-2.xml",
        "actor": "tester",
        "xml_sha256": hashlib.sha256(xml).hexdigest(),
    }
    assert entry.leaf == translog.canonical_json(leaf)  # sorted keys, no spaces
    assert entry.leaf_hash == hashlib.sha256(b"\x00" + entry.leaf).digest()


def test_leaves_made_from_the_version_before_equal_leaves_rebuilt_from_scratch(filled: Store) -> None:
    """catch_up makes each version from the one before (history.apply); a rebuild must agree."""
    translog.catch_up(filled)
    for entry in filled.log.entries():
        assert entry.version is not None
        filled._cache.clear()
        assert entry.leaf == translog.version_leaf(filled, entry.version)


def test_proofs_from_the_store_verify(filled: Store, tmp_path: Path) -> None:
    translog.catch_up(filled)
    log = translog.TransparencyLog(filled, load_key(tmp_path / "key.pem"))
    head = log.signed_head()
    assert head.size == 5 and head.root == merkle.root([e.leaf_hash for e in filled.log.entries()])
    assert head.verify(public_key_from_pem(log.key.public_pem))
    for number in range(1, 6):
        proof = log.inclusion(number)
        assert merkle.verify_inclusion(proof.entry.leaf_hash, proof.entry.index, 5, proof.path, head.root)
    for first in range(6):
        assert merkle.verify_consistency(first, 5, log.root(first), head.root, log.consistency(first))
    older = log.inclusion(2, tree_size=3)
    assert merkle.verify_inclusion(older.entry.leaf_hash, 1, 3, older.path, log.root(3))


def test_bad_questions_name_their_parameter(filled: Store, tmp_path: Path) -> None:
    translog.catch_up(filled)
    log = translog.TransparencyLog(filled)
    with pytest.raises(InvalidQuery) as error:
        log.consistency(4, 2)
    assert error.value.parameter == "first"
    with pytest.raises(InvalidQuery) as error:
        log.inclusion(1, tree_size=99)
    assert error.value.parameter == "tree_size"
    with pytest.raises(InvalidQuery):
        log.inclusion(5, tree_size=3)  # leaf 4 is not in the first 3
    with pytest.raises(NotFound):
        log.inclusion(42)


def test_a_version_not_yet_logged_is_said_so(store_url: str, current_registry: Registry) -> None:
    with Store.open(store_url) as store:
        store.import_registry(versions_of(current_registry, 1)[0], source="x")
        with pytest.raises(NotFound, match="not in the log yet"):
            translog.TransparencyLog(store).inclusion(1)


def test_the_log_only_grows(filled: Store) -> None:
    translog.catch_up(filled)
    log = translog.TransparencyLog(filled)
    first = log.root()
    from portreg.errors import Conflict
    from portreg.store._translog import NewLeaf

    with pytest.raises(Conflict):  # an append computed for an older size is refused whole
        filled.log.append([NewLeaf("version", None, b"{}", merkle.leaf_hash(b"{}"))], at=3)
    assert log.root() == first


def test_the_key_is_made_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "log-key.pem"
    key = load_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = load_key(path)
    assert again.key_id == key.key_id and again.public_pem == key.public_pem
    with pytest.raises(StoreError):
        load_key(tmp_path / "absent.pem", create=False)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(StoreError, match="PEM"):
        load_key(tmp_path / "junk.pem")


def test_a_signed_head_survives_json_and_fails_when_altered(tmp_path: Path) -> None:
    key = load_key(tmp_path / "key.pem")
    public = public_key_from_pem(key.public_pem)
    head = SignedTreeHead.sign(key, 7, merkle.leaf_hash(b"x"), 1234)
    back = SignedTreeHead.from_json(json.loads(json.dumps(head.to_json())))
    assert back == head and back.verify(public)
    assert not dataclasses.replace(head, size=8).verify(public)
    assert not dataclasses.replace(head, root=merkle.leaf_hash(b"y")).verify(public)
    other = public_key_from_pem(load_key(tmp_path / "other.pem").public_pem)
    assert not head.verify(other)


def test_watch_queries_find_the_versions_that_changed_a_record(filled: Store, current_registry: Registry) -> None:
    """On both databases: version 3 changed record 3 (its description), versions 2-5 added records."""
    changed = versions_of(current_registry, 5)[2].records[3]
    assert changed.port is not None and changed.name
    on_port = filled.watches.ports(changed.port.low, changed.port.low)
    assert 3 in {v for v, _ in on_port} and 2 not in {v for v, _ in on_port}
    assert {v for v, _ in filled.watches.name(changed.name.upper())} == {v for v, _ in on_port}
    assert filled.watches.ports(65000, 65100) == []


def test_verify_db_and_the_log_commands(tmp_path: Path, current_registry: Registry, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    from tests.support.cli import run

    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store.open(url) as store:
        for i, registry in enumerate(versions_of(current_registry, 3)):
            store.import_registry(registry, source=f"file-{i}.xml")
    key = str(tmp_path / "key.pem")
    code, out, _ = run(capsys, "--db", url, "log", "catch-up", "--json")
    assert code == 0 and json.loads(out) == {"appended": 3, "tree_size": 3}
    code, _, err = run(capsys, "--db", url, "log", "head", "--log-key", key)
    assert code == 8 and "does not exist" in err  # StoreError  # the key is the server's: made on its first start
    load_key(key)
    code, out, _ = run(capsys, "--db", url, "log", "head", "--log-key", key)
    assert code == 0 and out.splitlines()[:2] == ["portreg", "3"]
    cache = str(tmp_path / "cache")
    code, out, _ = run(capsys, "verify", "--db", url, "--log-key", key, "--cache", cache, "--json")
    assert code == 0 and json.loads(out)["content_checked"] == 3
    with sqlite3.connect(tmp_path / "store.db") as conn:  # rewrite what version 1 held of record 4
        conn.execute(
            "UPDATE record_bodies SET body = replace(body, 'a', 'A') WHERE row_id IN "
            "(SELECT row_id FROM record_revisions WHERE valid_from = 1 AND valid_to IS NOT NULL)"
        )
    code, out, _ = run(capsys, "verify", "--db", url, "--log-key", key, "--cache", cache, "--json")
    assert code == 0  # by default only versions not checked before are hashed again (and the current one)
    code, out, _ = run(capsys, "verify", "--db", url, "--log-key", key, "--cache", cache, "--json", "--content", "all")
    report = json.loads(out)
    assert code == 3 and any("version 1's XML does not hash" in p for p in report["problems"]), report
    code, _, err = run(capsys, "verify")
    assert code == 2 and "one of them" in err


def test_an_import_logs_its_version_but_leaves_a_whole_history_to_catch_up(
    tmp_path: Path, current_registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.cli import run

    from portreg.formats import to_bytes

    url = f"sqlite:///{tmp_path / 'store.db'}"
    files = []
    for i, registry in enumerate(versions_of(current_registry, 8)):
        files.append(tmp_path / f"v{i}.xml")
        files[-1].write_bytes(to_bytes(registry, "xml"))
    code, _, err = run(capsys, "--db", url, "import", str(files[0]))
    assert code == 0 and "transparency log" not in err
    with Store.open(url) as store:
        assert store.log.size() == 1
    code, _, err = run(capsys, "--db", url, "import", *map(str, files[1:]))
    assert code == 0 and "7 versions are not in the transparency log yet" in err
    with Store.open(url) as store:
        assert store.log.size() == 1

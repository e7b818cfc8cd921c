"""The transparency log of a store holding a local registry beside IANA's (SQLite and PostgreSQL).

Version numbers are one sequence over every registry, so the log is one log: IANA's
leaves stay as they were (no ``registry`` key), a local version's leaf names its
registry and hashes that registry's XML, and ``verify`` checks both.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from portreg.errors import NotFound
from portreg.formats import to_bytes
from portreg.model import Registry
from portreg.services import translog
from portreg.services.translog.signing import load_key
from portreg.services.translog.verify import StoreSource, verify
from portreg.store import Store
from tests.support.interleaved import interleave
from tests.support.overlay import acme_registry


@pytest.fixture
def interleaved(store_url: str, current_registry: Registry) -> Any:
    """iana v1, acme v2, iana v3, acme v4, iana v5: the registries' versions interleave."""
    store = Store.open(store_url)
    interleave(store, current_registry)
    yield store
    store.close()


def test_one_log_over_both_registries_in_version_order(interleaved: Store) -> None:
    assert interleaved.log.unlogged() == [(1, "iana"), (2, "acme"), (3, "iana"), (4, "acme"), (5, "iana")]
    assert translog.catch_up(interleaved) == 5
    assert translog.pending(interleaved) == 0
    leaves = [json.loads(e.leaf) for e in interleaved.log.entries()]
    assert [(leaf["number"], leaf.get("registry")) for leaf in leaves] == [
        (1, None),
        (2, "acme"),
        (3, None),
        (4, "acme"),
        (5, None),
    ]
    # IANA's leaves are exactly what they were before stores held local registries.
    assert set(leaves[0]) == {"kind", "number", "published", "source", "actor", "xml_sha256"}
    assert leaves[1]["source"] == "acme.services"
    acme = interleaved.scoped("acme")
    for number, scope in ((1, interleaved), (2, acme), (3, interleaved), (4, acme), (5, interleaved)):
        # Made from the registry's own previous version (never from another registry's),
        # each leaf hashes the XML of its whole version, rebuilt from scratch.
        expected = hashlib.sha256(to_bytes(scope.registry(number), "xml")).hexdigest()
        assert leaves[number - 1]["xml_sha256"] == expected, number
    assert leaves[3]["source"] == "acme-2.services" and leaves[3]["actor"] == "ops"


def test_inclusion_of_a_local_version_and_unknown_versions(interleaved: Store, tmp_path: Path) -> None:
    log = translog.TransparencyLog(interleaved, load_key(tmp_path / "key.pem"))
    with pytest.raises(NotFound, match="version 4 is not in the log yet"):
        log.inclusion(4)
    translog.catch_up(interleaved)
    proof = log.inclusion(4)
    assert proof.entry.index == 3 and json.loads(proof.entry.leaf)["registry"] == "acme"
    with pytest.raises(NotFound, match="no version 6"):
        log.inclusion(6)


def test_verify_checks_the_local_registry_too(interleaved: Store, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    load_key(key)
    cache = tmp_path / "cache"
    translog.catch_up(interleaved)
    report = verify(StoreSource(interleaved, key), cache_dir=cache, content="all")
    assert report.ok, report.problems
    assert report.content_checked == 5 and not report.warnings

    # A new local version not logged yet is a warning, named with its registry's number.
    acme = interleaved.scoped("acme")
    acme.import_registry(acme_registry(), source="acme-3.services", actor="ops")
    report = verify(StoreSource(interleaved, key), cache_dir=cache)
    assert report.ok and report.warnings == ["1 published version(s) not in the log yet: 6"]
    translog.catch_up(interleaved)
    report = verify(StoreSource(interleaved, key), cache_dir=cache)
    assert report.ok and report.included == 5
    # The current version of each registry is hashed again at every run, and the new one.
    assert report.content_checked == 2


def test_verify_finds_a_rewritten_local_version(interleaved: Store, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    load_key(key)
    translog.catch_up(interleaved)
    assert verify(StoreSource(interleaved, key), cache_dir=tmp_path / "cache", content="all").ok
    with interleaved.transaction() as tx:  # acme's version 2 said something else of acme-sync
        tx.execute(
            "UPDATE record_bodies SET body = replace(body, 'acme', 'ACME') WHERE row_id IN "
            "(SELECT row_id FROM record_revisions WHERE registry = 'acme' AND valid_from = 2 AND valid_to IS NOT NULL)"
        )
    interleaved.scoped("acme")._cache.clear()
    report = verify(StoreSource(interleaved, key), cache_dir=tmp_path / "cache", content="all")
    assert not report.ok
    assert report.problems == [
        "version 2 of acme's XML does not hash to its leaf's xml_sha256: its content was rewritten"
    ], report.problems


def test_a_version_moved_to_another_registry_fails_verification(interleaved: Store, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    load_key(key)
    translog.catch_up(interleaved)
    assert verify(StoreSource(interleaved, key), cache_dir=tmp_path / "cache", content="none").ok
    with interleaved.transaction() as tx:
        tx.execute("UPDATE versions SET registry = 'iana' WHERE number = 4")
    report = verify(StoreSource(interleaved, key), cache_dir=tmp_path / "cache", content="none")
    assert report.problems == [
        "version 4 is published by registry iana, its leaf says acme: moved between registries"
    ], report.problems

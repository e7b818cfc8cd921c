"""One suggestion function for every "not found"."""

from __future__ import annotations

NAMES = ["http", "https", "http-alt", "www-http", "postgresql", "kerberos", "kerberos-adm", "ssh"]


def test_typos_and_case_find_the_name() -> None:
    from portreg.services.suggest import suggest

    assert suggest("htpp", NAMES)[0] == "http"  # two letters swapped: first
    assert suggest("KERBROS", NAMES)[0] == "kerberos"
    assert "postgresql" in suggest("postgres", NAMES)  # a prefix
    assert suggest("", NAMES) == [] and suggest("zzzzzz", NAMES) == []
    assert len(suggest("http", NAMES, limit=2)) == 2


def test_an_empty_store_is_one_error(tmp_path: object) -> None:
    import pytest

    from portreg.errors import EmptyStore
    from portreg.services import open_store
    from portreg.services.query import Query

    with open_store(f"sqlite:///{tmp_path}/empty.sqlite3") as store:
        with pytest.raises(EmptyStore):
            store.registry()
        with pytest.raises(EmptyStore):
            Query(store).current_version()

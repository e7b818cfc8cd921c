"""The stack: local registry ``acme`` over IANA's real registry, answered as one.

Every answer holds the rows of both registries, local first, each naming its source;
``registry`` narrows to one; a version number of the store's one sequence stands for
the whole stack; a store without a local registry answers exactly as before.
On SQLite and PostgreSQL, with the real registry.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from portreg.errors import InvalidQuery, NotFound
from tests.support.overlay import ACME, acme_registry


@pytest.fixture()
def store(stacked: str) -> Iterator[Any]:
    from portreg.services import open_store

    with open_store(stacked) as opened:
        yield opened


def ask(store: Any, registry: str | None = None) -> Any:
    from portreg.services.stack import layers_query

    return layers_query(store, registry)


def pairs(hits: Any) -> list[tuple[str | None, str | None]]:
    return [(h.record.name, h.source) for h in hits]


# --------------------------------------------------------------------------- one-shot queries (indexed SQL)


def test_a_port_shows_the_local_row_first_and_the_upstream_rows_each_naming_its_source(store: Any) -> None:
    answer = ask(store).port(5432)
    assert pairs(answer.hits) == [("acme-db", "acme"), ("postgresql", "iana"), ("postgresql", "iana")]
    assert answer.states["tcp"] == "assigned" and answer.states["sctp"] == "unassigned"
    assert [r["source"] for r in answer.as_json()["records"]] == ["acme", "iana", "iana"]
    assert [r["source"] for r in ask(store).port(20100).as_json()["records"]][:2] == ["acme", "acme"]


def test_registry_narrows_to_one_and_stack_is_every_registry(store: Any) -> None:
    assert pairs(ask(store, "iana").port(5432).hits) == [("postgresql", "iana")] * 2
    assert pairs(ask(store, "acme").port(5432).hits) == [("acme-db", "acme")]
    assert pairs(ask(store, "stack").port(5432).hits) == pairs(ask(store).port(5432).hits)
    assert not ask(store, "acme").port(22).found
    with pytest.raises(NotFound, match=r"no registry 'beta'.*acme, iana"):
        ask(store, "beta")


def test_a_name_over_the_stack_links_aliases_across_registries(store: Any) -> None:
    answer = ask(store).name("WWW", transport="tcp")
    assert pairs(answer.hits)[0] == ("www", "acme")
    assert ("www", "iana") in pairs(answer.hits)
    assert "http" in answer.aliases
    assert pairs(ask(store).name("acme-monitor").hits) == [("acme-monitor", "acme")]
    assert not ask(store, "iana").name("acme-monitor").found


def test_ranked_search_finds_local_records_with_their_source(store: Any) -> None:
    found = ask(store).search("acme-mon", limit=5)
    assert pairs(found.hits)[0] == ("acme-mon", "acme")
    upstream = ask(store, "iana").search("acme-mon", limit=50).hits
    assert all(h.source == "iana" for h in upstream)
    assert "acme-mon" not in {h.record.name for h in upstream}


def test_filtered_pages_run_across_the_layers_in_stack_order(store: Any) -> None:
    iana = ask(store, "iana").search(None, state="assigned", limit=5)
    everything = ask(store).search(None, state="assigned", limit=4, offset=5)
    assert everything.total == iana.total + 7  # every acme record is an assignment
    # Acme's 6th and 7th assignments, then IANA's first two.
    assert [h.source for h in everything.hits] == ["acme", "acme", "iana", "iana"]
    assert [h.id for h in everything.hits[2:]] == [h.id for h in iana.hits[:2]]


def test_a_free_port_is_free_in_every_registry_of_the_stack(store: Any) -> None:
    upstream = set(ask(store, "iana").free(range_class="user", count=65536))
    stacked = set(ask(store).free(range_class="user", count=65536))
    assert upstream - stacked == {20100, 20200}  # acme-sync on tcp and udp, acme-mon on tcp
    assert stacked < upstream


def test_counts_add_up_over_the_stack(store: Any, current_registry: Any) -> None:
    counts = ask(store).stats()
    assert counts.records == len(current_registry.records) + 7
    assert counts.version == 2
    assert ask(store, "acme").stats().records == 7
    assert ask(store, "iana").stats().by_state == ask(store, "iana").stats().by_state


def test_a_version_number_stands_for_the_whole_stack_as_it_was(store: Any) -> None:
    at_one = ask(store).port(5432, version=1)
    assert pairs(at_one.hits) == [("postgresql", "iana")] * 2  # acme had no version yet
    assert pairs(ask(store).port(5432, version=2).hits)[0] == ("acme-db", "acme")
    with pytest.raises(NotFound):
        ask(store, "acme").port(5432, version=1)


def test_a_record_and_its_people_are_found_in_whichever_registry_holds_them(store: Any) -> None:
    query = ask(store)
    acme_db = query.port(5432).hits[0]
    assert query.record(acme_db.id).source == "acme"
    postgres = query.port(5432).hits[1]
    assert [p.id for p in query.people_of([postgres])] == ["Tom_Lane"]
    [answer] = query.people("Tom_Lane")
    assert {h.source for h in answer.hits} == {"iana"}


# --------------------------------------------------------------------------- the web's snapshots


def test_the_service_view_is_the_stack_by_default_with_local_rows_first(stacked: str) -> None:
    from portreg.services.registry import RegistryService
    from portreg.services.stack import StackSnapshot, describe

    with RegistryService.open(stacked) as service:
        view = service.view()
        assert isinstance(view, StackSnapshot) and view.version.number == 2
        assert [h.source for h in view.hits[:7]] == ["acme"] * 7 and view.hits[7].source == "iana"
        assert pairs(view.index.port(5432).hits) == pairs(ask(service.store).port(5432).hits)
        assert view is service.view(), "a stack is composed once per combination of versions"
        about = describe(view)
        assert about["name"] == "stack"
        assert [(layer["name"], layer["version"]) for layer in about["stack"]] == [("acme", 2), ("iana", 1)]
        acme = service.view("acme")
        assert acme.scope == "acme" and [h.record.name for h in acme.index.port(5432).hits] == ["acme-db"]
        iana = service.view("iana")
        assert iana is service.current() and {h.source for h in iana.hits} == {"iana"}
        assert not isinstance(service.view(version=1), StackSnapshot) or [
            layer.name for layer in service.view(version=1).layers  # type: ignore[attr-defined]
        ] == ["iana"]
        with pytest.raises(NotFound):
            service.view("beta")
        query = service.query_for(view)
        assert pairs(query.search("acme-sync", version=view.version.number).hits)[0] == ("acme-sync", "acme")
        source, history = service.record_history_in(view, view.index.port(5432).hits[0].id)
        assert source == "acme" and [span.first for span, _ in history] == [2]


def test_a_store_without_local_registries_answers_as_before(tmp_path: Any) -> None:
    """No source anywhere, the plain snapshot, the single-store query."""
    from portreg.services import open_store
    from portreg.services.registry import RegistryService

    url = f"sqlite:///{tmp_path / 'alone.sqlite3'}"
    with open_store(url) as store:
        store.import_registry(acme_registry(), source="small")
        query = ask(store)
        assert not query.sourced
        hit = query.port(5432).hits[0]
        assert hit.source is None and "source" not in hit.as_json()
        assert ask(store, "iana").sourced is False
    with RegistryService.open(url) as service:
        view = service.view()
        assert view is service.current() and not view.sourced
        assert all(h.source is None for h in view.hits)


def test_an_empty_local_registry_is_left_out_of_the_stack(tmp_path: Any) -> None:
    from portreg.services import open_store
    from portreg.services.registry import RegistryService

    url = f"sqlite:///{tmp_path / 'beta.sqlite3'}"
    with open_store(url) as store:
        store.import_registry(acme_registry(), source="small upstream")
        store.registries.create("beta")
    with RegistryService.open(url) as service:
        assert [layer.name for layer in service.view().layers] == ["iana"]  # type: ignore[attr-defined]
        assert {h.source for h in service.view().hits} == {"iana"}
        with pytest.raises(NotFound, match="registry beta has no version yet"):
            service.view("beta")
    assert ACME  # the fixture text the stack is built from


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("text", "expected"), [(None, None), ("stack", "stack"), (" Stack ", "stack"), ("ACME", "acme"), ("iana", "iana")]
)
def test_a_registry_choice_is_stack_or_a_name(text: str | None, expected: str | None) -> None:
    from portreg.services.stack import parse_registry

    assert parse_registry(text) == expected


@pytest.mark.parametrize("text", ["", "a", "acme!", "-acme", "acme-", "x" * 33, "ácme", "1acme"])
def test_anything_else_is_refused_naming_the_parameter(text: str) -> None:
    from portreg.services.stack import parse_registry

    with pytest.raises(InvalidQuery) as refused:
        parse_registry(text)
    assert refused.value.parameter == "registry"


def test_the_operated_registry_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from portreg.services.stack import operated_registry
    from portreg.store import RegistryInfo

    infos = [RegistryInfo("acme", "local", "ACME", 2, "now"), RegistryInfo("iana", "upstream", "IANA", 0, "then")]
    monkeypatch.delenv("PORTREG_RUNS_REGISTRY", raising=False)
    assert operated_registry(infos) is None
    for value, expected in (("acme", "acme"), ("1", "acme"), ("iana", "iana"), ("beta", None), ("no", None)):
        monkeypatch.setenv("PORTREG_RUNS_REGISTRY", value)
        assert operated_registry(infos) == expected
    monkeypatch.setenv("PORTREG_RUNS_REGISTRY", "yes")
    assert operated_registry(infos[1:]) == "iana"

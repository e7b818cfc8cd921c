"""Helpers for the workflow's tests: a small real registry, accounts of every role, requests.

The registry is the real 2024-03-18 one cut to ports below 1500 and the name-only
entries starting with "a" (a few thousand records, imported in well under a second),
with every person those records name. Accounts are plain values of the accounts
service's shape; the workflow stores only their ids and addresses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from portreg.services import workflow as wf
from portreg.services.workflow import Account


def _account(id: int, email: str, name: str, roles: set[str], groups: set[str] = set()) -> Account:
    return Account(id, email, name, frozenset(roles), frozenset(groups), True)


ALICE = _account(1, "alice@example.com", "Alice Example", {"requester"})
BOB = _account(2, "bob@example.org", "Bob Other", {"requester"})
SAM = _account(3, "sam@registry.example", "Sam Staff", {"staff"})
EVE = _account(4, "eve@experts.example", "Eve Expert", {"expert"}, {"tcp-udp"})
STU = _account(5, "stu@experts.example", "Stu Sctp", {"expert"}, {"sctp"})
DOT = _account(6, "dot@experts.example", "Dot Dccp", {"expert"}, {"dccp", "service-codes"})
IVY = _account(7, "ivy@iesg.example", "Ivy Iesg", {"iesg"})
ACCOUNTS = {"alice": ALICE, "bob": BOB, "sam": SAM, "eve": EVE, "stu": STU, "dot": DOT, "ivy": IVY}

#: Ports free on every transport in the small registry (and in the real one).
FREE = (1491, 2194, 2195, 2196, 2693)


def small_registry(registry: Any) -> Any:
    records = tuple(r for r in registry.records if (r.port is not None and r.port.low < 1500) or (r.port is None and (r.name or "z") < "b"))
    return dataclasses.replace(registry, records=records, people=registry.referenced_people(records))


def template(**fields: Any) -> dict[str, Any]:
    """A complete, valid request for a new user port; ``fields`` override."""
    base: dict[str, Any] = {
        "service_name": "frobnitz",
        "transports": ["tcp", "udp"],
        "assignee": {"name": "Alice Example", "email": "alice@example.com"},
        "contact": "Alice Example <alice@example.com>",
        "description": "Frobnitz remote control",
        "reference": "https://example.com/frobnitz (unicast only)",
        "port": 1491,
        "justification": "devices are found without discovery, so a dynamic port cannot be known",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def drive(store: Any, request_id: int, *steps: tuple[Account, str] | tuple[Account, str, dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for step in steps:
        who, action = step[0], step[1]
        options = step[2] if len(step) > 2 else {}  # type: ignore[misc]
        found = wf.act(store, who, request_id, action, **options)
    return found


@pytest.fixture(scope="session")
def small(current_registry: Any) -> Any:
    return small_registry(current_registry)


_TEMPLATES: dict[str, str] = {}


@pytest.fixture(params=["sqlite", "postgresql"])
def wf_store(request: pytest.FixtureRequest, tmp_path: Any, small: Any) -> Any:
    """A store holding the small registry as version 1: a copy of a template made once per
    session (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL)."""
    import shutil
    import tempfile
    import uuid
    from pathlib import Path

    from portreg.store import Store

    kind = request.param
    if kind not in _TEMPLATES:
        if kind == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='portreg-wf-')) / 'template.db'}"
        else:
            url = request.getfixturevalue("postgres_server").create_database()
        with Store.open(url) as store:
            store.import_registry(small, source="service-names-port-numbers.xml (ports below 1500)")
            from portreg.services import accounts

            for account in sorted(ACCOUNTS.values(), key=lambda a: a.id):
                made = accounts.create_account(store, email=account.email, name=account.name, roles=account.roles, groups=account.groups)
                assert made == account, (made, account)
        _TEMPLATES[kind] = url
    template_url = _TEMPLATES[kind]
    if kind == "sqlite":
        target = tmp_path / "store.db"
        shutil.copyfile(template_url.removeprefix("sqlite:///"), target)
        url = f"sqlite:///{target}"
    else:
        import psycopg

        server = request.getfixturevalue("postgres_server")
        name = "portreg_" + uuid.uuid4().hex[:12]
        with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_url.rsplit("/", 1)[1]}"')
        url = server.url(name)
    store = Store.open(url)
    yield store
    store.close()

"""Shared fixtures: the real registry data in ../shared, and the PostgreSQL and workflow fixtures.

Tests that need ../shared skip with a reason when it is absent, and fail when the
environment variable CI is set (CI always has it beside the clone).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.data import CURRENT_XML, need_shared

# Servers and apps made by the tests sign their transparency log with a key of the test
# session's, never one in the user's data directory (subprocesses inherit it).
if not os.environ.get("PORTREG_LOG_KEY"):
    import tempfile

    os.environ["PORTREG_LOG_KEY"] = str(Path(tempfile.mkdtemp(prefix="portreg-test-key-")) / "log-key.pem")


@pytest.fixture(scope="session")
def current_xml_bytes() -> bytes:
    """The registry as IANA published it on 2024-03-18."""
    return need_shared(CURRENT_XML).read_bytes()


@pytest.fixture(scope="session")
def current_registry(current_xml_bytes: bytes):
    """The 2024-03-18 registry read into the model (read once per test session)."""
    from portreg.formats import xml

    return xml.read(current_xml_bytes, source=str(CURRENT_XML))


# A real PostgreSQL server (session) and `store_url`, parametrized over SQLite and PostgreSQL;
# all 342 published versions in one SQLite store, imported once per session (slow tests read it).
from tests.support.history import history_store  # noqa: E402,F401
from tests.support.overlay import stacked  # noqa: E402,F401
from tests.support.pg import postgres_server, store_url  # noqa: E402,F401
from tests.support.workflow import small, wf_store  # noqa: E402,F401


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each test schemathesis generates its own node id, as ``-n 0`` runs have always shown it.

    schemathesis 4 names its items ``test[GET /api/v1/...]`` but builds them without a
    parametrization, and pytest 9 makes a node id from the function's name and the
    parametrization only: all of a function's operations got one id. pytest-xdist's
    ``--dist loadfile`` schedules by node id, so it ran one operation per function and
    dropped the other 82 tests without a word.
    """
    from _pytest.nodeid import NodeId

    for item in items:
        parent, _, tail = item.nodeid.rpartition("::")
        if parent and item.name != tail and "[" in item.name and "[" not in tail:
            item._id = NodeId.parse(f"{parent}::{item.name}")

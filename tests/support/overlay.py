"""A local registry, ``acme``, stacked on the real IANA registry: the overlay tests' fixture.

``ACME`` is the organization's own port list as a services(5) file: two private
services in the range it allocates from (20000-20999), one on a port IANA assigns
(5432/tcp, postgresql's), one repeating IANA's own assignment (http 80/tcp) and one
name-only entry.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.data import CURRENT_XML
from tests.support.stores import BACKENDS

ACME = b"""\
# acme's own services
acme-db         5432/tcp                # collides with IANA's postgresql
acme-sync       20100/tcp               # ours
acme-sync       20100/udp
acme-mon        20200/tcp   acme-monitor
http            80/tcp      www         # IANA's own
"""
ACME_OWNS = "20000-20999"


def acme_registry() -> Any:
    """``ACME`` read into the model."""
    from portreg.formats import read

    return read(ACME, format="services", source="acme.services")


def stack(url: str, registry: Any) -> None:
    """Fill the empty store at ``url``: IANA's ``registry`` as version 1, then local
    registry ``acme`` (owning 20000-20999) with ``ACME`` as version 2."""
    from portreg.store import PortRange, Store

    with Store.open(url) as store:
        store.import_registry(registry, source=str(CURRENT_XML))
        store.registries.create("acme", title="ACME Corp. services", owns=(PortRange(20000, 20999),), actor="ops")
        store.scoped("acme").import_registry(acme_registry(), source="acme.services")


@pytest.fixture(scope="module", params=BACKENDS)
def stacked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, current_registry: Any) -> str:
    """A store per test module and database, filled by :func:`stack`; tests only read it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('stack') / 'store.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database()
    stack(url, current_registry)
    return url

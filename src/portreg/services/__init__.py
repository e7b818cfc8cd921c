"""The service layer: the only road from the interfaces (CLI, web pages, JSON API) to the data.

Every interface parses its input, calls one service, and renders the answer; none reads
the store itself, and the only way an interface gets a store is :func:`open_store` here.
Modules, one concept each:

- :mod:`.registry`: :class:`~.registry.RegistryService` (a store and the snapshot of
  its current version) and :class:`~.registry.Snapshot` (one version in memory);
- :mod:`.query`: lookups by port, range and name, search, people, free ports, stats,
  and the in-memory ``LookupIndex`` per version;
- :mod:`.params`: strict parsing of ports, ranges, pages, versions, ids and dates for every
  interface;
- :mod:`.sync`: download IANA's registry with a conditional request and import it when
  it changed;
- :mod:`.accounts`: accounts, roles, review groups, passwords, API tokens, mailed links;
- :mod:`.signup`: signing up and resetting a password (the account change and its mail);
- :mod:`.mail`: the outbox written inside a caller's transaction, and its SMTP sender;
- :mod:`.first_start`: fill an empty store (IANA, else :mod:`.snapshot`, the copy of
  IANA's registry shipped in the package);
- :mod:`.exports`: the profiles of ``/etc/services`` (full, small, local, a list of names);
- :mod:`.overlay`: a local registry checked against the upstream one;
- :mod:`.conflicts`: what the stacked registries' versions find against each other, kept
  until resolved, mailed to the registries' watchers;
- :mod:`.stack`: the local registries over the upstream one, answered as one, each row
  naming its source (``--registry`` / ``?registry=`` reads one);
- :mod:`.registries`: the registries a store holds (create, list, ranges, import into
  one) and the documents they export (IANA's alone, a local one, the stack).

Services added later sit beside these: ``workflow`` (the RFC 6335 assignment process),
``history`` (diffs, feeds, the transparency log).
"""

from __future__ import annotations

#: typing.TYPE_CHECKING without importing typing: the quick lookup imports this package.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..store import Store

__all__ = ["open_store"]


def open_store(url: str | None = None) -> Store:
    """Open the store at ``url`` (else ``$PORTREG_DATABASE_URL``, else the default SQLite file).

    The database layer is imported here, on first use, so that ``portreg --help`` and
    the modules that only name a store in annotations do not pay for it. Every version
    the store then imports checks the stacked registries for conflicts in its own
    transaction (:func:`.conflicts.install`).
    """
    from ..store import Store
    from .conflicts import install

    return install(Store.open(url))

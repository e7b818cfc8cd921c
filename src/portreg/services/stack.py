"""The stack: local registries over the upstream one, answered as one registry.

A store holds the upstream registry (IANA's, ``iana``) and any number of local ones
(``acme``), each with its own versions (see :mod:`portreg.store`). The store reads
one registry at a time; this module composes them, so that lookups, search, the
record table, the pages and the API answer over all of them at once:

- rows of every registry, the top of the stack first (local before upstream), each
  hit naming its ``source``; nothing is hidden, so a local record on a port IANA
  assigns shows both rows;
- a version number of the store's one sequence stands for the whole stack as it was
  then: each registry at its greatest version up to that number;
- the view a question reads is chosen by a *registry choice*: ``stack`` (all of
  them, the default when the store holds a local registry), or one registry's name.

With no local registry nothing changes: the default view is the upstream alone and
records carry no ``source``, byte for byte as before.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

from ..errors import InvalidQuery
from .registry import Snapshot

if TYPE_CHECKING:
    from ..model import Person, Registry
    from ..store import RegistryInfo, Store, Version
    from .query import Hit, Query

__all__ = [
    "STACK",
    "UPSTREAM",
    "Layer",
    "StackSnapshot",
    "choose",
    "compose",
    "describe",
    "layers_query",
    "operated_registry",
    "parse_registry",
]

#: The view of every registry at once.
STACK = "stack"
#: The upstream registry's name (as :data:`portreg.store.UPSTREAM`, without importing the store).
UPSTREAM = "iana"
#: How long a registry name may be (as the store's rule: 2-32 characters).
MAX_NAME = 32


class Layer(NamedTuple):
    """One registry of a stack, at one of its versions."""

    info: RegistryInfo
    snapshot: Snapshot

    @property
    def name(self) -> str:
        return self.info.name


def parse_registry(text: str | None, parameter: str = "registry") -> str | None:
    """A ``--registry`` / ``?registry=`` value: None when absent, else ``stack`` or a
    registry's name (checked for shape here; whether the store holds it, when read).

    InvalidQuery, naming ``parameter``, for anything that cannot name a registry.
    """
    if text is None:
        return None
    value = text.strip().lower()
    if value == STACK:
        return STACK
    if not value or len(value) > MAX_NAME or not value.isascii():
        raise InvalidQuery(f"{parameter} must be 'stack' or a registry's name, got {text[:40]!r}", parameter=parameter)
    from ..store._registries import check_name

    try:
        return check_name(value)
    except InvalidQuery as exc:
        raise InvalidQuery(exc.message, parameter=parameter) from None


def choose(asked: str | None, infos: Sequence[RegistryInfo]) -> str:
    """The view a question reads: what was asked, else ``stack`` when a local registry
    is stacked on the upstream, else the upstream alone (as before local registries)."""
    if asked is not None:
        return asked
    return STACK if any(info.local for info in infos) else UPSTREAM


class StackSnapshot(Snapshot):
    """Several registries, each at one version, read as one (see the module docstring).

    ``version`` is the newest of the layers' versions: its number stands for the whole
    stack. ``registry`` is the upstream's head holding every layer's records (top
    first) and people (the upstream's, then those only local registries name), so that
    what the pages read of a registry (its people, footnotes, title) reads the stack.
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = tuple(layers)
        newest = max((layer.snapshot.version for layer in self.layers), key=lambda v: v.number)
        super().__init__(
            newest,
            compose([(layer.name, layer.snapshot.registry) for layer in self.layers]),
            self.layers[-1].snapshot._store,
        )
        self.scope = STACK
        self.sourced = True

    @cached_property
    def hits(self) -> tuple[Hit, ...]:
        return tuple(hit.sourced(layer.name) for layer in self.layers for hit in layer.snapshot.hits)

    @cached_property
    def people(self) -> dict[str, Person]:
        return self.registry.people_by_id()

    @property
    def key(self) -> tuple[tuple[str, int], ...]:
        """What identifies this stack: each registry's name and version."""
        return tuple((layer.name, layer.snapshot.version.number) for layer in self.layers)


def compose(parts: Sequence[tuple[str, Registry]], *, title: str | None = None) -> Registry:
    """One registry of several, ``parts`` (name, registry) top first: what the stack's
    pages read and what its exports write.

    Records in stack order; the head (notes, experts, title) of the upstream when it is
    in, else of the lowest part; each person and footnote once, the upstream's first, so
    that a local entry with an IANA id never changes what IANA's records show; the
    latest date. ``title`` replaces the head's. One part is that registry as imported.
    """
    if len(parts) == 1 and title is None:
        return parts[0][1]
    base = next((registry for name, registry in parts if name == UPSTREAM), parts[-1][1])
    people: dict[str, Person] = {}
    footnotes: dict[str, Any] = {}
    for _, part in sorted(parts, key=lambda p: p[1] is not base):
        for person in part.people:
            people.setdefault(person.id, person)
        for footnote in part.footnotes:
            footnotes.setdefault(footnote.anchor, footnote)
    dates = [part.updated for _, part in parts if part.updated]
    return replace(
        base,
        title=base.title if title is None else title,
        records=tuple(record for _, part in parts for record in part.records),
        people=tuple(people.values()),
        footnotes=tuple(footnotes.values()),
        updated=max(dates) if dates else None,
    )


def layers_query(store: Store, asked: str | None) -> Query:
    """The :class:`~portreg.services.query.Query` a one-shot command asks for ``asked``
    (``--registry``; None: the default view): the upstream alone, one registry, or the stack.

    Its ``sourced`` says whether answers name their registry (whenever the store holds
    more than the upstream). NotFound, naming the registries the store holds, for a
    registry it does not hold.
    """
    from .query import Query

    infos = store.registries.all()
    chosen = choose(asked, infos)
    if chosen == STACK:
        return Query(store, layers=[store.scoped(info.name) for info in infos])
    if chosen == store.registry_name and len(infos) == 1:
        return Query(store)
    scoped = store.scoped(chosen)  # NotFound for a registry the store does not hold
    return Query(scoped, layers=[scoped])


def describe(snapshot: Snapshot) -> dict[str, Any]:
    """What a view reads, for the API's ``registry`` object and the pages' header:
    ``name`` (``stack``, or the one registry), each layer with its version and date,
    and the registry this instance operates (None: it only mirrors; see
    :func:`operated_registry`)."""
    layers: Sequence[tuple[str, Version, str | None]]
    if isinstance(snapshot, StackSnapshot):
        layers = [
            (layer.name, layer.snapshot.version, layer.snapshot.version.published or layer.snapshot.registry.updated)
            for layer in snapshot.layers
        ]
    else:
        layers = [(snapshot.scope, snapshot.version, snapshot.version.published or snapshot.registry.updated)]
    return {
        "name": snapshot.scope,
        "stack": [{"name": name, "version": v.number, "updated": updated} for name, v, updated in layers],
        "operates": operated_registry(snapshot.registries()),
    }


def operated_registry(infos: Sequence[RegistryInfo]) -> str | None:
    """The registry this instance operates, from ``$PORTREG_RUNS_REGISTRY``.

    A registry's name says it; ``1`` (yes, true, on) means the top local registry when
    the store holds one, else the upstream (an instance running IANA's own registry);
    unset, or a name the store does not hold, means none: the instance mirrors.
    """
    value = os.environ.get("PORTREG_RUNS_REGISTRY", "").strip().lower()
    if not value or value in ("0", "no", "false", "off"):
        return None
    names = [info.name for info in infos]
    if value in ("1", "yes", "true", "on"):
        local = [info.name for info in infos if info.local]
        return local[0] if local else UPSTREAM
    return value if value in names else None

"""The registries a store holds, as people manage them, and the documents they export.

A store holds the upstream registry (``iana``, kept by ``portreg sync``) and any local
registries stacked on it (``portreg registry create acme``). This service is the one
road for the commands and pages that create and describe them, import into one, and
export one of three views:

- ``iana`` (the default): the upstream registry alone, so that IANA's files stay IANA's
  byte for byte whatever else the store holds;
- a local registry's name: that registry alone;
- ``stack``: every registry, the one consulted first (the top of the stack) first, so
  that in ``/etc/services`` a local name on a port IANA also assigns is the official
  name of that line, and IANA's names its aliases.

The services(5) profile ``local`` exports the local registries (all of them, stacked)
and leaves IANA's records out.

Version numbers are one sequence over every registry, so "the stack at version N" is
well defined: each registry at its greatest version not after N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import EmptyStore, InvalidQuery, NotFound

if TYPE_CHECKING:
    from ..model import Registry
    from ..store import PortRange, RegistryInfo, Store, Version
    from .registry import RegistryService

__all__ = [
    "STACK",
    "UPSTREAM",
    "Export",
    "Plan",
    "RegistrySummary",
    "create",
    "describe",
    "export",
    "import_into",
    "layers",
    "list_registries",
    "parse_selector",
    "plan",
    "set_ranges",
    "summary_json",
    "versions",
]

#: The upstream registry's name (IANA's).
UPSTREAM = "iana"
#: The view of every registry, stacked: what ``--registry stack`` names.
STACK = "stack"


@dataclass(frozen=True)
class RegistrySummary:
    """A registry with what a person asks first about it: its current version."""

    info: RegistryInfo
    current: Version | None

    @property
    def name(self) -> str:
        return self.info.name


@dataclass(frozen=True)
class Export:
    """A document to write: ``registry`` in some format, with the writer's ``options``
    (a services(5) profile), from the ``layers`` (registry name, version) it stacks.

    ``notice`` is what the exporter should tell the person (the profile holds nothing
    yet, and why).
    """

    registry: Registry
    layers: tuple[tuple[str, int], ...]
    options: dict[str, Any]
    notice: str | None = None


# --------------------------------------------------------------------------- naming


def parse_selector(text: str | None, *, default: str = UPSTREAM) -> str:
    """What ``--registry`` / ``?registry=`` names: ``stack`` or a registry name
    (``default`` when absent), read as every other ``registry`` parameter is
    (:func:`portreg.services.stack.parse_registry`: any case); InvalidQuery on
    ``registry`` for anything else."""
    from .stack import parse_registry

    if text is None or text == "":
        return default
    return parse_registry(text) or default


def _ranges(owns: Sequence[str]) -> tuple[PortRange, ...]:
    """``20000-20999`` or ``20000-20999/tcp`` each, as the store's ranges."""
    from ..store import PortRange as StoredRange
    from .overlay import parse_owned

    parsed = [parse_owned(text) for text in owns]
    return tuple(StoredRange(r.ports.low, r.ports.high, r.transport) for r in parsed)


# --------------------------------------------------------------------------- managing


def list_registries(service: RegistryService) -> list[RegistrySummary]:
    """Every registry the store holds, in stack order (the one consulted first first)."""
    store = service.store
    return [RegistrySummary(info, store.scoped(info.name).current_version()) for info in store.registries.all()]


def describe(service: RegistryService, name: str) -> RegistrySummary:
    """Registry ``name`` and its current version; NotFound naming those held otherwise."""
    store = service.store
    info = store.registries.get(parse_selector(name))
    return RegistrySummary(info, store.scoped(info.name).current_version())


def create(
    service: RegistryService, name: str, *, title: str | None = None, owns: Sequence[str] = (), actor: str | None = None
) -> RegistrySummary:
    """Add local registry ``name`` on top of the stack, allocating from ``owns``
    (``20000-20999``, ``30000-30099/udp``); Conflict when the name is taken,
    InvalidQuery (``registry``, ``owns``, ``title``) when a value cannot be used."""
    if title is not None and not (0 < len(title) <= 200 and title.isprintable() and title.strip()):
        raise InvalidQuery("a title is 1 to 200 printable characters", parameter="title")
    info = service.store.registries.create(name, title=title, owns=_ranges(owns), actor=actor)
    return RegistrySummary(info, None)


def set_ranges(service: RegistryService, name: str, owns: Sequence[str]) -> RegistrySummary:
    """Replace the ranges local registry ``name`` allocates from (none: it allocates from none)."""
    from .conflicts import refresh

    store = service.store
    info = store.registries.set_ranges(parse_selector(name), _ranges(owns))
    refresh(store, info.name)  # records now outside (or back inside) its ranges
    return RegistrySummary(info, store.scoped(info.name).current_version())


def import_into(
    service: RegistryService,
    name: str,
    registry: Registry,
    *,
    source: str,
    actor: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Version | None:
    """Publish ``registry`` as the next version of registry ``name`` (None when it holds
    the same already). ``stack`` names no one registry, so it is refused."""
    selected = parse_selector(name)
    if selected == STACK:
        raise InvalidQuery("an import goes into one registry: name it, not the stack", parameter="registry")
    if selected == UPSTREAM:
        return service.import_registry(registry, source=source, actor=actor, progress=progress)
    target = service.store.scoped(selected)
    return target.import_registry(registry, source=source, actor=actor, progress=progress)


def versions(service: RegistryService, registry: str | None = None) -> list[tuple[str, Version]]:
    """The versions of registry ``registry`` (``iana`` by default), or with ``stack`` of
    every registry, each with its registry's name, oldest first (one sequence over all)."""
    store = service.store
    selected = parse_selector(registry)
    if selected == UPSTREAM:
        return [(UPSTREAM, v) for v in service.versions()]
    if selected != STACK:
        return [(selected, v) for v in store.scoped(selected).versions()]
    found = [(info.name, v) for info in store.registries.all() for v in store.scoped(info.name).versions()]
    return sorted(found, key=lambda pair: pair[1].number)


# --------------------------------------------------------------------------- exporting


def layers(store: Store, selected: str, version: int | None = None) -> list[tuple[str, Version]]:
    """The registries ``selected`` stacks, top first, each with the version it shows.

    For one registry, ``version`` must be one of its versions (NotFound otherwise); for
    ``stack``, each registry shows its greatest version not after ``version`` (after
    every version when None), and a registry with none yet is left out.
    """
    if selected != STACK:
        target = store.scoped(selected)
        return [(selected, target.version(version))]
    found: list[tuple[str, Version]] = []
    for info in store.registries.all():
        layer = store.scoped(info.name)
        if version is None:  # one small read per registry: a download asks this on every request
            current = layer.current_version()
            if current is not None:
                found.append((info.name, current))
            continue
        held = [v for v in layer.versions() if v.number <= version]
        if held:
            found.append((info.name, held[-1]))
    if not found:
        if version is not None:
            raise NotFound(f"no registry in the store has a version {version} or earlier")
        raise EmptyStore()
    return found


def _locals(store: Store, version: int | None) -> list[tuple[str, Version]]:
    return [(name, v) for name, v in layers(store, STACK, version) if name != UPSTREAM]


@dataclass(frozen=True)
class Plan:
    """What an export will hold, known before anything is rebuilt: the registry view
    ``selected``, the ``layers`` (registry, version) it stacks, top first, and the
    services(5) ``profile`` asked for. ``key`` names the document for a cache: a
    version never changes, so the same key is the same bytes."""

    selected: str
    layers: tuple[tuple[str, Version], ...]
    profile: str | None
    #: Profile ``local`` in a store without local registries: IANA's layer, all left out.
    nothing_local: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.selected, tuple((name, v.number) for name, v in self.layers), self.profile)

    @property
    def modified(self) -> Version:
        """The newest version the document shows (its Last-Modified)."""
        return max((v for _, v in self.layers), key=lambda v: v.number)


def plan(
    service: RegistryService, *, registry: str | None = None, version: int | None = None, profile: str | None = None
) -> Plan:
    """The :class:`Plan` of ``export(service, registry=, version=, profile=)``: cheap (a few
    small reads), and raising what the export would (InvalidQuery, NotFound, EmptyStore)."""
    store = service.store
    selected = parse_selector(registry, default=STACK if profile == "local" else UPSTREAM)
    if profile == "local":
        if selected == UPSTREAM:
            raise InvalidQuery("profile local leaves IANA's registry out: name a local registry", parameter="profile")
        chosen = _locals(store, version) if selected == STACK else layers(store, selected, version)
        if not chosen:
            return Plan(selected, tuple(layers(store, UPSTREAM, version)), profile, nothing_local=True)
        return Plan(selected, tuple(chosen), profile)
    return Plan(selected, tuple(layers(store, selected, version)), profile)


def export(
    service: RegistryService,
    *,
    registry: str | None = None,
    version: int | None = None,
    profile: str | None = None,
    planned: Plan | None = None,
) -> Export:
    """What ``portreg export`` and the downloads write: registry ``registry`` (``iana`` by
    default, a local name, or ``stack``) at ``version``, with services(5) ``profile``
    (``full``, ``small``, ``local`` or ``names:FILE``); ``planned`` if :func:`plan` was
    asked already.

    Profile ``local`` takes the local registries (all of them, stacked, by default; or
    the one ``registry`` names) and leaves IANA's out; with no local registry it writes
    IANA's registry with every record left out, and a header that says why.
    """
    from .exports import local_profile, services_profile

    chosen = planned or plan(service, registry=registry, version=version, profile=profile)
    numbers = tuple((name, v.number) for name, v in chosen.layers)
    options: dict[str, Any] = {}
    if chosen.nothing_local:
        empty = services_profile("local")
        options["profile"] = empty
        return Export(service.registry(numbers[0][1]), numbers, options, empty.empty_reason)
    if chosen.profile == "local":
        options["profile"] = local_profile([name for name, _ in numbers])
    elif chosen.profile is not None:
        options["profile"] = services_profile(chosen.profile)
    if numbers == ((UPSTREAM, numbers[0][1]),):  # from the service, whose snapshot keeps IANA's in memory
        return Export(service.registry(numbers[0][1]), numbers, options)
    return Export(_compose(service.store, list(chosen.layers)), numbers, options)


def _titled(name: str, title: str) -> str:
    return name if title == name else f"{title} ({name})"


def _compose(store: Store, chosen: list[tuple[str, Version]]) -> Registry:
    """The ``chosen`` layers as one registry (:func:`portreg.services.stack.compose`),
    titled by every layer; a single layer is that registry exactly as imported."""
    from .stack import compose

    parts = [(name, store.scoped(name).registry(v.number)) for name, v in chosen]
    if len(parts) == 1:
        return parts[0][1]
    titles = {info.name: info.title for info in store.registries.all()}
    return compose(
        parts, title=" stacked on ".join(_titled(name, titles.get(name) or part.title) for name, part in parts)
    )


# --------------------------------------------------------------------------- JSON


def summary_json(summary: RegistrySummary) -> dict[str, Any]:
    """A registry's stable JSON shape (the CLI's ``--json`` and ``/api/v1/registries``)."""
    from .query import version_json

    info = summary.info
    return {
        "name": info.name,
        "kind": info.kind,
        "title": info.title,
        "position": info.position,
        "created_at": info.created_at,
        "created_by": info.created_by,
        "ranges": [range_json(r) for r in info.ranges],
        "current": summary.current and version_json(summary.current),
    }


def range_json(port_range: Any) -> dict[str, Any]:
    """``{"low": 20000, "high": 20999, "transport": "tcp" | null, "text": "20000-20999/tcp"}``."""
    return {"low": port_range.low, "high": port_range.high, "transport": port_range.transport, "text": str(port_range)}

"""The API's response bodies: one registry snapshot per request, records and people in
their JSON shapes with links, and the bytes sent.

Every body names the version it reflects (``registry``: number and the registry's own
date) and so do headers (``X-Registry-Version``, ``X-Registry-Updated``). Hot answers
(lookups by port and name) are serialized once per (version, key), with their headers,
and kept on the snapshot (the oldest dropped past :data:`ANSWER_CACHE_SIZE`): a repeated
lookup is a dict hit, with no database round trip and no Pydantic validation.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from ...errors import EmptyStore, NotFound
from ...model import Person
from ...services.query import person_json as _person_shape
from .. import urls
from ..errors import ApiError

if TYPE_CHECKING:
    from ...services.query import Hit
    from ...services.registry import RegistryService, Snapshot

__all__ = [
    "ANSWER_CACHE_SIZE",
    "JSON_MEDIA_TYPE",
    "cached",
    "empty_store",
    "encode",
    "hit_json",
    "hits_and_people",
    "page_links",
    "person_json",
    "raw",
    "registry_ref",
    "send",
    "send_page",
    "service",
    "snapshot",
]

#: Serialized lookups (by port, by name) kept per snapshot, about 1-2 KB each.
ANSWER_CACHE_SIZE = 8192
JSON_MEDIA_TYPE = "application/json"


# --------------------------------------------------------------------------- reading one snapshot


def service(request: Request) -> RegistryService:
    """The app's registry service: every read of the API goes through it."""
    return request.app.state.registry_service


def snapshot(request: Request, version: int | None, registry: str | None = None) -> Snapshot:
    """The registry version a request reads: the current one, or ``version``; of the
    registry ``registry`` names (``stack``, one registry's name; None: the default view,
    see :meth:`~portreg.services.registry.RegistryService.view`)."""
    from ...errors import InvalidQuery
    from ...services.stack import parse_registry

    try:
        chosen = parse_registry(registry)
    except InvalidQuery as exc:
        raise ApiError.invalid("registry", exc.message) from None
    registries = service(request).registries()
    if chosen not in (None, "stack") and chosen not in {info.name for info in registries}:
        raise ApiError(
            404,
            "not_found",
            f"no registry {chosen!r}; this store holds {', '.join(info.name for info in registries)}",
            parameter="registry",
            suggestions=[info.name for info in registries],
        )
    try:
        return service(request).view(chosen, version)
    except EmptyStore as exc:
        raise empty_store(exc) from None
    except NotFound as exc:
        if version is None:
            raise ApiError(404, "not_found", str(exc), parameter="registry") from None
        raise ApiError(
            404, "not_found", f"no registry version {version}; see {urls.api_url('/versions')}", parameter="version"
        ) from None


def empty_store(exc: NotFound) -> ApiError:
    """An empty store is the server's state, not the client's mistake: 503, saying how to fill it."""
    return ApiError(503, "store_unavailable", str(exc), headers={"Retry-After": "60"})


def registry_ref(snap: Snapshot) -> dict[str, Any]:
    """What a body reflects: the version and its date; when the store holds local
    registries, also which registry (``name``: ``stack`` or one), each registry of the
    view at its version (``stack``, top first) and the one this instance operates."""

    def make(s: Snapshot) -> dict[str, Any]:
        ref: dict[str, Any] = {"version": s.version.number, "updated": s.version.published or s.registry.updated}
        if s.sourced:
            from ...services.stack import describe

            ref.update(describe(s))
        return ref

    return snap.derived("api:registry", make)


# --------------------------------------------------------------------------- bodies


def hits_and_people(snap: Snapshot, hits: Iterable[Hit]) -> dict[str, Any]:
    """The records, and the people they name (each once, in the order first named)."""
    hits = list(hits)
    people = snap.people
    named = dict.fromkeys(pid for h in hits for pid in h.record.person_ids())
    return {
        "records": [hit_json(h) for h in hits],
        "people": [person_json(people[pid]) for pid in named if pid in people],
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    """A record's JSON shape (the query layer's), with links to its record, service and port."""
    body = hit.as_json()
    r = hit.record
    body["links"] = {
        "self": urls.api_record_url(hit.id),
        "service": urls.api_service_url(r.name) if r.name else None,
        "port": urls.api_port_url(r.port) if r.port is not None else None,
    }
    return body


def person_json(p: Person) -> dict[str, Any]:
    return {**_person_shape(p), "links": {"self": urls.api_person_url(p.id)}}


def page_links(request: Request, page: int, page_size: int, total: int) -> dict[str, str | None]:
    """Root-relative links that keep every parameter of the request but ``page``."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def link(number: int) -> str:
        return request.url.path + "?" + urlencode(params + [("page", str(number))])

    last = max(1, -(-total // page_size))
    return {
        "self": link(page),
        "next": link(page + 1) if page < last else None,
        "prev": link(min(page - 1, last)) if page > 1 else None,
    }


def send_page(request: Request, snap: Snapshot, hits: Iterable[Hit], total: int, page: int, page_size: int) -> Response:
    """One page of records, with the people they name and links to the pages around it."""
    body = hits_and_people(snap, hits)
    return send(
        snap,
        {
            "total": total,
            "page": page,
            "page_size": page_size,
            "items": body["records"],
            "people": body["people"],
            "links": page_links(request, page, page_size, total),
        },
    )


# --------------------------------------------------------------------------- sending


def encode(snap: Snapshot, body: dict[str, Any]) -> bytes:
    return json.dumps({"registry": registry_ref(snap), **body}, ensure_ascii=False, separators=(",", ":")).encode()


def send(snap: Snapshot, body: dict[str, Any]) -> Response:
    return raw(snap, encode(snap, body))


def raw(snap: Snapshot, body: bytes) -> Response:
    return Response(body, media_type=JSON_MEDIA_TYPE, headers=_version_headers(snap))


def _version_headers(snap: Snapshot) -> dict[str, str]:
    def make(s: Snapshot) -> dict[str, str]:
        return {
            "X-Registry-Version": str(s.version.number),
            "X-Registry-Updated": str(registry_ref(s)["updated"] or ""),
        }

    return snap.derived("api:headers", make)


def cached(snap: Snapshot, key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> Response:
    """The answer ``build()`` makes, serialized once per version and key, then kept.

    Called only from the event loop (async routes), so the dict needs no lock.
    """
    cache: OrderedDict[tuple[Any, ...], tuple[bytes, list[tuple[bytes, bytes]]]] = snap.derived(
        "api:answers", lambda s: OrderedDict()
    )
    ready = cache.get(key)
    if ready is None:
        ready = cache[key] = _prepare(snap, encode(snap, build()))
        if len(cache) > ANSWER_CACHE_SIZE:
            cache.popitem(last=False)  # the oldest: a scan of every port must not grow memory
    return _Prepared(*ready)


def _prepare(snap: Snapshot, body: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A body with every header it will ever need, ETag and Last-Modified included, so
    that sending it again costs no hashing, no date formatting and no header building."""
    from ..middleware import http_date

    headers = {
        "content-type": JSON_MEDIA_TYPE,
        "content-length": str(len(body)),
        "etag": '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"',
        "last-modified": snap.derived("api:last-modified", lambda s: http_date(s.version.created_at)),
        **{k.lower(): v for k, v in _version_headers(snap).items()},
    }
    return body, [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


class _Prepared(Response):
    """A response whose body and headers were built once and are only sent again."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = 200
        self.body = body
        self.background = None
        self.raw_headers = list(raw_headers)

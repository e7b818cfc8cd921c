"""What changed: the ``/changes`` page, its Atom and JSON feeds, and a feed per watch.

- ``/changes`` (HTML, newest first, ``?page=N``, ``?since=YYYY[-MM[-DD]]``),
  ``/changes.atom`` and ``/changes.json`` (JSON Feed 1.1): one entry per version,
  its summary and a link to its diff page ``/changes/A..B``;
- watches: ``/port/5432/changes.atom``, ``/port/6000-6063/changes.atom``,
  ``/service/NAME/changes.atom``, ``/person/ID/changes.atom`` and their ``.json``
  forms: the versions that touched the port, range, name or person, each with only the
  changes that touched it.

When the store holds local registries beside IANA's, every page and feed lists every
registry's versions (the stack) and names the registry of each; ``?registry=NAME``
narrows it to one (``?registry=iana``: IANA's alone), ``?registry=stack`` is the default.

Feeds are built with feedgen (Atom 1.0); every response gets an ETag from the HTTP
middleware, so a poller that sends ``If-None-Match`` gets a bodiless 304 until a new
version appears. The entries come from :mod:`portreg.services.feeds`.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any, NamedTuple

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ...errors import InvalidQuery, NotFound
from ...model import PortRange
from ...services import params
from ...services.feeds import Entry, Feeds, Watch
from .. import urls

__all__ = ["ATOM", "JSON_FEED", "install", "router", "timeline"]

ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"
PAGE_SIZE = 25
#: Entries in a feed: enough for a poller that looks once a month.
FEED_SIZE = 50

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the change pages and feeds; before the pages' ``/service/{name:path}`` routes,
    which would otherwise take ``/service/NAME/changes.atom`` for a name."""
    app.state.feeds = Feeds(app.state.registry_service.store)
    app.include_router(router)


def _feeds(request: Request) -> Feeds:
    return request.app.state.feeds


def _bad(request: Request, exc: InvalidQuery | NotFound) -> Response:
    from .render import error_page

    if isinstance(exc, NotFound):
        return error_page(request, 404, "No such registry", exc.message)
    return error_page(request, 400, f"Bad {exc.parameter or 'parameter'}", exc.message)


def _registry(request: Request) -> str | None:
    """``?registry=``: one registry's versions only (None: every registry's, the stack)."""
    return request.query_params.get("registry")


# --------------------------------------------------------------------------- the page


@router.get("/changes")
def changes_page(request: Request) -> Response:
    """Every version, newest first, with what it changed and a link to its diff."""
    from .render import current, render

    snapshot = current(request)
    since = request.query_params.get("since")
    registry = _registry(request)
    feeds = _feeds(request)
    try:
        page = params.parse_page(request.query_params.get("page", "1"))
        entries, total = feeds.page(since=since, page=page, page_size=PAGE_SIZE, registry=registry)
    except (InvalidQuery, NotFound) as exc:
        return _bad(request, exc)
    pages = max(1, -(-total // PAGE_SIZE))
    held = feeds.registries()
    return render(
        request,
        "changes.html",
        snapshot=snapshot,
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        since=since,
        registry=None if registry in (None, "stack") else registry,
        feed_registry=None if registry in (None, "stack") else registry,
        registries=held if len(held) > 1 else [],
        title="Changes" if registry in (None, "stack") else f"Changes to {registry}",
    )


def timeline(request: Request, kind: str, key: str, *, limit: int = 20) -> dict[str, Any]:
    """What a port, service or person page shows of its history: the versions that
    touched it, newest first, each with its changes and diff link, and its feeds."""
    from dataclasses import replace

    registry = _registry(request)
    watch = replace(Watch.parse(kind, key), registry=None if registry in (None, "stack") else registry)
    return {"watch": watch, "timeline": _feeds(request).watch(watch, limit=limit, registry=registry)}


# --------------------------------------------------------------------------- feeds


@router.get("/changes.atom")
def changes_atom(request: Request) -> Response:
    return _feed(request, None, "atom")


@router.get("/changes.json")
def changes_json(request: Request) -> Response:
    return _feed(request, None, "json")


@router.get("/port/{spec}/changes.{fmt}")
def port_feed(request: Request, spec: str, fmt: str) -> Response:
    return _watch_feed(request, "port", spec, fmt)


@router.get("/service/{name}/changes.{fmt}")
def service_feed(request: Request, name: str, fmt: str) -> Response:
    return _watch_feed(request, "service", name, fmt)


@router.get("/person/{person_id}/changes.{fmt}")
def person_feed(request: Request, person_id: str, fmt: str) -> Response:
    return _watch_feed(request, "person", person_id, fmt)


def _watch_feed(request: Request, kind: str, key: str, fmt: str) -> Response:
    try:
        watch = Watch.parse(kind, key)
    except InvalidQuery as exc:
        return _bad(request, exc)
    return _feed(request, watch, fmt)


def _feed(request: Request, watch: Watch | None, fmt: str) -> Response:
    from .render import error_page

    if fmt not in ("atom", "json"):
        return error_page(request, 404, f"No feed in .{fmt}", "Feeds are .atom (Atom 1.0) and .json (JSON Feed 1.1).")
    feeds = _feeds(request)
    request.app.state.registry_service.current()  # an empty store is a 503 that says how to fill it
    registry = _registry(request)
    try:
        if watch is None:
            entries, _ = feeds.page(since=request.query_params.get("since"), page_size=FEED_SIZE, registry=registry)
        else:
            entries = feeds.watch(watch, limit=FEED_SIZE, registry=registry)
    except (InvalidQuery, NotFound) as exc:
        return _bad(request, exc)
    base = str(request.base_url).rstrip("/")
    one = None if registry in (None, "stack") else registry
    if watch is None:
        page = urls.changes_url(registry=one)
        title = f"portreg: changes to {one}" if one else "portreg: changes to the registry"
        feed = urls.feed_url(fmt)
    else:
        page = _watch_page(watch)
        title = f"portreg: changes to {watch.title}" + (f" in {one}" if one else "")
        feed = urls.feed_url(fmt, watch.kind, watch.key)
    query = f"?{request.url.query}" if request.url.query else ""
    meta = {"base": base, "page": base + page, "title": title, "self": base + feed + query}
    if fmt == "atom":
        return Response(atom(entries, meta), media_type=ATOM, headers={"Cache-Control": "no-cache"})
    body = json.dumps(json_feed(entries, meta), ensure_ascii=False, indent=1).encode()
    return Response(body, media_type=JSON_FEED, headers={"Cache-Control": "no-cache"})


def entry_url(entry: Entry) -> str:
    """Where an entry links: its diff against the version before, or, for a store's
    first version, the list of changes from its date."""
    if entry.previous is None:
        return urls.changes_url(since=entry.version.published, registry=entry.registry if entry.local else None)
    return urls.diff_url(entry.previous, entry.version.number)


def _entry_id(meta: dict[str, str], entry: Entry) -> str:
    """A version's entry has the same id in every feed (a reader following two feeds sees one item)."""
    return f"{meta['base']}{urls.changes_url()}#v{entry.version.number}"


def _watch_page(watch: Watch) -> str:
    if watch.kind in ("port", "range"):
        return urls.port_url(PortRange(watch.low, watch.high))
    return urls.service_url(watch.key) if watch.kind == "service" else urls.person_url(watch.key)


def _content(entry: Entry) -> str:
    lines = [entry.summary + "."]
    lines += [f"- {change}" for change in entry.changes[:200]]
    more = max(0, len(entry.changes) - 200) + entry.more
    if more:
        lines.append(f"- … and {more:,} more")
    return "\n".join(lines)


def _updated(entry: Entry) -> Any:
    return entry.version.created_at.astimezone(UTC)


def atom(entries: list[Entry], meta: dict[str, str]) -> bytes:
    """An Atom 1.0 feed of ``entries`` (feedgen writes it; ids are the diff pages' URLs)."""
    from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

    feed = FeedGenerator()
    feed.id(meta["page"])
    feed.title(meta["title"])
    feed.author({"name": "portreg"})
    feed.link(href=meta["self"], rel="self", type=ATOM)
    feed.link(href=meta["page"], rel="alternate", type="text/html")
    feed.generator("portreg", uri="https://www.iana.org/go/rfc6335")
    feed.updated(_updated(entries[0]) if entries else _epoch())
    for entry in reversed(entries):  # feedgen puts each new entry first
        item = feed.add_entry()
        url = meta["base"] + entry_url(entry)
        item.id(_entry_id(meta, entry))
        item.title(entry.title)
        item.link(href=url, rel="alternate", type="text/html")
        item.updated(_updated(entry))
        item.published(_updated(entry))
        item.summary(_content(entry))
        if entry.local:
            item.category({"term": entry.registry, "label": f"registry {entry.registry}"})
    return bytes(feed.atom_str(pretty=True))


def json_feed(entries: list[Entry], meta: dict[str, str]) -> dict[str, Any]:
    """A JSON Feed 1.1 document of ``entries`` (https://jsonfeed.org/version/1.1)."""
    return json_feed_document(
        meta,
        [
            {
                "id": _entry_id(meta, entry),
                "url": meta["base"] + entry_url(entry),
                "title": entry.title,
                "summary": entry.summary,
                "content_text": _content(entry),
                "date_published": _updated(entry).isoformat(),
                "_portreg": {
                    "version": entry.version.number,
                    "registry": entry.registry,
                    "published": entry.version.published,
                    "changes": [
                        {"kind": c.kind, "record_id": c.record_id, "record": c.label, "fields": list(c.fields)}
                        for c in entry.changes
                    ],
                },
            }
            for entry in entries
        ],
    )


def json_feed_document(meta: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1) of ``items``, titled and
    linked by ``meta`` (``title``, ``page``, ``self``): every feed of the site has this head."""
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta["title"],
        "home_page_url": meta["page"],
        "feed_url": meta["self"],
        "authors": [{"name": "portreg"}],
        "items": items,
    }


def _epoch() -> Any:
    from datetime import datetime

    return datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- subscriptions by mail
#
# Personal pages under /account (never cached): the public pages only link here, so that
# they stay the same for everyone and cacheable.


class _RegistryOffer(NamedTuple):
    """The offer to watch a local registry's conflicts, shaped as the form reads a watch."""

    key: str
    kind: str = "registry"

    @property
    def title(self) -> str:
        return f"the conflicts of registry {self.key} with the upstream"


@router.get("/account/subscriptions")
def subscriptions_page(request: Request) -> Response:
    """The account's subscriptions; with ``?kind=&key=``, a form to follow that too."""
    from ...services import subscriptions as service
    from ..auth import csrf_token, current_account
    from .render import render

    account = current_account(request)
    if account is None:
        return RedirectResponse(
            urls.signin_url(request.url.path + (f"?{request.url.query}" if request.url.query else "")), 303
        )
    offer: Watch | _RegistryOffer | None = None
    kind, key = request.query_params.get("kind"), request.query_params.get("key", "")
    if kind == "registry":  # a local registry's conflicts with the upstream (services/conflicts.py)
        offer = _RegistryOffer(key[:40])
    elif kind is not None:
        try:
            offer = Watch.parse("port" if kind == "range" else kind, key) if kind != "all" else None
        except InvalidQuery as exc:
            return _bad(request, exc)
    store = request.app.state.registry_service.store
    response = render(
        request,
        "subscriptions.html",
        title="Changes by mail",
        csrf=csrf_token(request),
        viewer=account,
        account=account,
        subscriptions=service.subscriptions(store, account.id),
        offer=offer,
        offer_all=kind == "all",
        flash=request.session.pop("flash", None),
        errors={},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/subscriptions")
async def subscribe_post(request: Request) -> Response:
    from ...services import subscriptions as service
    from ..auth import require_account

    account = require_account(request)
    form = await request.form(max_files=0, max_fields=10)
    kind, key = str(form.get("kind", "")), str(form.get("key", ""))[:300]
    store = request.app.state.registry_service.store
    try:
        found = service.subscribe(store, account.id, kind, key)
    except InvalidQuery as exc:
        request.session["flash"] = f"Not followed: {exc.message}"
    except NotFound as exc:  # a registry the store does not hold
        request.session["flash"] = f"Not followed: {exc}"
    else:
        what = (
            "every change"
            if found.kind == "all"
            else f"the conflicts of registry {found.key}"
            if found.kind == "registry"
            else f"changes to {found.watch.title if found.watch else found.key}"
        )
        request.session["flash"] = f"You will be mailed {what} at {account.email}."
    return RedirectResponse(urls.subscriptions_url(), 303)


@router.post("/account/subscriptions/{subscription_id}/delete")
def unsubscribe_post(request: Request, subscription_id: str) -> Response:
    from ...errors import NotFound
    from ...services import subscriptions as service
    from ..auth import require_account

    account = require_account(request)
    try:
        service.unsubscribe(
            request.app.state.registry_service.store, account.id, params.parse_id(subscription_id, "subscription")
        )
    except (InvalidQuery, NotFound):
        request.session["flash"] = "No such subscription."
    else:
        request.session["flash"] = "Unsubscribed."
    return RedirectResponse(urls.subscriptions_url(), 303)

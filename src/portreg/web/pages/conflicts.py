"""``/conflicts`` (a page) and ``/changes/conflicts.atom`` (and ``.json``): the overlay conflicts.

The page lists them newest first (``?registry=acme``, ``?open=true``), with counts per
registry and links to the feed and the JSON API. The feed has one entry per conflict,
newest first: it appears when a version (a local import, a
sync of the upstream) finds the conflict, and is updated, under the same id, when the
conflict is resolved, by a later version or by a person. ``?registry=acme`` keeps one
registry's. The conflicts come from :mod:`portreg.services.conflicts`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...errors import InvalidQuery, NotFound
from ...services import conflicts as service
from ...services.conflicts import OverlayConflict
from .. import urls

__all__ = ["router"]

ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"
#: Entries in the feed: the newest conflicts found or resolved.
FEED_SIZE = 100
#: Rows on the page.
PAGE_SIZE = 500

router = APIRouter(include_in_schema=False)


@router.get("/conflicts")
def conflicts_page(request: Request) -> Response:
    from .render import error_page, render

    registry = request.query_params.get("registry") or None
    flag = (request.query_params.get("open") or "").strip().lower()
    if flag not in ("", "true", "false", "1", "0"):
        return error_page(request, 400, "Bad open", "open is true or false.")
    open_only = flag in ("true", "1")
    store = request.app.state.registry_service.store
    try:
        found = service.conflicts(store, registry, open_only=open_only, limit=PAGE_SIZE)
    except InvalidQuery as exc:
        return error_page(request, 400, "Bad registry", exc.message)
    except NotFound as exc:
        return error_page(request, 404, "No such registry", str(exc))
    shown = registry if registry != "stack" else None
    return render(
        request,
        "conflicts.html",
        title="Conflicts",
        registry=shown,
        open_only=open_only,
        conflicts=found,
        counts=service.counts(store),
    )


@router.get("/changes/conflicts.{fmt}")
def conflicts_feed(request: Request, fmt: str) -> Response:
    from .render import error_page

    if fmt not in ("atom", "json"):
        return error_page(request, 404, f"No feed in .{fmt}", "Feeds are .atom (Atom 1.0) and .json (JSON Feed 1.1).")
    registry = request.query_params.get("registry")
    store = request.app.state.registry_service.store
    try:
        found = service.conflicts(store, registry, limit=FEED_SIZE)
    except InvalidQuery as exc:
        return error_page(request, 400, "Bad registry", exc.message)
    except NotFound as exc:
        return error_page(request, 404, "No such registry", str(exc))
    found.sort(key=_updated, reverse=True)
    base = str(request.base_url).rstrip("/")
    shown = registry if registry not in (None, "", "stack") else None
    title = f"portreg: conflicts of {shown} with the upstream" if shown else "portreg: conflicts with the upstream"
    meta = {
        "base": base,
        "page": base + urls.api_conflicts_url(registry=shown),
        "self": base + urls.conflicts_feed_url(fmt, registry=shown),
        "title": title,
    }
    if fmt == "atom":
        return Response(atom(found, meta), media_type=ATOM, headers={"Cache-Control": "no-cache"})
    body = json.dumps(json_feed(found, meta), ensure_ascii=False, indent=1).encode()
    return Response(body, media_type=JSON_FEED, headers={"Cache-Control": "no-cache"})


def _updated(conflict: OverlayConflict) -> datetime:
    return datetime.fromisoformat(conflict.resolved_at or conflict.found_at).astimezone(UTC)


def _title(conflict: OverlayConflict) -> str:
    state = "" if conflict.open else "Resolved: "
    return f"{state}{conflict.registry} {conflict.kind}: {conflict.message}"


def _content(conflict: OverlayConflict) -> str:
    found = f"version {conflict.found_version}" if conflict.found_version is not None else "a check"
    lines = [f"{conflict.message}.", f"Found by {conflict.found_by} in {found}, {conflict.found_at}."]
    if not conflict.open:
        lines.append(f"Resolved by {conflict.resolved_by}, {conflict.resolved_at}: {conflict.resolution}.")
    return "\n".join(lines)


def atom(found: list[OverlayConflict], meta: dict[str, str]) -> bytes:
    """An Atom 1.0 feed of conflicts (feedgen writes it; ids are the conflicts' API URLs)."""
    from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

    feed = FeedGenerator()
    feed.id(meta["page"])
    feed.title(meta["title"])
    feed.author({"name": "portreg"})
    feed.link(href=meta["self"], rel="self", type=ATOM)
    feed.link(href=meta["page"], rel="alternate", type="application/json")
    feed.generator("portreg", uri="https://www.iana.org/go/rfc6335")
    feed.updated(_updated(found[0]) if found else datetime(1970, 1, 1, tzinfo=UTC))
    for conflict in reversed(found):  # feedgen puts each new entry first
        item = feed.add_entry()
        url = meta["base"] + urls.api_conflicts_url(conflict.id)
        item.id(url)
        item.title(_title(conflict))
        item.link(href=url, rel="alternate", type="application/json")
        item.updated(_updated(conflict))
        item.published(datetime.fromisoformat(conflict.found_at).astimezone(UTC))
        item.category(term=conflict.kind)
        item.summary(_content(conflict))
    return bytes(feed.atom_str(pretty=True))


def json_feed(found: list[OverlayConflict], meta: dict[str, str]) -> dict[str, Any]:
    """A JSON Feed 1.1 document of conflicts (https://jsonfeed.org/version/1.1)."""
    from .changes import json_feed_document

    return json_feed_document(
        meta,
        [
            {
                "id": meta["base"] + urls.api_conflicts_url(c.id),
                "url": meta["base"] + urls.api_conflicts_url(c.id),
                "title": _title(c),
                "content_text": _content(c),
                "date_published": datetime.fromisoformat(c.found_at).astimezone(UTC).isoformat(),
                "date_modified": _updated(c).isoformat(),
                "tags": [c.registry, c.kind, c.state],
                "_portreg": c.as_json(),
            }
            for c in found
        ],
    )

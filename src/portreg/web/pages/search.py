"""The registry page's ranked mode: ``/search?q=...``, the best matches first.

The registry page searches as IANA's does (a substring anywhere, rows in registry
order); this page asks the ranked search that ``portreg search`` and
``/api/v1/search`` ask (:mod:`portreg.services.search`): the exact name first, then
the names it replaces or that replace it, names starting with the text, typos
corrected, a port number as a port lookup. Rows are the registry page's own.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ...errors import InvalidQuery
from ...services.params import parse_page
from .render import current, footnotes_of, render, rows_of, service, table_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Rows per page, and the longest text searched (the registry page's bound).
PAGE_SIZE = 50
MAX_TEXT = 200


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    """Ranked search over the current version, a page of 50 rows at a time."""
    params = request.query_params
    text = " ".join((params.get("q") or "").split())[:MAX_TEXT]
    problems: list[str] = []
    page = 1
    if params.get("page"):
        try:
            page = parse_page(params["page"])
        except InvalidQuery as error:
            problems.append(error.message)
    snapshot = current(request)
    context: dict[str, Any] = {"snapshot": snapshot, "text": text, "problems": problems, "page": page}
    if not text:
        return render(request, "search.html", total=0, pages=0, rows="", footnotes=[], first=0, **context)
    result = service(request).query_for(snapshot).search(
        text, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, version=snapshot.version.number
    )
    data = table_of(snapshot)
    return render(
        request,
        "search.html",
        total=result.total,
        pages=-(-result.total // PAGE_SIZE),
        first=result.offset + 1,
        rows=rows_of(snapshot).rows(data.position(h) for h in result.hits),
        shown=len(result.hits),
        footnotes=footnotes_of(snapshot, result.hits),
        **context,
    )

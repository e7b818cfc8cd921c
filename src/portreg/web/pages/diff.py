"""The page of one diff: ``/changes/A..B``, what changed from version A to version B.

A and B are version numbers, dates ``YYYY-MM-DD`` (the version in force that day) or
``latest``, as everywhere (:func:`portreg.services.history.resolve`). A page asked by
date or ``latest`` redirects to the numbers they stand for today, so the page a link
names never changes, and can be cached for good. The ``/changes`` list and the feeds
live in :mod:`.changes`; this page shows what each of their entries links to.

A diff can be the whole registry (version 1 to the latest): each kind of change shows
its first :data:`SHOWN` rows, and says how many more the JSON API gives.

A diff compares two versions of one registry. Version numbers are one sequence over
every registry the store holds, so ``/changes/2..4`` finds the registry they belong
to; dates and ``latest`` mean IANA's unless ``?registry=NAME`` names another, and
redirect to the numbers. The neighbouring diffs are the registry's own versions.
``/changes/N`` (what version N changed) redirects to the diff from the version before
it in its registry, so a link to a version's changes needs no knowledge of the others.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ...errors import EmptyStore, InvalidQuery, NotFound
from ...rules import record_state
from ...services import history
from .. import urls

__all__ = ["SHOWN", "router"]

#: Rows shown per kind of change; the API gives them all.
SHOWN = 500

router = APIRouter(include_in_schema=False)


@router.get("/changes/{span}")
def diff_page(request: Request, span: str) -> Response:
    """What changed from version A to version B: records, people, the registry's head."""
    from .render import current, error_page, render

    service = request.app.state.registry_service
    if span.isascii() and span.isdigit() and len(span) <= 9:
        return _version_changes(request, int(span))
    try:
        old, new = history.parse_span(span)
        store = history.scope(service.store, request.query_params.get("registry"), old, new)
        a = history.resolve(store, old, "from")
        b = history.resolve(store, new, "to")
    except InvalidQuery as exc:
        return error_page(request, 400, f"Bad {exc.parameter or 'parameter'}", exc.message)
    except EmptyStore:
        raise
    except NotFound as exc:
        numbers = [int(s) for s in exc.suggestions if s.isascii() and s.isdigit() and len(s) < 10]
        hints = [(f"Version {n}", urls.diff_url(n, n + 1)) for n in numbers]
        return error_page(
            request, 404, "No such version", str(exc), suggestions=[*hints, ("All changes", urls.changes_url())]
        )
    if (old, new) != (str(a.number), str(b.number)):
        return RedirectResponse(urls.diff_url(a.number, b.number), status_code=302)
    found = request.app.state.diffs.get(service.store, a.number, b.number)
    before = history.predecessors(store)
    after = {old_number: new_number for new_number, old_number in before.items()}
    forward = a.number < b.number
    local = None if store.registry_name == service.store.registry_name else store.registry_name
    whose = f" of {local}" if local else ""
    return render(
        request,
        "diff.html",
        snapshot=current(request),
        diff=found,
        shown=SHOWN,
        state_of=record_state,
        registry=local,
        previous_step=(before[a.number], a.number) if forward and a.number in before else None,
        next_step=(b.number, after[b.number]) if forward and b.number in after else None,
        api=f"{urls.API_ROOT}{urls.diff_url(a.number, b.number)}",
        title=f"Changes{whose} from version {a.number} to {b.number}",
    )


def _version_changes(request: Request, number: int) -> Response:
    """``/changes/N``: a redirect to N's diff against its registry's version before (or,
    for a registry's first version, to that registry's list of changes)."""
    from .render import error_page

    service = request.app.state.registry_service
    try:
        store = history.scope(service.store, None, number)
        history.resolve(store, number)
    except NotFound as exc:
        return error_page(request, 404, "No such version", str(exc), suggestions=[("All changes", urls.changes_url())])
    before = history.predecessors(store).get(number)
    if before is None:
        local = None if store.registry_name == service.store.registry_name else store.registry_name
        return RedirectResponse(urls.changes_url(registry=local), status_code=302)
    return RedirectResponse(urls.diff_url(before, number), status_code=302)

"""What every page shares: the Jinja environment, rendering, the snapshot a request reads,
what is computed once per version for the pages, and the HTML error page.

Pages read one :class:`~portreg.services.registry.Snapshot` per request (the current
version) through the app's registry service, and say which version they show.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.staticfiles import StaticFiles

from ...model import DYNAMIC, SYSTEM, TRANSPORTS, USER
from ...rules import RANGE_CLASSES
from ...services.query import STATES
from ...services.table import TableData
from .. import markup, urls
from ..downloads import DOWNLOADS, LABELS

if TYPE_CHECKING:
    import jinja2

    from ...services.query import Hit
    from ...services.registry import RegistryService, Snapshot

__all__ = [
    "STATIC",
    "contact_ids",
    "current",
    "environment",
    "error_page",
    "footnotes_of",
    "formats_of",
    "parse_version",
    "render",
    "rows_of",
    "service",
    "table_of",
]

HERE = Path(__file__).parent.parent  # portreg/web
STATIC = HERE / "static"
STYLESHEET = "portreg.css"

RANGE_LABELS = {
    cls: f"{name} ({ports.low}–{ports.high})"
    for cls, name in ((SYSTEM, "System Ports"), (USER, "User Ports"), (DYNAMIC, "Dynamic and/or Private Ports"))
    for ports in (RANGE_CLASSES[cls],)
}


# --------------------------------------------------------------------------- set-up


def environment() -> jinja2.Environment:
    import jinja2

    from ...formats import html as html_format

    iana = html_format.environment()
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader("portreg.web", "templates"), *filter(None, [iana.loader])]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(iana.filters)
    env.filters.update(
        service_url=markup.service_url,
        port_url=markup.port_url,
        person_url=markup.person_url,
        people_refs=lambda ids: Markup(markup.people_refs(ids)),
        thousands=lambda n: f"{n:,}",
    )
    digest = hashlib.blake2b((STATIC / STYLESHEET).read_bytes(), digest_size=6).hexdigest()
    from ...services.stack import describe

    env.globals.update(
        stack_about=describe,
        stylesheet=urls.static_url(STYLESHEET, digest),
        urls=urls,
        columns=markup.COLUMNS,
        transports=TRANSPORTS,
        range_labels=RANGE_LABELS,
        states=STATES,
    )
    return env


class Static(StaticFiles):
    """Static files, cached by browsers for a day (the page links them with a content hash)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def service(request: Request) -> RegistryService:
    """The app's registry service: every page reads through it."""
    return request.app.state.registry_service


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.page_env
    log = getattr(request.app.state, "translog", None)
    log_head = log.summary() if log is not None else None  # the footer's tree head
    html = env.get_template(template).render(
        request_path=request.url.path, notice=request.app.state.notice, log_head=log_head, **context
    )
    return HTMLResponse(html, status_code=status)


def current(request: Request) -> Snapshot:
    """The snapshot of the current version, which a page reads from start to end: of
    the view ``?registry=`` names (``stack`` or one registry; default: the stack when
    the store holds a local registry, else the upstream alone)."""
    from ...services.stack import parse_registry

    return service(request).view(parse_registry(request.query_params.get("registry")))


def formats_of(snapshot: Snapshot | None = None) -> list[tuple[str, str]]:
    """The Available Formats: (label, path) for each download, IANA's four first.

    services(5) comes twice: the full file, and the ``small`` profile (the services of
    Debian's netbase), which is what most systems ship as ``/etc/services``. A page
    reading a local registry or the stack offers that view's documents
    (``?registry=``), and the stack's page the local registries' services(5) alone.
    """
    scope = getattr(snapshot, "scope", None)
    which = None if scope in (None, "iana") else scope
    found = []
    for ext in LABELS:
        if ext in DOWNLOADS:
            found.append((LABELS[ext], urls.download_url(ext, registry=which)))
            if ext == "services" and which is None:
                found.append((f"{LABELS[ext]}, small", urls.download_url(ext, profile="small")))
            elif ext == "services" and which == "stack":
                found.append((f"{LABELS[ext]}, local only", urls.download_url(ext, profile="local")))
    return found


# --------------------------------------------------------------------------- per-version data


def table_of(snapshot: Snapshot) -> TableData:
    return snapshot.derived("pages:table", lambda s: TableData(s.hits, s.index, s.people))


def rows_of(snapshot: Snapshot) -> markup.RowCache:
    return snapshot.derived("pages:rows", lambda s: markup.RowCache(s.hits, s.people))


def people_order(snapshot: Snapshot) -> dict[str, int]:
    return snapshot.derived("pages:people-order", lambda s: {p.id: i for i, p in enumerate(s.registry.people)})


def contact_ids(snapshot: Snapshot, positions: Sequence[int]) -> list[str]:
    """The people the rows at ``positions`` name, in the registry's order of people (as IANA lists them)."""
    data = table_of(snapshot)
    if len(positions) == len(data.hits):
        return snapshot.derived("pages:all-contacts", lambda s: sorted_people(s, range(len(data.hits))))
    return sorted_people(snapshot, positions)


def sorted_people(snapshot: Snapshot, positions: Iterable[int]) -> list[str]:
    order = people_order(snapshot)
    ids = table_of(snapshot).person_ids
    wanted = {pid for i in positions for pid in ids[i] if pid in order}
    return sorted(wanted, key=order.__getitem__)


def footnotes_of(snapshot: Snapshot, hits: Iterable[Hit]) -> list[Any]:
    anchors = {
        ref.data
        for hit in hits
        for text in (hit.record.references, *(t.references() for t in (hit.record.description, hit.record.notes) if t))
        for ref in text
        if ref.type == "note"
    }
    return [note for note in snapshot.registry.footnotes if note.anchor in anchors]


# --------------------------------------------------------------------------- parameters and errors


def parse_version(text: str | None) -> int | None:
    """A ``?version=`` value as a number, None when absent; InvalidQuery when it is no version number."""
    from ...services import params

    return None if text is None else params.parse_version(text)


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    suggestions: Sequence[tuple[str, str]] = (),
    snapshot: Snapshot | None = None,
) -> HTMLResponse:
    """An HTML error page that says what went wrong and where to go instead."""
    return render(
        request,
        "error.html",
        status=status,
        status_code=status,
        snapshot=snapshot,
        title=title,
        message=message,
        suggestions=suggestions,
    )



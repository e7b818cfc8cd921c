"""The registry's published documents, at the paths IANA uses.

``/assignments/service-names-port-numbers/service-names-port-numbers.{xml,csv,html,txt}``
plus ``.services`` and ``.json``: the same bytes ``portreg export --format F --version N``
writes, because both call :func:`portreg.formats.to_bytes` on the store's registry of
that version. ``?version=N`` serves an older version; ``?profile=small|local|full`` a
profile of ``.services`` (as ``portreg export --profile``); ``?registry=NAME|stack`` a
local registry alone or every registry stacked (as ``portreg export --registry``).
Without ``?registry=`` a document is IANA's registry alone, byte for byte, whatever
local registries the store holds (``?profile=local`` alone takes every local one).

A version never changes once published, so each document is rendered once per version
and kept (bounded, least recently used first), and a download of an explicit version is
cacheable forever.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import formats
from ..errors import InvalidQuery, NotFound
from ..services.params import shown
from ..services.registries import UPSTREAM
from .middleware import CONTENT_SECURITY_POLICY, http_date
from .urls import DOWNLOADS_PREFIX, DOWNLOADS_STEM, download_url

if TYPE_CHECKING:
    from ..services.registries import Plan
    from ..services.registry import Snapshot

__all__ = ["DOWNLOADS", "PREFIX", "download_path", "router"]

PREFIX = DOWNLOADS_PREFIX
STEM = DOWNLOADS_STEM
#: File extension in the URL -> format name (as ``portreg export --format`` spells it).
DOWNLOADS: dict[str, str] = {f.extension: f.name for f in formats.FORMATS.values()}
#: Labels for the "Available Formats" list, in IANA's order, then ours.
LABELS: dict[str, str] = {f.extension: f.label for f in formats.FORMATS.values()}
MEDIA_TYPES: dict[str, str] = {f.extension: f.media_type for f in formats.FORMATS.values()}
#: The services(5) profiles a download offers as ``?profile=`` (a names file is the CLI's).
WEB_PROFILES = ("full", "small", "local")
#: Rendered documents kept in memory, across versions (the 2024 XML alone is 13 MB).
CACHE_BYTES = 48 * 1024 * 1024

router = APIRouter(include_in_schema=False)


#: The URL path of the document in an extension (of a version when given).
download_path = download_url


class DocumentCache:
    """Rendered documents by (version, format), least recently used dropped first."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, snapshot: Snapshot, fmt: str, profile: str | None = None) -> tuple[bytes, str]:
        """The document and its strong ETag, rendered on first use.

        ``profile`` names a services(5) profile (``small``, ``local``); None is the full file.
        """
        key = (snapshot.version.number, fmt, profile)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        options: dict[str, Any] = {}
        if profile is not None:
            from ..services.exports import services_profile

            options["profile"] = services_profile(profile)
        body = formats.to_bytes(snapshot.registry, fmt, **options)
        kind = fmt if profile is None else f"{fmt}-{profile}"
        etag = f'"v{key[0]}-{kind}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'
        self._keep(key, body, etag)
        return body, etag

    def get_planned(self, service: Any, plan: Plan, fmt: str) -> tuple[bytes, str]:
        """The document of an export :class:`~portreg.services.registries.Plan` (a local
        registry, the stack, profile local), rendered on first use like :meth:`get`."""
        key = ("plan", *plan.key, fmt)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        from ..services.registries import export

        document = export(service, planned=plan)
        body = formats.to_bytes(document.registry, fmt, **document.options)
        layers = "+".join(f"{name}{number}" for name, number in document.layers)
        kind = fmt if plan.profile is None else f"{fmt}-{plan.profile}"
        etag = f'"{plan.selected}-{layers}-{kind}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'
        self._keep(key, body, etag)
        return body, etag

    def _keep(self, key: tuple[Any, ...], body: bytes, etag: str) -> None:
        with self._lock:
            if key not in self._items and len(body) <= self.limit:
                self._items[key] = (body, etag)
                self._size += len(body)
                while self._size > self.limit:
                    _, (dropped, _) = self._items.popitem(last=False)
                    self._size -= len(dropped)


@router.get(PREFIX + "/" + STEM + ".{extension}")
def download(request: Request, extension: str) -> Response:
    """One published document of the current version, or of ``?version=N``."""
    from .pages.render import error_page, parse_version

    fmt = DOWNLOADS.get(extension)
    if fmt is None:
        known = ", ".join(f".{ext}" for ext in DOWNLOADS)
        return error_page(
            request, 404, f"No document in the format .{extension}", f"The registry is published as {known}."
        )
    profile = request.query_params.get("profile")
    if profile is not None and (fmt != "services" or profile not in WEB_PROFILES):
        if fmt != "services":
            return error_page(request, 400, "Bad profile", "?profile= applies to the .services download only.")
        choices = ", ".join(WEB_PROFILES)
        return error_page(request, 400, "Bad profile", f"?profile= takes one of {choices}, not {shown(profile)}.")
    try:
        number = parse_version(request.query_params.get("version"))
    except InvalidQuery as exc:
        return error_page(request, 400, "Bad version", exc.message + ".")
    service = request.app.state.registry_service
    service.current()  # an empty store is a 503 that says how to fill it, not a missing version
    cache: DocumentCache = request.app.state.documents
    which = request.query_params.get("registry")
    if which not in (None, UPSTREAM) or profile == "local":
        from ..services.registries import plan

        try:
            planned = plan(service, registry=which, version=number, profile=profile)
        except InvalidQuery as exc:
            return error_page(request, 400, f"Bad {exc.parameter or 'registry'}", exc.message + ".")
        except NotFound as exc:
            return error_page(request, 404, "No such registry or version", str(exc) + ".")
        body, etag = cache.get_planned(service, planned, fmt)
        modified = planned.modified.created_at
    else:
        try:
            snapshot = service.at(number)
        except NotFound:
            versions = service.versions()
            held = f"versions {versions[0].number} to {versions[-1].number}" if len(versions) > 1 else "version 1"
            return error_page(request, 404, f"No version {number}", f"This registry holds {held}.")
        body, etag = cache.get(snapshot, fmt, None if profile == "full" else profile)
        modified = snapshot.version.created_at
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(modified),
        "Cache-Control": "public, max-age=31536000, immutable" if number is not None else "no-cache",
    }
    if fmt == "html":
        headers["Content-Security-Policy"] = _policy_for_page(body)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.DOTALL)


def _policy_for_page(body: bytes) -> str:
    """The site's policy, allowing the published page's own ``<style>`` by its hash.

    The HTML format is a standalone document (IANA's page), so its stylesheet is inline;
    naming that exact stylesheet by hash lets a browser show it styled without allowing
    any other inline style, and still no script at all.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'" for m in _STYLE.finditer(body)
    )
    return CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' {hashes}" if hashes else "style-src 'self'"
    )

"""The transparency log in JSON, ``/api/v1/log/…``, and its public key at a well-known URL.

- ``GET /api/v1/log/head``: the signed tree head (size, root hash, timestamp, Ed25519
  signature over the checkpoint text, key id);
- ``GET /api/v1/log/entries?start=&end=``: the leaves themselves (at most
  :data:`MAX_ENTRIES` per call), so that anyone can rebuild the tree;
- ``GET /api/v1/log/inclusion?version=N[&tree_size=S]``: version N's leaf and its audit path;
- ``GET /api/v1/log/consistency?first=M[&second=S]``: the proof that the tree of M
  leaves is a prefix of the tree of S;
- ``GET /.well-known/portreg-log-key``: the public key, PEM.

Hashes are hex; the signature base64, over the exact ``checkpoint`` text. Proofs follow
RFC 9162 §2.1.3 and §2.1.4, so any Certificate Transparency library checks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ...errors import InvalidQuery
from ...services import params
from ..errors import ApiError, ApiRoute
from .params import error_responses

if TYPE_CHECKING:
    from ...services.translog import TransparencyLog

__all__ = ["KEY_PATH", "MAX_ENTRIES", "router", "well_known"]

KEY_PATH = "/.well-known/portreg-log-key"
MAX_ENTRIES = 1000
#: Log sizes fit the database's integers, like version numbers.
MAX_SIZE = 2**31 - 1

router = APIRouter(
    prefix="/log",
    route_class=ApiRoute,
    responses=error_responses(400, 404, 503, e503="This server keeps no signed transparency log."),
    tags=["log"],
)
well_known = APIRouter(include_in_schema=False)


def _log(request: Request) -> TransparencyLog:
    log: TransparencyLog | None = getattr(request.app.state, "translog", None)
    if log is None or log.key is None:
        raise ApiError(503, "store_unavailable", "this server keeps no signed transparency log (no signing key)")
    return log


def _int(text: str | None, name: str, *, low: int = 0, required: bool = False) -> int | None:
    """A whole number in ASCII digits (``services.params``), or a 400 naming ``name``."""
    if text is None:
        if required:
            raise ApiError.invalid(name, f"{name} is required")
        return None
    try:
        return params.parse_int(text, parameter=name, low=low, high=MAX_SIZE)
    except InvalidQuery as exc:
        raise ApiError.invalid(name, exc.message) from None


def _json(body: dict[str, Any], *, cache: str = "no-cache") -> Response:
    import json

    return Response(
        json.dumps(body, ensure_ascii=False).encode(), media_type="application/json", headers={"Cache-Control": cache}
    )


#: Parameters are taken as text and parsed strictly by ``services.params`` (ASCII
#: digits only, bounded), so the 400 says what was wrong the same way everywhere.
Size = Annotated[str | None, Query(description="A tree size: a number of leaves, from 0.")]


@router.get("/head", summary="The log's signed tree head")
def head(request: Request) -> Response:
    """The current signed tree head: how many leaves the log holds and the root hash over them."""
    log = _log(request)
    return _json({**log.signed_head().to_json(), "key_url": KEY_PATH})


@router.get("/entries", summary="The log's leaves")
def entries(
    request: Request,
    start: Annotated[str | None, Query(description="The first leaf's index, from 0.")] = None,
    end: Annotated[str | None, Query(description="One past the last leaf's index (at most start + 1000).")] = None,
) -> Response:
    """Leaves ``start`` to ``end - 1`` (at most 1000): their bytes, as JSON text, and hashes."""
    log = _log(request)
    low = _int(start, "start") or 0
    high = _int(end, "end")
    if high is None:
        high = low + MAX_ENTRIES
    if high < low:
        raise ApiError.invalid("end", f"end must not be below start ({low})")
    high = min(high, low + MAX_ENTRIES)
    found = log.entries(low, high)
    body = {
        "start": low,
        "tree_size": log.size(),
        "entries": [
            {
                "leaf_index": e.index,
                "kind": e.kind,
                "version": e.version,
                "leaf": e.leaf.decode("utf-8"),
                "leaf_hash": e.leaf_hash.hex(),
            }
            for e in found
        ],
    }
    # A full page of leaves never changes: leaves are only ever appended.
    return _json(body, cache="public, max-age=31536000, immutable" if len(found) == high - low else "no-cache")


@router.get("/inclusion", summary="That a version is in the log")
def inclusion(
    request: Request,
    version: Annotated[str | None, Query(description="A version number (required).")] = None,
    tree_size: Size = None,
) -> Response:
    """Version ``version``'s leaf, its index, and the audit path to the root of the tree of ``tree_size`` leaves."""
    log = _log(request)
    number = _int(version, "version", low=1, required=True)
    assert number is not None
    try:
        proof = log.inclusion(number, _int(tree_size, "tree_size", low=1))
    except InvalidQuery as exc:
        raise ApiError.invalid(exc.parameter or "tree_size", exc.message) from None
    entry = proof.entry
    return _json(
        {
            "version": number,
            "leaf_index": entry.index,
            "tree_size": proof.tree_size,
            "leaf": entry.leaf.decode("utf-8"),
            "leaf_hash": entry.leaf_hash.hex(),
            "audit_path": [h.hex() for h in proof.path],
        }
    )


@router.get("/consistency", summary="That the log only grew")
def consistency(
    request: Request,
    first: Annotated[str | None, Query(description="The earlier tree size (required).")] = None,
    second: Annotated[str | None, Query(description="The later tree size (default: the current one).")] = None,
) -> Response:
    """The consistency proof from the tree of ``first`` leaves to the tree of ``second`` (default: the current one)."""
    log = _log(request)
    older = _int(first, "first", required=True)
    newer = _int(second, "second")
    assert older is not None
    try:
        proof = log.consistency(older, newer)
    except InvalidQuery as exc:
        raise ApiError.invalid(exc.parameter or "first", exc.message) from None
    return _json({"first": older, "second": log.size() if newer is None else newer, "proof": [h.hex() for h in proof]})


@well_known.get(KEY_PATH)
def public_key(request: Request) -> Response:
    """The log's Ed25519 public key (PEM): what verifiers check tree heads with."""
    log = getattr(request.app.state, "translog", None)
    if log is None or log.key is None:
        return Response(
            "this server keeps no signed transparency log\n", status_code=404, media_type="text/plain; charset=utf-8"
        )
    return Response(
        log.key.public_pem, media_type="application/x-pem-file", headers={"Cache-Control": "public, max-age=86400"}
    )

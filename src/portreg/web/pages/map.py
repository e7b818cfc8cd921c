"""The port map: the port space in blocks of 256 ports, one block port by port, and
registrations per year, drawn as SVG of links (no script)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ... import rules
from ...errors import InvalidQuery
from ...services import params
from ...services.query import RANGES
from .. import svg, urls
from .render import current, error_page, footnotes_of, render, rows_of, table_of

if TYPE_CHECKING:
    from ...services.registry import Snapshot

__all__ = ["BLOCK", "port_states", "router"]

BLOCK = 256  # ports per cell of the overview map

router = APIRouter(include_in_schema=False)


def port_states(snapshot: Snapshot) -> bytes:
    """Each port's strongest state on any transport (:mod:`.svg` codes), 65,536 bytes."""
    strength = {rules.UNASSIGNED: svg.UNASSIGNED, rules.RESERVED: svg.RESERVED, rules.ASSIGNED: svg.ASSIGNED}
    states = bytearray(rules.MAX_PORT + 1)
    for wanted in (svg.RESERVED, svg.ASSIGNED):  # weaker first, so the stronger claim wins
        for hit in snapshot.hits:
            port = hit.record.port
            if port is not None and strength[hit.state] == wanted:
                states[port.low : port.high + 1] = bytes([wanted]) * (port.high - port.low + 1)
    return bytes(states)


def blocks_of(snapshot: Snapshot) -> list[svg.BlockSummary]:
    states = snapshot.derived("pages:port-states", port_states)
    blocks = []
    for low in range(0, rules.MAX_PORT + 1, BLOCK):
        chunk = states[low : low + BLOCK]
        assigned, reserved = chunk.count(svg.ASSIGNED), chunk.count(svg.RESERVED)
        blocks.append(
            svg.BlockSummary(
                low, low + BLOCK - 1, rules.range_class(low), assigned, reserved, BLOCK - assigned - reserved
            )
        )
    return blocks


def _years(snapshot: Snapshot) -> list[tuple[int, int]]:
    counts = Counter(
        int(hit.record.registered[:4])
        for hit in snapshot.hits
        if hit.record.registered and hit.record.registered[:4].isascii() and hit.record.registered[:4].isdigit()
    )
    if not counts:
        return []
    return [(year, counts.get(year, 0)) for year in range(min(counts), max(counts) + 1)]


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request) -> Response:
    """The port space: 256 blocks of 256 ports, or one block port by port; registrations per year."""
    snapshot = current(request)
    block_text = request.query_params.get("block")
    if block_text is not None:
        try:
            last = rules.MAX_PORT // BLOCK
            number = params.parse_int(block_text, parameter="block", low=0, high=last, what="a block number")
        except InvalidQuery as exc:
            return error_page(request, 404, "No such block", exc.message + ".", snapshot=snapshot)
        return _block_page(request, snapshot, number)
    blocks = snapshot.derived("pages:blocks", blocks_of)
    totals: dict[str, Counter[str]] = {cls: Counter() for cls in RANGES}
    for block in blocks:
        totals[block.range_class].update(assigned=block.assigned, reserved=block.reserved, unassigned=block.unassigned)
    years = snapshot.derived("pages:years", _years)
    undated = sum(1 for hit in snapshot.hits if not hit.record.registered)
    return render(
        request,
        "map.html",
        snapshot=snapshot,
        picture=svg.block_grid(
            blocks, lambda b: urls.block_url(b.low // BLOCK), title="The port space, 256 ports per cell"
        ),
        totals=totals,
        chart=svg.year_chart(years, lambda y: urls.registry_url({"year": y}), title="Records by year of registration"),
        dated=sum(count for _, count in years),
        undated=undated,
    )


def _block_page(request: Request, snapshot: Snapshot, block: int) -> Response:
    states = snapshot.derived("pages:port-states", port_states)
    low = block * BLOCK
    high = low + BLOCK - 1
    index = snapshot.index

    def names(port: int) -> str:
        found = dict.fromkeys(h.record.name for h in index.port(port).hits if h.record.name)
        return ", ".join(found)

    answer = index.ports(low, high)
    data = table_of(snapshot)
    return render(
        request,
        "block.html",
        snapshot=snapshot,
        block=block,
        low=low,
        high=high,
        last_block=rules.MAX_PORT // BLOCK,
        range_class=rules.range_class(low),
        picture=svg.port_grid(
            low,
            states[low : high + 1],
            names,
            urls.port_url,
            rules.range_class,
            title=f"Ports {low}–{high}",
        ),
        rows=rows_of(snapshot).rows(data.position(h) for h in answer.hits),
        count=len(answer.hits),
        footnotes=footnotes_of(snapshot, answer.hits),
    )



"""Pictures of the registry drawn on the server as SVG: the port space and registrations per year.

Plain functions from numbers to SVG text, embedded inline in the pages: no chart
library, no script, nothing fetched at run time, and every shape a link or a
``<title>`` tooltip so the pictures work with a keyboard and without JavaScript. Colours
come from classes styled in ``static/portreg.css``, never from inline styles (the
Content-Security-Policy forbids those).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from markupsafe import Markup, escape

__all__ = ["BlockSummary", "block_grid", "port_grid", "year_chart"]

#: Codes of a port's state in the arrays the map is drawn from.
UNASSIGNED, RESERVED, ASSIGNED = 0, 1, 2
STATE_NAMES = ("unassigned", "reserved", "assigned")
COLUMNS = 16
CELL = 40
GAP = 2
LABEL_WIDTH = 56


@dataclass(frozen=True)
class BlockSummary:
    """A run of ports (one cell of the overview) and how many of them are in each state."""

    low: int
    high: int
    range_class: str
    assigned: int
    reserved: int
    unassigned: int

    @property
    def size(self) -> int:
        return self.high - self.low + 1

    @property
    def heat(self) -> int:
        """0-5: how much of the block is taken (assigned counts fully, reserved half)."""
        taken = self.assigned + self.reserved / 2
        return min(5, round(5 * taken / self.size + 0.49)) if taken else 0


def _grid_frame(rows: int) -> tuple[int, int]:
    width = LABEL_WIDTH + COLUMNS * (CELL + GAP)
    height = rows * (CELL + GAP)
    return width, height


def _open(css: str, width: float, height: float, title: str, title_id: str) -> str:
    """The opening of an inline SVG picture, labelled by its ``<title>`` for screen readers."""
    return (
        f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{title_id}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{title_id}">{escape(title)}</title>'
    )


def _row_label(index: int, y: int, port: int) -> str:
    """The first port of a grid row, left of the row, when ``index`` starts one."""
    if index % COLUMNS:
        return ""
    return f'<text class="axis" x="{LABEL_WIDTH - 6}" y="{y + CELL / 2 + 4}" text-anchor="end">{port}</text>'


def _cell_origin(index: int) -> tuple[int, int]:
    row, col = divmod(index, COLUMNS)
    return LABEL_WIDTH + col * (CELL + GAP), row * (CELL + GAP)


def block_grid(blocks: Sequence[BlockSummary], link: Callable[[BlockSummary], str], *, title: str) -> Markup:
    """The overview: one cell per block, shaded by how taken it is, coloured by range class."""
    rows = (len(blocks) + COLUMNS - 1) // COLUMNS
    width, height = _grid_frame(rows)
    out = [_open("portmap", width, height, title, "map-title")]
    for index, block in enumerate(blocks):
        x, y = _cell_origin(index)
        out.append(_row_label(index, y, block.low))
        tip = (
            f"ports {block.low}\u2013{block.high} ({block.range_class}): {block.assigned} assigned, "
            f"{block.reserved} reserved, {block.unassigned} unassigned"
        )
        out.append(
            f'<a href="{escape(link(block))}"><rect class="block {block.range_class} heat{block.heat}" '
            f'x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="3"><title>{escape(tip)}</title></rect></a>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def port_grid(
    low: int,
    states: Sequence[int],
    names: Callable[[int], str],
    link: Callable[[int], str],
    range_class: Callable[[int], str],
    *,
    title: str,
) -> Markup:
    """A zoomed view: one cell per port from ``low``, coloured by state, each a link to the port."""
    rows = (len(states) + COLUMNS - 1) // COLUMNS
    width, height = _grid_frame(rows)
    out = [_open("portmap ports", width, height, title, "map-title")]
    for index, state in enumerate(states):
        port = low + index
        x, y = _cell_origin(index)
        out.append(_row_label(index, y, port))
        label = names(port)
        tip = f"{port} ({range_class(port)}): {STATE_NAMES[state]}" + (f" \u2014 {label}" if label else "")
        out.append(
            f'<a href="{escape(link(port))}"><rect class="port {STATE_NAMES[state]}" x="{x}" y="{y}" '
            f'width="{CELL}" height="{CELL}" rx="3"><title>{escape(tip)}</title></rect>'
            f'<text class="portnum" x="{x + CELL / 2}" y="{y + CELL / 2 + 4}" text-anchor="middle">{port}</text></a>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def year_chart(counts: Sequence[tuple[int, int]], link: Callable[[int], str], *, title: str) -> Markup:
    """Bars of registrations per year, with a value axis and a label every few years."""
    if not counts:
        return Markup("")
    bar, gap, left, bottom, top, plot_height = 14, 4, 48, 28, 12, 220
    peak = max(count for _, count in counts)
    step = _nice_step(peak)
    ceiling = -(-peak // step) * step
    width = left + len(counts) * (bar + gap) + 8
    height = top + plot_height + bottom
    out = [_open("chart", width, height, title, "chart-title")]
    for tick in range(0, ceiling + 1, step):
        y = top + plot_height - plot_height * tick / ceiling
        out.append(f'<line class="grid" x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for index, (year, count) in enumerate(counts):
        x = left + index * (bar + gap)
        h = plot_height * count / ceiling
        y = top + plot_height - h
        out.append(
            f'<a href="{escape(link(year))}"><rect class="bar" x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}">'
            f"<title>{year}: {count} registrations</title></rect></a>"
        )
        if year % 5 == 0 or index == 0 or index == len(counts) - 1:
            out.append(
                f'<text class="axis" x="{x + bar / 2}" y="{top + plot_height + 16}" text-anchor="middle">{year}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))


def _nice_step(peak: int) -> int:
    """A round tick step giving four to eight gridlines up to ``peak``."""
    step = 1
    while peak / step > 8:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if peak / step <= 8:
                break
    return step

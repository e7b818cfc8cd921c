"""How long the HTML page (and the text page) of the whole registry take to render.

The web server renders the page on request, so the figure that matters is the median
time of ``html.render`` over the full registry (target: 0.5 s), with the model already
in memory. Also prints the rows of a 100-record subset (a search result page) and the
plain-text rendering, for comparison.

    python benchmarks/html_render.py [--runs 7] [FILE]

FILE defaults to ../shared/iana/service-names-port-numbers.xml (any readable format).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, object]:
    """Median wall time and median CPU time of ``fn`` over ``runs`` calls, and its last
    result. CPU time is the steadier figure on a machine shared with other work."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=XML)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from portreg import formats
    from portreg.formats import html, text

    registry = formats.read(args.file.read_bytes(), source=str(args.file))
    html.render(registry)  # compile the templates once, as a running server has
    subset = registry.records[:100]
    print(f"{args.file.name}: {len(registry.records)} records, {len(registry.people)} people; {args.runs} runs each")
    for label, fn in (
        ("html.render (whole page)", lambda: html.render(registry)),
        ("html.render_rows (100 records)", lambda: html.render_rows(subset)),
        ("text.render (whole registry)", lambda: text.render(registry)),
    ):
        wall, cpu, result = timed(fn, args.runs)
        print(f"{label:32} median wall {wall * 1000:7.1f} ms   cpu {cpu * 1000:7.1f} ms   {len(result):>9,} chars")


if __name__ == "__main__":
    main()

"""The website's pages: render time of the full registry and of searches, and the server's memory.

Fills a temporary SQLite store with the real 2024-03-18 registry, starts a real
``portreg serve`` on loopback, and times page requests over HTTP (one client, one
request at a time: this measures a page, not throughput). Also times the same pages
rendered in process (the route alone, no HTTP), and the start-up work that makes the
full page cheap (building the index and the rows of a new version).

Targets (issue 4): the full registry page (14,444 rows, no pagination) in <= 1 s, a
search page in <= 50 ms, server RSS <= 200 MB with the registry loaded. The machine may
be shared: the load average is printed next to the figures.

    python benchmarks/web_pages.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"

FULL = "/?page_size=all"
SEARCHES = ["/?search=162", "/?search=6010", "/?search=http", "/?search=trap&transport=udp&sort=-port", "/?state=reserved&page=3"]
OTHERS = ["/", "/service/http", "/port/5432", "/person/Jon_Postel", "/map", "/map?block=21"]
DOWNLOAD = "/assignments/service-names-port-numbers/service-names-port-numbers."


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def times(client, url: str, repeat: int, **headers: str) -> tuple[list[float], int]:
    out, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        out.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.content)
    return out, size


def line(label: str, samples: list[float], extra: str = "") -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"  {label:<48} median {statistics.median(ms):8.1f} ms   p95 {p95:8.1f} ms   max {ms[-1]:8.1f} ms  {extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="requests per page (default 15)")
    args = parser.parse_args()
    if not XML.exists():
        print(f"{XML} is absent: the real registry lives in ../shared", file=sys.stderr)
        return 2
    import httpx

    sys.path.insert(0, str(ROOT / "tests"))
    from _web import free_port  # noqa: E402

    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="portreg-bench-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        subprocess.run([sys.executable, "-m", "portreg", "--db", url, "import", str(XML)], check=True, capture_output=True)

        in_process(url, args.repeat)

        port = free_port()
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "portreg", "--db", url, "serve", "--port", str(port), "--init-from", "none"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                while True:
                    try:
                        client.get("/static/favicon.svg")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                print(f"\nportreg serve (pid {server.pid}) ready in {time.perf_counter() - started:.2f} s "
                      f"(import of modules, index, rows pre-rendered); RSS {rss_mb(server.pid):.0f} MB")
                print("over HTTP on loopback, one request at a time:")
                for encoding in ("gzip", "identity"):
                    samples, size = times(client, FULL, args.repeat, **{"Accept-Encoding": encoding})
                    line(f"{FULL} ({encoding})", samples, f"{size / 1e6:.1f} MB, 14,444 rows")
                for url_ in SEARCHES + OTHERS:
                    samples, size = times(client, url_, args.repeat, **{"Accept-Encoding": "gzip"})
                    line(url_, samples, f"{size / 1e3:.0f} kB")
                print(f"  RSS after the pages: {rss_mb(server.pid):.0f} MB")
                for ext in ("xml", "csv", "html", "txt", "services", "json"):
                    first, _ = times(client, DOWNLOAD + ext, 1)
                    again, size = times(client, DOWNLOAD + ext, 3)
                    line(f"download .{ext} (first, then cached)", first + again, f"first {first[0] * 1000:.0f} ms, {size / 1e6:.1f} MB")
                print(f"  RSS after every download (kept per version, bounded): {rss_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


def in_process(url: str, repeat: int) -> None:
    """The pages rendered by the app itself, without HTTP: what the route costs."""
    from starlette.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    store = Store.open(url)
    app = create_app(store=store)
    start = time.perf_counter()
    app.state.registry_service.current()  # read the version, build hits and index, pre-render the rows
    print(f"in process: making a version servable (read from the store, index, rows) {time.perf_counter() - start:.2f} s")
    with TestClient(app) as client:
        client.get("/")
        samples, size = times(client, FULL, repeat, **{"Accept-Encoding": "identity"})
        line(f"{FULL} rendered (no gzip)", samples, f"{size / 1e6:.1f} MB")
        for url_ in SEARCHES:
            samples, _ = times(client, url_, repeat * 3, **{"Accept-Encoding": "identity"})
            line(url_ + " rendered", samples)
    store.close()


if __name__ == "__main__":
    raise SystemExit(main())

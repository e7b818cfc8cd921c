"""Heavy pages must not starve lookups: the full registry page to many clients at once,
while one client measures ``/api/v1/ports/80``.

Fills a temporary SQLite store with the real 2024-03-18 registry, starts a real
``portreg serve`` on loopback, then for ``--seconds``:

- ``--clients`` asyncio clients (in a process of their own) fetch ``/?page_size=all``
  (5.6 MB of HTML, about 0.6 MB gzipped) over and over, reading every byte;
- a prober (another process, one keep-alive connection) asks ``/api/v1/ports/80``
  every 20 ms and records each latency;
- the server's resident memory is sampled from /proc every 100 ms.

Targets (issue 8): lookups' p99 under 100 ms and server RSS under 300 MB with 50
clients on this 2-core machine. The machine is shared: the load average is printed,
and the figures are noisy. Bounded: loopback only, a fixed time, a fixed client count.

    python benchmarks/heavy_pages.py [--clients 50] [--seconds 20] [--encoding gzip|identity] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"
FULL = "/?page_size=all"
LOOKUP = "/api/v1/ports/80"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --------------------------------------------------------------------------- the two kinds of client


async def _heavy(port: int, clients: int, seconds: float, encoding: str) -> dict[str, float]:
    """``clients`` connections fetching the full page until the time is up; bytes and pages read."""
    deadline = time.monotonic() + seconds
    pages = 0
    received = 0
    failures = 0
    request = (f"GET {FULL} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: {encoding}\r\n\r\n").encode()

    async def one() -> None:
        nonlocal pages, received, failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                left = length
                while left:
                    chunk = await reader.read(min(left, 1 << 16))
                    if not chunk:
                        raise ConnectionError("closed")
                    left -= len(chunk)
                received += length
                if status == 200:
                    pages += 1
                else:
                    failures += 1
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            failures += 1
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return {"pages": pages, "bytes": received, "failures": failures}


def heavy_main(port: int, clients: int, seconds: float, encoding: str) -> None:
    result = asyncio.run(_heavy(port, clients, seconds, encoding))
    print(json.dumps(result))


def probe_main(port: int, seconds: float, every: float) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    errors = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            connection.request("GET", LOOKUP, headers={"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except OSError:
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies.append(time.perf_counter() - start)
        time.sleep(max(0.0, every - (time.perf_counter() - start)))
    print(json.dumps({"latencies": latencies, "errors": errors}))


# --------------------------------------------------------------------------- the run


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--encoding", default="gzip", choices=("gzip", "identity"))
    parser.add_argument("--cold", action="store_true", help="do not fetch the full page once before the load")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "heavy":
        heavy_main(args.port, args.clients, args.seconds, args.encoding)
        return 0
    if args.role == "probe":
        probe_main(args.port, args.seconds, 0.02)
        return 0
    if not (1 <= args.clients <= 200 and 1 <= args.seconds <= 120):
        parser.error("keep it bounded: 1-200 clients, 1-120 seconds")
    if not XML.exists():
        print(f"{XML} is absent: the real registry lives in ../shared", file=sys.stderr)
        return 2
    import httpx

    sys.path.insert(0, str(ROOT / "tests"))
    from _web import free_port

    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="portreg-bench-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        subprocess.run(
            [sys.executable, "-m", "portreg", "--db", url, "import", str(XML)], check=True, capture_output=True, env=env
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "portreg", "--db", url, "serve", "--port", str(port), "--init-from", "none"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                while True:
                    try:
                        client.get("/static/favicon.svg")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                if not args.cold:
                    start = time.perf_counter()
                    client.get(FULL, headers={"Accept-Encoding": args.encoding})
                    print(f"first {FULL}: {time.perf_counter() - start:.2f} s (rendered and compressed once)")
            print(f"server pid {server.pid}, RSS before the load {rss_mb(server.pid):.0f} MB")

            peak = [0.0]
            stop = threading.Event()

            def sample() -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_mb(server.pid))
                    time.sleep(0.1)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            me = [sys.executable, __file__, "--port", str(port), "--seconds", str(args.seconds)]
            heavy = subprocess.Popen(
                [*me, "--role", "heavy", "--clients", str(args.clients), "--encoding", args.encoding],
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
            time.sleep(0.5)  # the clients connect first
            probe = subprocess.run(
                [*me, "--role", "probe"], capture_output=True, env=env, text=True, timeout=args.seconds + 60
            )
            heavy_out, _ = heavy.communicate(timeout=args.seconds + 120)
            stop.set()
            sampler.join()
            after = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)

    load = json.loads(heavy_out)
    probed = json.loads(probe.stdout)
    ms = [x * 1000 for x in probed["latencies"]]
    print(
        f"{args.clients} clients fetching {FULL} ({args.encoding}) for {args.seconds:g} s: "
        f"{load['pages']} pages, {load['bytes'] / 1e6:.0f} MB sent, {load['failures']} failures"
    )
    print(
        f"{LOOKUP} meanwhile, {len(ms)} requests, {probed['errors']} errors: "
        f"p50 {statistics.median(ms):.1f} ms  p90 {percentile(ms, 0.9):.1f} ms  "
        f"p99 {percentile(ms, 0.99):.1f} ms  max {max(ms):.1f} ms"
    )
    print(f"server RSS: peak {peak[0]:.0f} MB, after {after:.0f} MB")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    ok = percentile(ms, 0.99) < 100 and peak[0] < 300
    print("targets (p99 < 100 ms, RSS < 300 MB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

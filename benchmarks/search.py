"""Ranked search: how long one takes, in process and through the JSON API.

Fills a temporary SQLite store with the real 2024-03-18 registry, then:

* in process: builds the search index once (what a server pays per new version, and a
  one-shot ``portreg search`` pays every time), then runs a mix of queries (exact
  names, prefixes, typos, ports, people, description words) many times each and
  prints the median (p50) and p90 per kind and overall; target p50 ≤ 2 ms, typo
  tolerance on;
* through the API: starts ``portreg serve`` on loopback and asks
  ``GET /api/v1/search?q=...`` for the same queries one after another over one
  keep-alive connection, timing each request from the client; target p50 ≤ 20 ms.

    python benchmarks/search.py [--rounds 30] [--no-api]

The machine may be shared: the load average at the start is printed with the figures,
and the CPU time of the in-process runs beside their wall time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"

QUERIES = {
    "exact name": ["ssh", "http", "kerberos", "ldap", "pop3", "postgresql", "domain", "x11", "www", "sql*net"],
    "prefix": ["postgres", "postgre", "mongo", "kerbero", "memcached", "xmpp"],
    "typo": ["kerbros", "mongdb", "telent", "rsnyc", "postgersql", "htps", "snmptrp", "remote desktp"],
    "port": ["5432", "80", "6010", "6000-6063", "53/udp", "27017"],
    "person": ["Tom Lane", "Jon Postel", "Marshall Rose", "IESG"],
    "words": ["secure shell", "network time protocol", "remote desktop", "printer", "voice", "game", "database"],
}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def in_process(db: str, rounds: int) -> None:
    from portreg.services.query import Query
    from portreg.store import Store

    with Store.open(db) as store:
        query = Query(store)
        store.records()  # the store's own cache of the version: the index build alone is timed
        start, cpu = time.perf_counter(), time.process_time()
        query.search_index()
        print(f"  search index build (once per version)   {(time.perf_counter() - start) * 1000:7.0f} ms"
              f"   (cpu {(time.process_time() - cpu) * 1000:.0f} ms)")
        query.search("kerbros")  # loads rapidfuzz once, as the first typo of a server's life does
        everything: list[float] = []
        cpu = time.process_time()
        for kind, texts in QUERIES.items():
            times = []
            for _ in range(rounds):
                for text in texts:
                    start = time.perf_counter()
                    query.search(text)
                    times.append(time.perf_counter() - start)
            everything.extend(times)
            print(f"  {kind:<14} p50 {statistics.median(times) * 1000:6.2f} ms   p90 {percentile(times, 0.9) * 1000:6.2f} ms")
        cpu_per_query = (time.process_time() - cpu) / len(everything)
        median = statistics.median(everything)
        verdict = "ok" if median <= 0.002 else "MISSED"
        print(f"  all ({len(everything)} searches)   p50 {median * 1000:6.2f} ms   p90 {percentile(everything, 0.9) * 1000:6.2f} ms"
              f"   target p50 ≤ 2 ms  {verdict}   (cpu {cpu_per_query * 1000:.2f} ms per search)")


def through_the_api(db: str, rounds: int) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "portreg", "--db", db, "serve", "--host", "127.0.0.1", "--port", str(port), "--init-from", "none"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/api/v1/stats", server)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def ask(text: str) -> float:
            start = time.perf_counter()
            conn.request("GET", "/api/v1/search?" + urllib.parse.urlencode({"q": text}))
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"/api/v1/search?q={text}: HTTP {response.status}")
            return time.perf_counter() - start

        first = ask("http")  # builds the index of the version: once per version, in a server's life
        print(f"  first search (builds the index)          {first * 1000:7.0f} ms")
        everything = []
        for _ in range(rounds):
            for texts in QUERIES.values():
                everything.extend(ask(text) for text in texts)
        median = statistics.median(everything)
        verdict = "ok" if median <= 0.020 else "MISSED"
        print(f"  GET /api/v1/search ({len(everything)} requests, one connection)   p50 {median * 1000:6.2f} ms"
              f"   p90 {percentile(everything, 0.9) * 1000:6.2f} ms   target p50 ≤ 20 ms  {verdict}")
        conn.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer {url} within {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="how many times each query runs")
    parser.add_argument("--no-api", action="store_true", help="skip the server")
    args = parser.parse_args()
    if not XML.exists():
        sys.exit(f"{XML} is absent: the real registry lives in ../shared")
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} on {os.cpu_count()} cores; {args.rounds} rounds")
    work = Path(tempfile.mkdtemp(prefix="portreg-search-"))
    try:
        from portreg.formats import xml
        from portreg.store import Store

        db = f"sqlite:///{work / 'store.sqlite3'}"
        with Store.open(db) as store:
            store.import_registry(xml.read(XML.read_bytes(), source=str(XML)), source=str(XML))
        print("in process:")
        in_process(db, args.rounds)
        if not args.no_api:
            print("through the API (portreg serve on loopback):")
            through_the_api(db, max(1, args.rounds // 3))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

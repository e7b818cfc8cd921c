"""Lookup by port through the JSON API, under load: requests per second and latency.

Fills a temporary SQLite store with the real 2024-03-18 registry, starts the web app as
a real server process on loopback (``portreg serve`` by default: uvicorn, one worker,
uvloop and httptools when installed; or ``--server uvicorn`` to choose them),
and drives ``GET /api/v1/ports/{port}`` with ``wrk`` (Debian package ``wrk``) over 32
connections, cycling through 2,000 different ports (system and user ranges, ranges
included) so the serialized-answer cache is exercised the way real traffic would.

Target (issue 4): >= 2,000 requests/s with 32 connections, p99 <= 50 ms, server and load
generator on the same 2-core machine. The machine may be shared: the load average at the
start is printed next to the figures.

    python benchmarks/web_api.py [--duration 10] [--connections 32] [--path /api/v1/ports/80]
                                 [--server serve|uvicorn [--loop asyncio|uvloop] [--http h11|httptools]]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XML = Path(os.environ.get("PORTREG_SHARED", ROOT.parent / "shared")) / "iana" / "service-names-port-numbers.xml"

LUA = """
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of measured load (default 10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--server", default="serve", choices=["serve", "uvicorn"], help="portreg serve, or uvicorn with the app factory")
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"], help="with --server uvicorn")
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"], help="with --server uvicorn")
    parser.add_argument("--path", help="one path to hammer instead of cycling through ports")
    parser.add_argument("--ports", type=int, default=2000, help="how many different ports to cycle through")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    if not XML.exists():
        print(f"{XML} is absent: the real registry lives in ../shared", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="portreg-bench-") as tmp:
        url = f"sqlite:///{tmp}/store.db"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "portreg", "--db", url, "import", str(XML)], check=True, stdout=subprocess.DEVNULL)
        print(f"store filled in {time.perf_counter() - started:.1f} s")

        port = _free_port()
        server = _start_server(url, port, args)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base + "/api/v1/ports/80", server)
            paths_file = Path(tmp) / "paths.txt"
            paths = [args.path] if args.path else _port_paths(args.ports)
            paths_file.write_text("\n".join(paths) + "\n")
            script = Path(tmp) / "cycle.lua"
            script.write_text(LUA)

            # Warm up: fill the caches, let the server's allocations settle.
            _wrk(base, script, paths_file, args.threads, args.connections, 3)
            load = os.getloadavg()
            cpu_before = _cpu_seconds(server.pid)
            output = _wrk(base, script, paths_file, args.threads, args.connections, args.duration)
            cpu = _cpu_seconds(server.pid) - cpu_before
            rss = _rss_mb(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    figures = _parse(output)
    print(output.rstrip())
    print()
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    kind = "portreg serve" if args.server == "serve" else "uvicorn portreg.web:create_app"
    print(f"server: {kind}, loop={args.loop}, http={args.http} ({_installed()}), 1 worker; RSS after the run: {rss:.0f} MB")
    print(
        f"lookup by port: {figures['rps']:.0f} requests/s, "
        f"p50 {figures.get('50%', float('nan')):.2f} ms, p99 {figures.get('99%', float('nan')):.2f} ms, "
        f"{args.connections} connections, {len(paths)} distinct paths, non-2xx: {figures['errors']}"
    )
    requests = figures["rps"] * args.duration
    if requests:
        # CPU per request does not depend on how busy the shared machine is: it says what
        # one core could serve alone.
        per_request = cpu / requests * 1000
        print(f"server CPU: {per_request:.3f} ms per request, i.e. about {1000 / per_request:.0f} requests/s per core")
    ok = figures["rps"] >= 2000 and figures.get("99%", 1e9) <= 50 and figures["errors"] == 0
    print("target (>= 2000 req/s, p99 <= 50 ms):", "met" if ok else "NOT met")
    return 0


def _port_paths(count: int) -> list[str]:
    """Ports spread over 0-49151 (a deterministic stride), so ranges and singles mix."""
    step = max(1, 49152 // count)
    return [f"/api/v1/ports/{p}" for p in range(0, 49152, step)][:count]


def _start_server(url: str, port: int, args: argparse.Namespace) -> subprocess.Popen:
    env = dict(os.environ, PORTREG_DATABASE_URL=url)
    if args.server == "serve":
        command = [sys.executable, "-m", "portreg", "--db", url, "serve", "--host", "127.0.0.1", "--port", str(port), "--init-from", "none"]
    else:
        command = [
            sys.executable, "-m", "uvicorn", "portreg.web:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--loop", args.loop, "--http", args.http,
            "--no-access-log", "--log-level", "warning",
        ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def _installed() -> str:
    """Which of uvicorn's fast parts this Python has ("auto" picks them)."""
    import importlib.util

    found = [name for name in ("uvloop", "httptools") if importlib.util.find_spec(name)]
    return "installed: " + (", ".join(found) if found else "neither uvloop nor httptools")


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
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


def _wrk(base: str, script: Path, paths: Path, threads: int, connections: int, duration: int) -> str:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
        "-s", str(script), base, "--", str(paths),
    ]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def _parse(output: str) -> dict[str, float]:
    figures: dict[str, float] = {"errors": 0}
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    figures["rps"] = float(match.group(1)) if match else 0.0
    for percent, value, unit in re.findall(r"^\s+(\d+%)\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE):
        figures[percent] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    figures["errors"] = (int(errors.group(1)) if errors else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0)
    return figures


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())

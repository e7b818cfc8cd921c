"""Bad input, end to end through the real ``portreg`` console script.

Each case must end in ONE line on standard error naming the file (and the line where
it is known), a non-zero exit, no traceback, within a few seconds and a bounded amount
of memory, reading nothing but the input (no local file through an external entity,
no network), and, with ``-o``, leaving no file and no temporary file behind.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.data import CURRENT_XML, need_shared

PORTREG = Path(sys.executable).with_name("portreg")
#: Seconds a bad input may take, start-up included: the child is killed past it.
TIME_LIMIT = 5
#: Address space the child may use: enough for Python and lxml, far too little for an entity bomb.
MEMORY_LIMIT = 1 << 30
SECRET = "PORTREG-SECRET-7f3a9c"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@dataclass
class Outcome:
    returncode: int
    stdout: bytes
    stderr: str
    left_behind: list[str] = field(default_factory=list)


def run_portreg(args: list[str], *, out_dir: Path | None = None) -> Outcome:
    """Run portreg with a time and memory limit; with ``out_dir``, add ``-o`` into it."""
    assert PORTREG.exists(), f"the console script is not installed at {PORTREG}"
    if out_dir is not None:
        args = [*args, "-o", str(out_dir / "out.data")]
    done = subprocess.run(
        [str(PORTREG), *args], capture_output=True, timeout=TIME_LIMIT, preexec_fn=_limit_memory, stdin=subprocess.DEVNULL
    )
    left = sorted(p.name for p in out_dir.iterdir()) if out_dir is not None else []
    return Outcome(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"), left)


def assert_one_clear_error(outcome: Outcome, source: str, *, line: bool = False) -> str:
    assert outcome.returncode != 0
    assert "Traceback" not in outcome.stderr
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    (message,) = lines
    assert message.startswith(f"portreg: error: {source}"), message
    if line:
        assert message.startswith(f"portreg: error: {source}:") and message[len(f"portreg: error: {source}:") :][:1].isdigit(), message
    assert outcome.left_behind == []
    return message


def need_xml_reader() -> None:
    pytest.importorskip("portreg.formats.xml", reason="the XML format module is not there yet")


# --------------------------------------------------------------------------------------
# Inputs, each written into a temporary file


HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
NS = b'xmlns="http://www.iana.org/assignments"'

BILLION_LAUGHS = (
    HEAD
    + b'<!DOCTYPE registry [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    )
    + b"]>\n<registry "
    + NS
    + b' id="service-names-port-numbers">\n<title>&lol9;</title>\n</registry>\n'
)

# An entity that grows quadratically instead (no nesting): a 50 kB entity used 50,000 times.
QUADRATIC_BLOWUP = (
    HEAD
    + b'<!DOCTYPE registry [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]>\n<registry '
    + NS
    + b"><title>"
    + b"&a;" * 50_000
    + b"</title></registry>\n"
)


def xxe(system_id: str) -> bytes:
    return (
        HEAD
        + f'<!DOCTYPE registry [<!ENTITY xxe SYSTEM "{system_id}">]>\n'.encode()
        + b"<registry "
        + NS
        + b' id="service-names-port-numbers">\n<title>Ports &xxe;</title>\n'
        + b"<record><name>leak</name><protocol>tcp</protocol><number>4444</number>"
        + b"<description>&xxe;</description></record>\n</registry>\n"
    )


def xinclude(target: str) -> bytes:
    return (
        HEAD
        + b"<registry "
        + NS
        + b' xmlns:xi="http://www.w3.org/2001/XInclude" id="service-names-port-numbers">\n'
        + b"<title>Ports</title>\n<record><name>leak</name><protocol>tcp</protocol><number>4444</number>"
        + f'<description><xi:include href="{target}" parse="text"/></description></record>\n</registry>\n'.encode()
    )


MALFORMED_XML = HEAD + b"<registry " + NS + b">\n  <title>Ports</title>\n  <record>\n    <name>http</name>\n  </recrod>\n</registry>\n"

WRONG_CSV = b"Service Name,Port,Proto\r\nhttp,80,tcp\r\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


# --------------------------------------------------------------------------------------
# The cases


@pytest.mark.parametrize("command", [["convert", "--to", "csv"], ["check"]])
def test_malformed_xml(tmp_path: Path, out_dir: Path, command: list[str]) -> None:
    need_xml_reader()
    path = write(tmp_path, "malformed.xml", MALFORMED_XML)
    target = out_dir if command[0] == "convert" else None
    outcome = run_portreg([command[0], str(path), *command[1:]], out_dir=target)
    message = assert_one_clear_error(outcome, str(path), line=True)
    assert f"{path}:6:" in message  # the mismatched end tag, </recrod>


def test_truncated_registry(tmp_path: Path, out_dir: Path) -> None:
    need_xml_reader()
    data = need_shared(CURRENT_XML).read_bytes()
    path = write(tmp_path, "truncated.xml", data[: len(data) // 2])
    outcome = run_portreg(["convert", str(path), "--to", "json"], out_dir=out_dir)
    assert_one_clear_error(outcome, str(path), line=True)


def test_csv_with_the_wrong_columns(tmp_path: Path, out_dir: Path) -> None:
    path = write(tmp_path, "wrong.csv", WRONG_CSV)
    outcome = run_portreg(["convert", str(path), "--to", "json"], out_dir=out_dir)
    message = assert_one_clear_error(outcome, str(path), line=True)
    assert "Port Number" in message


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 64, bytes(range(128, 256)) * 64, b"\x89PNG\r\n\x1a\n" + bytes(range(1, 255)) * 8],
    ids=["with-nul", "not-utf8", "png"],
)
def test_binary_garbage(tmp_path: Path, out_dir: Path, data: bytes) -> None:
    path = write(tmp_path, "garbage.bin", data)
    outcome = run_portreg(["convert", str(path), "--to", "csv"], out_dir=out_dir)
    assert_one_clear_error(outcome, str(path))


@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, QUADRATIC_BLOWUP], ids=["billion-laughs", "quadratic"])
def test_entity_bomb(tmp_path: Path, out_dir: Path, bomb: bytes) -> None:
    need_xml_reader()
    path = write(tmp_path, "bomb.xml", bomb)
    outcome = run_portreg(["convert", str(path), "--to", "json"], out_dir=out_dir)
    assert_one_clear_error(outcome, str(path))
    assert b"lollol" not in outcome.stdout and b"xxxxxxxx" not in outcome.stdout


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def _assert_no_secret(outcome: Outcome, *others: Path) -> None:
    assert SECRET not in outcome.stdout.decode("utf-8", "replace")
    assert SECRET not in outcome.stderr
    for path in others:
        if path.exists():
            assert SECRET.encode() not in path.read_bytes()


@pytest.mark.parametrize("to", ["csv", "json"])
def test_external_entity_to_a_local_file(tmp_path: Path, out_dir: Path, secret_file: Path, to: str) -> None:
    need_xml_reader()
    path = write(tmp_path, "xxe.xml", xxe(secret_file.as_uri()))
    outcome = run_portreg(["convert", str(path), "--to", to], out_dir=out_dir)
    _assert_no_secret(outcome, *out_dir.iterdir())
    assert_one_clear_error(outcome, str(path))


def test_external_entity_by_relative_path(tmp_path: Path, out_dir: Path, secret_file: Path) -> None:
    need_xml_reader()
    path = write(tmp_path, "xxe.xml", xxe("../secret.txt"))
    outcome = run_portreg(["convert", str(path), "--to", "csv"], out_dir=out_dir)
    _assert_no_secret(outcome, *out_dir.iterdir())
    assert_one_clear_error(outcome, str(path))


def test_xinclude_of_a_local_file(tmp_path: Path, secret_file: Path) -> None:
    need_xml_reader()
    path = write(tmp_path, "xinclude.xml", xinclude(secret_file.as_uri()))
    outcome = subprocess.run([str(PORTREG), "convert", str(path), "--to", "csv"], capture_output=True, timeout=TIME_LIMIT)
    assert SECRET.encode() not in outcome.stdout + outcome.stderr
    assert b"Traceback" not in outcome.stderr


@pytest.fixture
def listener() -> socket.socket:
    """A loopback TCP port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


@pytest.mark.parametrize("scheme", ["http", "ftp"])
def test_external_entity_to_a_url(tmp_path: Path, out_dir: Path, listener: socket.socket, scheme: str) -> None:
    need_xml_reader()
    host, port = listener.getsockname()
    path = write(tmp_path, "xxe-url.xml", xxe(f"{scheme}://{host}:{port}/{SECRET}"))
    outcome = run_portreg(["convert", str(path), "--to", "json"], out_dir=out_dir)
    assert _connections(listener) == 0, "the reader fetched the external entity"
    assert_one_clear_error(outcome, str(path))


def test_external_dtd_is_not_fetched(tmp_path: Path, out_dir: Path, listener: socket.socket) -> None:
    need_xml_reader()
    host, port = listener.getsockname()
    data = HEAD + f'<!DOCTYPE registry SYSTEM "http://{host}:{port}/registry.dtd">\n'.encode() + b"<registry " + NS + b"><title>x</title></registry>\n"
    path = write(tmp_path, "dtd.xml", data)
    run_portreg(["convert", str(path), "--to", "json"], out_dir=out_dir)
    assert _connections(listener) == 0, "the reader fetched the external DTD"


@pytest.mark.parametrize("data", [b"", b"  \r\n\t\n"], ids=["empty", "blank"])
def test_empty_file(tmp_path: Path, out_dir: Path, data: bytes) -> None:
    path = write(tmp_path, "empty.xml", data)
    outcome = run_portreg(["convert", str(path), "--to", "csv"], out_dir=out_dir)
    message = assert_one_clear_error(outcome, str(path))
    assert "empty" in message


@pytest.mark.parametrize("command", [["convert", "--to", "csv"], ["check"]])
def test_nonexistent_path(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "no-such-file.xml"
    outcome = run_portreg([command[0], str(path), *command[1:]])
    message = assert_one_clear_error(outcome, str(path))
    assert "No such file" in message


def test_a_directory(tmp_path: Path, out_dir: Path) -> None:
    outcome = run_portreg(["convert", str(tmp_path), "--to", "csv"], out_dir=out_dir)
    message = assert_one_clear_error(outcome, str(tmp_path))
    assert "directory" in message


def test_standard_input_that_is_garbage(out_dir: Path) -> None:
    done = subprocess.run(
        [str(PORTREG), "convert", "-", "--to", "json", "-o", str(out_dir / "out.json")],
        input=b"\x00\x01\x02garbage",
        capture_output=True,
        timeout=TIME_LIMIT,
    )
    outcome = Outcome(done.returncode, done.stdout, done.stderr.decode(), sorted(p.name for p in out_dir.iterdir()))
    assert_one_clear_error(outcome, "<stdin>")


@pytest.fixture
def good_input(tmp_path: Path) -> Path:
    """A small valid registry (services(5) text, read without lxml)."""
    return write(tmp_path, "services", b"http 80/tcp www # World Wide Web HTTP\nhttp 80/udp\n")


def test_output_in_a_missing_directory(tmp_path: Path, good_input: Path) -> None:
    target = tmp_path / "missing" / "out.csv"
    outcome = run_portreg(["convert", str(good_input), "--to", "csv", "-o", str(target)])
    message = assert_one_clear_error(outcome, str(target))
    assert "cannot write" in message
    assert not target.parent.exists()


def test_output_under_a_file(tmp_path: Path, good_input: Path) -> None:
    target = good_input / "out.csv"  # a "directory" that is a file
    outcome = run_portreg(["convert", str(good_input), "--to", "csv", "-o", str(target)])
    assert_one_clear_error(outcome, str(target))
    assert good_input.read_bytes().startswith(b"http 80/tcp")


def test_output_that_is_a_directory(tmp_path: Path, good_input: Path, out_dir: Path) -> None:
    target = out_dir / "taken"
    target.mkdir()
    outcome = run_portreg(["convert", str(good_input), "--to", "csv", "-o", str(target)])
    assert_one_clear_error(Outcome(outcome.returncode, outcome.stdout, outcome.stderr), str(target))
    assert sorted(p.name for p in out_dir.iterdir()) == ["taken"]  # the temporary file is gone
    assert list(target.iterdir()) == []


def test_the_good_input_does_convert(tmp_path: Path, good_input: Path, out_dir: Path) -> None:
    """The control case: the same runner succeeds on good input."""
    outcome = run_portreg(["convert", str(good_input), "--to", "csv"], out_dir=out_dir)
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.left_behind == ["out.data"]

"""Running ``portreg`` in process, as a user would from a shell (exit codes included)."""

from __future__ import annotations

import pytest


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``portreg ARGS`` through the real entry point; return (exit code, stdout, stderr)."""
    from portreg.cli import main

    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def rows(out: str) -> list[list[str]]:
    """The tab-separated rows of piped output."""
    return [line.split("\t") for line in out.splitlines() if line]

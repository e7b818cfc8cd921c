"""Atomic writes: all or nothing, with the mode a plain open() would give."""

from __future__ import annotations

import os
import stat

import pytest

from portreg._files import atomic_writer


def test_a_new_file_gets_the_umask_mode_not_a_private_one(tmp_path):
    target = tmp_path / "page.html"
    old = os.umask(0o022)
    try:
        with atomic_writer(target) as out:
            out.write(b"<p>hi</p>")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"<p>hi</p>"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "services"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic_writer(target) as out:
        out.write(b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.csv"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_writer(target) as out:
            out.write(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]

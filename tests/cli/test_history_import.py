"""``portreg import-history`` and ``portreg diff`` / ``export --since`` from the command line.

The sources are made from the first real versions of the history (streamed from
../shared/iana/history.tar.zst): a directory, a .tar.gz, a .tar.zst, and one whose files
are not in date order. Each import is checked against reading the files one by one.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.support.cli import rows, run
from tests.support.data import history_versions
from portreg.errors import FormatError
from portreg.formats import xml
from portreg.services import history_import
from portreg.store import Store

#: How many of the first published versions the sources hold.
COUNT = 6


@pytest.fixture(scope="module")
def versions() -> list[tuple[str, bytes]]:
    found = []
    for name, data in history_versions():
        found.append((name, data))
        if len(found) == COUNT:
            return found
    raise AssertionError("the history holds fewer versions than expected")


def make_tar(path: Path, members: list[tuple[str, bytes]], mode: str = "w:gz") -> Path:
    """A tar archive of ``members``; gzip level 1 (the tests read it, not the disk)."""
    with tarfile.open(path, mode, **({"compresslevel": 1} if mode == "w:gz" else {})) as archive:
        for name, data in members:
            info = tarfile.TarInfo(f"./{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def make_zst(path: Path, members: list[tuple[str, bytes]]) -> Path:
    import zstandard

    plain = make_tar(path.with_suffix(".plain"), members, "w")
    path.write_bytes(zstandard.ZstdCompressor(level=1).compress(plain.read_bytes()))
    plain.unlink()
    return path


def assert_holds(url: str, versions: list[tuple[str, bytes]]) -> None:
    """The store holds exactly ``versions``, in order, each with its registry date."""
    with Store.open(url) as store:
        stored = store.versions()
        assert [v.published for v in stored] == [DATES[name] for name, _ in versions]
        assert [v.source.rsplit("#", 1)[1] for v in stored] == [name for name, _ in versions]
        for number in (1, len(versions)):
            assert xml.dumps(store.registry(number)) == versions[number - 1][1].decode()  # the file, byte for byte


#: The registry dates of the first versions (their file names say the same).
DATES = {f"snpn-{d.replace('-', '')}.xml": d for d in
         ("2017-03-10", "2017-03-13", "2017-03-16", "2017-03-17", "2017-03-28", "2017-03-30")}  # fmt: skip


def test_a_directory_imports_in_date_order_and_a_second_run_skips_it_all(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str, versions: list[tuple[str, bytes]]
) -> None:
    folder = tmp_path / "versions"
    folder.mkdir()
    for index, (name, data) in enumerate(versions):
        # Names that sort against the dates: the order must come from <updated>.
        (folder / f"{len(versions) - index:02d}-{name}").write_bytes(data)
    (folder / "README.txt").write_text("not a version")
    code, out, err = run(capsys, "--db", store_url, "import-history", str(folder))
    assert code == 0, err
    assert f"{COUNT} imported: versions 1 (2017-03-10) to {COUNT}" in out
    with Store.open(store_url) as store:
        assert [v.published for v in store.versions()] == sorted(xml.read(d).updated for _, d in versions)
    code, out, _ = run(capsys, "--db", store_url, "import-history", "--json", str(folder))
    data = json.loads(out)
    assert (data["found"], data["imported"], data["skipped"], data["skipped_up_to"]) == (COUNT, 0, COUNT, "2017-03-30")


@pytest.mark.parametrize("kind", ["tar.gz", "tar.zst"])
def test_archives_are_read_as_streams(tmp_path: Path, versions: list[tuple[str, bytes]], kind: str) -> None:
    store_url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    path = tmp_path / f"history.{kind}"
    make_tar(path, versions) if kind == "tar.gz" else make_zst(path, versions)
    with Store.open(store_url) as store:
        result = history_import.import_history(store, path)
    assert (len(result.imported), result.unchanged, result.skipped) == (COUNT, 0, 0)
    assert_holds(store_url, versions)


def test_an_archive_out_of_date_order_still_imports_oldest_first(
    tmp_path: Path, versions: list[tuple[str, bytes]]
) -> None:
    shuffled = [versions[i] for i in (3, 0, 5, 1, 4, 2)]
    path = make_tar(tmp_path / "shuffled.tgz", shuffled)
    assert [f.name for f in history_import.version_files(path)] == [name for name, _ in versions]
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    with Store.open(url) as store:
        history_import.import_history(store, path)
    assert_holds(url, versions)


def test_an_interrupted_import_resumes_where_it_stopped(tmp_path: Path, versions: list[tuple[str, bytes]]) -> None:
    path = make_tar(tmp_path / "history.tar.gz", versions)
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    seen: list[tuple[int, int]] = []

    def stop_after_three(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 3:
            raise KeyboardInterrupt

    with Store.open(url) as store, pytest.raises(KeyboardInterrupt):
        history_import.import_history(store, path, progress=stop_after_three)
    assert seen == [(0, COUNT), (1, COUNT), (2, COUNT), (3, COUNT)]
    with Store.open(url) as store:
        assert len(store.versions()) == 3
        result = history_import.import_history(store, path)
    assert (len(result.imported), result.skipped, result.latest_before) == (COUNT - 3, 3, "2017-03-16")
    assert_holds(url, versions)


def test_a_repeated_version_publishes_nothing_and_bad_sources_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str, versions: list[tuple[str, bytes]]
) -> None:
    first, second = versions[0], versions[1]
    again = (second[0].replace(".xml", "-again.xml"), second[1])  # same date, same content
    path = make_tar(tmp_path / "h.tgz", [first, second, again])
    with Store.open(store_url) as store:
        result = history_import.import_history(store, path)
    assert (len(result.imported), result.unchanged) == (2, 1)

    broken = make_tar(
        tmp_path / "broken.tgz", [first, ("snpn-20990101.xml", b"<registry><updated>2099-01-01</updated>")]
    )
    code, _, err = run(capsys, "--db", store_url, "import-history", str(broken))
    assert code != 0 and err.startswith("portreg: error: snpn-20990101.xml") and "Traceback" not in err
    (tmp_path / "notes.zip").write_bytes(b"PK")
    code, _, err = run(capsys, "--db", store_url, "import-history", str(tmp_path / "notes.zip"))
    assert code != 0 and "not a directory or an archive" in err
    (tmp_path / "cut.tar.gz").write_bytes(path.read_bytes()[:5000])
    with pytest.raises(FormatError, match="cannot read the archive"):
        history_import.version_files(tmp_path / "cut.tar.gz")


def test_diff_and_the_services_patch_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, versions: list[tuple[str, bytes]]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    folder = tmp_path / "v"
    folder.mkdir()
    for name, data in versions:
        (folder / name).write_bytes(data)
    assert run(capsys, "--db", url, "import-history", str(folder))[0] == 0

    code, out, err = run(capsys, "--db", url, "diff", "4", "5")
    assert code == 0 and err.startswith("version 4 (2017-03-17) -> version 5 (2017-03-28): 7 added, 2 removed")
    lines = [line[:1] + line[2:] for line in rows(out)]  # without the ids
    assert ["added", "spg", "7016", "tcp", "SPG Controls Carrier"] in lines
    assert ["removed", "", "7016-7017", "", "Unassigned"] in lines
    assert lines[-4:] == [["added", "ABB", ""], ["added", "Adam Norén", ""], ["added", "SPG Controls Ltd", ""],
                          ["added", "Steve Barton", ""]]  # fmt: skip

    code, out, _ = run(capsys, "--db", url, "diff", "--json", "--since", "2017-03-17")
    data = json.loads(out)
    assert (data["from"]["number"], data["to"]["number"]) == (4, COUNT)
    assert data["counts"]["added"] == 11 and data["summary"].startswith("11 added, 3 removed")

    for bad in (["diff"], ["diff", "1", "--since", "2017-01-01"]):
        assert run(capsys, "--db", url, *bad)[0] == 2
    code, _, err = run(capsys, "--db", url, "diff", "1", "99")
    assert code == 1 and err == "portreg: error: the store has no version 99\n"
    code, _, err = run(capsys, "--db", url, "diff", "1", "soon")
    assert code == 2 and "a date YYYY-MM-DD or 'latest'" in err  # InvalidQuery

    code, out, _ = run(capsys, "--db", url, "export", "--format", "services", "--since", "2017-03-17")
    assert code == 0 and out.startswith(
        "--- a/services\t(version 4, 2017-03-17)\n+++ b/services\t(version 6, 2017-03-30)"
    )
    assert "+spg\t\t7016/tcp" in out
    assert run(capsys, "--db", url, "export", "--format", "csv", "--since", "1")[0] == 2


def test_the_python_example_of_the_docs_runs_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, versions: list[tuple[str, bytes]]
) -> None:
    import re

    from tests.support.data import ROOT

    doc = (ROOT / "docs" / "history.md").read_text()
    code = re.search(r"## In Python.*?```python\n(.*?)```", doc, re.S)[1]  # type: ignore[index]
    printed = re.search(r"which prints.*?```text\n(.*?)```", doc, re.S)[1]  # type: ignore[index]
    folder = tmp_path / "v"
    folder.mkdir()
    for name, data in versions:
        (folder / name).write_bytes(data)
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    with Store.open(url) as store:
        history_import.import_history(store, folder)
    capsys.readouterr()
    exec(code.replace("sqlite:///history.sqlite3", url), {})
    assert capsys.readouterr().out == printed

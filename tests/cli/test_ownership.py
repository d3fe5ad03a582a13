"""No command deletes or replaces a file gridmodel did not write, unless ``--overwrite``.

Only gridmodel's marker proves a folder is gridmodel's (a ``manifest.json``
proves nothing), and the marker lists the files written: a file added later
is the user's. Expected values: exit code 2 with one line naming the folder,
and the user's file byte for byte as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

runner = CliRunner()

GOOD = """\
title = "case9 test"
network = "case9"
seed = 1

[[waves]]
targets = ["bus:4"]

[repair]
crews = 1
horizon_h = 24
"""


@pytest.fixture
def good(tmp_path: Path) -> Path:
    file = tmp_path / "good.toml"
    file.write_text(GOOD, encoding="utf-8")
    return file


def _mc(good: Path, out: Path, *extra: str) -> list[str]:
    return ["montecarlo", str(good), "-n", "4", "--chunk-size", "2", "--impact-only",
            "-o", str(out), "--no-progress", *extra]  # fmt: skip


def _refused(args: list[str], *words: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gridmodel: error: "), result.stderr
    for word in words:
        assert word in lines[0]


def test_a_users_folder_with_a_manifest_is_not_a_monte_carlo_run(
    tmp_path: Path, good: Path
) -> None:
    earlier = tmp_path / "earlier"
    assert runner.invoke(app, _mc(good, earlier)).exit_code == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(earlier / "manifest.json", mine / "manifest.json")  # a copied manifest
    (mine / "notes.txt").write_text("precious", encoding="utf-8")
    _refused(_mc(good, mine), "mine", "not written by gridmodel", "--overwrite")
    _refused(_mc(good, mine, "--resume"), "no Monte Carlo run here to resume")
    assert sorted(p.name for p in mine.iterdir()) == ["manifest.json", "notes.txt"]
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "precious"
    assert (mine / "manifest.json").read_bytes() == (earlier / "manifest.json").read_bytes()


def test_a_huge_or_special_manifest_is_never_read(tmp_path: Path, good: Path) -> None:
    # a sparse 65 MB manifest.json (the limit of a result's JSON is 64 MB) and a
    # FIFO of that name: neither is read (no hang, no memory), neither is a run
    import os

    from gridmodel.inputs import RESULT_JSON_LIMIT

    big = tmp_path / "big"
    big.mkdir()
    with open(big / "manifest.json", "wb") as file:
        file.truncate(RESULT_JSON_LIMIT + 1024 * 1024)
    fifo = tmp_path / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "manifest.json")
    for folder in (big, fifo):
        _refused(_mc(good, folder, "--resume"), "no Monte Carlo run here to resume")
        _refused(_mc(good, folder), "not written by gridmodel", "--overwrite")
        assert [p.name for p in folder.iterdir()] == ["manifest.json"]


def test_a_file_added_to_a_monte_carlo_result_is_kept(tmp_path: Path, good: Path) -> None:
    out = tmp_path / "mc"
    assert runner.invoke(app, _mc(good, out)).exit_code == 0
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0  # report.html: gridmodel's
    assert runner.invoke(app, _mc(good, out, "--seed", "2")).exit_code == 0
    (out / "samples" / "notes.txt").write_text("precious", encoding="utf-8")
    _refused(_mc(good, out), "did not write", "samples/notes.txt")
    assert (out / "samples" / "notes.txt").read_text(encoding="utf-8") == "precious"


@pytest.mark.parametrize(
    "command",
    [
        ["run", "GOOD"],
        ["compare", "GOOD", "-n", "1"],
        ["montecarlo", "GOOD", "-n", "1", "--impact-only", "--no-progress"],
        ["criticality", "case9", "--no-progress"],
        ["schedule", "--network", "case9", "--stage", "1"],
    ],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize("where", [".", "..", "link"])
def test_every_command_refuses_the_current_folder_a_parent_or_a_link(
    tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], where: str
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    (here / "notes.txt").write_text("precious", encoding="utf-8")
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / ".gridmodel").write_text("written by gridmodel\n", encoding="utf-8")
    (here / "link").symlink_to(earlier, target_is_directory=True)
    monkeypatch.chdir(here)
    args = [str(good) if a == "GOOD" else a for a in command]
    words = ("symbolic link",) if where == "link" else ("current folder or one of its parents",)
    _refused([*args, "--out", where, "--overwrite"], *words)
    assert sorted(p.name for p in here.iterdir()) == ["link", "notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier", "good.toml", "here"]
    assert sorted(p.name for p in earlier.iterdir()) == [".gridmodel"]


def test_report_replaces_only_a_page_gridmodel_wrote(tmp_path: Path) -> None:
    crit = tmp_path / "crit"
    assert (
        runner.invoke(app, ["criticality", "case9", "-o", str(crit), "--no-progress"]).exit_code
        == 0
    )
    # twice: the second replaces the first page (listed in the marker since)
    for _ in range(2):
        assert runner.invoke(app, ["report", str(crit)]).exit_code == 0
    assert "report.html" in (crit / ".gridmodel").read_text(encoding="utf-8").splitlines()
    # a folder whose report.html is the user's page, not listed: refused, page kept
    mine = tmp_path / "mine"
    shutil.copytree(crit, mine)
    (mine / ".gridmodel").write_text(
        (crit / ".gridmodel").read_text(encoding="utf-8").replace("report.html\n", ""),
        encoding="utf-8",
    )
    (mine / "report.html").write_text("<p>my notes</p>", encoding="utf-8")
    _refused(["report", str(mine)], "report.html", "not written by gridmodel")
    assert (mine / "report.html").read_text(encoding="utf-8") == "<p>my notes</p>"
    # without a listing (an earlier version's marker) only a gridmodel page is replaced
    (mine / ".gridmodel").write_text("written by gridmodel\n", encoding="utf-8")
    _refused(["report", str(mine)], "report.html", "not written by gridmodel")
    shutil.copy(crit / "report.html", mine / "report.html")
    assert runner.invoke(app, ["report", str(mine)]).exit_code == 0

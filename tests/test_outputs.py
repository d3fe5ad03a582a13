"""Atomic output folders: all or nothing, never clobber a folder gridmodel did not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridmodel.errors import OutputError
from gridmodel.outputs import MARKER, atomic_output_dir


def test_success_renames_into_place_with_marker(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with atomic_output_dir(out) as tmp:
        assert tmp != out and tmp.parent == out.parent
        (tmp / "summary.json").write_text("{}")
        assert not out.exists()
    assert (out / "summary.json").read_text() == "{}"
    assert (out / MARKER).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_failure_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "half.json").write_text("{")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_earlier_result_is_replaced_and_kept_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with atomic_output_dir(out) as tmp:
        (tmp / "a.txt").write_text("first")
    with pytest.raises(KeyboardInterrupt), atomic_output_dir(out) as tmp:
        (tmp / "a.txt").write_text("second")
        raise KeyboardInterrupt
    assert (out / "a.txt").read_text() == "first"
    with atomic_output_dir(out) as tmp:
        (tmp / "b.txt").write_text("third")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "b.txt"])


def test_foreign_folder_is_refused_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(OutputError, match="not written by gridmodel"), atomic_output_dir(out):
        pass
    assert (out / "thesis.tex").read_text() == "precious"
    with atomic_output_dir(out, overwrite=True) as tmp:
        (tmp / "x").write_text("1")
    assert not (out / "thesis.tex").exists()


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "file"
    out.write_text("x")
    with pytest.raises(OutputError, match="not a folder"), atomic_output_dir(out):
        pass


def test_safe_csv_quotes_formula_text_and_keeps_numbers(tmp_path: Path) -> None:
    import pandas as pd

    from gridmodel.outputs import safe_csv, unguard_cell

    frame = pd.DataFrame(
        {
            "region": ["=1+1", "-South", "@x", "\tTab", "North", "x=1"],
            "p_mw": [-5.5, 1.0, -0.25, 0.0, 2.0, 3.0],
            "customers": [-1, 2, 3, 4, 5, 6],
        }
    )
    path = safe_csv(frame, tmp_path / "t.csv")
    back = pd.read_csv(path, keep_default_na=False)
    assert back["region"].tolist() == ["'=1+1", "'-South", "'@x", "'\tTab", "North", "x=1"]
    # numeric columns keep their negative numbers as numbers
    assert back["p_mw"].tolist() == [-5.5, 1.0, -0.25, 0.0, 2.0, 3.0]
    assert back["customers"].tolist() == [-1, 2, 3, 4, 5, 6]
    assert [unguard_cell(v) for v in back["region"]] == frame["region"].tolist()
    assert frame["region"].iloc[0] == "=1+1"  # the caller's frame is not changed


def test_a_write_error_becomes_one_output_error_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with (
        pytest.raises(OutputError, match="cannot write the results") as caught,
        atomic_output_dir(out) as tmp,
    ):
        (tmp / "summary.json").write_text("{}", encoding="utf-8")
        (tmp / "missing-folder" / "timeline.csv").write_text("x", encoding="utf-8")
    assert caught.value.file == str(out)
    assert list(tmp_path.iterdir()) == []


# --- ownership: the marker lists what gridmodel wrote; nothing else is ever removed ----------


def test_marker_lists_every_file_written(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with atomic_output_dir(out) as tmp:
        (tmp / "a.txt").write_text("1")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.txt").write_text("2")
    lines = (out / MARKER).read_text(encoding="utf-8").splitlines()
    assert lines == ["written by gridmodel; the files it wrote:", "a.txt", "sub/", "sub/b.txt"]


@pytest.mark.parametrize("added", ["notes.txt", "sub/notes.txt", "mine/"])
def test_a_file_added_to_an_earlier_result_is_kept_unless_overwrite(
    tmp_path: Path, added: str
) -> None:
    out = tmp_path / "run"
    with atomic_output_dir(out) as tmp:
        (tmp / "sub").mkdir()
        (tmp / "sub" / "b.txt").write_text("gridmodel's")
    if added.endswith("/"):
        (out / added).mkdir()
    else:
        (out / added).write_text("the user's")
    with pytest.raises(OutputError, match="did not write") as caught, atomic_output_dir(out):
        pass
    assert added.rstrip("/") in str(caught.value) and (out / added).exists()
    with atomic_output_dir(out, overwrite=True) as tmp:
        (tmp / "c.txt").write_text("new")
    assert not (out / added).exists() and (out / "c.txt").is_file()


def test_a_marker_without_a_listing_owns_its_folder(tmp_path: Path) -> None:
    # folders written before the marker listed its files
    out = tmp_path / "old"
    out.mkdir()
    (out / MARKER).write_text("written by gridmodel\n", encoding="utf-8")
    (out / "summary.json").write_text("{}")
    with atomic_output_dir(out) as tmp:
        (tmp / "x.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "x.txt"]


def test_a_link_as_output_folder_is_refused_and_nothing_moves(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    with atomic_output_dir(elsewhere) as tmp:
        (tmp / "a.txt").write_text("first")
    link = tmp_path / "link"
    link.symlink_to(elsewhere, target_is_directory=True)
    for overwrite in (False, True):
        with (
            pytest.raises(OutputError, match="symbolic link"),
            atomic_output_dir(link, overwrite=overwrite),
        ):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "link"]  # no .link.old-*
    assert link.is_symlink() and (elsewhere / "a.txt").read_text() == "first"


@pytest.mark.parametrize("target", [".", "..", "ABSOLUTE_PARENT"])
def test_the_current_folder_or_a_parent_is_refused_even_with_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    here = tmp_path / "a" / "b"
    here.mkdir(parents=True)
    (here / "thesis.tex").write_text("precious")
    monkeypatch.chdir(here)
    out = tmp_path if target == "ABSOLUTE_PARENT" else Path(target)
    with (
        pytest.raises(OutputError, match="current folder or one of its parents"),
        atomic_output_dir(out, overwrite=True),
    ):
        pass
    assert (here / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]

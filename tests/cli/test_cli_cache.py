"""`gridmodel impact` with the cache of compiled grids, as a user runs it.

First call: a line on stderr saying what compiling cost and where the grid is
kept, stdout one JSON object. Second call: the same JSON, no line, and neither
pandapower nor its parser imported. A damaged entry is refused with one line
naming the file and the field (exit code 2), never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

#: Runs the command line, then says on stderr whether pandapower was imported.
RUN = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "'pandapower imported: %s\\n' % ('pandapower' in sys.modules)))\n"
    "from gridmodel.__main__ import main\n"
    "sys.argv = ['gridmodel', *sys.argv[1:]]\n"
    "main()\n"
)


def gridmodel(cache: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRIDMODEL_CACHE_DIR": str(cache)}
    command = [sys.executable, "-c", RUN, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A cache folder after one call, with that call's stdout and stderr."""
    cache = tmp_path_factory.mktemp("cache")
    first = gridmodel(cache, "impact", "case9", "--json")
    assert first.returncode == 0, first.stderr
    return cache, first.stdout, first.stderr


def test_first_call_states_its_cost_and_where_it_keeps_the_grid(
    filled: tuple[Path, str, str],
) -> None:
    cache, stdout, stderr = filled
    lines = stderr.splitlines()
    assert lines[0].startswith("gridmodel: compiled case9 in ")
    assert lines[0].endswith(f"s; cached for the next call in {cache / 'compiled'}")
    assert json.loads(stdout)["load_mw"] == pytest.approx(315.0, abs=1e-6)  # 90 + 100 + 125


def test_second_call_answers_from_the_cache_without_pandapower(
    filled: tuple[Path, str, str],
) -> None:
    cache, stdout, _ = filled
    second = gridmodel(cache, "impact", "case9", "--json")
    assert second.returncode == 0, second.stderr
    assert second.stdout == stdout
    assert second.stderr.splitlines() == ["pandapower imported: False"]


def test_strikes_are_answered_from_the_same_entry(filled: tuple[Path, str, str]) -> None:
    cache, _, _ = filled
    struck = gridmodel(cache, "impact", "case9", "--json", "-s", "substation:bus4")
    assert struck.returncode == 0, struck.stderr
    assert "compiled" not in struck.stderr
    data = json.loads(struck.stdout)
    assert data["unserved_mw"] == pytest.approx(90.0, abs=1e-6)  # bus 4's load goes dark


def test_no_cache_option_compiles_afresh_and_writes_nothing(tmp_path: Path) -> None:
    done = gridmodel(tmp_path / "c", "impact", "case9", "--json", "--no-cache")
    assert done.returncode == 0, done.stderr
    assert "compiled case9 in" in done.stderr and "cache off" in done.stderr
    assert not (tmp_path / "c").exists()
    off = gridmodel("off", "impact", "case9", "--json")
    assert off.returncode == 0 and "cache off" in off.stderr
    assert not Path("off").exists()


def entry_of(tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    assert gridmodel(cache, "impact", "case9", "--json").returncode == 0
    [entry] = (cache / "compiled").iterdir()
    return entry


def rewrite(entry: Path, **changes: np.ndarray) -> None:
    with np.load(entry, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays.update(changes)
    with entry.open("wb") as handle:
        np.savez(handle, **arrays)


def refused(entry: Path, tmp_path: Path) -> str:
    done = gridmodel(tmp_path / "cache", "impact", "case9", "--json")
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    [line, _] = done.stderr.splitlines()
    assert line.startswith(f"gridmodel: error: {entry}: ")
    assert "delete the file (or run with --no-cache) to compile afresh" in line
    return line


def test_out_of_range_index_is_refused(tmp_path: Path) -> None:
    entry = entry_of(tmp_path)
    rewrite(entry, branch_from=np.full(9, 500, dtype=np.int64))  # case9 has 9 buses
    line = refused(entry, tmp_path)
    assert ": branch_from: " in line and "value 500 out of range" in line
    assert "(allowed: internal bus positions 0..8)" in line


def test_pickled_array_is_refused_without_unpickling(tmp_path: Path) -> None:
    entry = entry_of(tmp_path)
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    with np.load(entry, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["branch_b_pu"] = np.array([Payload()], dtype=object)
    with entry.open("wb") as handle:
        np.savez(handle, allow_pickle=True, **arrays)
    line = refused(entry, tmp_path)
    assert ": branch_b_pu: " in line and "unreadable array" in line
    assert not marker.exists()


def test_non_finite_value_and_wrong_dtype_are_refused(tmp_path: Path) -> None:
    entry = entry_of(tmp_path)
    with np.load(entry, allow_pickle=False) as npz:
        b = npz["branch_b_pu"].copy()
    b[2] = np.nan
    rewrite(entry, branch_b_pu=b)
    assert ": branch_b_pu: " in refused(entry, tmp_path)
    rewrite(entry, branch_b_pu=b.astype(np.float32))
    assert "(allowed: float64)" in refused(entry, tmp_path)


def test_garbage_and_a_folder_in_place_of_an_entry_are_refused(tmp_path: Path) -> None:
    entry = entry_of(tmp_path)
    entry.write_bytes(b"not a zip at all")
    assert ": file: damaged compiled-grid cache entry: not a zip archive" in refused(
        entry, tmp_path
    )
    entry.unlink()
    entry.mkdir()
    line = refused(entry, tmp_path)
    assert ": file: damaged compiled-grid cache entry: " in line and "regular file" in line


def test_a_shape_larger_than_its_data_is_refused_before_allocating(tmp_path: Path) -> None:
    import io
    import zipfile

    entry = entry_of(tmp_path)
    member = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}  # 8 TB
    np.lib.format.write_array_header_1_0(member, header)
    member.write(np.zeros(9).tobytes())
    with zipfile.ZipFile(entry) as archive:
        others = {i.filename: archive.read(i) for i in archive.infolist()}
    others["branch_b_pu.npy"] = member.getvalue()
    with zipfile.ZipFile(entry, "w", zipfile.ZIP_STORED) as archive:
        for name, data in others.items():
            archive.writestr(name, data)
    line = refused(entry, tmp_path)
    assert ": branch_b_pu: " in line and "shape (1000000000000,)" in line


def test_criticality_reads_the_compiled_grid_from_the_cache_with_the_same_ranking(
    tmp_path: Path,
) -> None:
    """A study compiles and keeps the grid; the next one, on two worker
    processes (3 chunks of 10 outages), reads it without pandapower; both rank
    exactly as a fresh compile, whose workers neither read nor write the cache."""
    cache = tmp_path / "cache"
    study = ("criticality", "case30", "--no-progress", "-o")
    pool = ("--workers", "2", "--chunk-size", "10")
    first = gridmodel(cache, *study, str(tmp_path / "first"))
    assert first.returncode == 0, first.stderr
    assert "gridmodel: compiled case30 in " in first.stderr
    assert f"cached for the next call in {cache / 'compiled'}" in first.stderr
    second = gridmodel(cache, *study, str(tmp_path / "second"), *pool)
    assert second.returncode == 0, second.stderr
    assert second.stderr.splitlines() == ["pandapower imported: False"]
    assert json.loads((tmp_path / "second" / "run.json").read_text())["chunks_run"] == 3
    unused = tmp_path / "unused"
    fresh = gridmodel(unused, *study, str(tmp_path / "fresh"), *pool, "--no-cache")
    assert fresh.returncode == 0 and "cache off" in fresh.stderr
    assert not unused.exists()  # the workers did not write it either
    expected = (tmp_path / "fresh" / "criticality.csv").read_bytes()
    assert (tmp_path / "first" / "criticality.csv").read_bytes() == expected
    assert (tmp_path / "second" / "criticality.csv").read_bytes() == expected

"""A criticality folder: chunks on disk, the same files however the chunks ran, resumable.

Expected values: a pair's figures are those ``gridmodel impact`` gives for
the two strikes (an independent path through the API and the command line);
files are compared byte for byte (only ``run.json`` holds timings); a
tampered chunk or manifest is refused with exit code 2 and one line naming
the file and the field (the hostile-input rule of the README).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gridmodel
from gridmodel.cli import app
from gridmodel.errors import OptionError
from gridmodel.studies.criticality import criticality
from gridmodel.studies.criticality.ranking import FIGURES, Ranking
from gridmodel.studies.criticality.space import outage_space
from gridmodel.studies.outages import CriticalityOptions, outage_set

runner = CliRunner()

#: N-2 of case30: 435 pairs in 9 chunks of 50.
ARGS = ["criticality", "case30", "--k", "2", "--chunk-size", "50", "--top", "5", "--no-progress"]


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` but ``run.json`` (timings), by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "run.json"
    }


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished N-2 study of case30 in one process."""
    out = tmp_path_factory.mktemp("crit") / "serial"
    result = runner.invoke(app, [*ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _chunks(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "outages").reset_index(drop=True)


def test_every_pair_is_on_disk_once_in_outage_order(study: Path) -> None:
    table = _chunks(study)
    # 30 substations: 30 * 29 / 2 pairs, numbered in order, first < second
    assert len(table) == 435 and table["outage"].tolist() == list(range(435))
    i, j = np.triu_indices(30, k=1)
    assert (table["position_1"] == i).all() and (table["position_2"] == j).all()
    assert sorted((study / "outages").iterdir())[-1].name == "part-00008.parquet"
    manifest = json.loads((study / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["chunks"] == 9
    assert not (study / "INCOMPLETE").exists() and (study / ".gridmodel").is_file()
    ranked = pd.read_csv(study / "criticality.csv", dtype={"substations": str})
    assert len(ranked) == 435 and ranked["unserved_mw"].is_monotonic_decreasing


def test_reported_pairs_have_the_figures_of_gridmodel_impact(study: Path) -> None:
    grid = gridmodel.load_network("case30")
    ids = [s["substation"] for s in json.loads((study / "network_state.json").read_text())[
        "substations"
    ]]  # fmt: skip
    table = _chunks(study)
    # the worst pairs of the ranking and a few others, through the positions on disk
    ranked = pd.read_csv(study / "criticality.csv", dtype={"substations": str})
    picks = [*ranked["substations"].head(3)]
    picks += [
        f"{ids[r.position_1]};{ids[r.position_2]}" for r in table.iloc[[0, 77, 434]].itertuples()
    ]
    for pair in picks:
        a, b = pair.split(";")
        alone = gridmodel.impact(
            grid, [f"substation:{a}", f"substation:{b}"], overload="trip"
        ).to_dict()
        row = table[(table["position_1"] == ids.index(a)) & (table["position_2"] == ids.index(b))]
        assert len(row) == 1, pair
        assert row["unserved_mw"].iloc[0] == pytest.approx(alone["unserved_mw"], abs=1e-6)
        assert row["customers_off"].iloc[0] == alone["customers_off"]
        assert row["tripped"].iloc[0] == len(alone["tripped_branches"])
        assert row["islands"].iloc[0] == alone["islands"]
    # the command line prints the same figures for the worst pair
    a, b = picks[0].split(";")
    shown = runner.invoke(
        app,
        ["impact", "case30", "--strike", f"substation:{a}", "--strike", f"substation:{b}",
         "--overload", "trip", "--json"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["unserved_mw"] == pytest.approx(
        ranked["unserved_mw"].iloc[0], abs=1e-6
    )


@pytest.mark.slow  # two fresh worker processes each load and compile the grid
def test_two_workers_give_the_same_files(study: Path, tmp_path: Path) -> None:
    out = tmp_path / "pool"
    result = runner.invoke(app, [*ARGS, "--workers", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _files(out) == _files(study)


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_files(study: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="Dask (gridmodel[distributed]) missing")
    # a real LocalCluster of 2 workers, 1 thread each, in this process (worker processes
    # would each compile the engine again: minutes on a busy machine); the grid is
    # scattered to the workers and every chunk is a task of the scheduler
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cluster:
        out = tmp_path / "dask"
        args = [*ARGS, "--scheduler", cluster.scheduler_address, "--out", str(out)]
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _files(out) == _files(study)


def _copy(study: Path, tmp_path: Path) -> Path:
    """An interrupted copy of ``study``: its chunks and manifest, marked unfinished."""
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(study, out)
    for name in ("criticality.csv", "summary.json", "network_state.json", "run.json", ".gridmodel"):
        (out / name).unlink()
    (out / "outages" / "part-00004.parquet").unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    (out / "INCOMPLETE").write_text("unfinished\n")
    (out / ".gridmodel-running").write_text("unfinished\n")
    return out


def test_resume_computes_only_the_missing_chunk(study: Path, tmp_path: Path) -> None:
    out = _copy(study, tmp_path)
    result = runner.invoke(app, [*ARGS, "--out", str(out), "--resume"])
    assert result.exit_code == 0, result.output
    assert _files(out) == _files(study)
    run = json.loads((out / "run.json").read_text())
    assert run["chunks_run"] == 1 and run["chunks_resumed"] == 8 and run["outages_run"] == 50


def _tamper_value(path: Path) -> None:
    table = pd.read_parquet(path)
    table.loc[3, "unserved_mw"] = -1.0
    table.to_parquet(path, index=False)


def _tamper_positions(path: Path) -> None:
    table = pd.read_parquet(path)
    table.loc[0, "position_2"] = 29
    table.to_parquet(path, index=False)


def _tamper_column(path: Path) -> None:
    pd.read_parquet(path).drop(columns=["islands"]).to_parquet(path, index=False)


@pytest.mark.parametrize(
    ("tamper", "field"),
    [
        (_tamper_value, "unserved_mw"),
        (_tamper_positions, "position_2"),
        (_tamper_column, "islands"),
    ],
    ids=["negative-mw", "other-pair", "missing-column"],
)
def test_a_tampered_chunk_is_refused_in_one_line(
    study: Path, tmp_path: Path, tamper, field: str
) -> None:
    out = _copy(study, tmp_path)
    chunk = out / "outages" / "part-00002.parquet"
    tamper(chunk)
    result = runner.invoke(app, [*ARGS, "--out", str(out), "--resume"])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith(f"gridmodel: error: {chunk}: {field}: ") and "\n" not in line
    assert not (out / "criticality.csv").exists()


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"k": 1}, "k"),
        ({"chunk_size": 60}, "chunk_size"),
        ({"network_sha256": "0" * 64}, "network_sha256"),
    ],
    ids=["k", "chunk-size", "network"],
)
def test_a_resume_with_other_options_or_a_tampered_manifest_is_refused(
    study: Path, tmp_path: Path, edit: dict, field: str
) -> None:
    out = _copy(study, tmp_path)
    manifest = out / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), **edit}))
    result = runner.invoke(app, [*ARGS, "--out", str(out), "--resume"])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert (
        line.startswith(f"gridmodel: error: {manifest}: {field}: --resume: ") and "\n" not in line
    )
    manifest.write_text("{not json")
    result = runner.invoke(app, [*ARGS, "--out", str(out), "--resume"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"gridmodel: error: {manifest}: format: ")


def test_an_unfinished_study_is_not_started_over_without_resume(
    study: Path, tmp_path: Path
) -> None:
    out = _copy(study, tmp_path)
    result = runner.invoke(app, [*ARGS, "--out", str(out)])
    assert result.exit_code == 2 and "unfinished criticality study" in result.stderr
    assert (out / "outages" / "part-00000.parquet").is_file()


def test_the_api_folder_equals_its_returned_ranking(tmp_path: Path) -> None:
    grid = gridmodel.load_network("case14")
    table = criticality(grid, k=2, out=tmp_path / "api", chunk_size=20, workers=1)
    written = pd.read_csv(
        tmp_path / "api" / "criticality.csv",
        dtype=dict.fromkeys(("substations", "names", "regions"), str),
    )
    pd.testing.assert_frame_equal(written, table, check_exact=False, rtol=1e-12)
    assert table.attrs == {"outages_total": 91, "outages_evaluated": 91, "sampled": False}
    # in memory, in chunks of another size: the same ranking
    pd.testing.assert_frame_equal(criticality(grid, k=2, chunk_size=7), table)


def test_the_ranking_does_not_depend_on_the_order_chunks_arrive() -> None:
    rng = np.random.default_rng(5)
    n = 1000
    figures = pd.DataFrame({name: rng.integers(0, 4, n).astype(float) for name in FIGURES})
    positions = np.column_stack([np.arange(n), np.arange(n) + 1])
    full = np.lexsort((np.arange(n), -figures["customers_off"], -figures["unserved_mw"]))
    for keep in (n, 37):
        ranking = Ranking(2, keep=keep)
        for start in rng.permutation(np.arange(0, n, 100)):
            ranking.add(
                int(start), positions[start : start + 100], figures.iloc[start : start + 100]
            )
        # the first `keep` of one stable sort of all rows (ties in outage order)
        assert ranking.evaluated == n
        assert ranking._outage.tolist() == full[:keep].tolist()


def test_sampled_pairs_are_the_seeded_sample_and_all_has_a_limit() -> None:
    options = CriticalityOptions(k=2, max_pairs=500, seed=3)
    space = outage_space(60, options)
    assert space.sampled and space.count == 500 and space.total == 1770
    expected = outage_set(60, options=options).positions
    got = np.concatenate([space.positions(s, min(s + 64, 500)) for s in range(0, 500, 64)])
    assert np.array_equal(got, expected)
    # case2869pegase: 2,869 * 2,868 / 2 = 4,114,146 pairs, all of them
    every = outage_space(2869, CriticalityOptions(k=2, max_pairs="all"))
    assert every.count == every.total == 4_114_146 and not every.sampled
    assert every.positions(4_114_145, 4_114_146).tolist() == [[2867, 2868]]
    with pytest.raises(OptionError, match="more than 5,000,000"):
        outage_space(3200, CriticalityOptions(k=2, max_pairs="all"))  # 5,118,400 pairs


def test_progress_counts_the_chunks_on_disk_when_resuming(study: Path, tmp_path: Path) -> None:
    out = _copy(study, tmp_path)  # chunk 4 (outages 200-249) missing: 385 of 435 on disk
    seen: list[int] = []
    grid = gridmodel.load_network("case30")
    criticality(grid, k=2, out=out, chunk_size=50, top=5, resume=True, on_progress=seen.append)
    assert seen[0] == 385 and seen[-1] == 435
    assert seen == sorted(seen)
    assert _files(out) == _files(study)


def test_max_pairs_all_is_every_pair(tmp_path: Path) -> None:
    out = tmp_path / "all"
    args = ["criticality", "case9", "--k", "2", "--max-pairs", "all", "--no-progress"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    # case9: 9 * 8 / 2 = 36 pairs, none sampled
    assert "36 of 36 N-2 outages in" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outages_evaluated"] == summary["outages_total"] == 36 and not summary["sampled"]
    assert json.loads((out / "manifest.json").read_text())["max_pairs"] == "all"
    # a number of pairs below that is a seeded sample of that many
    result = runner.invoke(app, [*args[:4], "--max-pairs", "10", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0 and "10 of 36 N-2 outages (sampled)" in result.stdout


def test_an_unreachable_scheduler_is_one_line_and_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed", reason="Dask (gridmodel[distributed]) missing")
    from gridmodel.studies.montecarlo import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")  # nothing listens on port 9
    out = tmp_path / "crit"
    args = ["criticality", "case9", "--scheduler", "tcp://127.0.0.1:9", "--no-progress"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("gridmodel: error: --scheduler: cannot connect to the Dask")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()  # no chunk was written: nothing to resume

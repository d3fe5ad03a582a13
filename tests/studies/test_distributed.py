"""Same table whoever runs the samples: one process, a process pool, a Dask cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.scenario import load_scenario
from gridmodel.studies.montecarlo import SweepOptions, run_montecarlo

distributed = pytest.importorskip("distributed", reason="Dask (gridmodel[distributed]) missing")

ROOT = Path(__file__).resolve().parents[2]
CASE118 = ROOT / "scenarios" / "case118-salvo.toml"


def _table(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "samples").sort_values("sample").reset_index(drop=True)


@pytest.fixture(scope="module")
def cluster():
    """A real LocalCluster: 2 worker processes, 1 thread each."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


@pytest.mark.slow
def test_serial_pool_and_dask_give_identical_tables(tmp_path: Path, cluster) -> None:
    # full samples: strikes, impact and the restoration timeline with its metrics
    scenario = load_scenario(CASE118)
    samples, timeline = 8, True
    runs = {
        # different chunk sizes too: a row depends only on (seed, sample)
        "serial": SweepOptions(samples=samples, chunk_size=3, timeline=timeline),
        "pool": SweepOptions(samples=samples, chunk_size=2, workers=2, timeline=timeline),
        "dask": SweepOptions(
            samples=samples, chunk_size=1, scheduler=cluster.scheduler_address, timeline=timeline
        ),
    }
    tables = {}
    for name, options in runs.items():
        run_montecarlo(scenario, tmp_path / name, options=options)
        tables[name] = _table(tmp_path / name)
    assert tables["serial"]["sample"].tolist() == list(range(samples))
    pd.testing.assert_frame_equal(tables["pool"], tables["serial"])
    pd.testing.assert_frame_equal(tables["dask"], tables["serial"])
    summaries = {n: (tmp_path / n / "summary.json").read_bytes() for n in runs}
    assert summaries["pool"] == summaries["serial"] == summaries["dask"]
    assert tables["serial"]["ens_mwh"].notna().all()


@pytest.mark.slow
def test_scheduler_local_starts_its_own_cluster(tmp_path: Path) -> None:
    out = tmp_path / "local"
    result = CliRunner().invoke(
        app,
        ["montecarlo", str(CASE118), "-n", "30", "--chunk-size", "10", "--impact-only",
         "--scheduler", "local", "--workers", "2", "--out", str(out), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ref = tmp_path / "ref"
    run_montecarlo(load_scenario(CASE118), ref, options=SweepOptions(samples=30, timeline=False))
    pd.testing.assert_frame_equal(_table(out), _table(ref))


@pytest.mark.slow
def test_unreachable_scheduler_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gridmodel.studies.montecarlo import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")  # nothing listens on port 9
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["montecarlo", str(CASE118), "-n", "5", "--impact-only", "--scheduler",
         "tcp://127.0.0.1:9", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "cannot connect to the Dask scheduler" in result.output
    assert "Traceback" not in result.output


def test_missing_dask_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = CliRunner().invoke(
        app,
        ["montecarlo", str(CASE118), "-n", "5", "--impact-only", "--scheduler", "local",
         "--out", str(tmp_path / "run")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "needs Dask" in result.output and "gridmodel[distributed]" in result.output

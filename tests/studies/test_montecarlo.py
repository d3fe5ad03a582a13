"""Monte Carlo sweeps: sample rows, the chunked store, resume, bounded memory, CLI."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.outputs import MARKER
from gridmodel.scenario import load_scenario
from gridmodel.studies.montecarlo import (
    ChunkStore,
    SweepOptions,
    bounded_completion,
    read_manifest,
    run_montecarlo,
)
from gridmodel.studies.montecarlo.sampling import cached_context, evaluate_chunk, sample_row
from gridmodel.studies.montecarlo.store import RUNNING_MARKER
from gridmodel.studies.run import run

ROOT = Path(__file__).resolve().parents[2]
CASE118 = ROOT / "scenarios" / "case118-salvo.toml"


def _table(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "samples").sort_values("sample").reset_index(drop=True)


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(CASE118)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, scenario) -> Path:
    """An uninterrupted serial run: 120 samples in chunks of 25 (the last one 20)."""
    out = tmp_path_factory.mktemp("mc") / "ref"
    run_montecarlo(scenario, out, options=SweepOptions(samples=120, chunk_size=25, timeline=False))
    return out


def test_a_worker_compiles_the_grid_once_for_all_its_chunks(scenario) -> None:
    # a row's extra figures (the strike's hour) once took the worker's only memo
    # slot, so every chunk loaded and compiled the grid again (4x the sweep's time)
    context = cached_context(scenario)
    evaluate_chunk(scenario, 0, 2, timeline=False)
    evaluate_chunk(scenario, 2, 4, timeline=False)
    assert cached_context(scenario) is context


def test_sample_row_equals_gridmodel_run_of_that_sample(scenario) -> None:
    # independent path: run() realises the strikes afresh and builds the impact
    # JSON through Impact.to_dict() (per-region figures); the row must carry the same figures
    context = cached_context(scenario)
    for sample in (0, 17):
        row = sample_row(context, sample, seed=scenario.seed)
        result = run(scenario, sample=sample)
        impact = result.impact.to_dict()
        assert row["sample"] == sample and row["seed"] == scenario.seed == 118
        assert row["missiles"] == result.damage.missiles == 30  # 24 + 6 salvo missiles
        assert row["intercepted"] == result.damage.intercepted
        assert row["hits"] == len(result.damage.hits)
        for key in ("load_mw", "unserved_mw", "dark_mw", "shed_mw", "critical_unserved_mw"):
            assert row[key] == pytest.approx(impact[key], abs=1e-6), key
        assert row["customers_off"] == impact["customers_off"]
        assert row["tripped"] == len(impact["tripped_branches"])
        assert row["islands"] == impact["islands"]


def test_timeline_metrics_equal_gridmodel_run_of_that_sample(scenario) -> None:
    # independent path: gridmodel run's restoration stage and its summary metrics
    context = cached_context(scenario)
    row = sample_row(context, 5, seed=scenario.seed, timeline=True)
    metrics = run(scenario, sample=5).restoration.metrics.total
    for key in ("ens_mwh", "customer_hours", "saidi_h", "saifi", "peak_deficit_mw"):
        assert row[key] == pytest.approx(metrics[key], abs=1e-6), key
    for share in ("50", "90", "100"):
        expected = metrics["restore_h"][share]
        got = row[f"restore_h_{share}"]
        assert got is None if expected is None else got == pytest.approx(expected, abs=1e-6)
    assert row["area_h"] == pytest.approx(metrics["trapezoid"]["area_h"], abs=1e-6)
    # energy not served is at least the first-hour deficit, and never negative
    assert row["ens_mwh"] >= 0 and row["peak_deficit_mw"] > 0


def test_timeline_sweep_adds_metric_columns(tmp_path: Path, scenario, reference: Path) -> None:
    out = tmp_path / "timeline"
    summary = run_montecarlo(scenario, out, options=SweepOptions(samples=4, chunk_size=2))
    table = _table(out)
    impact_only = _table(reference).head(4)
    # the timeline adds columns and changes no impact figure
    pd.testing.assert_frame_equal(table[impact_only.columns], impact_only)
    assert {"ens_mwh", "customer_hours", "restore_h_90", "saidi_h"} <= set(table.columns)
    assert (table["ens_mwh"] > 0).all()
    assert summary["timeline"] is True
    assert summary["quantiles"]["ens_mwh"]["n"] == 4
    assert summary["quantiles"]["ens_mwh"]["p100"] == pytest.approx(table["ens_mwh"].max())


def test_complete_run_layout_and_summary(reference: Path) -> None:
    parts = sorted(p.name for p in (reference / "samples").iterdir())
    # 120 samples in chunks of 25: 5 chunk files, nothing temporary left
    assert parts == [f"part-{i:05d}.parquet" for i in range(5)]
    assert [pq.ParquetFile(reference / "samples" / p).metadata.num_rows for p in parts] == [
        25,
        25,
        25,
        25,
        20,
    ]
    table = _table(reference)
    assert table["sample"].tolist() == list(range(120))
    assert (table["unserved_mw"] >= 0).all() and (table["unserved_mw"] <= table["load_mw"]).all()
    assert (reference / MARKER).is_file() and not (reference / "INCOMPLETE").exists()
    assert read_manifest(reference)["status"] == "complete"
    summary = json.loads((reference / "summary.json").read_text())
    assert next(iter(summary)) == "schema_version" and summary["schema_version"] == 2
    assert summary["samples"] == 120 and summary["seed"] == 118
    # quantiles recomputed with pandas from the stored rows (linear interpolation)
    for column in ("unserved_mw", "customers_off"):
        stats = summary["quantiles"][column]
        assert stats["p50"] == pytest.approx(table[column].quantile(0.5), abs=1e-6)
        assert stats["p95"] == pytest.approx(table[column].quantile(0.95), abs=1e-6)
        assert stats["p100"] == pytest.approx(table[column].max(), abs=1e-6)
    text = (reference / "summary.json").read_text()
    assert str(reference) not in text and "elapsed" not in text  # reproducible bytes


def test_chunk_size_does_not_change_the_rows(tmp_path: Path, scenario, reference: Path) -> None:
    out = tmp_path / "other"
    run_montecarlo(scenario, out, options=SweepOptions(samples=120, chunk_size=7, timeline=False))
    pd.testing.assert_frame_equal(_table(out), _table(reference))
    assert (out / "summary.json").read_bytes() == (reference / "summary.json").read_bytes()


def test_resume_after_lost_chunks_equals_uninterrupted(
    tmp_path: Path, scenario, reference: Path
) -> None:
    out = tmp_path / "run"
    options = SweepOptions(samples=120, chunk_size=25, timeline=False)
    run_montecarlo(scenario, out, options=options)
    # simulate an interruption: two chunks never written, one half-written temp file
    # and one truncated chunk (a copy that died mid-way, as an old non-atomic writer would)
    (out / "samples" / "part-00001.parquet").unlink()
    (out / "samples" / "part-00004.parquet").unlink()
    (out / "samples" / ".part-00004.parquet.123.tmp").write_bytes(b"PAR1 half")
    broken = out / "samples" / "part-00002.parquet"
    broken.write_bytes(broken.read_bytes()[:100])
    for name in ("summary.json", MARKER):
        (out / name).unlink()
    (out / RUNNING_MARKER).write_text("an unfinished gridmodel montecarlo run\n")
    store = ChunkStore.open(out, _spec(scenario), resume=True)
    assert store.missing_chunks() == [1, 2, 4]
    written: list[int] = []
    started: list[int] = []
    run_montecarlo(
        scenario,
        out,
        options=SweepOptions(samples=120, chunk_size=25, resume=True, timeline=False),
        on_chunk=lambda done: written.append(done.chunk),
        on_start=started.append,
    )
    assert sorted(written) == [1, 2, 4]  # only the missing chunks ran
    assert started == [50]  # chunks 0 and 3 were kept: 2 x 25 samples
    pd.testing.assert_frame_equal(_table(out), _table(reference))
    assert (out / "summary.json").read_bytes() == (reference / "summary.json").read_bytes()
    assert not list((out / "samples").glob(".*tmp"))


def _spec(scenario):
    from gridmodel.studies.montecarlo.sampling import fingerprint
    from gridmodel.studies.montecarlo.store import RunSpec

    return RunSpec(scenario.title, fingerprint(scenario), "case118", 118, 120, 25, timeline=False)


def test_each_chunk_is_on_disk_before_the_next_is_computed(tmp_path: Path, scenario) -> None:
    # structural bound on memory: the driver writes a chunk as soon as it arrives,
    # so after k reports exactly k chunk files exist and no table is kept back
    out = tmp_path / "run"
    seen: list[tuple[int, int]] = []

    def check(done) -> None:
        files = len(list((out / "samples").glob("part-*.parquet")))
        seen.append((done.chunks_written, files))
        assert read_manifest(out)["status"] == "running"
        assert (out / "INCOMPLETE").is_file() and not (out / MARKER).exists()

    run_montecarlo(
        scenario,
        out,
        options=SweepOptions(samples=50, chunk_size=10, timeline=False),
        on_chunk=check,
    )
    assert seen == [(k, k) for k in range(1, 6)]


def test_bounded_completion_pulls_tasks_lazily() -> None:
    # a real thread pool; the task source counts how far it has been read
    pulled = 0
    limit = 3

    def source():
        nonlocal pulled
        for i in range(40):
            pulled += 1
            yield i

    ahead: list[int] = []
    results = []
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        for _task, value in bounded_completion(
            source(),
            lambda t: pool.submit(lambda x: x * x, t),
            lambda fs: cf.wait(fs, return_when=cf.FIRST_COMPLETED).done,
            lambda f: f.result(),
            in_flight=limit,
        ):
            results.append(value)
            ahead.append(pulled - len(results))
    assert sorted(results) == [i * i for i in range(40)]
    # when a result is handed back, at most `limit - 1` other tasks have been
    # pulled from the source: the rest of the 40 stay unread
    assert max(ahead) == limit - 1


def test_unfinished_run_is_not_overwritten_by_a_fresh_start(tmp_path: Path, scenario) -> None:
    out = tmp_path / "run"
    run_montecarlo(scenario, out, options=SweepOptions(samples=30, chunk_size=10, timeline=False))
    (out / "samples" / "part-00002.parquet").unlink()
    (out / MARKER).unlink()
    (out / RUNNING_MARKER).write_text("an unfinished gridmodel montecarlo run\n")
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    runner = CliRunner()
    args = [
        "montecarlo",
        str(CASE118),
        "-n",
        "30",
        "--chunk-size",
        "10",
        "--impact-only",
        "--out",
        str(out),
    ]
    result = runner.invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 2, result.output
    assert "unfinished Monte Carlo run" in result.output and "--resume" in result.output
    assert len(list((out / "samples").iterdir())) == 2  # nothing deleted
    # a resume with another seed is refused, naming the option
    result = runner.invoke(app, [*args, "--resume", "--seed", "5", "--no-progress"])
    assert result.exit_code == 2 and "--seed" in result.output
    result = runner.invoke(app, [*args, "--resume", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert (out / MARKER).is_file() and len(list((out / "samples").iterdir())) == 3


def test_earlier_result_is_replaced_and_foreign_folder_refused(tmp_path: Path, scenario) -> None:
    out = tmp_path / "run"
    run_montecarlo(scenario, out, options=SweepOptions(samples=30, chunk_size=10, timeline=False))
    run_montecarlo(
        scenario, out, options=SweepOptions(samples=12, chunk_size=10, seed=7, timeline=False)
    )
    assert _table(out)["sample"].tolist() == list(range(12))
    assert (_table(out)["seed"] == 7).all()
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("precious")
    result = CliRunner().invoke(
        app, ["montecarlo", str(CASE118), "-n", "5", "--impact-only", "--out", str(foreign)]
    )
    assert result.exit_code == 2 and "not written by gridmodel" in result.output
    assert (foreign / "chapter1.tex").read_text() == "precious"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        # options of the Python API are named by their parameter; --scheduler by its flag
        (["--samples", "0"], "samples: "),
        (["--samples", "5", "--workers", "0"], "workers: "),
        (["--samples", "5", "--chunk-size", "0"], "chunk_size: "),
        (["--samples", "5", "--scheduler", "my-cluster"], "--scheduler: "),
        (["--samples", "5", "--scheduler", "tcp://host:99999"], "--scheduler: "),
        (["--samples", "5", "--seed", "-1"], "seed: "),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path: Path, extra: list[str], needle: str) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["montecarlo", str(CASE118), *extra, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gridmodel: error: {needle}"), lines
    assert "Traceback" not in result.output
    assert not out.exists()


def test_cli_run_prints_quantiles_and_writes_folder(tmp_path: Path, reference: Path) -> None:
    out = tmp_path / "cli"
    result = CliRunner().invoke(
        app,
        [
            "montecarlo",
            str(CASE118),
            "-n",
            "120",
            "--chunk-size",
            "25",
            "--impact-only",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "120 samples" in result.output
    pd.testing.assert_frame_equal(_table(out), _table(reference))


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_killed_process_resumes_to_the_uninterrupted_result(
    tmp_path: Path, scenario, how: signal.Signals
) -> None:
    # long enough (a few seconds) that the interrupt lands while chunks are written
    samples, chunk = 12000, 20
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "gridmodel", "montecarlo", str(CASE118), "--samples",
           str(samples), "--chunk-size", str(chunk), "--out", str(out), "--no-progress",
           "--impact-only"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # readiness, not a fixed sleep: wait (generously, the machine may be loaded)
        # until three chunks are on disk, then interrupt
        ready = False
        deadline = time.monotonic() + 600
        while not ready and time.monotonic() < deadline and proc.poll() is None:
            ready = len(list((out / "samples").glob("part-*.parquet"))) >= 3
            if not ready:
                time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert ready, "three chunks were not written within 600 s"
        os.kill(proc.pid, how)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if how == signal.SIGINT:  # Ctrl-C: exit 130 and a hint, no traceback
        assert proc.returncode == 130, stderr
        assert "--resume" in stderr and "Traceback" not in stderr
    else:
        assert proc.returncode == -signal.SIGKILL
    parts = list((out / "samples").glob("part-*.parquet"))
    assert 3 <= len(parts) < samples // chunk
    assert (out / "INCOMPLETE").is_file() and not (out / MARKER).exists()
    assert not (out / "summary.json").exists()
    assert read_manifest(out)["status"] == "running"
    result = CliRunner().invoke(
        app,
        [
            "montecarlo",
            str(CASE118),
            "-n",
            str(samples),
            "--out",
            str(out),
            "--resume",
            "--impact-only",
        ],
    )
    assert result.exit_code == 0, result.output
    ref = tmp_path / "ref"
    run_montecarlo(
        scenario, ref, options=SweepOptions(samples=samples, chunk_size=chunk, timeline=False)
    )
    resumed, expected = _table(out), _table(ref)
    pd.testing.assert_frame_equal(resumed, expected)
    assert np.array_equal(resumed.to_numpy(), expected.to_numpy())
    assert (out / "summary.json").read_bytes() == (ref / "summary.json").read_bytes()
    run = json.loads((out / "run.json").read_text())
    assert run["chunks_resumed"] == len(parts)


def test_bad_scenario_exits_2_before_anything_is_written(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(
        'network = "case118"\nseed = 1\n\n[[waves]]\ntime_h = 0\n'
        'targets = ["substation:nowhere"]\n',
        encoding="utf-8",
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["montecarlo", str(scenario), "-n", "5", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "nowhere" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_resume_into_a_file_or_foreign_folder_is_refused(tmp_path: Path) -> None:
    afile = tmp_path / "notes.txt"
    afile.write_text("x")
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "a.tex").write_text("precious")
    for out, needle in ((afile, "not a folder"), (foreign, "no Monte Carlo run here")):
        result = CliRunner().invoke(
            app, ["montecarlo", str(CASE118), "-n", "5", "--resume", "--out", str(out)]
        )
        assert result.exit_code == 2, result.output
        assert needle in result.output
    assert afile.read_text() == "x" and (foreign / "a.tex").read_text() == "precious"


def test_an_error_caused_by_ctrl_c_counts_as_an_interrupt() -> None:
    """numba re-raises a Ctrl-C that lands while it loads compiled code as the
    cause of another error: that must still end the run as an interrupt (exit
    130, resume hint), and an ordinary error must not."""
    from gridmodel.errors import interrupted

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as inner:
            raise SystemError("error while unpickling") from inner
    except SystemError as exc:
        wrapped = exc
    assert interrupted(wrapped)
    assert interrupted(KeyboardInterrupt())
    assert not interrupted(ValueError("bad value"))
    try:
        try:
            raise OSError("disk")
        except OSError:
            raise ValueError("while handling") from None
    except ValueError as exc:
        assert not interrupted(exc)


def test_sample_rows_in_one_batch_equal_each_sample_alone(scenario) -> None:
    """The hits of a chunk are evaluated in one engine batch; each row is the
    row of its sample evaluated alone (the batch shares nothing between rows)."""
    from gridmodel.studies.montecarlo.sampling import sample_rows

    context = cached_context(scenario)
    together = sample_rows(context, range(8), seed=scenario.seed, timeline=False)
    alone = [sample_row(context, i, seed=scenario.seed, timeline=False) for i in range(8)]
    assert together == alone
    assert len({row["unserved_mw"] for row in alone}) > 1  # the samples differ

"""Ctrl-C and SIGTERM at every stage: exit 130 or 143, one line, nothing left behind.

Each case runs ``python -m gridmodel`` in a real process and sends the signal
once the process has announced the stage under test through the testing
hook of :mod:`gridmodel.interrupts` (``GRIDMODEL_STAGE_FILE``;
``GRIDMODEL_STAGE_HOLD`` keeps it there until the signal comes), so no case
depends on how fast the machine is. Expected values: the exit status is 128
plus the signal number (130 for SIGINT, 143 for SIGTERM, the shell's
convention); the folder holds exactly the inputs it held before; a Monte
Carlo run resumed after the signal has the same rows and the same
``summary.json`` bytes as one never interrupted (same seed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_scenarios import GOOD
from typer.testing import CliRunner

from gridmodel.cli import app

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

runner = CliRunner()


#: How long a process may take to reach a stage, or to end after the signal (s).
TIMEOUT_S = 240
EXIT = {
    signal.SIGINT: (130, "gridmodel: interrupted"),
    signal.SIGTERM: (143, "gridmodel: terminated"),
}


def _start(
    args: list[str], folder: Path, stages: Path, hold: str | None, *, group: bool = False
) -> subprocess.Popen[str]:
    env = {**os.environ, "GRIDMODEL_STAGE_FILE": str(stages)}
    env.pop("GRIDMODEL_STAGE_HOLD", None)
    if hold is not None:
        env["GRIDMODEL_STAGE_HOLD"] = hold
    return subprocess.Popen(
        [sys.executable, "-m", "gridmodel", *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=group,  # a process group of its own, as a shell gives a command
    )


def _wait_for(proc: subprocess.Popen[str], stages: Path, stage: str) -> None:
    """Poll the stage file until ``stage`` is in it (the process's readiness signal)."""
    end = time.monotonic() + TIMEOUT_S
    while not (stages.is_file() and stage in stages.read_text(encoding="utf-8").split()):
        if proc.poll() is not None:
            pytest.fail(f"ended before stage {stage!r}: {proc.communicate()[1]}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail(f"stage {stage!r} not reached in {TIMEOUT_S} s")
        time.sleep(0.02)


def _signal_at(
    args: list[str], folder: Path, stage: str, signum: int, *, hold: bool = True
) -> tuple[subprocess.Popen[str], str]:
    """Run ``args`` in ``folder``, send ``signum`` at ``stage``; return the process and stderr."""
    stages = folder.parent / f"{folder.name}-stages.txt"
    stages.unlink(missing_ok=True)
    proc = _start(args, folder, stages, stage if hold else None)
    _wait_for(proc, stages, stage)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=TIMEOUT_S)
    return proc, stderr


def _check_stopped(proc: subprocess.Popen[str], stderr: str, signum: int) -> None:
    code, line = EXIT[signum]
    assert proc.returncode == code, stderr
    assert stderr.strip() == line  # one line, no traceback (a worker's included)


def _everything(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "good.toml").write_text(GOOD, encoding="utf-8")
    return folder


#: (command line, stage, signal): a process of each command stopped at each of its stages.
CASES = [
    (["run", "good.toml", "-o", "out"], "loading", signal.SIGINT),
    (["run", "good.toml", "-o", "out"], "computing", signal.SIGTERM),
    (["run", "good.toml", "-o", "out"], "writing", signal.SIGTERM),
    (["run", "good.toml", "-o", "out"], "report", signal.SIGINT),
    (["schedule", "--network", "case9", "--stage", "1", "-o", "out"], "writing", signal.SIGTERM),
    # before the study has a folder (its resumable state is tested below)
    (["criticality", "case9", "-o", "out", "--no-progress"], "computing", signal.SIGINT),
    (["impact", "case9", "--strike", "bus:4"], "computing", signal.SIGTERM),
    # before the sweep has a folder: nothing to resume, no folder, no word of --resume
    (
        ["montecarlo", "good.toml", "-n", "4", "-o", "out", "--no-progress"],
        "computing",
        signal.SIGTERM,
    ),
]


@pytest.mark.parametrize(("args", "stage", "signum"), CASES, ids=lambda v: str(v))
def test_a_signal_at_any_stage_leaves_nothing(
    work: Path, args: list[str], stage: str, signum: int
) -> None:
    proc, stderr = _signal_at(args, work, stage, signum)
    _check_stopped(proc, stderr, signum)
    # no output folder, no .out.*.tmp, no .out.old-*: only the input
    assert _everything(work) == {"good.toml"}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_a_signal_while_a_report_is_rebuilt_keeps_the_folder_as_it_was(work: Path) -> None:
    crit = work / "crit"
    assert (
        runner.invoke(app, ["criticality", "case9", "-o", str(crit), "--no-progress"]).exit_code
        == 0
    )
    before = _files(crit)
    proc, stderr = _signal_at(["report", "crit"], work, "report", signal.SIGTERM)
    _check_stopped(proc, stderr, signal.SIGTERM)
    # the folder gained nothing (no report.html, no .report.html.*.tmp) and lost nothing
    assert _files(crit) == before


def _workers_of(pid: int) -> set[int]:
    """Pids of the ``multiprocessing`` worker children of ``pid`` (Linux /proc)."""
    found = set()
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.add(int(child))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_ctrl_c_while_workers_run_stops_them_and_keeps_only_finished_chunks(work: Path) -> None:
    # N-2 of case118 on 2 worker processes; Ctrl-C once the workers exist, to the whole
    # process group as a terminal sends it (the workers get it too)
    args = ["criticality", "case118", "--k", "2", "--workers", "2", "-o", "out", "--no-progress"]
    stages = work.parent / "stages.txt"
    proc = _start(args, work, stages, None, group=True)
    _wait_for(proc, stages, "workers")
    end = time.monotonic() + TIMEOUT_S
    while not (workers := _workers_of(proc.pid)) and proc.poll() is None:
        assert time.monotonic() < end, "no worker process started"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=TIMEOUT_S)
    left = _everything(work)
    if left == {"good.toml"}:  # stopped before a chunk was on disk: nothing to resume
        _check_stopped(proc, stderr, signal.SIGINT)
    else:  # the resumable state: whole chunks only, INCOMPLETE, no marker
        assert proc.returncode == 130 and "resume with --resume" in stderr, stderr
        assert "out/INCOMPLETE" in left and "out/.gridmodel" not in left
        assert not [name for name in left if name.endswith(".tmp")]
    assert not [pid for pid in workers if _alive(pid)]  # terminated, not orphaned


def _mc(scenario: str, out: str, *extra: str) -> list[str]:
    return ["montecarlo", scenario, "-n", "24", "--chunk-size", "4", "--impact-only",
            "-o", out, "--no-progress", *extra]  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "signum", "workers"),
    [("chunk", signal.SIGTERM, "2"), ("writing", signal.SIGINT, "1")],
    ids=["sigterm-between-chunks-2-workers", "ctrl-c-writing-the-summary"],
)
def test_an_interrupted_monte_carlo_run_resumes_to_the_same_numbers(
    work: Path, stage: str, signum: int, workers: str
) -> None:
    proc, stderr = _signal_at(_mc("good.toml", "mc", "--workers", workers), work, stage, signum)
    assert proc.returncode == EXIT[signum][0], stderr
    assert "resume with --resume" in stderr and "Traceback" not in stderr
    # the documented resumable state: INCOMPLETE, no marker, no summary, whole chunks only
    left = _everything(work / "mc")
    assert "INCOMPLETE" in left and ".gridmodel" not in left and "summary.json" not in left
    assert not [name for name in _everything(work) if name.endswith(".tmp") or ".old-" in name]
    chunks = sorted(n for n in left if n.startswith("samples/part-"))
    assert 1 <= len(chunks) <= 6 if stage == "chunk" else len(chunks) == 6
    good = str(work / "good.toml")
    resumed = runner.invoke(app, _mc(good, str(work / "mc"), "--resume"))
    assert resumed.exit_code == 0, resumed.output
    reference = runner.invoke(app, _mc(good, str(work / "ref")))
    assert reference.exit_code == 0, reference.output
    for name in ("summary.json", "manifest.json"):
        assert (work / "mc" / name).read_bytes() == (work / "ref" / name).read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_parquet(work / "mc" / "samples"), pd.read_parquet(work / "ref" / "samples")
    )


def _crit(out: str, *extra: str) -> list[str]:
    return ["criticality", "case30", "--k", "2", "--chunk-size", "50", "--top", "5",
            "-o", out, "--no-progress", *extra]  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "signum", "workers"),
    [("chunk", signal.SIGTERM, "2"), ("writing", signal.SIGINT, "1")],
    ids=["sigterm-between-chunks-2-workers", "ctrl-c-writing-the-ranking"],
)
def test_an_interrupted_criticality_study_resumes_to_the_same_files(
    work: Path, stage: str, signum: int, workers: str
) -> None:
    proc, stderr = _signal_at(_crit("crit", "--workers", workers), work, stage, signum)
    assert proc.returncode == EXIT[signum][0], stderr
    assert "resume with --resume" in stderr and "Traceback" not in stderr
    # the documented resumable state: INCOMPLETE, no marker, no ranking, whole chunks only
    left = _everything(work / "crit")
    assert "INCOMPLETE" in left and ".gridmodel" not in left and "criticality.csv" not in left
    assert not [name for name in _everything(work) if name.endswith(".tmp") or ".old-" in name]
    chunks = sorted(n for n in left if n.startswith("outages/part-"))
    # 435 pairs of case30 in chunks of 50: 9 chunks
    assert 1 <= len(chunks) <= 9 if stage == "chunk" else len(chunks) == 9
    resumed = runner.invoke(app, _crit(str(work / "crit"), "--resume"))
    assert resumed.exit_code == 0, resumed.output
    reference = runner.invoke(app, _crit(str(work / "ref")))
    assert reference.exit_code == 0, reference.output
    # every file byte for byte, but run.json (timings)
    files = {n: b for n, b in _files(work / "crit").items() if n != "run.json"}
    expected = {n: b for n, b in _files(work / "ref").items() if n != "run.json"}
    assert sorted(files) == sorted(expected) and len(files) == 9 + 5
    assert files == expected

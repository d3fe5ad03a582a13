"""SIGTERM like Ctrl-C, signals held back over a few lines, and the stage testing hook.

Expected values: the shell's convention of 128 plus the signal number (130
for SIGINT 2, 143 for SIGTERM 15); a held signal arrives after the held
lines, not before or among them.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridmodel import interrupts
from gridmodel.interrupts import Terminated, deferred, exit_status, install, stage

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture
def handlers() -> Iterator[None]:
    """Restore this process's SIGINT and SIGTERM handlers after the test."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_exit_status_is_128_plus_the_signal_number_through_causes() -> None:
    assert exit_status(KeyboardInterrupt()) == 128 + 2
    assert exit_status(Terminated()) == 128 + 15
    wrapped = RuntimeError("numba load failed")
    wrapped.__cause__ = Terminated()
    assert exit_status(wrapped) == 143
    assert exit_status(ValueError("bad input")) is None


def test_sigterm_raises_terminated_once_installed(handlers: None) -> None:
    install()
    with pytest.raises(Terminated):
        signal.raise_signal(signal.SIGTERM)
        time.sleep(1)  # not reached: the handler raises first


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_a_deferred_block_arrives_after_it(handlers: None, number: int) -> None:
    install()
    steps: list[str] = []
    with pytest.raises(KeyboardInterrupt) as caught, deferred():
        steps.append("rename old")
        signal.raise_signal(number)
        steps.append("rename new")  # still runs: the signal waits
    assert steps == ["rename old", "rename new"]
    assert exit_status(caught.value) == {signal.SIGINT: 130, signal.SIGTERM: 143}[number]
    # the handlers are back: the next signal is not held
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(number)


def test_stage_hook_appends_names_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRIDMODEL_STAGE_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    stage("loading")
    assert list(tmp_path.iterdir()) == []  # no variable, no file
    file = tmp_path / "stages.txt"
    monkeypatch.setenv("GRIDMODEL_STAGE_FILE", str(file))
    stage("loading")
    stage("computing")
    assert file.read_text(encoding="utf-8") == "loading\ncomputing\n"


def test_a_held_stage_waits_until_a_signal_ends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDMODEL_STAGE_FILE", str(tmp_path / "stages.txt"))
    monkeypatch.setenv("GRIDMODEL_STAGE_HOLD", "writing")
    monkeypatch.setattr(interrupts, "HOLD_LIMIT_S", 30.0)

    def ring(number: int, frame: object) -> None:
        raise TimeoutError("signalled")

    saved = signal.signal(signal.SIGALRM, ring)
    started = time.monotonic()
    try:
        stage("computing")  # not held
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(TimeoutError, match="signalled"):
            stage("writing")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, saved)
    # held for the 0.3 s until the signal, far less than the 30 s limit
    assert 0.25 <= time.monotonic() - started < 10

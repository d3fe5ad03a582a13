"""Signals: SIGTERM ends a command like Ctrl-C; short sections that a signal must not split.

The command line (:func:`gridmodel.cli.main`) calls :func:`install`: SIGTERM
then raises :class:`Terminated`, a ``KeyboardInterrupt``, so every ``finally``
and ``except BaseException`` that removes a temporary folder or stops a
worker pool runs for SIGTERM as it does for Ctrl-C, and the command exits
with :func:`exit_status` (130 for SIGINT, 143 for SIGTERM: 128 + the signal
number). :func:`deferred` holds SIGINT and SIGTERM back for a few lines that
must run together (the rename of a result folder, removing a temporary
folder) and delivers them right after.

Testing hook
------------
:func:`stage` marks where a command is: ``loading`` (reading inputs),
``computing``, ``workers`` (a worker pool is up), ``chunk`` (a Monte Carlo
chunk is on disk), ``writing`` (a temporary output folder exists, or a Monte
Carlo run writes its summary) and ``report`` (the HTML report is being built). With
the environment variable ``GRIDMODEL_STAGE_FILE=PATH`` each stage name is
appended to PATH as one line when the command enters it, so a test can send
a signal at a known stage instead of sleeping; with
``GRIDMODEL_STAGE_HOLD=NAME`` the command also waits at stage NAME until a
signal ends it (at most :data:`HOLD_LIMIT_S`). Without ``GRIDMODEL_STAGE_FILE``
:func:`stage` does nothing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals a command stops on, and its exit status for each (128 + the number).
EXIT_STATUS: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}
#: Longest wait at a held stage (testing hook), in seconds.
HOLD_LIMIT_S = 120.0


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM once :func:`install` ran."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def install() -> None:
    """Make SIGTERM raise :class:`Terminated` (SIGINT keeps raising ``KeyboardInterrupt``)."""
    signal.signal(signal.SIGTERM, _terminate)


def exit_status(exc: BaseException) -> int | None:
    """130 or 143 if ``exc`` is, or was raised because of, SIGINT or SIGTERM; else ``None``.

    Compiled (numba) code interrupted while loading re-raises the interrupt
    as the cause of another error, so the chain of causes is searched.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, Terminated):
            return EXIT_STATUS[signal.SIGTERM]
        if isinstance(current, KeyboardInterrupt):
            return EXIT_STATUS[signal.SIGINT]
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back inside the block; deliver them when it ends.

    Only the main thread can change signal handlers; elsewhere the block
    runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    saved = {number: signal.getsignal(number) for number in EXIT_STATUS}
    for number, handler in saved.items():
        if handler not in (signal.SIG_IGN, None):
            signal.signal(number, hold)
    try:
        yield
    finally:
        for number, handler in saved.items():
            if handler not in (signal.SIG_IGN, None):
                signal.signal(number, handler)
        for number in dict.fromkeys(caught):
            signal.raise_signal(number)


def stage(name: str) -> None:
    """Testing hook: note that the command enters stage ``name`` (see the module notes)."""
    path = os.environ.get("GRIDMODEL_STAGE_FILE")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as file:
            file.write(name + "\n")
    except OSError:
        return
    if os.environ.get("GRIDMODEL_STAGE_HOLD") == name:
        end = time.monotonic() + HOLD_LIMIT_S
        while time.monotonic() < end:
            time.sleep(0.02)

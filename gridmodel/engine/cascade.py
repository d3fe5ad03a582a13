"""The trip cascade and plain DC solves, one state at a time in Python.

:func:`cascade` trips every branch above a threshold at once and solves
again, step by step (the ``trip`` and ``operator`` handlings of
:mod:`gridmodel.engine.overload`); :func:`solve_plain` is one DC evaluation
with overloads left as they are. The compiled kernel
(:mod:`gridmodel.engine.kernel`) does the ``trip`` cascade of most states;
this path serves the operator's handling and the states the kernel hands
back (a step that needs a pivoting factorisation).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.dc import branches_in_service, dc_stage
from gridmodel.engine.outcome import BranchTrip, Outcome
from gridmodel.engine.shedding import LIMIT_SLACK, shed_overloads
from gridmodel.network.grid import Element


def overloaded(compiled: CompiledGrid, outcome: Outcome) -> np.ndarray:
    """Branches in service loaded above the hard limit."""
    limit = compiled.options.overload_limit_percent
    return outcome.branch_in_service & (outcome.branch_loading_percent > limit * (1 + LIMIT_SLACK))


def solve_plain(
    compiled: CompiledGrid, state: State, demand: np.ndarray, cache: EngineCache
) -> Outcome:
    """The DC outcome of ``state`` with overloads left as they are."""
    branch_ok = branches_in_service(compiled, state)
    return dc_stage(compiled, state, branch_ok, demand, compiled.base_factor, cache)[0]


def cascade(
    compiled: CompiledGrid,
    state: State,
    demand: np.ndarray,
    cache: EngineCache,
    *,
    trip_above: float,
    relieve: bool,
) -> Outcome:
    """Trip every branch loaded above ``trip_above`` percent at once and solve again,
    step by step; with ``relieve``, once nothing is above it, the operator sheds to
    remove the overloads left (:func:`~gridmodel.engine.shedding.shed_overloads`),
    and a branch the operator cannot relieve trips (with a warning)."""
    branch_ok = branches_in_service(compiled, state)
    trips: list[BranchTrip] = []
    notes: list[str] = []
    reference = compiled.base_factor  # each cascade step builds on the last
    threshold = trip_above * (1 + LIMIT_SLACK)
    for step in range(1, compiled.n_branch + 2):  # every step trips a branch
        result, reference = dc_stage(compiled, state, branch_ok, demand, reference, cache)
        at_once = result.branch_in_service & (result.branch_loading_percent > threshold)
        if not at_once.any():
            over = overloaded(compiled, result)
            if not (relieve and over.any()):
                break
            relieved = shed_overloads(compiled, state, result, cache)
            if relieved is not None:
                result = relieved
                break
            notes = ["the operator cannot relieve every overload; protection trips instead"]
            at_once = over
        trips += branch_trips(compiled, at_once, result.branch_loading_percent, step)
        branch_ok = branch_ok & ~at_once
    if not trips and not notes:
        return result
    return dataclasses.replace(result, tripped=tuple(trips), warnings=(*result.warnings, *notes))


def branch_trips(
    compiled: CompiledGrid, over: np.ndarray, loading: np.ndarray, step: int
) -> list[BranchTrip]:
    """A trip record for every branch in ``over`` at cascade step ``step``."""
    return [
        BranchTrip(
            Element(str(compiled.branch_kind[p]), int(compiled.branch_index[p])),
            step,
            float(loading[p]),
        )
        for p in np.flatnonzero(over)
    ]

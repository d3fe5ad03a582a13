"""What happens to overloaded branches: a small interface and its two handlings.

An :class:`OverloadHandling` evaluates a state in DC and deals with every
branch loaded above the hard limit (``EngineOptions.overload_limit_percent``
of its rating). The engine picks one by the options' ``overload`` name
(:func:`handling_for`):

``trip`` (:class:`TripCascade`)
    Protection trips every overloaded branch at once and the state is solved
    again, until nothing is overloaded (a cascade; each trip is recorded with
    its step).
``shed`` (:class:`OperatorShedding`)
    The operator redispatches and sheds the least priority-weighted load that
    removes every overload (:mod:`gridmodel.engine.shedding`); where no
    shedding can (a phase shifter alone overloads a branch), protection trips
    instead, with a warning.
``operator`` (:class:`OperatorAction`)
    Protection as it is set: a branch above its short-term emergency rating
    (``EngineOptions.emergency_percent`` of its rating) trips at once, and
    flows are re-solved; a branch between the hard limit and the emergency
    rating gives the operator the time to redispatch and shed as in
    ``shed``; where the operator cannot relieve it, it trips after the delay
    (with a warning) and the evaluation goes on.

Every handling passes the same conformance test (``tests/engine``): on a
state without overloads it returns the plain DC answer, and nothing it
returns has a branch in service above the limit.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Protocol

import numpy as np

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.dc import branches_in_service, dc_stage
from gridmodel.engine.outcome import BranchTrip, Outcome
from gridmodel.engine.shedding import LIMIT_SLACK, shed_overloads
from gridmodel.network.grid import Element


class OverloadHandling(Protocol):
    """Evaluates a state in DC and deals with its overloaded branches."""

    name: ClassVar[str]

    def evaluate(
        self, compiled: CompiledGrid, state: State, demand: np.ndarray, cache: EngineCache
    ) -> Outcome:
        """The DC outcome of ``state`` at ``demand`` (per load), overloads dealt with."""
        ...


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


class TripCascade:
    """Overloaded branches trip at once; repeat until nothing is overloaded."""

    name: ClassVar[str] = "trip"

    def evaluate(
        self, compiled: CompiledGrid, state: State, demand: np.ndarray, cache: EngineCache
    ) -> Outcome:
        limit = compiled.options.overload_limit_percent
        return cascade(compiled, state, demand, cache, trip_above=limit, relieve=False)


class OperatorShedding:
    """The operator sheds the least priority-weighted load that removes every overload."""

    name: ClassVar[str] = "shed"

    def evaluate(
        self, compiled: CompiledGrid, state: State, demand: np.ndarray, cache: EngineCache
    ) -> Outcome:
        outcome = solve_plain(compiled, state, demand, cache)
        if not overloaded(compiled, outcome).any():
            return outcome
        relieved = shed_overloads(compiled, state, outcome, cache)
        if relieved is not None:
            return relieved
        fallback = TripCascade().evaluate(compiled, state, demand, cache)
        note = "no load shedding removes every overload; protection trips instead"
        return dataclasses.replace(fallback, warnings=(*fallback.warnings, note))


class OperatorAction:
    """Branches above the emergency rating trip at once; the operator relieves the rest."""

    name: ClassVar[str] = "operator"

    def evaluate(
        self, compiled: CompiledGrid, state: State, demand: np.ndarray, cache: EngineCache
    ) -> Outcome:
        emergency = compiled.options.emergency_percent
        return cascade(compiled, state, demand, cache, trip_above=emergency, relieve=True)


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


#: The handlings by the name the options use.
HANDLINGS: dict[str, OverloadHandling] = {
    h.name: h for h in (TripCascade(), OperatorShedding(), OperatorAction())
}


def handling_for(compiled: CompiledGrid) -> OverloadHandling:
    """The handling the compiled grid's options name."""
    return HANDLINGS[compiled.options.overload]

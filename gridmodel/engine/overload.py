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
from collections.abc import Sequence
from typing import ClassVar, Protocol

import numpy as np

from gridmodel.engine.batch import trip_outcomes
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.cascade import branch_trips, cascade, overloaded, solve_plain
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.outcome import Outcome
from gridmodel.engine.shedding import shed_overloads


class OverloadHandling(Protocol):
    """Evaluates a state in DC and deals with its overloaded branches."""

    name: ClassVar[str]

    def evaluate(
        self, compiled: CompiledGrid, state: State, demand: np.ndarray, cache: EngineCache
    ) -> Outcome:
        """The DC outcome of ``state`` at ``demand`` (per load), overloads dealt with."""
        ...


class TripCascade:
    """Overloaded branches trip at once; repeat until nothing is overloaded."""

    name: ClassVar[str] = "trip"

    def evaluate(
        self, compiled: CompiledGrid, state: State, demand: np.ndarray, cache: EngineCache
    ) -> Outcome:
        [outcome] = trip_outcomes(compiled, [state], demand, cache)
        return outcome


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


#: The handlings by the name the options use.
HANDLINGS: dict[str, OverloadHandling] = {
    h.name: h for h in (TripCascade(), OperatorShedding(), OperatorAction())
}


def evaluate_states(
    compiled: CompiledGrid, states: Sequence[State], demand: np.ndarray, cache: EngineCache
) -> tuple[list[Outcome], list[bool]]:
    """Every state's DC outcome with the options' handling, the batch in one compiled call.

    The kernel (:func:`~gridmodel.engine.batch.trip_outcomes`) runs the trip
    cascade of ``trip``, the cascade above the emergency rating of
    ``operator`` and the plain solve of ``shed`` for the whole batch; a state
    left with a branch above the hard limit is then handled one by one
    (:meth:`OverloadHandling.evaluate`: the operator's shedding program).

    Returns the outcomes and, per outcome, whether its invariants were
    checked already (the kernel's are).
    """
    handling = handling_for(compiled)
    if handling.name == "trip":
        return trip_outcomes(compiled, states, demand, cache), [True] * len(states)
    trip_above = compiled.options.emergency_percent if handling.name == "operator" else np.inf
    found = trip_outcomes(compiled, states, demand, cache, trip_above=trip_above)
    outcomes, checked = [], []
    for state, outcome in zip(states, found, strict=True):
        relieve = bool(overloaded(compiled, outcome).any())
        outcomes.append(handling.evaluate(compiled, state, demand, cache) if relieve else outcome)
        checked.append(not relieve)
    return outcomes, checked


__all__ = [
    "HANDLINGS",
    "OperatorAction",
    "OperatorShedding",
    "OverloadHandling",
    "TripCascade",
    "branch_trips",
    "evaluate_states",
    "handling_for",
    "overloaded",
    "solve_plain",
]


def handling_for(compiled: CompiledGrid) -> OverloadHandling:
    """The handling the compiled grid's options name."""
    return HANDLINGS[compiled.options.overload]

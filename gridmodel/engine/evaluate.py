"""The engine's entry: evaluate a batch of grid states.

:func:`evaluate` takes a compiled grid and a batch of :class:`State` (one
state is a batch of one) and returns one :class:`Outcome` per state, without
calling pandapower (except in AC mode). Per state:

1. the overload handling the options name (:mod:`~gridmodel.engine.overload`)
   evaluates it in DC: islands, supply balance, DC flow, and the trip cascade
   or the operator's shedding; the whole batch's DC flows and cascades in one
   compiled call (:mod:`~gridmodel.engine.batch`);
2. in AC mode the AC check follows (:mod:`~gridmodel.engine.ac.check`);
3. the outcome's invariants are checked (:func:`~gridmodel.engine.outcome.check_outcome`,
   inside the compiled call for the kernel's outcomes): a violation is a
   bug, raised as :class:`~gridmodel.errors.InternalError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gridmodel.engine.ac.check import ac_check
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.outcome import Outcome, check_outcome
from gridmodel.engine.overload import evaluate_states


def evaluate(
    compiled: CompiledGrid,
    states: Sequence[State],
    *,
    cache: EngineCache | None = None,
    demand_mw: np.ndarray | None = None,
) -> list[Outcome]:
    """Evaluate ``states`` with the compiled grid's options.

    Parameters
    ----------
    compiled
        The compiled grid (its ``options`` choose DC/AC and trip/shed).
    states
        In-service masks (from :meth:`CompiledGrid.state`); one state is a
        batch of one.
    cache
        The caller's cache (:class:`~gridmodel.engine.cache.EngineCache`);
        default a new one for this call. Results do not depend on it.
    demand_mw
        Demand per load in ``compiled.load_index`` order, shared by the batch;
        default the net's ``p_mw * scaling``.

    Returns
    -------
    list of Outcome
        One per state, in order.

    Raises
    ------
    InternalError
        An outcome breaks an invariant of the model (a bug).
    """
    cache = cache if cache is not None else EngineCache()
    demand = compiled.load_p_mw if demand_mw is None else np.asarray(demand_mw, dtype=float)
    outcomes = []
    with cache.lock:
        found, checked = evaluate_states(compiled, states, demand, cache)
        for state, outcome, done in zip(states, found, checked, strict=True):
            if compiled.options.mode == "ac":
                outcome = ac_check(compiled, state, outcome, cache)
                done = False
            if not done:  # the kernel checked its own outcomes
                check_outcome(compiled, outcome, compiled.unit_limits(state))
            outcomes.append(outcome)
    return outcomes

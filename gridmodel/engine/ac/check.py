"""AC check of a grid state: the AC power flow of what the DC stage decided.

The DC stage decides islands, energisation, load shedding and dispatch. The
AC check then solves the AC power flow of that state with the backend the
options name (:mod:`~gridmodel.engine.ac.backend`), one slack per energised
island. It reports AC branch loading (apparent power over the rating), bus
voltages outside :data:`VOLTAGE_BAND_PU` and convergence. In ``trip`` mode a
branch above the hard limit in AC trips as in DC, in ``operator`` mode a
branch above its emergency rating (the state is solved again in DC without
it, then checked in AC again); ``shed`` trips nothing here (the operator
relieved the DC flows).

A flow that does not converge is never a crash and never NaN: the DC answer
is returned with ``converged=False`` and a warning.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from gridmodel.engine.ac.backend import AcBackend, AcFlow
from gridmodel.engine.ac.lightsim import LightsimBackend
from gridmodel.engine.ac.pandapower import PandapowerBackend
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.outcome import Outcome
from gridmodel.engine.overload import branch_trips, solve_plain

#: Bus voltages outside this band (per unit) are reported.
VOLTAGE_BAND_PU = (0.90, 1.10)

#: The backends by the name the options use.
BACKENDS: dict[str, AcBackend] = {b.name: b for b in (PandapowerBackend(), LightsimBackend())}

#: The warning of an AC flow that did not converge.
NOT_CONVERGED = "AC power flow did not converge; DC results reported"


def backend_for(compiled: CompiledGrid) -> AcBackend:
    """The AC backend the compiled grid's options name."""
    return BACKENDS[compiled.options.ac_backend]


def ac_check(
    compiled: CompiledGrid,
    state: State,
    outcome: Outcome,
    cache: EngineCache,
) -> Outcome:
    """Check ``outcome`` (a DC evaluation of ``state``) with an AC power flow.

    Returns the outcome with AC flows and loading (MVA over rating), the AC
    trips added to its cascade, ``mode="ac"`` and warnings; on
    non-convergence the DC outcome with ``converged=False``.
    """
    # AC loading above this trips at once: the hard limit in "trip", the
    # emergency rating in "operator"; "shed" relieved the DC flows and trips nothing
    options = compiled.options
    limit = {"trip": options.overload_limit_percent, "operator": options.emergency_percent}.get(
        options.overload, math.inf
    )
    trips = list(outcome.tripped)
    step = max((t.step for t in trips), default=0)
    current = outcome
    backend = backend_for(compiled)
    for _ in range(compiled.n_branch + 1):
        flow = backend.solve(compiled, state, current, cache)
        if flow is None:
            return dataclasses.replace(
                current,
                mode="ac",
                converged=False,
                tripped=tuple(trips),
                warnings=(*current.warnings, NOT_CONVERGED),
            )
        loading = _loading(compiled, flow)
        over = current.branch_in_service & (loading > limit * (1 + 1e-9))
        if not over.any():
            return dataclasses.replace(
                current,
                mode="ac",
                branch_flow_mw=flow.flow_mw,
                branch_loading_percent=loading,
                tripped=tuple(trips),
                warnings=(*current.warnings, *voltage_notes(compiled, flow.vm_pu)),
            )
        step += 1
        trips += branch_trips(compiled, over, loading, step)
        reduced = dataclasses.replace(state, branch=current.branch_in_service & ~over)
        current = solve_plain(compiled, reduced, current.load_demand_mw, cache)
    return current  # pragma: no cover - every pass trips at least one branch


def ac_branch_mva(
    compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
) -> np.ndarray | None:
    """Apparent power (MVA, from end) of every branch in the AC flow of ``outcome``'s
    state; None if the flow does not converge."""
    flow = backend_for(compiled).solve(compiled, state, outcome, cache)
    return None if flow is None else flow.flow_mva


def _loading(compiled: CompiledGrid, flow: AcFlow) -> np.ndarray:
    """Loading in percent of the rating, from the apparent power (0 when unrated)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            np.isfinite(compiled.branch_rating_mw),
            flow.flow_mva / compiled.branch_rating_mw * 100.0,
            0.0,
        )


def voltage_notes(compiled: CompiledGrid, vm: np.ndarray) -> tuple[str, ...]:
    """A note on the buses (voltages ``vm`` in pu per pandapower bus, NaN when dead)
    outside :data:`VOLTAGE_BAND_PU`, naming the worst."""
    buses = compiled.grid.net.bus.index
    lo, hi = VOLTAGE_BAND_PU
    bad = np.isfinite(vm) & ((vm < lo) | (vm > hi))
    if not bad.any():
        return ()
    worst = int(np.flatnonzero(bad)[np.argmax(np.abs(vm[bad] - 1.0))])
    return (
        f"{int(bad.sum())} buses outside {lo:.2f}-{hi:.2f} pu "
        f"(worst: bus {int(buses[worst])} at {float(vm[worst]):.3f} pu)",
    )

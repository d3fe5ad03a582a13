"""The interface of an AC power-flow backend, and what it returns.

A backend solves the AC power flow of a state that the DC stage has already
decided (islands, served load, dispatch): one slack per energised island,
loads at their served power (reactive power in proportion), units at their
dispatch. Two backends plug in behind :class:`AcBackend`, chosen by
``EngineOptions.ac_backend``: ``pandapower`` (``runpp`` on a copy of the net,
:mod:`~gridmodel.engine.ac.pandapower`) and ``lightsim2grid`` (a model built
once per grid and changed per state, :mod:`~gridmodel.engine.ac.lightsim`).
Both pass one conformance test (``tests/engine``): the same flows as
pandapower's own ``runpp`` within a stated tolerance, and ``None`` (never an
exception or NaN) for a flow that does not converge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.outcome import Outcome

#: Newton-Raphson iteration limit: pandapower's own default. Newton-Raphson
#: converges quadratically once near the solution; over 1,000 random strikes with
#: their trip cascades on each of case118, case300, case1354pegase and
#: ua-oblasts, no island flow that converged took more than 9 iterations, from
#: a flat or a DC start (and none of those that failed within 30 converged
#: later), so a higher limit only makes a diverging state slower.
MAX_ITERATIONS = 10

#: Mismatch tolerance of the Newton-Raphson (per unit, pandapower's default).
TOLERANCE_PU = 1e-8


def served_q_mvar(
    p_file: np.ndarray, q_file: np.ndarray, served: np.ndarray, dark: np.ndarray
) -> np.ndarray:
    """Reactive power of every load in the AC state (Mvar).

    A load keeps its power factor: its file ``q`` scaled by the share of its
    file ``p`` that is served. A load without active power (``p = 0``, a
    purely reactive load) cannot be shed by the active-power stage: it draws
    its full ``q`` while energised. A dark load draws nothing.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p_file != 0, served / np.where(p_file != 0, p_file, 1.0), 1.0)
    return np.where(dark, 0.0, q_file * ratio)


@dataclass(frozen=True, eq=False)
class AcFlow:
    """An AC power flow of a state.

    Attributes
    ----------
    flow_mw
        Active power at the from end of every branch (compiled branch order),
        zero for a branch out of service.
    flow_mva
        Apparent power at the from end, likewise.
    vm_pu
        Voltage magnitude of every pandapower bus (in ``net.bus`` order), NaN
        on a dead bus.
    """

    flow_mw: np.ndarray
    flow_mva: np.ndarray
    vm_pu: np.ndarray


class AcBackend(Protocol):
    """Solves the AC power flow of an evaluated state."""

    name: ClassVar[str]

    def solve(
        self, compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
    ) -> AcFlow | None:
        """The AC flow of ``outcome``'s state and dispatch; None if it does not converge."""
        ...

"""AC flow of the main island on a lightsim2grid instance whose admittance pattern
never changes.

Switching a branch or a bus off in lightsim2grid changes the sparsity of the
admittance matrix, and its Newton-Raphson then analyses the Jacobian afresh
(ordering and symbolic factorisation) before factorising it: on
case1354pegase that is most of the cost of a state. This instance is set once
per grid to the *reference configuration* (the largest energised island of the
intact grid, with its slack) and afterwards only ever changes numbers:

* a branch outside the solved island (out of service, or with an end on a
  dead bus or in another island) keeps its place in the admittance matrix with
  its series admittance scaled by :data:`DECOUPLING` and no charging;
* loads, static generators and shunts outside it inject nothing; generators
  outside it keep their voltage set point and inject no active power.

What crosses such a branch is of the order of ``DECOUPLING`` times the
branch's admittance and the voltage difference (flows within 1.1e-8 MW of
the island solved alone on case1354pegase), well within the Newton-Raphson
tolerance. The Jacobian then keeps its sparsity from state to state and is
only refactorised, with the pivot order of the reference configuration. A
generator switched off inside the island would turn its bus from PV to PQ and
change the pattern: such an island is solved elsewhere (:meth:`island_of`).

Every solve starts from the same voltage vector, the AC flow of the intact
grid (computed when the instance is built), and every element's parameters
are set from the state alone, so a state's answer does not depend on the
states solved before it. The pivot order is that of the instance's first
solve; after a failed solve (lightsim2grid then analyses afresh, losing that
order) the instance starts again from its primed copy, exactly as when it was
built.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridmodel.engine.ac.backend import served_q_mvar
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.dc import branches_in_service
from gridmodel.engine.islands import Topology, topology
from gridmodel.engine.outcome import Outcome

#: Series admittance kept, as a fraction of its own, by a branch outside the
#: solved island (its charging is removed).
DECOUPLING = 1e-12

#: Changes up to this size are made in two steps (see :func:`set_values`).
NEAR = 1e-6

#: The first solve of an instance starts from the intact flow with every voltage
#: magnitude raised by this fraction, so that it factorises the Jacobian of the
#: intact operating point (two iterations) rather than of a flat start.
PRIME_SHIFT = 1e-6

#: Iteration limit on this instance. Its chord steps (:data:`REFACTOR_EVERY`)
#: make it need more iterations than a full Newton-Raphson: over 1,000 random
#: strikes with their trip cascades on each of case118, case300,
#: case1354pegase and ua-oblasts, the flows that converged here took at most 13.
#: An island that does not converge here is solved again island by island, from
#: its DC angles with full Newton-Raphson steps (:mod:`gridmodel.engine.ac.lightsim`).
FIXED_MAX_ITERATIONS = 15

#: The Newton-Raphson refactorises the Jacobian every this many iterations and
#: takes chord steps with the last factorisation in between (lightsim2grid's
#: ``EveryN`` refactor policy): a refactorisation costs about as much as three
#: chord steps on case1354pegase.
REFACTOR_EVERY = 4


@dataclass(eq=False)
class FixedPattern:
    """A lightsim2grid grid in the reference configuration and what was set on it
    (mutable; used under the model's lock)."""

    grid: Any
    primed: Any  # the grid in the reference configuration before its first solve
    island: np.ndarray  # bool per internal bus: buses of the reference island
    slack: int  # slack unit (compiled unit position)
    branch_ref: np.ndarray  # bool per branch: in service in the reference configuration
    gen_ref: np.ndarray  # bool per unit: a grid-forming unit active in the reference
    r_pu: np.ndarray  # per branch, lightsim2grid's own parameters
    x_pu: np.ndarray
    h1_pu: np.ndarray
    h2_pu: np.ndarray
    v_start: np.ndarray  # complex voltage per lightsim2grid bus: the intact AC flow
    n_analyze: int  # symbolic analyses done so far (must stay constant)
    scale: np.ndarray  # current impedance scale per branch
    have: dict[str, np.ndarray]  # injections the grid holds now
    reference: dict[str, np.ndarray]  # injections of the reference configuration
    stale: bool = False  # the solver failed: start again from ``primed``

    def island_of(
        self,
        compiled: CompiledGrid,
        topo: Topology,
        slack_of: dict[int, int],
        with_branch: set[int],
    ) -> int:
        """The island of the state that can be solved here (-1 if none): the one
        holding the reference slack, with branches, that slack as its slack,
        inside the reference island and with exactly the reference's grid-forming
        units in service on its buses."""
        island = int(topo.labels[compiled.unit_bus[self.slack]])
        if island not in with_branch or slack_of.get(island) != self.slack:
            return -1
        buses = topo.labels == island
        if (buses & ~self.island).any():
            return -1
        forming = compiled.unit_forming & buses[compiled.unit_bus]
        return island if np.array_equal(topo.unit_ok[forming], self.gen_ref[forming]) else -1

    def solve(
        self,
        compiled: CompiledGrid,
        topo: Topology,
        outcome: Outcome,
        buses: np.ndarray,
        maps: Maps,
        *,
        max_iterations: int,
        tolerance_pu: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Active and reactive flow (from end, per branch, zero off the island) and
        complex voltage per lightsim2grid bus of the island ``buses``; None if the
        Newton-Raphson does not converge.

        The Newton-Raphson takes chord steps, at most
        :data:`FIXED_MAX_ITERATIONS`, on the reference pivot order, from the
        intact AC flow (the same vector for every state).
        """
        if self.stale and not self._reset(max_iterations, tolerance_pu):
            return None
        g = self.grid
        line = maps.line
        on = outcome.branch_in_service & buses[compiled.branch_from] & buses[compiled.branch_to]
        scale = np.where(on | ~self.branch_ref, 1.0, 1.0 / DECOUPLING)
        changed = scale != self.scale
        if changed[line].any():
            s, h = scale[line], on[line]
            g.update_powerlines_parameters(
                self.r_pu[line] * s,
                self.x_pu[line] * s,
                np.where(h, self.h1_pu[line], 0.0),
                np.where(h, self.h2_pu[line], 0.0),
            )
        if changed[~line].any():
            s, h = scale[~line], on[~line]
            g.update_trafos_parameters(
                self.r_pu[~line] * s,
                self.x_pu[~line] * s,
                np.where(h, self.h1_pu[~line] + self.h2_pu[~line], 0.0),
            )
        self.scale = scale
        # injections: zero off the island
        have = self.have
        load_on = ~outcome.load_dark & buses[compiled.load_bus]
        served = outcome.load_served_mw
        set_values(have["load_p"], np.where(load_on, served, 0.0), g.change_p_load)
        load_q = served_q_mvar(maps.load_p_file, maps.load_q_file, served, ~load_on)
        set_values(have["load_q"], load_q, g.change_q_load)
        unit_on = topo.unit_ok & buses[compiled.unit_bus]
        gen_p = have["gen_p"].copy()
        gens = maps.gen_units
        gen_p[maps.unit_gen[gens]] = np.where(unit_on[gens], outcome.unit_p_mw[gens], 0.0)
        set_values(have["gen_p"], gen_p, g.change_p_gen)
        sgens = maps.sgen_units
        sgen_on = unit_on[sgens]
        sgen_p = np.where(sgen_on, outcome.unit_p_mw[sgens], 0.0)
        set_values(have["sgen_p"], sgen_p, g.change_p_sgen)
        set_values(have["sgen_q"], np.where(sgen_on, maps.sgen_q_file, 0.0), g.change_q_sgen)
        shunt_on = buses[maps.shunt_bus]
        set_values(have["shunt_p"], np.where(shunt_on, maps.shunt_p_file, 0.0), g.change_p_shunt)
        set_values(have["shunt_q"], np.where(shunt_on, maps.shunt_q_file, 0.0), g.change_q_shunt)
        v = g.ac_pf(self.v_start, FIXED_MAX_ITERATIONS, tolerance_pu)
        # a failed solve leaves the solver to analyse afresh next time, and an
        # analysis means the pattern changed after all: either way the reference
        # pivot order is lost
        self.stale = g.get_algo().get_linear_solver_stats().nb_analyze != self.n_analyze
        if len(v) == 0 or not np.isfinite(v).all():
            self.stale = True
            return None
        p, q = branch_results(g, line)
        return np.where(on, p, 0.0), np.where(on, q, 0.0), np.asarray(v)

    def _reset(self, max_iterations: int, tolerance_pu: float) -> bool:
        """Start again from a copy of the primed grid: its first Newton-Raphson,
        from the intact flow with magnitudes raised by :data:`PRIME_SHIFT`, gives
        the analysis and pivot order every later solve refactorises with."""
        g = self.primed.copy()
        v = g.ac_pf(self.v_start * (1.0 + PRIME_SHIFT), max_iterations, tolerance_pu)
        if len(v) == 0:
            return False
        self.grid = g
        self.scale = np.ones(len(self.scale))
        self.have = {k: a.copy() for k, a in self.reference.items()}
        self.n_analyze = int(g.get_algo().get_linear_solver_stats().nb_analyze)
        self.stale = False
        return True


def refactor_policy(grid: Any, policy: str) -> None:
    """Make the Newton-Raphson of ``grid`` refactorise the Jacobian at every
    iteration (``"always"``) or every :data:`REFACTOR_EVERY` iterations
    (``"every_n"``, chord steps in between)."""
    from lightsim2grid.algorithm import RefactorPolicyType

    config = grid.get_ac_algo_config()
    ints = list(config.int_params)
    chosen = RefactorPolicyType.AlwaysRefactor if policy == "always" else RefactorPolicyType.EveryN
    ints[1], ints[3] = int(chosen), REFACTOR_EVERY
    config.int_params = ints
    grid.set_ac_algo_config(config)


def set_values(
    have: np.ndarray, want: np.ndarray, method: Any, where: np.ndarray | None = None
) -> None:
    """Call ``method(i, want[i])`` for every element (or every one in ``where``)
    whose value ``have[i]`` differs, so that it holds exactly ``want[i]``, and
    update ``have``.

    lightsim2grid ignores a change smaller than its float tolerance (1e-8), so
    a value within :data:`NEAR` of the one held (or of an unknown one, NaN) is
    first moved away: otherwise a state would keep what an earlier one set.
    """
    differ = want != have
    if where is not None:
        differ &= where
    changed = differ.nonzero()[0]  # not np.flatnonzero: 2 µs less a call, ~20 calls a state
    if len(changed) == 0:
        return
    near = changed[~(np.abs(want[changed] - have[changed]) > NEAR)]
    if len(near):  # moved away first
        deque(map(method, near.tolist(), (want[near] + 1.0).tolist()), maxlen=0)
    deque(map(method, changed.tolist(), want[changed].tolist()), maxlen=0)
    have[changed] = want[changed]


def branch_results(grid: Any, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Active and reactive flow (MW, Mvar) at the from end of every branch
    (``line``: bool per branch); NaN or zero for a branch out of service."""
    p = np.zeros(len(line))
    q = np.zeros(len(line))
    p[line], q[line] = grid.get_line_res1()[:2]
    p[~line], q[~line] = grid.get_trafo_res1()[:2]
    return p, q


@dataclass(frozen=True, eq=False)
class Maps:
    """Index maps and file values shared by the instances of a grid."""

    line: np.ndarray  # bool per branch
    bus_ls: np.ndarray  # lightsim2grid bus per internal bus
    unit_gen: np.ndarray  # lightsim2grid generator per unit (-1 if none)
    gen_units: np.ndarray  # units of kind "gen"
    ext_units: np.ndarray  # units of kind "ext_grid"
    sgen_units: np.ndarray  # units of kind "sgen", in lightsim2grid's sgen order
    load_p_file: np.ndarray
    load_q_file: np.ndarray
    sgen_q_file: np.ndarray
    shunt_bus: np.ndarray  # internal bus per shunt
    shunt_file_on: np.ndarray  # bool per shunt: in service in the file
    shunt_p_file: np.ndarray  # MW, 0 for a shunt out of service in the file
    shunt_q_file: np.ndarray


def build_fixed(
    pristine: Any,
    compiled: CompiledGrid,
    maps: Maps,
    slacks: Callable[[CompiledGrid, Topology], dict[int, int]],
    *,
    max_iterations: int,
    tolerance_pu: float,
) -> FixedPattern | None:
    """Set a copy of ``pristine`` (every element in service, file injections) to
    the reference configuration: the largest energised island of the intact grid
    with branches, and its slack (``slacks`` gives the slack unit per island).

    Returns None if the intact grid has no such island, its slack cannot be
    chosen or its AC flow does not converge.
    """
    from lightsim2grid.algorithm import AlgorithmType

    base = compiled.base
    branch_ok = branches_in_service(compiled, base)
    topo = topology(compiled, base, branch_ok, EngineCache())
    try:
        slack_of = slacks(compiled, topo)
    except Exception:  # no single slack per island (several external grids)
        return None
    size = np.bincount(topo.labels[topo.labels >= 0], minlength=topo.n_islands)
    ends = np.bincount(topo.labels[compiled.branch_from[branch_ok]], minlength=topo.n_islands)
    candidates = np.flatnonzero((ends > 0) & topo.energized_island)
    if len(candidates) == 0:
        return None
    island = int(max(candidates, key=lambda i: (size[i], -i)))
    slack = slack_of[island]
    g = pristine.copy()
    buses = topo.labels == island
    branch_ref = compiled.base.branch & buses[compiled.branch_from] & buses[compiled.branch_to]
    line = maps.line
    for i in np.flatnonzero(~branch_ref[line]):
        g.deactivate_powerline(int(i))
    for i in np.flatnonzero(~branch_ref[~line]):
        g.deactivate_trafo(int(i))
    unit_in = topo.unit_ok & buses[compiled.unit_bus]
    gen_ref = compiled.unit_forming & unit_in
    n_gen = len(g.get_generators())
    gen_on = np.zeros(n_gen, dtype=bool)
    gen_on[maps.unit_gen[gen_ref]] = True
    for i in np.flatnonzero(~gen_on):
        g.deactivate_gen(int(i))
    for k, u in enumerate(maps.sgen_units):
        if not buses[compiled.unit_bus[u]]:
            g.deactivate_sgen(k)
    for i in np.flatnonzero(~buses[compiled.load_bus]):
        g.deactivate_load(int(i))
    for i in np.flatnonzero(~buses[maps.shunt_bus]):
        g.deactivate_shunt(int(i))
    dead = np.ones(int(g.total_bus()), dtype=bool)
    dead[maps.bus_ls[buses]] = False
    for b in np.flatnonzero(dead):
        g.deactivate_bus(int(b))
    g.add_gen_slackbus(int(maps.unit_gen[slack]), 1.0)
    g.change_algorithm(AlgorithmType.NR_KLU)
    refactor_policy(g, "every_n")
    primed = g.copy()
    refactor_policy(g, "always")  # full steps from the flat start
    v = g.ac_pf(np.ones(len(dead), dtype=complex), max_iterations, tolerance_pu)  # v_start
    if len(v) == 0 or not np.isfinite(v).all():
        return None
    params, have = _parameters(g, line)
    fixed = FixedPattern(
        grid=g,
        primed=primed,
        island=buses,
        slack=slack,
        branch_ref=branch_ref,
        gen_ref=gen_ref,
        r_pu=params["r"],
        x_pu=params["x"],
        h1_pu=params["h1"],
        h2_pu=params["h2"],
        v_start=np.asarray(v),
        n_analyze=int(g.get_algo().get_linear_solver_stats().nb_analyze),
        scale=np.ones(compiled.n_branch),
        have=have,
        reference={k: a.copy() for k, a in have.items()},
    )
    return fixed if fixed._reset(max_iterations, tolerance_pu) else None


def _parameters(g: Any, line: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """lightsim2grid's own branch parameters (r, x, h1, h2 per branch; ``line``: bool
    per branch) and the injections ``g`` holds now."""
    n_br = len(line)
    lines, trafos = list(g.get_lines()), list(g.get_trafos())
    params = {
        k: np.zeros(n_br, dtype=complex if k[0] == "h" else float) for k in ("r", "x", "h1", "h2")
    }
    for mask, items in ((line, lines), (~line, trafos)):
        params["r"][mask] = [e.r_pu for e in items]
        params["x"][mask] = [e.x_pu for e in items]
        params["h1"][mask] = [e.h1_pu for e in items]
        params["h2"][mask] = [e.h2_pu for e in items]
    loads, sgens, shunts = (
        list(g.get_loads()),
        list(g.get_static_generators()),
        list(g.get_shunts()),
    )
    have = {  # exactly what the grid holds now
        "load_p": np.array([e.target_p_mw for e in loads], dtype=float),
        "load_q": np.array([e.target_q_mvar for e in loads], dtype=float),
        "gen_p": np.array([e.target_p_mw for e in g.get_generators()], dtype=float),
        "sgen_p": np.array([e.target_p_mw for e in sgens], dtype=float),
        "sgen_q": np.array([e.target_q_mvar for e in sgens], dtype=float),
        "shunt_p": np.array([e.target_p_mw for e in shunts], dtype=float),
        "shunt_q": np.array([e.target_q_mvar for e in shunts], dtype=float),
    }
    return params, have

"""Low-rank DC solves and the compiled island search against independent answers.

The reference for a state's angles is a direct sparse solve (``spsolve``) of
the grounded susceptance matrix built from scratch (incidence matrix times
branch susceptances, grounded rows and columns replaced by the identity, a
zero right-hand side there): a different formulation from the one updated by
:mod:`gridmodel.engine.lowrank`, so agreement to 1e-9 rad checks the update, the
grounding of dead and dark buses and the balanced reference rows.
Islands are checked against ``scipy.sparse.csgraph.connected_components``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from gridmodel.engine import (
    CompiledGrid,
    EngineCache,
    EngineOptions,
    compile_grid,
    evaluate,
    lowrank,
)
from gridmodel.engine.dc import bus_injections_mw, grounding
from gridmodel.engine.islands import island_labels, topology
from gridmodel.engine.overload import solve_plain
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element

ANGLE_TOL = 1e-9  # rad; both solves are exact up to rounding (observed ~1e-13)


def compiled_of(name: str) -> CompiledGrid:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_grid(load_network(name), options=EngineOptions())


@pytest.fixture(scope="module", params=["case118", "case1354pegase"])
def compiled(request: Any) -> CompiledGrid:
    return compiled_of(request.param)


def random_states(compiled: CompiledGrid, n: int, seed: int) -> list[list[Element]]:
    rng = np.random.default_rng(seed)
    subs = list(compiled.grid.substations.index)
    return [
        [Element("substation", str(s)) for s in rng.choice(subs, size=1 + i % 4, replace=False)]
        for i in range(n)
    ]


def direct_angles(
    compiled: CompiledGrid, branch_ok: np.ndarray, grounded: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Angles by the textbook grounded system: B with identity rows at grounded buses."""
    n, m = compiled.n_bus, compiled.n_branch
    keep = np.flatnonzero(branch_ok)
    incidence = sp.csr_matrix(
        (
            np.r_[np.ones(len(keep)), -np.ones(len(keep))],
            (np.r_[compiled.branch_from[keep], compiled.branch_to[keep]], np.r_[keep, keep]),
        ),
        shape=(n, m),
    )
    b = (incidence @ sp.diags(compiled.branch_b_pu) @ incidence.T).tolil()
    for bus in np.flatnonzero(grounded):
        b[bus, :] = 0.0
        b[:, bus] = 0.0
        b[bus, bus] = 1.0
    return np.asarray(spsolve(b.tocsc(), np.where(grounded, 0.0, rhs)))


def test_updated_solve_equals_a_direct_solve_of_the_grounded_system(
    compiled: CompiledGrid,
) -> None:
    ref = compiled.base_factor
    assert ref is not None
    cache = EngineCache()
    checked = 0
    for out in random_states(compiled, 60, seed=3):
        state = compiled.state(out)
        branch_ok = state.branch & state.bus[compiled.branch_from] & state.bus[compiled.branch_to]
        topo = topology(compiled, state, branch_ok, cache)
        live = branch_ok & topo.bus_energized[compiled.branch_from]  # energised branches
        outcome = solve_plain(compiled, state, compiled.load_p_mw, cache)
        grounded, refs = grounding(compiled, topo)
        p = bus_injections_mw(compiled, topo, outcome.load_served_mw, outcome.unit_p_mw)
        # phase shifters inject -b*shift at the from bus, +b*shift at the to bus
        shift = np.where(live, -compiled.branch_b_pu * compiled.branch_shift_rad, 0.0)
        n = compiled.n_bus
        p_shift = np.bincount(compiled.branch_from, weights=shift, minlength=n) - np.bincount(
            compiled.branch_to, weights=shift, minlength=n
        )
        rhs = np.where(topo.bus_energized, p / compiled.base_mva - p_shift, 0.0)
        expected = direct_angles(compiled, live, grounded, rhs)
        # the updated system: references carry minus the rest of their island
        balanced = rhs.copy()
        total = np.bincount(
            topo.labels[topo.bus_energized],
            weights=rhs[topo.bus_energized],
            minlength=topo.n_islands,
        )
        balanced[refs] -= total[topo.labels[refs]]
        theta = lowrank.solve_updated(
            ref,
            compiled.branch_from,
            compiled.branch_to,
            compiled.branch_b_pu,
            live,
            grounded,
            balanced,
        )
        if theta is None:  # rank above the limit: the factorising path answers
            continue
        checked += 1
        np.testing.assert_allclose(theta, expected, rtol=0, atol=ANGLE_TOL)
    assert checked >= 50  # 1-4 substations stay well below the rank limit


def test_rank_above_the_limit_declines(compiled: CompiledGrid) -> None:
    ref = compiled.base_factor
    assert ref is not None
    branch_ok = ref.branches.copy()
    branch_ok[np.flatnonzero(branch_ok)[: lowrank.rank_limit(compiled.n_bus) + 1]] = False
    rhs = np.zeros(compiled.n_bus)
    theta = lowrank.solve_updated(
        ref,
        compiled.branch_from,
        compiled.branch_to,
        compiled.branch_b_pu,
        branch_ok,
        ref.grounded,
        rhs,
    )
    assert theta is None


@pytest.mark.parametrize("name", ["case118", "case1354pegase"])
def test_flows_do_not_depend_on_the_states_evaluated_before(name: str) -> None:
    """Sample i of a Monte Carlo run must not depend on which samples ran before.

    With the trip cascade (the default), so cascade steps that factorise and
    then update that factorisation are covered (case1354pegase has long ones).
    """
    compiled = compiled_of(name)
    states = [compiled.state(out) for out in random_states(compiled, 12, seed=11)]
    alone = []
    for state in states:  # each state with a cache that has seen no other state
        [outcome] = evaluate(compiled, [state], cache=EngineCache())
        alone.append(outcome.branch_flow_mw)
    shared = EngineCache()
    evaluate(compiled, states[::-1], cache=shared)  # warm every cache in the opposite order
    again = [o.branch_flow_mw for o in evaluate(compiled, states, cache=shared)]
    for a, b in zip(alone, again, strict=True):
        assert np.array_equal(a, b)  # bit for bit


def test_island_labels_match_connected_components(compiled: CompiledGrid) -> None:
    rng = np.random.default_rng(5)
    n = compiled.n_bus
    for _ in range(40):
        bus_live = rng.random(n) > 0.05
        branch_ok = (
            (rng.random(compiled.n_branch) > 0.2)
            & bus_live[compiled.branch_from]
            & bus_live[compiled.branch_to]
        )
        labels, count = island_labels(compiled, bus_live, branch_ok)
        graph = sp.csr_matrix(
            (
                np.ones(int(branch_ok.sum())),
                (compiled.branch_from[branch_ok], compiled.branch_to[branch_ok]),
            ),
            shape=(n, n),
        )
        _, comp = connected_components(graph, directed=False)
        assert (labels < 0).tolist() == (~bus_live).tolist()
        live = np.flatnonzero(bus_live)
        assert count == len(np.unique(comp[live]))
        # the same partition: a bijection between the two labellings
        pairs = np.unique(np.c_[labels[live], comp[live]], axis=0)
        assert len(pairs) == count
        # numbered in order of each island's lowest bus
        _, first = np.unique(labels[live], return_index=True)
        assert np.all(np.diff(live[first]) > 0)

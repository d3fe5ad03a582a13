"""The batched trip cascade (:mod:`gridmodel.engine.batch`) against independent answers.

* A batch's outcomes equal each state evaluated alone, bit for bit (the
  kernel's result depends on the state only).
* The compiled cascade agrees with the Python one (:func:`~gridmodel.engine.cascade.cascade`,
  SuperLU factorisations, numpy reductions: another implementation of the
  same rules): the same trips at the same steps, the same islands and dark
  loads, flows to 1e-6 MW and served load to 1e-9 MW.
* :func:`~gridmodel.engine.batch.batch_figures` equals
  :func:`~gridmodel.engine.figures.totals` of the outcomes to 1e-9 MW.
* The compiled :math:`L D L^T` (:mod:`gridmodel.engine.ldl`) solves a state's
  matrix as ``scipy.sparse.linalg.spsolve`` does, to 1e-9 relative; refactorised
  on its changed rows only, it equals a factorisation afresh to rounding.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from gridmodel.engine import CompiledGrid, EngineCache, EngineOptions, compile_grid, evaluate
from gridmodel.engine.batch import StateBatch, batch_figures, kernel_arrays
from gridmodel.engine.cascade import cascade
from gridmodel.engine.figures import totals
from gridmodel.engine.kernel import COUNT_FACTORS, all_joined, change_matrix, stage_matrix
from gridmodel.engine.kernel_batch import FIGURE_NAMES
from gridmodel.engine.ldl import factor_numeric
from gridmodel.engine.lowrank import PIVOT_TOL, _ldl_solve
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element

FLOW_TOL_MW = 1e-6
SERVED_TOL_MW = 1e-9
STATES = {"case118": 120, "case300": 120, "case1354pegase": 60}


@pytest.fixture(scope="module", params=sorted(STATES))
def compiled(request: Any) -> CompiledGrid:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_grid(load_network(request.param), options=EngineOptions(overload="trip"))


def random_states(compiled: CompiledGrid, seed: int = 11) -> list[Any]:
    """1-3 random substations per state, and some single branches."""
    rng = np.random.default_rng(seed)
    subs = list(compiled.grid.substations.index)
    out = []
    for i in range(STATES[compiled.grid.name]):
        hit = [Element("substation", str(s)) for s in rng.choice(subs, 1 + i % 3, replace=False)]
        if i % 5 == 0:
            p = int(rng.integers(compiled.n_branch))
            hit.append(Element(str(compiled.branch_kind[p]), int(compiled.branch_index[p])))
        out.append(compiled.state(hit))
    return out


def test_a_batch_equals_each_state_alone(compiled: CompiledGrid) -> None:
    states = random_states(compiled)
    together = evaluate(compiled, states, cache=EngineCache())
    for state, batched in zip(states, together, strict=True):
        [alone] = evaluate(compiled, [state], cache=EngineCache())
        np.testing.assert_array_equal(batched.branch_flow_mw, alone.branch_flow_mw)
        np.testing.assert_array_equal(batched.load_served_mw, alone.load_served_mw)
        np.testing.assert_array_equal(batched.unit_p_mw, alone.unit_p_mw)
        assert batched.tripped == alone.tripped
        assert batched.islands == alone.islands


def test_the_compiled_cascade_agrees_with_the_python_one(compiled: CompiledGrid) -> None:
    states = random_states(compiled, seed=12)
    cache = EngineCache()
    outcomes = evaluate(compiled, states, cache=cache)
    limit = compiled.options.overload_limit_percent
    tripping = 0
    for state, fast in zip(states, outcomes, strict=True):
        slow = cascade(compiled, state, compiled.load_p_mw, cache, trip_above=limit, relieve=False)
        assert [(t.element, t.step) for t in fast.tripped] == [
            (t.element, t.step) for t in slow.tripped
        ]
        tripping += bool(fast.tripped)
        assert fast.islands == slow.islands
        assert fast.energized_islands == slow.energized_islands
        np.testing.assert_array_equal(fast.load_dark, slow.load_dark)
        np.testing.assert_array_equal(fast.branch_in_service, slow.branch_in_service)
        np.testing.assert_allclose(fast.branch_flow_mw, slow.branch_flow_mw, atol=FLOW_TOL_MW)
        np.testing.assert_allclose(fast.load_served_mw, slow.load_served_mw, atol=SERVED_TOL_MW)
    if compiled.grid.name == "case1354pegase":
        assert tripping > 10  # the cascade itself is exercised, not only first steps


def test_batch_figures_are_the_outcomes_totals(compiled: CompiledGrid) -> None:
    states = random_states(compiled, seed=13)
    cache = EngineCache()
    found = batch_figures(compiled, StateBatch.of(compiled, states), cache=cache)
    for row, outcome in enumerate(evaluate(compiled, states, cache=cache)):
        expected = totals(compiled, outcome)
        for column, name in enumerate(FIGURE_NAMES):
            assert found[row, column] == pytest.approx(float(expected[name]), abs=SERVED_TOL_MW)


def test_compiled_ldl_solves_a_state_matrix_as_spsolve(compiled: CompiledGrid) -> None:
    arrays = kernel_arrays(compiled, EngineCache())
    assert arrays is not None
    grid, sym, own = arrays.grid, arrays.sym, arrays.own
    rng = np.random.default_rng(5)
    n = compiled.n_bus
    live = rng.random(compiled.n_branch) > 0.1  # a tenth of the branches out
    grounded = np.zeros(n, dtype=bool)
    grounded[rng.choice(n, 3, replace=False)] = True
    adjacency = sp.coo_matrix(
        (np.ones(live.sum()), (compiled.branch_from[live], compiled.branch_to[live])), (n, n)
    )
    _, component = connected_components(adjacency, directed=False)
    _, first = np.unique(component, return_index=True)
    grounded[first] = True  # every part of the grid has a reference: non-singular
    data = np.zeros(len(compiled.pattern.indices))
    stage_matrix(grid, live, grounded, data)
    args = (sym[4], sym[5], data, *sym[6:9], sym[3], own[3], own[4], own[5], np.zeros(n))
    assert factor_numeric(*args, np.ones(n, dtype=bool), PIVOT_TOL)
    rhs = rng.normal(size=n)
    theta = _ldl_solve(sym[0], sym[3], own[3], own[4], own[5], rhs)
    # the same matrix from scratch: incidence, susceptances, identity at grounded buses
    f, t = compiled.branch_from[live], compiled.branch_to[live]
    b = compiled.branch_b_pu[live]
    rows = np.concatenate([f, t, f, t])
    cols = np.concatenate([f, t, t, f])
    matrix = sp.csc_matrix((np.concatenate([b, b, -b, -b]), (rows, cols)), shape=(n, n))
    matrix = matrix + sp.diags(grounded.astype(float))
    expected = spsolve(matrix.tocsc(), rhs)
    # both are direct solves, equal up to rounding (observed ~1e-13 relative)
    assert np.abs(theta - expected).max() <= 1e-9 * max(1.0, np.abs(expected).max())


def grounded_state(compiled: CompiledGrid, live: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Grounded buses of ``live``: the first bus of every part of the grid, and ``extra``."""
    n = compiled.n_bus
    adjacency = sp.coo_matrix(
        (np.ones(live.sum()), (compiled.branch_from[live], compiled.branch_to[live])), (n, n)
    )
    _, component = connected_components(adjacency, directed=False)
    grounded = extra.copy()
    grounded[np.unique(component, return_index=True)[1]] = True
    return grounded


def test_refactorising_the_changed_rows_equals_factorising_afresh(compiled: CompiledGrid) -> None:
    """A cascade's own factor, changed step by step (trips, groundings moved) and
    refactorised on the changed rows only (:func:`~gridmodel.engine.kernel.change_matrix`),
    against the same state's matrix built and factorised whole: equal to rounding
    (relative 1e-12 on ``L`` and ``D``), and both solve like ``spsolve``."""
    arrays = kernel_arrays(compiled, EngineCache())
    assert arrays is not None
    grid, sym, own = arrays.grid, arrays.sym, arrays.own
    rng = np.random.default_rng(23)
    n, m = compiled.n_bus, compiled.n_branch
    live = np.ones(m, dtype=bool)
    grounded = grounded_state(compiled, live, np.zeros(n, dtype=bool))
    data = np.zeros(len(compiled.pattern.indices))
    stage_matrix(grid, live, grounded, data)
    lx, d = np.zeros(sym[3][-1]), np.zeros(n)
    factor = (sym[4], sym[5], data, *sym[6:9], sym[3], own[3], lx, d, np.zeros(n))
    assert factor_numeric(*factor, np.ones(n, dtype=bool), PIVOT_TOL)
    partial_rows = []
    for _ in range(6):  # a cascade: more branches out at every step, groundings moved
        new_live = live & (rng.random(m) > 0.03)
        new_grounded = grounded_state(compiled, new_live, rng.random(n) < 0.01)
        rows = np.zeros(n, dtype=bool)
        change_matrix(grid, live, grounded, new_live, new_grounded, data, sym[0], sym[1], rows)
        assert factor_numeric(*factor, rows, PIVOT_TOL)
        partial_rows.append(rows.mean())
        live, grounded = new_live, new_grounded
        fresh_data = np.zeros_like(data)
        stage_matrix(grid, live, grounded, fresh_data)
        np.testing.assert_allclose(data, fresh_data, rtol=0, atol=1e-9 * np.abs(fresh_data).max())
        fresh_lx, fresh_d = np.zeros_like(lx), np.zeros_like(d)
        fresh = (sym[4], sym[5], fresh_data, *sym[6:9], sym[3], own[3], fresh_lx, fresh_d)
        assert factor_numeric(*fresh, np.zeros(n), np.ones(n, dtype=bool), PIVOT_TOL)
        np.testing.assert_allclose(d, fresh_d, rtol=1e-12)
        np.testing.assert_allclose(lx, fresh_lx, rtol=1e-12, atol=1e-12 * np.abs(fresh_lx).max())
        rhs = rng.normal(size=n)
        theta = _ldl_solve(sym[0], sym[3], own[3], lx, d, rhs)
        f, t = compiled.branch_from[live], compiled.branch_to[live]
        b = compiled.branch_b_pu[live]
        matrix = sp.csc_matrix(
            (np.concatenate([b, b, -b, -b]), (np.r_[f, t, f, t], np.r_[f, t, t, f])), shape=(n, n)
        ) + sp.diags(grounded.astype(float))
        expected = spsolve(matrix.tocsc(), rhs)
        assert np.abs(theta - expected).max() <= 1e-9 * max(1.0, np.abs(expected).max())
    assert min(partial_rows) < 1.0  # some steps did refactorise a part only


def test_all_joined_says_whether_removing_branches_splits_an_island(
    compiled: CompiledGrid,
) -> None:
    """Against the island count of ``scipy.sparse.csgraph.connected_components``."""
    arrays = kernel_arrays(compiled, EngineCache())
    assert arrays is not None
    n, m = compiled.n_bus, compiled.n_branch
    rng = np.random.default_rng(17)
    search = (
        np.zeros(n + 1, dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
    )

    def count(ok: np.ndarray) -> int:
        graph = sp.coo_matrix(
            (np.ones(ok.sum()), (compiled.branch_from[ok], compiled.branch_to[ok])), (n, n)
        )
        return int(connected_components(graph, directed=False)[0])

    splits = 0
    for trial in range(60):
        before = rng.random(m) > 0.05
        tripped = rng.choice(np.flatnonzero(before), 1 + trial % 6, replace=False)
        after = before.copy()
        after[tripped] = False
        split = count(after) != count(before)
        splits += split
        assert all_joined(arrays.grid, after, tripped.astype(np.int64), search) == (not split)
    assert 0 < splits < 60  # both answers are exercised


def test_states_the_kernel_hands_back_are_evaluated_on_the_python_path(
    compiled: CompiledGrid,
) -> None:
    """A kernel whose factorisations all fail (a pivot tolerance of 2) hands
    every state that must factorise back (:data:`~gridmodel.engine.kernel.FALLBACK`):
    those states get the Python cascade's figures and outcomes, the others stay."""
    states = random_states(compiled, seed=14)
    batch = StateBatch.of(compiled, states)
    normal = EngineCache()
    expected = batch_figures(compiled, batch, cache=normal)
    factorised = kernel_arrays(compiled, normal).own[0][COUNT_FACTORS]  # type: ignore[union-attr]
    if compiled.grid.name == "case1354pegase":
        assert factorised > 0  # so states are handed back below
    cache = EngineCache()
    arrays = kernel_arrays(compiled, cache)
    assert arrays is not None
    base_mva, rank, residual, _, tol, spd = arrays.params
    cache.of(compiled).kernel = dataclasses.replace(
        arrays, params=(base_mva, rank, residual, 2.0, tol, spd)
    )
    handed_back = batch_figures(compiled, batch, cache=cache)
    np.testing.assert_allclose(handed_back, expected, rtol=0, atol=SERVED_TOL_MW)
    assert arrays.own[0][COUNT_FACTORS] == 0  # no factorisation succeeded in the kernel
    outcomes = evaluate(compiled, states, cache=cache)
    for row, outcome in enumerate(outcomes):
        assert len(outcome.tripped) == expected[row, FIGURE_NAMES.index("tripped")]

"""A result never depends on what an :class:`EngineCache` holds, nor on who shares it.

Expected: each state evaluated alone with a fresh ``EngineCache``. Compared
with the same states evaluated on one warm shared cache (every state first
evaluated in the opposite order, then again in order) and with one cache
shared by two threads: every field of every outcome equal, bit for bit
(tolerance 0; ``engine_cases.assert_same_outcome``).

States: random strikes of 1-4 substations (seeded) with the trip cascade and
``margin:0.3`` ratings, so that nearly every state cascades (up to a dozen
steps): the cascade's reference factorisations, the kept topologies and LU
factors are all exercised. AC mode: the lightsim2grid model, its
fixed-pattern instance, the retry instance and the island memo are kept in
the cache too.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
from engine_cases import assert_same_outcome, network, random_strikes

from gridmodel.engine import (
    CompiledGrid,
    EngineCache,
    EngineOptions,
    Outcome,
    State,
    compile_grid,
    evaluate,
)

DC = {"ratings": "margin:0.3"}
AC_LIGHTSIM = {"mode": "ac", "ratings": "margin:0.3", "ac_backend": "lightsim2grid"}


def case(name: str, n: int, seed: int, **options: Any) -> tuple[CompiledGrid, list[State]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = compile_grid(network(name), options=EngineOptions(**options))
    rng = np.random.default_rng(seed)
    grid = compiled.grid
    states = [compiled.state(random_strikes(grid, rng, substations=1 + i % 4)) for i in range(n)]
    return compiled, states


def alone(compiled: CompiledGrid, states: list[State]) -> list[Outcome]:
    """Each state evaluated with a cache that has seen nothing else."""
    return [evaluate(compiled, [state], cache=EngineCache())[0] for state in states]


def assert_cascades(outcomes: list[Outcome]) -> None:
    # the states must cascade, or the cascade's caches are not exercised
    assert sum(bool(o.tripped) for o in outcomes) >= len(outcomes) // 2
    assert max(t.step for o in outcomes for t in o.tripped) >= 3


def check_warm_cache(compiled: CompiledGrid, states: list[State]) -> list[Outcome]:
    """Compare a warm shared cache with fresh ones; return the fresh answers."""
    expected = alone(compiled, states)
    assert_cascades(expected)
    cache = EngineCache()
    evaluate(compiled, states[::-1], cache=cache)  # warm it in the opposite order
    warm = evaluate(compiled, states, cache=cache)
    for n, (a, b) in enumerate(zip(warm, expected, strict=True)):
        assert_same_outcome(a, b, label=f"state {n}")
    return expected


@pytest.mark.parametrize(("name", "seed"), [("case118", 118), ("case300", 300)])
def test_warm_shared_cache_gives_the_fresh_answers(name: str, seed: int) -> None:
    compiled, states = case(name, 36, seed, **DC)
    check_warm_cache(compiled, states)


def test_warm_shared_cache_gives_the_fresh_answers_in_ac() -> None:
    pytest.importorskip("lightsim2grid", reason="lightsim2grid is not installed")
    compiled, states = case("case118", 24, 1180, **AC_LIGHTSIM)
    expected = check_warm_cache(compiled, states)
    assert all(o.mode == "ac" for o in expected)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        pytest.param("case300", DC, id="case300-dc"),
        pytest.param("case118", AC_LIGHTSIM, id="case118-ac"),
    ],
)
def test_cache_shared_by_two_threads_gives_the_serial_answers(
    name: str, options: dict[str, Any]
) -> None:
    if options.get("ac_backend") == "lightsim2grid":
        pytest.importorskip("lightsim2grid", reason="lightsim2grid is not installed")
    compiled, states = case(name, 24, 7, **options)
    expected = alone(compiled, states)
    assert_cascades(expected)
    shared = EngineCache()

    def run(order: list[int]) -> dict[int, Outcome]:
        # one evaluate() per state, so the two threads take turns on the cache
        return {i: evaluate(compiled, [states[i]], cache=shared)[0] for i in order}

    forward = list(range(len(states)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, [forward, forward[::-1]]))
    for result in results:
        assert sorted(result) == forward
        for i, outcome in result.items():
            assert_same_outcome(outcome, expected[i], label=f"state {i}")

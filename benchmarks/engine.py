"""Benchmark: gridmodel's array engine against a plain pandapower loop.

The same random k-substation strike states (k = 1, 2, 3 in turn, fixed seed)
are evaluated in the same process by

* gridmodel, DC: ``evaluate`` with the trip cascade (``raise-base``
  ratings), with the default options (``overload = "operator"``: trip above
  the emergency rating, else the operator's shedding program), and
  ``solve_plain`` (no cascade) (islands, balance and DC flow without the
  cascade: the same work as the loop below); a line states what the
  operator default costs per state against the trip cascade, and in how
  many states the operator relieved overloads;
* a pandapower DC loop: ``deepcopy`` the net, take the struck buses out of
  service, ``rundcpp``, sum the load on buses with NaN results;
* in AC mode, gridmodel ``evaluate`` with ``mode="ac"`` (backend pandapower,
  and lightsim2grid: a model built once per grid, changed per state) and, as
  the same work as the loop, ``solve_plain`` (no cascade) followed by one AC
  flow (``ac_branch_mva``, lightsim2grid backend, no cascade), against the same
  loop with ``runpp``.

Each method first runs on warm-up states (JIT compilation, imports); gridmodel
is then measured on a freshly compiled grid, so its factorisation cache starts
empty (in AC mode also a new lightsim2grid model, built while compiling, so no
island flow is kept from an earlier pass). Per-grid set-up is not timed, as
compiling is not: the intact grid is evaluated once before the timed states
(its DC factorisation, in AC mode the fixed-pattern instance), and no island
flow is kept from that. Peak memory is the ``tracemalloc``
peak over a short separate pass of each method, and the process's peak RSS at
the end. Wall-clock and CPU time are both shown: on a busy machine the CPU-time
ratio is the fairer one.

Usage::

    python benchmarks/engine.py [--network case118] [--network case1354pegase]
        [--states 200] [--ac-states 300] [--mode dc|ac|both] [--seed 7]
"""

from __future__ import annotations

import argparse
import copy
import resource
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridmodel.engine import EngineCache, EngineOptions, compile_grid, evaluate
from gridmodel.engine.ac.check import ac_branch_mva
from gridmodel.engine.ac.lightsim import model_of
from gridmodel.engine.overload import solve_plain
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element, Grid

WARMUP_STATES = 5
MEMORY_STATES = 10


@dataclass(frozen=True)
class Timing:
    label: str
    ms_per_state: float
    cpu_ms_per_state: float
    peak_kib: float
    unserved_mw: list[float]


def strike_states(grid: Grid, n: int, seed: int) -> list[list[Element]]:
    """``n`` random strikes on k = 1, 2, 3 substations in turn."""
    rng = np.random.default_rng(seed)
    subs = list(grid.substations.index)
    return [
        [Element("substation", str(s)) for s in rng.choice(subs, size=1 + i % 3, replace=False)]
        for i in range(n)
    ]


def pandapower_loop(grid: Grid, *, ac: bool) -> Callable[[list[Element]], float]:
    """One state by plain pandapower: copy, buses out, power flow, unserved load."""
    import pandapower as pp

    run = pp.runpp if ac else pp.rundcpp

    def unserved(out: list[Element]) -> float:
        net = copy.deepcopy(grid.net)
        buses = [b for e in out for b in grid.buses_of(str(e.id))]
        net.bus.loc[buses, "in_service"] = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run(net)
        except Exception:  # non-convergence: everything counts as unserved
            return float((net.load.p_mw * net.load.scaling).sum())
        dark = net.res_bus.va_degree.reindex(net.load.bus).isna().to_numpy()
        return float((net.load.p_mw * net.load.scaling)[dark | ~net.load.in_service].sum())

    return unserved


def gridmodel_method(
    grid: Grid, options: EngineOptions, *, trip: bool = True
) -> Callable[[], Callable[[list[Element]], float]]:
    """A factory: each call compiles afresh (an empty cache), then evaluates states.

    With ``trip=False`` a state is solved without the cascade and, in AC mode,
    checked by one AC flow (``ac_branch_mva``).
    """

    def make() -> Callable[[list[Element]], float]:
        cache = EngineCache()  # a new cache: no factorisation or island flow kept
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = compile_grid(grid, options=options, cache=cache)
            # per-grid set-up, untimed like compile_grid: the intact grid's DC
            # factorisation and, in AC mode, the fixed-pattern instance
            evaluate(compiled, [compiled.state([])], cache=cache)
        if options.mode == "ac" and options.ac_backend == "lightsim2grid":
            model_of(compiled, cache).memo.clear()  # no island flow kept from the set-up

        def unserved(out: list[Element]) -> float:
            state = compiled.state(out)
            if trip:
                return evaluate(compiled, [state], cache=cache)[0].unserved_mw
            outcome = solve_plain(compiled, state, compiled.load_p_mw, cache)
            if options.mode == "ac":
                ac_branch_mva(compiled, state, outcome, cache)
            return outcome.unserved_mw

        return unserved

    return make


def operator_programs(grid: Grid, states: list[list[Element]]) -> int:
    """States in which the default handling ran the operator's program (untimed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = compile_grid(grid, options=EngineOptions())
    outcomes = evaluate(compiled, [compiled.state(out) for out in states], cache=EngineCache())
    return sum(o.load_supplied_mw is not None for o in outcomes)


def measure(
    label: str,
    make: Callable[[], Callable[[list[Element]], float]],
    states: list[list[Element]],
    warmup: list[list[Element]],
) -> Timing:
    run = make()
    for out in warmup:
        run(out)
    run = make()
    start, cpu_start = time.perf_counter(), time.process_time()
    results = [run(out) for out in states]
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    run = make()
    tracemalloc.start()
    for out in states[:MEMORY_STATES]:
        run(out)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(states)
    return Timing(label, 1000 * elapsed / n, 1000 * cpu / n, peak / 1024, results)


def report(network: str, mode: str, n: int, baseline: Timing, rows: list[Timing]) -> None:
    print(f"\n{network}  {mode.upper()}  {n} states (k = 1, 2, 3 substations)")
    print(
        f"  {'method':40s} {'ms/state':>9s} {'CPU ms':>8s} {'states/s':>9s} "
        f"{'speed-up':>9s} {'CPU ratio':>9s} {'peak MiB':>9s}"
    )
    for row in [baseline, *rows]:
        ratio = baseline.ms_per_state / row.ms_per_state
        cpu_ratio = baseline.cpu_ms_per_state / row.cpu_ms_per_state
        print(
            f"  {row.label:40s} {row.ms_per_state:9.3f} {row.cpu_ms_per_state:8.3f} "
            f"{1000 / row.ms_per_state:9.0f} {ratio:8.1f}x {cpu_ratio:8.1f}x "
            f"{row.peak_kib / 1024:9.2f}"
        )
    for row in rows:
        diff = np.abs(np.asarray(row.unserved_mw) - np.asarray(baseline.unserved_mw))
        print(
            f"  unserved MW equal to the pandapower loop (1e-6 MW) for {row.label}: "
            f"{int((diff <= 1e-6).sum())}/{len(diff)} states"
        )


def run_network(network: str, *, mode: str, n_dc: int, n_ac: int, seed: int) -> None:
    grid = load_network(network)
    warmup = strike_states(grid, WARMUP_STATES, seed + 1)
    if mode in ("dc", "both"):
        states = strike_states(grid, n_dc, seed)
        base = measure(
            "pandapower loop (deepcopy + rundcpp)",
            lambda: pandapower_loop(grid, ac=False),
            states,
            warmup,
        )
        rows = [
            measure(
                "gridmodel evaluate (DC, trip cascade)",
                gridmodel_method(grid, EngineOptions(overload="trip")),
                states,
                warmup,
            ),
            measure(
                "gridmodel evaluate (DC, operator)",
                gridmodel_method(grid, EngineOptions()),
                states,
                warmup,
            ),
            measure(
                "gridmodel solve_plain (DC, no cascade)",
                gridmodel_method(grid, EngineOptions(overload="trip"), trip=False),
                states,
                warmup,
            ),
        ]
        report(network, "dc", n_dc, base, rows)
        trip, operator = rows[0], rows[1]
        acted = operator_programs(grid, states)
        print(
            f"  operator default: {operator.cpu_ms_per_state:.3f} CPU ms per state, "
            f"{operator.cpu_ms_per_state / trip.cpu_ms_per_state:.2f}x the trip cascade; "
            f"the operator relieved overloads in {acted}/{len(states)} states"
        )
    if mode in ("ac", "both"):
        states = strike_states(grid, n_ac, seed)
        base = measure(
            "pandapower loop (deepcopy + runpp)",
            lambda: pandapower_loop(grid, ac=True),
            states,
            warmup,
        )
        rows = [
            measure(
                f"gridmodel evaluate (AC, {backend})",
                gridmodel_method(
                    grid, EngineOptions(mode="ac", ac_backend=backend, overload="trip")
                ),
                states,
                warmup,
            )
            for backend in ("pandapower", "lightsim2grid")
        ]
        rows.append(
            measure(
                "gridmodel solve_plain + AC flow (ls2g)",
                gridmodel_method(
                    grid,
                    EngineOptions(mode="ac", ac_backend="lightsim2grid", overload="trip"),
                    trip=False,
                ),
                states,
                warmup,
            )
        )
        report(network, "ac", n_ac, base, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--network", action="append", help="repeatable; default case118 and case1354pegase"
    )
    parser.add_argument("--states", type=int, default=200, help="DC states per network")
    parser.add_argument("--ac-states", type=int, default=300, help="AC states per network")
    parser.add_argument("--mode", choices=("dc", "ac", "both"), default="both")
    parser.add_argument("--seed", type=int, default=7)
    args: Any = parser.parse_args(argv)
    for network in args.network or ["case118", "case1354pegase"]:
        run_network(network, mode=args.mode, n_dc=args.states, n_ac=args.ac_states, seed=args.seed)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()

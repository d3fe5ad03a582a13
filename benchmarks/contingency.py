"""N-1 and N-2 criticality speed against pandapower and lightsim2grid, in one process.

Usage::

    python benchmarks/contingency.py                         # case1354pegase, 2-4 minutes
    python benchmarks/contingency.py --network case118 --network case2869pegase
    python benchmarks/contingency.py --pairs 5000            # N-2 sample size
    python benchmarks/contingency.py --quick                 # small samples, a smoke run

Measured in the same process, per network:

* **pandapower in-place loop** (the reference of issue 19): one copy of the
  net is made once; for each of a seeded sample of substations (N-1) and of
  substation pairs (N-2) the substations' buses are set out of service in
  place (their elements with them), ``pp.rundcpp(net)`` runs, the unserved
  load and the branch flows are read, and the buses are put back. No
  ``deepcopy`` per state. 1,500 of the loop's pair solves are the issue's
  budget for all substation pairs; ``rundcpp`` of the intact case (about
  half as long: no topology change to process) gives the stricter budget
  printed next to it.
* **lightsim2grid** (the published limit, single-branch outages only):
  ``ContingencyAnalysisCPP`` in DC (KLU) over every single-branch outage,
  and the LODF route (``LSGrid.get_lodf`` once, then the post-outage flows of
  every branch outage by one numpy product: the flows-only time is what
  lightsim2grid publishes, the matrix is spread over the branches). Next to
  them, gridmodel's batched evaluation without cascade (``batch_figures``
  with ``trip_above=inf``: islands, supply balance, DC flows and figures, the
  batch in one compiled call) on a seeded sample of the same single-branch
  outages.
* **gridmodel** ``criticality(grid, k=1, overload="trip")`` end to end after
  one warm-up run, per substation (alternating with the loop, best of two);
  ``criticality(grid, k=2, ...)`` on a
  seeded sample of ``--pairs`` pairs with 1 worker and with 2 workers (the
  2-worker rate is taken between the first and the last progress report, so
  the pool's start-up is left out; the wall time with it is printed too),
  projected to all pairs; and the engine per state with the trip cascade
  (``trip_outcomes``, the compiled call ``evaluate`` makes, one state per
  call) against the same states and calls without it (``trip_above=inf``),
  separately for the states where the cascade trips something and for those
  where nothing trips.

Times are CPU time of this process where one process does all the work (the
fairer figure on a shared machine), wall time for the 2-worker run. The ratio
column is reference / gridmodel: above 1, gridmodel is faster.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

import gridmodel
from gridmodel import Element, Grid
from gridmodel.engine import CompiledGrid, EngineCache, compile_grid, evaluate
from gridmodel.engine.batch import StateBatch, batch_figures, trip_outcomes
from gridmodel.studies.impact import engine_options

#: the issue's budget for all substation pairs: this many pandapower in-place
#: ``rundcpp`` solves of the case (the in-place loop's time per pair state; the
#: intact case's ``rundcpp``, the stricter reading, is printed next to it)
SOLVE_BUDGET = 1500
#: the issue's N-1 target: criticality at least this many times the in-place loop
N1_TARGET = 50.0


@dataclass(frozen=True)
class Sizes:
    """Sample sizes of one run."""

    loop_states: int  # pandapower loop: substations (N-1) and as many pairs (N-2)
    intact_solves: int  # rundcpp of the intact case
    pairs: int  # gridmodel N-2 sample (max_pairs)
    cascade_pairs: int  # pair states added to the N-1 states for the cascade costs
    branch_outages: int  # gridmodel single-branch outages


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure next to its reference."""

    work: str
    gridmodel: str
    reference: str
    ratio: float | None
    target: str = ""


def machine() -> str:
    """Date, machine, CPU count and load average, as a header line."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{now}  {platform.machine()}  {os.cpu_count()} CPUs  load average {load}"


def cpu_timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


# --- pandapower in-place loop ---------------------------------------------------------


def inplace_loop(grid: Grid, outages: Sequence[Sequence[str]]) -> float:
    """CPU ms per state of the in-place ``rundcpp`` loop over ``outages`` (substation ids).

    One copy of the net is made before the timing; each state sets its buses out of
    service, solves, reads the unserved load and the line flows, and restores them.
    """
    import pandapower as pp

    net = copy.deepcopy(grid.net)
    buses = [[b for s in outage for b in grid.buses_of(s)] for outage in outages]
    load_bus = net.load.bus.to_numpy()
    load_mw = (net.load.p_mw * net.load.scaling).to_numpy()
    unserved = []

    def one(out: list[int]) -> None:
        net.bus.loc[out, "in_service"] = False
        try:
            pp.rundcpp(net)
            dark = np.isnan(net.res_bus.va_degree.reindex(load_bus).to_numpy())
            net.res_line.p_from_mw.to_numpy()
            unserved.append(float(load_mw[dark].sum()))
        except Exception:  # a failed solve: all load unserved, as the engine benchmark does
            unserved.append(float(load_mw.sum()))
        finally:
            net.bus.loc[out, "in_service"] = True

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one(buses[0])  # warm-up (imports, numba)

        def loop() -> None:
            for out in buses:
                one(out)

        _, cpu = cpu_timed(loop)
    return 1000 * cpu / len(buses)


def intact_rundcpp(grid: Grid, repeats: int) -> float:
    """CPU ms of one ``rundcpp`` of the intact case (best of ``repeats``)."""
    import pandapower as pp

    net = copy.deepcopy(grid.net)
    best = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcpp(net)
        for _ in range(repeats):
            best = min(best, cpu_timed(lambda: pp.rundcpp(net))[1])
    return 1000 * best


# --- lightsim2grid ----------------------------------------------------------------------


def lightsim_outages(grid: Grid) -> tuple[int, float, float, float] | None:
    """lightsim2grid on every single-branch outage: (branches, CA µs, LODF build µs, flows µs).

    ``None`` when lightsim2grid is not installed or cannot read the net.
    """
    try:
        from lightsim2grid.algorithm import AlgorithmType
        from lightsim2grid.contingencyAnalysis import ContingencyAnalysisCPP
        from lightsim2grid.network import init_from_pandapower
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = init_from_pandapower(copy.deepcopy(grid.net))
    model.change_solver(AlgorithmType.DC_KLU)
    n = len(model.get_lines()) + len(model.get_trafos())
    v0 = np.ones(model.total_bus(), dtype=complex)
    model.dc_pf(v0, 10, 1e-8)
    flows = np.r_[model.get_line_res1()[0], model.get_trafo_res1()[0]]

    def analysis() -> None:
        ca = ContingencyAnalysisCPP(model)
        ca.change_algorithm(AlgorithmType.DC_KLU)
        ca.add_all_n1()
        ca.compute(v0, 10, 1e-8)
        ca.compute_power_flows()

    analysis()  # warm-up
    ca_cpu = min(cpu_timed(analysis)[1] for _ in range(2))
    lodf: list[np.ndarray] = []
    build = cpu_timed(lambda: lodf.append(1.0 * model.get_lodf()))[1]
    matrix = np.nan_to_num(lodf[0])
    # row k: the flows after branch k is out, f + LODF[:, k] * f[k]
    product = min(
        cpu_timed(lambda: flows[None, :] + matrix.T * flows[:, None])[1] for _ in range(3)
    )
    return n, 1e6 * ca_cpu / n, 1e6 * build / n, 1e6 * product / n


# --- gridmodel --------------------------------------------------------------------------


def compiled_grid(grid: Grid) -> tuple[CompiledGrid, EngineCache]:
    """The grid compiled with the trip cascade and ``raise-base`` ratings, intact state solved."""
    options = engine_options(
        mode="dc", overload="trip", ratings="raise-base", limit=None, ac_backend="auto"
    )
    cache = EngineCache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = compile_grid(grid, options=options, cache=cache)
        evaluate(compiled, [compiled.state([])], cache=cache)
    return compiled, cache


def n1_criticality(grid: Grid) -> tuple[int, float]:
    """(substations, CPU ms per substation) of ``criticality(k=1, overload="trip")``.

    Run :func:`warm_up` first: the figure is then the study alone, warm.
    """
    table: list[object] = []
    _, cpu = cpu_timed(lambda: table.append(gridmodel.criticality(grid, k=1, overload="trip")))
    rows = len(table[0])  # type: ignore[arg-type]
    return rows, 1000 * cpu / rows


def warm_up(grid: Grid) -> None:
    """One N-1 criticality run and a few pairs: imports, numba compilation."""
    gridmodel.criticality(grid, k=1, overload="trip")
    gridmodel.criticality(grid, k=2, overload="trip", max_pairs=20, seed=1)


def n2_criticality(
    grid: Grid, pairs: int, network: str, seed: int
) -> tuple[int, float, float, float]:
    """N-2 criticality with the trip cascade on a seeded sample of ``pairs`` pairs.

    Returns
    -------
    total, serial_ms, parallel_ms, parallel_s
        All substation pairs of the grid; CPU ms per pair with 1 worker; wall ms
        per pair with 2 workers between the first and the last progress report
        (the pool's start-up left out); wall s of the whole 2-worker call.
    """
    frames: list[object] = []

    def serial() -> None:
        frames.append(gridmodel.criticality(grid, k=2, overload="trip", max_pairs=pairs, seed=seed))

    _, cpu = cpu_timed(serial)
    table = frames[-1]
    evaluated = len(table)  # type: ignore[arg-type]
    total = int(table.attrs.get("outages_total", evaluated))  # type: ignore[attr-defined]
    marks: list[tuple[float, int]] = []
    began = time.perf_counter()
    gridmodel.criticality(
        grid,
        k=2,
        overload="trip",
        max_pairs=pairs,
        seed=seed,
        workers=2,
        network=network,
        on_progress=lambda done: marks.append((time.perf_counter(), done)),
    )
    wall = time.perf_counter() - began
    steady = wall / evaluated  # unless two progress reports tell the rate without start-up
    if len(marks) >= 2:
        (t0, d0), (t1, d1) = marks[0], marks[-1]
        if d1 > d0 and t1 > t0:
            steady = (t1 - t0) / (d1 - d0)
    return total, 1000 * cpu / evaluated, 1000 * steady, wall


def cascade_costs(
    grid: Grid, states: Sequence[list[Element]]
) -> dict[bool, tuple[int, float, float]]:
    """Per-state CPU ms of ``evaluate`` (trip) and of the same call without cascade,
    by whether anything trips.

    Returns ``{trips: (states, evaluate ms, no-cascade ms)}``. Each method runs on a
    freshly compiled grid (an empty cache) after the intact state; best of two passes.
    """
    compiled, cache = compiled_grid(grid)
    outcomes = evaluate(compiled, [compiled.state(s) for s in states], cache=cache)
    trips = np.array([bool(o.tripped) for o in outcomes])

    def per_state(trip: bool) -> np.ndarray:
        compiled, cache = compiled_grid(grid)
        demand = compiled.load_p_mw
        out = np.empty(len(states))
        for i, s in enumerate(states):
            state = compiled.state(s)
            began = time.process_time()
            # the same compiled call with the trip threshold and without
            trip_outcomes(compiled, [state], demand, cache, trip_above=None if trip else np.inf)
            out[i] = time.process_time() - began
        return out

    passes = [(per_state(True), per_state(False)) for _ in range(2)]
    result = {}
    for flag in (True, False):
        mask = trips == flag
        ev = min(p[0][mask].sum() for p in passes)
        plain = min(p[1][mask].sum() for p in passes)
        count = int(mask.sum())
        result[flag] = (count, 1000 * ev / max(count, 1), 1000 * plain / max(count, 1))
    return result


def branch_outages(grid: Grid, count: int, seed: int) -> float:
    """CPU µs per single-branch outage without cascade, the batch in one compiled call
    (:func:`~gridmodel.engine.batch.batch_figures`; islands, balance, flows and figures),
    warm, fresh cache."""
    net = grid.net
    branches = [Element("line", int(i)) for i in net.line.index[net.line.in_service]]
    branches += [Element("trafo", int(i)) for i in net.trafo.index[net.trafo.in_service]]
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(branches), min(count, len(branches)), replace=False)
    chosen = [branches[i] for i in picks]
    compiled, cache = compiled_grid(grid)
    batch = StateBatch.of(compiled, [compiled.state([e]) for e in chosen])
    batch_figures(compiled, batch, cache=cache, trip_above=np.inf)  # warm
    compiled, cache = compiled_grid(grid)
    _, cpu = cpu_timed(lambda: batch_figures(compiled, batch, cache=cache, trip_above=np.inf))
    return 1e6 * cpu / len(batch)


# --- one network, the table ---------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """Everything measured on one network (ms unless named otherwise)."""

    substations: int
    loop_states: int
    loop_n1: float
    loop_n2: float
    intact: float
    n1: float
    pairs_total: int
    n2: float
    n2_two: float
    n2_two_wall_s: float
    costs: dict[bool, tuple[int, float, float]]
    plain_us: float
    lightsim: tuple[int, float, float, float] | None


def samples(subs: Sequence[str], count: int, seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """A seeded sample of ``count`` substations and of ``count`` substation pairs."""
    rng = np.random.default_rng(seed)
    singles = [[subs[i]] for i in rng.choice(len(subs), min(count, len(subs)), replace=False)]
    pairs = [[subs[i] for i in rng.choice(len(subs), 2, replace=False)] for _ in range(count)]
    return singles, pairs


def measure(network: str, sizes: Sizes, seed: int, rounds: int) -> Measured:
    """Measure one network; the loop and N-1 criticality interleaved, best of ``rounds``."""
    grid = gridmodel.load_network(network)
    subs = [str(s) for s in grid.substations.index]
    singles, pairs = samples(subs, sizes.loop_states, seed)
    print(f"{network}: {len(subs)} substations; warming up", flush=True)
    warm_up(grid)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for key, fn in (
            ("loop_n1", lambda: inplace_loop(grid, singles)),
            ("n1", lambda: n1_criticality(grid)[1]),
            ("loop_n2", lambda: inplace_loop(grid, pairs)),
            ("intact", lambda: intact_rundcpp(grid, sizes.intact_solves)),
        ):
            best[key] = min(best.get(key, float("inf")), fn())
    print(f"  N-1: loop {best['loop_n1']:.1f} ms, gridmodel {best['n1']:.2f} ms", flush=True)
    total, n2, n2_two, wall = n2_criticality(grid, sizes.pairs, network, seed)
    print(f"  N-2: {n2:.3f} ms per pair (1 worker), {n2_two:.3f} ms (2 workers)", flush=True)
    states = [[Element("substation", s)] for s in subs]
    states += [
        [Element("substation", s) for s in p]
        for p in samples(subs, sizes.cascade_pairs, seed + 1)[1]
    ]
    costs = cascade_costs(grid, states)
    return Measured(
        substations=len(subs),
        loop_states=len(singles),
        loop_n1=best["loop_n1"],
        loop_n2=best["loop_n2"],
        intact=best["intact"],
        n1=best["n1"],
        pairs_total=total,
        n2=n2,
        n2_two=n2_two,
        n2_two_wall_s=wall,
        costs=costs,
        plain_us=branch_outages(grid, sizes.branch_outages, seed),
        lightsim=lightsim_outages(grid),
    )


def ratio(reference: float, ours: float) -> float | None:
    """Reference over gridmodel (above 1: gridmodel is faster)."""
    return reference / ours if ours > 0 else None


def table_rows(m: Measured, pairs: int) -> list[Row]:
    """The table's rows for one network."""
    budget = SOLVE_BUDGET * m.loop_n2 / 1000
    strict = SOLVE_BUDGET * m.intact / 1000
    one, two = m.pairs_total * m.n2 / 1000, m.pairs_total * m.n2_two / 1000
    loop = f"in-place loop {{:.1f}} ms ({m.loop_states} {{}})"
    rows = [
        Row(
            f"N-1 criticality, trip cascade ({m.substations} substations)",
            f"{m.n1:.2f} ms/substation",
            loop.format(m.loop_n1, "substations"),
            ratio(m.loop_n1, m.n1),
            f">= {N1_TARGET:.0f}x",
        ),
        Row(
            f"N-2 criticality, trip cascade ({pairs:,} sampled pairs, 1 worker)",
            f"{m.n2:.3f} ms/pair",
            loop.format(m.loop_n2, "pairs"),
            ratio(m.loop_n2, m.n2),
        ),
        Row(
            f"N-2 all {m.pairs_total:,} pairs, 1 worker (projected)",
            f"{one:,.0f} s",
            f"{SOLVE_BUDGET:,} in-place solves x {m.loop_n2:.1f} ms = {budget:.0f} s "
            f"(intact rundcpp: {strict:.0f} s)",
            ratio(budget, one),
            ">= 1x",
        ),
        Row(
            f"N-2 all {m.pairs_total:,} pairs, 2 workers (projected, wall)",
            f"{two:,.0f} s (sample took {m.n2_two_wall_s:.0f} s)",
            f"{budget:.0f} s (intact rundcpp: {strict:.0f} s)",
            ratio(budget, two),
            ">= 1x",
        ),
    ]
    for trips, label in ((True, "something trips"), (False, "nothing trips")):
        count, with_cascade, plain = m.costs[trips]
        if count == 0:
            rows.append(Row(f"`evaluate` trip cascade, no state where {label}", "-", "-", None))
            continue
        rows.append(
            Row(
                f"`evaluate` trip cascade, {count} states where {label}",
                f"{with_cascade:.3f} ms/state",
                f"no cascade {plain:.3f} ms",
                ratio(plain, with_cascade),
                "" if trips else ">= 1x",
            )
        )
    branch = f"batched, no cascade {m.plain_us:.1f} us"
    if m.lightsim is None:
        return [*rows, Row("single-branch outage", branch, "lightsim2grid not installed", None)]
    n, ca_us, build_us, flows_us = m.lightsim
    return [
        *rows,
        Row(
            f"single-branch outage, no cascade (all {n} branches)",
            branch,
            f"lightsim2grid ContingencyAnalysis DC {ca_us:.2f} us",
            ratio(ca_us, m.plain_us),
        ),
        Row(
            "single-branch outage, LODF (flows + matrix build)",
            branch,
            f"lightsim2grid LODF {flows_us:.3f} + {build_us:.1f} us",
            ratio(flows_us + build_us, m.plain_us),
        ),
    ]


def print_table(network: str, rows: Sequence[Row]) -> None:
    """The rows as a Markdown table."""
    print(f"\n{network}\n")
    print("| work | gridmodel | reference | ratio | target |")
    print("|---|---|---|---:|---|")
    for r in rows:
        shown = "-" if r.ratio is None else f"{r.ratio:.3g}x"
        print(f"| {r.work} | {r.gridmodel} | {r.reference} | {shown} | {r.target} |")


QUICK = Sizes(loop_states=8, intact_solves=3, pairs=200, cascade_pairs=20, branch_outages=50)
FULL = Sizes(loop_states=80, intact_solves=20, pairs=4000, cascade_pairs=400, branch_outages=500)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", action="append", help="repeatable; default case1354pegase")
    parser.add_argument("--pairs", type=int, default=None, help="N-2 sample (default 4,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="small samples: a smoke run")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.pairs is not None:
        sizes = replace(sizes, pairs=args.pairs)
    rounds = 1 if args.quick else 2
    print(f"start: {machine()}", flush=True)
    done = [(n, measure(n, sizes, args.seed, rounds)) for n in args.network or ["case1354pegase"]]
    for network, measured in done:
        print_table(network, table_rows(measured, sizes.pairs))
    print(
        "\nratio = reference / gridmodel (above 1: gridmodel faster); CPU time of this "
        f"process, except the 2-worker rows (wall)\nend: {machine()}"
    )


if __name__ == "__main__":
    main()

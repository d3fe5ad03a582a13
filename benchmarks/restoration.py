"""Restoration benchmark: a 14-day timeline per strategy, and the exact search's growth.

Usage::

    python benchmarks/restoration.py            # about a minute
    python benchmarks/restoration.py --quick    # skips the 10-task exact search

1. Timeline: sample 0 of the ``ua-oblasts`` replay scenarios (DC, trip mode,
   their own horizon and crews); wall time of dispatch + hourly evaluation +
   metrics per strategy, in a fresh repair problem each (no shared cache), and
   the engine evaluations it needed.
2. Exact search (``optimal``): one crew, n damaged lines and substations of
   ``ua-oblasts`` over 336 h; wall time, decision states and engine
   evaluations as n grows, against ``greedy_marginal`` on the same problem.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from gridmodel.network.grid import Element
from gridmodel.restoration.metrics import compute_metrics
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.restoration.strategies import names
from gridmodel.restoration.tasks import repair_tasks
from gridmodel.restoration.timeline import prepare, run_strategy
from gridmodel.scenario import load_scenario
from gridmodel.strikes import Damage, Hit
from gridmodel.studies.context import prepare_scenario
from gridmodel.studies.restore import repair_problem, wave_times

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("ua-2022-11-23.toml", "ua-2022-12-16.toml")


def timelines() -> None:
    print(f"{'scenario':<22} {'strategy':<20} {'tasks':>5} {'hours':>5} {'s':>7} {'evals':>6}")
    for name in SCENARIOS:
        scenario = load_scenario(ROOT / "scenarios" / name)
        context = prepare_scenario(scenario)
        damage = context.damage(0)
        tasks = context.tasks(damage, 0)
        for strategy in names():
            if strategy == "optimal":
                continue
            began = time.perf_counter()
            problem = repair_problem(context, damage, tasks)
            timeline = run_strategy(problem, strategy, wave_times_h=wave_times(scenario))
            compute_metrics(timeline.frame)
            wall = time.perf_counter() - began
            print(
                f"{name:<22} {strategy:<20} {len(tasks):>5} {int(problem.horizon_h):>5} "
                f"{wall:>7.3f} {problem.evaluations.evaluations:>6}"
            )


def exact_search(sizes: list[int]) -> None:
    scenario = load_scenario(ROOT / "scenarios" / SCENARIOS[0])
    context = prepare_scenario(scenario)
    grid, compiled = context.grid, context.compiled
    subs = [Element("substation", s) for s in ("KYIV", "LVIV", "ODESA")]
    lines = [Element("line", int(i)) for i in grid.net.line.index]
    print(
        f"{'tasks':>5} {'optimal s':>9} {'states':>7} {'evals':>6} "
        f"{'ENS opt':>10} {'ENS greedy':>10}"
    )
    for n in sizes:
        hits = [Hit(0, 0.0, e, 0.9, "bench") for e in (subs + lines)[:n]]
        damage = Damage(tuple(hits), (), 0, 0)
        tasks = repair_tasks(
            damage, grid, rng=np.random.default_rng(1), substation_transformers=False
        )
        repair, demand = RepairOptions(crews=1, horizon_h=336), DemandOptions()
        greedy = run_strategy(
            prepare(compiled, damage, tasks, repair=repair, demand=demand), "greedy_marginal"
        )
        problem = prepare(compiled, damage, tasks, repair=repair, demand=demand)
        began = time.perf_counter()
        best = run_strategy(problem, "optimal")
        wall = time.perf_counter() - began
        print(
            f"{n:>5} {wall:>9.2f} {problem.memo['optimal'].states:>7} "
            f"{problem.evaluations.evaluations:>6} {best.frame['unserved_mw'].sum():>10.0f} "
            f"{greedy.frame['unserved_mw'].sum():>10.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the largest exact search")
    args = parser.parse_args()
    timelines()
    print()
    exact_search([4, 6, 8] if args.quick else [4, 6, 8, 10])


if __name__ == "__main__":
    main()

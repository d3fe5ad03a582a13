"""The operator's shedding program: the engine's against the full program it replaced.

Usage::

    python benchmarks/shedding.py                 # about a minute
    python benchmarks/shedding.py --samples 3

The overloaded states the operator meets in the restoration timelines of the
replays (``overload = "operator"``, the first ``--samples`` Monte Carlo
samples of each ua-grid replay), each solved by the engine
(:func:`gridmodel.engine.shedding.shed_overloads`: only the islands with an
overload, PTDF rows added as they bind, HiGHS through ``highspy``) and by the
full program it replaced (``tests/engine/shedding_reference.py``: an angle
per bus, every island and every rated branch, ``scipy.optimize.linprog``
from scratch), interleaved state by state in this process. Prints ms per
program of each, their ratio and the largest difference of the objectives.

The cost of a whole Monte Carlo sample with each handling is part 3 of
``benchmarks/montecarlo.py``; N-1 criticality with the trip cascade against
an earlier revision is ``benchmarks/criticality_cost.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import gridmodel.engine.overload as overload
from gridmodel.engine.shedding import shed_overloads
from gridmodel.scenario import load_scenario
from gridmodel.studies.context import prepare_scenario
from gridmodel.studies.montecarlo.sampling import sample_row

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "engine"))
from shedding_reference import objective, reference_shed  # noqa: E402

SCENARIOS = ("ua-2022-11-23.toml", "ua-2022-12-16.toml")


def met_states(name: str, samples: int) -> tuple[Any, list[tuple[Any, Any]]]:
    """The scenario's context (operator) and the (state, balance outcome) pairs
    its first ``samples`` timelines hand to the operator."""
    scenario = load_scenario(ROOT / "scenarios" / name)
    model = scenario.model.model_copy(update={"overload": "operator"})
    context = prepare_scenario(scenario.model_copy(update={"model": model}))
    met: list[tuple[Any, Any]] = []

    def keep(compiled: Any, state: Any, outcome: Any, cache: Any) -> Any:
        met.append((state, outcome))
        return shed_overloads(compiled, state, outcome, cache)

    overload.shed_overloads = keep
    try:
        for sample in range(samples):
            sample_row(context, sample, seed=int(scenario.seed))
    finally:
        overload.shed_overloads = shed_overloads
    return context, met


def programs(samples: int) -> None:
    print("\n== the operator's program: engine vs the full program it replaced ==")
    print(f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"{'scenario':<22}{'programs':>9}{'engine ms':>11}{'full ms':>9}{'ratio':>7}"
          f"{'max rel. objective diff':>25}")  # fmt: skip
    for name in SCENARIOS:
        context, met = met_states(name, samples)
        compiled, cache = context.compiled, context.cache
        engine_s = full_s = 0.0
        worst = 0.0
        for state, outcome in met:
            began = time.perf_counter()
            ours = shed_overloads(compiled, state, outcome, cache)
            engine_s += time.perf_counter() - began
            began = time.perf_counter()
            full = reference_shed(compiled, state, outcome, cache)
            full_s += time.perf_counter() - began
            if ours is not None and full is not None:
                best = objective(compiled, outcome, *full)
                found = objective(compiled, outcome, ours.load_served_mw, ours.unit_p_mw)
                worst = max(worst, abs(found - best) / max(abs(best), 1.0))
        n = max(len(met), 1)
        engine_ms, full_ms = 1000 * engine_s / n, 1000 * full_s / n
        print(f"{Path(name).stem:<22}{len(met):>9}{engine_ms:>11.2f}{full_ms:>9.2f}"
              f"{full_ms / engine_ms:>6.1f}x{worst:>25.1e}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=6, help="samples per replay")
    args = parser.parse_args()
    started = time.perf_counter()
    programs(args.samples)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

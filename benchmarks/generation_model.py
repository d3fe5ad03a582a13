"""Cost of a Monte Carlo sample with the generation, frequency and operator model.

Usage::

    python benchmarks/generation_model.py              # 10 samples per scenario
    python benchmarks/generation_model.py --samples 30

A Monte Carlo sample (:func:`gridmodel.studies.montecarlo.sampling.sample_row`:
strikes, impact, repair tasks, the timeline and its metrics) of the bundled
replays, timed in one process with three variants of each scenario:

``before``
    the model before unit states and frequency: ``[generation] enabled =
    false`` (any headroom answers a loss at once) and the plain trip cascade
    (``[model] overload = "trip"``);
``units``
    unit states, energy limits and the frequency rule (``[generation]``
    defaults), still with the trip cascade;
``model``
    the defaults: the above and ``overload = "operator"`` (trip at once above
    the emergency rating, the operator's program below it).

The variants run interleaved, sample by sample, each with its own prepared
context warmed by one untimed sample. Prints per variant the mean
milliseconds per sample, the engine evaluations per sample and the mean
milliseconds per evaluation, the mean energy not served, and the ratio to
``before`` (target for ``model``: at most 2).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import gridmodel.restoration.evaluations as evaluations_module
from gridmodel.scenario import Scenario, load_scenario
from gridmodel.studies.context import prepare_scenario
from gridmodel.studies.montecarlo.sampling import sample_row

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (
    ("ua-grid 23 Nov", "scenarios/ua-2022-11-23.toml"),
    ("ua-grid 16 Dec", "scenarios/ua-2022-12-16.toml"),
    ("ua-oblasts 16 Dec", "scenarios/ua-oblasts-2022-12-16.toml"),
)


_COUNT = [0]
_EVALUATE = evaluations_module.evaluate


def _counted(*args, **kwargs):  # type: ignore[no-untyped-def]
    """The engine's evaluate, counting the states of the restoration's evaluations."""
    _COUNT[0] += len(args[1])
    return _EVALUATE(*args, **kwargs)


evaluations_module.evaluate = _counted  # type: ignore[assignment]


def variant(scenario: Scenario, *, generation: bool, overload: str) -> Scenario:
    """``scenario`` with the units' model on or off and the given overload handling."""
    return scenario.model_copy(
        update={
            "generation": scenario.generation.model_copy(update={"enabled": generation}),
            "model": scenario.model.model_copy(update={"overload": overload}),
        }
    )


def compare(label: str, path: Path, samples: int) -> float:
    scenario = load_scenario(path)
    variants = {
        "before": variant(scenario, generation=False, overload="trip"),
        "units": variant(scenario, generation=True, overload="trip"),
        "model": variant(scenario, generation=True, overload="operator"),
    }
    contexts = {name: prepare_scenario(s) for name, s in variants.items()}
    seed = int(scenario.seed)
    for context in contexts.values():
        sample_row(context, samples, seed=seed)  # warm-up (numba, caches), not timed
    times: dict[str, list[float]] = {name: [] for name in variants}
    ens: dict[str, list[float]] = {name: [] for name in variants}
    calls = dict.fromkeys(variants, 0)
    for sample in range(samples):
        for name, context in contexts.items():
            before = _COUNT[0]
            began = time.perf_counter()
            row = sample_row(context, sample, seed=seed)
            times[name].append(time.perf_counter() - began)
            ens[name].append(float(row["ens_mwh"]))
            calls[name] += _COUNT[0] - before
    base = statistics.mean(times["before"])
    for name in variants:
        mean = statistics.mean(times[name])
        per_eval = f"{1000 * sum(times[name]) / calls[name]:.2f}" if calls[name] else "-"
        print(
            f"{label:<18} {name:<7} {1000 * mean:>9.0f} {calls[name] / samples:>8.0f} "
            f"{per_eval:>8} {statistics.mean(ens[name]):>14,.0f} {mean / base:>6.2f}x"
        )
    return statistics.mean(times["model"]) / base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    print(
        f"{'scenario':<18} {'variant':<7} {'ms/sample':>9} {'evals':>8} {'ms/eval':>8} "
        f"{'ENS MWh mean':>14} {'ratio':>7}"
    )
    ratios = [compare(label, ROOT / path, args.samples) for label, path in SCENARIOS]
    print(f"largest ratio model / before: {max(ratios):.2f}x (target: at most 2x)")


if __name__ == "__main__":
    main()

"""Cost of a Monte Carlo sample with the restoration model's mechanisms on and off.

Usage::

    python benchmarks/restoration_model.py              # 12 samples per scenario
    python benchmarks/restoration_model.py --samples 40

A Monte Carlo sample (:func:`gridmodel.studies.montecarlo.sampling.sample_row`:
strikes, impact, repair tasks, the 14-day timeline and its metrics) of the
bundled replays, timed in one process with two scenario variants:

``whole``
    the model before partial damage, switching and shared crew work: every
    hit takes the whole substation out until its repair
    (``partial_damage = false``), no switching (``switching.enabled =
    false``), one crew per task (``crews_per_task = 1``), national crews only
    (the replays name no regional crews);
``model``
    the defaults: partial damage, switching, shared tasks, mutual aid.

The two run interleaved, sample by sample, each with its own prepared
context (compiled grid, engine cache) warmed by one untimed sample, so load
on the machine hits both alike. Prints the mean milliseconds per sample and
the ratio ``model / whole`` (target: at most 2), with the mean energy not
served and restoration times of each.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from gridmodel.scenario import Scenario, load_scenario
from gridmodel.studies.context import prepare_scenario
from gridmodel.studies.montecarlo.sampling import sample_row

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (
    ("ua-grid 23 Nov", "scenarios/ua-2022-11-23.toml"),
    ("ua-grid 16 Dec", "scenarios/ua-2022-12-16.toml"),
    ("ua-oblasts 16 Dec", "scenarios/ua-oblasts-2022-12-16.toml"),
)


def whole(scenario: Scenario) -> Scenario:
    """The scenario with the mechanisms of the restoration model turned off."""
    repair = scenario.repair.model_copy(
        update={
            "partial_damage": False,
            "switching": scenario.repair.switching.model_copy(update={"enabled": False}),
            "crews_per_task": 1,
        }
    )
    return scenario.model_copy(update={"repair": repair})


def timed(context, sample: int, seed: int) -> tuple[float, dict]:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    row = sample_row(context, sample, seed=seed)
    return time.perf_counter() - began, row


def compare(label: str, path: Path, samples: int) -> float:
    scenario = load_scenario(path)
    variants = {"whole": whole(scenario), "model": scenario}
    contexts = {name: prepare_scenario(s) for name, s in variants.items()}
    seed = int(scenario.seed)
    for context in contexts.values():
        sample_row(context, samples, seed=seed)  # warm-up (numba, caches), not timed
    times: dict[str, list[float]] = {name: [] for name in variants}
    rows: dict[str, list[dict]] = {name: [] for name in variants}
    for sample in range(samples):
        for name, context in contexts.items():
            wall, row = timed(context, sample, seed)
            times[name].append(wall)
            rows[name].append(row)
    for name in variants:
        ens = statistics.mean(r["ens_mwh"] for r in rows[name])
        r90 = [r["restore_h_90"] for r in rows[name] if r["restore_h_90"] is not None]
        shown = f"{statistics.median(r90):.0f} h" if r90 else "-"
        print(
            f"{label:<18} {name:<6} {1000 * statistics.mean(times[name]):>9.0f} "
            f"{ens:>14,.0f} {shown:>10} {len(r90):>3}/{samples}"
        )
    ratio = statistics.mean(times["model"]) / statistics.mean(times["whole"])
    print(f"{label:<18} ratio model / whole: {ratio:.2f}x (target: at most 2x)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=12)
    args = parser.parse_args()
    print(f"{'scenario':<18} {'model':<6} {'ms/sample':>9} {'ENS MWh mean':>14} {'90 % back':>10}")
    ratios = [compare(label, ROOT / path, args.samples) for label, path in SCENARIOS]
    print(f"largest ratio: {max(ratios):.2f}x (target: at most 2x)")


if __name__ == "__main__":
    main()

"""Comparing repair strategies fairly: same strikes, same durations, paired statistics.

For each Monte Carlo sample ``i`` the strikes are drawn with
``rng_for(seed, i)`` and the repair durations with
``rng_for(seed, i, stream=STREAMS["repairs"])``, once; every strategy then
restores the *same* damage with the *same* task durations (common random
numbers), sharing one cache of engine evaluations. Differences between
strategies are therefore paired per sample, which removes the sample-to-sample
noise from the comparison.

Statistics
----------
For each strategy and metric: the mean over samples and its 95 % confidence
interval (Student t, ``n - 1`` degrees of freedom; a single sample gives a
zero-width interval). For each metric the best strategy is the one with the
lowest mean (every compared metric is "lower is better"); every strategy's
paired difference to it (``x_strategy - x_best`` per sample) gets a mean and
a 95 % interval the same way. Strategies are ranked by mean energy not served
(then customer-hours, then name).

A restoration time that is never reached within the horizon counts as the
horizon (a censored value: the true time is at least that).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gridmodel.engine.compiled import CompiledGrid, compile_grid
from gridmodel.errors import OptionError
from gridmodel.network.grid import Grid
from gridmodel.restoration.metrics import compute_metrics
from gridmodel.restoration.tasks import repair_tasks
from gridmodel.restoration.strategies import check_names, names
from gridmodel.restoration.timeline import options_from_scenario, prepare, run_strategy

#: Metrics compared (all lower is better).
COMPARED: tuple[str, ...] = (
    "ens_mwh",
    "customer_hours",
    "saidi_h",
    "saifi",
    "peak_deficit_mw",
    "restore_50_h",
    "restore_90_h",
    "restore_100_h",
    "critical_ens_mwh",
)
#: Columns of ``comparison.csv``.
COMPARISON_COLUMNS: tuple[str, ...] = (
    "strategy",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "best",
    "diff_to_best",
    "diff_ci_low",
    "diff_ci_high",
    "rank",
)
CONFIDENCE = 0.95


@dataclass(frozen=True, eq=False)
class Comparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    samples
        One row per sample and strategy: the compared metrics, the number of
        tasks and ``damage_key`` (a digest of the sample's hits and task
        durations as the strategy saw them).
    table
        ``comparison.csv``: one row per strategy and metric (:data:`COMPARISON_COLUMNS`).
    ranking
        Strategies in rank order with mean ENS and its interval.
    notes
        Strategies left out and why.
    served
        ``comparison_timeline``: one row per strategy and hour with
        ``served_mw`` and ``demand_mw``, the means over the samples of the
        national totals (the served-load curves of the report).
    """

    samples: pd.DataFrame
    table: pd.DataFrame
    ranking: pd.DataFrame
    notes: tuple[str, ...] = ()
    served: pd.DataFrame | None = None


def compare(
    scenario: Any,
    grid: Grid | None = None,
    *,
    strategies: Sequence[str] | None = None,
    samples: int = 20,
    seed: int | None = None,
    compiled: CompiledGrid | None = None,
) -> Comparison:
    """Run every strategy on the same sampled strikes and durations.

    Parameters
    ----------
    scenario
        The scenario (waves, repair, demand, model options).
    grid
        Its network; loaded from the scenario if not given.
    strategies
        Names to compare; default every registered strategy (``optimal`` is
        then left out, with a note, when a sample is too large for it).
    samples
        Number of Monte Carlo samples (>= 1).
    seed
        Seed of the samples; default the scenario's.
    compiled
        The compiled grid, if already built with the scenario's model options.

    Returns
    -------
    Comparison
    """
    from gridmodel.studies.run import engine_options
    from gridmodel.scenario import load_scenario_grid
    from gridmodel.strikes.realise import STREAMS, plan_strikes, realise_plan, rng_for

    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise OptionError(f"need at least one sample, got {samples!r}", field="samples")
    chosen = check_names(list(strategies)) if strategies is not None else names()
    seed = int(scenario.seed if seed is None else seed)
    grid = grid if grid is not None else load_scenario_grid(scenario)
    compiled = compiled or compile_grid(grid, options=engine_options(scenario.model))
    plan = plan_strikes(scenario, grid)
    options = options_from_scenario(scenario)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    curves: dict[str, pd.DataFrame] = {}  # per strategy: hourly totals summed over samples
    for sample in range(samples):
        damage = realise_plan(plan, rng_for(seed, sample))
        tasks = repair_tasks(
            damage,
            grid,
            options=scenario.repair,
            rng=rng_for(seed, sample, stream=STREAMS["repairs"]),
        )
        problem = prepare(compiled, damage, tasks, options=options)
        for name in list(chosen):
            try:
                timeline = run_strategy(problem, name, wave_times_h=options.wave_times_h or ())
            except OptionError as exc:
                if strategies is not None or name != "optimal":
                    raise
                chosen.remove(name)
                rows = [r for r in rows if r["strategy"] != name]
                curves.pop(name, None)
                notes.append(f"optimal left out: {exc.message}")
                continue
            hourly = timeline.frame.groupby("hour")[["served_mw", "demand_mw"]].sum()
            curves[name] = hourly if name not in curves else curves[name].add(hourly, fill_value=0)
            rows.append(
                {
                    "sample": sample,
                    "strategy": name,
                    "tasks": len(tasks),
                    "damage_key": _damage_key(damage, timeline.tasks),
                    **_compared(compute_metrics(timeline.frame), problem.horizon_h),
                }
            )
    table = pd.DataFrame(rows)
    summary = summarise(table, chosen)
    served = pd.concat(
        [(curves[name] / samples).reset_index().assign(strategy=name) for name in chosen],
        ignore_index=True,
    )[["strategy", "hour", "served_mw", "demand_mw"]]
    return Comparison(table, summary, ranking_of(summary), tuple(notes), served)


def _compared(metrics: Any, horizon_h: float) -> dict[str, float]:
    total = metrics.total
    out = {k: float(total[k]) for k in COMPARED if k in total}
    for key, value in total["restore_h"].items():
        out[f"restore_{key}_h"] = float(horizon_h if value is None else value)
    return {k: out[k] for k in COMPARED}


def _damage_key(damage: Any, tasks: pd.DataFrame) -> str:
    text = ";".join(f"{h.wave}|{h.time_h}|{h.element}|{h.severity:.12g}" for h in damage.hits)
    text += "#" + ";".join(
        f"{e}|{d:.12g}" for e, d in zip(tasks["element"], tasks["duration_h"], strict=True)
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval of ``values``."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    n = len(values)
    if n < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def summarise(samples: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """The comparison table from per-sample metrics (see the module notes)."""
    wide = {
        metric: samples.pivot(index="sample", columns="strategy", values=metric)[list(strategies)]
        for metric in COMPARED
    }
    order = ranking_order({m: w.mean() for m, w in wide.items()}, strategies)
    rows = []
    for metric in COMPARED:
        values = wide[metric]
        means = values.mean()
        best = min(order, key=lambda s: (round(float(means[s]), 9), order.index(s)))
        for name in strategies:
            mean, low, high = mean_ci(values[name].to_numpy())
            d_mean, d_low, d_high = mean_ci((values[name] - values[best]).to_numpy())
            rows.append(
                {
                    "strategy": name,
                    "metric": metric,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "best": best,
                    "diff_to_best": d_mean,
                    "diff_ci_low": d_low,
                    "diff_ci_high": d_high,
                    "rank": order.index(name) + 1,
                }
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def ranking_order(means: dict[str, pd.Series], strategies: Sequence[str]) -> list[str]:
    """Strategies by mean ENS, then mean customer-hours, then name."""
    return sorted(
        strategies,
        key=lambda s: (
            round(float(means["ens_mwh"][s]), 6),
            round(float(means["customer_hours"][s]), 3),
            s,
        ),
    )


def ranking_of(table: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy in rank order: ENS mean, interval and difference to the best."""
    ens = table[table["metric"] == "ens_mwh"].sort_values(["rank", "strategy"])
    columns = ["rank", "strategy", "mean", "ci_low", "ci_high", "diff_to_best"]
    columns += ["diff_ci_low", "diff_ci_high"]
    ranking = ens[columns].rename(
        columns={
            "mean": "ens_mwh",
            "ci_low": "ens_ci_low",
            "ci_high": "ens_ci_high",
            "diff_to_best": "ens_diff_to_best",
        }
    )
    return ranking.reset_index(drop=True)

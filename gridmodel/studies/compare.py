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
a 95 % interval the same way.

Ranks with ties: a strategy's ``rank`` is 1 plus the number of strategies
that are significantly better on energy not served (the 95 % interval of the
paired difference lies above zero, by more than :data:`TIE_MWH`). Strategies
no sample tells apart share a rank: identical results are ties, and so are
differences the samples cannot resolve. Rows are listed by rank, then mean
energy not served, then customer-hours, then name.

A restoration time that is never reached within the horizon counts as the
horizon (a censored value: the true time is at least that).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from gridmodel.contract import (
    COMPARE_KIND,
    COMPARISON_FILE,
    COMPARISON_SAMPLES_FILE,
    COMPARISON_TIMELINE_FILE,
    SCHEMA_VERSION,
    SUMMARY_FILE,
    SummaryJson,
    write_json,
)
from gridmodel.errors import OptionError
from gridmodel.inputs import MAX_COMPARE_SAMPLES, MAX_SEED, check_count
from gridmodel.outputs import atomic_output_dir, safe_csv
from gridmodel.readback import check_written_table
from gridmodel.report import render_report_before_rename
from gridmodel.restoration.metrics import Metrics, compute_metrics
from gridmodel.restoration.strategies import check_names, names
from gridmodel.restoration.timeline import run_strategy
from gridmodel.scenario import Scenario
from gridmodel.strikes import Damage
from gridmodel.studies.context import ScenarioContext, prepare_scenario
from gridmodel.studies.restore import repair_problem, wave_times

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
#: Differences of energy not served below this (MWh) are ties (rounding noise).
TIE_MWH = 1e-6


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
    summary
        ``summary.json`` of the folder: the scenario's title, network, seed,
        samples, strategies, engine options and notes (:func:`compare_summary`).
    """

    samples: pd.DataFrame
    table: pd.DataFrame
    ranking: pd.DataFrame
    notes: tuple[str, ...] = ()
    served: pd.DataFrame | None = None
    summary: dict[str, Any] | None = None

    def write(self, out: str | Path, *, overwrite: bool = False) -> Path:
        """Write ``summary.json``, ``comparison.csv``, ``samples.csv``, the curves
        and ``report.html`` into ``out``, atomically; return ``out``."""
        out = Path(out)
        with atomic_output_dir(out, overwrite=overwrite) as tmp:
            if self.summary is not None:
                write_json(tmp / SUMMARY_FILE, self.summary, shape=SummaryJson)
            check_written_table(self.table, tmp / COMPARISON_FILE)
            safe_csv(self.table, tmp / COMPARISON_FILE)
            safe_csv(self.samples, tmp / COMPARISON_SAMPLES_FILE)
            if self.served is not None:  # served-load curves for the report
                self.served.to_parquet(tmp / COMPARISON_TIMELINE_FILE, index=False)
            render_report_before_rename(tmp, out)  # inside: the folder is complete or absent
        return out


def compare(
    scenario: Scenario,
    *,
    strategies: Sequence[str] | None = None,
    samples: int = 20,
    seed: int | None = None,
) -> Comparison:
    """Run every strategy on the same sampled strikes and durations.

    Parameters
    ----------
    scenario
        The scenario (waves, repair, demand, model options).
    strategies
        Names to compare; default every registered strategy (``optimal`` is
        then left out, with a note, when a sample is too large for it).
    samples
        Number of Monte Carlo samples (>= 1).
    seed
        Seed of the samples; default the scenario's.

    Returns
    -------
    Comparison
        Its tables are DataFrames; :meth:`Comparison.write` writes them.

    Raises
    ------
    OptionError
        Samples outside 1 to 10,000, a bad seed or an unknown strategy name.
    """
    check_count(samples, field="samples", high=MAX_COMPARE_SAMPLES)
    if seed is not None:
        check_count(seed, field="seed", low=0, high=MAX_SEED)
    chosen = check_names(list(strategies)) if strategies is not None else names()
    seed = int(scenario.seed if seed is None else seed)
    context = prepare_scenario(scenario)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    curves: dict[str, pd.DataFrame] = {}  # per strategy: hourly totals summed over samples
    for sample in range(samples):
        damage = context.damage(sample, seed=seed)
        for name, hourly, row in _strategies_of(
            context, damage, sample, seed, chosen, fixed=strategies is not None, notes=notes
        ):
            curves[name] = hourly if name not in curves else curves[name].add(hourly, fill_value=0)
            rows.append(row)
    rows = [r for r in rows if r["strategy"] in chosen]
    table = pd.DataFrame(rows)
    summary = summarise(table, chosen)
    served = pd.concat(
        [(curves[name] / samples).reset_index().assign(strategy=name) for name in chosen],
        ignore_index=True,
    )[["strategy", "hour", "served_mw", "demand_mw"]]
    about = compare_summary(context, seed=seed, samples=samples, strategies=chosen, notes=notes)
    return Comparison(table, summary, ranking_of(summary), tuple(notes), served, about)


def compare_summary(
    context: ScenarioContext,
    *,
    seed: int,
    samples: int,
    strategies: Sequence[str],
    notes: Sequence[str],
) -> dict[str, Any]:
    """The ``summary.json`` of a compare folder: what was compared, on what.

    ``scenario`` is the scenario's title (the report's title), as in a run's
    summary; no timestamps or paths, so the same scenario and seed give the
    same bytes.
    """
    model = context.scenario.model
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": COMPARE_KIND,
        "scenario": context.scenario.title,
        "network": context.grid.name,
        "seed": int(seed),
        "samples": int(samples),
        "strategies": list(strategies),
        "options": {
            "mode": model.mode,
            "overload": model.overload,
            "ratings": model.ratings,
            "overload_limit_percent": float(model.overload_limit_percent),
            "ac_backend": model.ac_backend,
        },
        "notes": list(notes),
    }


def _strategies_of(
    context: ScenarioContext,
    damage: Damage,
    sample: int,
    seed: int,
    chosen: list[str],
    *,
    fixed: bool,
    notes: list[str],
) -> list[tuple[str, pd.DataFrame, dict[str, Any]]]:
    """Each chosen strategy's hourly totals and metrics row on one sample.

    A strategy the caller did not ask for by name (``optimal``) that refuses
    the sample is dropped from ``chosen`` with a note.
    """
    scenario = context.scenario
    tasks = context.tasks(damage, sample, seed=seed)
    problem = repair_problem(context, damage, tasks)
    out = []
    for name in list(chosen):
        try:
            timeline = run_strategy(problem, name, wave_times_h=wave_times(scenario))
        except OptionError as exc:
            if fixed or name != "optimal":
                raise
            chosen.remove(name)
            notes.append(f"optimal left out: {exc.message}")
            continue
        hourly = timeline.frame.groupby("hour")[["served_mw", "demand_mw"]].sum()
        row = {
            "sample": sample,
            "strategy": name,
            "tasks": len(tasks),
            "damage_key": _damage_key(damage, timeline.tasks),
            **_compared(compute_metrics(timeline.frame), problem.horizon_h),
        }
        out.append((name, hourly, row))
    return out


def _compared(metrics: Metrics, horizon_h: float) -> dict[str, float]:
    total = metrics.total
    out = {k: float(total[k]) for k in COMPARED if k in total}
    for key, value in total["restore_h"].items():
        out[f"restore_{key}_h"] = float(horizon_h if value is None else value)
    return {k: out[k] for k in COMPARED}


def _damage_key(damage: Damage, tasks: pd.DataFrame) -> str:
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
    rank = tied_ranks(wide["ens_mwh"], order)
    rows = []
    for metric in COMPARED:
        values = wide[metric]
        means = values.mean()
        best = min(order, key=lambda s: (round(float(means[s]), 9), order.index(s)))
        for name in order:
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
                    "rank": rank[name],
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


def tied_ranks(values: pd.DataFrame, order: Sequence[str]) -> dict[str, int]:
    """1 + the number of strategies significantly better than each (see the module notes)."""
    rank = {}
    for name in order:
        better = 0
        for other in order:
            if other != name:
                _, low, _ = mean_ci((values[name] - values[other]).to_numpy())
                better += low > TIE_MWH
        rank[name] = better + 1
    return rank


def ranking_of(table: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy in rank order: ENS mean, interval and difference to the best."""
    ens = table[table["metric"] == "ens_mwh"]
    order = {name: k for k, name in enumerate(table["strategy"].drop_duplicates())}
    ens = ens.assign(_order=ens["strategy"].map(order)).sort_values(["rank", "_order"])
    ens = ens.drop(columns="_order")
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

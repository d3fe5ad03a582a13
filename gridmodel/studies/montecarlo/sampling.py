"""One Monte Carlo sample, and one chunk of them, as a small Arrow table.

Sample ``i`` of a scenario draws its salvoes and hits with
:func:`gridmodel.strikes.realise.rng_for` ``(seed, i)`` and evaluates the grid right
after the first wave (the same state as ``gridmodel run``): at the demand of
the strike's hour (``load_mw`` ... ``customers_off``, like ``impact`` of a
run's ``summary.json``) and at the network's peak demand (``peak_load_mw``,
``peak_unserved_mw``, ``peak_customers_off``, like ``impact_at_peak``). Its
row depends only on the scenario, the seed and ``i``: never on the worker,
the chunk size or the order in which chunks run.

A worker compiles the grid once (per process and thread) and keeps it in a
small cache keyed by the scenario's fingerprint, so a chunk task carries only
the scenario (a few kB) and a sample range.

With ``timeline`` (the default) each sample also plays out its repairs
(durations from the sample's ``repairs`` stream) and the row carries the
restoration metrics (:func:`timeline_metrics`); without it, impact only
(a few hundred times faster).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from gridmodel.contract import round_mw
from gridmodel.engine import CompiledGrid
from gridmodel.engine.figures import totals
from gridmodel.scenario import Scenario
from gridmodel.strikes import Damage
from gridmodel.studies.context import ScenarioContext, prepare_scenario
from gridmodel.studies.impact import Impact, impacts_of
from gridmodel.studies.restore import carried_waves, restore
from gridmodel.studies.strike_hour import strike_hour
from gridmodel.studies.workers import WORKER_MEMO

#: Impact columns of every sample row, with their Arrow types (in order).
IMPACT_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("sample", pa.int64()),
    ("seed", pa.int64()),
    ("missiles", pa.int64()),
    ("intercepted", pa.int64()),
    ("hits", pa.int64()),
    ("damaged", pa.int64()),
    ("load_mw", pa.float64()),
    ("unserved_mw", pa.float64()),
    ("dark_mw", pa.float64()),
    ("shed_mw", pa.float64()),
    ("critical_unserved_mw", pa.float64()),
    ("customers_off", pa.int64()),
    ("peak_load_mw", pa.float64()),
    ("peak_unserved_mw", pa.float64()),
    ("peak_customers_off", pa.int64()),
    ("tripped", pa.int64()),
    ("islands", pa.int64()),
    ("converged", pa.bool_()),
)

#: Columns that ``summary.json`` gives quantiles for (plus any metric column).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "unserved_mw",
    "customers_off",
    "peak_unserved_mw",
    "peak_customers_off",
    "dark_mw",
    "shed_mw",
    "critical_unserved_mw",
    "tripped",
    "hits",
)


def fingerprint(scenario: Scenario) -> str:
    """SHA-256 of the scenario's content (seed excluded) and file.

    Scenarios that differ only in their seed share a compiled grid and strike plan.
    """
    file = scenario.file
    where = "" if file is None else str(Path(file).resolve())
    text = scenario.model_copy(update={"seed": 0}).model_dump_json() + "\0" + where
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_context(scenario: Scenario) -> ScenarioContext:
    """:func:`~gridmodel.studies.context.prepare_scenario`, kept per process and thread
    by :func:`fingerprint` (:data:`~gridmodel.studies.workers.WORKER_MEMO`)."""
    return WORKER_MEMO.get(
        ("montecarlo", fingerprint(scenario)), lambda: prepare_scenario(scenario)
    )


def sample_row(
    context: ScenarioContext, sample: int, *, seed: int, timeline: bool = True
) -> dict[str, Any]:
    """The row of sample ``sample``: strikes drawn with ``rng_for(seed, sample)``, then impact.

    ``seed`` is passed explicitly: the context is shared by scenarios that
    differ only in their seed.

    The impact columns are at the demand of the strike's hour, the
    ``peak_*`` columns at the network's peak demand: ``impact`` and
    ``impact_at_peak`` of ``gridmodel run`` for the same sample. MW figures
    are rounded to 1e-6 MW and customers to whole customers, as there. With
    ``timeline``, the row also carries the restoration metrics
    (:func:`timeline_metrics`).
    """
    [row] = sample_rows(context, [sample], seed=seed, timeline=timeline)
    return row


def sample_rows(
    context: ScenarioContext, samples: Sequence[int], *, seed: int, timeline: bool = True
) -> list[dict[str, Any]]:
    """:func:`sample_row` of every sample in ``samples``, the hits of all of them
    evaluated in one engine batch (a row does not depend on the others)."""
    compiled = context.compiled
    damages = [context.damage(sample, seed=seed) for sample in samples]
    carried = carried_waves(context.scenario)
    outs = [damage.first_wave_out(carried) for damage in damages]
    strike = context.derived("strike_hour", strike_hour)
    impacts = impacts_of(compiled, outs, cache=context.cache, demand_mw=strike.demand_mw)
    if np.array_equal(strike.demand_mw, compiled.load_p_mw):  # a strike at the peak
        peaks = impacts
    else:
        peaks = impacts_of(compiled, outs, cache=context.cache)
    rows = []
    for sample, damage, impact, peak in zip(samples, damages, impacts, peaks, strict=True):
        row = _impact_row(compiled, sample, seed, damage, impact, peak)
        if timeline:
            row.update(timeline_metrics(context, damage, sample=sample, seed=seed))
        rows.append(row)
    return rows


def _impact_row(
    compiled: CompiledGrid,
    sample: int,
    seed: int,
    damage: Damage,
    impact: Impact,
    at_peak: Impact,
) -> dict[str, Any]:
    """The impact columns of a sample row."""
    figures = totals(compiled, impact.outcome, regions=impact.figures)
    peak = at_peak.to_dict()
    return {
        "sample": int(sample),
        "seed": int(seed),
        "missiles": int(damage.missiles),
        "intercepted": int(damage.intercepted),
        "hits": len(damage.hits),
        "damaged": len(damage.damaged()),
        **{key: round_mw(float(figures[key])) for key in MW_COLUMNS},
        "customers_off": round(float(figures["customers_off"])),
        "peak_load_mw": round_mw(float(peak["load_mw"])),
        "peak_unserved_mw": round_mw(float(peak["unserved_mw"])),
        "peak_customers_off": round(float(peak["customers_off"])),
        "tripped": int(figures["tripped"]),
        "islands": int(figures["islands"]),
        "converged": bool(figures["converged"]),
    }


#: The MW columns of a sample row.
MW_COLUMNS = ("load_mw", "unserved_mw", "dark_mw", "shed_mw", "critical_unserved_mw")


#: Metric columns of a sample row when the timeline runs (``restore_h_*`` and
#: ``caidi_h`` are null when undefined: not restored within the horizon, or
#: nobody interrupted).
METRIC_COLUMNS: tuple[str, ...] = (
    "ens_mwh",
    "customer_hours",
    "saidi_h",
    "saifi",
    "caidi_h",
    "peak_deficit_mw",
    "restore_h_50",
    "restore_h_90",
    "restore_h_100",
    "critical_ens_mwh",
    "critical_outage_h",
    "depth",
    "area_h",
)


def timeline_metrics(
    context: ScenarioContext, damage: Damage, *, sample: int, seed: int
) -> dict[str, float | None]:
    """Restoration metrics of one sample: repair tasks, hourly timeline, metrics.

    The same stage as ``gridmodel run`` (:func:`gridmodel.studies.restore.restore`,
    repair durations from the sample's ``repairs`` stream), reduced to the
    scalar figures of :data:`METRIC_COLUMNS`; rounded to 1e-6.
    """
    restoration = restore(context, damage, sample=sample, seed=seed)
    total = restoration.metrics.total
    back = total.get("restore_h") or {}
    trapezoid = total.get("trapezoid") or {}
    values: dict[str, Any] = {
        "ens_mwh": total.get("ens_mwh"),
        "customer_hours": total.get("customer_hours"),
        "saidi_h": total.get("saidi_h"),
        "saifi": total.get("saifi"),
        "caidi_h": total.get("caidi_h"),
        "peak_deficit_mw": total.get("peak_deficit_mw"),
        "restore_h_50": back.get("50"),
        "restore_h_90": back.get("90"),
        "restore_h_100": back.get("100"),
        "critical_ens_mwh": total.get("critical_ens_mwh"),
        "critical_outage_h": total.get("critical_outage_h"),
        "depth": trapezoid.get("depth"),
        "area_h": trapezoid.get("area_h"),
    }
    return {key: None if v is None else round_mw(v) for key, v in values.items()}


def evaluate_chunk(scenario: Scenario, start: int, stop: int, *, timeline: bool = True) -> pa.Table:
    """Rows of samples ``start`` (inclusive) to ``stop`` (exclusive), as an Arrow table.

    A top-level function so process pools and Dask can ship it; the grid is
    compiled once per worker (:func:`cached_context`).
    """
    context = cached_context(scenario)
    seed = int(scenario.seed)
    rows = sample_rows(context, range(start, stop), seed=seed, timeline=timeline)
    return rows_table(rows, timeline=timeline)


def rows_table(rows: list[dict[str, Any]], *, timeline: bool = True) -> pa.Table:
    """An Arrow table of sample rows: impact columns (fixed types), then metrics (float64)."""
    fields = [pa.field(name, kind) for name, kind in IMPACT_FIELDS]
    if timeline:
        fields += [pa.field(name, pa.float64()) for name in METRIC_COLUMNS]
    schema = pa.schema(fields)
    columns = {f.name: [row[f.name] for row in rows] for f in fields}
    return pa.table(columns, schema=schema)

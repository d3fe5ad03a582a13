"""The top of a report page: the headline cards and the sentences under the title.

Every card names the time its number holds at: the impact at the strike's
hour ("at the strike, 07:00") with the same damage at the day's peak demand
beside it ("at the 17:00 peak"), and the worst hour of the timeline with its
date and time. Restoration times say what they count.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from gridmodel.report.labels import (
    count,
    draw_sentence,
    peak_label,
    restore_label,
    strike_label,
    strikes_sentence,
)
from gridmodel.report.run_folder import RunFolder
from gridmodel.report.timeline_charts import total_timeline

Card = tuple[str, str, str]


def headline_cards(run: RunFolder) -> list[Card]:
    """The headline numbers: (label, value, note) each.

    MW and customers off at the strike (the peak figures in the note), MW
    off at the worst hour of the timeline, energy not served, hours until
    90 % of demand is served again and stays served (with the ends of the
    network outages and of the supply shortage), and the repair strategy;
    for a Monte Carlo folder, the median and 95th percentile of MW off.
    """
    summary = run.summary or {}
    impact = summary.get("impact") or {}
    peak = summary.get("impact_at_peak") or {}
    metrics = summary.get("metrics") or {}
    cards: list[Card] = []
    at_strike, at_peak = strike_label(summary), peak_label(summary)
    if impact.get("unserved_mw") is not None:
        note = f"unserved {at_strike}"
        if peak.get("unserved_mw") is not None:
            note += f"; {float(peak['unserved_mw']):,.0f} MW {at_peak}"
        cards.append(("MW off at the strike", f"{float(impact['unserved_mw']):,.0f} MW", note))
    if impact.get("customers_off") is not None:
        note = at_strike
        if peak.get("customers_off") is not None:
            note += f"; {count(peak['customers_off'])} {at_peak}"
        cards.append(("customers off at the strike", count(impact["customers_off"]), note))
    cards += _worst_hour_cards(run, with_impact=bool(cards))
    if metrics.get("ens_mwh") is not None:
        cards.append(("energy not served", f"{float(metrics['ens_mwh']):,.0f} MWh", over(run)))
    restore = (metrics.get("restore_h") or {}).get("90", "missing") if metrics else "missing"
    if restore != "missing":
        value = beyond(run) if restore is None else f"{float(restore):,.0f} h"
        cards.append(("to 90 % restored", value, _restore_note(metrics, beyond(run))))
    if run.samples is not None and not impact and len(run.samples):
        cards += _sample_cards(run.samples)
    strategy = summary.get("strategy")
    if strategy:
        cards.append(("repair strategy", str(strategy), "crews take tasks in this order"))
    elif run.comparison is not None:
        number = run.comparison["strategy"].nunique()
        cards.append(("strategies compared", f"{number}", "see the comparison below"))
    return cards


def _sample_cards(samples: pd.DataFrame) -> list[Card]:
    """Median and 95th percentile of MW off at the strike over Monte Carlo samples,
    with the same figures at peak demand in the notes (when the samples have them)."""
    cards = []
    for label, q, note in (
        ("median MW off at the strike", 0.5, f"over {len(samples):,} samples"),
        ("1 in 20 worst, at the strike", 0.95, "95th percentile of samples"),
    ):
        value = np.quantile(samples["unserved_mw"].to_numpy(dtype=float), q)
        if "peak_unserved_mw" in samples.columns:
            at_peak = np.quantile(samples["peak_unserved_mw"].to_numpy(dtype=float), q)
            note += f"; {at_peak:,.0f} MW at peak demand"
        cards.append((label, f"{value:,.0f} MW", note))
    return cards


def _worst_hour_cards(run: RunFolder, *, with_impact: bool) -> list[Card]:
    """MW off at the timeline's worst hour (and customers, when there is no impact)."""
    if run.timeline is None or not len(run.timeline):
        return []
    total = total_timeline(run.timeline)
    if "unserved_mw" not in total.columns:
        total["unserved_mw"] = total["demand_mw"] - total["served_mw"]
    row = total.iloc[int(total["unserved_mw"].to_numpy().argmax())]
    when = f"worst hour: {_when(row['time'])}" if "time" in total.columns else ""
    when = when or f"worst hour: {row['hour']} h after the strike"
    cards = [("MW off at the worst hour", f"{float(row['unserved_mw']):,.0f} MW", when)]
    if not with_impact and "customers_off" in total.columns:
        cards.append(("customers off at the worst hour", count(row["customers_off"]), when))
    return cards


def over(run: RunFolder) -> str:
    """The span a total covers: ``over the 168 h simulated`` (the timeline's hours)."""
    hours = None if run.timeline is None else pd.to_numeric(run.timeline["hour"]).max()
    if hours is None or pd.isna(hours):
        return "whole horizon"
    return f"over the {int(hours) + 1:,} h simulated"


def beyond(run: RunFolder) -> str:
    """A time not reached: ``not within the 168 h simulated`` (the timeline's hours)."""
    hours = None if run.timeline is None else pd.to_numeric(run.timeline["hour"]).max()
    if hours is None or pd.isna(hours):
        return "not within the horizon"
    return f"not within the {int(hours) + 1:,} h simulated"


def _restore_note(metrics: dict, beyond: str) -> str:
    """The meaning of the 90 % figure, and when network outages and the shortage end."""
    note = restore_label("90")
    for key, words in (
        ("network_restored_h", "network outages end"),
        ("supply_restored_h", "supply shortage ends"),
    ):
        if key in metrics:
            value = metrics[key]
            at = beyond if value is None else f"at {float(value):,.0f} h"
            note += f"; {words} {at}"
    return note


def header_notes_html(run: RunFolder) -> str:
    """The sentences under the title: the strikes reconciled, and one draw of a random run."""
    summary = run.summary or {}
    texts = [strikes_sentence(summary.get("strikes") or {}), draw_sentence(summary)]
    return "".join(f"<p class='sub'>{escape(t)}</p>" for t in texts if t)


def _when(value: object) -> str:
    """A timeline time as "16 Dec 2022 19:00" (the text itself if it is not a time)."""
    try:
        return pd.Timestamp(str(value)).strftime("%d %b %Y %H:%M")
    except (ValueError, TypeError):
        return str(value)

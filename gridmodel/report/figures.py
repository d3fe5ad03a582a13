"""The report's charts: pure functions from run tables to plotly figures.

Every function takes plain data (dicts from ``summary.json``, DataFrames from
the run folder) and returns a :class:`plotly.graph_objects.Figure`; nothing
here reads files or writes HTML. Every name that comes from a file (region,
substation, strategy, group) is HTML-escaped before it enters a figure:
plotly renders a small HTML subset in labels and shows ``&lt;`` as ``<``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gridmodel.report.labels import (
    NETWORK_RESTORED,
    SUPPLY_RESTORED,
    peak_label,
    restore_label,
    strike_label,
)
from gridmodel.report.network_map import network_map
from gridmodel.report.schedule_chart import schedule_chart, schedule_hours
from gridmodel.report.timeline_charts import (
    restoration_curve,
    strategy_comparison,
    strategy_rows,
    total_timeline,
    wall_clock_ms,
)

__all__ = [
    "blackout_ccdf",
    "cascade_steps",
    "ccdf_points",
    "impact_by_region",
    "metrics_rows",
    "metrics_table",
    "network_map",
    "restoration_curve",
    "schedule_chart",
    "schedule_hours",
    "strategy_comparison",
    "strategy_rows",
    "total_timeline",
    "wall_clock_ms",
]

_LOST = "#d7191c"


def impact_by_region(by_region: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Horizontal bars of unserved MW and customers off per region.

    Parameters
    ----------
    by_region
        ``summary["impact"]["by_region"]``: dicts with ``region``,
        ``load_mw``, ``unserved_mw``, ``customers_off``.

    Returns
    -------
    plotly.graph_objects.Figure
        Left panel: ``"unserved MW"`` and ``"served MW"`` bars (stacked to the
        region's load); right panel: ``"customers off"``. Regions that lost
        load, largest loss on top (all regions if none lost any).
    """
    rows = [r for r in by_region if float(r.get("unserved_mw") or 0.0) > 0] or list(by_region)
    rows = sorted(rows, key=lambda r: float(r.get("unserved_mw") or 0.0))
    names = [escape(str(r["region"])) for r in rows]
    lost = [float(r.get("unserved_mw") or 0.0) for r in rows]
    served = [max(float(r.get("load_mw") or 0.0) - x, 0.0) for r, x in zip(rows, lost, strict=True)]
    customers = [round(float(r.get("customers_off") or 0)) for r in rows]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=("load lost (MW)", "customers without power"),
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=lost,
            orientation="h",
            name="unserved MW",
            marker_color=_LOST,
            hovertemplate="%{y}: %{x:,.0f} MW unserved<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=served,
            orientation="h",
            name="served MW",
            marker_color="#bdbdbd",
            hovertemplate="%{y}: %{x:,.0f} MW still served<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=customers,
            orientation="h",
            name="customers off",
            marker_color="#525252",
            hovertemplate="%{y}: %{x:,} customers off<extra></extra>",
        ),
        row=1,
        col=2,
    )
    fig.update_layout(
        barmode="stack",
        height=max(260, 26 * len(rows) + 120),
        legend={"orientation": "h", "y": -0.08},
        margin={"l": 140, "r": 20, "t": 40, "b": 40},
    )
    return fig


def cascade_steps(
    tripped: Sequence[Mapping[str, Any]],
    *,
    branch_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """The overload cascade: branches tripped per step and their loading when they tripped.

    Parameters
    ----------
    tripped
        ``summary["impact"]["tripped_branches"]``: dicts with ``element``,
        ``index``, ``step`` and ``loading_percent``.
    branch_names
        Optional label per ``"kind:index"`` (for example the end substations).

    Returns
    -------
    plotly.graph_objects.Figure
        A ``"branches tripped"`` bar per step (y: count) and a
        ``"loading when tripped"`` marker trace (secondary axis, %).
    """
    names = branch_names or {}
    steps = sorted({int(t["step"]) for t in tripped})
    counts = [sum(1 for t in tripped if int(t["step"]) == s) for s in steps]
    labels = []
    for t in tripped:
        key = f"{t['element']}:{t['index']}"
        extra = names.get(key)
        labels.append(escape(key) + (f" ({escape(extra)})" if extra else ""))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=steps,
            y=counts,
            name="branches tripped",
            marker_color="#c51b7d",
            opacity=0.45,
            hovertemplate="step %{x}: %{y} branches tripped<extra></extra>",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=[int(t["step"]) for t in tripped],
            y=[float(t.get("loading_percent") or 0.0) for t in tripped],
            mode="markers",
            name="loading when tripped",
            marker={"color": "#7a0177", "size": 9, "symbol": "x"},
            text=labels,
            hovertemplate="step %{x}: %{text} tripped at %{y:.0f} %<extra></extra>",
        ),
        secondary_y=True,
    )
    fig.update_xaxes(title_text="cascade step", dtick=1)
    fig.update_yaxes(
        title_text="branches tripped",
        secondary_y=False,
        rangemode="tozero",
        tickformat=",d",  # whole branches: no 0.5 tick on a single trip
        dtick=max(1, -(-max(counts, default=1) // 5)),
    )
    fig.update_yaxes(title_text="loading when tripped (%)", secondary_y=True, rangemode="tozero")
    fig.update_layout(height=360, legend={"orientation": "h", "y": -0.2})
    return fig


def ccdf_points(sizes: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complementary CDF of blackout sizes: ``x`` (distinct sizes > 0) and P(size ≥ x).

    Probabilities are over all samples, including those without a blackout.
    """
    values = np.asarray(sizes, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    positive = np.sort(values[values > 0])
    if n == 0 or len(positive) == 0:
        return np.array([]), np.array([])
    x = np.unique(positive)
    at_least = len(positive) - np.searchsorted(positive, x, side="left")
    return x, at_least / n


def blackout_ccdf(sizes_mw: Sequence[float] | np.ndarray) -> go.Figure:
    """Log-log complementary CDF of the unserved load over Monte Carlo samples.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``"samples"`` trace (x: MW, y: P(unserved ≥ x)) on log axes.
    """
    x, y = ccdf_points(sizes_mw)
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            name="samples",
            line={"shape": "hv"},
            marker={"size": 4, "color": _LOST},
            hovertemplate="P(unserved ≥ %{x:,.0f} MW) = %{y:.3g}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"type": "log", "title": {"text": "unserved load (MW)"}},
        yaxis={"type": "log", "title": {"text": "probability of at least this much"}},
        height=380,
    )
    return fig


def metrics_rows(
    summary: Mapping[str, Any], *, beyond: str = "not within the horizon"
) -> list[tuple[str, str]]:
    """Label and formatted value of every headline quantity of a run.

    Impact figures name their time (at the strike's hour, and at the day's
    peak demand); restoration times say what they count; customers are whole.
    """
    impact = summary.get("impact") or {}
    peak = summary.get("impact_at_peak") or {}
    metrics = summary.get("metrics") or {}
    restore = metrics.get("restore_h") or {}
    strikes = summary.get("strikes") or {}
    at_strike, at_peak = strike_label(summary), peak_label(summary)
    wanted: list[tuple[str, Any, str]] = [
        (f"load {at_strike} (MW)", impact.get("load_mw"), "{:,.0f}"),
        (f"unserved {at_strike} (MW)", impact.get("unserved_mw"), "{:,.0f}"),
        ("  of which in dark areas (MW)", impact.get("dark_mw"), "{:,.0f}"),
        ("  of which shed in energised areas (MW)", impact.get("shed_mw"), "{:,.0f}"),
        (f"critical load unserved {at_strike} (MW)", impact.get("critical_unserved_mw"), "{:,.0f}"),
        (f"customers without power {at_strike}", _whole(impact.get("customers_off")), "{:,}"),
        (f"load {at_peak} (MW)", peak.get("load_mw"), "{:,.0f}"),
        (f"unserved {at_peak} (MW)", peak.get("unserved_mw"), "{:,.0f}"),
        (f"customers without power {at_peak}", _whole(peak.get("customers_off")), "{:,}"),
        (
            "islands (energised)",
            _pair(impact.get("islands"), impact.get("energized_islands")),
            "{}",
        ),
        ("branches tripped in the cascade", _count(impact.get("tripped_branches")), "{}"),
        (
            "missiles (intercepted)",
            _pair(strikes.get("missiles"), strikes.get("intercepted")),
            "{}",
        ),
        ("hits", _count(strikes.get("hits")), "{}"),
        ("energy not served (MWh)", metrics.get("ens_mwh"), "{:,.0f}"),
        ("customer-hours without power", metrics.get("customer_hours"), "{:,.0f}"),
        ("energy not served to critical loads (MWh)", metrics.get("critical_ens_mwh"), "{:,.0f}"),
        ("hours with critical load unserved", metrics.get("critical_outage_h"), "{:,.0f}"),
        ("SAIDI (h per customer)", metrics.get("saidi_h"), "{:,.2f}"),
        ("SAIFI (interruptions per customer)", metrics.get("saifi"), "{:,.3f}"),
        ("CAIDI (h per interruption)", metrics.get("caidi_h"), "{:,.2f}"),
        ("peak deficit (MW)", metrics.get("peak_deficit_mw"), "{:,.0f}"),
    ]
    timed = [(restore_label(k), restore, k) for k in ("50", "90", "100") if restore]
    timed += [
        (NETWORK_RESTORED, metrics, "network_restored_h"),
        (SUPPLY_RESTORED, metrics, "supply_restored_h"),
    ]
    rows = []
    for label, value, fmt in wanted:
        if value is not None:
            rows.append(
                (label, fmt.format(value) if isinstance(value, int | float) else str(value))
            )
    for label, source, key in timed:
        if key in source:  # null: not within the horizon
            value = source[key]
            rows.append((label, beyond if value is None else f"{value:,.1f}"))
    return rows


def _whole(value: Any) -> int | None:
    """A count of customers rounded once, here at output (``None`` stays ``None``)."""
    return None if value is None else round(float(value))


def metrics_table(
    summary: Mapping[str, Any], *, beyond: str = "not within the horizon"
) -> go.Figure:
    """Table of :func:`metrics_rows` (``go.Table``, two columns); ``beyond`` is the
    text of a time not reached (``not within the 336 h simulated``)."""
    rows = metrics_rows(summary, beyond=beyond)
    fig = go.Figure(
        go.Table(
            columnwidth=[3, 1],
            header={
                "values": ["<b>quantity</b>", "<b>value</b>"],
                "align": "left",
                "fill_color": "#f0f0f0",
            },
            cells={
                "values": [[escape(r[0]) for r in rows], [escape(r[1]) for r in rows]],
                "align": ["left", "right"],
                "height": 24,
            },
        )
    )
    fig.update_layout(height=60 + 26 * len(rows), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def _pair(a: Any, b: Any) -> str | None:
    if a is None:
        return None
    return f"{a:,} ({b:,})" if b is not None else f"{a:,}"


def _count(items: Any) -> int | None:
    return None if items is None else len(items)

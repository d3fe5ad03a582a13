"""Sections of the compare and Monte Carlo pages: the ranking and the distributions.

Pure functions from the folder's tables to HTML text or plotly figures; the
page (:mod:`~gridmodel.report.render`) decides where they go.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gridmodel.report.page import table_html
from gridmodel.report.sample_rank import compare_words, montecarlo_words
from gridmodel.report.timeline_charts import strategy_rows

#: Sample columns whose spread the Monte Carlo page shows: (column, title, unit).
DISTRIBUTIONS: tuple[tuple[str, str, str], ...] = (
    ("unserved_mw", "MW off at the strike", "MW"),
    ("customers_off", "customers off at the strike", "customers"),
    ("ens_mwh", "energy not served over the horizon", "MWh"),
)
#: Sample columns given in words only: the same damage at peak demand.
AT_PEAK: tuple[tuple[str, str, str], ...] = (
    ("peak_unserved_mw", "MW off at peak demand", "MW"),
    ("peak_customers_off", "customers off at peak demand", "customers"),
)
#: Sample columns by which sample 0 is placed among the samples: (column, in words).
PLACED_BY: tuple[tuple[str, str], ...] = (
    ("ens_mwh", "energy not served"),
    ("unserved_mw", "MW off at the strike"),
)


def ranking_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Strategies by rank with mean energy not served, its 95 % interval and ties.

    Returns
    -------
    pandas.DataFrame
        Columns ``rank``, ``strategy``, ``mean ENS (MWh)``, ``95 % interval
        (MWh)`` and ``tied with`` (the strategies sharing the rank: the
        samples cannot tell them apart), best first.
    """
    rows = strategy_rows(comparison)
    ens = rows[rows["metric"] == "ens_mwh"].copy()
    if "rank" not in ens.columns or ens["rank"].isna().any():  # a rank left empty: from the means
        ens["rank"] = ens["mean"].rank(method="min")
    ens = ens.sort_values(["rank", "mean"], kind="stable")
    out = []
    for row in ens.to_dict("records"):
        name = str(row["strategy"])
        tied = [str(s) for s in ens.loc[ens["rank"] == row["rank"], "strategy"] if s != name]
        low, high = float(row["ci_low"]), float(row["ci_high"])
        out.append(
            {
                "rank": int(row["rank"]),
                "strategy": name,
                "mean ENS (MWh)": f"{float(row['mean']):,.0f}",
                "95 % interval (MWh)": f"{low:,.0f} to {high:,.0f}",
                "tied with": ", ".join(tied) or "—",
            }
        )
    return pd.DataFrame(out)


def ranking_html(comparison: pd.DataFrame, *, samples: pd.DataFrame | None = None) -> str:
    """:func:`ranking_table` as an HTML table (empty text without ENS rows), and
    where sample 0 ranks among each strategy's ``samples`` (``samples.csv``)."""
    table = ranking_table(comparison)
    html = table_html(table) if len(table) else ""
    words = "" if samples is None else compare_words(samples, list(table.get("strategy", [])))
    return html + (f'<p class="draw">{escape(words)}</p>' if words else "")


def percentiles_text(values: np.ndarray, unit: str) -> str:
    """Median, 1-in-20 and worst of a sample column, in words."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return ""
    median, p95 = np.quantile(values, 0.5), np.quantile(values, 0.95)
    return (
        f"Half of the {len(values):,} samples are at or below {median:,.0f} {unit}; "
        f"one in 20 reaches {p95:,.0f} {unit} or more (95th percentile); "
        f"the worst sample {values.max():,.0f} {unit}."
    )


def distributions_html(samples: pd.DataFrame) -> str:
    """One paragraph of :func:`percentiles_text` per column of :data:`DISTRIBUTIONS`
    and :data:`AT_PEAK`, and where sample 0 ranks (:data:`PLACED_BY`)."""
    items = []
    for column, title, unit in (*DISTRIBUTIONS, *AT_PEAK):
        if column in samples.columns:
            values = pd.to_numeric(samples[column], errors="coerce").to_numpy(dtype=float)
            text = percentiles_text(values, unit)
            if text:
                items.append(f"<li><strong>{escape(title)}</strong>: {escape(text)}</li>")
    words = montecarlo_words(samples, PLACED_BY)
    draw = f'<p class="draw">{escape(words)}</p>' if words else ""
    return (f'<ul class="spread">{"".join(items)}</ul>' if items else "") + draw


def distributions(samples: pd.DataFrame) -> go.Figure:
    """Histograms of the :data:`DISTRIBUTIONS` columns the samples have, stacked.

    Each panel marks the median (solid) and the 95th percentile (dashed).
    """
    shown = [d for d in DISTRIBUTIONS if d[0] in samples.columns]
    fig = make_subplots(
        rows=max(len(shown), 1),
        cols=1,
        vertical_spacing=0.16,
        subplot_titles=[f"{title} ({unit})" for _, title, unit in shown],
    )
    for number, (column, title, unit) in enumerate(shown, start=1):
        values = pd.to_numeric(samples[column], errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        fig.add_trace(
            go.Histogram(
                x=values,
                nbinsx=30,
                name=title,
                marker_color="#d7191c" if number == 1 else "#525252",
                showlegend=False,
                hovertemplate=f"%{{x}} {unit}: %{{y}} samples<extra></extra>",
            ),
            row=number,
            col=1,
        )
        if len(values):
            for q, dash in ((0.5, "solid"), (0.95, "dash")):
                fig.add_vline(
                    x=float(np.quantile(values, q)),
                    line_dash=dash,
                    line_color="#222",
                    row=number,
                    col=1,
                )
        fig.update_yaxes(title_text="samples", rangemode="tozero", row=number, col=1)
    fig.update_layout(height=260 * max(len(shown), 1) + 60, bargap=0.05)
    return fig

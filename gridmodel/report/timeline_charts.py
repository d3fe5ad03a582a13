"""Charts over time: the restoration curve and the strategy comparison.

Pure functions from ``timeline.parquet`` and ``comparison.csv`` tables to
plotly figures; names from files are HTML-escaped (see
:mod:`gridmodel.report.figures`).
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: Region names that stand for "all regions" rows in a timeline.
TOTAL_REGIONS: frozenset[str] = frozenset({"total", "all", "*"})
#: Comparison metrics drawn with confidence intervals: metric -> axis label.
COMPARED_METRICS: dict[str, str] = {
    "ens_mwh": "energy not served (MWh)",
    "customer_hours": "customer-hours without power",
}
_SERVED = "#1a9641"
_DEMAND = "#404040"
#: Why load is unserved (DESIGN.md), stacked above the served load: column,
#: legend name, colour. Under-frequency shedding is drawn only when present.
UNSERVED_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("network_limited_mw", "network-limited", "#f4a582"),
    ("supply_shortage_mw", "supply shortage", "#fdd49e"),
    ("ufls_mw", "under-frequency shedding", "#b2abd2"),
    ("dark_mw", "dark", "#636363"),
)
_PALETTE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def total_timeline(timeline: pd.DataFrame) -> pd.DataFrame:
    """Sum a per-region timeline over regions, per hour.

    Rows whose region is ``total``/``all`` are dropped first when other
    regions are present. Returns ``hour`` plus every numeric ``*_mw`` column
    and ``customers_off`` (summed), and ``time`` (the hour's first value).
    """
    table = _region_rows(timeline)
    numeric = [c for c in table.columns if c.endswith("_mw") or c == "customers_off"]
    sums = table.groupby("hour", sort=True)[numeric].sum()
    if "time" in table.columns:
        sums["time"] = table.groupby("hour", sort=True)["time"].first().astype(str)
    return sums.reset_index()


def restoration_curve(timeline: pd.DataFrame) -> go.Figure:
    """Served load against demand over time, for all regions and per region.

    Parameters
    ----------
    timeline
        ``timeline.parquet``: ``hour``, ``region``, ``demand_mw``,
        ``served_mw`` (optional ``deliverable_mw``, ``time``, the unserved
        categories of :data:`UNSERVED_CATEGORIES` and ``refed_mw``).

    Returns
    -------
    plotly.graph_objects.Figure
        For "all regions" and then each region, the traces ``demand``,
        ``served`` (and ``deliverable`` if present), then the unserved
        categories stacked on the served load up to the demand and the
        ``re-fed`` line (served through neighbouring substations after
        switching), where the timeline has them; only the "all regions"
        traces are visible at first. A dropdown (``layout.updatemenus[0]``)
        with one button per choice switches trace visibility. With ``time``,
        x is each row's own local wall-clock time on a date axis, so the
        clock change of daylight saving time shows as it happened (a skipped
        hour in spring, a repeated one in autumn); else x is the hour.
    """
    table = _region_rows(timeline)
    regions = list(dict.fromkeys(str(r) for r in table["region"]))
    choices: list[tuple[str, pd.DataFrame]] = [("all regions", total_timeline(table))]
    choices += [(r, table[table["region"].astype(str) == r].sort_values("hour")) for r in regions]
    lines = _curve_lines(table)
    per_choice = len(lines)
    dated = "time" in table.columns
    fig = go.Figure()
    for number, (name, rows) in enumerate(choices):
        label = escape(name)
        place = _x_place(rows, dated=dated)
        for trace, column, style in lines:
            fig.add_trace(
                go.Scatter(
                    **place,
                    y=rows[column].to_numpy(dtype=np.float32),
                    name=trace,
                    visible=number == 0,
                    legendgroup=trace,
                    hovertemplate=f"{label}: {trace} %{{y:,.0f}} MW<extra></extra>",
                    **style,
                )
            )
    n = len(choices) * per_choice
    buttons = [
        {
            "label": escape(name),
            "method": "update",
            "args": [
                {"visible": [k // per_choice == number for k in range(n)]},
                {"title.text": f"Restoration: {escape(name)}"},
            ],
        }
        for number, (name, _) in enumerate(choices)
    ]
    fig.update_layout(
        title={"text": "Restoration: all regions"},
        updatemenus=[
            {
                "buttons": buttons,
                "direction": "down",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.18,
                "yanchor": "top",
                "showactive": True,
            }
        ],
        xaxis={"title": {"text": "local time" if dated else "hours after the strike"}}
        | ({"type": "date", "hoverformat": "%a %d %b %H:%M"} if dated else {}),
        yaxis={"title": {"text": "MW"}, "rangemode": "tozero"},
        height=460,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.24},
    )
    return fig


def _curve_lines(table: pd.DataFrame) -> list[tuple[str, str, dict[str, Any]]]:
    """The traces of one choice: (name, column, scatter style)."""
    stacked = all(c in table.columns for c, _, _ in UNSERVED_CATEGORIES)
    served: dict[str, Any] = {"line": {"color": _SERVED, "width": 2}}
    served |= (
        {"stackgroup": "demand", "fillcolor": "rgba(26,150,65,0.25)"}
        if stacked
        else {"fill": "tozeroy", "fillcolor": "rgba(26,150,65,0.15)"}
    )
    demand: dict[str, Any] = {"line": {"color": _DEMAND, "dash": "dash", "width": 1.5}}
    lines = [("demand", "demand_mw", demand), ("served", "served_mw", served)]
    style: dict[str, Any]
    if "deliverable_mw" in table.columns:
        style = {"line": {"color": "#2166ac", "dash": "dot", "width": 1.5}}
        lines.append(("deliverable", "deliverable_mw", style))
    if stacked:
        for column, name, colour in UNSERVED_CATEGORIES:
            if column == "ufls_mw" and not (table[column] > 0).any():
                continue
            style = {"stackgroup": "demand", "line": {"color": colour, "width": 0.5}}
            lines.append((name, column, style | {"fillcolor": colour}))
    if "refed_mw" in table.columns:
        style = {"line": {"color": "#4dac26", "dash": "dashdot", "width": 1.5}}
        lines.append(("re-fed through neighbours", "refed_mw", style))
    return lines


def _x_place(rows: pd.DataFrame, *, dated: bool) -> dict[str, Any]:
    """x of the rows: ``x0`` and ``dx`` (nothing to embed per point) when the
    points are evenly one hour apart, else the explicit values.

    With ``dated``, the points are the rows' own local wall-clock times, which
    are not one hour apart across a daylight-saving change: those charts get
    the explicit times. y is float32 (MW to 7 digits).
    """
    values = wall_clock_ms(rows["time"]) if dated else rows["hour"].to_numpy(dtype=float)
    step = 3_600_000 if dated else 1
    if len(values) > 1 and not np.all(np.diff(values) == step):
        return {"x": values}
    return {"x0": float(values[0]) if len(values) else 0.0, "dx": step}


def wall_clock_ms(times: pd.Series) -> np.ndarray:
    """Local wall-clock times as milliseconds since 1970 read as UTC (plotly date axes).

    plotly.js dates carry no time zone, so each time is shown as the local
    clock read it (timestamps with an offset keep their local reading).
    """
    values = times
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.Series(pd.to_datetime(values.astype(str).str.slice(0, 19), errors="coerce"))
    return (values.to_numpy(dtype="datetime64[ms]").astype("int64")).astype(float)


def strategy_comparison(
    comparison: pd.DataFrame, *, served: pd.DataFrame | None = None
) -> go.Figure:
    """Repair strategies side by side.

    Parameters
    ----------
    comparison
        ``comparison.csv``: ``strategy``, ``metric``, ``mean``, ``ci_low``,
        ``ci_high`` (rows of other metrics and paired differences are ignored).
    served
        Optional ``strategy``, ``hour``, ``served_mw`` (summed over regions
        per strategy and hour): the mean served-load curve of each strategy.

    Returns
    -------
    plotly.graph_objects.Figure
        One bar trace per compared metric (legend name = metric, x =
        strategy, y = mean, asymmetric error bars to the CI bounds) and, with
        ``served``, one ``"served: <strategy>"`` line per strategy on top.
    """
    rows = strategy_rows(comparison)
    metrics = [m for m in COMPARED_METRICS if m in set(rows["metric"])]
    has_curves = served is not None and len(served) > 0
    cols = max(len(metrics), 1)
    if has_curves:
        specs: list[list[dict[str, Any] | None]] = [[{"colspan": cols}] + [None] * (cols - 1)]
        specs.append([{} for _ in range(cols)])
        fig = make_subplots(
            rows=2,
            cols=cols,
            specs=specs,
            vertical_spacing=0.24,
            subplot_titles=["served load (MW)"] + [COMPARED_METRICS[m] for m in metrics],
        )
        bar_row = 2
    else:
        fig = make_subplots(
            rows=1, cols=cols, subplot_titles=[COMPARED_METRICS[m] for m in metrics]
        )
        bar_row = 1
    ordered = rows.sort_values("rank", kind="stable") if "rank" in rows.columns else rows
    strategies = list(dict.fromkeys(str(s) for s in ordered["strategy"]))
    if served is not None and has_curves:
        _add_curves(fig, served)
    for col, metric in enumerate(metrics, start=1):
        part = (
            rows[rows["metric"] == metric]
            .set_index("strategy")
            .reindex(strategies)
            .dropna(subset=["mean"])
        )
        fig.add_trace(_metric_bars(part, metric), row=bar_row, col=col)
    fig.update_layout(
        height=760 if has_curves else 380,
        legend={"orientation": "h", "y": -0.08},
        margin={"t": 50},
    )
    return fig


#: Line styles of the strategies' curves, in turn with the colours.
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def _add_curves(fig: go.Figure, served: pd.DataFrame) -> None:
    """One served-load line per strategy in the top row."""
    curves = served.groupby(["strategy", "hour"], sort=True)["served_mw"].sum().reset_index()
    for number, name in enumerate(dict.fromkeys(str(s) for s in curves["strategy"])):
        part = curves[curves["strategy"].astype(str) == name]
        fig.add_trace(
            go.Scatter(
                x=part["hour"].to_numpy(dtype=float),
                y=part["served_mw"].to_numpy(dtype=float),
                mode="lines",
                name=f"served: {escape(name)}",
                line={
                    "color": _PALETTE[number % len(_PALETTE)],
                    "width": 2.5,
                    "dash": _DASHES[number % len(_DASHES)],  # tells overlapping curves apart
                },
                hovertemplate=f"{escape(name)}, hour %{{x}}: %{{y:,.0f}} MW<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.update_xaxes(title_text="hours after the strike", row=1, col=1)


def _metric_bars(part: pd.DataFrame, metric: str) -> go.Bar:
    """Bars of one metric's means per strategy with the 95 % interval as error bars."""
    mean = part["mean"].to_numpy(dtype=float)
    low = part["ci_low"].to_numpy(dtype=float)
    high = part["ci_high"].to_numpy(dtype=float)
    diff = _column(part, "diff_to_best")
    diff_low, diff_high = _column(part, "diff_ci_low"), _column(part, "diff_ci_high")
    return go.Bar(
        x=[escape(str(s)) for s in part.index],
        y=mean,
        name=metric,
        marker_color=["#525252"] * len(mean),
        showlegend=False,
        error_y={
            "type": "data",
            "symmetric": False,
            "array": np.nan_to_num(high - mean),
            "arrayminus": np.nan_to_num(mean - low),
            "color": "#d7191c",
        },
        customdata=np.column_stack([low, high, diff, diff_low, diff_high]) if len(mean) else None,
        hovertemplate="%{x}: %{y:,.0f} (95 % CI %{customdata[0]:,.0f} to "
        "%{customdata[1]:,.0f})<br>vs the best: %{customdata[2]:+,.0f} "
        "(95 % CI %{customdata[3]:+,.0f} to %{customdata[4]:+,.0f})<extra></extra>",
    )


def strategy_rows(comparison: pd.DataFrame) -> pd.DataFrame:
    """The per-strategy rows of ``comparison.csv`` (paired differences dropped)."""
    table = comparison.copy()
    for column in ("baseline", "versus", "vs", "reference", "against"):
        if column in table.columns:
            blank = table[column].isna() | (table[column].astype(str).str.strip() == "")
            table = table[blank]
    if "kind" in table.columns:
        table = table[table["kind"].astype(str).isin(["strategy", "mean", ""])]
    for column in ("mean", "ci_low", "ci_high", "rank"):
        if column in table.columns:
            table[column] = pd.to_numeric(table[column], errors="coerce")
    table["metric"] = table["metric"].astype(str)
    table["strategy"] = table["strategy"].astype(str)
    return table.drop_duplicates(subset=["strategy", "metric"])


def _column(table: pd.DataFrame, name: str) -> np.ndarray:
    if name not in table.columns:
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)


def _region_rows(timeline: pd.DataFrame) -> pd.DataFrame:
    regions = timeline["region"].astype(str)
    totals = regions.str.lower().isin(TOTAL_REGIONS)
    if totals.any() and not totals.all():
        return timeline[~totals]
    return timeline

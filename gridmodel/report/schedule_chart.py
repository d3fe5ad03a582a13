"""The rolling-outage schedule chart: group x hour heatmap and hours off per day.

Colours follow the published DTEK/Yasno schedules: power on white, planned
outage dark grey, possible outage light grey, emergency outage red.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

#: Schedule states in heatmap code order (z = position).
STATE_CODES: tuple[str, ...] = ("on", "possible", "off", "emergency")
#: Colour of each state, as in published schedules.
STATE_COLOURS: dict[str, str] = {
    "on": "#ffffff",
    "possible": "#d9d9d9",
    "off": "#525252",
    "emergency": "#d62728",
}
#: Twelve distinct group colours (ColorBrewer "Paired": queue pairs 1.1/1.2 ... 6.1/6.2 get
#: a light and a dark shade); past twelve groups the bars are hatched as well.
_GROUP_COLOURS = (
    "#a6cee3", "#1f78b4", "#b2df8a", "#33a02c", "#fb9a99", "#e31a1c",
    "#fdbf6f", "#ff7f00", "#cab2d6", "#6a3d9a", "#ffff99", "#b15928",
)  # fmt: skip
_GROUP_HATCHES = ("", "/", "x", ".")
_FORMULA_START = ("'=", "'+", "'-", "'@", "'\t", "'\r")


def schedule_hours(schedule: pd.DataFrame) -> pd.DataFrame:
    """Expand ``schedule.csv`` slots into whole local wall-clock hours.

    Parameters
    ----------
    schedule
        ``region``, ``group``, ``start``, ``end`` (ISO 8601 local times with
        offset, or tz-aware timestamps), ``state``.

    Returns
    -------
    pandas.DataFrame
        ``region``, ``group``, ``hour`` (naive local wall time, start of the
        hour), ``state``: one row per group and hour its slots touch; where
        two slots share an hour the darker state wins (emergency > off >
        possible > on).
    """
    regions = [_cell(v) for v in schedule["region"]]
    groups = [_cell(v) for v in schedule["group"]]
    starts = _wall_time(schedule["start"])
    ends = _wall_time(schedule["end"])
    rank = {s: k for k, s in enumerate(STATE_CODES)}
    best: dict[tuple[str, str, pd.Timestamp], int] = {}
    for region, group, start, end, state in zip(
        regions, groups, starts, ends, schedule["state"].astype(str), strict=True
    ):
        code = rank.get(state.strip().lower())
        if code is None or pd.isna(start) or pd.isna(end):
            continue
        hour = start.floor("h")
        while hour < end:
            key = (region, group, hour)
            best[key] = max(best.get(key, -1), code)
            hour += pd.Timedelta(hours=1)
    rows = [(r, g, h, STATE_CODES[c]) for (r, g, h), c in best.items()]
    table = pd.DataFrame(rows, columns=["region", "group", "hour", "state"])
    return table.sort_values(["region", "group", "hour"], kind="stable").reset_index(drop=True)


def hours_off_per_day(hours: pd.DataFrame) -> pd.DataFrame:
    """``region``, ``group``, ``date`` (ISO), ``off_h``, ``possible_h``, ``emergency_h``.

    Counted from :func:`schedule_hours` (one hour per row); used when the run
    folder has no ``groups.csv``.
    """
    table = hours.assign(date=[h.date().isoformat() for h in hours["hour"]])
    counts = table.pivot_table(
        index=["region", "group", "date"],
        columns="state",
        values="hour",
        aggfunc="count",
        fill_value=0,
    )
    counts = counts.reindex(columns=["off", "possible", "emergency"], fill_value=0).astype(float)
    counts.columns = pd.Index(["off_h", "possible_h", "emergency_h"])
    return counts.reset_index()


def schedule_chart(schedule: pd.DataFrame, *, groups: pd.DataFrame | None = None) -> go.Figure:
    """Heatmap of the schedule (group x hour) and bars of hours off per group and day.

    Parameters
    ----------
    schedule
        ``schedule.csv`` (see :func:`schedule_hours`).
    groups
        Optional ``groups.csv``: ``region``, ``group``, ``date``, ``off_h``,
        ``possible_h``, ``emergency_h``; counted from ``schedule`` if absent.

    Returns
    -------
    plotly.graph_objects.Figure
        Per region one ``go.Heatmap`` (z: index in :data:`STATE_CODES`,
        y: groups, x: hours from ``x0`` in steps ``dx`` of one hour in ms) and
        one ``go.Bar`` per group (x: days, y: off + emergency hours). The
        heatmap shows the first three days; the reader can pan to later ones.
        Only the region with the most planned hours off is visible at first; a
        dropdown (``layout.updatemenus[0]``) switches regions.
    """
    hours = schedule_hours(schedule)
    per_day = _per_day(groups) if groups is not None else hours_off_per_day(hours)
    regions = list(dict.fromkeys(hours["region"]))
    if not regions:
        return go.Figure()
    axis = pd.date_range(hours["hour"].min(), hours["hour"].max(), freq="h")
    # first shown: the worst-hit region, most group-hours without power (planned or
    # emergency) for its number of groups, then most emergency hours
    dark = hours[hours["state"].isin(["off", "emergency"])].groupby("region")["hour"].count()
    emergency = hours[hours["state"] == "emergency"].groupby("region")["hour"].count()
    size = hours.groupby("region")["hour"].count()
    first = max(
        regions,
        key=lambda r: (
            round(int(dark.get(r, 0)) / max(int(size.get(r, 1)), 1), 9),
            int(emergency.get(r, 0)),
            -regions.index(r),
        ),
    )
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.62, 0.38],
        vertical_spacing=0.2,
        subplot_titles=("schedule: group × hour", "hours off per group and day"),
    )
    owner: list[str] = []
    for region in regions:
        part = hours[hours["region"] == region]
        names = sorted(dict.fromkeys(part["group"]), key=_natural)
        fig.add_trace(_heatmap(part, names, axis, visible=region == first), row=1, col=1)
        owner.append(region)
        for bar in _day_bars(per_day[per_day["region"] == region], names, visible=region == first):
            fig.add_trace(bar, row=2, col=1)
            owner.append(region)
    _layout(fig, regions, owner, first, axis)
    return fig


def _heatmap(part: pd.DataFrame, names: list[str], axis: pd.DatetimeIndex, *, visible: bool) -> Any:
    """The group x hour heatmap of one region's hourly states."""
    position = {h: k for k, h in enumerate(axis)}
    row_of = {g: k for k, g in enumerate(names)}
    z = np.full((len(names), len(axis)), np.nan, dtype=np.float32)
    text = np.full(z.shape, "", dtype=object)
    for group, hour, state in zip(part["group"], part["hour"], part["state"], strict=True):
        z[row_of[group], position[hour]] = STATE_CODES.index(state)
        text[row_of[group], position[hour]] = state
    return go.Heatmap(
        z=z,
        x0=(axis[0] + pd.Timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M"),
        dx=3_600_000,
        y=[f"group {escape(g)}" for g in names],
        text=text,
        zmin=-0.5,
        zmax=3.5,
        colorscale=_colourscale(),
        xgap=1,
        ygap=1,
        visible=visible,
        name=escape(str(part["region"].iloc[0])) if len(part) else "",
        colorbar={
            "tickvals": [0, 1, 2, 3],
            "ticktext": list(STATE_CODES),
            "len": 0.55,
            "y": 1.0,
            "yanchor": "top",
            "thickness": 14,
        },
        hovertemplate="%{y}, %{x|%d %b %H:%M}: %{text}<extra></extra>",
    )


def _day_bars(days: pd.DataFrame, names: list[str], *, visible: bool) -> list[Any]:
    """One bar trace per group: off + emergency hours per day."""
    dates = sorted(dict.fromkeys(days["date"]))
    bars = []
    for number, group in enumerate(names):
        mine = days[days["group"] == group].set_index("date").reindex(dates).fillna(0.0)
        bars.append(
            go.Bar(
                x=[escape(str(d)) for d in dates],
                y=(mine["off_h"] + mine["emergency_h"]).to_numpy(dtype=float),
                name=f"group {escape(group)}",
                visible=visible,
                marker={
                    "color": _GROUP_COLOURS[number % len(_GROUP_COLOURS)],
                    "pattern": {"shape": _GROUP_HATCHES[number // 12 % len(_GROUP_HATCHES)]},
                },
                customdata=mine["possible_h"].to_numpy(dtype=float),
                hovertemplate=f"group {escape(group)}, %{{x}}: %{{y:.1f}} h off, "
                "%{customdata:.1f} h possible<extra></extra>",
            )
        )
    return bars


def _layout(
    fig: go.Figure, regions: list[str], owner: list[str], first: str, axis: pd.DatetimeIndex
) -> None:
    """Axes, the region dropdown and the first region's title."""
    buttons = [
        {
            "label": escape(region),
            "method": "update",
            "args": [
                {"visible": [o == region for o in owner]},
                {"title.text": f"Rolling outages: {escape(region)}"},
            ],
        }
        for region in regions
    ]
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    shown = min(len(axis), 72)
    end = axis[shown - 1] + pd.Timedelta(hours=1)
    fig.update_xaxes(type="date", range=[axis[0], end], row=1, col=1)
    fig.update_yaxes(title_text="hours", row=2, col=1)
    fig.update_layout(
        title={"text": f"Rolling outages: {escape(first)}", "y": 0.985, "yanchor": "top"},
        updatemenus=[
            {
                "buttons": buttons,
                "active": regions.index(first),
                "direction": "down",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.0,
                "yanchor": "bottom",
                "pad": {"b": 26},  # above the subplot title, not on it
            }
        ],
        barmode="group",
        height=640,
        margin={"t": 110},
        plot_bgcolor="#f3f3f3",
        legend={"orientation": "h", "y": -0.12},
    )


def _colourscale() -> list[list[float | str]]:
    scale: list[list[float | str]] = []
    for k, state in enumerate(STATE_CODES):
        colour = STATE_COLOURS[state]
        scale += [[k / 4, colour], [(k + 1) / 4, colour]]
    return scale


def _per_day(groups: pd.DataFrame) -> pd.DataFrame:
    table = groups.copy()
    table["region"] = [_cell(v) for v in table["region"]]
    table["group"] = [_cell(v) for v in table["group"]]
    table["date"] = table["date"].astype(str)
    for column in ("off_h", "possible_h", "emergency_h"):
        if column in table.columns:
            table[column] = pd.to_numeric(table[column], errors="coerce").fillna(0.0)
        else:
            table[column] = 0.0
    return table


def _cell(value: object) -> str:
    """A CSV cell as text, without the apostrophe that guards formula-like names."""
    text = str(value)
    return text[1:] if text.startswith(_FORMULA_START) else text


def _wall_time(values: pd.Series) -> list[Any]:
    """Local wall-clock times (naive) of ISO strings with offsets or aware timestamps."""
    out: list[Any] = []
    for value in values:
        if isinstance(value, pd.Timestamp):
            out.append(value.tz_localize(None) if value.tzinfo else value)
            continue
        text = str(value).strip()
        match = re.match(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?", text)
        out.append(pd.Timestamp(match.group(0)) if match else pd.NaT)
    return out


def _natural(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts group "2" before "10" and "1.2" before "1.10"."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", name) if p)

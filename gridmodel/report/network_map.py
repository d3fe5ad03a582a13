"""The network map of the report: substations and branches on longitude/latitude axes.

Plain cartesian axes (``go.Scatter``), not a geographic map: a geographic map
would need base-map tiles or topojson from the internet, and the report must
open offline. Region outlines, when the network has them, come from the run
folder's ``network_state.json`` and are drawn as plain lines too. The latitude
axis is scaled by ``1 / cos(latitude)`` so that distances look right near the
network's mean latitude.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import plotly.graph_objects as go

#: Marker colour and symbol per substation state.
SUBSTATION_STYLE: dict[str, tuple[str, str, str]] = {
    "struck": ("#d7191c", "x", "struck"),
    "dark": ("#404040", "circle", "dark (no power)"),
    "energised": ("#1a9641", "circle", "energised"),
}

#: Loading classes of branches in service: (upper bound %, colour, legend label).
LOADING_CLASSES: tuple[tuple[float, str, str], ...] = (
    (50.0, "#4393c3", "loading < 50 %"),
    (80.0, "#e6ab02", "loading 50-80 %"),
    (100.0, "#f46d43", "loading 80-100 %"),
    (math.inf, "#a50026", "loading ≥ 100 %"),
)

#: Marker size (px) of substations: the smallest and the largest (the most load).
MARKER_PX: tuple[float, float] = (8.0, 22.0)
#: Trace name of the region labels (drawn after the substations, above their markers).
REGION_LABELS_NAME = "regions"
#: Where labels sit: above their point, clear of a marker of the largest size.
LABEL_POSITION = "top center"
#: Colour of the rings and rank labels of the most critical elements.
RANKED_COLOUR = "#111111"
#: Trace name of the rank labels of the most critical elements.
RANK_LABELS_NAME = "ranks"

#: Line colour and width (px) of region outlines: neutral, under the grid.
OUTLINE_STYLE: tuple[str, float] = ("#c8c8c8", 0.8)
#: Trace name of the region outlines (not in the legend).
OUTLINE_NAME = "region outlines"

#: Style of branches not in service: (colour, dash, legend label).
BRANCH_OUT_STYLE: dict[str, tuple[str, str, str]] = {
    "tripped": ("#c51b7d", "dash", "tripped (overload)"),
    "struck": ("#d7191c", "dot", "struck"),
    "out": ("#b0b0b0", "dot", "out of service"),
}


def branch_class(branch: Mapping[str, Any]) -> str:
    """Legend label of the class a branch is drawn in (loading class or out state)."""
    state = str(branch.get("state", "in_service"))
    if state in BRANCH_OUT_STYLE:
        return BRANCH_OUT_STYLE[state][2]
    loading = float(branch.get("loading_percent") or 0.0)
    for upper, _, label in LOADING_CLASSES:
        if loading < upper:
            return label
    return LOADING_CLASSES[-1][2]


def network_map(state: Mapping[str, Any]) -> go.Figure:
    """Map of the grid right after the strike.

    Parameters
    ----------
    state
        The ``network_state.json`` object (:func:`gridmodel.studies.network_state.network_state`).

    Returns
    -------
    plotly.graph_objects.Figure
        First, when the state has region outlines, one thin grey line trace
        of them all (named :data:`OUTLINE_NAME`; no fill, no legend entry, no
        hover; each ring followed by a ``None`` gap). Then one line trace per
        branch class (loading class, tripped, struck, out)
        with hover markers at branch midpoints, one marker trace per
        substation state (``struck``, ``dark``, ``energised``; legend name
        ``"substations: <state>"``) and, last, one text trace of region labels
        (named :data:`REGION_LABELS_NAME`) at :data:`LABEL_POSITION` of an
        invisible marker as large as the largest substation marker, so that no
        cross or dot covers a label. Names are HTML-escaped.
    """
    subs = {str(s["substation"]): s for s in state.get("substations", [])}
    fig = go.Figure()
    _add_outlines(fig, state.get("outlines") or [])
    _add_branches(fig, state.get("branches", []), subs)
    _add_substations(fig, list(subs.values()))
    _add_region_labels(fig, list(subs.values()))
    lats = [float(s["lat"]) for s in subs.values() if s.get("lat") is not None]
    mean_lat = sum(lats) / len(lats) if lats else 0.0
    ratio = 1.0 / max(math.cos(math.radians(mean_lat)), 0.1) if -90 < mean_lat < 90 else 1.0
    fig.update_layout(
        xaxis={"title": {"text": "longitude (°E)"}, "showgrid": False, "zeroline": False},
        yaxis={
            "title": {"text": "latitude (°N)"},
            "scaleanchor": "x",
            "scaleratio": ratio,
            "showgrid": False,
            "zeroline": False,
        },
        height=620,
        hovermode="closest",
        legend={"orientation": "h", "y": -0.12},
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
    )
    return fig


def _placed(sub: Mapping[str, Any]) -> bool:
    """True if the substation has coordinates (a net without geodata has none)."""
    return sub.get("lat") is not None and sub.get("lon") is not None


def _add_outlines(fig: go.Figure, outlines: list[Mapping[str, Any]]) -> None:
    """Every region outline in one trace, drawn first so the grid lies on top."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for outline in outlines:
        for ring in outline.get("rings", []):
            xs += [float(p[0]) for p in ring] + [None]
            ys += [float(p[1]) for p in ring] + [None]
    if not xs:
        return
    colour, width = OUTLINE_STYLE
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            name=OUTLINE_NAME,
            showlegend=False,
            line={"color": colour, "width": width},
            hoverinfo="skip",
        )
    )


def _add_branches(fig: go.Figure, branches: list[Mapping[str, Any]], subs: dict) -> None:
    classes = [label for _, _, label in LOADING_CLASSES] + [
        style[2] for style in BRANCH_OUT_STYLE.values()
    ]
    for label in classes:
        members = [
            b
            for b in branches
            if branch_class(b) == label
            and str(b.get("from")) in subs
            and str(b.get("to")) in subs
            and str(b.get("from")) != str(b.get("to"))
            and _placed(subs[str(b.get("from"))])
            and _placed(subs[str(b.get("to"))])
        ]
        if not members:
            continue
        colour, dash = _branch_style(label)
        xs: list[float | None] = []
        ys: list[float | None] = []
        mid_x: list[float] = []
        mid_y: list[float] = []
        hover: list[str] = []
        for b in members:
            a, z = subs[str(b["from"])], subs[str(b["to"])]
            xs += [a["lon"], z["lon"], None]
            ys += [a["lat"], z["lat"], None]
            mid_x.append((float(a["lon"]) + float(z["lon"])) / 2)
            mid_y.append((float(a["lat"]) + float(z["lat"])) / 2)
            hover.append(_branch_hover(b, a, z))
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=label,
                legendgroup=label,
                line={"color": colour, "width": 2.5, "dash": dash},
                hoverinfo="skip",
            )
        )
        tripped = label == BRANCH_OUT_STYLE["tripped"][2]
        fig.add_trace(
            go.Scatter(
                x=mid_x,
                y=mid_y,
                mode="markers",
                name=label,
                legendgroup=label,
                showlegend=False,
                marker={
                    "color": colour,
                    "size": 11 if tripped else 6,
                    "symbol": "x-thin-open" if tripped else "circle",
                    "line": {"width": 2.5 if tripped else 0, "color": colour},
                },
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )


def _branch_style(label: str) -> tuple[str, str]:
    for _, colour, name in LOADING_CLASSES:
        if name == label:
            return colour, "solid"
    for colour, dash, name in BRANCH_OUT_STYLE.values():
        if name == label:
            return colour, dash
    return "#999999", "solid"


def _branch_hover(b: Mapping[str, Any], a: Mapping[str, Any], z: Mapping[str, Any]) -> str:
    head = f"{escape(str(b.get('element')))} {escape(str(b.get('index')))}"
    ends = f"{escape(str(a.get('name')))} – {escape(str(z.get('name')))}"
    state = str(b.get("state"))
    flow = float(b.get("flow_mw") or 0.0)
    loading = float(b.get("loading_percent") or 0.0)
    if state == "tripped":
        tail = f"tripped at cascade step {b.get('trip_step')}, loading {loading:.0f} %"
    elif state == "in_service":
        tail = f"{abs(flow):,.0f} MW, loading {loading:.0f} %"
    else:
        tail = escape(state.replace("_", " "))
    return f"<b>{head}</b><br>{ends}<br>{tail}"


def _add_substations(fig: go.Figure, subs: list[Mapping[str, Any]]) -> None:
    for state, (colour, symbol, label) in SUBSTATION_STYLE.items():
        members = [s for s in subs if s.get("state") == state and s.get("lat") is not None]
        if not members:
            continue
        small, large = MARKER_PX
        sizes = [
            small + (large - small) * math.sqrt(float(s.get("load_mw") or 0.0) / _max_load(subs))
            for s in members
        ]
        fig.add_trace(
            go.Scatter(
                x=[s["lon"] for s in members],
                y=[s["lat"] for s in members],
                mode="markers",
                name=f"substations: {label}",
                marker={
                    "color": colour,
                    "symbol": symbol,
                    "size": sizes,
                    "line": {"color": "#ffffff" if symbol == "circle" else colour, "width": 1},
                },
                text=[_substation_hover(s) for s in members],
                hovertemplate="%{text}<extra></extra>",
            )
        )


def _max_load(subs: list[Mapping[str, Any]]) -> float:
    return max([float(s.get("load_mw") or 0.0) for s in subs] + [1.0])


def _substation_hover(s: Mapping[str, Any]) -> str:
    return (
        f"<b>{escape(str(s.get('name')))}</b> ({escape(str(s.get('substation')))})<br>"
        f"region {escape(str(s.get('region')))}<br>"
        f"{escape(str(s.get('state')))}: {float(s.get('unserved_mw') or 0.0):,.0f} MW of "
        f"{float(s.get('load_mw') or 0.0):,.0f} MW lost, "
        f"{round(float(s.get('customers_off') or 0)):,} customers off"
    )


def _add_region_labels(fig: go.Figure, subs: list[Mapping[str, Any]]) -> None:
    places: dict[str, list[tuple[float, float]]] = {}
    for s in subs:
        if s.get("lat") is None or s.get("lon") is None:
            continue
        places.setdefault(str(s.get("region")), []).append((float(s["lon"]), float(s["lat"])))
    if len(places) < 2:
        return
    names = list(places)
    xs = [sum(p[0] for p in places[n]) / len(places[n]) for n in names]
    ys = [sum(p[1] for p in places[n]) / len(places[n]) for n in names]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            marker={"size": MARKER_PX[1], "opacity": 0},
            text=[escape(n) for n in names],
            textposition=label_positions(xs, ys),
            textfont={"color": "#555555", "size": 10, "shadow": "auto"},
            name=REGION_LABELS_NAME,
            showlegend=False,
            hoverinfo="skip",
        )
    )


def label_positions(xs: Sequence[float], ys: Sequence[float]) -> list[str]:
    """Text positions of labels at ``(xs, ys)``: above their point, or below when above
    would put it on an earlier label close by (within 6 % of the map's width and 3 %
    of its height), as for a capital city inside its own region."""
    width = (max(xs) - min(xs)) or 1.0
    height = (max(ys) - min(ys)) or 1.0
    positions: list[str] = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        crowded = any(
            positions[j] == LABEL_POSITION
            and abs(xs[j] - x) < 0.06 * width
            and abs(ys[j] - y) < 0.03 * height
            for j in range(i)
        )
        positions.append("bottom center" if crowded else LABEL_POSITION)
    return positions


@dataclass(frozen=True)
class RankedElement:
    """One of the most critical elements to mark on a map.

    ``substations`` are the ids the outage takes out (one, or two for a
    pair); ``detail`` is the hover text (plain text, escaped when drawn).
    """

    rank: int
    substations: tuple[str, ...]
    names: str
    detail: str = ""


def placed_substations(state: Mapping[str, Any]) -> int:
    """How many substations of a ``network_state.json`` object have coordinates."""
    return sum(1 for s in state.get("substations", []) if _placed(s))


def ranked_map(state: Mapping[str, Any], ranked: Sequence[RankedElement]) -> go.Figure:
    """:func:`network_map` of ``state`` with the ``ranked`` elements ringed and numbered.

    Returns
    -------
    plotly.graph_objects.Figure
        The map's traces, then one trace per ranked element in rank order
        (named ``"<rank>. <names>"``, ``ids`` its substation ids; black rings,
        a pair joined by a black line; no legend entry) and, last, one text
        trace (named :data:`RANK_LABELS_NAME`) with the ranks of each marked
        substation ("1" or "2, 5" when it is in several pairs) at
        :data:`LABEL_POSITION`, clear of the ring. Substations without
        coordinates are left out.
    """
    fig = network_map(state)
    subs = {str(s["substation"]): s for s in state.get("substations", []) if _placed(s)}
    ranks: dict[str, list[int]] = {}
    for element in ranked:
        shown = [sid for sid in element.substations if sid in subs]
        if not shown:
            continue
        for sid in shown:
            ranks.setdefault(sid, []).append(element.rank)
        fig.add_trace(
            go.Scatter(
                x=[subs[sid]["lon"] for sid in shown],
                y=[subs[sid]["lat"] for sid in shown],
                ids=shown,
                mode="lines+markers" if len(shown) > 1 else "markers",
                name=f"{element.rank}. {escape(element.names)}",
                showlegend=False,
                line={"color": RANKED_COLOUR, "width": 2, "dash": "dash"},
                marker={
                    "symbol": "circle-open",
                    "size": MARKER_PX[1] + 6,
                    "color": RANKED_COLOUR,
                    "line": {"width": 2.5, "color": RANKED_COLOUR},
                },
                text=[escape(f"#{element.rank} {element.names}: {element.detail}")] * len(shown),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    if ranks:
        fig.add_trace(
            go.Scatter(
                x=[subs[sid]["lon"] for sid in ranks],
                y=[subs[sid]["lat"] for sid in ranks],
                ids=list(ranks),
                mode="markers+text",
                marker={"size": MARKER_PX[1] + 6, "opacity": 0},
                text=[", ".join(str(r) for r in sorted(r)) for r in ranks.values()],
                textposition=LABEL_POSITION,
                textfont={"color": RANKED_COLOUR, "size": 13, "shadow": "auto"},
                name=RANK_LABELS_NAME,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    return fig

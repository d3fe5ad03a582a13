"""HTML pieces of the report page that are not charts: style, cards, tables.

Every value is HTML-escaped here; callers pass plain text.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd

#: The page's style sheet: local system fonts only, nothing fetched.
PAGE_CSS = """
:root { --ink: #222; --muted: #666; --line: #e3e3e3; --accent: #d7191c; }
* { box-sizing: border-box; }
body { margin: 0; background: #fafafa; color: var(--ink);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { margin: 0 0 4px; font-size: 1.7rem; }
.sub { margin: 0 0 18px; color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
  gap: 12px; margin-bottom: 18px; }
.card { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--accent);
  border-radius: 6px; padding: 12px 14px; }
.card .label { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); }
.card .value { font-size: 1.4rem; font-weight: 650; margin: 2px 0; overflow-wrap: break-word; }
.card .value.long { font-size: 1.05rem; }
.card .note { font-size: .8rem; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: 14px 18px; margin: 0 0 18px; }
section h2 { margin: 0 0 4px; font-size: 1.2rem; }
.how { margin: 0 0 8px; color: var(--muted); max-width: 80ch; }
.chart { width: 100%; }
table.data { border-collapse: collapse; font-size: .9rem; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 4px 10px;
  text-align: left; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.options { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.options dt { color: var(--muted); }
dl.options dd { margin: 0; overflow-wrap: anywhere; }
ul.notes { color: #8a5300; }
footer { color: var(--muted); font-size: .85rem; text-align: center; }
"""

#: Plain-words meaning of the modelling options a run records.
OPTION_LABELS: dict[str, str] = {
    "mode": "power flow (dc: fast linear flow; ac: full AC flow per island)",
    "overload": "overloaded branches (trip: protection trips them; shed: operators shed load)",
    "ratings": "branch ratings (file, raise-base, or margin:X over base flow)",
    "overload_limit_percent": "loading at which a branch trips (%)",
    "ac_backend": "AC power flow solver (pandapower or lightsim2grid)",
}

#: Modelling rules that hold for every run (DESIGN.md).
MODEL_RULES: tuple[str, ...] = (
    "A struck substation loses all its buses and everything attached to them.",
    "An island has power only with a grid-forming source (a power plant or an import); "
    "solar and wind feed only an island that already has power.",
    "Where supply falls short, load is shed; critical loads (hospitals, water, heat) last.",
)
#: The rule on what the map and impact show: (with a map, without one).
SNAPSHOT_RULE = (
    "The map and the impact show the grid right after the first wave of strikes.",
    "The impact figures show the grid right after the first wave of strikes.",
)


def cards_html(cards: Sequence[tuple[str, str, str]]) -> str:
    """The headline cards: label, big value, small note each."""
    items = "".join(
        f'<div class="card"><div class="label">{escape(label)}</div>'
        f'<div class="value{" long" if len(value) > 12 else ""}">{_breakable(value)}</div>'
        f'<div class="note">{escape(note)}</div></div>'
        for label, value, note in cards
    )
    return f'<div class="cards">{items}</div>' if items else ""


def _breakable(text: str) -> str:
    """Escaped text that may wrap after an underscore ("greedy_/marginal"), not mid-word."""
    return escape(text).replace("_", "_<wbr>")


def table_html(table: pd.DataFrame) -> str:
    """A small DataFrame as an escaped HTML table (numbers right-aligned)."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in table.columns)
    rows = []
    for values in table.itertuples(index=False):
        cells = []
        for value in values:
            if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
                cells.append(f'<td class="num">{escape(_number(float(value)))}</td>')
            else:
                cells.append(f"<td>{escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def assumptions_html(
    summary: Mapping[str, Any], *, notes: Sequence[str] = (), has_map: bool = False
) -> str:
    """The modelling options and rules of a run, and any warnings or notes.

    Options that do not apply are left out (the AC solver of a DC run); the
    rule on the map is stated only on a page that has one (``has_map``).
    """
    entries: list[tuple[str, str]] = []
    for key in ("scenario", "network", "seed", "sample", "strategy"):
        if summary.get(key) is not None:
            entries.append((key, str(summary[key])))
    options = summary.get("options") or {}
    for key, value in _flat(options):
        if key == "ac_backend" and str(options.get("mode", "")).lower() == "dc":
            continue
        entries.append((OPTION_LABELS.get(key, key), value))
    for key, value in _flat(summary.get("assumptions") or {}):
        entries.append((key, value))
    strikes = summary.get("strikes") or {}
    if "missiles" in strikes:
        entries.append(
            (
                "strikes",
                f"{strikes['missiles']} missiles, {strikes.get('intercepted', 0)} "
                f"intercepted, {len(strikes.get('hits', []))} hits",
            )
        )
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in entries)
    shown = [*MODEL_RULES]
    if has_map or summary.get("impact"):
        shown.append(SNAPSHOT_RULE[0] if has_map else SNAPSHOT_RULE[1])
    rules = "".join(f"<li>{escape(rule)}</li>" for rule in shown)
    warnings = [str(w) for w in (summary.get("impact") or {}).get("warnings", [])]
    extra = [*warnings, *notes]
    notes_html = (
        '<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in extra) + "</ul>"
        if extra
        else ""
    )
    return f'<dl class="options">{body}</dl><ul>{rules}</ul>{notes_html}'


def _flat(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out += _flat(value, prefix=f"{name}.")
        elif isinstance(value, list | tuple):
            out.append((name, ", ".join(str(v) for v in value)))
        else:
            out.append((name, str(value)))
    return out


def _number(value: float) -> str:
    value = float(value)
    if not np.isfinite(value):
        return "—"
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"

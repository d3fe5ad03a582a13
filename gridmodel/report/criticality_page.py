"""Sections of the criticality page: the ranking table and its top elements on the map.

Pure functions from a criticality folder's tables (``criticality.csv`` and the
intact grid's ``network_state.json``) to the page's sections; the page
(:mod:`~gridmodel.report.render`) puts them in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from gridmodel.report.network_map import RankedElement, placed_substations, ranked_map
from gridmodel.report.page import table_html

#: Columns of ``criticality.csv`` shown, when present, and their headings on the page.
CRITICALITY_COLUMNS: dict[str, str] = {
    "rank": "rank",
    "names": "substation (id)",
    "regions": "region",
    "unserved_mw": "MW off",
    "customers_off": "customers off",
    "tripped": "tripped",
}
#: Rows of the table shown.
TABLE_ROWS = 20
#: Elements marked on the map.
MAP_TOP = 10

#: One section: key, title, how to read it, figure, HTML (the fields of ``PageSection``).
Section = tuple[str, str, str, go.Figure | None, str]


def ranked_elements(table: pd.DataFrame, *, top: int = MAP_TOP) -> list[RankedElement]:
    """The first ``top`` rows of ``criticality.csv`` as elements to mark on a map.

    ``substations`` holds the ids an outage takes out, separated by ``;``
    (two for a pair). Rows without ids are skipped.
    """
    out = []
    for row in table.head(top).to_dict("records"):
        value = row.get("substations")
        text = "" if value is None or pd.isna(value) else str(value)
        ids = tuple(s for s in text.split(";") if s)
        if not ids:
            continue
        names = str(row.get("names") if pd.notna(row.get("names")) else ";".join(ids))
        out.append(RankedElement(int(row["rank"]), ids, names.replace(";", " + "), _detail(row)))
    return out


def _detail(row: Mapping[Any, Any]) -> str:
    parts = [f"substations {str(row.get('substations')).replace(';', ' + ')}"]
    if pd.notna(row.get("unserved_mw")):
        parts.append(f"{float(row['unserved_mw']):,.0f} MW off")
    if pd.notna(row.get("customers_off")):
        parts.append(f"{round(float(row['customers_off'])):,} customers off")
    return ", ".join(parts)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the page shows it: :data:`CRITICALITY_COLUMNS` under their headings.

    Each name is followed by its id in brackets ("384 (bus384)"; the id alone
    when it is the name): the id is what a strike or a scenario names. The
    substations of a pair are joined by " + ". A table without any of these
    columns is shown as it is.
    """
    table = table.copy()
    names = table["names"] if "names" in table.columns else table.get("substations")
    if names is not None:
        ids = table["substations"] if "substations" in table.columns else names
        table["names"] = [_named(n, i) for n, i in zip(names, ids, strict=True)]
    if "regions" in table.columns:
        table["regions"] = [str(r).replace(";", ", ") for r in table["regions"]]
    shown = {c: h for c, h in CRITICALITY_COLUMNS.items() if c in table.columns}
    return table[list(shown)].rename(columns=shown) if shown else table


def _named(names: Any, ids: Any) -> str:
    """Each substation of an outage as ``name (id)`` (the id alone if it is the name)."""
    name_list = str(names).split(";") if pd.notna(names) else []
    id_list = str(ids).split(";") if pd.notna(ids) else []
    if len(name_list) != len(id_list):
        return " + ".join(name_list or id_list)
    return " + ".join(
        i if n == i else f"{n} ({i})" for n, i in zip(name_list, id_list, strict=True)
    )


def criticality_sections(table: pd.DataFrame, network: Mapping[str, Any] | None) -> list[Section]:
    """The ranking table and, with the intact grid's state, the map of its top elements.

    A network whose substations have no coordinates gets a sentence saying
    so instead of a map; a folder without ``network_state.json`` (written by
    an older gridmodel) gets no map section.
    """
    shown = display_table(table.head(TABLE_ROWS))
    sections: list[Section] = [
        (
            "criticality",
            "Most critical elements",
            CRITICALITY_TEXT,
            None,
            table_html(shown),
        )
    ]
    if network is None:
        return sections
    ranked = ranked_elements(table) if "rank" in table.columns else []
    title = "The most critical elements on the map"
    if placed_substations(network) == 0:
        text = "This network has no coordinates, so its most critical elements are not mapped."
        sections.append(("map", title, text, None, ""))
    elif not ranked:
        text = "criticality.csv names no substations, so no element can be placed on the map."
        sections.append(("map", title, text, None, ""))
    else:
        text = MAP_TEXT.format(n=len(ranked))
        sections.append(("map", title, text, ranked_map(network, ranked), ""))
    return sections


CRITICALITY_TEXT = (
    "Elements whose loss costs the most load, from the N-k criticality analysis; the first "
    "rows are the ones to protect first. Each substation's id (in brackets) is what a strike "
    "or a scenario names; tripped counts the branches that tripped on overload after the loss."
)
MAP_TEXT = (
    "The intact grid before any loss: dots are substations at the network's coordinates "
    "(layout coordinates for the IEEE and PEGASE test cases, not geography), lines are "
    "coloured by how loaded they are. Black rings mark the {n} most critical elements of the "
    "table, numbered by rank; the two substations of a pair lost together are joined by a "
    "dashed black line. Hover for names and numbers."
)

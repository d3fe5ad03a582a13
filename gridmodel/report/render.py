"""``report.html``: one self-contained page from a run folder.

plotly.js is embedded once, in one ``<script>``; every chart is a
``Plotly.newPlot`` call on its JSON. The page loads nothing from anywhere: no
CDN, no web fonts, no map tiles, no MathJax. Every string that comes from a
file is HTML-escaped, and the JSON inside ``<script>`` has ``<``, ``>`` and
``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``, so ``</script>`` or
``<!--`` in a name can never end the script.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from gridmodel.contract import CRITICALITY_KIND, REPORT_FILE
from gridmodel.errors import OutputError
from gridmodel.interrupts import stage
from gridmodel.outputs import claim, lists
from gridmodel.report import criticality_page, figures, study_sections
from gridmodel.report.headline import beyond, header_notes_html, headline_cards
from gridmodel.report.page import PAGE_CSS, assumptions_html, cards_html
from gridmodel.report.responsive import FIT_SCRIPT, NARROW_CSS
from gridmodel.report.run_folder import RunFolder, read_run_folder

#: plotly.js configuration of every chart: nothing that calls out to the internet.
PLOT_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "typesetMath": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
#: How the title of every report page ends (how a page gridmodel wrote is recognised).
TITLE_END = " · gridmodel report</title>"
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


@dataclass(frozen=True)
class PageSection:
    """One section of the page: a title, how to read it, and a chart or HTML."""

    key: str
    title: str
    how_to_read: str
    figure: go.Figure | None = None
    html: str = ""


def render_report(run_dir: str | Path, *, name: str | None = None) -> Path:
    """Build ``run_dir/report.html`` from the run's files; return its path.

    The file is written beside its final name and renamed into place, so a
    reader never sees half a report. ``name`` titles a run without a summary
    title (default: the folder's name); commands that build the report in
    their temporary folder pass the final folder's name.

    Raises
    ------
    OptionError
        If ``run_dir`` is not a run folder (see :func:`read_run_folder`).
    OutputError
        If the report cannot be written.
    """
    run = read_run_folder(run_dir, name=name)
    target = run.path / REPORT_FILE
    _check_replaceable(target)
    stage("report")
    text = report_html(run)
    tmp = run.path / f".{REPORT_FILE}.{os.getpid()}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        claim(run.path, REPORT_FILE)  # a later run may replace the folder with its report
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write the report ({exc.strerror})", file=target) from None
    except BaseException:  # Ctrl-C, SIGTERM
        tmp.unlink(missing_ok=True)
        raise
    return target


def _check_replaceable(target: Path) -> None:
    """Refuse to replace a ``report.html`` that gridmodel did not write.

    The folder's marker decides when it lists its files; without a listing
    (an unfinished Monte Carlo run, a folder of an earlier version) the
    page's own title does (every gridmodel report ends its title so).
    """
    if not target.exists() and not target.is_symlink():
        return
    listed = lists(target.parent, target.name)
    if listed is None and target.is_file() and not target.is_symlink():
        with open(target, "rb") as page:
            listed = TITLE_END.encode() in page.read(4096)
    if not listed:
        raise OutputError(
            "exists and was not written by gridmodel",
            file=target,
            allowed="move it away and run gridmodel report again",
        )


def render_report_before_rename(tmp: Path, out: Path) -> Path:
    """Build the report of a run folder still being written in ``tmp``, to become ``out``.

    Commands call this inside :func:`gridmodel.outputs.atomic_output_dir`, so
    the folder is renamed into place with its report or not at all. The
    report is titled and errors are named after ``out``, not the temporary
    folder.

    Raises
    ------
    OutputError
        If the report cannot be written (naming ``out/report.html``).
    """
    try:
        return render_report(tmp, name=out.name)
    except OutputError as exc:
        raise OutputError(exc.message, file=out / REPORT_FILE, allowed=exc.allowed) from None


def report_html(run: RunFolder) -> str:
    """The whole page as text (pure: same folder contents, same page)."""
    summary = run.summary or {}
    title = str(summary.get("scenario") or summary.get("network") or run.name or "gridmodel")
    parts = []
    for number, section in enumerate(sections(run)):
        body = section.html
        if section.figure is not None:
            body += _figure_html(section.figure, f"chart-{number}-{section.key}")
        parts.append(
            f'<section id="{section.key}"><h2>{escape(section.title)}</h2>'
            f'<p class="how">{escape(section.how_to_read)}</p>{body}</section>'
        )
    subtitle = " · ".join(
        escape(f"{k} {summary[k]}")
        for k in ("network", "seed", "sample", "samples")
        if isinstance(summary.get(k), str | int)
    )
    unfinished = (
        "<p class='sub'><strong>Unfinished Monte Carlo run: the figures cover only the "
        "samples written so far. Finish it with gridmodel montecarlo ... --resume.</strong></p>"
        if run.incomplete
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}{TITLE_END}<style>{PAGE_CSS}{NARROW_CSS}</style>"
        f'<script>window.PlotlyConfig = {{MathJaxConfig: "local"}};{FIT_SCRIPT}</script>'
        f"<script>{_safe_script(get_plotlyjs())}</script></head><body><main>"
        f"<header><h1>{escape(title)}</h1><p class='sub'>{subtitle}</p>"
        f"{header_notes_html(run)}{unfinished}</header>"
        f"{cards_html(headline_cards(run))}{''.join(parts)}"
        "<footer>Made with gridmodel. This page is one file and works offline.</footer>"
        "</main></body></html>\n"
    )


def sections(run: RunFolder) -> list[PageSection]:
    """The sections the run folder has data for, in reading order."""
    summary = run.summary or {}
    impact = summary.get("impact") or {}
    out: list[PageSection] = []
    intact = summary.get("kind") == CRITICALITY_KIND  # its map: the intact grid, ranked
    if run.network and not intact:
        out.append(PageSection("map", "Network map", MAP_TEXT, figures.network_map(run.network)))
    if impact.get("by_region"):
        out.append(
            PageSection(
                "impact",
                "Impact by region",
                IMPACT_TEXT,
                figures.impact_by_region(impact["by_region"]),
            )
        )
    if impact.get("tripped_branches"):
        fig = figures.cascade_steps(impact["tripped_branches"], branch_names=_branch_names(run))
        out.append(PageSection("cascade", "The cascade, step by step", CASCADE_TEXT, fig))
    if run.timeline is not None and len(run.timeline):
        fig = figures.restoration_curve(run.timeline)
        out.append(PageSection("restoration", "Restoration", RESTORATION_TEXT, fig))
    if run.comparison is not None and len(run.comparison):
        fig = figures.strategy_comparison(run.comparison, served=run.comparison_timeline)
        html = study_sections.ranking_html(run.comparison, samples=run.comparison_samples)
        out.append(
            PageSection("comparison", "Repair strategies compared", COMPARISON_TEXT, fig, html)
        )
    if run.schedule is not None and len(run.schedule):
        fig = figures.schedule_chart(run.schedule, groups=run.groups)
        out.append(PageSection("schedule", "Rolling outage schedule", SCHEDULE_TEXT, fig))
    if run.samples is not None and len(run.samples) > 1:
        sizes = run.samples["unserved_mw"].to_numpy(dtype=float)
        none = int((sizes <= 0).sum())
        text = CCDF_TEXT.format(n=len(sizes), none=none)
        out.append(
            PageSection(
                "spread",
                "Spread over the samples",
                SPREAD_TEXT,
                study_sections.distributions(run.samples),
                study_sections.distributions_html(run.samples),
            )
        )
        out.append(
            PageSection(
                "ccdf", "How large can the blackout get?", text, figures.blackout_ccdf(sizes)
            )
        )
    if run.criticality is not None and len(run.criticality):
        parts = criticality_page.criticality_sections(
            run.criticality, run.network if intact else None
        )
        out += [PageSection(*part) for part in parts]
    if figures.metrics_rows(summary):
        table = figures.metrics_table(summary, beyond=beyond(run))
        out.append(PageSection("metrics", "Metrics", METRICS_TEXT, table))
    out.append(
        PageSection(
            "assumptions",
            "Assumptions and options",
            ASSUMPTIONS_TEXT,
            html=assumptions_html(
                summary, notes=run.notes, has_map=bool(run.network) and not intact
            ),
        )
    )
    return out


def _branch_names(run: RunFolder) -> dict[str, str]:
    if not run.network:
        return {}
    names = {str(s["substation"]): str(s.get("name")) for s in run.network.get("substations", [])}
    return {
        f"{b['element']}:{b['index']}": f"{names.get(str(b['from']), b['from'])} – "
        f"{names.get(str(b['to']), b['to'])}"
        for b in run.network.get("branches", [])
    }


def _figure_html(fig: go.Figure, element_id: str) -> str:
    styled = go.Figure(fig)
    styled.update_layout(template="plotly_white", font={"family": _FONT, "size": 13})
    spec = pio.to_json(styled, validate=False, pretty=False, engine="json")
    config = json.dumps(PLOT_CONFIG)
    return (
        f'<div id="{element_id}" class="chart"></div><script>(function () {{'
        f"var fig = {_safe_script(spec)};"
        f'Plotly.newPlot("{element_id}", fig.data, fig.layout, '
        f'gmFit("{element_id}", fig.layout, {config}));}})();</script>'
    )


def _safe_script(text: str) -> str:
    """Script text that cannot close its ``<script>`` element or open a comment.

    In JSON, ``<``, ``>`` and ``&`` only occur inside strings, where the
    ``\\u003c`` forms mean the same. plotly.js (a script, not JSON) only has
    ``</`` inside strings and regular expressions, where ``<\\/`` means the same.
    """
    if text.startswith(("{", "[")):
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


MAP_TEXT = (
    "Each marker is a substation at its longitude and latitude: red crosses were struck, "
    "dark grey dots lost power, green dots kept it (bigger dots carry more load). Lines are "
    "coloured by how loaded they are after the strike; dashed purple lines tripped on "
    "overload and dotted grey ones are out of service. Thin light-grey lines, where the "
    "network has them, are region borders. Hover for names and numbers."
)
IMPACT_TEXT = (
    "Load each region lost right after the strike (red; grey is the load still served) and "
    "the customers left without power. Regions that lost nothing are not shown."
)
CASCADE_TEXT = (
    "Power that re-routes around the damage can overload other lines, which then trip and "
    "overload more. Bars count the branches that tripped at each step; crosses show how "
    "loaded each one was when it tripped."
)
RESTORATION_TEXT = (
    "Demand (dashed) against the load actually served (green) hour by hour while operators "
    "switch and crews repair; the gap between them is the load without power, coloured by "
    "why: dark (no path), network-limited (lost transformer or re-feed capacity: rotating "
    "outages) or supply shortage. The dash-dotted line is load re-fed through neighbouring "
    "substations. Choose a region in the menu at the top right."
)
SPREAD_TEXT = (
    "How often each size of outage came up among the simulated strikes: bars count samples, "
    "the solid line is the median (half the samples are below it) and the dashed line the "
    "95th percentile (one sample in 20 is above it)."
)
COMPARISON_TEXT = (
    "The same strikes repaired in different orders. The table ranks the strategies by mean "
    "energy not served (ENS, lower is better) with its 95 % interval; strategies that share "
    "a rank are tied: the samples cannot tell them apart. Bars are the mean over the samples, "
    "whiskers the 95 % confidence interval; lower is better. Curves (when shown) are the "
    "mean load served over time under each strategy."
)
SCHEDULE_TEXT = (
    "Each row is one group (queue) of consumers and each column one hour of local time: "
    "white means power on, dark grey a planned outage, light grey a possible outage and red "
    "an emergency outage. Below, the hours each group spends without power per day. "
    "Choose a region in the menu."
)
CCDF_TEXT = (
    "Out of {n} simulated strikes of this scenario ({none} without any unserved load), the "
    "chance that at least this much load goes unserved, on log-log axes: the further right "
    "the line reaches, the larger the rare worst blackouts."
)
METRICS_TEXT = (
    "The run's numbers in one place. ENS is the energy not served over the horizon; SAIDI, "
    "SAIFI and CAIDI are the usual utility indices of outage duration and frequency."
)
ASSUMPTIONS_TEXT = (
    "What the model assumed for this run. Change them in the scenario file and run it again "
    "to see how much they matter."
)

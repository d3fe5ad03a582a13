"""The HTML report: one self-contained page that tells a run's whole story.

:func:`render_report` reads a run folder (:mod:`~gridmodel.report.run_folder`)
and writes ``report.html`` beside its files; :mod:`~gridmodel.report.figures`
holds the charts as pure functions of the folder's tables. The report draws
what the folder holds and decides nothing about the grid: which substations
were struck or dark is written by the run (``network_state.json``).
"""

from gridmodel.report.render import render_report, render_report_before_rename, report_html
from gridmodel.report.run_folder import RunFolder, read_run_folder

__all__ = [
    "RunFolder",
    "read_run_folder",
    "render_report",
    "render_report_before_rename",
    "report_html",
]

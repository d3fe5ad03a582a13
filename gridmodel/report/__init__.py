"""The HTML report: one self-contained page that tells a run's whole story.

:func:`render_report` reads a run folder and writes ``report.html`` beside
its files; :mod:`~gridmodel.report.figures` holds the charts as pure
functions; :mod:`~gridmodel.studies.network_state` writes the map's grid state
(``network_state.json``) when a run is written.
"""

from gridmodel.report.render import (
    REPORT_FILE,
    render_report,
    render_report_before_rename,
    report_html,
)
from gridmodel.report.run_folder import RunFolder, read_run_folder
from gridmodel.studies.network_state import NETWORK_STATE_FILE, network_state, write_network_state

__all__ = [
    "NETWORK_STATE_FILE",
    "REPORT_FILE",
    "RunFolder",
    "network_state",
    "read_run_folder",
    "render_report",
    "render_report_before_rename",
    "report_html",
    "write_network_state",
]

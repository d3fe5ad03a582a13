"""Writing a run folder (DESIGN.md output contract), all files or none.

Every file is written into a temporary folder that is renamed to its final
name only when the report is built too: the folder is complete or absent.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel._version import __version__
from gridmodel.contract import (
    NETWORK_STATE_FILE,
    RUN_INFO_FILE,
    SUMMARY_FILE,
    TASKS_FILE,
    TIMELINE_CSV,
    TIMELINE_FILE,
    NetworkStateJson,
    SummaryJson,
    write_json,
)
from gridmodel.outputs import atomic_output_dir, safe_csv
from gridmodel.readback import check_written_table
from gridmodel.report import render_report_before_rename
from gridmodel.schedule import Schedule, write_schedule
from gridmodel.schedule.dtek import write_dtek


def write_run_folder(
    out: Path,
    *,
    summary: dict[str, Any],
    run_info: dict[str, Any],
    timeline: pd.DataFrame,
    tasks: pd.DataFrame,
    schedule: Schedule,
    network_state: NetworkStateJson,
    overwrite: bool = False,
) -> Path:
    """Write the run folder and its ``report.html`` into ``out`` atomically; return ``out``.

    ``timeline`` is written as given: :attr:`~gridmodel.studies.run.Run.timeline` has rounded its
    customer counts already (:func:`whole_customers`).
    """
    with atomic_output_dir(out, overwrite=overwrite) as tmp:
        write_json(tmp / SUMMARY_FILE, summary, shape=SummaryJson)
        write_json(tmp / RUN_INFO_FILE, run_info)
        check_written_table(timeline, tmp / TIMELINE_FILE)
        check_written_table(tasks, tmp / TASKS_FILE)
        timeline.to_parquet(tmp / TIMELINE_FILE, index=False)
        safe_csv(timeline_csv(timeline), tmp / TIMELINE_CSV)
        safe_csv(tasks, tmp / TASKS_FILE)
        write_schedule(schedule, tmp)  # schedule.csv/.json/.ics, groups.csv
        write_dtek(schedule, tmp)  # dtek/<region>.json, dtek/index.json
        write_json(tmp / NETWORK_STATE_FILE, network_state, indent=1, shape=NetworkStateJson)
        render_report_before_rename(tmp, out)
    return out


#: Timeline columns that count customers: hour means in the model, whole at output.
CUSTOMER_COLUMNS = ("customers_off", "customers_interrupted")


def whole_customers(frame: pd.DataFrame) -> pd.DataFrame:
    """The timeline with its customer counts rounded to whole customers, once, here.

    The model keeps hour means (customers times their unserved share), and
    ``customer_hours`` and the other metrics come from those, unrounded.
    """
    out = frame.copy()
    for column in CUSTOMER_COLUMNS:
        if column in out.columns:
            out[column] = np.rint(out[column].to_numpy(dtype=float)).astype(np.int64)
    return out


def timeline_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """The timeline with ISO 8601 local times (with offset), for CSV."""
    out = frame.copy()
    out["time"] = [t.isoformat() for t in frame["time"]]
    return out


def run_info(scenario_file: str | None, network_source: str) -> dict[str, Any]:
    """Run metadata for ``run.json``: what differs between identical runs.

    The time, gridmodel and Python versions, host and scenario file path are
    kept out of ``summary.json`` so that file is byte-identical for the same
    scenario and seed.
    """
    return {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "gridmodel": __version__,
        "python": platform.python_version(),
        "host": platform.node(),
        "scenario_file": scenario_file,
        "network_source": str(network_source),
    }

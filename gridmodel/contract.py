"""The output contract: the files a run folder holds and the JSON shapes other programs read.

Both the stages that write a run folder (:mod:`gridmodel.studies`) and the
report that reads it back (:mod:`gridmodel.report`) use these names and
shapes, so neither decides them alone. Every change to a file's shape is
recorded in ``CHANGELOG.md`` and, for ``summary.json``, raises
:data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, TypedDict

from gridmodel.errors import OptionError

#: Version of the ``summary.json`` shape (raised with every change, see CHANGELOG.md).
SCHEMA_VERSION = 2

SUMMARY_FILE = "summary.json"
RUN_INFO_FILE = "run.json"
TIMELINE_FILE = "timeline.parquet"
TIMELINE_CSV = "timeline.csv"
TASKS_FILE = "tasks.csv"
SCHEDULE_CSV = "schedule.csv"
SCHEDULE_JSON = "schedule.json"
SCHEDULE_ICS = "schedule.ics"
GROUPS_FILE = "groups.csv"
#: Folder of the DTEK weekly presets, one ``<region slug>.json`` each, and their index.
DTEK_DIR = "dtek"
DTEK_INDEX = "index.json"
NETWORK_STATE_FILE = "network_state.json"
REPORT_FILE = "report.html"
COMPARISON_FILE = "comparison.csv"
COMPARISON_SAMPLES_FILE = "samples.csv"
COMPARISON_TIMELINE_FILE = "comparison_timeline.parquet"
SAMPLES_DIR = "samples"
CRITICALITY_FILE = "criticality.csv"
#: Marks an unfinished Monte Carlo run folder.
INCOMPLETE_FILE = "INCOMPLETE"

#: Substation states of the map, darkest first.
SUBSTATION_STATES: tuple[str, ...] = ("struck", "dark", "energised")
#: Branch states of the map.
BRANCH_STATES: tuple[str, ...] = ("in_service", "out", "struck", "tripped")


class RegionImpact(TypedDict):
    """One region of ``impact.by_region``."""

    region: str
    load_mw: float
    unserved_mw: float
    customers_off: int


class TrippedBranch(TypedDict):
    """One branch of ``impact.tripped_branches``."""

    element: str
    index: int
    step: int
    loading_percent: float


class ImpactJson(TypedDict):
    """The ``gridmodel impact --json`` object, and ``impact`` in ``summary.json``."""

    load_mw: float
    served_mw: float
    unserved_mw: float
    dark_mw: float
    shed_mw: float
    critical_unserved_mw: float
    customers_off: int
    islands: int
    energized_islands: int
    deenergized_buses: list[int]
    tripped_branches: list[TrippedBranch]
    by_region: list[RegionImpact]
    converged: bool
    mode: str
    warnings: list[str]


class SubstationState(TypedDict):
    """One substation of ``network_state.json``."""

    substation: str
    name: str
    region: str
    lat: float | None
    lon: float | None
    vn_kv: float | None
    state: str
    load_mw: float | None
    unserved_mw: float | None
    customers_off: int


#: One branch of ``network_state.json`` (``from`` is a keyword, hence this form).
BranchState = TypedDict(
    "BranchState",
    {
        "element": str,
        "index": int,
        "from": str,
        "to": str,
        "flow_mw": float | None,
        "rating_mw": float | None,
        "loading_percent": float | None,
        "state": str,
        "trip_step": int | None,
    },
)


class RegionOutline(TypedDict):
    """One region outline of ``network_state.json``: closed rings of ``[lon, lat]`` in degrees."""

    region: str
    rings: list[list[list[float]]]


class NetworkStateJson(TypedDict):
    """``network_state.json``: what the report's map draws.

    ``outlines`` is empty for a network without region outlines; run folders
    written before it existed lack the key.
    """

    network: str
    substations: list[SubstationState]
    branches: list[BranchState]
    outlines: list[RegionOutline]


def check_schema_version(summary: Any, file: Path) -> None:
    """Refuse a ``summary.json`` of another shape than :data:`SCHEMA_VERSION`.

    Raises
    ------
    OptionError
        ``summary`` has no ``schema_version`` (written before it existed) or a
        different one, in words: which gridmodel wrote it and what to do.
    """
    version = summary.get("schema_version") if isinstance(summary, dict) else None
    if version == SCHEMA_VERSION and not isinstance(version, bool):
        return
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        problem = f"schema_version {version} was written by a newer gridmodel; update gridmodel"
    elif version is None:
        problem = "no schema_version: written by an older gridmodel; run it again"
    elif isinstance(version, int) and not isinstance(version, bool):
        problem = f"schema_version {version} was written by an older gridmodel; run it again"
    else:
        problem = f"schema_version {version!r} is not one gridmodel writes"
    raise OptionError(problem, file=file, field="schema_version", allowed=str(SCHEMA_VERSION))


def round_mw(value: float) -> float:
    """A power (MW) as files hold it: rounded to 1e-6 MW, never ``-0.0``."""
    rounded = round(float(value), 6)
    return 0.0 if rounded == 0 else rounded


def finite_or_none(value: Any, digits: int) -> float | None:
    """A finite float rounded to ``digits``, ``None`` for NaN or infinity, never ``-0.0``."""
    number = float(value)
    if not math.isfinite(number):
        return None
    rounded = round(number, digits)
    return 0.0 if rounded == 0 else rounded


def write_json(path: Path, data: Any, *, indent: int = 2) -> None:
    """Write JSON with stable formatting (keys in the order given) and a final newline."""
    path.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")

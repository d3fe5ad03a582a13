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
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from gridmodel.errors import InternalError, OptionError
from gridmodel.shapes import Range, shape_problem

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
#: Folder of a criticality study's chunk files (every outage's figures).
OUTAGES_DIR = "outages"
#: Marks an unfinished Monte Carlo run or criticality study folder.
INCOMPLETE_FILE = "INCOMPLETE"
#: ``kind`` in the ``summary.json`` of a compare and a criticality folder (a run's and a
#: Monte Carlo sweep's summary has no ``kind``).
COMPARE_KIND = "compare"
CRITICALITY_KIND = "criticality"

#: Largest power (MW) a file holds: far above any grid's total (the world's is ~1e7 MW).
MAX_MW = 1e9
#: Largest count of customers, hits, islands or elements a file holds.
MAX_COUNT = 10**12
#: Largest number of hours a file holds (over a century).
MAX_HOURS = 1e6
#: Largest branch loading (percent) a file holds: any finite number, since a
#: network may rate a branch as low as it likes (a rating of 1e-6 kA gives
#: loadings of billions of percent, a real result of such a file).
MAX_PERCENT = math.inf

#: Power (MW) at least 0, as the output files hold it.
MW = Annotated[float, Range(0, MAX_MW)]
#: Power (MW) either way (a branch flow).
SignedMW = Annotated[float, Range(-MAX_MW, MAX_MW)]
#: Energy (MWh) at least 0.
MWh = Annotated[float, Range(0, MAX_MW * MAX_HOURS)]
#: A count of customers, hits, steps or elements: a whole number at least 0.
Count = Annotated[int, Range(0, MAX_COUNT)]
#: A duration (hours) at least 0.
Hours = Annotated[float, Range(0, MAX_HOURS)]
#: A share from 0 to 1.
Share = Annotated[float, Range(0, 1)]
#: A branch loading (percent of its rating), at least 0 and finite.
Percent = Annotated[float, Range(0, MAX_PERCENT)]

#: Substation states of the map, darkest first.
SUBSTATION_STATES: tuple[str, ...] = ("struck", "dark", "energised")
#: Branch states of the map.
BRANCH_STATES: tuple[str, ...] = ("in_service", "out", "struck", "tripped")


class RegionImpact(TypedDict):
    """One region of ``impact.by_region``."""

    region: str
    load_mw: MW
    unserved_mw: MW
    customers_off: Count


class TrippedBranch(TypedDict):
    """One branch of ``impact.tripped_branches``."""

    element: str
    index: Count
    step: Count
    loading_percent: Percent


class ImpactJson(TypedDict):
    """The ``gridmodel impact --json`` object, and ``impact`` in ``summary.json``."""

    load_mw: MW
    served_mw: MW
    unserved_mw: MW
    dark_mw: MW
    shed_mw: MW
    critical_unserved_mw: MW
    customers_off: Count
    islands: Count
    energized_islands: Count
    deenergized_buses: list[Count]
    tripped_branches: list[TrippedBranch]
    by_region: list[RegionImpact]
    converged: bool
    mode: str
    warnings: list[str]
    #: In ``summary.json``: the strike's hour (hours from the start, local ISO 8601 time).
    time_h: NotRequired[Hours]
    time: NotRequired[str]


class PeakImpactJson(TypedDict):
    """``impact_at_peak`` in ``summary.json``: the same damage at the network's peak demand.

    ``time`` (local, ISO 8601) and ``time_h`` (hours from the scenario's
    start) name the hour of highest demand in the day from the strike on;
    ``None`` for a flat demand profile.
    """

    load_mw: MW
    served_mw: MW
    unserved_mw: MW
    dark_mw: MW
    shed_mw: MW
    customers_off: Count
    time_h: NotRequired[Hours | None]
    time: NotRequired[str | None]


class StrikeWave(TypedDict):
    """One wave of ``strikes.waves`` in ``summary.json``, in scenario file order.

    ``intercepted`` of its salvos' ``missiles``; ``hits_by_source`` counts
    the hits from ``salvos`` (missiles that got through), named ``targets``
    and ``random`` picks; ``hits_by_kind`` by element kind (``gen``,
    ``substation``, ...). ``carried``: damage from before the scenario;
    ``note``: the scenario's words on how the counts relate to the record.
    """

    wave: Count
    name: str
    note: NotRequired[str]
    time_h: Hours
    carried: bool
    missiles: Count
    intercepted: Count
    hits: Count
    hits_by_source: dict[str, Count]
    hits_by_kind: dict[str, Count]
    trips: Count


class StrikeHit(TypedDict):
    """One hit of ``strikes.hits`` in ``summary.json``."""

    wave: Count
    time_h: Hours
    element: str
    severity: Share
    origin: str


class StrikeTrip(TypedDict):
    """One element of ``strikes.trips`` in ``summary.json``: tripped by a wave's shock."""

    wave: Count
    time_h: Hours
    element: str


class SubstationState(TypedDict):
    """One substation of ``network_state.json``."""

    substation: str
    name: str
    region: str
    lat: float | None
    lon: float | None
    vn_kv: Annotated[float, Range(0, 1e4)] | None
    state: str
    load_mw: MW | None
    unserved_mw: MW | None
    customers_off: Count


#: One branch of ``network_state.json`` (``from`` is a keyword, hence this form).
BranchState = TypedDict(
    "BranchState",
    {
        "element": str,
        "index": Count,
        "from": str,
        "to": str,
        "flow_mw": SignedMW | None,
        "rating_mw": MW | None,
        "loading_percent": Percent | None,
        "state": str,
        "trip_step": Count | None,
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
    outlines: NotRequired[list[RegionOutline]]


class MetricsJson(TypedDict, total=False):
    """``metrics`` of a run's ``summary.json``, and each region of its ``by_region``.

    A figure the timeline cannot give (CAIDI without interruptions, a level
    never restored within the horizon) is ``None``.
    """

    region: str
    ens_mwh: MWh | None
    customer_hours: Annotated[float, Range(0, MAX_COUNT * MAX_HOURS)] | None
    saidi_h: Hours | None
    saifi: Annotated[float, Range(0, MAX_COUNT)] | None
    caidi_h: Hours | None
    peak_deficit_mw: MW | None
    restore_h: dict[str, Hours | None]
    network_restored_h: Hours | None
    supply_restored_h: Hours | None
    critical_ens_mwh: MWh | None
    critical_outage_h: Hours | None
    trapezoid: dict[str, float | None]
    by_region: list[MetricsJson]


class StrikesJson(TypedDict, total=False):
    """``strikes`` of a run's ``summary.json``."""

    missiles: Count
    intercepted: Count
    hits: list[StrikeHit]
    trips: list[StrikeTrip]
    random: bool
    waves: list[StrikeWave]


class SummaryJson(TypedDict, total=False):
    """``summary.json`` of a run, compare, Monte Carlo or criticality folder, as read back.

    One shape for every folder: the keys a kind of folder lacks are absent.
    ``options``, ``assumptions`` and ``frequency`` may hold any JSON with
    finite numbers.
    """

    schema_version: int
    scenario: str | None
    network: str | None
    seed: int | None
    sample: Count
    strategy: str | None
    options: dict[str, Any]
    assumptions: dict[str, Any]
    strikes: StrikesJson
    impact: ImpactJson
    impact_at_peak: PeakImpactJson
    frequency: dict[str, Any]
    metrics: MetricsJson
    # compare and criticality: COMPARE_KIND or CRITICALITY_KIND
    kind: Literal["compare", "criticality"]
    # compare (and ``samples``)
    strategies: list[str]
    notes: list[str]
    # Monte Carlo
    samples: Count
    timeline: bool
    p_any_unserved: Share
    quantiles: dict[str, dict[str, float | None]]
    # criticality
    k: Count
    substations: Count
    load_mw: MW
    outages_total: Count
    outages_evaluated: Count
    sampled: bool
    top: list[dict[str, Any]]


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


def write_json(path: Path, data: Any, *, indent: int = 2, shape: Any = Any) -> None:
    """Write JSON with stable formatting (keys in the order given) and a final newline.

    ``data`` is checked first (:func:`check_written`): nothing is written
    when it holds NaN, an infinity or, with ``shape``, a value outside it.
    """
    check_written(data, path, shape)
    path.write_text(json.dumps(data, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")


def check_written(data: Any, path: Path, shape: Any = Any) -> None:
    """Refuse to write ``data`` to ``path`` with a non-finite number or a value outside ``shape``.

    A count below 0 or a NaN in a result is a bug of the model, never the
    user's input, so it is not written for a reader to trip over.

    Raises
    ------
    InternalError
        Naming the file and the field.
    """
    problem = shape_problem(data, shape)
    if problem is not None:
        raise InternalError(f"{path.name} would hold {problem}; nothing was written")

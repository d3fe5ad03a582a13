"""The scenario schema: frozen pydantic models, one per TOML section.

Every model forbids unknown keys and validates strictly (a quoted number is
not a number). Each field carries an ``allowed`` text in its JSON-schema extra;
:mod:`gridmodel.scenario.load` uses it to say what would have been accepted.
Repair durations default to the public figures of ``shared/DOMAIN.md``
("Repair"); all figures are approximate.

Names checked later, not here: the repair ``strategy``, the schedule
``policy`` and the demand ``profile`` name are stored as strings and looked up
in their registries by the stages that use them; region names, substation ids
and element indices are checked against the network by
:func:`gridmodel.scenario.check.check_scenario`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gridmodel.errors import close_matches
from gridmodel.grid import Element

#: Element kinds an explicit wave target may name.
TARGET_KINDS: tuple[str, ...] = ("substation", "bus", "line", "trafo", "gen", "sgen")
#: Element kinds a trip (protection disconnection) may name.
TRIP_KINDS: tuple[str, ...] = ("gen", "sgen", "line", "trafo", "ext_grid")
#: Element kinds a salvo or a random pick draws its targets from.
SALVO_KINDS: tuple[str, ...] = ("substation", "trafo", "gen", "line")
#: Key of an interception table that applies to regions not listed in it.
DEFAULT_KEY = "default"
HOURS_PER_MONTH = 730.0


def _field(default: Any, allowed: str, **constraints: Any) -> Any:
    """A pydantic Field that remembers, in words, what it accepts."""
    return Field(default, json_schema_extra={"allowed": allowed}, **constraints)


def _fail(message: str, allowed: str, field: str | None = None) -> PydanticCustomError:
    ctx: dict[str, Any] = {"allowed": allowed}
    if field is not None:
        ctx["field"] = field
    return PydanticCustomError("scenario", message, ctx)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_element(text: str, *, kinds: tuple[str, ...] = TARGET_KINDS) -> Element:
    """Parse ``"kind:id"`` into an :class:`~gridmodel.grid.Element`.

    ``id`` is a non-negative integer for every kind but ``substation``, whose
    id is the substation identifier (any non-empty text).

    Raises
    ------
    ValueError
        With a message saying what is wrong and which kinds are allowed.
    """
    kind, sep, ident = text.strip().partition(":")
    kind, ident = kind.strip(), ident.strip()
    if not sep or not ident:
        raise ValueError(f"{text!r} is not 'kind:id'")
    if kind not in kinds:
        near = close_matches(kind, kinds)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"unknown element kind {kind!r} in {text!r}{hint}")
    if kind == "substation":
        return Element(kind, ident)
    if not ident.isdigit():
        raise ValueError(f"{kind} id must be a non-negative integer index, got {ident!r}")
    return Element(kind, int(ident))


def _element_ref(kinds: tuple[str, ...]) -> Any:
    """A before-validator checking ``"kind:id"`` text with ``kind`` in ``kinds``."""
    allowed = (
        "'kind:id' with kind one of " + ", ".join(kinds) + " (e.g. 'substation:KYIV', 'line:12')"
    )

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise _fail(f"must be a string 'kind:id', got {value!r}", allowed) from None
        try:
            element = parse_element(value, kinds=kinds)
        except ValueError as exc:
            raise _fail(str(exc), allowed) from None
        return str(element)

    return check


TargetRef = Annotated[str, BeforeValidator(_element_ref(TARGET_KINDS))]
TripRef = Annotated[str, BeforeValidator(_element_ref(TRIP_KINDS))]

_SEVERITY_ALLOWED = "a number in (0, 1], or [min, max] with 0 < min <= max <= 1"


def _severity(value: Any) -> Any:
    if value is None:
        return None
    if _is_number(value):
        if not 0 < value <= 1:
            raise _fail(f"must be in (0, 1], got {value}", _SEVERITY_ALLOWED)
        return float(value)
    if isinstance(value, list | tuple) and len(value) == 2 and all(map(_is_number, value)):
        low, high = float(value[0]), float(value[1])
        if not 0 < low <= high <= 1:
            raise _fail(f"range [{low}, {high}] is not within (0, 1] in order", _SEVERITY_ALLOWED)
        return (low, high)
    raise _fail(f"must be a number or [min, max], got {value!r}", _SEVERITY_ALLOWED)


Severity = Annotated[float | tuple[float, float] | None, BeforeValidator(_severity)]

_INTERCEPTION_ALLOWED = (
    f"a probability from 0 to 1, or a table region -> probability (key '{DEFAULT_KEY}' "
    "for regions not listed)"
)


def _interception(value: Any) -> Any:
    if _is_number(value):
        if not 0 <= value <= 1:
            raise _fail(f"must be a probability from 0 to 1, got {value}", _INTERCEPTION_ALLOWED)
        return float(value)
    if isinstance(value, dict) and value:
        bad = [f"{k}={v!r}" for k, v in value.items() if not (_is_number(v) and 0 <= v <= 1)]
        if bad:
            raise _fail(
                "table values must be probabilities from 0 to 1, got " + ", ".join(bad),
                _INTERCEPTION_ALLOWED,
            )
        return {str(k): float(v) for k, v in value.items()}
    raise _fail(f"must be a number or a table, got {value!r}", _INTERCEPTION_ALLOWED)


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


def _regions_of(region: str | None, regions: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if region is not None:
        return (region,)
    return regions


class _Targeted(_Section):
    """Fields shared by salvos and random picks: where and what to hit."""

    region: str | None = _field(None, "a region name of the network")
    regions: Annotated[tuple[str, ...], Strict(False)] | None = _field(
        None, "a non-empty list of region names of the network"
    )
    target: Literal["substation", "trafo", "gen", "line"] = _field(
        "substation", "substation, trafo, gen, line"
    )
    weight: Literal["uniform", "load", "voltage"] = _field("uniform", "uniform, load, voltage")
    severity: Severity = _field(None, _SEVERITY_ALLOWED + "; omitted: the wave's severity")

    @model_validator(mode="after")
    def _one_region_key(self) -> _Targeted:
        if self.region is not None and self.regions is not None:
            raise _fail(
                "give either region or regions, not both", "one of region, regions", "regions"
            )
        if self.regions is not None and not self.regions:
            raise _fail("must not be empty (omit it for all regions)", "region names", "regions")
        return self

    @property
    def region_names(self) -> tuple[str, ...] | None:
        """The regions targeted, or ``None`` for every region of the network."""
        return _regions_of(self.region, self.regions)

    @property
    def region_field(self) -> str:
        """The key the user wrote the regions under (for messages)."""
        return "region" if self.region is not None else "regions"


class Salvo(_Targeted):
    """Missiles fired at one kind of target in some regions.

    Each missile first picks its target among the candidates of the regions
    (with probability proportional to ``weight``), then is intercepted with
    the probability of the target's region.
    """

    missiles: int = _field(..., "a whole number >= 0", ge=0)
    interception: Annotated[float | dict[str, float], BeforeValidator(_interception)] = _field(
        0.0, _INTERCEPTION_ALLOWED
    )

    def interception_for(self, region: str) -> float | None:
        """Interception probability over ``region`` (``None`` if the table lacks it)."""
        if isinstance(self.interception, float):
            return self.interception
        return self.interception.get(region, self.interception.get(DEFAULT_KEY))


class RandomPick(_Targeted):
    """``count`` distinct targets drawn in the regions (always hit)."""

    count: int = _field(..., "a whole number >= 1", ge=1)


class TripSpec(_Section):
    """Elements disconnected by protection, not damaged (e.g. nuclear units).

    They come back after ``resync_h`` hours without a repair crew.
    """

    elements: Annotated[tuple[TripRef, ...], Strict(False)] = _field(
        (), "a list of 'kind:index' with kind one of " + ", ".join(TRIP_KINDS)
    )
    gen_types: Annotated[tuple[str, ...], Strict(False)] = _field(
        (), "a list of generator types (nuclear, thermal, chp, hydro, ...)"
    )
    resync_h: float | None = _field(
        None, "a number of hours > 0; omitted: repair.resync_h", gt=0, allow_inf_nan=False
    )

    @model_validator(mode="after")
    def _not_empty(self) -> TripSpec:
        if not self.elements and not self.gen_types:
            raise _fail(
                "a trip needs elements or gen_types", "elements and/or gen_types", "elements"
            )
        return self


class Wave(_Section):
    """One strike wave: everything that happens at ``time_h``."""

    time_h: float = _field(0.0, "hours >= 0 from the scenario start", ge=0, allow_inf_nan=False)
    name: str = _field("", "any text")
    targets: Annotated[tuple[TargetRef, ...], Strict(False)] = _field(
        (), "a list of 'kind:id' with kind one of " + ", ".join(TARGET_KINDS)
    )
    severity: float = _field(1.0, "a number in (0, 1]", gt=0, le=1)
    salvos: Annotated[tuple[Salvo, ...], Strict(False)] = _field((), "[[waves.salvos]] tables")
    random: Annotated[tuple[RandomPick, ...], Strict(False)] = _field((), "[[waves.random]] tables")
    trips: Annotated[tuple[TripSpec, ...], Strict(False)] = _field((), "[[waves.trips]] tables")

    @model_validator(mode="after")
    def _does_something(self) -> Wave:
        if not (self.targets or self.salvos or self.random or self.trips):
            raise _fail(
                "an empty wave: give targets, salvos, random or trips",
                "targets, [[waves.salvos]], [[waves.random]], [[waves.trips]]",
            )
        return self

    @property
    def target_elements(self) -> tuple[Element, ...]:
        """The explicit targets as elements, in file order."""
        return tuple(parse_element(t) for t in self.targets)

    @property
    def missiles(self) -> int:
        """Missiles fired in the wave's salvos."""
        return sum(s.missiles for s in self.salvos)


class ModelOptions(_Section):
    """The ``[model]`` section: how the grid state is evaluated."""

    mode: Literal["dc", "ac"] = _field("dc", "dc, ac")
    overload: Literal["trip", "shed"] = _field("trip", "trip, shed")
    ratings: str = _field("raise-base", "file, raise-base, margin:X with X > 0 (e.g. margin:0.2)")
    overload_limit_percent: float = _field(100.0, "a percentage > 0", gt=0, allow_inf_nan=False)

    @field_validator("ratings")
    @classmethod
    def _ratings(cls, value: str) -> str:
        allowed = "file, raise-base, margin:X with X > 0 (e.g. margin:0.2)"
        if value in ("file", "raise-base"):
            return value
        match = re.fullmatch(r"margin:\s*([0-9.eE+-]+)", value.strip())
        if match:
            try:
                margin = float(match.group(1))
            except ValueError:
                margin = math.nan
            if margin > 0 and math.isfinite(margin):
                return f"margin:{match.group(1)}"
        near = close_matches(value, ["file", "raise-base", "margin:0.2"])
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise _fail(f"unknown ratings mode {value!r}{hint}", allowed)

    @property
    def ratings_margin(self) -> float | None:
        """The X of ``margin:X``, or ``None`` for the other modes."""
        return float(self.ratings.split(":", 1)[1]) if self.ratings.startswith("margin:") else None


class Duration(_Section):
    """A repair-duration distribution in hours.

    ``lognormal``: median ``median_h``, shape ``sigma``, clipped to
    [``min_h``, ``max_h``] where given. ``uniform``: between ``min_h`` and
    ``max_h``. ``fixed``: always ``median_h``.
    """

    dist: Literal["lognormal", "uniform", "fixed"] = _field(
        "lognormal", "lognormal, uniform, fixed"
    )
    median_h: float | None = _field(None, "hours > 0", gt=0, allow_inf_nan=False)
    sigma: float = _field(0.5, "a lognormal shape > 0", gt=0, allow_inf_nan=False)
    min_h: float | None = _field(None, "hours > 0", gt=0, allow_inf_nan=False)
    max_h: float | None = _field(None, "hours > 0", gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _consistent(self) -> Duration:
        if self.dist in ("lognormal", "fixed") and self.median_h is None:
            raise _fail(f"{self.dist} needs median_h", "hours > 0", "median_h")
        if self.dist == "uniform" and (self.min_h is None or self.max_h is None):
            raise _fail("uniform needs min_h and max_h", "hours > 0", "min_h")
        if self.min_h is not None and self.max_h is not None and self.min_h > self.max_h:
            raise _fail(
                f"min_h {self.min_h} is above max_h {self.max_h}", "min_h <= max_h", "max_h"
            )
        return self

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` durations in hours; consumes exactly ``size`` normals or uniforms
        (none for ``fixed``)."""
        if self.dist == "fixed":
            return np.full(size, float(self.median_h or 0.0))
        if self.dist == "uniform":
            return rng.uniform(float(self.min_h or 0.0), float(self.max_h or 0.0), size)
        values = float(self.median_h or 0.0) * np.exp(self.sigma * rng.standard_normal(size))
        low = self.min_h if self.min_h is not None else 0.0
        high = self.max_h if self.max_h is not None else np.inf
        return np.clip(values, low, high)


#: Default repair durations (public figures, shared/DOMAIN.md "Repair"; approximate).
DEFAULT_DURATIONS: dict[str, dict[str, Any]] = {
    # overhead line: hours to a few days
    "line": {"dist": "lognormal", "median_h": 24.0, "sigma": 0.7, "min_h": 4.0, "max_h": 96.0},
    # substation switchgear: days
    "substation": {
        "dist": "lognormal",
        "median_h": 72.0,
        "sigma": 0.5,
        "min_h": 24.0,
        "max_h": 240.0,
    },
    # autotransformer with a spare on hand: about 2-3 weeks to move and install
    "trafo": {"dist": "uniform", "min_h": 14 * 24.0, "max_h": 21 * 24.0},
    # without a spare: 6-18 months to manufacture
    "trafo_no_spare": {
        "dist": "uniform",
        "min_h": 6 * HOURS_PER_MONTH,
        "max_h": 18 * HOURS_PER_MONTH,
    },
    # thermal plant units: weeks to months
    "gen": {"dist": "lognormal", "median_h": 504.0, "sigma": 0.5, "min_h": 168.0, "max_h": 2160.0},
}
#: Which duration table each element kind uses.
DURATION_KIND: dict[str, str] = {
    "substation": "substation",
    "bus": "substation",
    "line": "line",
    "trafo": "trafo",
    "gen": "gen",
    "sgen": "gen",
    "ext_grid": "line",
    "load": "substation",
}


def _merge_durations(value: Any) -> Any:
    """A partial table (no ``dist``) overrides the default of its type key by key."""
    if not isinstance(value, dict):
        return value
    merged: dict[str, Any] = {}
    for key, table in value.items():
        if isinstance(table, dict) and "dist" not in table and key in DEFAULT_DURATIONS:
            merged[key] = {**DEFAULT_DURATIONS[key], **table}
        else:
            merged[key] = table
    return merged


class Durations(_Section):
    """Repair-duration distributions per element type."""

    substation: Duration = _field(Duration(**DEFAULT_DURATIONS["substation"]), "a duration table")
    line: Duration = _field(Duration(**DEFAULT_DURATIONS["line"]), "a duration table")
    trafo: Duration = _field(Duration(**DEFAULT_DURATIONS["trafo"]), "a duration table")
    trafo_no_spare: Duration = _field(
        Duration(**DEFAULT_DURATIONS["trafo_no_spare"]), "a duration table"
    )
    gen: Duration = _field(Duration(**DEFAULT_DURATIONS["gen"]), "a duration table")

    def for_kind(self, kind: str, *, spare: bool = True) -> Duration:
        """The distribution for an element kind (``spare=False``: a transformer
        without a spare on hand)."""
        if kind == "trafo" and not spare:
            return self.trafo_no_spare
        return getattr(self, DURATION_KIND.get(kind, "substation"))


class RepairOptions(_Section):
    """The ``[repair]`` section."""

    strategy: str = _field("critical_first", "a registered repair strategy name")
    crews: int = _field(10, "a whole number >= 1", ge=1)
    crews_per_region: dict[str, Annotated[int, Field(ge=1)]] | None = _field(
        None, "a table region -> crews (whole numbers >= 1)"
    )
    horizon_h: float = _field(336.0, "hours > 0", gt=0, allow_inf_nan=False)
    around_the_clock: bool = _field(True, "true, false")
    shift_hours: Annotated[tuple[int, int], Strict(False)] = _field(
        (8, 20), "[start, end] local hours with 0 <= start < end <= 24"
    )
    spare_transformers: int = _field(2, "a whole number >= 0", ge=0)
    resync_h: float = _field(24.0, "hours > 0", gt=0, allow_inf_nan=False)
    durations: Annotated[Durations, BeforeValidator(_merge_durations)] = _field(
        Durations(), "[repair.durations.<type>] tables, type one of " + ", ".join(DEFAULT_DURATIONS)
    )

    @field_validator("shift_hours")
    @classmethod
    def _shift(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] < value[1] <= 24:
            raise _fail(
                f"{list(value)} is not a working window", "[start, end], 0 <= start < end <= 24"
            )
        return value


def _profile(value: Any) -> Any:
    allowed = "a profile name (e.g. 'winter-weekday') or a list of 24 hourly factors >= 0"
    if isinstance(value, str):
        if not value.strip():
            raise _fail("must not be empty", allowed)
        return value
    if isinstance(value, list | tuple):
        if len(value) != 24 or not all(_is_number(v) and 0 <= v < math.inf for v in value):
            raise _fail(f"needs 24 numbers >= 0, got {len(value)} values", allowed)
        if not any(value):
            raise _fail("all 24 factors are zero", allowed)
        return tuple(float(v) for v in value)
    raise _fail(f"must be a name or a list, got {value!r}", allowed)


class DemandOptions(_Section):
    """The ``[demand]`` section."""

    profile: Annotated[str | tuple[float, ...], BeforeValidator(_profile)] = _field(
        "winter-weekday", "a profile name or a list of 24 hourly factors >= 0"
    )
    scale: float = _field(1.0, "a factor > 0", gt=0, allow_inf_nan=False)


_GROUPS_ALLOWED = "a whole number >= 1 (e.g. 6), or 'NxM' for N groups of M subgroups (e.g. '6x2')"


def _groups(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise _fail(f"must be >= 1, got {value}", _GROUPS_ALLOWED)
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", value)
        if match and int(match.group(1)) >= 1 and int(match.group(2)) >= 1:
            return f"{int(match.group(1))}x{int(match.group(2))}"
    raise _fail(f"got {value!r}", _GROUPS_ALLOWED)


class ScheduleOptions(_Section):
    """The ``[schedule]`` section: rolling shutdowns."""

    groups: Annotated[int | str | None, BeforeValidator(_groups)] = _field(
        None, _GROUPS_ALLOWED + "; omitted: the network's regions.csv"
    )
    slot_hours: Literal[1, 2, 4] = _field(4, "1, 2, 4")
    policy: str = _field("fair_rotation", "a registered schedule policy name")
    possible_margin: float = _field(0.1, "a share >= 0 (0.1 = 10 %)", ge=0, allow_inf_nan=False)
    days: int = _field(2, "a whole number of days >= 1", ge=1)
    min_on_h: float | None = _field(
        None, "hours >= 0; omitted: one slot", ge=0, allow_inf_nan=False
    )
    emergency_h: float = _field(
        4.0, "hours >= 0 after a strike wave shown as emergency", ge=0, allow_inf_nan=False
    )
    protected_groups: Annotated[tuple[str, ...], Strict(False)] = _field(
        (), "a list of group labels (e.g. ['1', '2.1'])"
    )

    def group_labels(self, default: int = 6) -> tuple[str, ...]:
        """Group labels: ``"1"`` ... ``"N"``, or ``"1.1"`` ... ``"N.M"`` for ``"NxM"``."""
        groups = self.groups if self.groups is not None else default
        if isinstance(groups, int):
            return tuple(str(g) for g in range(1, groups + 1))
        n, m = (int(p) for p in groups.split("x"))
        return tuple(f"{g}.{s}" for g in range(1, n + 1) for s in range(1, m + 1))


def _start(value: Any) -> Any:
    allowed = "a TOML date-time without quotes, e.g. 2022-12-16T07:00:00+02:00"
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise _fail(f"{value!r} is not a date-time", allowed) from None
    raise _fail(f"{value!s} is not a date-time", allowed)


def _timezone(value: Any) -> Any:
    if not isinstance(value, str):
        raise _fail(f"got {value!r}", "an IANA time zone name, e.g. 'Europe/Kyiv'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        near = close_matches(value, sorted(available_timezones()))
        hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
        raise _fail(
            f"unknown time zone {value!r}{hint}", "an IANA time zone name, e.g. 'Europe/Kyiv'"
        ) from None
    return value


class Scenario(_Section):
    """A whole scenario file. See ``scenarios/*.toml`` for commented examples."""

    title: str = _field("", "any text")
    network: str = _field(..., "a catalog name or a network file path", min_length=1)
    seed: int = _field(0, "a whole number >= 0", ge=0)
    start: Annotated[datetime, BeforeValidator(_start)] = _field(
        datetime(2022, 12, 16), "a TOML date-time, e.g. 2022-12-16T07:00:00+02:00"
    )
    timezone: Annotated[str, BeforeValidator(_timezone)] = _field(
        "Europe/Kyiv", "an IANA time zone name, e.g. 'Europe/Kyiv'"
    )
    model: ModelOptions = _field(ModelOptions(), "a [model] table")
    waves: Annotated[tuple[Wave, ...], Strict(False)] = _field((), "[[waves]] tables")
    repair: RepairOptions = _field(RepairOptions(), "a [repair] table")
    demand: DemandOptions = _field(DemandOptions(), "a [demand] table")
    schedule: ScheduleOptions = _field(ScheduleOptions(), "a [schedule] table")

    _file: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _waves_in_order(self) -> Scenario:
        times = [w.time_h for w in self.waves]
        for i in range(1, len(times)):
            if times[i] < times[i - 1]:
                raise _fail(
                    f"waves[{i}] at {times[i]} h comes before waves[{i - 1}] at {times[i - 1]} h",
                    "waves listed in time order",
                    f"waves[{i}].time_h",
                )
        return self

    @property
    def start_time(self) -> datetime:
        """Local time of hour 0, aware, in :attr:`timezone` (a naive ``start`` is local)."""
        zone = ZoneInfo(self.timezone)
        if self.start.tzinfo is None:
            return self.start.replace(tzinfo=zone)
        return self.start.astimezone(zone)

    @property
    def file(self) -> str | None:
        """The file the scenario was loaded from, if any."""
        return self._file

    @property
    def missiles(self) -> int:
        """Missiles fired over all waves."""
        return sum(w.missiles for w in self.waves)

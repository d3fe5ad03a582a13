"""Options of the restoration stage: the scenario's ``[repair]`` and ``[demand]`` sections.

Repair durations default to the public figures of ``shared/DOMAIN.md``
("Repair"); all figures are approximate. The repair ``strategy`` and a
demand ``profile`` name are stored as strings and looked up in their
registries (:mod:`~gridmodel.restoration.strategies`,
:mod:`~gridmodel.restoration.demand`) by the stage that uses them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, Strict, field_validator, model_validator

from gridmodel.schema import StrictModel, allowed_field, fail, is_number

#: Hours in an average month (8,760 h / 12), for durations given in months.
HOURS_PER_MONTH = 730.0
#: Largest ``[demand] scale``: ten times the network's loads.
MAX_DEMAND_SCALE = 10.0
#: Most repair crews (and spare transformers) a scenario may name: far above any grid's.
MAX_CREWS = 10_000


class Duration(StrictModel):
    """A repair-duration distribution in hours.

    ``lognormal``: median ``median_h``, shape ``sigma``, clipped to
    [``min_h``, ``max_h``] where given. ``uniform``: between ``min_h`` and
    ``max_h``. ``fixed``: always ``median_h``.
    """

    dist: Literal["lognormal", "uniform", "fixed"] = allowed_field(
        "lognormal", "lognormal, uniform, fixed"
    )
    median_h: float | None = allowed_field(
        None, "hours > 0 and <= 87600", gt=0, le=87600, allow_inf_nan=False
    )
    sigma: float = allowed_field(
        0.5, "a lognormal shape > 0 and <= 5", gt=0, le=5, allow_inf_nan=False
    )
    min_h: float | None = allowed_field(
        None, "hours > 0 and <= 87600", gt=0, le=87600, allow_inf_nan=False
    )
    max_h: float | None = allowed_field(
        None, "hours > 0 and <= 87600", gt=0, le=87600, allow_inf_nan=False
    )

    @model_validator(mode="after")
    def _consistent(self) -> Duration:
        if self.dist in ("lognormal", "fixed") and self.median_h is None:
            raise fail(f"{self.dist} needs median_h", "hours > 0", "median_h")
        if self.dist == "uniform" and (self.min_h is None or self.max_h is None):
            raise fail("uniform needs min_h and max_h", "hours > 0", "min_h")
        if self.min_h is not None and self.max_h is not None and self.min_h > self.max_h:
            raise fail(f"min_h {self.min_h} is above max_h {self.max_h}", "min_h <= max_h", "max_h")
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


class Durations(StrictModel):
    """Repair-duration distributions per element type."""

    substation: Duration = allowed_field(
        Duration(**DEFAULT_DURATIONS["substation"]), "a duration table"
    )
    line: Duration = allowed_field(Duration(**DEFAULT_DURATIONS["line"]), "a duration table")
    trafo: Duration = allowed_field(Duration(**DEFAULT_DURATIONS["trafo"]), "a duration table")
    trafo_no_spare: Duration = allowed_field(
        Duration(**DEFAULT_DURATIONS["trafo_no_spare"]), "a duration table"
    )
    gen: Duration = allowed_field(Duration(**DEFAULT_DURATIONS["gen"]), "a duration table")

    def for_kind(self, kind: str, *, spare: bool = True) -> Duration:
        """The distribution for an element kind (``spare=False``: a transformer
        without a spare on hand)."""
        if kind == "trafo" and not spare:
            return self.trafo_no_spare
        return getattr(self, DURATION_KIND.get(kind, "substation"))


class SwitchingOptions(StrictModel):
    """The ``[repair.switching]`` table: what operators do within hours of a hit.

    Operators switch, crews repair (DOMAIN.md "How supply actually came
    back": re-routing takes hours, critical consumers first, often within the
    day; a hit rarely destroys a whole substation). Switching takes no crew.

    Parameters
    ----------
    enabled
        Whether operators re-feed load through neighbouring substations
        (``false``: a damaged substation's lost load waits for its repair).
    isolate_h
        Hours from a hit until the undamaged part of a partly damaged
        substation is back in service (protection has tripped the whole
        substation; the damaged bays are isolated and the rest re-energised).
        Default 1 h: an assumption inside the public "hours".
    critical_h
        Hours from a hit until the transferable share of the lost critical
        load (priority class 1) is re-fed through neighbours. Default 2 h
        (public figures: critical consumers first, within hours).
    switching_h
        Hours from a hit until the transferable share of all lost load is
        re-fed. Default 6 h (public figures: "often within the day").
    transferable_share
        Share of a substation's lost load that the distribution network behind
        it can move to neighbouring substations. Default 0.5: supply points are
        planned for the loss of one of two transformers (N-1), so the reserve
        the network keeps around a substation is about half its load
        (assumption from the N-1 planning criterion).
    headroom
        How far above its own evening-peak load a neighbour's transformers may
        be loaded to take re-fed load. Default 0.3: 130 % is the long-time
        emergency loading limit of large power transformers (IEC 60076-7),
        taking each neighbour's transformers as rated at its peak load.
    """

    enabled: bool = allowed_field(True, "true, false")
    isolate_h: float = allowed_field(1.0, "hours >= 0", ge=0, le=8760, allow_inf_nan=False)
    critical_h: float = allowed_field(2.0, "hours >= 0", ge=0, le=8760, allow_inf_nan=False)
    switching_h: float = allowed_field(6.0, "hours >= 0", ge=0, le=8760, allow_inf_nan=False)
    transferable_share: float = allowed_field(
        0.5, "a share from 0 to 1", ge=0, le=1, allow_inf_nan=False
    )
    headroom: float = allowed_field(0.3, "a share from 0 to 10", ge=0, le=10, allow_inf_nan=False)

    @model_validator(mode="after")
    def _order(self) -> SwitchingOptions:
        if self.critical_h > self.switching_h:
            raise fail(
                f"critical_h {self.critical_h} is after switching_h {self.switching_h}",
                "critical_h <= switching_h (critical load is switched first)",
                "critical_h",
            )
        return self


class Donation(StrictModel):
    """A delivery of donated transformers: ``units`` arriving ``time_h`` hours in."""

    time_h: float = allowed_field(..., "hours from 0 to 87600", ge=0, le=87600, allow_inf_nan=False)
    units: int = allowed_field(1, "a whole number from 1 to 100", ge=1, le=100)


class RepairOptions(StrictModel):
    """The ``[repair]`` section.

    Crews (:mod:`gridmodel.restoration.crews`): ``crews`` national mobile
    teams and ``crews_per_region`` regional crews. A regional crew sent to
    another region (``mutual_aid``) travels ``mobilisation_h`` first: default
    12 h, a day's drive across the country at wartime road speeds plus
    loading up (assumption). Up to ``crews_per_task`` crews work on one task
    together: default 2, two teams on one substation or line section
    (assumption).

    ``supply_units`` is the number of transformers that feed a substation's
    load (its load-supply capacity): a hit of severity ``s`` damages
    ``s * supply_units`` of them (rounded to whole units, at least one;
    :func:`gridmodel.restoration.drafts.lost`), and that share of the load-supply
    capacity is lost until they are replaced. Default 2: a 330/110 kV
    substation has two autotransformers so that it survives the loss of one
    (N-1 design; assumption). ``partial_damage = false`` brings back the
    simple model: a hit takes the whole substation out until its repair.
    """

    strategy: str = allowed_field("critical_first", "a registered repair strategy name")
    crews: int = allowed_field(
        10,
        f"a whole number from 0 to {MAX_CREWS:,} (with at least one crew in all)",
        ge=0,
        le=MAX_CREWS,
    )
    crews_per_region: dict[str, Annotated[int, Field(ge=1, le=MAX_CREWS)]] | None = allowed_field(
        None, f"a table region -> crews (whole numbers from 1 to {MAX_CREWS:,})"
    )
    mobilisation_h: float = allowed_field(
        12.0, "hours from 0 to 720", ge=0, le=720, allow_inf_nan=False
    )
    mutual_aid: bool = allowed_field(True, "true, false")
    crews_per_task: int = allowed_field(2, "a whole number from 1 to 20", ge=1, le=20)
    horizon_h: float = allowed_field(
        336.0, "hours from 1 to 87600 (10 years)", ge=1, le=87600, allow_inf_nan=False
    )
    around_the_clock: bool = allowed_field(True, "true, false")
    shift_hours: Annotated[tuple[int, int], Strict(False)] = allowed_field(
        (8, 20), "[start, end] local hours with 0 <= start < end <= 24"
    )
    spare_transformers: int = allowed_field(
        2, f"a whole number from 0 to {MAX_CREWS:,}", ge=0, le=MAX_CREWS
    )
    donations: Annotated[tuple[Donation, ...], Strict(False)] = allowed_field(
        (), "[[repair.donations]] tables with time_h and units"
    )
    resync_h: float = allowed_field(
        24.0, "hours > 0 and <= 87600", gt=0, le=87600, allow_inf_nan=False
    )
    partial_damage: bool = allowed_field(True, "true, false")
    supply_units: int = allowed_field(2, "a whole number from 1 to 20", ge=1, le=20)
    switching: SwitchingOptions = allowed_field(SwitchingOptions(), "a [repair.switching] table")
    durations: Annotated[Durations, BeforeValidator(_merge_durations)] = allowed_field(
        Durations(), "[repair.durations.<type>] tables, type one of " + ", ".join(DEFAULT_DURATIONS)
    )

    @model_validator(mode="after")
    def _some_crew(self) -> RepairOptions:
        if self.crews + sum((self.crews_per_region or {}).values()) < 1:
            raise fail(
                "there is no crew", "at least one crew in crews or crews_per_region", "crews"
            )
        return self

    @property
    def hours(self) -> int:
        """Whole hours simulated (a fractional horizon is rounded up)."""
        return math.ceil(self.horizon_h - 1e-9)

    @field_validator("shift_hours")
    @classmethod
    def _shift(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] < value[1] <= 24:
            raise fail(
                f"{list(value)} is not a working window", "[start, end], 0 <= start < end <= 24"
            )
        return value


def _profile(value: Any) -> Any:
    allowed = "a profile name (e.g. 'winter-weekday') or a list of 24 hourly factors >= 0"
    if isinstance(value, str):
        if not value.strip():
            raise fail("must not be empty", allowed)
        return value
    if isinstance(value, list | tuple):
        if len(value) != 24 or not all(is_number(v) and 0 <= v < math.inf for v in value):
            raise fail(f"needs 24 numbers >= 0, got {len(value)} values", allowed)
        if not any(value):
            raise fail("all 24 factors are zero", allowed)
        return tuple(float(v) for v in value)
    raise fail(f"must be a name or a list, got {value!r}", allowed)


class DemandOptions(StrictModel):
    """The ``[demand]`` section."""

    profile: Annotated[str | tuple[float, ...], BeforeValidator(_profile)] = allowed_field(
        "winter-weekday", "a profile name or a list of 24 hourly factors >= 0"
    )
    # a factor on every load; far above the network's own loads a run describes another grid
    scale: float = allowed_field(
        1.0,
        f"a factor > 0 and <= {MAX_DEMAND_SCALE:g}",
        gt=0,
        le=MAX_DEMAND_SCALE,
        allow_inf_nan=False,
    )

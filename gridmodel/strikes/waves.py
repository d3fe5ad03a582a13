"""Strike waves as a scenario describes them: targets, salvos, random picks and trips.

The ``[[waves]]`` tables of a scenario file. What a wave may name is checked
here (kinds, ranges, probabilities); whether the network has it is checked
against the network by :mod:`gridmodel.strikes.check`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Strict, model_validator

from gridmodel.network.grid import Element, parse_element
from gridmodel.schema import StrictModel, allowed_field, fail, is_number

#: Element kinds an explicit wave target may name.
TARGET_KINDS: tuple[str, ...] = ("substation", "bus", "line", "trafo", "gen", "sgen")
#: Element kinds a trip (protection disconnection) may name.
TRIP_KINDS: tuple[str, ...] = ("gen", "sgen", "line", "trafo", "ext_grid")
#: Element kinds a salvo or a random pick draws its targets from.
SALVO_KINDS: tuple[str, ...] = ("substation", "trafo", "gen", "line")
#: Key of an interception table that applies to regions not listed in it.
DEFAULT_KEY = "default"


def _element_ref(kinds: tuple[str, ...]) -> Any:
    """A before-validator checking ``"kind:id"`` text with ``kind`` in ``kinds``."""
    allowed = (
        "'kind:id' with kind one of " + ", ".join(kinds) + " (e.g. 'substation:KYIV', 'line:12')"
    )

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise fail(f"must be a string 'kind:id', got {value!r}", allowed) from None
        try:
            element = parse_element(value, kinds=kinds)
        except ValueError as exc:
            raise fail(str(exc), allowed) from None
        return str(element)

    return check


TargetRef = Annotated[str, BeforeValidator(_element_ref(TARGET_KINDS))]
TripRef = Annotated[str, BeforeValidator(_element_ref(TRIP_KINDS))]

#: Most missiles one salvo may fire: far above any salvo on record (about 100), low
#: enough that the per-missile draws stay small.
MAX_MISSILES = 10_000

_SEVERITY_ALLOWED = "a number in (0, 1], or [min, max] with 0 < min <= max <= 1"


def _severity(value: Any) -> Any:
    if value is None:
        return None
    if is_number(value):
        if not 0 < value <= 1:
            raise fail(f"must be in (0, 1], got {value}", _SEVERITY_ALLOWED)
        return float(value)
    if isinstance(value, list | tuple) and len(value) == 2 and all(map(is_number, value)):
        low, high = float(value[0]), float(value[1])
        if not 0 < low <= high <= 1:
            raise fail(f"range [{low}, {high}] is not within (0, 1] in order", _SEVERITY_ALLOWED)
        return (low, high)
    raise fail(f"must be a number or [min, max], got {value!r}", _SEVERITY_ALLOWED)


Severity = Annotated[float | tuple[float, float] | None, BeforeValidator(_severity)]

_INTERCEPTION_ALLOWED = (
    f"a probability from 0 to 1, or a table region -> probability (key '{DEFAULT_KEY}' "
    "for regions not listed)"
)


def _interception(value: Any) -> Any:
    if is_number(value):
        if not 0 <= value <= 1:
            raise fail(f"must be a probability from 0 to 1, got {value}", _INTERCEPTION_ALLOWED)
        return float(value)
    if isinstance(value, dict) and value:
        bad = [f"{k}={v!r}" for k, v in value.items() if not (is_number(v) and 0 <= v <= 1)]
        if bad:
            raise fail(
                "table values must be probabilities from 0 to 1, got " + ", ".join(bad),
                _INTERCEPTION_ALLOWED,
            )
        return {str(k): float(v) for k, v in value.items()}
    raise fail(f"must be a number or a table, got {value!r}", _INTERCEPTION_ALLOWED)


def _regions_of(region: str | None, regions: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if region is not None:
        return (region,)
    return regions


class _Targeted(StrictModel):
    """Fields shared by salvos and random picks: where and what to hit."""

    region: str | None = allowed_field(None, "a region name of the network")
    regions: Annotated[tuple[str, ...], Strict(False)] | None = allowed_field(
        None, "a non-empty list of region names of the network"
    )
    target: Literal["substation", "trafo", "gen", "line"] = allowed_field(
        "substation", "substation, trafo, gen, line"
    )
    weight: Literal["uniform", "load", "voltage"] = allowed_field(
        "uniform", "uniform, load, voltage"
    )
    severity: Severity = allowed_field(None, _SEVERITY_ALLOWED + "; omitted: the wave's severity")

    @model_validator(mode="after")
    def _one_region_key(self) -> _Targeted:
        if self.region is not None and self.regions is not None:
            raise fail(
                "give either region or regions, not both", "one of region, regions", "regions"
            )
        if self.regions is not None and not self.regions:
            raise fail("must not be empty (omit it for all regions)", "region names", "regions")
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

    missiles: int = allowed_field(
        ..., f"a whole number from 0 to {MAX_MISSILES}", ge=0, le=MAX_MISSILES
    )
    interception: Annotated[float | dict[str, float], BeforeValidator(_interception)] = (
        allowed_field(0.0, _INTERCEPTION_ALLOWED)
    )

    def interception_for(self, region: str) -> float | None:
        """Interception probability over ``region`` (``None`` if the table lacks it)."""
        if isinstance(self.interception, float):
            return self.interception
        return self.interception.get(region, self.interception.get(DEFAULT_KEY))


class RandomPick(_Targeted):
    """``count`` distinct targets drawn in the regions (always hit)."""

    count: int = allowed_field(
        ..., f"a whole number from 1 to {MAX_MISSILES}", ge=1, le=MAX_MISSILES
    )


class TripSpec(StrictModel):
    """Elements disconnected by protection, not damaged (e.g. nuclear units).

    They come back after ``resync_h`` hours without a repair crew.
    """

    elements: Annotated[tuple[TripRef, ...], Strict(False)] = allowed_field(
        (), "a list of 'kind:index' with kind one of " + ", ".join(TRIP_KINDS)
    )
    gen_types: Annotated[tuple[str, ...], Strict(False)] = allowed_field(
        (), "a list of generator types (nuclear, thermal, chp, hydro, ...)"
    )
    resync_h: float | None = allowed_field(
        None,
        "a number of hours > 0 and <= 87600; omitted: repair.resync_h",
        gt=0,
        le=87600,
        allow_inf_nan=False,
    )

    @model_validator(mode="after")
    def _not_empty(self) -> TripSpec:
        if not self.elements and not self.gen_types:
            raise fail(
                "a trip needs elements or gen_types", "elements and/or gen_types", "elements"
            )
        return self


class Wave(StrictModel):
    """One strike wave: everything that happens at ``time_h``.

    ``note`` says, in words shown next to the wave's counts on report pages,
    how the wave's missiles and hits relate to the public record it models
    (an extra salvo, hits that count no missile). ``carried = true`` marks
    damage carried over from strikes before the scenario starts (a wave at
    ``time_h = 0``): its repairs are still to do, but operators switched
    around it long ago and it causes no frequency event.
    """

    time_h: float = allowed_field(
        0.0, "hours from 0 to 87600 from the scenario start", ge=0, le=87600, allow_inf_nan=False
    )
    name: str = allowed_field("", "any text")
    note: str = allowed_field("", "text of at most 1,000 characters", max_length=1000)
    targets: Annotated[tuple[TargetRef, ...], Strict(False)] = allowed_field(
        (), "a list of 'kind:id' with kind one of " + ", ".join(TARGET_KINDS)
    )
    severity: float = allowed_field(1.0, "a number in (0, 1]", gt=0, le=1)
    salvos: Annotated[tuple[Salvo, ...], Strict(False)] = allowed_field(
        (), "[[waves.salvos]] tables"
    )
    random: Annotated[tuple[RandomPick, ...], Strict(False)] = allowed_field(
        (), "[[waves.random]] tables"
    )
    trips: Annotated[tuple[TripSpec, ...], Strict(False)] = allowed_field(
        (), "[[waves.trips]] tables"
    )
    carried: bool = allowed_field(False, "true (damage from before the start; time_h = 0), false")

    @model_validator(mode="after")
    def _carried_at_start(self) -> Wave:
        if self.carried and self.time_h != 0:
            raise fail(
                f"a carried-over wave at {self.time_h} h",
                "time_h = 0 with carried = true",
                "time_h",
            )
        return self

    @model_validator(mode="after")
    def _does_something(self) -> Wave:
        if not (self.targets or self.salvos or self.random or self.trips):
            raise fail(
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

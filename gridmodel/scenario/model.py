"""The scenario: the top-level keys of a scenario file and its sections.

Every section is the options model of the stage that uses it, so a scenario
key, the stage's option and its default are one definition:

================  ===================================================
``[model]``       :class:`~gridmodel.engine.options.EngineOptions`
``[[waves]]``     :class:`~gridmodel.strikes.waves.Wave`
``[repair]``      :class:`~gridmodel.restoration.options.RepairOptions`
``[demand]``      :class:`~gridmodel.restoration.options.DemandOptions`
``[generation]``  :class:`~gridmodel.restoration.generation_options.GenerationOptions`
``[schedule]``    :class:`~gridmodel.schedule.options.ScheduleOptions`
================  ===================================================

Every model forbids unknown keys and validates strictly (a quoted number is
not a number); each field says in words what it accepts. Region names,
substation ids and element indices are checked against the network by
:func:`gridmodel.scenario.check.check_scenario`, not here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, PrivateAttr, Strict, model_validator

from gridmodel.engine.options import EngineOptions
from gridmodel.errors import close_matches
from gridmodel.restoration.generation_options import GenerationOptions
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.schedule.options import ScheduleOptions
from gridmodel.schema import (
    DATE_ALLOWED,
    DEFAULT_TIMEZONE,
    TIMEZONE_ALLOWED,
    StrictModel,
    allowed_field,
    fail,
    in_date_range,
    is_timezone,
    timezone_names,
)
from gridmodel.strikes.waves import Wave

#: Most strike waves in a scenario (each is a frequency event and a repair wave).
MAX_WAVES = 1_000
#: Most missiles and random targets over all waves (each is a random draw per sample;
#: 100,000 add about 5 s to a run).
MAX_DRAWS = 100_000

#: The scenario format this gridmodel reads (``format`` in a scenario file).
SCENARIO_FORMAT = 1


def _start(value: Any) -> Any:
    allowed = f"a TOML date-time without quotes, e.g. 2022-12-16T07:00:00+02:00 ({DATE_ALLOWED})"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise fail(f"{value!r} is not a date-time", allowed) from None
    if isinstance(value, date) and not in_date_range(value):
        raise fail(f"{value.isoformat()} is out of range", allowed)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise fail(f"{value!s} is not a date-time", allowed)


def _timezone(value: Any) -> Any:
    if not isinstance(value, str):
        raise fail(f"got {value!r}", TIMEZONE_ALLOWED)
    if not is_timezone(value):
        near = close_matches(value[:100], sorted(timezone_names()))
        hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise fail(f"unknown time zone {shown!r}{hint}", TIMEZONE_ALLOWED)
    return value


#: What changed from one scenario format to the next (the format number it
#: became), shown to a file written in an older format. Format 1 is the first.
FORMAT_CHANGES: dict[int, str] = {}


def _format(value: Any) -> Any:
    allowed = f"1 to {SCENARIO_FORMAT} (the scenario formats this gridmodel reads)"
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"must be a whole number, got {value!r}", allowed)
    if value > SCENARIO_FORMAT:
        raise fail(
            f"the file is written for scenario format {value}; this gridmodel reads format "
            f"{SCENARIO_FORMAT} (see CHANGELOG.md; a newer gridmodel reads it)",
            allowed,
        )
    changes = [FORMAT_CHANGES[n] for n in range(value + 1, SCENARIO_FORMAT + 1)]
    if value < 1 or changes:
        raise fail(
            f"scenario format {value} is no longer read: " + "; ".join(changes or ["unknown"]),
            allowed,
        )
    return value


class Scenario(StrictModel):
    """A whole scenario file. See ``scenarios/*.toml`` for commented examples."""

    format: Annotated[int, BeforeValidator(_format)] = allowed_field(
        SCENARIO_FORMAT, f"1 to {SCENARIO_FORMAT} (the scenario formats this gridmodel reads)"
    )
    title: str = allowed_field("", "any text")
    network: str = allowed_field(..., "a catalog name or a network file path", min_length=1)
    seed: int = allowed_field(0, "a whole number from 0 to 2**63 - 1", ge=0, le=2**63 - 1)
    start: Annotated[datetime, BeforeValidator(_start)] = allowed_field(
        datetime(2022, 12, 16), "a TOML date-time, e.g. 2022-12-16T07:00:00+02:00"
    )
    timezone: Annotated[str, BeforeValidator(_timezone)] = allowed_field(
        DEFAULT_TIMEZONE, "an IANA time zone name, e.g. 'Europe/Kyiv'"
    )
    model: EngineOptions = allowed_field(EngineOptions(), "a [model] table")
    waves: Annotated[tuple[Wave, ...], Strict(False)] = allowed_field(
        (), f"[[waves]] tables, at most {MAX_WAVES:,}", max_length=MAX_WAVES
    )
    repair: RepairOptions = allowed_field(RepairOptions(), "a [repair] table")
    demand: DemandOptions = allowed_field(DemandOptions(), "a [demand] table")
    generation: GenerationOptions = allowed_field(GenerationOptions(), "a [generation] table")
    schedule: ScheduleOptions = allowed_field(ScheduleOptions(), "a [schedule] table")

    _file: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _draws_bounded(self) -> Scenario:
        draws = sum(w.missiles + sum(r.count for r in w.random) for w in self.waves)
        if draws > MAX_DRAWS:
            raise fail(
                f"{draws:,} missiles and random targets in all",
                f"at most {MAX_DRAWS:,} missiles and random targets over all waves",
                "waves",
            )
        return self

    @model_validator(mode="after")
    def _waves_in_order(self) -> Scenario:
        times = [w.time_h for w in self.waves]
        for i in range(1, len(times)):
            if times[i] < times[i - 1]:
                raise fail(
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

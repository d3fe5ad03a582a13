"""Options of the rolling-outage schedule: the scenario's ``[schedule]`` section.

One schema for the scenario file, the Python API and ``gridmodel schedule``
(whose options ``--groups``, ``--slot-hours``, ``--policy``, ``--margin``,
``--days``, ``--min-on-hours`` and ``--protect`` fill these fields). The
schedule's time zone and first day are the scenario's ``timezone`` and
``start`` (``--tz``, ``--start``), passed to :func:`~gridmodel.schedule.rotate`
beside these options.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Strict

from gridmodel.errors import OptionError
from gridmodel.schedule.groups import group_labels
from gridmodel.schedule.slots import MAX_DAYS
from gridmodel.schema import StrictModel, allowed_field, fail

#: How ``gridmodel schedule`` spells the fields (for error messages).
CLI_NAMES = {
    "groups": "--groups",
    "slot_hours": "--slot-hours",
    "policy": "--policy",
    "possible_margin": "--margin",
    "days": "--days",
    "min_on_h": "--min-on-hours",
    "protected_groups": "--protect",
}

_GROUPS_ALLOWED = (
    "a whole number from 1 to 99 (e.g. 6), or 'NxM' for N groups (1-99) of M subgroups "
    "(1-9) (e.g. '6x2')"
)


def _groups(value: Any) -> Any:
    """A group count, checked by the schedule's own rule (:func:`group_labels`)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise fail(f"must be >= 1, got {value}", _GROUPS_ALLOWED)
        spec: Any = value
    elif isinstance(value, str):
        match = re.fullmatch(r" *([0-9]{1,4}) *[xX] *([0-9]{1,4}) *", value)
        if match is None:
            raise fail(f"got {value[:40]!r}{'...' if len(value) > 40 else ''}", _GROUPS_ALLOWED)
        spec = f"{int(match.group(1))}x{int(match.group(2))}"
    else:
        raise fail(f"got {value!r}", _GROUPS_ALLOWED)
    try:
        group_labels(spec)
    except OptionError:
        raise fail(f"got {value!r}", _GROUPS_ALLOWED) from None
    return spec


class ScheduleOptions(StrictModel):
    """How a deficit becomes a rolling-outage schedule (the ``[schedule]`` section).

    Attributes
    ----------
    groups
        Rotation groups per region: ``N`` or ``"NxM"`` (N groups of M
        subgroups); ``None``: the network's ``regions.csv``.
    slot_hours
        Slot length in wall-clock hours: 1, 2 or 4 (4-hour blocks as in 2022).
    policy
        Registered policy name (``fair_rotation``, ``stage_table``, ``priority``).
    possible_margin
        Growth of the deficit, as a share of the region's rotatable load,
        that the ``possible`` groups would cover (0.10: the groups next in
        line if the shortage grows by 10 % of the load). Only slots with a
        deficit have possible groups.
    days
        Number of days; ``None``: through the date of the last deficit row.
    min_on_h
        Minimum on-time between two outages of a group (``None``: one slot).
    emergency_h
        Hours after a strike wave shown as emergency outages.
    protected_groups
        Groups the ``priority`` policy never rotates: ``"1.1"`` (in every
        region) or ``"Kyiv city:1.1"``.
    """

    groups: Annotated[int | str | None, BeforeValidator(_groups)] = allowed_field(
        None, _GROUPS_ALLOWED + "; omitted: the network's regions.csv"
    )
    slot_hours: Literal[1, 2, 4] = allowed_field(4, "1, 2, 4")
    policy: str = allowed_field("fair_rotation", "a registered schedule policy name")
    possible_margin: float = allowed_field(
        0.1, "a share from 0 to 1 (0.1 = 10 %)", ge=0, le=1, allow_inf_nan=False
    )
    days: int | None = allowed_field(
        2, f"a whole number of days from 1 to {MAX_DAYS}", ge=1, le=MAX_DAYS
    )
    min_on_h: float | None = allowed_field(
        None, "hours from 0 to 8784; omitted: one slot", ge=0, le=8784, allow_inf_nan=False
    )
    emergency_h: float = allowed_field(
        4.0,
        "hours from 0 to 8784 after a strike wave shown as emergency",
        ge=0,
        le=8784,
        allow_inf_nan=False,
    )
    protected_groups: Annotated[tuple[str, ...], Strict(False)] = allowed_field(
        (), "a list of group labels (e.g. ['1', '2.1'])"
    )

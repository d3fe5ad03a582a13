"""Turn a deficit into a rolling-outage schedule.

For every region and slot the rotation needs the share of the region's
rotatable load to switch off: the largest ``deficit_mw / rotatable_mw`` over
the hours of the slot (a slot covers each of its hours, so a 4-hour slot is
sized for its worst hour). The region's policy ranks its groups; groups are
taken from the front of the ranking until their shares reach that need
(``off``), then further until they reach need + margin (``possible``). A slot
is ``emergency`` for the whole region when the input says so (fresh strike
wave, dark area, under-frequency shedding) or when the ranked groups cannot
cover the need.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError, unknown_name
from gridmodel.schedule.deficit import check_deficit
from gridmodel.schedule.groups import Groups
from gridmodel.schedule.options import ScheduleOptions
from gridmodel.schedule.policies import Policy, SlotContext, get
from gridmodel.schedule.slots import slot_bounds, zone
from gridmodel.schedule.states import EMERGENCY, OFF, ON, POSSIBLE, Schedule
from gridmodel.schema import DEFAULT_TIMEZONE

_TOL = 1e-9
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


def rotate(
    deficit_table: pd.DataFrame,
    groups: Groups,
    *,
    options: ScheduleOptions | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    start: date | None = None,
) -> Schedule:
    """Build the rolling-outage schedule that covers a deficit.

    Parameters
    ----------
    deficit_table
        Deficit per hour and region (see :mod:`gridmodel.schedule.deficit`).
    groups
        Rotation groups of every region.
    options
        Policy, slots, days, margins (the scenario's ``[schedule]`` section;
        its ``groups`` and ``emergency_h`` are for building ``groups`` and the
        deficit).
    timezone
        IANA time zone of the schedule (the scenario's ``timezone``).
    start
        First local date; ``None``: the date of the first deficit row.

    Returns
    -------
    Schedule
        Every group of every region in every slot of the covered days. In
        every slot, the groups ``off`` hold at least the deficit of each of
        the slot's hours, or the region is ``emergency``.
    """
    options = options if options is not None else ScheduleOptions()
    policy = get(options.policy)
    zone(timezone)
    min_on = float(options.slot_hours if options.min_on_h is None else options.min_on_h)
    deficit = check_deficit(deficit_table, groups, tz=timezone)
    protected = _protected(options.protected_groups, groups)
    if start is None:
        if deficit.empty:
            raise OptionError("no deficit rows: give a start date", field="start")
        start = deficit["time"].iloc[0].date()
    days = options.days
    if days is None:
        last = deficit["time"].iloc[-1].date() if len(deficit) else start
        days = max((last - start).days + 1, 1)
    bounds = slot_bounds(start, days, options.slot_hours, timezone)
    starts, ends = bounds[:-1], bounds[1:]
    need, emergency = _needs(deficit, groups, bounds)

    per_day = 24 // options.slot_hours
    cells = np.array(
        [t.date().toordinal() * (per_day + 1) + t.hour // options.slot_hours for t in starts]
    )
    start_h = ((starts - _EPOCH) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    end_h = ((ends - _EPOCH) / pd.Timedelta(hours=1)).to_numpy(dtype=float)

    frames = []
    warnings: list[str] = []
    for r, region in enumerate(groups.region_names()):
        labels = groups.labels(region)
        states, relaxed, uncovered = _rotate_region(
            region,
            labels,
            groups.shares(region),
            need[r],
            emergency[r],
            start_h=start_h,
            end_h=end_h,
            cells=cells,
            policy=policy,
            min_on=min_on,
            margin=options.possible_margin,
            protected=protected.get(region, frozenset()),
        )
        if relaxed:
            warnings.append(
                f"{region}: minimum on-time of {min_on:g} h shortened in {relaxed} slot(s) "
                "to cover the deficit"
            )
        if uncovered:
            warnings.append(
                f"{region}: deficit larger than rotation can switch in {uncovered} slot(s), "
                "marked emergency"
            )
        n_slots = len(starts)
        frames.append(
            pd.DataFrame(
                {
                    "region": region,
                    "group": np.repeat(labels, n_slots),
                    "start": np.tile(starts, len(labels)),
                    "end": np.tile(ends, len(labels)),
                    "state": states.T.reshape(-1),
                }
            )
        )
    table = pd.concat(frames, ignore_index=True) if frames else _empty_table()
    for column in ("start", "end"):
        table[column] = pd.DatetimeIndex(table[column]).tz_convert(timezone)
    return Schedule(
        table=table,
        tz=timezone,
        slot_hours=options.slot_hours,
        policy=options.policy,
        days=tuple(start + timedelta(days=i) for i in range(days)),
        issued=bounds[0],
        warnings=tuple(warnings),
    )


def _needs(
    deficit: pd.DataFrame, groups: Groups, bounds: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Share of load to switch off and emergency flag per region and slot."""
    n_regions, n_slots = len(groups.regions), len(bounds) - 1
    need = np.zeros((n_regions, n_slots))
    emergency = np.zeros((n_regions, n_slots), dtype=bool)
    slot = bounds.searchsorted(pd.DatetimeIndex(deficit["time"]), side="right") - 1
    inside = (slot >= 0) & (slot < n_slots)
    rows = deficit[inside]
    if rows.empty:
        return need, emergency
    d = rows["deficit_mw"].to_numpy(dtype=float)
    rot = rows["rotatable_mw"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d <= 0, 0.0, np.where(rot > 0, d / rot, np.inf))
    region_pos = rows["region"].map({r: i for i, r in enumerate(groups.region_names())})
    r_idx = region_pos.to_numpy(dtype=int)
    s_idx = slot[inside]
    np.maximum.at(need, (r_idx, s_idx), ratio)
    np.logical_or.at(emergency, (r_idx, s_idx), rows["emergency"].to_numpy(dtype=bool))
    return need, emergency


def _rotate_region(
    region: str,
    labels: tuple[str, ...],
    shares: np.ndarray,
    need: np.ndarray,
    emergency: np.ndarray,
    *,
    start_h: np.ndarray,
    end_h: np.ndarray,
    cells: np.ndarray,
    policy: Policy,
    min_on: float,
    margin: float,
    protected: frozenset[int],
) -> tuple[np.ndarray, int, int]:
    """States (slots x groups) of one region; also counts of relaxed and uncovered slots."""
    n, n_slots = len(labels), len(need)
    states = np.full((n_slots, n), ON, dtype=object)
    hours_off = np.zeros(n)
    last_off_end = np.full(n, -np.inf)
    on_since = np.full(n, -np.inf)
    off_now = np.zeros(n, dtype=bool)
    relaxed = uncovered = 0

    def release(at: float, keep: np.ndarray) -> None:
        ending = off_now & ~keep
        on_since[ending] = at
        off_now[:] = keep

    for s in range(n_slots):
        nothing = np.zeros(n, dtype=bool)
        if emergency[s]:
            states[s, :] = EMERGENCY
            release(start_h[s], nothing)
            continue
        if need[s] <= _TOL:
            release(start_h[s], nothing)
            continue
        ctx = SlotContext(
            region=region,
            labels=labels,
            shares=_frozen(shares),
            start_h=float(start_h[s]),
            end_h=float(end_h[s]),
            cell=int(cells[s]),
            hours_off=_frozen(hours_off),
            last_off_end_h=_frozen(last_off_end),
            off_now=_frozen(off_now),
            on_since_h=_frozen(on_since),
            min_on_hours=min_on,
            protected=protected,
        )
        order = [int(i) for i in policy(ctx)]
        if len(set(order)) != len(order) or any(not 0 <= i < n for i in order):
            raise ValueError(f"policy returned a bad group order {order} for {n} groups")
        cover = np.cumsum(shares[order]) if order else np.zeros(0)
        k = int(np.searchsorted(cover, need[s] - _TOL))
        if k >= len(order):
            states[s, :] = EMERGENCY
            uncovered += 1
            release(start_h[s], nothing)
            continue
        off = np.array(order[: k + 1])
        grey = int(np.searchsorted(cover, need[s] + margin - _TOL))
        possible = order[k + 1 : grey + 1]
        states[s, off] = OFF
        states[s, possible] = POSSIBLE
        early = ~off_now[off] & (start_h[s] - on_since[off] < min_on - _TOL)
        relaxed += bool(early.any())
        hours_off[off] += end_h[s] - start_h[s]
        last_off_end[off] = end_h[s]
        keep = np.zeros(n, dtype=bool)
        keep[off] = True
        release(start_h[s], keep)
    return states, relaxed, uncovered


def _frozen(values: np.ndarray) -> np.ndarray:
    copy = values.copy()
    copy.flags.writeable = False
    return copy


def _protected(specs: tuple[str, ...], groups: Groups) -> dict[str, frozenset[int]]:
    """Positions of protected groups per region, from ``"group"`` or ``"region:group"``."""
    out: dict[str, set[int]] = {}
    for spec in specs:
        region, _, label = spec.rpartition(":")
        regions = [region] if region else groups.region_names()
        if region:
            groups.check_region(region)
        found = False
        for r in regions:
            labels = groups.labels(r)
            if label in labels:
                out.setdefault(r, set()).add(labels.index(label))
                found = True
        if not found:
            choices = sorted({str(g) for g in groups.table["group"]})
            raise unknown_name(
                "protected group", label, choices, error=OptionError, field="protected_groups"
            )
    return {r: frozenset(v) for r, v in out.items()}


def _empty_table() -> pd.DataFrame:
    """The schedule of a network where no region has consumers: no rows."""
    text, moment = pd.Series(dtype=object), pd.Series(dtype="datetime64[ns, UTC]")
    columns = {"region": text, "group": text, "start": moment, "end": moment, "state": text}
    return pd.DataFrame(columns)

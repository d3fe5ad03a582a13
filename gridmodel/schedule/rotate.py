"""Turn a deficit into a rolling-outage schedule.

For every region and slot the rotation needs the share of the region's
rotatable load to switch off: the largest ``deficit_mw / rotatable_mw`` over
the hours of the slot (a slot covers each of its hours, so a 4-hour slot is
sized for its worst hour). The region's policy ranks its groups; groups are
taken from the front of the ranking until their shares reach that need
(``off``), then further until they reach need + margin (``possible``).

Emergency outages cover the share of the region the input puts in emergency
(``emergency_share``: dark or shed by under-frequency relays), rounded up to
whole groups; groups already in emergency stay so, further ones are taken
in the policy's order. The other groups rotate to cover the deficit of the
load they hold. A region's slots are split where its emergency share changes
inside a slot, at the minute of a strike wave when the deficit table has a
row there (4-hour slots and a strike at 07:30: 04:00-07:30 by the normal
rule, 07:30-08:00 emergency). The whole region is ``emergency`` when the
share is all of it or when the ranked groups cannot cover the need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError, unknown_name
from gridmodel.schedule.deficit import check_deficit
from gridmodel.schedule.groups import Groups
from gridmodel.schedule.options import ScheduleOptions
from gridmodel.schedule.policies import Policy, SlotContext, get, rotates_possible
from gridmodel.schedule.slots import check_size, slot_bounds, zone
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
        Every group of every region in every slot of the covered days (a
        region's slots split where its emergency share changes). In every
        slot the groups ``emergency`` hold at least the region's emergency
        share and the groups ``off`` at least the deficit of each of the
        slot's hours, or the whole region is ``emergency``.
    """
    options = options if options is not None else ScheduleOptions()
    zone(timezone)
    deficit = check_deficit(deficit_table, groups, tz=timezone)
    if start is None:
        if deficit.empty:
            raise OptionError("no deficit rows: give a start date", field="start")
        start = deficit["time"].iloc[0].date()
    days = options.days
    if days is None:
        last = deficit["time"].iloc[-1].date() if len(deficit) else start
        days = max((last - start).days + 1, 1)
    check_size(len(groups.table), days, options.slot_hours)
    bounds = slot_bounds(start, days, options.slot_hours, timezone)
    rule = _Rule(
        policy=get(options.policy),
        slot_hours=options.slot_hours,
        min_on=float(options.slot_hours if options.min_on_h is None else options.min_on_h),
        margin=options.possible_margin,
        rotate_possible=rotates_possible(options.policy),
    )
    protected = _protected(options.protected_groups, groups)
    frames = []
    warnings: list[str] = []
    for region in groups.region_names():
        rows = deficit[deficit["region"] == region]
        frame, relaxed, uncovered = _region_schedule(
            region, groups, rows, bounds, rule, protected.get(region, frozenset())
        )
        frames.append(frame)
        if relaxed:
            warnings.append(
                f"{region}: minimum on-time of {rule.min_on:g} h shortened in {relaxed} slot(s) "
                "to cover the deficit"
            )
        if uncovered:
            warnings.append(
                f"{region}: deficit larger than rotation can switch in {uncovered} slot(s), "
                "marked emergency"
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


@dataclass(frozen=True)
class _Rule:
    """The rotation options one region's rotation needs."""

    policy: Policy
    slot_hours: int
    min_on: float
    margin: float
    rotate_possible: bool


def _region_schedule(
    region: str,
    groups: Groups,
    rows: pd.DataFrame,
    bounds: pd.DatetimeIndex,
    rule: _Rule,
    protected: frozenset[int],
) -> tuple[pd.DataFrame, int, int]:
    """Schedule table rows of one region; also counts of relaxed and uncovered slots."""
    bounds = _split_bounds(rows, bounds)
    starts, ends = bounds[:-1], bounds[1:]
    need, emergency = _needs(rows, bounds)
    per_day = 24 // rule.slot_hours
    cells = np.array(
        [t.date().toordinal() * (per_day + 1) + t.hour // rule.slot_hours for t in starts]
    )
    labels = groups.labels(region)
    states, relaxed, uncovered = _rotate_region(
        region,
        labels,
        groups.shares(region),
        need,
        emergency,
        start_h=((starts - _EPOCH) / pd.Timedelta(hours=1)).to_numpy(dtype=float),
        end_h=((ends - _EPOCH) / pd.Timedelta(hours=1)).to_numpy(dtype=float),
        cells=cells,
        rule=rule,
        protected=protected,
    )
    n_slots = len(starts)
    frame = pd.DataFrame(
        {
            "region": region,
            "group": np.repeat(labels, n_slots),
            "start": np.tile(starts, len(labels)),
            "end": np.tile(ends, len(labels)),
            "state": states.T.reshape(-1),
        }
    )
    return frame, relaxed, uncovered


def _split_bounds(rows: pd.DataFrame, bounds: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Slot bounds plus the instants where the region's emergency share changes.

    A row holds from its time until the region's next row or the end of its
    hour; no row: share 0. Rows inside an hour (a wave's minute) split there.
    """
    if rows.empty:
        return bounds
    hour = pd.Timedelta(hours=1)
    times = pd.DatetimeIndex(rows["time"]).tz_convert("UTC")
    share = rows["emergency_share"].to_numpy(dtype=float)
    # hours run from the first bound (local midnight), whatever the zone's offset
    origin = bounds[0].tz_convert("UTC")
    hour_ends = origin + ((times - origin) // hour + 1) * hour
    following = pd.DatetimeIndex(times[1:].append(pd.DatetimeIndex([hour_ends[-1] + hour])))
    ends = pd.DatetimeIndex(np.minimum(hour_ends, following))
    # the share from each instant on: a row's from its time, 0 after a gap
    steps = pd.concat(
        [
            pd.Series(0.0, index=ends[ends < following]),
            pd.Series(share, index=times),
        ]
    )
    steps = steps[~steps.index.duplicated(keep="last")].sort_index()
    value = steps.to_numpy()
    changed = np.abs(np.diff(np.concatenate([[0.0], value]))) > _TOL
    changes = steps.index[changed]
    inside = (changes > bounds[0]) & (changes < bounds[-1])
    return bounds.union(changes[inside].tz_convert(bounds.tz))


def _needs(rows: pd.DataFrame, bounds: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Share of rotatable load to switch off and emergency share of one region, per slot."""
    n_slots = len(bounds) - 1
    need = np.zeros(n_slots)
    emergency = np.zeros(n_slots)
    slot = bounds.searchsorted(pd.DatetimeIndex(rows["time"]), side="right") - 1
    inside = (slot >= 0) & (slot < n_slots)
    rows = rows[inside]
    if rows.empty:
        return need, emergency
    d = rows["deficit_mw"].to_numpy(dtype=float)
    rot = rows["rotatable_mw"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d <= 0, 0.0, np.where(rot > 0, d / rot, np.inf))
    np.maximum.at(need, slot[inside], ratio)
    np.maximum.at(emergency, slot[inside], rows["emergency_share"].to_numpy(dtype=float))
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
    rule: _Rule,
    protected: frozenset[int],
) -> tuple[np.ndarray, int, int]:
    """States (slots x groups) of one region; also counts of relaxed and uncovered slots."""
    n, n_slots = len(labels), len(need)
    states = np.full((n_slots, n), ON, dtype=object)
    track = _Track(n)
    relaxed = uncovered = 0
    for s in range(n_slots):
        if emergency[s] >= 1.0 - _TOL:
            states[s, :] = EMERGENCY
            track.advance(start_h[s], end_h[s], np.ones(n, dtype=bool))
            continue
        if need[s] <= _TOL and emergency[s] <= _TOL:
            track.advance(start_h[s], end_h[s], np.zeros(n, dtype=bool))
            continue
        ctx = SlotContext(
            region=region,
            labels=labels,
            shares=_frozen(shares),
            start_h=float(start_h[s]),
            end_h=float(end_h[s]),
            cell=int(cells[s]),
            hours_off=_frozen(track.hours_off),
            last_off_end_h=_frozen(track.last_off_end),
            off_now=_frozen(track.off_now),
            on_since_h=_frozen(track.on_since),
            min_on_hours=rule.min_on,
            protected=protected,
            possible_h=_frozen(track.possible_h),
        )
        order = [int(i) for i in rule.policy(ctx)]
        if len(set(order)) != len(order) or any(not 0 <= i < n for i in order):
            raise ValueError(f"policy returned a bad group order {order} for {n} groups")
        dark = _emergency_groups(order, shares, emergency[s], track.emergency_now)
        order = [i for i in order if not dark[i]]
        if not order:  # every group in emergency: nothing left to rotate, nothing uncovered
            states[s, :] = EMERGENCY
            track.advance(start_h[s], end_h[s], dark.copy(), emergency=dark)
            continue
        left = float(shares[~dark].sum())
        cover = np.cumsum(shares[order]) if order else np.zeros(0)
        k = int(np.searchsorted(cover, need[s] * left - _TOL)) if need[s] > _TOL else -1
        if k >= len(order):
            states[s, :] = EMERGENCY
            uncovered += 1
            track.advance(start_h[s], end_h[s], np.ones(n, dtype=bool))
            continue
        off = np.array(order[: k + 1], dtype=int)
        rest = order[k + 1 :]
        if rule.rotate_possible:  # next in line: fewest possible hours first
            rest = sorted(rest, key=lambda i: track.possible_h[i])
        done = float(cover[k]) if k >= 0 else 0.0
        target = (need[s] + rule.margin) * left - _TOL
        grey = int(np.searchsorted(np.cumsum(shares[rest]) + done, target))
        possible = rest[: grey + 1] if need[s] > _TOL and done < target else []
        states[s, dark] = EMERGENCY
        states[s, off] = OFF
        states[s, possible] = POSSIBLE
        early = ~track.off_now[off] & (start_h[s] - track.on_since[off] < rule.min_on - _TOL)
        relaxed += bool(early.any())
        out = dark.copy()
        out[off] = True
        track.advance(start_h[s], end_h[s], out, emergency=dark, possible=possible)
    return states, relaxed, uncovered


def _emergency_groups(
    order: list[int], shares: np.ndarray, share: float, before: np.ndarray
) -> np.ndarray:
    """Groups in emergency: holding ``share`` of the load, those already in emergency first."""
    dark = np.zeros(len(shares), dtype=bool)
    if share <= _TOL:
        return dark
    ranked = [i for i in order if before[i]] + [i for i in order if not before[i]]
    ranked += [i for i in range(len(shares)) if i not in ranked]  # groups a policy left out
    cover = np.cumsum(shares[ranked])
    k = min(int(np.searchsorted(cover, share - _TOL)), len(ranked) - 1)
    dark[ranked[: k + 1]] = True
    return dark


class _Track:
    """What the rotation remembers of each group of one region (one value per group)."""

    def __init__(self, n: int) -> None:
        self.hours_off = np.zeros(n)
        self.possible_h = np.zeros(n)
        self.last_off_end = np.full(n, -np.inf)
        self.on_since = np.full(n, -np.inf)
        self.off_now = np.zeros(n, dtype=bool)
        self.emergency_now = np.zeros(n, dtype=bool)

    def advance(
        self,
        start: float,
        end: float,
        out: np.ndarray,
        *,
        emergency: np.ndarray | None = None,
        possible: list[int] | None = None,
    ) -> None:
        """Record a slot in which the groups ``out`` are off or in emergency."""
        ending = self.off_now & ~out
        self.on_since[ending] = start
        self.hours_off[out] += end - start
        self.last_off_end[out] = end
        self.off_now = out.copy()
        self.emergency_now = out.copy() if emergency is None else emergency.copy()
        if possible:
            self.possible_h[possible] += end - start


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

"""One schedule from the schedules of several Monte Carlo samples.

Samples of one scenario share their groups and slot grid, but a region's
slots are split where its emergency share changes (:mod:`~.rotate`), and
that differs from sample to sample. The samples are therefore combined on
the union of their slot boundaries, region by region: every sample's state
in a finer slot is the state of its slot containing it. A boundary off the
wall-clock slot grid is kept only where some group's combined state changes
across it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError
from gridmodel.schedule.slots import slot_bounds
from gridmodel.schedule.states import EMERGENCY, OFF, ON, POSSIBLE, Schedule


def combine_samples(schedules: Sequence[Schedule]) -> Schedule:
    """One schedule from the schedules of several Monte Carlo samples.

    Per region, group and slot: if the group is dark (``off`` or
    ``emergency``) in more than half of the samples, the state is ``off`` or
    ``emergency``, whichever is more frequent (``emergency`` on a tie);
    otherwise, if any sample has it not ``on``, it is ``possible``; else ``on``.

    Parameters
    ----------
    schedules
        Schedules of the same regions, groups, days, time zone and slot
        length (for example the same options applied to each sample's
        deficit); their slots may be split at different instants.

    Returns
    -------
    Schedule
        The first schedule's options with the combined states, on the union
        of the samples' slot boundaries per region (see the module notes),
        and every sample's warnings once.

    Raises
    ------
    OptionError
        No schedules, or schedules that differ in regions, groups, days, time
        zone or slot length.
    """
    if not schedules:
        raise OptionError("no schedules to combine", field="samples")
    first = schedules[0]
    pairs = first.table[["region", "group"]].drop_duplicates().reset_index(drop=True)
    for schedule in schedules[1:]:
        same = (
            (schedule.days, schedule.tz, schedule.slot_hours)
            == (first.days, first.tz, first.slot_hours)
        ) and schedule.table[["region", "group"]].drop_duplicates().reset_index(drop=True).equals(
            pairs
        )
        if not same:
            raise OptionError(
                "samples differ in regions, groups, days or slot length",
                field="samples",
                allowed="schedules made with the same groups and slot options",
            )
    grid = slot_bounds(first.days[0], len(first.days), first.slot_hours, first.tz)
    frames = [
        _combine_region(region, [s.table[s.table["region"] == region] for s in schedules], grid)
        for region in first.regions()
    ]
    table = pd.concat(frames, ignore_index=True) if frames else first.table.iloc[:0].copy()
    for column in ("start", "end"):
        table[column] = pd.DatetimeIndex(table[column]).tz_convert(first.tz)
    warnings = tuple(dict.fromkeys(w for s in schedules for w in s.warnings))
    return replace(first, table=table, warnings=warnings)


def _combine_region(
    region: str, tables: list[pd.DataFrame], grid: pd.DatetimeIndex
) -> pd.DataFrame:
    """The combined rows of one region from its rows in every sample."""
    instants = [pd.DatetimeIndex(t[c]).tz_convert("UTC") for t in tables for c in ("start", "end")]
    bounds = pd.DatetimeIndex(instants[0].append(instants[1:]).unique().sort_values())
    starts = bounds[:-1]
    groups = list(dict.fromkeys(tables[0]["group"]))
    combined = np.empty((len(groups), len(starts)), dtype=object)
    for g, group in enumerate(groups):
        stack = np.stack([_states_on(t[t["group"] == group], starts) for t in tables])
        combined[g] = _vote(stack)
    # a split that some sample made and after which no combined state changes goes
    keep = np.ones(len(starts), dtype=bool)
    on_grid = np.asarray(starts.isin(grid.tz_convert("UTC")), dtype=bool)
    same = (combined[:, 1:] == combined[:, :-1]).all(axis=0)
    keep[1:] = on_grid[1:] | ~same
    kept_starts = starts[keep]
    ends = kept_starts[1:].append(bounds[-1:])
    kept = combined[:, keep]
    return pd.DataFrame(
        {
            "region": region,
            "group": np.repeat(groups, len(kept_starts)),
            "start": np.tile(kept_starts, len(groups)),
            "end": np.tile(ends, len(groups)),
            "state": kept.reshape(-1),
        }
    )


def _states_on(rows: pd.DataFrame, starts: pd.DatetimeIndex) -> np.ndarray:
    """A group's state in each of the finer slots beginning at ``starts``."""
    rows = rows.sort_values("start")
    own = pd.DatetimeIndex(rows["start"]).tz_convert("UTC")
    at = np.clip(own.searchsorted(starts, side="right") - 1, 0, len(own) - 1)
    return rows["state"].to_numpy()[at]


def _vote(stack: np.ndarray) -> np.ndarray:
    """Combined states of one group (samples x slots): the rule of :func:`combine_samples`."""
    n = len(stack)
    off = (stack == OFF).sum(axis=0)
    emergency = (stack == EMERGENCY).sum(axis=0)
    any_dark = (stack != ON).any(axis=0)
    return np.where(
        off + emergency > n / 2,
        np.where(emergency >= off, EMERGENCY, OFF),
        np.where(any_dark, POSSIBLE, ON),
    )

"""Queues off per hour, as the transmission operator announces them, as a deficit.

Ukrenergo announces how many *queues* must be off (in steps of 0.5) out of
the six queues every distribution company keeps (DOMAIN.md, "Rolling
outages as practised"). A queue is a share of the load, not a group: ``q``
queues off means ``q / 6`` of each region's rotatable load off, whatever the
number of groups the region rotates (three in Kyiv in 2022, six, or 6 x 2
subgroups). The rotation (:func:`gridmodel.schedule.rotate`) then switches
off whole groups, in turn, until they hold that share.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError
from gridmodel.schedule.deficit import check_deficit, csv_times, region_load
from gridmodel.schedule.groups import Groups
from gridmodel.schedule.tables import numbers, read_csv_table, require_columns
from gridmodel.schema import DEFAULT_TIMEZONE

#: Queues of the national scheme: ``q`` queues off is ``q / QUEUES`` of the load.
QUEUES = 6


def deficit_from_queues(queues: pd.DataFrame, groups: Groups) -> pd.DataFrame:
    """Deficit table from queues off per hour.

    Parameters
    ----------
    queues
        Columns ``time`` (tz-aware), ``queues`` (queues off, 0 to 6 in steps
        of 0.5 as Ukrenergo announces them) and optionally ``region``
        (without it the number applies to every region).
    groups
        The groups. Every region's deficit is ``queues / 6`` of its
        non-critical load, whatever its number of groups.

    Returns
    -------
    pandas.DataFrame
        Deficit table (:data:`~gridmodel.schedule.deficit.DEFICIT_COLUMNS`),
        no emergency.

    Notes
    -----
    The rotation switches off whole groups until they hold the share, so a
    region whose groups do not split the load in sixths switches off a
    little more than ``q / 6`` in each slot, and the groups take turns:
    2.5 queues (5/12 of the load) in a region of three equal groups is two
    of the three groups off in every slot (1.25 groups' worth of load, the
    rest rounded up), each group off two slots in three. In 6 x 2 subgroups
    a half queue is one subgroup (2.5 queues: 5 of 12 subgroups); in six
    groups a half queue is covered by a whole group (3 of 6).
    """
    q = queues["queues"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~np.isfinite(q) | (q < 0) | (q > QUEUES) | (q * 2 != np.round(q * 2))
    if bad.any():
        raise OptionError(
            f"bad number of queues {float(q[np.flatnonzero(bad)[0]]):g}",
            field="queues",
            allowed=f"a number >= 0 and <= {QUEUES} in steps of 0.5",
        )
    load = region_load(groups, "--queues")
    if "region" in queues.columns:
        for region in queues["region"].unique():
            groups.check_region(str(region))
        table = queues[["time", "region", "queues"]].copy()
    else:
        table = queues[["time", "queues"]].merge(
            pd.DataFrame({"region": groups.region_names()}), how="cross"
        )
    rotatable = table["region"].map(load).astype(float)
    table["deficit_mw"] = table["queues"] / QUEUES * rotatable
    table["rotatable_mw"] = rotatable
    table["emergency_share"] = 0.0
    return check_deficit(table.drop(columns="queues"), groups, tz=str(queues["time"].dt.tz))


def read_queues(
    spec: str | Path, groups: Groups, *, hours: pd.DatetimeIndex, tz: str = DEFAULT_TIMEZONE
) -> pd.DataFrame:
    """Queues-off input of ``--queues``: a number for every hour, or a CSV file.

    The CSV has ``hour`` (from the first of ``hours``) or ``time``,
    ``queues``, and optionally ``region``.
    """
    text = str(spec).strip()
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None:
        queues = pd.DataFrame({"time": hours, "queues": value})
        return deficit_from_queues(queues, groups)
    table = read_csv_table(text)
    require_columns(table, ["queues"], file=text)
    queues = pd.DataFrame(
        {
            "time": csv_times(table, origin=hours[0], tz=tz, file=text),
            "queues": numbers(table, "queues", file=text, low=0.0),
        }
    )
    if "region" in table.columns:
        queues["region"] = table["region"].to_numpy()
    try:
        return deficit_from_queues(queues, groups)
    except OptionError as exc:
        raise OptionError(exc.message, file=text, field=exc.field, allowed=exc.allowed) from None

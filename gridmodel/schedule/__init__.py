"""Rolling-outage schedules: groups, deficit, rotation policies, exports.

The deficit a damaged grid leaves is turned into a DTEK/Yasno-style rotation:
each region's consumers are split into groups (queues), and in every slot
enough groups are switched off to cover the deficit, fairly, with critical
loads exempt.

Typical use (this is what ``gridmodel run`` does with its own timeline)::

    groups = groups_from_grid(grid)                     # or build_groups(table)
    deficit = deficit_from_timeline(timeline, tz="Europe/Kyiv")
    schedule = rotate(deficit, groups, options=ScheduleOptions(slot_hours=4),
                      timezone="Europe/Kyiv")
    write_schedule(schedule, run_folder)                # csv, json, ics, groups.csv

Modules: :mod:`~.options` (the ``[schedule]`` section), :mod:`~.groups`
(groups and their load), :mod:`~.deficit` (the deficit table and its
builders), :mod:`~.timeline_parts` (a run timeline's parts against its demand),
:mod:`~.waves` (a wave's hour split at its minute),
:mod:`~.run_input` (a run folder's timeline), :mod:`~.slots` (local-time
slots, daylight-saving days), :mod:`~.policies` (registry), :mod:`~.rotate`,
:mod:`~.states` (states, Schedule), :mod:`~.samples` (Monte Carlo samples
combined), :mod:`~.exports` and :mod:`~.calendar` (files).
"""

from gridmodel.schedule.deficit import (
    DEFICIT_COLUMNS,
    TIMELINE_COLUMNS,
    check_deficit,
    deficit_from_fraction,
    deficit_from_stage,
    deficit_from_timeline,
    read_deficit_csv,
)
from gridmodel.schedule.exports import csv_table, group_table, write_schedule, yasno_json
from gridmodel.schedule.groups import (
    Groups,
    build_groups,
    group_labels,
    groups_from_grid,
    read_region_table,
)
from gridmodel.schedule.options import ScheduleOptions
from gridmodel.schedule.policies import SlotContext, get, names, register
from gridmodel.schedule.queues import deficit_from_queues, read_queues
from gridmodel.schedule.rotate import rotate
from gridmodel.schedule.run_input import read_run_timeline
from gridmodel.schedule.samples import combine_samples
from gridmodel.schedule.states import STATES, Schedule, outage_runs

__all__ = [
    "DEFICIT_COLUMNS",
    "STATES",
    "TIMELINE_COLUMNS",
    "Groups",
    "Schedule",
    "ScheduleOptions",
    "SlotContext",
    "build_groups",
    "check_deficit",
    "combine_samples",
    "csv_table",
    "deficit_from_fraction",
    "deficit_from_queues",
    "deficit_from_stage",
    "deficit_from_timeline",
    "get",
    "group_labels",
    "group_table",
    "groups_from_grid",
    "names",
    "outage_runs",
    "read_deficit_csv",
    "read_queues",
    "read_region_table",
    "read_run_timeline",
    "register",
    "rotate",
    "write_schedule",
    "yasno_json",
]

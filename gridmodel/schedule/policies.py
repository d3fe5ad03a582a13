"""Rotation policies: which groups to switch off first, in a small registry.

A policy is a plain function ``policy(ctx: SlotContext) -> Sequence[int]``
returning group positions (indices into ``ctx.labels``) in the order they
should be switched off in this slot. The rotation (:func:`rotate`) takes groups
from the front of that order until their share covers the deficit; the next
ones, up to the schedule's margin, are ``possible``. Groups a policy leaves out
are never switched off; if the groups it lists cannot cover the deficit the
slot becomes ``emergency``.

Register a new policy with ``@register("name")``; scenarios and the command
line name policies by string (:func:`get`, :func:`names`). A policy that
ranks by history (``rotating=True``, the default) also has its ``possible``
groups rotated: among the groups left on, those shown ``possible`` for the
fewest hours so far come first, so no group is off and possible by turns
without a slot of guaranteed power. A fixed published table
(``stage_table``) keeps its own order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gridmodel.errors import OptionError, unknown_name


@dataclass(frozen=True, eq=False)
class SlotContext:
    """What a policy may look at when ranking the groups of one region for one slot.

    Times are hours since 1970-01-01 UTC (real hours, so a daylight-saving
    change does not distort durations). Arrays hold one value per group and
    are read-only.

    Attributes
    ----------
    region, labels, shares
        The region, its group names and each group's share of its load.
    start_h, end_h
        The slot.
    cell
        The slot's cell in a fixed published table: the local date's ordinal
        times (slots per day + 1) plus the wall-clock slot of the day. A table
        rotation then depends only on the date and time, not on where the
        schedule starts, and shifts by one group from one day to the next (so
        the night slot is not always the same group's).
    hours_off
        Hours off so far in this schedule.
    last_off_end_h
        End of the group's latest outage (``-inf`` if never off).
    off_now
        Off in the previous slot.
    on_since_h
        When the group last came back on (``-inf`` if never off).
    min_on_hours
        Minimum on-time between two outages of a group.
    protected
        Positions of groups protected by contract (for the ``priority`` policy).
    possible_h
        Hours shown ``possible`` (next in line) so far in this schedule.
    """

    region: str
    labels: tuple[str, ...]
    shares: np.ndarray
    start_h: float
    end_h: float
    cell: int
    hours_off: np.ndarray
    last_off_end_h: np.ndarray
    off_now: np.ndarray
    on_since_h: np.ndarray
    min_on_hours: float
    protected: frozenset[int]
    possible_h: np.ndarray


Policy = Callable[[SlotContext], Sequence[int]]

_REGISTRY: dict[str, Policy] = {}
_FIXED: set[str] = set()


def register(name: str, *, rotating: bool = True) -> Callable[[Policy], Policy]:
    """Decorator that registers a policy under ``name``.

    ``rotating=False``: a fixed table whose ``possible`` groups are the next
    in its own order (see the module notes).
    """

    def add(policy: Policy) -> Policy:
        _REGISTRY[name] = policy
        if rotating:
            _FIXED.discard(name)
        else:
            _FIXED.add(name)
        return policy

    return add


def rotates_possible(name: str) -> bool:
    """Whether the rotation rotates the ``possible`` groups of policy ``name``."""
    return name not in _FIXED


def get(name: str) -> Policy:
    """The policy registered as ``name``.

    Raises
    ------
    OptionError
        For an unknown name, listing the valid ones.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise unknown_name(
            "schedule policy", name, names(), error=OptionError, field="policy"
        ) from None


def names() -> list[str]:
    """Names of the registered policies, sorted."""
    return sorted(_REGISTRY)


def fair_order(ctx: SlotContext, *, exclude: frozenset[int] = frozenset()) -> list[int]:
    """Groups by fairness: fewest hours off first, respecting the minimum on-time.

    Groups that may go off now (off in the previous slot, never off yet, or on
    for at least ``min_on_hours``) come first, ranked by hours off so far,
    then by the earliest end of their latest outage (least recently off), then
    by position. Under a constant deficit this is a round robin, so over any
    day each group's hours off are within one slot of the others. Groups still
    inside their minimum on-time follow (longest on first), to be used only
    when the others cannot cover the deficit.
    """
    n = len(ctx.labels)
    on_for = ctx.start_h - ctx.on_since_h
    ready = ctx.off_now | (on_for >= ctx.min_on_hours - 1e-9)
    candidates = [i for i in range(n) if i not in exclude]
    first = sorted(
        (i for i in candidates if ready[i]),
        key=lambda i: (ctx.hours_off[i], ctx.last_off_end_h[i], i),
    )
    later = sorted(
        (i for i in candidates if not ready[i]),
        key=lambda i: (ctx.on_since_h[i], ctx.hours_off[i], i),
    )
    return first + later


@register("fair_rotation")
def fair_rotation(ctx: SlotContext) -> list[int]:
    """Default policy: the fairest groups first (see :func:`fair_order`)."""
    return fair_order(ctx)


@register("priority")
def priority(ctx: SlotContext) -> list[int]:
    """Fair rotation that never switches off groups protected by contract.

    If the unprotected groups cannot cover the deficit the slot is
    ``emergency``: protected consumers are cut only in emergency shutdowns.
    """
    return fair_order(ctx, exclude=ctx.protected)


def stage_columns(n: int) -> list[int]:
    """Offsets of the stage columns of a published table with ``n`` groups.

    Stage 1 switches off group ``cell mod n``; each further stage adds the
    group at the next offset. Offsets alternate between the first and the
    second half of the groups (``n = 6``: 0, 3, 1, 4, 2, 5) so the groups a
    stage adds are spread over the day, as in Eskom's published tables.
    """
    half = (n + 1) // 2
    order: list[int] = []
    for i in range(half):
        order.append(i)
        if half + i < n:
            order.append(half + i)
    return order


@register("stage_table", rotating=False)
def stage_table(ctx: SlotContext) -> list[int]:
    """Fixed published-style table: in table cell ``c``, stage ``s`` adds group ``(c + o_s) mod n``.

    The order depends only on the slot's date and wall-clock time (its
    table cell), never on history: the same table every week, as published.
    Over ``n`` consecutive slots at a constant stage ``s`` each group is off
    exactly ``s`` times.
    """
    n = len(ctx.labels)
    return [(ctx.cell + offset) % n for offset in stage_columns(n)]

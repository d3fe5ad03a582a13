"""Supply balance of energised islands: load shedding and the distributed slack.

Rules 2-4 of :mod:`gridmodel.engine.dc`, in one compiled pass over buses, loads
and units:

* loads on de-energised buses (or struck loads) are dark, all others are
  served in full unless their island is short;
* an island whose demand (plus fixed injections such as shunts) exceeds what
  its sources can deliver (forming units at maximum output, static generators
  at their set point) sheds load, lowest priority class first (other
  industry, then households, essential goods, defence, and critical load
  last), in proportion within a class;
* generation modelled as negative load is curtailed, pro rata, where the
  island's units cannot come down far enough to absorb it;
* the rest of the mismatch to the base dispatch is shared by the island's
  grid-forming units in proportion to their headroom (up) or output above
  their floor (down; static generators go down last). An unlimited source (an
  external grid without a limit) takes all of an increase, shared equally.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.islands import Topology

#: Numerical tolerance (MW) for balance comparisons.
TOL_MW = 1e-9


def balance(
    compiled: CompiledGrid, topo: Topology, state: State, demand: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Served load, unit output and dark-load mask of every energised island.

    Returns
    -------
    served_mw, unit_p_mw, load_dark
    """
    if topo.n_islands == 0:  # every bus is dead: nothing to balance
        return (
            np.zeros(len(demand)),
            np.zeros(len(compiled.unit_kind)),
            np.ones(len(demand), dtype=bool),
        )
    served, unit_p, dark = _balance(
        topo.n_islands,
        topo.labels,
        topo.bus_energized,
        topo.energized_island,
        compiled.bus_fixed_mw,
        compiled.load_bus,
        state.load,
        np.ascontiguousarray(demand, dtype=float),
        np.asarray(compiled.load_priority, dtype=np.int64),  # no copy if int64
        compiled.unit_bus,
        topo.unit_ok,
        compiled.unit_forming,
        compiled.unit_p0_mw,
        compiled.unit_limits(state),
        TOL_MW,
    )
    return served, unit_p, dark


@njit(cache=True)
def _shed_by_priority(served, members, priority, available):
    """Serve ``available`` MW to the loads ``members``, highest priority class first,
    pro rata within a class; in place in ``served``, which holds their demand.

    A class whose demand is not positive is not served. Returns the MW served
    (summed in member order).
    """
    lowest, highest = 0, -1
    for k in range(len(members)):
        cls = priority[members[k]]
        if k == 0 or cls < lowest:
            lowest = cls
        if k == 0 or cls > highest:
            highest = cls
    remaining = max(available, 0.0)
    for cls in range(lowest, highest + 1):  # ascending: class 1 (critical) first
        total = 0.0
        for k in range(len(members)):
            if priority[members[k]] == cls:
                total += served[members[k]]
        if total <= 0:
            for k in range(len(members)):
                if priority[members[k]] == cls:
                    served[members[k]] = 0.0
            continue
        if remaining >= total:
            remaining -= total
        else:
            for k in range(len(members)):
                if priority[members[k]] == cls:
                    served[members[k]] = served[members[k]] * (remaining / total)
            remaining = 0.0
    served_total = 0.0
    for k in range(len(members)):
        served_total += served[members[k]]
    return served_total


@njit(cache=True)
def _balance(
    n_isl,
    labels,
    bus_energized,
    energized_island,
    bus_fixed,
    load_bus,
    load_on,
    demand,
    priority,
    unit_bus,
    unit_ok,
    unit_forming,
    unit_p0,
    pmax,
    tol,
):
    n_load = len(demand)
    n_unit = len(unit_bus)
    fixed = np.zeros(n_isl)
    for bus in range(len(labels)):
        if bus_energized[bus]:
            fixed[labels[bus]] += bus_fixed[bus]
    served = np.zeros(n_load)
    dark = np.ones(n_load, dtype=np.bool_)
    need = np.zeros(n_isl)
    for i in range(n_load):
        if load_on[i] and bus_energized[load_bus[i]]:
            dark[i] = False
            served[i] = demand[i]
            need[labels[load_bus[i]]] += demand[i]
    p0 = np.zeros(n_unit)
    cap = np.zeros(n_isl)
    cap_sg = np.zeros(n_isl)
    for u in range(n_unit):
        if unit_ok[u]:
            lo = min(unit_p0[u], 0.0)
            p0[u] = min(max(unit_p0[u], lo), pmax[u])
            isl = labels[unit_bus[u]]
            if unit_forming[u]:
                cap[isl] += pmax[u]
            else:
                cap_sg[isl] += p0[u]
    for isl in range(n_isl):
        need[isl] += fixed[isl]
        cap[isl] += cap_sg[isl]
    _shed_short_islands(
        n_isl, labels, energized_island, load_bus, priority, served, dark, need, cap, fixed, tol
    )
    floor = np.zeros(n_isl)  # the least the island's units can produce together
    for u in range(n_unit):
        if unit_ok[u]:
            floor[labels[unit_bus[u]]] += min(unit_p0[u], 0.0)
    _curtail_surplus(n_isl, labels, load_bus, served, dark, need, floor, tol)
    unit_p = _distributed_slack(
        n_isl, labels, unit_bus, unit_ok, unit_forming, unit_p0, pmax, p0, need
    )
    return served, unit_p, dark


@njit(cache=True)
def _shed_short_islands(
    n_isl, labels, energized_island, load_bus, priority, served, dark, need, cap, fixed, tol
):
    """Shed load (in place) in every energised island whose need exceeds its capacity."""
    n_load = len(served)
    short = np.zeros(n_isl, dtype=np.bool_)
    for isl in range(n_isl):
        short[isl] = energized_island[isl] and need[isl] > cap[isl] + tol
    if not short.any():
        return
    # the lit loads of every island, in load order (one pass, not one per island)
    start = np.zeros(n_isl + 1, dtype=np.int64)
    for i in range(n_load):
        if not dark[i]:
            start[labels[load_bus[i]] + 1] += 1
    for isl in range(n_isl):
        start[isl + 1] += start[isl]
    fill = start[:-1].copy()
    order = np.empty(start[n_isl], dtype=np.int64)
    for i in range(n_load):
        if not dark[i]:
            isl = labels[load_bus[i]]
            order[fill[isl]] = i
            fill[isl] += 1
    for isl in range(n_isl):
        if not short[isl]:
            continue
        members = order[start[isl] : start[isl + 1]]
        total = _shed_by_priority(served, members, priority, cap[isl] - fixed[isl])
        need[isl] = total + fixed[isl]


@njit(cache=True)
def _curtail_surplus(n_isl, labels, load_bus, served, dark, need, floor, tol):
    """Curtail generation modelled as negative load (in place) where an island's
    units cannot come down far enough to absorb it, pro rata."""
    n_load = len(served)
    for isl in range(n_isl):
        if need[isl] >= floor[isl] - tol:
            continue
        negative = 0.0
        for i in range(n_load):
            if not dark[i] and labels[load_bus[i]] == isl and served[i] < 0.0:
                negative += served[i]
        if negative >= 0.0:
            continue  # nothing to curtail: the balance check will report the surplus
        share = min((floor[isl] - need[isl]) / -negative, 1.0)
        for i in range(n_load):
            if not dark[i] and labels[load_bus[i]] == isl and served[i] < 0.0:
                served[i] *= 1.0 - share
        need[isl] -= share * negative


@njit(cache=True)
def _distributed_slack(n_isl, labels, unit_bus, unit_ok, unit_forming, unit_p0, pmax, p0, need):
    """Unit outputs: the base dispatch ``p0`` moved to meet each island's ``need``."""
    n_unit = len(unit_bus)
    out = np.zeros(n_isl)
    n_unlimited = np.zeros(n_isl)
    head_sum = np.zeros(n_isl)
    room_sum = np.zeros(n_isl)
    sg_sum = np.zeros(n_isl)
    head = np.zeros(n_unit)
    room = np.zeros(n_unit)
    sg = np.zeros(n_unit)
    for u in range(n_unit):
        if not unit_ok[u]:
            continue
        isl = labels[unit_bus[u]]
        out[isl] += p0[u]
        if unit_forming[u]:
            if np.isinf(pmax[u]):
                n_unlimited[isl] += 1.0
                head[u] = 1.0
            else:
                head[u] = max(pmax[u] - p0[u], 0.0)
            room[u] = max(p0[u] - min(unit_p0[u], 0.0), 0.0)
        else:
            sg[u] = p0[u]
        head_sum[isl] += head[u]
        room_sum[isl] += room[u]
        sg_sum[isl] += sg[u]
    share_up = np.zeros(n_isl)
    share_down = np.zeros(n_isl)
    share_sg = np.zeros(n_isl)
    for isl in range(n_isl):
        delta = need[isl] - out[isl]
        head_isl = n_unlimited[isl] if n_unlimited[isl] > 0 else head_sum[isl]
        if head_isl > 0:
            share_up[isl] = max(delta, 0.0) / head_isl
        down = max(-delta, 0.0)
        down_forming = min(down, room_sum[isl])
        if room_sum[isl] > 0:
            share_down[isl] = down_forming / room_sum[isl]
        if sg_sum[isl] > 0:
            share_sg[isl] = min(down - down_forming, sg_sum[isl]) / sg_sum[isl]
    unit_p = p0.copy()
    for u in range(n_unit):
        if not unit_ok[u]:
            continue
        isl = labels[unit_bus[u]]
        up = head[u]
        if n_unlimited[isl] > 0 and not (unit_forming[u] and np.isinf(pmax[u])):
            up = 0.0  # an unlimited source takes all of an increase
        unit_p[u] += up * share_up[isl] - room[u] * share_down[isl] - sg[u] * share_sg[isl]
    return unit_p

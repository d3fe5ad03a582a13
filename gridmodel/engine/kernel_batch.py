"""The compiled loop over a batch of states: each state's trip cascade and figures.

:func:`run_batch` evaluates every row of the state masks with
:func:`cascade_state` (:mod:`gridmodel.engine.kernel`), checks each outcome's
invariants (:func:`~gridmodel.engine.outcome._violation`) and reduces it to
the figures criticality ranks by; with ``full`` it also keeps every state's
arrays, from which :mod:`gridmodel.engine.batch` builds
:class:`~gridmodel.engine.outcome.Outcome` objects.

A state's result depends only on the state: the cascade starts from the
intact grid's factorisation for every state, whatever was evaluated before
it in the batch.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from gridmodel.engine.islands import _label
from gridmodel.engine.kernel import (
    COUNT_SPLITS,
    COUNT_STEPS,
    DONE,
    FALLBACK,
    all_joined,
    islands_and_balance,
    solve_stage,
    stage_rhs,
)
from gridmodel.engine.outcome import _violation

#: Figures per state, in :func:`run_batch`'s ``figures`` columns.
FIGURE_NAMES: tuple[str, ...] = (
    "unserved_mw",
    "customers_off",
    "dark_mw",
    "shed_mw",
    "critical_unserved_mw",
    "tripped",
    "islands",
    "energized_islands",
)


@njit(cache=True)
def cascade_state(g, base, sym, own, bus, branch, unit, load, pmax, demand, threshold, params):
    """The trip cascade of one state: (status, arrays of the final step, trips)."""
    base_mva, rank_limit, residual_tol, pivot_tol, tol, spd = params
    f, t, b, rating = g[0], g[1], g[2], g[4]
    m = len(f)
    branch_ok = np.empty(m, dtype=np.bool_)
    for k in range(m):
        branch_ok[k] = branch[k] and bus[f[k]] and bus[t[k]]
    own[0][0] = 0
    # a branch trips at most once: room for every trip, cut to size at the end
    trip_branch = np.empty(m, dtype=np.int64)
    trip_step = np.empty(m, dtype=np.int64)
    trip_loading = np.empty(m)
    n_tripped = 0
    live = np.empty(m, dtype=np.bool_)
    flow = np.zeros(m)
    loading = np.zeros(m)
    n_isl = -1
    fresh = True  # the right-hand side must be made again
    theta0 = np.empty(0)
    # marks (and a spare last slot for the stamp) and the two sides' queues
    search = (np.zeros(len(bus) + 1, dtype=np.int64), np.empty(len(bus), dtype=np.int64),
              np.empty(len(bus), dtype=np.int64))  # fmt: skip
    last = 0  # where the last step's trips start in trip_branch
    for step in range(1, m + 2):  # every step trips a branch
        own[0][COUNT_STEPS] += 1
        if n_isl < 0 or not all_joined(g, branch_ok, trip_branch[last:n_tripped], search):
            found, count = _label(g[5], g[6], g[7], bus, branch_ok)
        else:
            count = n_isl
        if count != n_isl:  # the first step, or the trips split an island
            own[0][COUNT_SPLITS] += n_isl >= 0
            labels, n_isl = found, count
            energized_island, energized, unit_ok, served, unit_p, dark = islands_and_balance(
                g, bus, labels, n_isl, unit, load, pmax, demand, tol
            )
            fresh = True
        # else the trips split no island: the islands and the balance stand
        for k in range(m):
            live[k] = branch_ok[k] and energized[f[k]]
        if fresh:
            rhs, grounded, pf_inj = stage_rhs(
                g, base_mva, labels, n_isl, energized, unit_ok, served, unit_p, live
            )
            theta0 = np.empty(0)
            fresh = False
        theta, ok, theta0 = solve_stage(
            base, own, sym, g, branch_ok, grounded, rhs, theta0,
            (rank_limit, residual_tol, pivot_tol, spd),
        )  # fmt: skip
        if not ok:
            return FALLBACK, labels, n_isl, energized_island, energized, served, unit_p, dark, \
                flow, loading, branch_ok, trip_branch[:n_tripped], trip_step[:n_tripped], \
                trip_loading[:n_tripped]  # fmt: skip
        n_trip = 0
        for k in range(m):
            flow[k] = 0.0
            if live[k]:
                flow[k] = (b[k] * (theta[f[k]] - theta[t[k]]) + pf_inj[k]) * base_mva
            loading[k] = abs(flow[k]) / rating[k] * 100.0 if np.isfinite(rating[k]) else 0.0
            if branch_ok[k] and loading[k] > threshold:
                n_trip += 1
        if n_trip == 0:
            break
        last = n_tripped
        for k in range(m):
            if branch_ok[k] and loading[k] > threshold:
                trip_branch[n_tripped] = k
                trip_step[n_tripped] = step
                trip_loading[n_tripped] = loading[k]
                n_tripped += 1
                branch_ok[k] = False
                fresh = fresh or pf_inj[k] != 0.0  # a phase shifter's injection goes
    return DONE, labels, n_isl, energized_island, energized, served, unit_p, dark, flow, \
        loading, branch_ok, trip_branch[:n_tripped], trip_step[:n_tripped], \
        trip_loading[:n_tripped]  # fmt: skip


@njit(cache=True)
def state_figures(demand, served, dark, customers, priority, out):
    """The state's figures (``out[0:5]``, :data:`FIGURE_NAMES` order)."""
    unserved = 0.0
    dark_mw = 0.0
    critical = 0.0
    customers_off = 0.0
    for i in range(len(demand)):
        cut = demand[i] - served[i]
        unserved += cut
        if dark[i]:
            dark_mw += demand[i]
            share = 1.0
        else:
            share = cut / demand[i] if demand[i] > 0 else 0.0
        if priority[i] == 1:
            critical += cut
        customers_off += customers[i] * share
    out[0] = unserved
    out[1] = customers_off
    out[2] = dark_mw
    out[3] = unserved - dark_mw
    out[4] = critical


@njit(cache=True)
def run_batch(g, base, sym, own, masks, pmax, demand, threshold, params, tols, full, keep):
    """Evaluate every state (row of the ``masks``) and reduce it to its figures.

    Returns per state the status (:data:`~gridmodel.engine.kernel.DONE`,
    :data:`~gridmodel.engine.kernel.FALLBACK`, or a positive invariant code),
    the figures, and with ``full`` the arrays of each state in ``keep``.
    """
    bus, branch, unit, load = masks
    s = bus.shape[0]
    status = np.zeros(s, dtype=np.int64)
    figures = np.zeros((s, len(FIGURE_NAMES)))
    labels_out, isl_out, energized_out, served_out, unit_out, dark_out = keep[0:6]
    flow_out, loading_out, ok_out, trips_out = keep[6], keep[7], keep[8], keep[9]
    n_trips = 0
    for row in range(s):
        result = cascade_state(
            g, base, sym, own, bus[row], branch[row], unit[row], load[row], pmax[row],
            demand, threshold, params,
        )  # fmt: skip
        code, labels, n_isl, energized_island, energized, served, unit_p, dark = result[:8]
        flow, loading, branch_ok, trip_branch, trip_step, trip_loading = result[8:]
        if code != DONE:
            status[row] = code
            continue
        check = _violation(
            demand, served, dark, g[14], labels, energized, g[11], unit_p, g[8], g[10],
            pmax[row], flow, loading, n_isl, tols[0], tols[1],
        )  # fmt: skip
        if check[0] != 0:
            status[row] = check[0]
            continue
        state_figures(demand, served, dark, g[17], g[15], figures[row])
        figures[row, 5] = len(trip_branch)
        figures[row, 6] = n_isl
        figures[row, 7] = energized_island.sum()
        if full:
            labels_out[row], energized_out[row], served_out[row] = labels, energized, served
            unit_out[row], dark_out[row], flow_out[row] = unit_p, dark, flow
            loading_out[row], ok_out[row] = loading, branch_ok
            isl_out[row] = n_isl
            n = len(trip_branch)
            if n_trips + n > trips_out.shape[0]:
                grown = np.zeros((2 * (n_trips + n), 4))
                grown[:n_trips] = trips_out[:n_trips]
                trips_out = grown
            for j in range(n):
                trips_out[n_trips + j, 0] = row
                trips_out[n_trips + j, 1] = trip_branch[j]
                trips_out[n_trips + j, 2] = trip_step[j]
                trips_out[n_trips + j, 3] = trip_loading[j]
            n_trips += n
    return status, figures, trips_out[:n_trips]


__all__ = ["DONE", "FALLBACK", "FIGURE_NAMES", "cascade_state", "run_batch", "state_figures"]

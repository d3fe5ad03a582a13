"""Compiled loops of the re-feed (:mod:`gridmodel.restoration.refeed`).

A restoration evaluates a few hundred (condition, demand level) pairs per
sample; the allocation and the attribution run once each per pair, over
every load and every pair of neighbouring substations, so they are plain
loops compiled with numba. Priority classes are given by position
(0 = critical), takers as one CSR table per class (``ptr[c, k]`` to
``ptr[c, k + 1]`` index the loads ``take`` and weights ``weight`` of
substation ``k``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def allocate(
    load_sub, load_cls, demand, lost_sub, out_sub, stage, peak, edge_from, edge_to,
    ptr, take, weight, tau, headroom, tol,
):  # fmt: skip
    """Own parts, moves and flows of one condition at one demand (module notes of
    :mod:`~gridmodel.restoration.refeed`).

    Returns ``own, moved, received, kept, limited`` per load, ``flow`` (MW per
    class and edge) and ``granted`` (MW per class and donor substation).
    """
    n, n_sub, n_edge, n_cls = len(demand), len(peak), len(edge_from), ptr.shape[0]
    own = demand.copy()
    lost = np.zeros(n)
    own_load = np.zeros(n_sub)
    for i in range(n):
        k = load_sub[i]
        if k >= 0 and demand[i] > 0.0:
            lost[i] = lost_sub[k] * demand[i]
            own[i] = demand[i] - lost[i]
        if k >= 0 and own[i] > 0.0:
            own_load[k] += own[i]
    kept = lost.copy()
    limited, moved, received, want = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    room = np.zeros(n_sub)
    for k in range(n_sub):
        if not out_sub[k] and lost_sub[k] < 1.0:
            room[k] = max((1.0 + headroom) * peak[k] * (1.0 - lost_sub[k]) - own_load[k], 0.0)
    flow = np.zeros((n_cls, n_edge))
    granted = np.zeros((n_cls, n_sub))
    for c in range(n_cls):
        need = 1 if c == 0 else 2  # critical load from stage 1, the rest from stage 2
        wanted = np.zeros(n_sub)
        found = False
        for i in range(n):
            k = load_sub[i]
            want[i] = 0.0
            if k >= 0 and load_cls[i] == c and stage[k] >= need and lost[i] > 0.0:
                want[i] = tau * lost[i]
                kept[i] = lost[i] - want[i]
                wanted[k] += want[i]
                found = True
        if not found:
            continue
        space = np.zeros(n_sub)
        for e in range(n_edge):
            if wanted[edge_from[e]] > tol and room[edge_to[e]] > tol:
                space[edge_from[e]] += room[edge_to[e]]
        asked = np.zeros(n_sub)
        for e in range(n_edge):
            s, d = edge_from[e], edge_to[e]
            if wanted[s] > tol and room[d] > tol:
                flow[c, e] = wanted[s] * room[d] / space[s]
                asked[d] += flow[c, e]
        into = np.zeros(n_sub)
        for e in range(n_edge):
            if flow[c, e] > 0.0:
                d = edge_to[e]
                flow[c, e] *= min(1.0, room[d] / asked[d])
                granted[c, edge_from[e]] += flow[c, e]
                into[d] += flow[c, e]
        for k in range(n_sub):
            room[k] -= into[k]
            if into[k] > 0.0:
                for j in range(ptr[c, k], ptr[c, k + 1]):
                    received[take[j]] += into[k] * weight[j]
        for i in range(n):
            if want[i] > 0.0:
                k = load_sub[i]
                # granted <= wanted exactly; rounding must not make the rest negative
                ratio = min(granted[c, k] / wanted[k], 1.0)
                moved[i] = want[i] * ratio
                limited[i] += want[i] * (1.0 - ratio)
    return own, moved, received, kept, limited, flow, granted


@njit(cache=True)
def attribute(
    load_sub, load_cls, fed, engine, own, moved, kept, limited, gone, flow, granted,
    edge_from, edge_to, ptr, take, weight,
):  # fmt: skip
    """Per load: served, dark, short, network and re-fed MW (module notes of
    :mod:`~gridmodel.restoration.refeed`); ``engine`` holds the engine's
    served, dark, short and network MW per load (rows), at demand ``fed``."""
    n, n_sub, n_cls = len(fed), len(granted[0]), ptr.shape[0]
    frac = np.zeros((4, n))
    out = np.zeros((5, n))  # served, dark, short, network, refed
    for i in range(n):
        for q in range(4):
            if fed[i] > 0.0:
                frac[q, i] = engine[q, i] / fed[i]
                out[q, i] = frac[q, i] * own[i]
            else:
                out[q, i] = engine[q, i]
    for c in range(n_cls):
        if granted[c].sum() <= 0.0:
            continue
        at = np.zeros((n_sub, 4))  # the takers' fractions, per receiving substation
        known = np.zeros(n_sub, dtype=np.bool_)
        got = np.zeros((n_sub, 4))  # per donor substation: MW served, dark, short, network
        for e in range(len(edge_from)):
            if flow[c, e] > 0.0:
                d = edge_to[e]
                if not known[d]:
                    known[d] = True
                    for j in range(ptr[c, d], ptr[c, d + 1]):
                        for q in range(4):
                            at[d, q] += weight[j] * frac[q, take[j]]
                for q in range(4):
                    got[edge_from[e], q] += flow[c, e] * at[d, q]
        for i in range(n):
            if load_cls[i] == c and moved[i] > 0.0:
                k = load_sub[i]
                share = moved[i] / granted[c, k]
                out[4, i] += got[k, 0] * share
                for q in range(1, 4):
                    out[q, i] += got[k, q] * share
    for i in range(n):
        out[0, i] += out[4, i]
        if gone[i]:
            out[1, i] += kept[i]
        else:
            out[3, i] += kept[i]
        out[3, i] += limited[i]
    return out

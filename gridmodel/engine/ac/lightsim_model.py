"""The lightsim2grid model of a grid: its instances, island memo and per-state solve.

See :mod:`gridmodel.engine.ac.lightsim` for how the model is used; this
module holds the :class:`Model` itself (mutable, used under its lock).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridmodel.engine.ac.backend import MAX_ITERATIONS, TOLERANCE_PU
from gridmodel.engine.ac.lightsim_fixed import FixedPattern, Maps, build_fixed
from gridmodel.engine.ac.lightsim_island import IslandInstance
from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.dc import reference_buses
from gridmodel.engine.islands import Topology
from gridmodel.engine.outcome import Outcome

#: Island flows kept per grid: the AC steps of a cascade re-solve every island,
#: and most of them are unchanged from one step to the next. An island's flow is
#: a function of its inputs alone (every solve sets them all and starts from the
#: same vector), so a kept answer is the one a new solve would give.
MEMO_SIZE = 128


class Unsupported(Exception):
    """The grid or state has something the lightsim2grid model cannot represent."""


#: (active flow MW, apparent flow MVA, bus voltage magnitude pu per pandapower bus
#: position or NaN if dead); None when the flow does not converge.
Solution = tuple[np.ndarray, np.ndarray, np.ndarray] | None


class _Diverged:
    """A Newton-Raphson that did not converge (kept in the memo)."""


def _finite_flows(
    solved: tuple[np.ndarray, np.ndarray, np.ndarray] | None, sel: np.ndarray
) -> bool:
    """Whether a solve converged with finite flows on the island's branches ``sel``.

    lightsim2grid can converge on finite voltages and still give a NaN flow on
    a branch it cannot compute (a transformer with ``vk_percent`` 0): that is
    no usable AC flow, as pandapower's ``runpp`` fails on it.
    """
    if solved is None:
        return False
    p, q, _ = solved
    return bool(np.isfinite(p[sel]).all() and np.isfinite(q[sel]).all())


def _island_key(
    compiled: CompiledGrid,
    topo: Topology,
    outcome: Outcome,
    buses: np.ndarray,
    branches: np.ndarray,
    slack: int,
) -> bytes:
    """Everything an island's AC flow depends on: its buses, branches, slack,
    served loads and dispatch."""
    loads = buses[compiled.load_bus] & ~outcome.load_dark
    units = buses[compiled.unit_bus] & topo.unit_ok
    parts = (
        buses.nonzero()[0],
        branches.nonzero()[0],
        loads.nonzero()[0],
        outcome.load_served_mw[loads],
        units.nonzero()[0],
        outcome.unit_p_mw[units],
    )
    blobs = [np.ascontiguousarray(a).tobytes() for a in parts]
    sizes = np.array([slack, *(len(b) for b in blobs)], dtype=np.int64).tobytes()
    return b"".join([sizes, *blobs])  # lengths first: no two inputs share a key


@dataclass(eq=False)
class Model:
    """Index maps of a grid and two lightsim2grid instances of it (mutable).

    The largest island of a state is solved on ``main``, the others on
    ``side``: each instance then changes little from one state to the next.
    An island that diverges there (or on the fixed-pattern instance) is solved
    again from its DC angles on ``retry``.
    """

    main: IslandInstance
    side: IslandInstance
    retry: IslandInstance  # islands solved again from their DC angles
    n_ls_bus: int
    gen_vm_pu: np.ndarray  # voltage set point per unit (NaN for sgen)
    pristine: Any  # the converted grid, never solved: source of the fixed instance
    maps: Maps
    fixed: FixedPattern | None = None
    fixed_failed: bool = False
    memo: OrderedDict[bytes, Any] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def solve(self, compiled: CompiledGrid, topo: Topology, outcome: Outcome) -> Solution:
        slack_of = self._slacks(compiled, topo)
        n_br = compiled.n_branch
        flow = np.zeros(n_br)
        mva = np.zeros(n_br)
        vm = np.full(self.n_ls_bus, np.nan)
        branch_isl = np.where(
            outcome.branch_in_service, topo.labels[compiled.branch_from], -1
        ).astype(np.int64)
        islands = topo.energized_island.nonzero()[0]
        n_branch = np.bincount(branch_isl + 1, minlength=topo.n_islands + 1)[1:]
        with_branch = set(((n_branch > 0) & topo.energized_island).nonzero()[0].tolist())
        size = np.bincount(topo.labels[topo.labels >= 0], minlength=topo.n_islands)
        fixed, fast = self._fixed_island(compiled, topo, slack_of, with_branch)
        main = max(with_branch - {fast}, key=lambda i: (size[i], -i), default=-1)
        for island in islands.tolist():
            buses = topo.labels == island
            slack = slack_of[island]
            if island not in with_branch:  # one bus, nothing flows
                vm[self.maps.bus_ls[buses]] = self.gen_vm_pu[slack]
                continue
            sel = branch_isl == island
            key = _island_key(compiled, topo, outcome, buses, sel, slack)
            hit = self.memo.get(key)
            if hit is None:
                hit = self._solve(compiled, topo, outcome, buses, slack, island, fixed, fast, main)
                self.memo[key] = hit
                if len(self.memo) > MEMO_SIZE:
                    self.memo.popitem(last=False)
            else:
                self.memo.move_to_end(key)
            if isinstance(hit, _Diverged):
                return None
            p, q, v = hit
            flow[sel] = p
            mva[sel] = np.hypot(p, q)
            vm[self.maps.bus_ls[buses]] = v
        return flow, mva, vm

    def _solve(
        self,
        compiled: CompiledGrid,
        topo: Topology,
        outcome: Outcome,
        buses: np.ndarray,
        slack: int,
        island: int,
        fixed: FixedPattern | None,
        fast: int,
        main: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | _Diverged:
        """Active and reactive flow of the island's branches and the voltage
        magnitude of its buses."""
        args = (compiled, topo, outcome, buses)
        n, tol = MAX_ITERATIONS, TOLERANCE_PU
        sel = outcome.branch_in_service & (topo.labels[compiled.branch_from] == island)
        if fixed is not None and island == fast:
            solved = fixed.solve(*args, self.maps, max_iterations=n, tolerance_pu=tol)
        else:
            instance = self.main if island == main else self.side
            solved = instance.solve(
                *args, slack, self.maps, max_iterations=n, tolerance_pu=tol, start="flat"
            )
        if not _finite_flows(solved, sel):  # once more from the DC angles, analysed afresh
            solved = self.retry.solve(
                *args, slack, self.maps, max_iterations=n, tolerance_pu=tol, start="dc"
            )
        if solved is None or not _finite_flows(solved, sel):
            return _Diverged()
        p, q, v = solved
        return p[sel], q[sel], np.abs(v[self.maps.bus_ls[buses]])

    def _fixed_island(
        self,
        compiled: CompiledGrid,
        topo: Topology,
        slack_of: dict[int, int],
        with_branch: set[int],
    ) -> tuple[FixedPattern | None, int]:
        """The fixed-pattern instance (built on first use) and the island of this
        state it solves (-1 if none)."""
        if self.fixed is None and not self.fixed_failed:
            self.fixed = build_fixed(
                self.pristine,
                compiled,
                self.maps,
                self._slacks,
                max_iterations=MAX_ITERATIONS,
                tolerance_pu=TOLERANCE_PU,
            )
            self.fixed_failed = self.fixed is None
        if self.fixed is None:
            return None, -1
        return self.fixed, self.fixed.island_of(compiled, topo, slack_of, with_branch)

    def _slacks(self, compiled: CompiledGrid, topo: Topology) -> dict[int, int]:
        """The slack unit of every energised island."""
        ok = topo.unit_ok
        ext = self.maps.ext_units[ok[self.maps.ext_units]]
        out: dict[int, int] = {}
        for island, u in zip(
            topo.labels[compiled.unit_bus[ext]].tolist(), ext.tolist(), strict=True
        ):
            if island in out:
                raise Unsupported("an island with several external grids (several slacks)")
            out[island] = u
        if len(out) == int(topo.energized_island.sum()):  # an external grid in every island
            return out
        gens = self.maps.gen_units[ok[self.maps.gen_units]]
        for bus in reference_buses(compiled, topo).tolist():
            island = int(topo.labels[bus])
            if island not in out:
                out[island] = int(gens[compiled.unit_bus[gens] == bus][0])
        return out

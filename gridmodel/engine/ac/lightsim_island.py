"""AC flow of one island on a lightsim2grid instance switched to it.

Every element outside the island is switched off (only the elements whose
status differs from the previous solve are touched), the island's loads and
units are set to the served load and the dispatch, its slack unit is made the
only slack, and lightsim2grid's Newton-Raphson runs from a flat start. A change
of topology makes lightsim2grid analyse the Jacobian afresh; its first
factorisation is always of the flat-start Jacobian, which depends on the
topology alone, so the answer does not depend on the islands solved before.
With ``start="dc"`` the Newton-Raphson starts from the island's DC angles
(pandapower's ``init="dc"``); :mod:`gridmodel.engine.ac.lightsim` runs those on an
instance that caches nothing between solves.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridmodel.engine.ac.backend import served_q_mvar
from gridmodel.engine.ac.lightsim_fixed import Maps, branch_results, set_values
from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.islands import Topology
from gridmodel.engine.outcome import Outcome


@dataclass(eq=False)
class IslandInstance:
    """One lightsim2grid grid and the current status and injections of its elements
    (mutable; used under the model's lock)."""

    grid: Any
    on: dict[str, np.ndarray]
    value: dict[str, np.ndarray]
    slacks: set[int] = field(default_factory=set)

    def copy(self) -> IslandInstance:
        return IslandInstance(
            self.grid.copy(),
            {k: v.copy() for k, v in self.on.items()},
            {k: v.copy() for k, v in self.value.items()},
            set(self.slacks),
        )

    def switch(self, kind: str, want: np.ndarray, on: str | None, off: str | None) -> None:
        """Call ``on``/``off`` (method names) for the elements whose status changes."""
        have = self.on[kind]
        changed = want != have
        for name, turn in ((on, changed & want), (off, changed & ~want)):
            if name is not None and turn.any():
                deque(map(getattr(self.grid, name), turn.nonzero()[0].tolist()), maxlen=0)
                have[turn] = want[turn]

    def set(self, kind: str, active: np.ndarray, want: np.ndarray, change: str) -> None:
        """Call ``change`` for the active elements whose value changes."""
        set_values(self.value[kind], want, getattr(self.grid, change), active)

    def solve(
        self,
        compiled: CompiledGrid,
        topo: Topology,
        outcome: Outcome,
        bus_on: np.ndarray,
        slack: int,
        maps: Maps,
        *,
        max_iterations: int,
        tolerance_pu: float,
        start: str = "flat",
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Set the grid to the island ``bus_on`` (bool per internal bus) with slack
        unit ``slack`` and run the Newton-Raphson from a flat start (``start="dc"``:
        from the island's DC power-flow angles, as pandapower's ``init="dc"``).

        Returns active and reactive flow (from end, per branch, zero off the
        island) and complex voltage per lightsim2grid bus; None if it diverges.
        """
        inst = self
        g = inst.grid
        bus_ls_on = np.zeros(len(inst.on["bus"]), dtype=bool)
        bus_ls_on[maps.bus_ls[bus_on]] = True
        branch_on = (
            outcome.branch_in_service & bus_on[compiled.branch_from] & bus_on[compiled.branch_to]
        )
        line = maps.line
        unit_on = topo.unit_ok & bus_on[compiled.unit_bus]
        load_on = ~outcome.load_dark & bus_on[compiled.load_bus]
        inst.switch("bus", bus_ls_on, "reactivate_bus", None)
        inst.switch("line", branch_on[line], "reactivate_powerline", "deactivate_powerline")
        inst.switch("trafo", branch_on[~line], "reactivate_trafo", "deactivate_trafo")
        shunt_on = maps.shunt_file_on & bus_on[maps.shunt_bus]
        inst.switch("shunt", shunt_on, "reactivate_shunt", "deactivate_shunt")
        inst.switch("load", load_on, "reactivate_load", "deactivate_load")
        gen_on = np.zeros(len(inst.on["gen"]), dtype=bool)
        gen_on[maps.unit_gen[unit_on & (maps.unit_gen >= 0)]] = True
        inst.switch("gen", gen_on, "reactivate_gen", "deactivate_gen")
        sgen_on = unit_on[maps.sgen_units]
        inst.switch("sgen", sgen_on, "reactivate_sgen", "deactivate_sgen")
        inst.switch("bus", bus_ls_on, None, "deactivate_bus")
        # injections
        served = outcome.load_served_mw
        load_q = served_q_mvar(maps.load_p_file, maps.load_q_file, served, ~load_on)
        inst.set("load_p", load_on, served, "change_p_load")
        inst.set("load_q", load_on, load_q, "change_q_load")
        gens = maps.gen_units[unit_on[maps.gen_units]]
        gen_p = np.zeros(len(gen_on))
        gen_p[maps.unit_gen[gens]] = outcome.unit_p_mw[gens]
        gen_set = np.zeros(len(gen_on), dtype=bool)
        gen_set[maps.unit_gen[gens]] = True
        inst.set("gen_p", gen_set, gen_p, "change_p_gen")
        inst.set("sgen_p", sgen_on, outcome.unit_p_mw[maps.sgen_units], "change_p_sgen")
        # one slack
        slack_ls = int(maps.unit_gen[slack])
        for s in inst.slacks - {slack_ls}:
            g.remove_gen_slackbus(s)
        if slack_ls not in inst.slacks:
            g.add_gen_slackbus(slack_ls, 1.0)
        inst.slacks = {slack_ls}
        v0 = np.ones(len(bus_ls_on), dtype=complex)
        if start == "dc":
            v0 = g.dc_pf(v0, max_iterations, tolerance_pu)
            if len(v0) == 0 or not np.isfinite(v0).all():
                return None
        v = g.ac_pf(v0, max_iterations, tolerance_pu)
        if len(v) == 0 or not np.isfinite(v).all():
            return None
        p, q = branch_results(g, line)
        return np.where(branch_on, p, 0.0), np.where(branch_on, q, 0.0), np.asarray(v)

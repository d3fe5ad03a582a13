"""Benchmark: gridmodel's AC path against lightsim2grid's own Newton solve and ``runpp``.

The same random k-substation strike states (k = 1, 2, 3 in turn, fixed seed,
each strike once) are evaluated side by side in one process, interleaved
(state by state, the order of the methods turning from one state to the next),
by

* **gridmodel, no cascade**: ``solve_plain`` (islands, supply balance, DC
  dispatch) and then the AC flow of that state (``ac_branch_mva``,
  lightsim2grid backend); both parts are timed, and separately;
* **gridmodel, ``evaluate(mode="ac")``** with the trip cascade (DC and AC
  trips), lightsim2grid backend;
* **lightsim2grid, raw**: one lightsim2grid grid (``init_from_pandapower`` of
  the net), per state: the elements outside the solved island switched off,
  the injections gridmodel's DC stage decided (served load, reactive power in
  proportion, dispatch) set where they differ from what the grid holds, one
  Newton-Raphson ``ac_pf`` warm-started from the intact grid's AC voltages
  (10 iterations at most, tolerance 1e-8 pu, as gridmodel), branch flows read,
  and the elements switched back on;
* **pandapower, in place**: the struck buses out of service on one copy of the
  net, ``runpp``, back in service.

The raw lightsim2grid solve is made only on states with one energised island
that has branches and holds the external grid (other energised islands may be
single buses, which no method solves): lightsim2grid's distributed slack has
no answer across islands, and gridmodel solves each further island on its own.
Its ratio to gridmodel is taken over those states; ``evaluate`` and ``runpp``
run on all states. Its injections come from an untimed DC solve of the state,
so the solved AC problem is the same as gridmodel's (the flows are compared).

Each gridmodel method has its own compiled grid and cache, set up before the
timing (the intact grid evaluated once, as in ``engine.py``); the island
flows it keeps are forgotten before every state, so no state reuses another's
answer. Times are CPU time per state (``process_time``) and wall time.

Usage::

    python benchmarks/ac.py [--network case1354pegase] [--network case118]
        [--states 300] [--seed 7] [--profile]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridmodel.engine import EngineCache, EngineOptions, compile_grid, evaluate
from gridmodel.engine.ac.backend import MAX_ITERATIONS, TOLERANCE_PU, served_q_mvar
from gridmodel.engine.ac.check import ac_branch_mva
from gridmodel.engine.ac.lightsim import model_of
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.islands import topology
from gridmodel.engine.outcome import Outcome
from gridmodel.engine.overload import solve_plain
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element, Grid

OPTIONS = EngineOptions(mode="ac", ac_backend="lightsim2grid", overload="trip")


def strike_states(grid: Grid, n: int, seed: int) -> list[list[Element]]:
    """``n`` distinct random strikes on k = 1, 2, 3 substations in turn."""
    rng = np.random.default_rng(seed)
    subs = list(grid.substations.index)
    seen: set[frozenset[str]] = set()
    states: list[list[Element]] = []
    while len(states) < n:
        k = 1 + len(states) % 3
        picked = frozenset(str(s) for s in rng.choice(subs, size=k, replace=False))
        if picked not in seen:
            seen.add(picked)
            states.append([Element("substation", s) for s in sorted(picked)])
    return states


def compiled_for(grid: Grid) -> tuple[CompiledGrid, EngineCache]:
    """A compiled grid and its own cache, with the per-grid set-up done (untimed)."""
    cache = EngineCache()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = compile_grid(grid, options=OPTIONS, cache=cache)
        evaluate(compiled, [compiled.state([])], cache=cache)
    return compiled, cache


@dataclass(frozen=True)
class RawState:
    """What the raw lightsim2grid loop is told about one state (prepared untimed)."""

    off: dict[str, list[int]]  # lightsim2grid positions to switch off, per kind
    value: dict[str, np.ndarray]  # injections per element (MW, Mvar)
    branch_on: np.ndarray  # bool per compiled branch: in the solved island


#: lightsim2grid's switch methods per element kind (off, on).
SWITCH = {
    "line": ("deactivate_powerline", "reactivate_powerline"),
    "trafo": ("deactivate_trafo", "reactivate_trafo"),
    "gen": ("deactivate_gen", "reactivate_gen"),
    "load": ("deactivate_load", "reactivate_load"),
    "sgen": ("deactivate_sgen", "reactivate_sgen"),
    "shunt": ("deactivate_shunt", "reactivate_shunt"),
    "bus": ("deactivate_bus", "reactivate_bus"),
}

#: lightsim2grid's setters per injection.
SETTERS = {
    "load_p": "change_p_load",
    "load_q": "change_q_load",
    "gen_p": "change_p_gen",
    "sgen_p": "change_p_sgen",
    "sgen_q": "change_q_sgen",
}


@dataclass
class RawLightsim:
    """lightsim2grid on its own: one grid, switched and set per state."""

    grid: Any
    v0: np.ndarray  # complex voltages of the intact grid's AC flow
    line: np.ndarray  # bool per compiled branch
    position: np.ndarray  # lightsim2grid line or trafo position per compiled branch
    have: dict[str, np.ndarray] = field(default_factory=dict)
    pf_seconds: tuple[float, float] = (0.0, 0.0)  # CPU and wall time of the last ac_pf
    again: bool = False  # solve each state twice (ac_pf timed on the analysed pattern)

    @classmethod
    def build(cls, compiled: CompiledGrid, *, again: bool = False) -> RawLightsim:
        from lightsim2grid.network import init_from_pandapower

        net = compiled.grid.net
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grid = init_from_pandapower(net, pp_orig_file="pandapower_v3")
        v = grid.ac_pf(np.ones(int(grid.total_bus()), dtype=complex), 30, TOLERANCE_PU)
        line = compiled.branch_kind == "line"
        position = np.zeros(compiled.n_branch, dtype=np.int64)
        position[line] = net.line.index.get_indexer(compiled.branch_index[line])
        position[~line] = net.trafo.index.get_indexer(compiled.branch_index[~line])
        have = {
            "load_p": np.array([e.target_p_mw for e in grid.get_loads()]),
            "load_q": np.array([e.target_q_mvar for e in grid.get_loads()]),
            "gen_p": np.array([e.target_p_mw for e in grid.get_generators()]),
            "sgen_p": np.array([e.target_p_mw for e in grid.get_static_generators()]),
            "sgen_q": np.array([e.target_q_mvar for e in grid.get_static_generators()]),
        }
        return cls(grid, np.asarray(v), line, position, have, again=again)

    def prepare(self, compiled: CompiledGrid, state: State, outcome: Outcome) -> RawState | None:
        """The state as switches and injections; None if it is not one energised
        island with branches holding the external grid."""
        topo = topology(compiled, state, outcome.branch_in_service, EngineCache())
        with_branch = np.unique(topo.labels[compiled.branch_from[outcome.branch_in_service]])
        islands = np.intersect1d(with_branch, np.flatnonzero(topo.energized_island))
        ext = np.flatnonzero(compiled.unit_kind == "ext_grid")
        if len(islands) != 1 or len(ext) != 1 or not topo.unit_ok[ext[0]]:
            return None
        island = int(islands[0])
        if topo.labels[compiled.unit_bus[ext[0]]] != island:
            return None
        net = compiled.grid.net
        buses = topo.labels == island
        pp_on = np.zeros(len(net.bus), dtype=bool)
        pp_on[net.bus.index.get_indexer([m[0] for m in compiled.bus_pp])] = buses
        branch_on = outcome.branch_in_service & buses[compiled.branch_from]
        unit_on = topo.unit_ok & buses[compiled.unit_bus]
        load_on = ~outcome.load_dark & buses[compiled.load_bus]
        kinds = compiled.unit_kind
        gen_units = np.flatnonzero(kinds == "gen")
        sgen_units = np.flatnonzero(kinds == "sgen")
        gen_on = np.append(unit_on[gen_units], True)  # the external grid's generator last
        shunt_on = pp_on[net.bus.index.get_indexer(net.shunt["bus"])]
        off = {
            "line": self.position[self.line & ~branch_on],
            "trafo": self.position[~self.line & ~branch_on],
            "gen": np.flatnonzero(~gen_on),
            "load": np.flatnonzero(~load_on),
            "sgen": np.flatnonzero(~unit_on[sgen_units]),
            "shunt": np.flatnonzero(~shunt_on),
            "bus": np.flatnonzero(~pp_on),
        }
        load = net.load
        p_file = (load["p_mw"] * load["scaling"]).to_numpy(dtype=float)
        q_file = (load["q_mvar"] * load["scaling"]).to_numpy(dtype=float)
        served = outcome.load_served_mw
        value = {
            "load_p": np.where(load_on, served, self.have["load_p"]),
            "load_q": np.where(
                load_on, served_q_mvar(p_file, q_file, served, ~load_on), self.have["load_q"]
            ),
            "gen_p": np.append(
                np.where(gen_on[:-1], outcome.unit_p_mw[gen_units], self.have["gen_p"][:-1]),
                self.have["gen_p"][-1],
            ),
            "sgen_p": outcome.unit_p_mw[sgen_units],
            "sgen_q": net.sgen["q_mvar"].to_numpy(dtype=float),
        }
        return RawState({k: [int(i) for i in v] for k, v in off.items()}, value, branch_on)

    def solve(self, raw: RawState) -> np.ndarray | None:
        """Apparent power (MVA, from end) per compiled branch; None if it diverges."""
        g = self.grid
        for name, want in raw.value.items():
            have = self.have[name]
            changed = np.flatnonzero(want != have)
            if len(changed):
                method = getattr(g, SETTERS[name])
                deque(map(method, changed.tolist(), want[changed].tolist()), maxlen=0)
                have[changed] = want[changed]
        for kind, items in raw.off.items():
            deque(map(getattr(g, SWITCH[kind][0]), items), maxlen=0)
        if self.again:  # analysed here, timed below
            g.ac_pf(self.v0, MAX_ITERATIONS, TOLERANCE_PU)
        wall, cpu = time.perf_counter(), time.process_time()
        v = g.ac_pf(self.v0, MAX_ITERATIONS, TOLERANCE_PU)
        self.pf_seconds = (time.process_time() - cpu, time.perf_counter() - wall)
        mva = None
        if len(v):
            mva = np.zeros(len(self.line))
            p, q = g.get_line_res1()[:2]
            mva[self.line] = np.hypot(p, q)[self.position[self.line]]
            p, q = g.get_trafo_res1()[:2]
            mva[~self.line] = np.hypot(p, q)[self.position[~self.line]]
        for kind, items in raw.off.items():
            deque(map(getattr(g, SWITCH[kind][1]), items), maxlen=0)
        return mva


def pandapower_in_place(grid: Grid) -> Callable[[list[Element]], float]:
    """One state by pandapower on one copy of the net: buses out, ``runpp``, back in."""
    import pandapower as pp

    net = copy.deepcopy(grid.net)

    def run(out: list[Element]) -> float:
        buses = [b for e in out for b in grid.buses_of(str(e.id))]
        net.bus.loc[buses, "in_service"] = False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pp.runpp(net)
            converged = 1.0
        except Exception:  # non-convergence
            converged = 0.0
        net.bus.loc[buses, "in_service"] = True
        return converged

    return run


PLAIN_DC = "gridmodel solve_plain (DC)"
PLAIN_AC = "gridmodel AC flow (ac_branch_mva)"
PLAIN = "gridmodel solve_plain + AC flow"
EVALUATE = "gridmodel evaluate(mode='ac'), trip"
RAW = "lightsim2grid raw (switch, set, ac_pf)"
RAW_PF = "  of which ac_pf"
RAW_AGAIN = "lightsim2grid ac_pf, pattern analysed"
RUNPP = "pandapower runpp in place"


@dataclass
class Clock:
    """CPU and wall seconds per method and state (NaN where a method did not run)."""

    n: int
    cpu: dict[str, np.ndarray] = field(default_factory=dict)
    wall: dict[str, np.ndarray] = field(default_factory=dict)

    def time(self, label: str, i: int, call: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = call()
        self.record(label, i, (time.process_time() - cpu, time.perf_counter() - wall))
        return result

    def record(self, label: str, i: int, seconds: tuple[float, float]) -> None:
        for table, value in zip((self.cpu, self.wall), seconds, strict=True):
            table.setdefault(label, np.full(self.n, np.nan))[i] = value


@dataclass
class Bench:
    """The methods of one network, each with its own compiled grid and cache."""

    grid: Grid
    states: list[list[Element]]
    clock: Clock
    plain: tuple[CompiledGrid, EngineCache]
    full: tuple[CompiledGrid, EngineCache]
    raw: RawLightsim
    again: RawLightsim  # solves every state twice: ac_pf on an analysed pattern
    raw_states: list[RawState | None]
    runpp: Callable[[list[Element]], float]
    gm_mva: list[np.ndarray | None] = field(default_factory=list)
    raw_mva: list[np.ndarray | None] = field(default_factory=list)

    @classmethod
    def build(cls, network: str, n: int, seed: int) -> Bench:
        grid = load_network(network)
        states = strike_states(grid, n, seed)
        prep, prep_cache = compiled_for(grid)
        raw = RawLightsim.build(prep)
        raw_states = []
        for out in states:  # the DC dispatch the raw solve is given (untimed)
            state = prep.state(out)
            outcome = solve_plain(prep, state, prep.load_p_mw, prep_cache)
            raw_states.append(raw.prepare(prep, state, outcome))
        return cls(
            grid,
            states,
            Clock(len(states)),
            compiled_for(grid),
            compiled_for(grid),
            raw,
            RawLightsim.build(prep, again=True),
            raw_states,
            pandapower_in_place(grid),
            [None] * len(states),
            [None] * len(states),
        )

    def run_plain(self, i: int) -> None:
        compiled, cache = self.plain
        state = compiled.state(self.states[i])
        outcome = self.clock.time(
            PLAIN_DC, i, lambda: solve_plain(compiled, state, compiled.load_p_mw, cache)
        )
        self.gm_mva[i] = self.clock.time(
            PLAIN_AC, i, lambda: ac_branch_mva(compiled, state, outcome, cache)
        )

    def run_evaluate(self, i: int) -> None:
        compiled, cache = self.full
        self.clock.time(
            EVALUATE, i, lambda: evaluate(compiled, [compiled.state(self.states[i])], cache=cache)
        )

    def run_raw(self, i: int) -> None:
        raw_state = self.raw_states[i]
        if raw_state is not None:
            self.raw_mva[i] = self.clock.time(RAW, i, lambda: self.raw.solve(raw_state))
            self.clock.record(RAW_PF, i, self.raw.pf_seconds)

    def run_again(self, i: int) -> None:
        raw_state = self.raw_states[i]
        if raw_state is not None:
            self.again.solve(raw_state)
            self.clock.record(RAW_AGAIN, i, self.again.pf_seconds)

    def run_runpp(self, i: int) -> None:
        self.clock.time(RUNPP, i, lambda: self.runpp(self.states[i]))

    def run(self, *, blocks: bool = False) -> None:
        """Every state by every method, interleaved, the order turning per state
        (``blocks``: each method over all states in turn, in warm caches)."""
        methods = [self.run_plain, self.run_evaluate, self.run_raw, self.run_again, self.run_runpp]
        memos = [model_of(c, cache).memo for c, cache in (self.plain, self.full)]
        n = len(self.states)
        order = (
            [(i, k) for k in range(len(methods)) for i in range(n)]
            if blocks
            else [(i, (i + k) % len(methods)) for i in range(n) for k in range(len(methods))]
        )
        for i, k in order:
            for memo in memos:
                memo.clear()  # no island flow kept from another state
            methods[k](i)


def report(network: str, bench: Bench, order: str) -> None:
    """Print ms per state, the ratios and the agreement of the flows."""
    cpu, wall = bench.clock.cpu, bench.clock.wall
    cpu[PLAIN] = cpu[PLAIN_DC] + cpu[PLAIN_AC]
    wall[PLAIN] = wall[PLAIN_DC] + wall[PLAIN_AC]
    n = len(bench.states)
    raw_ok = np.array([m is not None for m in bench.raw_mva])
    gm_ok = np.array([m is not None for m in bench.gm_mva])
    single = np.array([r is not None for r in bench.raw_states])
    both = single & raw_ok & gm_ok
    print(f"\n{network}  {n} states (k = 1, 2, 3 substations), {order}; ms per state")
    print(f"  {'method':40s} {'all states':>19s}   {'one island, both converged':>26s}")
    print(f"  {'':40s} {'CPU':>9s} {'wall':>9s}   {'CPU':>12s} {'wall':>12s}")
    for label in (PLAIN_DC, PLAIN_AC, PLAIN, EVALUATE, RAW, RAW_PF, RAW_AGAIN, RUNPP):
        every = f"{1e3 * np.nanmean(cpu[label]):9.3f} {1e3 * np.nanmean(wall[label]):9.3f}"
        if label in (RAW, RAW_PF, RAW_AGAIN):
            every = f"{'':9s} {'':9s}"
        sub = f"{1e3 * np.mean(cpu[label][both]):12.3f} {1e3 * np.mean(wall[label][both]):12.3f}"
        print(f"  {label:40s} {every}   {sub}")
    print(
        f"  one energised island with branches and the external grid: {int(single.sum())}/{n};"
        f" of those, converged in gridmodel {int((single & gm_ok).sum())},"
        f" raw lightsim2grid {int((single & raw_ok).sum())}, both {int(both.sum())}"
    )
    diverged = single & ~both
    if diverged.any():
        extra = 1e3 * (np.sum(cpu[PLAIN][diverged]) / np.sum(cpu[RAW][diverged]))
        print(f"  states where either diverged: gridmodel / raw CPU {extra / 1e3:.2f}x")

    def ratio(a: str, b: str, mask: np.ndarray) -> float:
        return float(np.sum(cpu[a][mask]) / np.sum(cpu[b][mask]))

    every = np.ones(n, dtype=bool)
    print(
        "  CPU ratios (one island, both converged): "
        f"gridmodel solve_plain + AC flow / raw lightsim2grid {ratio(PLAIN, RAW, both):.2f}x, "
        f"AC flow alone / raw {ratio(PLAIN_AC, RAW, both):.2f}x, "
        f"AC flow alone / raw ac_pf alone {ratio(PLAIN_AC, RAW_PF, both):.2f}x, "
        f"AC flow alone / ac_pf on an analysed pattern {ratio(PLAIN_AC, RAW_AGAIN, both):.2f}x"
    )
    print(
        "  CPU ratios (all states): "
        f"runpp / gridmodel solve_plain + AC flow {ratio(RUNPP, PLAIN, every):.1f}x, "
        f"runpp / gridmodel evaluate {ratio(RUNPP, EVALUATE, every):.1f}x"
    )
    diffs = [
        float(np.max(np.abs(g - r)[rs.branch_on], initial=0.0))
        for g, r, rs in zip(bench.gm_mva, bench.raw_mva, bench.raw_states, strict=True)
        if g is not None and r is not None and rs is not None
    ]
    if diffs:
        print(
            f"  branch MVA, gridmodel against raw lightsim2grid: largest difference "
            f"{max(diffs):.2e} MVA (median over states {np.median(diffs):.2e})"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--network", action="append", help="repeatable; default case1354pegase and case118"
    )
    parser.add_argument("--states", type=int, default=300, help="states per network")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile", action="store_true", help="profile gridmodel's AC flow (cProfile) instead"
    )
    parser.add_argument(
        "--blocks",
        action="store_true",
        help="each method over all states in turn (warm caches) instead of interleaved",
    )
    parser.add_argument("--sort", default="tottime", help="cProfile sort key with --profile")
    args: Any = parser.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{started}; {machine}; load average {_load()}")
    for network in args.network or ["case1354pegase", "case118"]:
        bench = Bench.build(network, args.states, args.seed)
        if args.profile:
            profile_ac(bench, args.sort)
            continue
        bench.run(blocks=args.blocks)
        report(network, bench, "method by method" if args.blocks else "interleaved")
    print(f"\nload average at the end: {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def profile_ac(bench: Bench, sort: str) -> None:
    """cProfile of gridmodel's AC flow (``ac_branch_mva``) over the states."""
    import cProfile
    import pstats

    compiled, cache = bench.plain
    memo = model_of(compiled, cache).memo
    pairs = []
    for out in bench.states:
        state = compiled.state(out)
        pairs.append((state, solve_plain(compiled, state, compiled.load_p_mw, cache)))
    profiler = cProfile.Profile()
    for state, outcome in pairs:
        memo.clear()
        profiler.enable()
        ac_branch_mva(compiled, state, outcome, cache)
        profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(40)


if __name__ == "__main__":
    main()

"""The DC engine: hand-solved balance cases and properties on random small grids.

Hand cases state their arithmetic in comments (tolerance 1e-9 MW). The
properties run on random pandapower nets (3-12 buses, radial or meshed,
random sources and loads, zero-impedance branches) with random strikes; the
pandapower comparison on real cases is in ``test_engine_reference.py``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmodel.engine import (
    CompiledGrid,
    EngineCache,
    EngineOptions,
    Outcome,
    State,
    compile_grid,
    evaluate,
)
from gridmodel.engine.figures import figures
from gridmodel.engine.islands import topology
from gridmodel.engine.overload import solve_plain
from gridmodel.network.grid import Element, Grid
from gridmodel.network.metadata import build_grid

TOL = 1e-9
VN_KV = 110.0


def grid_of(net: Any, priority: list[int] | None = None) -> Grid:
    grid = build_grid(net, name="random", source="test")
    if priority is None:
        return grid
    loads = pd.DataFrame(
        {"customers": [10] * len(priority), "priority": priority},
        index=pd.Index(grid.net.load.index, name="load"),
    )
    return dataclasses.replace(grid, loads=loads)


def line(net: Any, f: int, t: int, *, x_ohm_per_km: float = 0.4, rating_mw: float = 1e4) -> int:
    return int(
        pp.create_line_from_parameters(
            net, f, t, length_km=1.0, r_ohm_per_km=0.01, x_ohm_per_km=x_ohm_per_km,
            c_nf_per_km=0.0, max_i_ka=rating_mw / (math.sqrt(3) * VN_KV),
        )
    )  # fmt: skip


# --------------------------------------------------------------------------- hand cases


def two_gen_island() -> Any:
    """ext_grid (bus 0) -- line 0 -- bus 1: gen A (10 of 30 MW), gen B (10 of 50 MW),
    load 20 MW critical, load 40 MW households."""
    net = pp.create_empty_network()
    b0, b1 = pp.create_bus(net, vn_kv=VN_KV), pp.create_bus(net, vn_kv=VN_KV)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    pp.create_gen(net, b1, p_mw=10.0, max_p_mw=30.0)
    pp.create_gen(net, b1, p_mw=10.0, max_p_mw=50.0)
    pp.create_load(net, b1, p_mw=20.0)
    pp.create_load(net, b1, p_mw=40.0)
    return net


def test_islanded_generators_share_the_mismatch_by_headroom() -> None:
    # Line 0 struck: bus 1 is an island with 60 MW load and gens at 10 + 10 MW.
    # Capacity 30 + 50 = 80 >= 60, so nothing is shed; the missing 40 MW are
    # shared by headroom 20 : 40, i.e. +13.333 and +26.667 MW.
    compiled = compile_grid(grid_of(two_gen_island(), [1, 4]))
    [outcome] = evaluate(compiled, [compiled.state([Element("line", 0)])])
    gens = compiled.unit_kind == "gen"
    np.testing.assert_allclose(outcome.unit_p_mw[gens], [10 + 40 / 3, 10 + 80 / 3], atol=TOL)
    assert outcome.unserved_mw == pytest.approx(0.0, abs=TOL)
    assert outcome.islands == 2
    assert outcome.energized_islands == 2


def test_island_short_of_generation_sheds_households_first() -> None:
    # Line 0 and gen B struck: only gen A (max 30 MW) feeds 20 MW critical +
    # 40 MW households: critical served in full, households get 30 - 20 = 10 MW.
    compiled = compile_grid(grid_of(two_gen_island(), [1, 4]))
    [outcome] = evaluate(compiled, [compiled.state([Element("line", 0), Element("gen", 1)])])
    np.testing.assert_allclose(outcome.load_served_mw, [20.0, 10.0], atol=TOL)
    assert outcome.shed_mw == pytest.approx(30.0, abs=TOL)
    assert outcome.dark_mw == 0.0


def industry_island() -> Any:
    """ext_grid (bus 0) -- line 0 -- bus 1: gen A (10 of 30 MW), gen B (10 of 40 MW),
    loads 20 MW critical, 40 MW households, 15 MW other industry (class 5)."""
    net = pp.create_empty_network()
    b0, b1 = pp.create_bus(net, vn_kv=VN_KV), pp.create_bus(net, vn_kv=VN_KV)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    pp.create_gen(net, b1, p_mw=10.0, max_p_mw=30.0)
    pp.create_gen(net, b1, p_mw=10.0, max_p_mw=40.0)
    pp.create_load(net, b1, p_mw=20.0)
    pp.create_load(net, b1, p_mw=40.0)
    pp.create_load(net, b1, p_mw=15.0)
    return net


def test_island_short_of_generation_sheds_industry_before_households() -> None:
    # Line 0 struck: gens A + B can give 30 + 40 = 70 MW for 20 + 40 + 15 = 75 MW.
    # The 5 MW short come out of industry alone: critical 20, households 40,
    # industry 15 - 5 = 10 MW served.
    compiled = compile_grid(grid_of(industry_island(), [1, 4, 5]))
    [outcome] = evaluate(compiled, [compiled.state([Element("line", 0)])])
    np.testing.assert_allclose(outcome.load_served_mw, [20.0, 40.0, 10.0], atol=TOL)
    assert outcome.shed_mw == pytest.approx(5.0, abs=TOL)
    served = figures(compiled, outcome).served_by_class_mw
    np.testing.assert_allclose(served, [20.0, 0.0, 0.0, 40.0, 10.0], atol=TOL)


def test_island_shedding_all_industry_then_households() -> None:
    # Line 0 and gen B struck: gen A alone gives 30 MW. Critical 20 MW first,
    # households get the remaining 30 - 20 = 10 MW, industry nothing:
    # shed 15 (industry) + 30 (households) = 45 MW = 75 - 30.
    compiled = compile_grid(grid_of(industry_island(), [1, 4, 5]))
    [outcome] = evaluate(compiled, [compiled.state([Element("line", 0), Element("gen", 1)])])
    np.testing.assert_allclose(outcome.load_served_mw, [20.0, 10.0, 0.0], atol=TOL)
    assert outcome.shed_mw == pytest.approx(45.0, abs=TOL)


def test_critical_load_is_shed_pro_rata_when_even_it_exceeds_supply() -> None:
    # Gen A (30 MW) alone, both loads critical (20 + 40 = 60 MW): each is served
    # in proportion, 30/60 = 50 %: 10 and 20 MW.
    compiled = compile_grid(grid_of(two_gen_island(), [1, 1]))
    [outcome] = evaluate(compiled, [compiled.state([Element("line", 0), Element("gen", 1)])])
    np.testing.assert_allclose(outcome.load_served_mw, [10.0, 20.0], atol=TOL)


def test_island_with_only_static_generation_is_dark() -> None:
    # bus 1 holds a 50 MW sgen and a 5 MW load; cut from the ext_grid it has no
    # grid-forming source: dark, 5 MW unserved although the sgen could cover it.
    net = pp.create_empty_network()
    b0, b1 = pp.create_bus(net, vn_kv=VN_KV), pp.create_bus(net, vn_kv=VN_KV)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    pp.create_sgen(net, b1, p_mw=50.0)
    pp.create_load(net, b1, p_mw=5.0)
    compiled = compile_grid(grid_of(net))
    [intact] = evaluate(compiled, [compiled.base])
    assert intact.unserved_mw == pytest.approx(0.0, abs=TOL)
    [outcome] = evaluate(compiled, [compiled.state([Element("line", 0)])])
    assert outcome.dark_mw == pytest.approx(5.0, abs=TOL)
    assert outcome.unserved_mw == pytest.approx(5.0, abs=TOL)
    assert not outcome.bus_energized[compiled.bus_lookup[1]]
    assert np.all(outcome.unit_p_mw[compiled.unit_kind == "sgen"] == 0.0)


def test_substation_strike_takes_out_its_load_as_unserved() -> None:
    # Striking bus 1's substation: its 60 MW of load stay in the demand, unserved.
    compiled = compile_grid(grid_of(two_gen_island()))
    [outcome] = evaluate(compiled, [compiled.state([Element("substation", "bus1")])])
    assert outcome.load_mw == pytest.approx(60.0, abs=TOL)
    assert outcome.unserved_mw == pytest.approx(60.0, abs=TOL)
    assert outcome.islands == 1


def test_two_step_cascade() -> None:
    # ext_grid at bus 0 feeds a 90 MW load at bus 2 over two parallel paths:
    # line 0 (0-2, x) and the chain line 1 (0-1) + line 2 (1-2), each x: flows
    # split 2/3 : 1/3 = 60 : 30 MW. Line 0 rated 50 MW trips at step 1; the
    # chain then carries 90 MW, above line 2's 80 MW rating: step 2; bus 2 dark.
    net = pp.create_empty_network()
    b = [pp.create_bus(net, vn_kv=VN_KV) for _ in range(3)]
    pp.create_ext_grid(net, b[0])
    line(net, b[0], b[2], rating_mw=50.0)
    line(net, b[0], b[1], rating_mw=1000.0)
    line(net, b[1], b[2], rating_mw=80.0)
    pp.create_load(net, b[2], p_mw=90.0)
    compiled = compile_grid(grid_of(net), options=EngineOptions(ratings="file", overload="trip"))
    [outcome] = evaluate(compiled, [compiled.base])
    assert [(str(t.element), t.step) for t in outcome.tripped] == [("line:0", 1), ("line:2", 2)]
    assert outcome.tripped[0].loading_percent == pytest.approx(120.0, rel=1e-9)
    assert outcome.tripped[1].loading_percent == pytest.approx(90 / 80 * 100, rel=1e-9)
    assert outcome.unserved_mw == pytest.approx(90.0, abs=TOL)


def test_demand_override_scales_served_load() -> None:
    # demand_mw replaces the file's load: half the demand, all served.
    compiled = compile_grid(grid_of(two_gen_island()))
    [outcome] = evaluate(compiled, [compiled.base], demand_mw=compiled.load_p_mw / 2)
    assert outcome.load_mw == pytest.approx(30.0, abs=TOL)
    assert outcome.served_mw == pytest.approx(30.0, abs=TOL)


# --------------------------------------------------------------------------- properties


@st.composite
def random_nets(draw: st.DrawFn) -> Any:
    """A random 3-12 bus net: a random tree (or forest) plus a few meshing lines;
    random ext_grid (0-2), gens, sgens and loads; some zero-impedance lines."""
    n = draw(st.integers(3, 12))
    net = pp.create_empty_network()
    for _ in range(n):
        pp.create_bus(net, vn_kv=VN_KV)
    mw = st.floats(0.0, 100.0, allow_nan=False)
    rating = st.sampled_from([5.0, 20.0, 50.0, 200.0, 1e4])
    reactance = st.sampled_from([0.0, 1e-7, 0.1, 0.4, 2.0])
    # a random tree, or (one net in four) a forest: parts separate in the file
    forest = draw(st.integers(0, 3)) == 0
    for b in range(1, n):
        parent = draw(st.integers(0, b - 1))
        if forest and draw(st.booleans()):
            continue
        line(net, parent, b, x_ohm_per_km=draw(reactance), rating_mw=draw(rating))
    for _ in range(draw(st.integers(0, n // 2))):
        f, t = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if f != t:
            line(net, f, t, x_ohm_per_km=draw(reactance), rating_mw=draw(rating))
    for b in draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)):
        pp.create_ext_grid(net, b)
    for _ in range(draw(st.integers(0, n))):
        cap = draw(mw)
        pp.create_gen(
            net, draw(st.integers(0, n - 1)), p_mw=draw(st.floats(0.0, 1.0)) * cap, max_p_mw=cap
        )
    for _ in range(draw(st.integers(0, 3))):
        pp.create_sgen(net, draw(st.integers(0, n - 1)), p_mw=draw(mw))
    for _ in range(draw(st.integers(1, n))):
        pp.create_load(net, draw(st.integers(0, n - 1)), p_mw=draw(mw))
    return net


@st.composite
def nets_and_strikes(draw: st.DrawFn) -> tuple[Any, list[Element], list[int]]:
    net = draw(random_nets())
    elements = (
        [Element("bus", int(i)) for i in net.bus.index]
        + [Element("line", int(i)) for i in net.line.index]
        + [Element("gen", int(i)) for i in net.gen.index]
        + [Element("ext_grid", int(i)) for i in net.ext_grid.index]
    )
    if draw(st.booleans()) and draw(st.booleans()):
        out = elements  # everything struck
    else:
        out = draw(st.lists(st.sampled_from(elements), max_size=6, unique=True))
    priority = draw(st.lists(st.integers(1, 5), min_size=len(net.load), max_size=len(net.load)))
    return net, out, priority


def _compile(net: Any, priority: list[int], options: EngineOptions) -> CompiledGrid:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_grid(grid_of(net, priority), options=options)


def _finite(outcome: Outcome) -> bool:
    arrays = (
        outcome.load_served_mw,
        outcome.unit_p_mw,
        outcome.branch_flow_mw,
        outcome.branch_loading_percent,
    )
    return all(np.isfinite(a).all() for a in arrays)


def check_invariants(compiled: CompiledGrid, state: State, outcome: Outcome) -> None:
    demand, served = outcome.load_demand_mw, outcome.load_served_mw
    assert _finite(outcome)
    # 0 <= served <= demand per load, so 0 <= unserved <= load
    assert np.all(served >= -TOL)
    assert np.all(served <= demand + 1e-7)
    assert -1e-7 <= outcome.unserved_mw <= outcome.load_mw + 1e-7
    assert outcome.served_mw + outcome.unserved_mw == pytest.approx(outcome.load_mw, abs=1e-7)
    # all load on dark buses (or struck) is unserved
    dark = ~outcome.bus_energized[compiled.load_bus] | ~state.load
    assert np.all(served[dark] == 0.0)
    # served never exceeds the capacity of the energised island it sits in
    topo = topology(compiled, state, outcome.branch_in_service, EngineCache())
    ok = topo.unit_ok
    cap_unit = np.where(compiled.unit_forming, compiled.unit_pmax_mw, compiled.unit_p0_mw)
    for island in np.flatnonzero(topo.energized_island):
        units = ok & (topo.labels[compiled.unit_bus] == island)
        loads = topo.labels[compiled.load_bus] == island
        fixed = compiled.bus_fixed_mw[topo.labels == island].sum()
        assert served[loads].sum() + fixed <= cap_unit[units].sum() + 1e-6
    # the random nets have no shunts: no fixed consumption, and every energised
    # island balances generation and served load exactly (lossless DC)
    assert np.all(compiled.bus_fixed_mw == 0.0)
    for island in np.flatnonzero(topo.energized_island):
        units = ok & (topo.labels[compiled.unit_bus] == island)
        loads = topo.labels[compiled.load_bus] == island
        assert outcome.unit_p_mw[units].sum() == pytest.approx(served[loads].sum(), abs=1e-6)
    # no unit outside its limits or outside an energised island
    assert np.all(outcome.unit_p_mw[~ok] == 0.0)
    assert np.all(outcome.unit_p_mw <= compiled.unit_pmax_mw + 1e-6)


PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(nets_and_strikes())
def test_trip_mode_invariants(case: tuple[Any, list[Element], list[int]]) -> None:
    net, out, priority = case
    compiled = _compile(net, priority, EngineOptions(ratings="file"))
    state = compiled.state(out)
    [outcome] = evaluate(compiled, [state])
    check_invariants(compiled, state, outcome)
    # after the cascade no branch in service is above the hard limit
    assert np.all(outcome.branch_loading_percent[outcome.branch_in_service] <= 100.0 + 1e-6)
    for trip in outcome.tripped:
        assert trip.loading_percent > 100.0


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(nets_and_strikes())
def test_shed_mode_invariants_and_no_overload(
    case: tuple[Any, list[Element], list[int]],
) -> None:
    net, out, priority = case
    compiled = _compile(net, priority, EngineOptions(ratings="file", overload="shed"))
    state = compiled.state(out)
    [outcome] = evaluate(compiled, [state])
    check_invariants(compiled, state, outcome)
    assert np.all(outcome.branch_loading_percent[outcome.branch_in_service] <= 100.0 + 1e-6)
    # the operator sheds instead of tripping, unless no shedding can help
    if outcome.tripped:
        assert any("trips instead" in w for w in outcome.warnings)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(random_nets())
def test_intact_grid_with_enough_capacity_serves_everything(net: Any) -> None:
    # Consistent intact grid: connected, a grid-forming source and, without an
    # ext_grid, enough generator capacity for the whole load.
    compiled0 = _compile(net, [4] * len(net.load), EngineOptions(ratings="file"))
    plain = solve_plain(compiled0, compiled0.base, compiled0.load_p_mw, EngineCache())
    if plain.islands > 1:
        return  # a forest: parts are checked by the invariants above
    has_source = len(net.ext_grid) > 0 or len(net.gen) > 0
    capacity = (
        np.inf
        if len(net.ext_grid)
        else net.gen.get("max_p_mw", pd.Series(dtype=float)).sum() + net.sgen.p_mw.sum()
    )
    load = float(net.load.p_mw.sum())
    compiled = _compile(net, [4] * len(net.load), EngineOptions())
    [outcome] = evaluate(compiled, [compiled.base])
    assert _finite(outcome)
    if has_source and capacity >= load + 1e-6:
        assert outcome.unserved_mw == pytest.approx(0.0, abs=1e-6)
        assert outcome.tripped == ()  # raise-base ratings: the base case never trips
    elif not has_source:
        assert outcome.unserved_mw == pytest.approx(load, abs=1e-6)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(nets_and_strikes())
def test_state_of_no_strike_is_the_base_state(
    case: tuple[Any, list[Element], list[int]],
) -> None:
    # A fully intercepted salvo takes nothing out: the same outcome as the base.
    net, _, priority = case
    compiled = _compile(net, priority, EngineOptions())
    [a] = evaluate(compiled, [compiled.state([])])
    [b] = evaluate(compiled, [compiled.base])
    np.testing.assert_array_equal(a.load_served_mw, b.load_served_mw)
    np.testing.assert_array_equal(a.branch_flow_mw, b.branch_flow_mw)


def test_grid_in_two_parts_from_the_start() -> None:
    # Two separate parts in the file: ext_grid (bus 0) - line - 10 MW load
    # (bus 1), and a 30 MW gen (bus 2) - line - 20 MW load (bus 3). Both are
    # energised and balanced on their own: the gen runs at 20 MW, the lines
    # carry 10 and 20 MW.
    net = pp.create_empty_network()
    b = [pp.create_bus(net, vn_kv=VN_KV) for _ in range(4)]
    pp.create_ext_grid(net, b[0])
    line(net, b[0], b[1])
    pp.create_load(net, b[1], p_mw=10.0)
    pp.create_gen(net, b[2], p_mw=5.0, max_p_mw=30.0)
    line(net, b[2], b[3])
    pp.create_load(net, b[3], p_mw=20.0)
    compiled = compile_grid(grid_of(net))
    [outcome] = evaluate(compiled, [compiled.base])
    assert outcome.islands == 2
    assert outcome.unserved_mw == pytest.approx(0.0, abs=TOL)
    assert outcome.unit_p_mw[compiled.unit_kind == "gen"][0] == pytest.approx(20.0, abs=TOL)
    np.testing.assert_allclose(outcome.branch_flow_mw, [10.0, 20.0], atol=1e-9)


def test_dark_island_whose_reactances_cancel_is_dark_not_a_crash() -> None:
    # ext_grid (bus 0) - line 0 - bus 1; bus 1 - line 1 - bus 2, bus 1 - line 2
    # - bus 3; buses 2 and 3 joined by two lines of +0.4 and -0.4 ohm (a series
    # capacitor cancelling a line). The intact grid is solvable (the ring 1-2-3
    # holds it together). Striking the ext_grid and line 2 leaves one island
    # without a source: by rule 2 it is dark, its 5 MW load is unserved and no
    # branch carries flow. The previous engine (f46e20a, every dark bus
    # grounded) and pandapower (isolated buses out of service) both give that;
    # the dark island's own susceptance block is singular here, which must not
    # matter because its angles are never used (tolerance 1e-9 MW).
    net = pp.create_empty_network()
    b = [pp.create_bus(net, vn_kv=VN_KV) for _ in range(4)]
    pp.create_ext_grid(net, b[0])
    line(net, b[0], b[1])
    line(net, b[1], b[2])
    cut = line(net, b[1], b[3])
    line(net, b[2], b[3], x_ohm_per_km=0.4)
    line(net, b[2], b[3], x_ohm_per_km=-0.4)
    pp.create_load(net, b[3], p_mw=5.0)
    compiled = compile_grid(grid_of(net))
    state = compiled.state([Element("ext_grid", 0), Element("line", cut)])
    [outcome] = evaluate(compiled, [state])
    assert not outcome.bus_energized.any()
    assert outcome.unserved_mw == pytest.approx(5.0, abs=TOL)
    np.testing.assert_allclose(outcome.branch_flow_mw, 0.0, atol=TOL)

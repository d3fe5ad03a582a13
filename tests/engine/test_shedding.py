"""Operator load shedding (``overload="shed"``) on hand-solved cases.

Every expected value below is worked out by hand in the comments (DC model,
lossless lines), and the dispatch the linear program picks is cross-checked
with pandapower's ``rundcpp``. Tolerance 1e-6 MW (the LP is solved by HiGHS
to ~1e-9 relative).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridmodel.engine import EngineOptions, compile_grid, evaluate
from gridmodel.engine.options import PRIORITY_WEIGHT
from gridmodel.network.grid import PRIORITY_CLASSES, Element, Grid
from gridmodel.network.metadata import build_grid

TOL_MW = 1e-6
VN_KV = 110.0


def max_i_ka(rating_mw: float) -> float:
    """Line current limit whose rating ``sqrt(3) * vn_kv * max_i_ka`` is ``rating_mw``."""
    return rating_mw / (math.sqrt(3) * VN_KV)


def grid_with_priorities(net: Any, priority: list[int]) -> Grid:
    """A grid of ``net`` whose loads have the given priority classes (one per load)."""
    grid = build_grid(net, name="hand", source="test")
    loads = pd.DataFrame(
        {"customers": [100] * len(priority), "priority": priority},
        index=pd.Index(grid.net.load.index, name="load"),
    )
    return dataclasses.replace(grid, loads=loads)


def radial_net() -> Any:
    """ext_grid -> line rated 30 MW -> bus 1 with 20 MW critical + 30 MW households."""
    net = pp.create_empty_network()
    b0 = pp.create_bus(net, vn_kv=VN_KV)
    b1 = pp.create_bus(net, vn_kv=VN_KV)
    pp.create_ext_grid(net, b0)
    pp.create_line_from_parameters(
        net, b0, b1, length_km=10, r_ohm_per_km=0.05, x_ohm_per_km=0.4, c_nf_per_km=0,
        max_i_ka=max_i_ka(30.0),
    )  # fmt: skip
    pp.create_load(net, b1, p_mw=20.0, q_mvar=0.0)  # load 0: critical
    pp.create_load(net, b1, p_mw=30.0, q_mvar=0.0)  # load 1: households
    return net


def test_shed_serves_critical_first_within_line_rating() -> None:
    # Hand: 50 MW demand behind a 30 MW line. The LP serves at most 30 MW;
    # weight 1000/MW for critical vs 1/MW for households, so all 20 MW critical
    # and 30 - 20 = 10 MW of households: unserved 50 - 30 = 20 MW, line at 100 %.
    grid = grid_with_priorities(radial_net(), [1, 4])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    [outcome] = evaluate(compiled, [compiled.base])
    np.testing.assert_allclose(outcome.load_served_mw, [20.0, 10.0], atol=TOL_MW)
    assert outcome.unserved_mw == pytest.approx(20.0, abs=TOL_MW)
    assert outcome.dark_mw == 0.0
    assert outcome.shed_mw == pytest.approx(20.0, abs=TOL_MW)
    assert outcome.branch_flow_mw[0] == pytest.approx(30.0, abs=TOL_MW)
    assert outcome.branch_loading_percent[0] == pytest.approx(100.0, abs=1e-5)
    assert outcome.tripped == ()


def test_priorities_decide_who_is_shed() -> None:
    # Same grid with the classes swapped: the 30 MW load is critical, so it is
    # served in full (30 MW = the line rating) and the 20 MW household load is
    # shed entirely.
    grid = grid_with_priorities(radial_net(), [4, 1])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    [outcome] = evaluate(compiled, [compiled.base])
    np.testing.assert_allclose(outcome.load_served_mw, [0.0, 30.0], atol=TOL_MW)


def test_shed_prefers_industry_to_households() -> None:
    # Same radial grid, load 0 (20 MW) households, load 1 (30 MW) other industry.
    # 50 MW behind a 30 MW line: 20 MW must go. Weight 1/MW for households and
    # 0.1/MW for industry, so households are served in full (20 MW) and
    # industry gets the rest of the line, 30 - 20 = 10 MW: 20 MW of industry shed.
    grid = grid_with_priorities(radial_net(), [4, 5])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    [outcome] = evaluate(compiled, [compiled.base])
    np.testing.assert_allclose(outcome.load_served_mw, [20.0, 10.0], atol=TOL_MW)
    assert outcome.shed_mw == pytest.approx(20.0, abs=TOL_MW)
    assert outcome.branch_flow_mw[0] == pytest.approx(30.0, abs=TOL_MW)
    # Swapped: 30 MW households fill the line, all 20 MW of industry are shed.
    grid = grid_with_priorities(radial_net(), [5, 4])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    [outcome] = evaluate(compiled, [compiled.base])
    np.testing.assert_allclose(outcome.load_served_mw, [0.0, 30.0], atol=TOL_MW)


def test_every_priority_class_has_a_weight_ten_times_the_next() -> None:
    assert sorted(PRIORITY_WEIGHT) == sorted(PRIORITY_CLASSES)
    weights = [PRIORITY_WEIGHT[c] for c in sorted(PRIORITY_CLASSES)]
    assert weights == pytest.approx([1000.0, 100.0, 10.0, 1.0, 0.1])


def test_trip_mode_trips_the_line_and_the_bus_goes_dark() -> None:
    # Hand: 50 MW over a 30 MW line is 166.67 % loading > 100 %: protection
    # trips the line at step 1, bus 1 has no source left and all 50 MW are unserved.
    grid = grid_with_priorities(radial_net(), [1, 4])
    compiled = compile_grid(grid, options=EngineOptions(overload="trip", ratings="file"))
    [outcome] = evaluate(compiled, [compiled.base])
    assert [(str(t.element), t.step) for t in outcome.tripped] == [("line:0", 1)]
    assert outcome.tripped[0].loading_percent == pytest.approx(50 / 30 * 100, rel=1e-9)
    assert outcome.unserved_mw == pytest.approx(50.0, abs=TOL_MW)
    assert outcome.dark_mw == pytest.approx(50.0, abs=TOL_MW)
    assert not outcome.bus_energized[compiled.bus_lookup[1]]
    assert outcome.branch_flow_mw[0] == 0.0


def test_raise_base_ratings_keep_the_intact_case_whole() -> None:
    # With the default ratings mode the overloaded line is raised to (at least)
    # its base flow, 50 MW, with a warning, so the intact case serves everything.
    grid = grid_with_priorities(radial_net(), [1, 4])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed"))
    assert compiled.branch_rating_mw[0] >= 50.0 - TOL_MW
    assert any("raised" in w for w in compiled.warnings)
    [outcome] = evaluate(compiled, [compiled.base])
    assert outcome.unserved_mw == pytest.approx(0.0, abs=TOL_MW)


def meshed_net() -> Any:
    """Triangle of equal lines: ext_grid at bus 0, a 100 MW gen (idle) at bus 1,
    80 MW household load at bus 2; line 0-2 rated 50 MW, the others unrated."""
    net = pp.create_empty_network()
    b = [pp.create_bus(net, vn_kv=VN_KV) for _ in range(3)]
    pp.create_ext_grid(net, b[0])
    pp.create_gen(net, b[1], p_mw=0.0, max_p_mw=100.0, min_p_mw=0.0)
    pp.create_load(net, b[2], p_mw=80.0, q_mvar=0.0)
    for f, t, rating in ((0, 1, 1000.0), (1, 2, 1000.0), (0, 2, 50.0)):
        pp.create_line_from_parameters(
            net, b[f], b[t], length_km=10, r_ohm_per_km=0.05, x_ohm_per_km=0.4,
            c_nf_per_km=0, max_i_ka=max_i_ka(rating),
        )  # fmt: skip
    return net


def test_redispatch_avoids_shedding_in_a_meshed_grid() -> None:
    # Hand (equal reactances x): power from bus 0 to bus 2 splits 2/3 on the
    # direct line and 1/3 via bus 1; power from bus 1 to bus 2 puts 1/3 on line
    # 0-2 (1 -> 0 -> 2). With the gen at g MW:
    #     f_02 = (80 - g) * 2/3 + g * 1/3 = 53.33 - g/3.
    # Base (g = 0): 53.33 MW > 50 MW. f_02 <= 50 needs g >= 10; the LP's
    # redispatch cost picks the smallest change, g = 10 MW, and sheds nothing.
    net = meshed_net()
    grid = grid_with_priorities(net, [4])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    [base] = evaluate(
        compile_grid(grid, options=EngineOptions(overload="trip", ratings="file")),
        [compiled.base],
    )
    assert base.tripped[0].loading_percent == pytest.approx(80 * 2 / 3 / 50 * 100, rel=1e-9)

    [outcome] = evaluate(compiled, [compiled.base])
    assert outcome.unserved_mw == pytest.approx(0.0, abs=TOL_MW)
    gen = np.flatnonzero(compiled.unit_kind == "gen")[0]
    ext = np.flatnonzero(compiled.unit_kind == "ext_grid")[0]
    assert outcome.unit_p_mw[gen] == pytest.approx(10.0, abs=TOL_MW)
    assert outcome.unit_p_mw[ext] == pytest.approx(70.0, abs=TOL_MW)
    line02 = int(np.flatnonzero(compiled.branch_index == 2)[0])
    assert outcome.branch_flow_mw[line02] == pytest.approx(50.0, abs=TOL_MW)

    # pandapower with the gen at the LP's dispatch gives the same flows
    check = copy.deepcopy(net)
    check.gen.loc[0, "p_mw"] = outcome.unit_p_mw[gen]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcpp(check)
    np.testing.assert_allclose(
        outcome.branch_flow_mw, check.res_line.p_from_mw.to_numpy(), rtol=0, atol=TOL_MW
    )


def test_meshed_grid_sheds_only_what_redispatch_cannot_cover() -> None:
    # Gen limited to 4 MW: f_02 = 53.33 - g/3 with g = 4 is 52 MW > 50, so load
    # must fall. With load d and g = 4: f_02 = (d - 4) * 2/3 + 4/3 = 50
    # gives d = 77 MW: 3 MW shed, and the gen runs at its 4 MW limit.
    net = meshed_net()
    net.gen.loc[0, "max_p_mw"] = 4.0
    grid = grid_with_priorities(net, [4])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    [outcome] = evaluate(compiled, [compiled.base])
    assert outcome.unserved_mw == pytest.approx(3.0, abs=TOL_MW)
    gen = np.flatnonzero(compiled.unit_kind == "gen")[0]
    assert outcome.unit_p_mw[gen] == pytest.approx(4.0, abs=TOL_MW)
    assert np.all(outcome.branch_loading_percent <= 100.0 + 1e-6)


def test_shed_mode_after_a_strike_keeps_every_branch_within_limit() -> None:
    # Strike line 1-2 in the meshed grid: all 80 MW must cross line 0-2 (rated
    # 50) since bus 1's gen now only reaches bus 2 through bus 0. The LP serves
    # 50 MW: 30 MW shed.
    grid = grid_with_priorities(meshed_net(), [4])
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    [outcome] = evaluate(compiled, [compiled.state([Element("line", 1)])])
    assert outcome.unserved_mw == pytest.approx(30.0, abs=TOL_MW)
    line02 = int(np.flatnonzero(compiled.branch_index == 2)[0])
    assert outcome.branch_flow_mw[line02] == pytest.approx(50.0, abs=TOL_MW)

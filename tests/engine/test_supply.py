"""Supply balance with generation modelled as negative load (hand-built net).

Bus 0 holds the external grid, bus 1 a generator set to 10 MW (not a slack,
output floor 0 MW), bus 2 a load of -50 MW (embedded generation). With the
line 0-1 struck, buses 1 and 2 form an island whose units cannot absorb the
50 MW: the negative load is curtailed by exactly what the generator cannot
take (all of it, since the generator can only come down to 0 MW), so the
island balances at 0 MW with no flow.
"""

from __future__ import annotations

import numpy as np
import pandapower as pp
import pytest

from gridmodel.engine import EngineCache, compile_grid, evaluate
from gridmodel.engine.outcome import check_outcome
from gridmodel.network.grid import Element
from gridmodel.network.metadata import build_grid

TOL_MW = 1e-9


@pytest.fixture(scope="module")
def compiled():  # type: ignore[no-untyped-def]
    net = pp.create_empty_network()
    buses = [pp.create_bus(net, 110) for _ in range(3)]
    pp.create_ext_grid(net, buses[0])
    pp.create_gen(net, buses[1], p_mw=10.0, vm_pu=1.0, max_p_mw=100.0)
    pp.create_load(net, buses[2], p_mw=-50.0)
    for a, b in ((0, 1), (1, 2)):
        pp.create_line_from_parameters(net, buses[a], buses[b], 10, 0.1, 0.4, 10, 1)
    return compile_grid(build_grid(net, name="negative", source="test"))


def test_intact_grid_exports_through_the_external_grid(compiled) -> None:  # type: ignore[no-untyped-def]
    [outcome] = evaluate(compiled, [compiled.state()], cache=EngineCache())
    # served as given; the external grid takes -50 - 10 = -60 MW (by hand)
    assert outcome.load_served_mw[0] == pytest.approx(-50.0, abs=TOL_MW)
    ext_grid = int(np.flatnonzero(compiled.unit_kind == "ext_grid")[0])
    assert outcome.unit_p_mw[ext_grid] == pytest.approx(-60.0, abs=1e-6)


def test_island_surplus_is_curtailed_on_the_negative_load(compiled) -> None:  # type: ignore[no-untyped-def]
    state = compiled.state([Element("line", 0)])
    [outcome] = evaluate(compiled, [state], cache=EngineCache())
    gen = int(np.flatnonzero(compiled.unit_kind == "gen")[0])
    # the generator can only come down to 0 MW: the whole 50 MW is curtailed
    assert outcome.load_served_mw[0] == pytest.approx(0.0, abs=TOL_MW)
    assert outcome.unit_p_mw[gen] == pytest.approx(0.0, abs=TOL_MW)
    np.testing.assert_allclose(outcome.branch_flow_mw, 0.0, atol=1e-6)
    check_outcome(compiled, outcome)  # balanced: no InternalError


def test_state_unit_limits_cap_supply_and_dispatch() -> None:
    """case9 (315 MW of load) with its units limited to 100 + 80 + 60 MW in the
    state: 240 MW are served, every unit at its state limit (hand sum), and the
    shortage is cut pro rata (one priority class): 240 / 315 of each load."""
    import dataclasses

    from gridmodel import load_network

    case9 = compile_grid(load_network("case9"))
    limits = np.array([100.0, 80.0, 60.0])
    state = dataclasses.replace(case9.state(), pmax=limits)
    [outcome] = evaluate(case9, [state], cache=EngineCache())
    assert outcome.served_mw == pytest.approx(240.0, abs=TOL_MW)
    np.testing.assert_allclose(outcome.unit_p_mw, limits, atol=1e-9)
    np.testing.assert_allclose(outcome.load_served_mw, case9.load_p_mw * 240 / 315, rtol=1e-12)
    # the compiled limits are untouched: the base state still serves everything
    [base] = evaluate(case9, [case9.state()], cache=EngineCache())
    assert base.served_mw == pytest.approx(315.0, abs=TOL_MW)

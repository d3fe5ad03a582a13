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

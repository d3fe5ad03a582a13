"""``overload = "operator"``: protection above the emergency rating, the operator below it.

Hand case: an external grid at bus 0 feeds one load at bus 1 over one line
rated 100 MW (file ratings, DC, lossless): the line carries the load.
"""

from __future__ import annotations

import pandapower as pp
import pytest

from gridmodel.engine import EngineCache, EngineOptions, compile_grid, evaluate
from gridmodel.engine.options import EMERGENCY_PERCENT
from gridmodel.network.metadata import build_grid

TOL_MW = 1e-6
RATING_MW, KV = 100.0, 110.0


def one_line(load_mw: float, overload: str):  # type: ignore[no-untyped-def]
    net = pp.create_empty_network()
    b0, b1 = pp.create_bus(net, KV), pp.create_bus(net, KV)
    pp.create_ext_grid(net, b0)
    pp.create_line_from_parameters(net, b0, b1, 10.0, 0.05, 0.4, 10.0, RATING_MW / (3**0.5 * KV))
    pp.create_load(net, b1, load_mw)
    grid = build_grid(net, name="one line", source="test")
    options = EngineOptions(overload=overload, ratings="file")  # type: ignore[arg-type]
    compiled = compile_grid(grid, options=options)
    [outcome] = evaluate(compiled, [compiled.base], cache=EngineCache())
    return outcome


def test_the_emergency_rating_is_the_public_midpoint() -> None:
    # DOMAIN.md: 110-130 % of the normal rating for 15-30 minutes
    assert EMERGENCY_PERCENT == 120.0


def test_between_normal_and_emergency_the_operator_sheds_first() -> None:
    # 110 MW on the 100 MW line (110 %, below 120 %): the operator sheds 10 MW,
    # nothing trips; the plain cascade (stress mode) trips the line and the
    # whole 110 MW is dark.
    acted = one_line(110.0, "operator")
    assert acted.tripped == ()
    assert acted.served_mw == pytest.approx(RATING_MW, abs=TOL_MW)
    assert acted.shed_mw == pytest.approx(10.0, abs=TOL_MW)
    stress = one_line(110.0, "trip")
    assert [str(t.element) for t in stress.tripped] == ["line:0"]
    assert stress.served_mw == pytest.approx(0.0, abs=TOL_MW)
    assert stress.dark_mw == pytest.approx(110.0, abs=TOL_MW)


def test_above_the_emergency_rating_protection_trips_at_once() -> None:
    # 130 MW (130 % > 120 %): the line trips at once, before the operator can
    # act; the load is dark and no warning is needed (protection as set)
    outcome = one_line(130.0, "operator")
    assert [(str(t.element), t.step) for t in outcome.tripped] == [("line:0", 1)]
    assert outcome.tripped[0].loading_percent == pytest.approx(130.0, abs=1e-6)
    assert outcome.dark_mw == pytest.approx(130.0, abs=TOL_MW)
    assert not outcome.warnings
    # the shedding mode, where the operator always has the time, sheds instead
    shed = one_line(130.0, "shed")
    assert shed.tripped == () and shed.served_mw == pytest.approx(RATING_MW, abs=TOL_MW)

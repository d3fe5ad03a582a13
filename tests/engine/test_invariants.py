"""The outcome invariants (``check_outcome``) catch broken outcomes and pass real ones.

Each broken outcome is a real evaluated outcome with one thing doctored
(``dataclasses.replace``) by a stated amount far above the check's tolerance
(1e-6 MW plus 1e-6 relative): served load 10 % above demand, a negative
served load, load served on a dark load, a unit 10 % above its maximum, an
island short of 5 MW, and NaN flows. The check must raise
:class:`~gridmodel.errors.InternalError` naming the broken invariant.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest
from engine_cases import network
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.engine import (
    CompiledGrid,
    EngineCache,
    EngineOptions,
    Outcome,
    compile_grid,
    evaluate,
)
from gridmodel.engine.outcome import check_outcome
from gridmodel.errors import InternalError
from gridmodel.network.grid import Element

#: Two substations whose loss leaves case118 with two energised islands (one fed
#: by generators only) and 67 MW of dark load.
DAMAGE = [Element("substation", "bus99"), Element("substation", "bus93")]


@pytest.fixture(scope="module")
def real() -> tuple[CompiledGrid, Outcome]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = compile_grid(network("case118"), options=EngineOptions())
    [outcome] = evaluate(compiled, [compiled.state(DAMAGE)], cache=EngineCache())
    # the doctoring below needs dark load, served load and two energised islands
    assert outcome.dark_mw > 1.0 and outcome.served_mw > 1.0
    assert outcome.energized_islands == 2
    return compiled, outcome


def served_load(outcome: Outcome) -> int:
    """A load served with more than 10 MW."""
    return int(np.flatnonzero(~outcome.load_dark & (outcome.load_served_mw > 10.0))[0])


def doctored_served(outcome: Outcome, load: int, value: float) -> Outcome:
    served = outcome.load_served_mw.copy()
    served[load] = value
    return dataclasses.replace(outcome, load_served_mw=served)


def test_real_outcomes_pass(real: tuple[CompiledGrid, Outcome]) -> None:
    compiled, outcome = real
    check_outcome(compiled, outcome)  # raises on a violation
    # and outcomes of the other handlings and modes, evaluated for real
    grid = network("case118")
    for options in (
        EngineOptions(overload="shed", ratings="margin:0.3"),
        EngineOptions(ratings="margin:0.3"),
        EngineOptions(mode="ac", ac_backend="pandapower"),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            other = compile_grid(grid, options=options)
        [result] = evaluate(other, [other.state(DAMAGE)])
        check_outcome(other, result)


def test_served_above_demand_by_ten_percent(real: tuple[CompiledGrid, Outcome]) -> None:
    compiled, outcome = real
    load = served_load(outcome)
    broken = doctored_served(outcome, load, 1.1 * outcome.load_demand_mw[load])
    with pytest.raises(InternalError, match="above demand"):
        check_outcome(compiled, broken)


def test_negative_served_load(real: tuple[CompiledGrid, Outcome]) -> None:
    compiled, outcome = real
    broken = doctored_served(outcome, served_load(outcome), -1.0)
    with pytest.raises(InternalError, match="below zero"):
        check_outcome(compiled, broken)


def test_load_served_on_a_dark_load(real: tuple[CompiledGrid, Outcome]) -> None:
    compiled, outcome = real
    dark = np.flatnonzero(outcome.load_dark & (outcome.load_demand_mw > 1.0))[0]
    # 1 MW, within the load's demand: only the darkness is broken
    broken = doctored_served(outcome, int(dark), 1.0)
    with pytest.raises(InternalError, match="dark load"):
        check_outcome(compiled, broken)


def test_unit_above_its_maximum(real: tuple[CompiledGrid, Outcome]) -> None:
    compiled, outcome = real
    on = outcome.bus_energized[compiled.unit_bus]
    unit = int(np.flatnonzero(on & np.isfinite(compiled.unit_pmax_mw))[0])
    unit_p = outcome.unit_p_mw.copy()
    unit_p[unit] = 1.1 * compiled.unit_pmax_mw[unit] + 1.0
    broken = dataclasses.replace(outcome, unit_p_mw=unit_p)
    with pytest.raises(InternalError, match="above its maximum"):
        check_outcome(compiled, broken)


def test_island_whose_supply_does_not_meet_its_load(real: tuple[CompiledGrid, Outcome]) -> None:
    compiled, outcome = real
    load = served_load(outcome)
    # 5 MW less served, still within [0, demand]: only the island balance breaks
    broken = doctored_served(outcome, load, outcome.load_served_mw[load] - 5.0)
    with pytest.raises(InternalError, match="supply does not meet demand"):
        check_outcome(compiled, broken)


def test_nan_flows(real: tuple[CompiledGrid, Outcome]) -> None:
    compiled, outcome = real
    flow = outcome.branch_flow_mw.copy()
    flow[int(np.flatnonzero(outcome.branch_in_service)[0])] = np.nan
    with pytest.raises(InternalError, match="not finite"):
        check_outcome(compiled, dataclasses.replace(outcome, branch_flow_mw=flow))
    served = outcome.load_served_mw.copy()
    served[served_load(outcome)] = np.nan
    with pytest.raises(InternalError, match="not finite"):
        check_outcome(compiled, dataclasses.replace(outcome, load_served_mw=served))


def test_cli_impact_on_a_normal_net_exits_zero() -> None:
    # case9 (MATPOWER): loads of 90 + 100 + 125 = 315 MW, all served in the
    # intact grid, with line 3 out (gen 1's feeder: bus 2 becomes an island of its
    # own, and the ext_grid's 250 MW plus gen 0's 300 MW still cover 315 MW) and
    # with the operator's shedding (nothing overloaded); JSON rounding 1e-6 MW
    runner = CliRunner()
    for args in ([], ["--strike", "line:3"], ["--overload", "shed"]):
        result = runner.invoke(app, ["impact", "case9", "--json", *args])
        assert result.exit_code == 0, result.output
        assert "internal error" not in result.output
        data = json.loads(result.stdout)
        assert data["load_mw"] == pytest.approx(315.0, abs=1e-6)
        assert data["served_mw"] == pytest.approx(315.0, abs=1e-6)

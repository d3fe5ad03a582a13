"""`gridmodel impact`: the JSON contract of DESIGN.md, checked on case9 by hand.

case9 (MATPOWER, 0-based pandapower buses): external grid at bus 0 feeds bus 3
through line 0; generators at buses 1 (250 MW max) and 2 (270 MW max) connect
through lines 6 and 3; the ring 3-4-5-6-7-8-3 carries loads of 90 MW (bus 4),
100 MW (bus 6) and 125 MW (bus 8), 315 MW in all. Default metadata: one
substation per bus, 500 customers per MW.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.network.metadata import CUSTOMERS_PER_MW

runner = CliRunner()

CONTRACT_FIELDS = {
    "load_mw",
    "served_mw",
    "unserved_mw",
    "customers_off",
    "islands",
    "deenergized_buses",
    "tripped_branches",
    "by_region",
    "converged",
}


def impact_json(*args: str) -> dict:
    result = runner.invoke(app, ["impact", "case9", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def substation_of(bus: int) -> str:
    from gridmodel.network.catalog import load_network

    return str(load_network("case9").bus_substation[bus])


def test_intact_grid_serves_everything() -> None:
    data = impact_json()
    assert set(data) >= CONTRACT_FIELDS
    assert data["load_mw"] == pytest.approx(315.0, abs=1e-6)
    assert data["unserved_mw"] == pytest.approx(0.0, abs=1e-6)
    assert data["islands"] == 1
    assert data["deenergized_buses"] == []
    assert data["tripped_branches"] == []
    assert data["converged"] is True


def test_cutting_the_external_grid_line_leaves_generators_serving_all() -> None:
    # Line 0 is the only link of bus 0: bus 0 forms its own (energised, empty)
    # island; the generators (520 MW) carry the 315 MW load.
    data = impact_json("--strike", "line:0")
    assert data["islands"] == 2
    assert data["unserved_mw"] == pytest.approx(0.0, abs=1e-6)
    assert data["deenergized_buses"] == []


def test_struck_load_substations_go_dark() -> None:
    # Buses 4 and 8 out: their 90 + 125 MW are unserved; bus 3 still reaches
    # the external grid, the rest reaches the generators.
    data = impact_json(
        "--strike", f"substation:{substation_of(4)}", "--strike", f"substation:{substation_of(8)}"
    )
    assert data["deenergized_buses"] == [4, 8]
    assert data["unserved_mw"] == pytest.approx(215.0, abs=1e-6)
    assert data["served_mw"] == pytest.approx(100.0, abs=1e-6)
    assert data["customers_off"] == 215 * CUSTOMERS_PER_MW
    region = data["by_region"]
    assert sum(r["unserved_mw"] for r in region) == pytest.approx(215.0, abs=1e-6)


def test_bus_strike_equals_substation_strike_with_default_metadata() -> None:
    by_bus = impact_json("--strike", "bus:6")
    assert by_bus["deenergized_buses"] == [6]
    assert by_bus["unserved_mw"] == pytest.approx(100.0, abs=1e-6)


def test_shed_mode_respects_a_tight_margin() -> None:
    # margin:0.05 rates every branch at 105 % of its base flow; losing line 4
    # (5-6) forces flows onto other paths, so shed mode must cut load rather
    # than overload, and trip mode must trip at least one branch.
    shed = impact_json("--strike", "line:4", "--overload", "shed", "--ratings", "margin:0.05")
    trip = impact_json("--strike", "line:4", "--overload", "trip", "--ratings", "margin:0.05")
    assert shed["tripped_branches"] == []
    assert shed["unserved_mw"] > 0
    assert len(trip["tripped_branches"]) >= 1
    assert all(t["step"] >= 1 for t in trip["tripped_branches"])


def test_ac_mode_reports_convergence() -> None:
    data = impact_json("--mode", "ac")
    assert data["converged"] is True
    assert data["unserved_mw"] == pytest.approx(0.0, abs=1e-6)


def test_table_output_names_the_grid() -> None:
    result = runner.invoke(app, ["impact", "case9", "--strike", "line:0"])
    assert result.exit_code == 0, result.output
    assert "case9" in result.stdout
    assert "unserved" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["impact", "case9", "--mode", "xx"], "mode"),
        (["impact", "case9", "--overload", "melt"], "overload"),
        (["impact", "case9", "--ratings", "margin:-1"], "ratings"),
        (["impact", "case9", "--strike", "line:99"], "line"),
        (["impact", "case9", "--strike", "foo:1"], "foo"),
        (["impact", "case9", "--strike", "substation:NOWHERE"], "substation"),
        (["impact", "cas9"], "case9"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], needle: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.output

"""Numerical edge cases end to end: each gives the defined result of README "Edge cases".

Every case is a hand-built pandapower net written with ``pandapower.to_json``
and passed by path to ``gridmodel impact --json`` (or ``gridmodel run``), so
the whole path from file to JSON is exercised. Expected values follow from the
modelling rules of DESIGN.md by hand (tolerance 1e-6 MW, the JSON rounding).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandapower as pp
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

VN_KV = 110.0
TOL = 1e-6
runner = CliRunner()


def line(net: Any, f: int, t: int, *, x: float = 0.4, r: float = 0.01, km: float = 1.0) -> int:
    """A line of ``km`` km with x, r in ohm/km and a 10 GW rating (never trips)."""
    return int(
        pp.create_line_from_parameters(
            net, f, t, length_km=km, r_ohm_per_km=r, x_ohm_per_km=x, c_nf_per_km=0.0,
            max_i_ka=1e4 / (math.sqrt(3) * VN_KV),
        )
    )  # fmt: skip


def buses(net: Any, n: int) -> list[int]:
    return [int(pp.create_bus(net, vn_kv=VN_KV)) for _ in range(n)]


def impact(tmp_path: Path, net: Any, *args: str) -> dict[str, Any]:
    """``gridmodel impact FILE --json ARGS``; the JSON must hold only finite numbers."""
    path = tmp_path / "net.json"
    pp.to_json(net, str(path))
    result = runner.invoke(app, ["impact", str(path), "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout, parse_constant=_reject)  # NaN/Infinity literals fail
    for key in ("load_mw", "served_mw", "unserved_mw", "dark_mw", "shed_mw"):
        assert math.isfinite(data[key]), key
    # accounting identities hold in every case
    assert data["served_mw"] + data["unserved_mw"] == pytest.approx(data["load_mw"], abs=TOL)
    assert data["dark_mw"] + data["shed_mw"] == pytest.approx(data["unserved_mw"], abs=TOL)
    assert 0 <= data["unserved_mw"] <= data["load_mw"] + TOL
    return data


def _reject(literal: str) -> float:
    raise AssertionError(f"non-finite JSON literal {literal}")


def test_single_bus_islands(tmp_path: Path) -> None:
    # ext_grid at bus 0 -- line 0 -- bus 1 (gen max 20 MW, load 5 MW)
    #                   -- line 1 -- bus 2 (load 3 MW, no source)
    net = pp.create_empty_network()
    b0, b1, b2 = buses(net, 3)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    line(net, b0, b2)
    pp.create_gen(net, b1, p_mw=0.0, max_p_mw=20.0)
    pp.create_load(net, b1, p_mw=5.0)
    pp.create_load(net, b2, p_mw=3.0)
    data = impact(tmp_path, net, "--strike", "line:0", "--strike", "line:1")
    # three single-bus islands: bus 0 (ext_grid, no load) and bus 1 (gen 20 >= 5 MW)
    # energised; bus 2 has no source: dark, its 3 MW unserved
    assert data["islands"] == 3 and data["energized_islands"] == 2
    assert data["deenergized_buses"] == [2]
    assert data["served_mw"] == pytest.approx(5.0, abs=TOL)
    assert data["dark_mw"] == pytest.approx(3.0, abs=TOL)
    assert data["shed_mw"] == pytest.approx(0.0, abs=TOL)


def test_one_bus_network_and_its_only_bus_struck(tmp_path: Path) -> None:
    net = pp.create_empty_network()
    (b0,) = buses(net, 1)
    pp.create_ext_grid(net, b0)
    pp.create_load(net, b0, p_mw=7.0)
    # intact, DC and AC: the ext_grid serves the 7 MW (no branch, nothing to solve)
    for mode in ("dc", "ac"):
        data = impact(tmp_path, net, "--mode", mode)
        assert data["served_mw"] == pytest.approx(7.0, abs=TOL) and data["converged"] is True
    # bus struck: no island left; the 7 MW stay in the demand, all dark
    data = impact(tmp_path, net, "--strike", "bus:0")
    assert data["islands"] == 0 and data["deenergized_buses"] == [0]
    assert data["dark_mw"] == pytest.approx(7.0, abs=TOL)
    assert data["customers_off"] == 3500  # default 500 customers per MW x 7 MW


def test_island_with_only_static_generators_is_dark(tmp_path: Path) -> None:
    # bus 1 holds a 50 MW sgen (solar) and 5 MW load; cut off from the ext_grid it
    # has no grid-forming source: dark, all 5 MW unserved although 50 MW could cover it
    net = pp.create_empty_network()
    b0, b1 = buses(net, 2)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    pp.create_sgen(net, b1, p_mw=50.0, type="solar")
    pp.create_load(net, b1, p_mw=5.0)
    data = impact(tmp_path, net, "--strike", "line:0")
    assert data["deenergized_buses"] == [1]
    assert data["energized_islands"] == 1 and data["islands"] == 2
    assert data["dark_mw"] == pytest.approx(5.0, abs=TOL)
    assert data["served_mw"] == pytest.approx(0.0, abs=TOL)


@pytest.mark.parametrize("mode", ["dc", "ac"])
def test_zero_impedance_line(tmp_path: Path, mode: str) -> None:
    # line 0 has r = x = 0 (a bus coupler modelled as a line); loads 10 + 30 MW.
    # DC: the branch gets MIN_REACTANCE_PU and carries flow, every load served.
    # AC: pandapower's Newton-Raphson cannot use a zero-impedance line; the
    # answer is the DC one with converged = false and a warning, never NaN.
    net = pp.create_empty_network()
    b0, b1, b2 = buses(net, 3)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1, x=0.0, r=0.0)
    line(net, b1, b2)
    line(net, b0, b2)
    pp.create_load(net, b1, p_mw=10.0)
    pp.create_load(net, b2, p_mw=30.0)
    data = impact(tmp_path, net, "--mode", mode)
    assert data["served_mw"] == pytest.approx(40.0, abs=TOL)
    assert data["islands"] == 1 and data["deenergized_buses"] == []
    if mode == "ac" and not data["converged"]:
        assert any("did not converge" in w for w in data["warnings"])


def test_everything_struck(tmp_path: Path) -> None:
    net = pp.create_empty_network()
    b0, b1, b2 = buses(net, 3)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    line(net, b1, b2)
    pp.create_gen(net, b2, p_mw=10.0, max_p_mw=50.0)
    pp.create_load(net, b1, p_mw=20.0)
    pp.create_load(net, b2, p_mw=4.0)
    strikes = [a for b in (b0, b1, b2) for a in ("--strike", f"substation:bus{b}")]
    data = impact(tmp_path, net, *strikes)
    # no bus left: 0 islands, every bus dark, the whole 24 MW unserved, every
    # customer off (500 per MW: 12,000), converged (nothing to solve)
    assert data["islands"] == 0 and data["energized_islands"] == 0
    assert data["deenergized_buses"] == [0, 1, 2]
    assert data["dark_mw"] == pytest.approx(24.0, abs=TOL)
    assert data["customers_off"] == 12_000
    assert data["converged"] is True


def test_non_converging_ac_flow_returns_the_dc_answer(tmp_path: Path) -> None:
    # 500 MW + 200 Mvar through a 10 km line of 4000 ohm reactance at 110 kV:
    # far beyond the line's maximum transfer (V^2/X = 3 MW), so no AC solution exists.
    net = pp.create_empty_network()
    b0, b1 = buses(net, 2)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1, x=400.0, r=100.0, km=10.0)
    pp.create_load(net, b1, p_mw=500.0, q_mvar=200.0)
    dc = impact(tmp_path, net)
    ac = impact(tmp_path, net, "--mode", "ac")
    assert ac["converged"] is False and ac["mode"] == "ac"
    assert "AC power flow did not converge; DC results reported" in ac["warnings"]
    # the DC figures (the ext_grid is unlimited: all 500 MW served)
    for key in ("load_mw", "served_mw", "unserved_mw", "customers_off", "deenergized_buses"):
        assert ac[key] == dc[key], key
    assert dc["served_mw"] == pytest.approx(500.0, abs=TOL)


def test_network_without_load(tmp_path: Path) -> None:
    net = pp.create_empty_network()
    b0, b1 = buses(net, 2)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    pp.create_gen(net, b1, p_mw=10.0, max_p_mw=20.0)
    for args in ((), ("--strike", "line:0"), ("--mode", "ac")):
        data = impact(tmp_path, net, *args)
        # nothing to serve: every MW figure and customers off are exactly 0
        assert data["load_mw"] == data["served_mw"] == data["unserved_mw"] == 0.0
        assert data["customers_off"] == 0 and data["converged"] is True
        assert all(r["load_mw"] == 0.0 for r in data["by_region"])


def test_generator_only_island_with_zero_max_output(tmp_path: Path) -> None:
    # bus 1: a gen with max_p_mw = 0 and 5 MW load, cut off from the ext_grid.
    # The gen is grid-forming, so the island is energised, but its capacity is
    # 0 MW: all 5 MW are shed (shed, not dark; the bus is energised).
    net = pp.create_empty_network()
    b0, b1 = buses(net, 2)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    pp.create_gen(net, b1, p_mw=0.0, max_p_mw=0.0)
    pp.create_load(net, b1, p_mw=5.0)
    data = impact(tmp_path, net, "--strike", "line:0")
    assert data["energized_islands"] == 2 and data["deenergized_buses"] == []
    assert data["shed_mw"] == pytest.approx(5.0, abs=TOL)
    assert data["dark_mw"] == pytest.approx(0.0, abs=TOL)
    assert data["customers_off"] == 2500


@pytest.mark.slow
def test_run_with_every_substation_struck_restores_everything(tmp_path: Path) -> None:
    # a full run on a 3-bus net with all three substations hit at hour 0: the
    # whole 24 MW is dark at first, repairs bring it back within the horizon
    net = pp.create_empty_network()
    b0, b1, b2 = buses(net, 3)
    pp.create_ext_grid(net, b0)
    line(net, b0, b1)
    line(net, b1, b2)
    pp.create_load(net, b1, p_mw=20.0)
    pp.create_load(net, b2, p_mw=4.0)
    pp.to_json(net, str(tmp_path / "net.json"))
    scenario = tmp_path / "all.toml"
    scenario.write_text(
        'network = "net.json"\nseed = 1\n'
        '[[waves]]\ntargets = ["substation:bus0", "substation:bus1", "substation:bus2"]\n'
        # the whole-substation model: each hit is one switchgear task
        "[repair]\ncrews = 3\nhorizon_h = 2000\npartial_damage = false\n"
        '[repair.durations.substation]\ndist = "fixed"\nmedian_h = 10\n'
        "[schedule]\ngroups = 2\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(), parse_constant=_reject)
    # the impact at the strike's hour (00:00 on a winter weekday: 0.80 of the
    # 24 MW peak, gridmodel.restoration.demand.WINTER_WEEKDAY) and at the peak
    assert summary["impact"]["dark_mw"] == pytest.approx(0.80 * 24.0, abs=TOL)
    assert summary["impact_at_peak"]["dark_mw"] == pytest.approx(24.0, abs=TOL)
    assert summary["impact"]["islands"] == 0
    # three crews, three fixed 10 h repairs in parallel: everything back at 10 h
    assert summary["metrics"]["restore_h"]["100"] == pytest.approx(10.0, abs=1.0)
    assert math.isfinite(summary["metrics"]["ens_mwh"]) and summary["metrics"]["ens_mwh"] > 0


@pytest.mark.parametrize("n_buses", [1, 2, 3])
def test_buses_without_branches_or_sources(tmp_path: Path, n_buses: int) -> None:
    # regression (found by tests/test_fuzz.py): isolated buses made the
    # fill-reducing ordering factorise a singular matrix, and a net without
    # units or loads made the bus injections integers (a casting crash).
    # n isolated buses, a 4 MW load on the last one, nothing else: every bus is
    # its own dark island; the 4 MW are unserved.
    net = pp.create_empty_network()
    *_, last = buses(net, n_buses)
    pp.create_load(net, last, p_mw=4.0)
    data = impact(tmp_path, net)
    assert data["islands"] == n_buses and data["energized_islands"] == 0
    assert data["deenergized_buses"] == list(range(n_buses))
    assert data["dark_mw"] == pytest.approx(4.0, abs=TOL)
    # the same with a 3 MW generator on bus 0: bus 0 energised, the load's bus
    # (when it is another island) dark
    pp.create_gen(net, 0, p_mw=1.0, max_p_mw=3.0)
    data = impact(tmp_path, net)
    expected_served = 3.0 if n_buses == 1 else 0.0  # one bus: the gen feeds 3 of 4 MW
    assert data["served_mw"] == pytest.approx(expected_served, abs=TOL)
    assert data["energized_islands"] == 1


def transformer_net(*, vk_percent: float, vkr_percent: float) -> Any:
    """ext_grid at 110 kV -- trafo 0 (40 MVA) -- 10 kV bus with a 1 MW load."""
    net = pp.create_empty_network()
    hv, lv = pp.create_bus(net, vn_kv=110.0), pp.create_bus(net, vn_kv=10.0)
    pp.create_ext_grid(net, hv)
    pp.create_transformer_from_parameters(
        net, hv, lv, sn_mva=40.0, vn_hv_kv=110.0, vn_lv_kv=10.0, vkr_percent=vkr_percent,
        vk_percent=vk_percent, pfe_kw=0.0, i0_percent=0.0,
    )  # fmt: skip
    pp.create_load(net, lv, p_mw=1.0)
    return net


@pytest.mark.parametrize("vk_percent", [0.0, 0.3])
def test_zero_reactance_transformer(tmp_path: Path, vk_percent: float) -> None:
    # regression (found by tests/test_fuzz.py): vk_percent = vkr_percent (no
    # reactance left, zero or purely resistive) made pandapower's DC model divide
    # by zero; like a zero-reactance line it now gets MIN_REACTANCE_PU and the
    # 1 MW load is served
    data = impact(tmp_path, transformer_net(vk_percent=vk_percent, vkr_percent=vk_percent))
    assert data["served_mw"] == pytest.approx(1.0, abs=TOL)


def test_transformer_with_vkr_above_vk_is_a_clear_error(tmp_path: Path) -> None:
    # regression (found by tests/test_fuzz.py): vkr_percent > vk_percent gives a
    # NaN reactance (sqrt of a negative number), which crashed the DC ordering
    path = tmp_path / "net.json"
    pp.to_json(transformer_net(vk_percent=0.0, vkr_percent=0.3), str(path))
    result = runner.invoke(app, ["impact", str(path), "--json"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "trafo.vk_percent" in lines[0] and "trafo 0" in lines[0]
    assert "vk_percent >= vkr_percent" in lines[0]


def test_huge_repair_horizon_is_a_clear_error(tmp_path: Path) -> None:
    # regression (found by tests/test_fuzz.py): horizon_h = 1e300 passed the
    # scenario check and crashed building the hourly times (OverflowError)
    scenario = tmp_path / "far.toml"
    scenario.write_text(
        'network = "case9"\n[[waves]]\ntargets = ["line:0"]\n[repair]\nhorizon_h = 1e300\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "repair.horizon_h" in result.stderr and "87600" in result.stderr
    assert not out.exists()

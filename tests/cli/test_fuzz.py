"""Fuzzing: random small grids, strikes and scenario files through the command line.

Every ``gridmodel impact`` / ``gridmodel run`` either succeeds with the
invariants of STYLE.md holding, or ends with exit code 2 and one clear line on
stderr, never another exit code and never a traceback.

Random grids are pandapower nets of 2-10 buses with random lines,
transformers, generators, static generators, external grids and loads,
including zero and huge impedances and ratings, written with
``pandapower.to_json`` and passed by path. Scenario files are valid TOML
built from random choices, then mutated (keys dropped or renamed, wrong
types, out-of-range numbers, garbage bytes).

The number of examples per test is ``GRIDMODEL_FUZZ_EXAMPLES`` (default: a
few dozen, so the suite stays quick); set it to thousands for a long session::

    GRIDMODEL_FUZZ_EXAMPLES=2000 pytest tests/cli/test_fuzz.py -p no:randomly
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandapower as pp
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from gridmodel.cli import app

EXAMPLES = int(os.environ.get("GRIDMODEL_FUZZ_EXAMPLES", "0"))
TOL = 1e-5  # MW; the JSON rounds MW to 1e-6
runner = CliRunner()


def fuzz_settings(default: int, *, share: float = 1.0) -> settings:
    """``default`` examples, or ``share`` x ``GRIDMODEL_FUZZ_EXAMPLES`` if that is set."""
    return settings(
        max_examples=max(int(EXAMPLES * share), 1) if EXAMPLES else default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=not EXAMPLES,  # the quick default run is the same every time
        print_blob=True,
        # each example is a whole command; shrinking can take many minutes
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )


# ------------------------------------------------------------------ random grids

IMPEDANCE = st.sampled_from([0.0, 1e-9, 0.01, 0.4, 5.0, 1e6])
RATING_KA = st.sampled_from([1e-6, 0.05, 0.5, 5.0, 1e6])
POWER = st.sampled_from([0.0, 0.5, 10.0, 80.0, 400.0, 1e5])


@st.composite
def nets(draw: st.DrawFn) -> Any:
    """A random pandapower net (2-10 buses); any topology, possibly disconnected."""
    net = pp.create_empty_network()
    n = draw(st.integers(2, 10))
    vn = [draw(st.sampled_from([10.0, 110.0, 220.0])) for _ in range(n)]
    for kv in vn:
        pp.create_bus(net, vn_kv=kv)
    pair = st.tuples(st.integers(0, n - 1), st.integers(1, n - 1))
    for f, step in draw(st.lists(pair, max_size=14)):
        t = (f + step) % n  # never f
        if draw(st.booleans()) or vn[f] == vn[t]:
            pp.create_line_from_parameters(
                net, f, t, length_km=draw(st.sampled_from([0.1, 1.0, 50.0])),
                r_ohm_per_km=draw(IMPEDANCE), x_ohm_per_km=draw(IMPEDANCE), c_nf_per_km=0.0,
                max_i_ka=draw(RATING_KA),
            )  # fmt: skip
        else:
            hv, lv = (f, t) if vn[f] >= vn[t] else (t, f)
            vk = draw(st.sampled_from([0.0, 1e-6, 10.0, 90.0]))
            vkr = draw(st.sampled_from([0.0, 0.3]))
            if draw(st.integers(0, 19)):  # mostly valid data: vk_percent >= vkr_percent
                vkr = min(vkr, vk)
            pp.create_transformer_from_parameters(
                net, hv, lv, sn_mva=draw(st.sampled_from([0.001, 40.0, 400.0, 1e5])),
                vn_hv_kv=vn[hv], vn_lv_kv=vn[lv], vkr_percent=vkr, vk_percent=vk, pfe_kw=0.0,
                i0_percent=0.0,
            )  # fmt: skip
    bus = st.integers(0, n - 1)
    for b in draw(st.lists(bus, max_size=2, unique=True)):
        limit = draw(st.one_of(st.none(), POWER))
        kwargs = {} if limit is None else {"max_p_mw": limit, "min_p_mw": 0.0}
        pp.create_ext_grid(net, b, **kwargs)
    for b in draw(st.lists(bus, max_size=4)):
        pmax = draw(POWER)
        p = draw(st.floats(0.0, 1.0, allow_subnormal=False)) * pmax
        pp.create_gen(net, b, p_mw=p, max_p_mw=pmax, min_p_mw=0.0, type="thermal")
    for b in draw(st.lists(bus, max_size=4)):
        pp.create_sgen(net, b, p_mw=draw(POWER), type=draw(st.sampled_from(["solar", "wind"])))
    for b in draw(st.lists(bus, max_size=8)):
        pp.create_load(net, b, p_mw=draw(POWER), q_mvar=draw(st.sampled_from([0.0, 5.0])))
    return net


def strikes(net: Any, *, buses: bool = True) -> st.SearchStrategy[list[str]]:
    """Random ``KIND:ID`` strikes on the net's elements (possibly none, possibly all)."""
    names = [f"substation:bus{b}" for b in net.bus.index]
    names += [f"bus:{b}" for b in net.bus.index] if buses else []
    names += [f"{kind}:{i}" for kind in ("line", "trafo", "gen") for i in net[kind].index]
    return st.lists(st.sampled_from(names), max_size=len(names), unique=True)


def capacity_mw(net: Any, dark: set[int], out: set[str]) -> float:
    """Generation the energised buses can deliver (the modelling rules, README
    "Edge cases"): gen ``max_p_mw``, sgen ``p_mw``, ext_grid ``max_p_mw``
    (unlimited if not set or <= 0); a source's limit is raised to its output in
    pandapower's DC flow of the intact net where that is higher."""
    base = copy.deepcopy(net)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.rundcpp(base)
        dispatch = {"ext_grid": base.res_ext_grid.p_mw, "gen": base.res_gen.p_mw}
    except Exception:  # no DC solution: the set points
        dispatch = {"ext_grid": net.ext_grid.bus * 0.0, "gen": net.gen.p_mw}
    total = 0.0
    for kind in ("ext_grid", "gen", "sgen"):
        for i, row in net[kind].iterrows():
            if int(row.bus) in dark or f"{kind}:{i}" in out:
                continue
            if kind == "sgen":
                total += float(row.p_mw)
                continue
            limit = float(row.get("max_p_mw", math.nan))
            if kind == "ext_grid" and not (limit > 0):
                return math.inf
            p0 = float(dispatch[kind].get(i, 0.0))
            total += max(limit, p0 if math.isfinite(p0) else 0.0)
    return total


# ------------------------------------------------------------------ outcome checks


def assert_clean_exit(result: Result) -> None:
    """Exit 0, or exit 2 with one ``gridmodel: error:`` line; never a traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        detail = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"crash ({type(result.exception).__name__}):\n{detail}")
    assert result.exit_code in (0, 2), (result.exit_code, result.output)
    event(f"exit {result.exit_code}")
    if result.exit_code == 2:
        event(re.sub(r"/\S+/", "", result.stderr.strip())[18:80])  # the error, without paths
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("gridmodel: error: "), lines
        assert len(lines[0]) > len("gridmodel: error: ") + 5


def assert_impact_invariants(impact: dict[str, Any], net: Any, out: list[str]) -> None:
    """STYLE.md invariants on one impact JSON object for ``net`` with ``out`` struck."""
    load = float(net.load.p_mw.sum())
    assert impact["load_mw"] == pytest.approx(load, rel=1e-9, abs=TOL)
    served, unserved = impact["served_mw"], impact["unserved_mw"]
    assert 0.0 <= unserved <= impact["load_mw"] + TOL
    assert served + unserved == pytest.approx(impact["load_mw"], rel=1e-9, abs=TOL)
    dark = set(impact["deenergized_buses"])
    struck_buses = {int(s.rsplit("bus", 1)[1]) for s in out if s.startswith("substation:")}
    struck_buses |= {int(s.split(":")[1]) for s in out if s.startswith("bus:")}
    assert struck_buses <= dark
    # dark buses' load is unserved: the dark MW is exactly the load on dark buses
    dark_load = float(net.load.p_mw[net.load.bus.isin(dark)].sum())
    assert impact["dark_mw"] == pytest.approx(dark_load, rel=1e-9, abs=TOL)
    # served load never exceeds what energised sources can deliver
    assert served <= capacity_mw(net, dark, set(out)) * (1 + 1e-9) + TOL
    assert impact["customers_off"] >= 0
    for row in impact["by_region"]:
        assert 0.0 <= row["unserved_mw"] <= row["load_mw"] + TOL


# ------------------------------------------------------------------ gridmodel impact


OPTIONS = st.tuples(
    st.sampled_from(["dc"] * 5 + ["ac"]),
    st.sampled_from(["trip", "shed"]),
    st.sampled_from(["raise-base", "file", "margin:0.2"]),
    st.sampled_from([100.0, 50.0, 150.0]),
)


@pytest.mark.slow
@fuzz_settings(15)
@given(data=st.data())
def test_impact_on_random_grids(data: st.DataObject) -> None:
    net = data.draw(nets(), label="net")
    out = data.draw(strikes(net), label="strikes")
    mode, overload, ratings, limit = data.draw(OPTIONS, label="options")
    args = [a for s in out for a in ("--strike", s)]
    args += ["--mode", mode, "--overload", overload, "--ratings", ratings, "--limit", str(limit)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.json"
        pp.to_json(net, str(path))
        result = runner.invoke(app, ["impact", str(path), "--json", *args])
    assert_clean_exit(result)
    if result.exit_code == 0:
        impact = json.loads(result.stdout, parse_constant=_reject)
        assert_impact_invariants(impact, net, out)


def _reject(literal: str) -> float:
    raise AssertionError(f"non-finite JSON literal {literal}")


# ------------------------------------------------------------------ scenario files


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if math.isfinite(value) else ("nan" if value != value else "inf")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a basic string with escapes


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A scenario dict as TOML: scalars first, then nested tables, then ``waves``
    as an array of tables."""
    waves = data.get("waves") if prefix == "" else None
    if not (isinstance(waves, list) and waves and all(isinstance(w, dict) for w in waves)):
        waves = []  # absent, or mutated into a plain value: written as one
    lines = [
        f"{k} = {toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict) and not (k == "waves" and waves)
    ]
    text = "\n".join(lines) + "\n" if lines else ""
    for key, table in data.items():
        if isinstance(table, dict):
            text += f"[{prefix}{key}]\n" + to_toml(table, f"{prefix}{key}.")
    for wave in waves:
        text += "[[waves]]\n" + to_toml(wave, "waves.")
    return text


@st.composite
def scenarios(draw: st.DrawFn, net: Any) -> dict[str, Any]:
    """A valid scenario for ``net`` (written as net.json beside the scenario)."""
    targets = draw(strikes(net, buses=False))
    waves = [{"time_h": 0, "targets": targets or [f"substation:bus{net.bus.index[0]}"]}]
    if draw(st.booleans()) and len(net.line):
        waves.append({"time_h": draw(st.sampled_from([3, 3.5, 30])), "targets": ["line:0"]})
    return {
        "title": draw(st.sampled_from(["fuzz", "", "=cmd|' /C calc'!A0", "<b>x</b>"])),
        "network": "net.json",
        "seed": draw(st.integers(0, 2**31)),
        "start": dt.datetime(2023, 1, 16, draw(st.integers(0, 23)), tzinfo=dt.UTC),
        "model": {
            "mode": draw(st.sampled_from(["dc"] * 4 + ["ac"])),
            "overload": draw(st.sampled_from(["trip", "shed"])),
        },
        "waves": waves,
        "repair": {
            "strategy": draw(st.sampled_from(["critical_first", "largest_load_first"])),
            "crews": draw(st.integers(1, 4)),
            "horizon_h": draw(st.sampled_from([24, 240, 2000])),
            "durations": {
                "substation": {"dist": "fixed", "median_h": draw(st.sampled_from([0.5, 10.0]))},
                "line": {"dist": "lognormal", "median_h": 12.0, "min_h": 1.0, "max_h": 48.0},
            },
        },
        "schedule": {
            "groups": draw(st.integers(1, 6)),
            "slot_hours": draw(st.sampled_from([1, 2, 4])),
            "days": draw(st.integers(1, 2)),
        },
    }


def run_in(folder: Path, net: Any, text: str | bytes) -> tuple[Result, Path]:
    pp.to_json(net, str(folder / "net.json"))
    scenario = folder / "scenario.toml"
    if isinstance(text, bytes):
        scenario.write_bytes(text)
    else:
        scenario.write_text(text, encoding="utf-8")
    out = folder / "out"
    return runner.invoke(app, ["run", str(scenario), "--out", str(out)]), out


def assert_run_invariants(out: Path, net: Any) -> None:
    """STYLE.md invariants on a run folder."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"), parse_constant=_reject)
    hits = {h["element"] for h in summary["strikes"]["hits"] if h["wave"] == 0}
    # the impact is taken at the strike hour's demand: one profile factor on every load
    peak = summary["impact_at_peak"]
    assert peak["load_mw"] == pytest.approx(float(net.load.p_mw.sum()), rel=1e-9, abs=TOL)
    at_strike = copy.deepcopy(net)
    if peak["load_mw"] > TOL:
        at_strike.load["p_mw"] = net.load["p_mw"] * (summary["impact"]["load_mw"] / peak["load_mw"])
    assert_impact_invariants(summary["impact"], at_strike, sorted(hits))
    timeline = pd.read_parquet(out / "timeline.parquet")
    # served <= demand every hour, and unserved within [0, demand]
    assert (timeline["served_mw"] <= timeline["demand_mw"] + TOL).all()
    assert (timeline["served_mw"] >= -TOL).all()
    np.testing.assert_allclose(
        timeline["served_mw"] + timeline["unserved_mw"], timeline["demand_mw"], atol=TOL
    )
    # every damaged element becomes exactly one task per part, repaired at most
    # once; a substation hit becomes tasks for the parts it damages (drafts.py)
    tasks = pd.read_csv(out / "tasks.csv", keep_default_na=False)
    # (a later wave's hit on the same element is a new task: repair.py)
    damaged = {(h["wave"], h["element"]) for h in summary["strikes"]["hits"]}
    single = tasks[tasks["part"] != "supply"]
    triples = list(zip(single["wave"], single["element"], single["part"], strict=True))
    assert len(triples) == len(set(triples))
    own = tasks[tasks["part"] != "transformer"]
    pairs = set(zip(own["wave"], own["element"], strict=True))
    assert pairs <= damaged
    assert {(w, e) for w, e in damaged if not e.startswith("substation:")} <= pairs
    done = tasks["done"].astype(bool)
    assert (tasks.loc[done, "end_h"] >= tasks.loc[done, "start_h"]).all()
    # the schedule: every hour with a deficit in a region has someone off
    # (or an emergency outage) in that region's schedule during that hour (a
    # slot may start inside the hour: at a wave's minute)
    schedule = pd.read_csv(out / "schedule.csv")
    assert set(schedule["state"]) <= {"on", "off", "possible", "emergency"}
    start = pd.to_datetime(schedule["start"], utc=True)
    end = pd.to_datetime(schedule["end"], utc=True)
    hours = pd.to_datetime(timeline["time"].astype(str), utc=True)
    cut = schedule["state"].isin(["off", "emergency"])
    for when, region, deficit in zip(
        hours, timeline["region"], timeline["unserved_mw"], strict=True
    ):
        if deficit <= 1e-3 or when < start.min() or when >= end.max():
            continue
        rows = cut & (schedule["region"].astype(str) == str(region))
        rows &= (start < when + pd.Timedelta(hours=1)) & (end > when)
        assert rows.any(), (str(when), region, deficit)


@pytest.mark.slow
@fuzz_settings(6, share=0.25)
@given(data=st.data())
def test_run_on_random_grids_and_scenarios(data: st.DataObject) -> None:
    net = data.draw(nets(), label="net")
    scenario = data.draw(scenarios(net), label="scenario")
    with tempfile.TemporaryDirectory() as tmp:
        result, out = run_in(Path(tmp), net, to_toml(scenario))
        assert_clean_exit(result)
        if result.exit_code == 0:
            assert_run_invariants(out, net)
        else:
            assert not out.exists()  # no half-written output folder


# ------------------------------------------------------------------ mutated scenarios

KEY_PATHS = [
    ("network",), ("seed",), ("start",), ("title",),
    ("model", "mode"), ("model", "overload"), ("model", "ratings"),
    ("model", "overload_limit_percent"),
    ("repair", "crews"), ("repair", "horizon_h"), ("repair", "strategy"),
    ("repair", "durations", "substation", "median_h"),
    ("schedule", "groups"), ("schedule", "slot_hours"), ("schedule", "days"),
    ("waves",),
]  # fmt: skip
BAD_VALUES = st.sampled_from(
    [
        -1, 0, 0.0, -0.5, 1.5, 1e300, -1e300, math.inf, -math.inf, math.nan, 2**63, 10**9,
        "", "x", "1", "dc ", "substation:nope", True, [], [1, "a"], ["line:99999"],
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    ]
)  # fmt: skip


def mutate(data: dict[str, Any], draw: st.DrawFn) -> dict[str, Any] | str | bytes:
    data = json.loads(json.dumps(data, default=str))  # deep copy; datetimes become text
    data["start"] = dt.datetime.fromisoformat(data["start"])
    how = draw(st.sampled_from(["drop", "rename", "value", "wave", "garbage", "truncate"]))
    path = draw(st.sampled_from(KEY_PATHS))
    parent: Any = data
    for key in path[:-1]:
        parent = parent.setdefault(key, {})
    leaf = path[-1]
    if how == "drop":
        parent.pop(leaf, None)
    elif how == "rename":
        parent[leaf + draw(st.sampled_from(["s", "_", "X"]))] = parent.pop(leaf, 1)
    elif how == "value":
        parent[leaf] = draw(BAD_VALUES)
    elif how == "wave":
        wave = data["waves"][0]
        field = draw(st.sampled_from(["time_h", "targets", "severity", "name", "bogus"]))
        wave[field] = draw(BAD_VALUES)
    elif how == "garbage":
        return draw(st.binary(min_size=0, max_size=200))
    else:  # a valid file cut short, or with a random byte changed
        text = to_toml(data).encode()
        cut = draw(st.integers(0, len(text)))
        return text[:cut] + draw(st.binary(max_size=3))
    return data


@pytest.mark.slow
@fuzz_settings(15)
@given(data=st.data())
def test_mutated_scenarios_run_or_exit_2(data: st.DataObject) -> None:
    net = data.draw(nets(), label="net")
    scenario = data.draw(scenarios(net), label="scenario")
    mutated = mutate(scenario, data.draw)
    text = mutated if isinstance(mutated, bytes) else to_toml(mutated)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        result, out = run_in(Path(tmp), net, text)
        assert_clean_exit(result)
        if result.exit_code == 0:
            assert_run_invariants(out, net)
        else:
            assert not out.exists()


# ------------------------------------------------------------------ found by fuzzing


def zero_impedance_transformer_net() -> Any:
    """A grid the fuzzer found (minimised): buses 0-2 (220, 110, 220 kV), an external
    grid at bus 2, a transformer 2-1 with ``vk_percent`` 0 (no impedance) and a line
    2-0 of 100 kOhm resistance; no load. lightsim2grid converged on it with a NaN
    transformer flow, which ``gridmodel impact --mode ac`` reported as an internal
    error (exit 1)."""
    net = pp.create_empty_network()
    for kv in (220.0, 110.0, 220.0):
        pp.create_bus(net, vn_kv=kv)
    pp.create_line_from_parameters(
        net, 2, 0, length_km=0.1, r_ohm_per_km=1e6, x_ohm_per_km=0.01, c_nf_per_km=0.0,
        max_i_ka=0.5,
    )  # fmt: skip
    pp.create_transformer_from_parameters(
        net, 2, 1, sn_mva=1e5, vn_hv_kv=220.0, vn_lv_kv=110.0, vkr_percent=0.0,
        vk_percent=0.0, pfe_kw=0.0, i0_percent=0.0,
    )  # fmt: skip
    pp.create_ext_grid(net, 2, max_p_mw=1e5, min_p_mw=0.0)
    return net


@pytest.mark.parametrize("backend", ["pandapower", "lightsim2grid"])
def test_ac_flow_without_finite_branch_flows_is_not_converged(tmp_path: Path, backend: str) -> None:
    if backend == "lightsim2grid":
        pytest.importorskip("lightsim2grid")
    net = zero_impedance_transformer_net()
    # the independent reference: pandapower's own AC power flow has no answer here
    with pytest.raises(FloatingPointError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(copy.deepcopy(net))
    path = tmp_path / "net.json"
    pp.to_json(net, str(path))
    args = ["impact", str(path), "--json", "--mode", "ac", "--ac-backend", backend]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    impact = json.loads(result.stdout, parse_constant=_reject)
    # no AC flow: the DC answer, marked as not converged (never NaN, never a crash)
    assert impact["converged"] is False
    assert any("did not converge" in w for w in impact["warnings"]), impact["warnings"]
    assert_impact_invariants(impact, net, [])

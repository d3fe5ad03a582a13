"""Partial damage and switching: hand-computed cases on a three-bus triangle.

The grid: an external grid at ``bus0`` and two load substations, ``bus1``
(40 MW, region north) and ``bus2`` (60 MW, region south), joined in a
triangle by lines 0 (bus0-bus1), 1 (bus0-bus2) and 2 (bus1-bus2). Demand is
flat, so every hour is the evening peak. Defaults of ``[repair.switching]``:
isolation 1 h, critical load re-fed at 2 h, the rest at 6 h, half of the lost
load transferable, neighbours loaded up to 130 % of their own peak.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandapower as pp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from restoration_cases import compiled_of, damage_of, fixed_repair

from gridmodel.engine import EngineOptions, compile_grid
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element
from gridmodel.network.metadata import build_grid
from gridmodel.restoration.options import DemandOptions
from gridmodel.restoration.tasks import repair_tasks
from gridmodel.restoration.timeline import simulate

TOL = 1e-6


def triangle(loads: dict[int, list[tuple[float, int]]] | None = None):
    """The triangle; ``loads`` maps bus 1 and 2 to (MW, priority) loads."""
    loads = loads or {1: [(40.0, 4)], 2: [(60.0, 4)]}
    net = pp.create_empty_network()
    b = [pp.create_bus(net, 110.0, zone=z) for z in ("north", "north", "south")]
    pp.create_ext_grid(net, b[0])
    for f, t in ((0, 1), (0, 2), (1, 2)):
        pp.create_line_from_parameters(net, b[f], b[t], 10.0, 0.05, 0.4, 10.0, 2.0)
    priorities = []
    for bus, items in loads.items():
        for mw, priority in items:
            pp.create_load(net, b[bus], mw)
            priorities.append(priority)
    grid = build_grid(net, name="triangle", source="test")
    table = grid.loads.copy()
    table["priority"] = priorities
    return dataclasses.replace(grid, loads=table)


def timeline(grid, severity: float, *, hours: int = 10, **fields):
    # repairs take 100 h, beyond the horizon: only the operators' clock acts
    options = fixed_repair(100.0, crews=1, horizon_h=hours, strategy="as_listed", **fields)
    damage = damage_of([(0, 0.0, Element("substation", "bus2"), severity)])
    tasks = repair_tasks(damage, grid, options=options, rng=np.random.default_rng(0))
    result = simulate(
        compiled_of(grid), damage, tasks, repair=options, demand=DemandOptions(profile="flat")
    )
    return result, tasks


def south(frame, column: str) -> list[float]:
    return frame.loc[frame.region == "south", column].tolist()


def test_partial_damage_leaves_its_known_share_in_service() -> None:
    # Severity 0.5 on bus2: 0.5 x 2 = 1 of its 2 line bays (line 1, the first
    # in table order) and 0.5 x 2 = 1 of its 2 supply transformers.
    # Hour 0 (isolation): the whole substation is out, 60 MW dark. From 1 h
    # it is fed over line 2 and keeps 1 - 1/2 of its supply capacity: 30 MW
    # served, 30 MW network-limited (no switching here).
    grid = triangle()
    switching = {"enabled": False}
    result, tasks = timeline(grid, 0.5, switching=switching)
    assert [(t.part, t.holds) for t in tasks] == [
        ("switchgear", (Element("line", 1),)),
        ("supply", ()),
    ]
    frame = result.frame
    assert south(frame, "served_mw") == pytest.approx([0.0] + [30.0] * 9, abs=TOL)
    assert south(frame, "dark_mw") == pytest.approx([60.0] + [0.0] * 9, abs=TOL)
    assert south(frame, "network_limited_mw") == pytest.approx([0.0] + [30.0] * 9, abs=TOL)
    assert south(frame, "shed_mw") == pytest.approx([0.0] + [30.0] * 9, abs=TOL)
    # the north is untouched: its 40 MW reach it over line 0 all along
    assert frame.loc[frame.region == "north", "served_mw"].tolist() == pytest.approx([40.0] * 10)
    # the categories add up to the unserved load in every row
    parts = frame[["dark_mw", "network_limited_mw", "supply_shortage_mw", "ufls_mw"]].sum(axis=1)
    assert parts.tolist() == pytest.approx(frame["unserved_mw"].tolist(), abs=TOL)


def test_refeed_is_limited_by_the_neighbours_capacity() -> None:
    # As above, with switching. At 6 h half of the lost 30 MW (15 MW) may move
    # to bus1, whose room is 1.3 x 40 - 40 = 12 MW: 12 MW re-fed, 3 MW
    # network-limited for want of room, 15 MW not transferable.
    grid = triangle()
    result, _ = timeline(grid, 0.5)
    frame = result.frame
    served = [0.0] + [30.0] * 5 + [42.0] * 4
    assert south(frame, "served_mw") == pytest.approx(served, abs=TOL)
    assert south(frame, "refed_mw") == pytest.approx([0.0] * 6 + [12.0] * 4, abs=TOL)
    assert south(frame, "network_limited_mw") == pytest.approx(
        [0.0] + [30.0] * 5 + [18.0] * 4, abs=TOL
    )
    # the re-fed load is the south's: the north still gets its own 40 MW
    assert frame.loc[frame.region == "north", "served_mw"].tolist() == pytest.approx([40.0] * 10)


def test_a_destroyed_substation_is_dark_until_switching_re_feeds_part_of_it() -> None:
    # Severity 1: bus2 is out until its switchgear is repaired (100 h). At 6 h
    # 30 MW (half of 60) may move; bus1 has room for 12 MW: 12 MW served,
    # 18 MW network-limited (no room), the other 30 MW dark (no path).
    grid = triangle()
    result, _ = timeline(grid, 1.0)
    frame = result.frame
    assert south(frame, "served_mw") == pytest.approx([0.0] * 6 + [12.0] * 4, abs=TOL)
    assert south(frame, "dark_mw") == pytest.approx([60.0] * 6 + [30.0] * 4, abs=TOL)
    assert south(frame, "network_limited_mw") == pytest.approx([0.0] * 6 + [18.0] * 4, abs=TOL)


def test_critical_load_is_switched_first_and_takes_the_room_first() -> None:
    # bus2 holds 10 MW critical (priority 1) and 50 MW households; destroyed.
    # At 2 h half the critical load (5 MW) moves to bus1 (room 12 MW); at 6 h
    # the households follow into the remaining 7 MW of room.
    grid = triangle({1: [(40.0, 4)], 2: [(10.0, 1), (50.0, 4)]})
    result, _ = timeline(grid, 1.0)
    frame = result.frame
    assert south(frame, "served_mw") == pytest.approx([0.0] * 2 + [5.0] * 4 + [12.0] * 4, abs=TOL)
    assert south(frame, "critical_unserved_mw") == pytest.approx([10.0] * 2 + [5.0] * 8, abs=TOL)


def test_switching_the_partial_model_off_brings_back_the_whole_substation_outage() -> None:
    grid = triangle()
    result, tasks = timeline(grid, 0.5, partial_damage=False)
    assert [(t.part, t.holds) for t in tasks] == [("switchgear", (Element("substation", "bus2"),))]
    assert south(result.frame, "dark_mw") == pytest.approx([60.0] * 10, abs=TOL)


@pytest.fixture(scope="module")
def oblasts():
    grid = load_network("ua-oblasts")
    return grid, {mode: compiled_of(grid, overload=mode) for mode in ("trip", "shed")}


SUBSTATIONS = ("KYIV", "KHARKIV", "ODESA", "BILA_TSERKVA", "LVIV", "DNIPRO")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hits=st.lists(
        st.tuples(
            st.sampled_from(SUBSTATIONS),
            st.sampled_from([0.0, 3.5, 30.0]),
            st.floats(0.05, 1.0),
        ),
        min_size=1,
        max_size=4,
    ),
    crews=st.integers(1, 3),
    mode=st.sampled_from(["trip", "shed"]),
    strategy=st.sampled_from(["critical_first", "customers_per_crew_hour", "greedy_marginal"]),
)
def test_categories_add_up_and_are_never_negative(oblasts, hits, crews, mode, strategy) -> None:
    # partial damage, switching and repairs on the bundled oblast network: every
    # row's categories are >= 0 and add up to the unserved load, re-fed load is
    # part of the served load, and nothing is served above demand (not clamped)
    grid, compiled = oblasts
    damage = damage_of(
        [(0 if t < 10 else 1, t, Element("substation", s), sev) for s, t, sev in hits]
    )
    repair = fixed_repair(20.0, crews=crews, horizon_h=60, strategy=strategy)
    tasks = repair_tasks(damage, grid, options=repair, rng=np.random.default_rng(0))
    frame = simulate(
        compiled[mode], damage, tasks, repair=repair, demand=DemandOptions(profile="winter-weekday")
    ).frame
    tol = 1e-9
    parts = ["dark_mw", "network_limited_mw", "supply_shortage_mw", "ufls_mw"]
    for column in [*parts, "refed_mw", "shed_mw", "unserved_mw"]:
        assert (frame[column] >= -tol).all(), column
    total = frame[parts].sum(axis=1)
    assert np.allclose(total, frame["unserved_mw"], atol=1e-6)
    assert np.allclose(frame["served_mw"] + frame["unserved_mw"], frame["demand_mw"], atol=1e-6)
    assert (frame["refed_mw"] <= frame["served_mw"] + 1e-6).all()
    assert np.allclose(
        frame["shed_mw"], frame["network_limited_mw"] + frame["supply_shortage_mw"], atol=1e-6
    )


def test_the_settled_condition_has_no_isolation_no_trip_and_all_switched() -> None:
    # what strategies rank repairs in: a hit long past (isolation over,
    # switching done) and protection trips back, whatever the time
    from gridmodel.restoration.condition import ALL, Clock
    from gridmodel.restoration.tasks import TripReturn

    grid = triangle()
    options = fixed_repair(100.0)
    damage = damage_of([(0, 0.0, Element("substation", "bus2"), 0.5)])
    tasks = repair_tasks(damage, grid, options=options, rng=np.random.default_rng(0))
    trip = TripReturn(Element("line", 0), 0.0, 24.0)
    clock = Clock(tasks, (trip,), [("bus2", 0.0)], options.switching, options.supply_units)
    now = clock.at(0.5, frozenset())
    assert Element("substation", "bus2") in now.out and Element("line", 0) in now.out
    assert now.lost == (("bus2", 1.0),) and now.switched == ()
    settled = clock.at(0.5, frozenset(), settled=True)
    assert settled.out == frozenset({Element("line", 1)})  # the damaged bay only
    assert settled.lost == (("bus2", 0.5),) and settled.switched == (("bus2", ALL),)


def test_the_engine_limits_the_refeed_to_what_the_network_carries() -> None:
    # bus2 destroyed: bus1 is fed over line 0 alone, rated 46 MW (file ratings,
    # operator sheds overloads). From 6 h bus1 takes 12 MW re-fed for bus2 on
    # top of its own 40 MW: 52 MW on a 46 MW line. The operator sheds 6 MW of
    # bus1's load, which now holds both: each keeps 46/52 of its MW. North:
    # 40 x 46/52; south: 12 x 46/52 served, 30 MW dark (not transferable),
    # 18 MW (no room) + 12 x 6/52 (overload relief) network-limited.
    grid = triangle()
    volts_kv, rating_mw = 110.0, 46.0
    grid.net.line.loc[0, "max_i_ka"] = rating_mw / (np.sqrt(3) * volts_kv)
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    options = fixed_repair(100.0, crews=1, horizon_h=10, strategy="as_listed")
    damage = damage_of([(0, 0.0, Element("substation", "bus2"), 1.0)])
    tasks = repair_tasks(damage, grid, options=options, rng=np.random.default_rng(0))
    frame = simulate(
        compiled, damage, tasks, repair=options, demand=DemandOptions(profile="flat")
    ).frame
    north = frame.loc[frame.region == "north", "served_mw"].tolist()
    assert north == pytest.approx([40.0] * 6 + [40.0 * 46 / 52] * 4, abs=1e-6)
    assert south(frame, "served_mw") == pytest.approx([0.0] * 6 + [12.0 * 46 / 52] * 4, abs=1e-6)
    assert south(frame, "refed_mw") == pytest.approx([0.0] * 6 + [12.0 * 46 / 52] * 4, abs=1e-6)
    assert south(frame, "dark_mw") == pytest.approx([60.0] * 6 + [30.0] * 4, abs=1e-6)
    assert south(frame, "network_limited_mw") == pytest.approx(
        [0.0] * 6 + [18.0 + 12.0 * 6 / 52] * 4, abs=1e-6
    )

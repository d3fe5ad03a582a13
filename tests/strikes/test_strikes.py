"""Strike realisation (gridmodel.strikes): hits, interception, weights, reproducibility."""

from __future__ import annotations

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridmodel.errors import OptionError, ScenarioError
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element, Grid
from gridmodel.scenario import Scenario, parse_scenario
from gridmodel.strikes.damage import Damage, Hit, combine_severity
from gridmodel.strikes.realise import StrikePlan, plan_strikes, realise, realise_plan, rng_for

LOADS_A = {"SA1": 10.0, "SA2": 30.0, "SA3": 60.0}


def small_grid() -> Grid:
    """Two regions. A: substations SA1, SA2, SA3 (one 110 kV bus each, loads 10,
    30 and 60 MW). B: substation SB with a 110 kV bus (20 MW, a nuclear unit)
    and a 220 kV bus (ext_grid, an out-of-service nuclear unit), joined by trafo 0.
    Lines 0-1, 1-2, 2-3, 3-0."""
    net = pp.create_empty_network()
    buses = [pp.create_bus(net, vn_kv=110.0) for _ in range(4)]
    b220 = pp.create_bus(net, vn_kv=220.0)
    for bus, p in zip(buses, [10.0, 30.0, 60.0, 20.0], strict=True):
        pp.create_load(net, bus, p_mw=p)
    for a, b in [(0, 1), (1, 2), (2, 3), (3, 0)]:
        pp.create_line(net, a, b, length_km=10.0, std_type="149-AL1/24-ST1A 110.0")
    pp.create_transformer(net, b220, buses[3], std_type="100 MVA 220/110 kV")
    pp.create_ext_grid(net, b220)
    pp.create_gen(net, buses[3], p_mw=50.0, type="nuclear")
    pp.create_gen(net, b220, p_mw=50.0, type="nuclear", in_service=False)
    substations = pd.DataFrame(
        {
            "name": ["A1", "A2", "A3", "B"],
            "region": ["A", "A", "A", "B"],
            "lat": [0.0, 0.0, 0.0, 0.0],
            "lon": [0.0, 1.0, 2.0, 3.0],
            "vn_kv": [110.0, 110.0, 110.0, 220.0],
        },
        index=pd.Index(["SA1", "SA2", "SA3", "SB"], name="substation"),
    )
    bus_substation = pd.Series(["SA1", "SA2", "SA3", "SB", "SB"], index=[0, 1, 2, 3, 4])
    loads = pd.DataFrame({"customers": [100] * 4, "priority": [4] * 4}, index=net.load.index)
    regions = pd.DataFrame({"groups": [6, 6]}, index=pd.Index(["A", "B"], name="region"))
    return Grid("small", net, substations, bus_substation, loads, regions, "test")


def scenario(waves: str, network: str = "small") -> Scenario:
    return parse_scenario(f'network = "{network}"\n{waves}')


def salvo(missiles: int, interception: float | str, extra: str = "") -> str:
    head = "[[waves]]\n[[waves.salvos]]\n"
    return f"{head}missiles = {missiles}\ninterception = {interception}\n{extra}"


GRID = small_grid()


def realised(s: Scenario, grid: Grid, rng: np.random.Generator) -> Damage:
    """The scenario's waves realised as a run does (trips back after ``[repair] resync_h``)."""
    return realise(s.waves, grid, rng, resync_h=s.repair.resync_h)


def planned(s: Scenario, grid: Grid) -> StrikePlan:
    """The scenario's waves resolved against ``grid`` as a run does."""
    return plan_strikes(s.waves, grid, resync_h=s.repair.resync_h, file=s.file)


@pytest.fixture(scope="module")
def ua() -> Grid:
    return load_network("ua-oblasts")


def test_rng_for_depends_only_on_seed_sample_and_stream() -> None:
    a = rng_for(7, 3).random(5)
    assert np.array_equal(a, rng_for(7, 3).random(5))
    assert not np.array_equal(a, rng_for(7, 4).random(5))
    assert not np.array_equal(a, rng_for(8, 3).random(5))
    assert not np.array_equal(a, rng_for(7, 3, stream=1).random(5))
    with pytest.raises(OptionError, match="sample"):
        rng_for(7, -1)


def test_realise_is_reproducible_for_a_seed_and_sample() -> None:
    s = scenario(salvo(40, 0.5, 'weight = "load"\nseverity = [0.2, 0.9]'))
    first = realised(s, GRID, rng_for(11, 5))
    again = realised(s, GRID, rng_for(11, 5))
    other = realised(s, GRID, rng_for(11, 6))
    assert first == again
    assert first.hits != other.hits
    # a plan reused for many samples gives the same result as realise
    assert realise_plan(planned(s, GRID), rng_for(11, 5)) == first


def test_full_interception_gives_no_hits_but_explicit_targets_still_hit() -> None:
    s = scenario(salvo(50, 1.0).replace("[[waves]]\n", '[[waves]]\ntargets = ["line:2"]\n'))
    damage = realised(s, GRID, rng_for(1, 0))
    assert damage.missiles == 50
    assert damage.intercepted == 50
    assert damage.impacts == 0
    assert [str(h.element) for h in damage.hits] == ["line:2"]


def test_no_interception_gives_one_hit_per_missile() -> None:
    damage = realised(scenario(salvo(37, 0)), GRID, rng_for(1, 0))
    assert damage.intercepted == 0
    assert len(damage.hits) == 37
    assert {h.origin for h in damage.hits} == {"waves[0].salvos[0]"}


def test_substation_hits_stay_in_the_named_region(ua: Grid) -> None:
    s = scenario(salvo(300, 0.2, 'region = "Dnipropetrovsk"'), network="ua-oblasts")
    damage = realised(s, ua, rng_for(3, 0))
    assert damage.hits
    # the network's Dnipropetrovsk substations are Dnipro and Kryvyi Rih
    assert {str(h.element) for h in damage.hits} == {"substation:DNIPRO", "substation:KRYVYI_RIH"}


def test_interception_count_is_binomial_on_average() -> None:
    """76 missiles, p = 60/76: the mean of intercepted over 2000 samples should be
    76 p = 60. One sample's sd is sqrt(76 p (1 - p)) = 3.56, so the sd of the mean
    of 2000 is 0.080; a tolerance of 0.4 is five standard deviations."""
    s = scenario(salvo(76, 60 / 76))
    plan = planned(s, GRID)
    counts = np.array([realise_plan(plan, rng_for(2022, i)).intercepted for i in range(2000)])
    assert abs(counts.mean() - 60.0) < 0.4
    # the spread is binomial too: variance 12.6 (sample variance within 15 %)
    assert counts.var() == pytest.approx(76 * (60 / 76) * (16 / 76), rel=0.15)


def test_load_weights_pick_heavier_substations_more_often() -> None:
    """6000 unintercepted missiles on region A with loads 10, 30, 60 MW: expected
    counts 600, 1800, 3600. Pearson's chi-square with 2 degrees of freedom stays
    below 13.8 (the 0.1 % critical value) for a correct sampler; the uniform
    weight gives about 2000 each, which would score over 2000."""
    s = scenario(salvo(6000, 0, 'region = "A"\nweight = "load"'))
    damage = realised(s, GRID, rng_for(42, 0))
    counts = pd.Series([str(h.element) for h in damage.hits]).value_counts()
    expected = {f"substation:{k}": 6000 * v / 100.0 for k, v in LOADS_A.items()}
    chi2 = sum((counts.get(k, 0) - e) ** 2 / e for k, e in expected.items())
    assert chi2 < 13.8
    assert counts["substation:SA3"] > counts["substation:SA2"] > counts["substation:SA1"]


def test_voltage_weights_follow_nominal_voltage() -> None:
    """Weights 110, 110, 110, 220 kV: SB gets 220/550 = 40 % of 5000 hits = 2000
    (sd 35; tolerance 150, four standard deviations)."""
    damage = realised(scenario(salvo(5000, 0, 'weight = "voltage"')), GRID, rng_for(5, 0))
    sb = sum(h.element == Element("substation", "SB") for h in damage.hits)
    assert abs(sb - 2000) < 150


def test_regional_interception_table() -> None:
    """Region A fully protected, region B not at all: every hit lands in B."""
    s = scenario(salvo(200, "{A = 1.0, default = 0.0}"))
    damage = realised(s, GRID, rng_for(9, 0))
    assert damage.hits
    assert {h.element for h in damage.hits} == {Element("substation", "SB")}
    assert damage.intercepted == damage.missiles - len(damage.hits)


def test_random_picks_are_distinct_and_in_region() -> None:
    pick = '[[waves]]\n[[waves.random]]\ncount = 3\nregion = "A"\n'
    for sample in range(20):
        damage = realised(scenario(pick), GRID, rng_for(1, sample))
        assert sorted(str(h.element.id) for h in damage.hits) == ["SA1", "SA2", "SA3"]
        assert damage.missiles == 0


def test_weighted_random_pick_without_replacement_matches_hand_calculation() -> None:
    """Two of SA1, SA2, SA3 (weights 10, 30, 60) without replacement. P(SA1 chosen)
    = P(first) + P(SA2 first) P(SA1 | SA2 gone) + P(SA3 first) P(SA1 | SA3 gone)
    = 0.1 + 0.3 * 10/70 + 0.6 * 10/40 = 0.2929. Over 4000 samples the sd of the
    frequency is 0.0072; tolerance 0.03."""
    s = scenario('[[waves]]\n[[waves.random]]\ncount = 2\nregion = "A"\nweight = "load"\n')
    plan = planned(s, GRID)
    chosen = [realise_plan(plan, rng_for(77, i)).damaged() for i in range(4000)]
    assert all(len(c) == 2 for c in chosen)
    share = np.mean([Element("substation", "SA1") in c for c in chosen])
    assert abs(share - 0.2929) < 0.03


def test_repeated_hits_add_severity_up_to_one() -> None:
    assert combine_severity([0.4, 0.4]) == pytest.approx(0.8)
    assert combine_severity([0.4, 0.4, 0.4]) == 1.0
    s = scenario('[[waves]]\ntargets = ["substation:SA1", "substation:SA1"]\nseverity = 0.3\n')
    damage = realised(s, GRID, rng_for(0, 0))
    assert len(damage.hits) == 2
    assert damage.damaged(0) == (Element("substation", "SA1"),)
    assert damage.severity(0) == {Element("substation", "SA1"): pytest.approx(0.6)}


def test_severity_range_is_respected() -> None:
    damage = realised(scenario(salvo(500, 0, "severity = [0.25, 0.5]")), GRID, rng_for(4, 0))
    values = np.array([h.severity for h in damage.hits])
    assert values.min() >= 0.25
    assert values.max() <= 0.5
    assert values.std() > 0.05  # drawn, not constant


def test_interception_draws_do_not_shift_target_draws() -> None:
    """Draws are consumed in a fixed order, so with the same generator the hits of a
    half-intercepted salvo are, in order, a subsequence of the unintercepted one's,
    and a later salvo is unaffected by an earlier salvo's interception."""
    later = '[[waves.salvos]]\nmissiles = 20\ninterception = 0\ntarget = "line"\n'
    full = realised(scenario(salvo(60, 0) + later), GRID, rng_for(8, 1))
    half = realised(scenario(salvo(60, 0.5) + later), GRID, rng_for(8, 1))

    def of(d: Damage, origin: str) -> list[Element]:
        return [h.element for h in d.hits if h.origin == origin]

    first_full, first_half = of(full, "waves[0].salvos[0]"), of(half, "waves[0].salvos[0]")
    it = iter(first_full)
    assert all(e in it for e in first_half)
    assert len(first_half) < len(first_full)
    assert of(full, "waves[0].salvos[1]") == of(half, "waves[0].salvos[1]")


def test_trips_are_not_damage_and_skip_out_of_service_units() -> None:
    s = scenario('[[waves]]\ntime_h = 5\n[[waves.trips]]\ngen_types = ["nuclear"]\n')
    damage = realised(s, GRID, rng_for(0, 0))
    assert damage.hits == ()
    assert damage.tripped() == (Element("gen", 0),)  # gen 1 is out of service
    trip = damage.trips[0]
    assert (trip.wave, trip.time_h, trip.resync_h) == (0, 5.0, 24.0)  # repair.resync_h default
    # the default comes from the caller (the scenario's [repair] resync_h)
    later = realise(s.waves, GRID, rng_for(0, 0), resync_h=6.0)
    assert [(t.element, t.resync_h) for t in later.trips] == [(Element("gen", 0), 6.0)]


def test_ukraine_nuclear_trip_of_23_nov(ua: Grid) -> None:
    """Energoatom, 23 Nov 2022: units of Rivne, Khmelnytskyi and South Ukraine
    disconnected; Zaporizhzhia (occupied) is out of service in the network."""
    s = scenario('[[waves]]\n[[waves.trips]]\ngen_types = ["nuclear"]\nresync_h = 12\n', "x")
    damage = realised(s, ua, rng_for(0, 0))
    names = sorted(ua.net.gen.loc[[e.id for e in damage.tripped()], "name"])
    assert names == ["Khmelnytskyi NPP", "Rivne NPP", "South Ukraine NPP"]
    assert {t.resync_h for t in damage.trips} == {12.0}


def test_waves_keep_their_time_and_index() -> None:
    text = salvo(10, 0) + '[[waves]]\ntime_h = 168\ntargets = ["trafo:0"]\n'
    damage = realised(scenario(text), GRID, rng_for(2, 0))
    assert damage.waves() == (0, 1)
    assert damage.damaged(1) == (Element("trafo", 0),)
    assert all(h.time_h == 168.0 for h in damage.hits_in(1))
    frame = damage.to_frame()
    assert list(frame.columns) == [
        "wave",
        "time_h",
        "element",
        "kind",
        "event",
        "severity",
        "resync_h",
        "origin",
    ]
    assert len(frame) == 11


def test_references_are_checked_at_realise_time() -> None:
    with pytest.raises(ScenarioError, match=r"did you mean 'A'") as info:
        realised(scenario(salvo(3, 0, 'region = "a"')), GRID, rng_for(0, 0))
    assert info.value.field == "waves[0].salvos[0].region"
    with pytest.raises(ScenarioError, match="line:9 does not exist") as info:
        realised(scenario('[[waves]]\ntargets = ["line:9"]\n'), GRID, rng_for(0, 0))
    assert info.value.allowed == "line indices 0-3"


def test_zero_load_candidates_are_never_drawn_by_load(ua: Grid) -> None:
    """The Zaporizhzhia region holds the city substation and the (occupied) nuclear
    plant's switchyard, which has no load: load weighting never picks it."""
    s = scenario(salvo(200, 0, 'region = "Zaporizhzhia"\nweight = "load"'), "x")
    damage = realised(s, ua, rng_for(1, 0))
    assert {str(h.element) for h in damage.hits} == {"substation:ZAPORIZHZHIA"}


def test_hit_is_a_frozen_record() -> None:
    hit = Hit(0, 0.0, Element("line", 1), 1.0, "waves[0].targets[0]")
    with pytest.raises(AttributeError):
        hit.severity = 0.5  # type: ignore[misc]

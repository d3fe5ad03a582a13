"""``strikes`` of ``summary.json``: the totals broken down wave by wave, and the peak hour."""

from __future__ import annotations

import pytest

from gridmodel.network.grid import Element
from gridmodel.scenario import parse_scenario
from gridmodel.strikes.damage import Damage, Hit, ProtectionTrip
from gridmodel.studies.context import prepare_scenario
from gridmodel.studies.strike_hour import peak_hour, strike_hour
from gridmodel.studies.strike_summary import strikes_summary

WAVES = """
network = "case9"
seed = 3
start = 2022-11-23T14:00:00+02:00
[[waves]]
carried = true
name = "carried over"
targets = ["gen:0", "gen:1"]
[[waves]]
time_h = 2
name = "about 10 missiles, 5 shot down"
targets = ["substation:bus8"]
[[waves.salvos]]
missiles = 12
interception = 0.5
[[waves.random]]
count = 2
target = "gen"
"""


def hit(wave: int, kind: str, name: str, origin: str) -> Hit:
    return Hit(wave, 0.0 if wave == 0 else 2.0, Element(kind, name), 0.5, origin)


def test_waves_reconcile_the_totals_by_hand() -> None:
    scenario = parse_scenario(WAVES)
    # a hand-made sample: 12 missiles fired, 7 intercepted, 5 got through;
    # plus the named target, 2 random plants and the 2 carried-over plants
    salvo = [hit(1, "substation", f"bus{b}", "waves[1].salvos[0]") for b in (4, 4, 5, 6, 8)]
    damage = Damage(
        hits=(
            hit(0, "gen", "0", "waves[0].targets[0]"),
            hit(0, "gen", "1", "waves[0].targets[1]"),
            hit(1, "substation", "bus8", "waves[1].targets[0]"),
            *salvo,
            hit(1, "gen", "0", "waves[1].random[0]"),
            hit(1, "gen", "1", "waves[1].random[0]"),
        ),
        trips=(ProtectionTrip(1, 2.0, Element("gen", "0"), 24.0),),
        missiles=12,
        intercepted=7,
    )
    strikes = strikes_summary(scenario, damage)
    assert strikes["missiles"] == 12 and strikes["intercepted"] == 7
    assert strikes["random"] is True  # a salvo and a random pick: one draw of many
    carried, fresh = strikes["waves"]
    assert carried == {
        "wave": 0,
        "name": "carried over",
        "note": "",
        "time_h": 0.0,
        "carried": True,
        "missiles": 0,
        "intercepted": 0,
        "hits": 2,
        "hits_by_source": {"salvos": 0, "targets": 2, "random": 0},
        "hits_by_kind": {"gen": 2},
        "trips": 0,
    }
    assert fresh["missiles"] == 12 and fresh["intercepted"] == 7  # 12 - 5 got through
    assert fresh["hits_by_source"] == {"salvos": 5, "targets": 1, "random": 2}
    assert fresh["hits"] == 8 and fresh["hits_by_kind"] == {"gen": 2, "substation": 6}
    assert fresh["trips"] == 1
    # every hit is counted once: 2 carried + 8 in the wave
    assert sum(w["hits"] for w in strikes["waves"]) == len(strikes["hits"]) == 10


def test_a_sample_of_targets_only_is_not_random() -> None:
    scenario = parse_scenario('network = "case9"\n[[waves]]\ntargets = ["substation:bus8"]\n')
    damage = Damage((hit(0, "substation", "bus8", "waves[0].targets[0]"),), (), 0, 0)
    assert strikes_summary(scenario, damage)["random"] is False


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # the winter-weekday profile is highest (1.00) from 17:00 to 19:00
        ("2022-12-16T07:00:00+02:00", "2022-12-16T17:00:00+02:00"),
        # a strike after the evening peak: the next day's
        ("2022-12-16T20:00:00+02:00", "2022-12-17T17:00:00+02:00"),
    ],
)
def test_peak_hour_is_the_next_evening_peak(start: str, expected: str) -> None:
    scenario = parse_scenario(
        f'network = "case9"\nstart = {start}\ntimezone = "Europe/Kyiv"\n'
        '[[waves]]\ntargets = ["substation:bus8"]\n'
    )
    context = prepare_scenario(scenario)
    assert peak_hour(context, strike_hour(context)).isoformat() == expected


def test_a_flat_profile_has_no_peak_hour() -> None:
    scenario = parse_scenario(
        'network = "case9"\n[[waves]]\ntargets = ["substation:bus8"]\n[demand]\nprofile = "flat"\n'
    )
    context = prepare_scenario(scenario)
    assert peak_hour(context, strike_hour(context)) is None

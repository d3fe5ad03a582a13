"""Scenario files (gridmodel.scenario): schema, defaults, and one clear error per problem."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandapower.networks as pn
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandapower import to_json

import gridmodel.engine
import gridmodel.restoration.options
import gridmodel.schedule.options
from gridmodel.errors import ScenarioError
from gridmodel.network.catalog import load_network
from gridmodel.network.metadata import build_grid
from gridmodel.restoration.options import DEFAULT_DURATIONS, Duration
from gridmodel.scenario import (
    SCENARIO_FORMAT,
    Scenario,
    check_scenario,
    load_scenario,
    load_scenario_grid,
    network_source,
    parse_scenario,
    validate_scenario,
)
from gridmodel.scenario.load import scenario_from_dict
from gridmodel.schedule.groups import group_labels, groups_from_grid

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
EXAMPLES = ["ua-2022-11-23.toml", "ua-2022-12-16.toml", "case118-salvo.toml"]
MINIMAL = 'network = "ua-oblasts"\n'


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, *, network: bool = False) -> ScenarioError:
    """The single problem of a scenario text (fails if there is not exactly one)."""
    problems = validate_scenario(write(tmp_path, text), check_network=network)
    assert len(problems) == 1, [p.line() for p in problems]
    return problems[0]


def assert_names(error: ScenarioError, path: Path, field: str, allowed: str) -> None:
    """The one line names the file, the field path and what is allowed."""
    line = error.line()
    assert line.startswith(f"{path}: {field}: "), line
    assert error.field == field
    assert allowed in (error.allowed or ""), line


# ---- the example files ---------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_scenarios_are_valid_against_their_networks(name: str) -> None:
    path = SCENARIOS / name
    assert validate_scenario(path) == []
    scenario = load_scenario(path)
    assert scenario.waves
    assert scenario.file == str(path)


def test_example_figures_match_the_public_reports() -> None:
    """16 Dec 2022: 76 missiles, 60 shot down (Air Force) plus about 15 impacts in the
    Zaporizhzhia region; 23 Nov 2022: about 70, 51 shot down; 5 Dec: about 70, 60."""
    dec16 = load_scenario(SCENARIOS / "ua-2022-12-16.toml")
    wave = dec16.waves[0]
    fired = sum(s.missiles for s in wave.salvos if s.region != "Zaporizhzhia") + len(wave.targets)
    expected_shot = sum(s.missiles * float(s.interception) for s in wave.salvos)  # type: ignore[arg-type]
    assert fired == 76
    assert expected_shot == pytest.approx(60, abs=1)
    assert [s.missiles for s in wave.salvos if s.region == "Zaporizhzhia"] == [15]
    nov23 = load_scenario(SCENARIOS / "ua-2022-11-23.toml")
    waves = [w for w in nov23.waves if not w.carried]
    assert waves[0].missiles == 70
    assert sum(s.missiles * s.interception for s in waves[0].salvos) == pytest.approx(  # type: ignore[operator]
        51, abs=1
    )
    assert waves[1].missiles + len(waves[1].targets) == 70
    assert waves[1].time_h < nov23.repair.horizon_h  # the second wave arrives mid-repair
    assert waves[0].trips[0].gen_types == ("nuclear",)
    # plants reported damaged before 23 Nov (Burshtyn, Ladyzhyn, Kharkiv CHP-5,
    # Prydniprovska) carry their damage into the replay
    carried = [t for w in nov23.waves if w.carried for t in w.targets]
    assert sorted(carried) == ["gen:10", "gen:15", "gen:4", "gen:6"]


# ---- defaults and accepted forms ---------------------------------------------------


def test_defaults_of_a_minimal_file() -> None:
    s = parse_scenario(MINIMAL)
    assert (s.model.mode, s.model.overload, s.model.ratings) == ("dc", "operator", "raise-base")
    assert s.model.emergency_percent == 120.0
    assert s.model.overload_limit_percent == 100.0
    assert s.seed == 0 and s.waves == () and s.timezone == "Europe/Kyiv"
    r = s.repair
    assert (r.strategy, r.crews, r.horizon_h, r.around_the_clock) == (
        "critical_first",
        10,
        336,
        True,
    )
    assert (r.spare_transformers, r.resync_h, r.crews_per_region) == (2, 24.0, None)
    # DOMAIN.md "Repair": autotransformer with a spare 2-3 weeks, without 6-18 months
    assert (r.durations.trafo.min_h, r.durations.trafo.max_h) == (336.0, 504.0)
    assert r.durations.trafo_no_spare.min_h == pytest.approx(6 * 730)
    assert r.durations.for_kind("trafo", spare=False) == r.durations.trafo_no_spare
    assert r.durations.for_kind("bus") == r.durations.substation
    assert (s.demand.profile, s.demand.scale) == ("winter-weekday", 1.0)
    sch = s.schedule
    assert (sch.slot_hours, sch.policy, sch.possible_margin, sch.days) == (
        4,
        "fair_rotation",
        0.1,
        2,
    )
    # no group count: the network's regions.csv decides, 6 groups where it says nothing
    assert sch.groups is None
    made = groups_from_grid(build_grid(pn.case9(), name="case9", source="test"), groups=sch.groups)
    assert made.labels(made.region_names()[0]) == ("1", "2", "3", "4", "5", "6")


def test_sections_are_the_stage_option_classes_with_their_defaults() -> None:
    # one definition per option: the scenario's sections are the stages' own models
    s = parse_scenario(MINIMAL)
    assert type(s.model) is gridmodel.engine.EngineOptions
    assert type(s.repair) is gridmodel.restoration.options.RepairOptions
    assert type(s.demand) is gridmodel.restoration.options.DemandOptions
    assert type(s.schedule) is gridmodel.schedule.options.ScheduleOptions
    assert s.model == gridmodel.engine.EngineOptions()
    assert s.repair == gridmodel.restoration.options.RepairOptions()
    assert s.demand == gridmodel.restoration.options.DemandOptions()
    assert s.schedule == gridmodel.schedule.options.ScheduleOptions()


def test_format_1_loads_and_a_newer_format_is_refused(tmp_path: Path) -> None:
    assert SCENARIO_FORMAT == 1
    current = parse_scenario("format = 1\n" + MINIMAL)
    assert current.format == 1
    assert current == parse_scenario(MINIMAL)  # format 1 is the default
    newer = error_of(tmp_path, "format = 2\n" + MINIMAL)
    assert_names(newer, tmp_path / "s.toml", "format", "1 to 1")
    assert "written for scenario format 2" in newer.message
    assert "newer" in newer.message
    with pytest.raises(ScenarioError, match="written for scenario format 2") as info:
        parse_scenario("format = 2\n" + MINIMAL)
    assert info.value.field == "format"
    # not a whole number: strict like every other field
    assert error_of(tmp_path, 'format = "1"\n' + MINIMAL).field == "format"


def test_start_is_local_time_in_the_scenario_time_zone() -> None:
    naive = parse_scenario(MINIMAL + "start = 2022-12-16T07:00:00\n")
    assert naive.start_time.utcoffset() == timedelta(hours=2)  # Kyiv winter time
    assert naive.start_time.hour == 7
    utc = parse_scenario(MINIMAL + "start = 2022-12-16T05:00:00Z\n")
    assert utc.start_time.hour == 7
    summer = parse_scenario(MINIMAL + "start = 2022-07-01\n")
    assert summer.start_time.utcoffset() == timedelta(hours=3)  # daylight saving


def test_accepted_value_forms() -> None:
    s = parse_scenario(
        MINIMAL
        + """
[model]
ratings = "margin:0.25"
[[waves]]
targets = ["substation:KYIV", "line:3", "trafo:0", "gen:2", "sgen:0", "bus:1"]
[[waves.salvos]]
missiles = 4
interception = {"Kyiv city" = 0.9, default = 0.5}
severity = [0.2, 0.4]
[schedule]
groups = "6x2"
[demand]
profile = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2]
"""
    )
    assert s.model.ratings_margin == 0.25
    assert [str(e) for e in s.waves[0].target_elements][:2] == ["substation:KYIV", "line:3"]
    salvo = s.waves[0].salvos[0]
    assert salvo.interception_for("Kyiv city") == 0.9
    assert salvo.interception_for("Lviv") == 0.5
    assert salvo.severity == (0.2, 0.4)
    assert s.schedule.groups == "6x2"
    labels = group_labels(s.schedule.groups)
    assert len(labels) == 12 and labels[:3] == ("1.1", "1.2", "2.1") and labels[-1] == "6.2"
    assert len(s.demand.profile) == 24


def test_partial_duration_table_overrides_the_default_key_by_key() -> None:
    s = parse_scenario(MINIMAL + "[repair.durations.substation]\nmedian_h = 48\n")
    sub = s.repair.durations.substation
    assert sub.median_h == 48
    assert (sub.dist, sub.min_h, sub.max_h) == ("lognormal", 24.0, 240.0)  # defaults kept
    fixed = parse_scenario(MINIMAL + '[repair.durations.line]\ndist = "fixed"\nmedian_h = 6\n')
    assert fixed.repair.durations.line.draw(np.random.default_rng(0), 3).tolist() == [6.0] * 3


def test_duration_draws_follow_their_distribution() -> None:
    rng = np.random.default_rng(1)
    # lognormal without clipping: the sample median of 20000 draws is within 2 % of 72 h
    logn = Duration(dist="lognormal", median_h=72.0, sigma=0.5)
    assert np.median(logn.draw(rng, 20000)) == pytest.approx(72.0, rel=0.02)
    clipped = Duration(**DEFAULT_DURATIONS["line"]).draw(rng, 5000)
    assert clipped.min() >= 4.0 and clipped.max() <= 96.0
    uniform = Duration(**DEFAULT_DURATIONS["trafo"]).draw(rng, 5000)
    assert uniform.min() >= 336.0 and uniform.max() <= 504.0
    assert uniform.mean() == pytest.approx(420.0, rel=0.01)  # (336 + 504) / 2


def test_scenario_is_frozen() -> None:
    s = parse_scenario(MINIMAL)
    with pytest.raises(ValueError, match="frozen"):
        s.seed = 3  # type: ignore[misc]


def test_network_path_is_relative_to_the_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "nets").mkdir()
    to_json(pn.case9(), str(tmp_path / "nets" / "nine.json"))
    (tmp_path / "scen").mkdir()
    path = write(tmp_path / "scen", 'network = "../nets/nine.json"\n')
    s = load_scenario(path)
    assert Path(network_source(s)).resolve() == (tmp_path / "nets" / "nine.json").resolve()
    assert len(load_scenario_grid(s).net.bus) == 9
    assert s.network == "../nets/nine.json"  # stored as written (no machine paths)


# ---- one error per bad input ----------------------------------------------------------


def test_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    text = 'network = "ua-oblasts"\nseed = 1\n[[waves]\ntime_h = 0\n'
    path = tmp_path / "s.toml"
    error = error_of(tmp_path, text)
    # the header on line 3 lacks its second ']' at column 8
    assert_names(error, path, "line 3, column 8", "TOML syntax")
    assert "TOML syntax error" in error.message


def test_unknown_key_suggests_the_field(tmp_path: Path) -> None:
    text = MINIMAL + "[[waves]]\n[[waves.salvos]]\nmissiles = 3\nintercepton = 0.5\n"
    error = error_of(tmp_path, text)
    assert_names(error, tmp_path / "s.toml", "waves[0].salvos[0].intercepton", "interception")
    assert "did you mean 'interception'" in error.message
    top = error_of(tmp_path, MINIMAL + 'titel = "x"\n')
    assert "did you mean 'title'" in top.message and top.field == "titel"


def test_wrong_type_is_not_coerced(tmp_path: Path) -> None:
    error = error_of(tmp_path, MINIMAL + 'seed = "42"\n')
    assert_names(error, tmp_path / "s.toml", "seed", "a whole number from 0 to")
    assert "'42'" in error.message
    section = error_of(tmp_path, MINIMAL + 'model = "dc"\n')
    assert_names(section, tmp_path / "s.toml", "model", "[model]")


def test_probability_above_one(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + "[[waves]]\n[[waves.salvos]]\nmissiles = 3\n[[waves.salvos]]\nmissiles = 2\n"
        + "interception = 1.5\n"
    )
    error = error_of(tmp_path, text)
    assert_names(error, tmp_path / "s.toml", "waves[0].salvos[1].interception", "from 0 to 1")
    assert "1.5" in error.message
    table = error_of(tmp_path, text.replace("1.5", "{Lviv = 2}"))
    assert "Lviv=2" in table.message


def test_negative_time(tmp_path: Path) -> None:
    error = error_of(tmp_path, MINIMAL + '[[waves]]\ntime_h = -2\ntargets = ["line:1"]\n')
    assert_names(error, tmp_path / "s.toml", "waves[0].time_h", "hours from 0 to 87600")


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("lin:3", "did you mean 'line'"),
        ("line:x", "non-negative integer"),
        ("line:-1", "non-negative integer"),
        ("KYIV", "is not 'kind:id'"),
        ("substation:", "is not 'kind:id'"),
    ],
)
def test_bad_element_strings(tmp_path: Path, target: str, words: str) -> None:
    error = error_of(tmp_path, MINIMAL + f'[[waves]]\ntargets = ["line:1", "{target}"]\n')
    assert_names(error, tmp_path / "s.toml", "waves[0].targets[1]", "substation, bus, line")
    assert words in error.message


def test_unknown_region_is_found_with_the_network(tmp_path: Path) -> None:
    text = MINIMAL + '[[waves]]\n[[waves.salvos]]\nmissiles = 3\nregions = ["Lviv", "Kiev city"]\n'
    error = error_of(tmp_path, text, network=True)
    assert_names(error, tmp_path / "s.toml", "waves[0].salvos[0].regions[1]", "Kyiv city")
    assert "did you mean 'Kyiv city'" in error.message
    # without the network the file itself is fine
    assert validate_scenario(tmp_path / "s.toml", check_network=False) == []


def test_nonexistent_line_index_names_the_valid_range(tmp_path: Path) -> None:
    lines = len(load_network("ua-oblasts").net.line)
    text = MINIMAL + f'[[waves]]\ntargets = ["line:{lines + 500}"]\n'
    error = error_of(tmp_path, text, network=True)
    assert_names(error, tmp_path / "s.toml", "waves[0].targets[0]", f"line indices 0-{lines - 1}")


def test_unknown_substation_suggests_the_id(tmp_path: Path) -> None:
    error = error_of(
        tmp_path, MINIMAL + '[[waves]]\ntargets = ["substation:KYYIV"]\n', network=True
    )
    assert "did you mean 'KYIV'" in error.message and error.field == "waves[0].targets[0]"


def test_network_checks_cover_tables_counts_and_types(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + "[[waves]]\n[[waves.salvos]]\nmissiles = 3\ninterception = {Lviv = 0.5}\n"
        + '[[waves.random]]\ncount = 4\nregion = "Dnipropetrovsk"\n'
        + '[[waves.trips]]\ngen_types = ["nuklear"]\n'
        + '[repair.crews_per_region]\n"Kyiv ciy" = 2\n'
    )
    problems = validate_scenario(write(tmp_path, text))
    fields = {p.field: p for p in problems}
    assert "no entry for" in fields["waves[0].salvos[0].interception"].message
    assert fields["waves[0].random[0].count"].allowed == "a whole number from 1 to 2"
    assert "did you mean 'nuclear'" in fields["waves[0].trips[0].gen_types[0]"].message
    assert "did you mean 'Kyiv city'" in fields['repair.crews_per_region."Kyiv ciy"'].message


def test_unknown_network_is_an_error_on_the_network_field(tmp_path: Path) -> None:
    error = error_of(tmp_path, 'network = "ua-oblast"\n', network=True)
    assert error.field == "network"
    assert "ua-oblasts" in error.line()  # the catalog's suggestion is kept


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"\xff\xfe=", "UTF-8"),
    ],
)
def test_empty_and_binary_files(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "s.toml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=words) as info:
        load_scenario(path)
    assert info.value.file == str(path)
    assert "TOML scenario file" in (info.value.allowed or "")


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.toml")


def test_all_problems_are_collected_and_load_raises_the_first(tmp_path: Path) -> None:
    text = (
        'network = "ua-oblasts"\nseed = -1\ntimezone = "Europe/Kiev2"\n'
        '[model]\nmode = "acc"\nratings = "margin:0"\n'
        '[repair]\ncrews = -1\nhorizon_h = 0\n[schedule]\nslot_hours = 3\ngroups = "6y2"\n'
    )
    path = write(tmp_path, text)
    fields = [p.field for p in validate_scenario(path, check_network=False)]
    assert sorted(fields) == sorted(
        [
            "seed",
            "timezone",
            "model.mode",
            "model.ratings",
            "repair.crews",
            "repair.horizon_h",
            "schedule.slot_hours",
            "schedule.groups",
        ]
    )
    with pytest.raises(ScenarioError, match="and 7 more problems"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "field", "allowed"),
    [
        (
            '[[waves]]\n[[waves.salvos]]\nmissiles = 1\nregion = "Lviv"\nregions = ["Lviv"]\n',
            "waves[0].salvos[0].regions",
            "one of region, regions",
        ),
        (
            '[[waves]]\ntime_h = 5\ntargets = ["line:1"]\n'
            '[[waves]]\ntime_h = 2\ntargets = ["line:1"]\n',
            "waves[1].time_h",
            "time order",
        ),
        ('[[waves]]\nname = "nothing"\n', "waves[0]", "targets"),
        ('[[waves]]\ntargets = ["line:1"]\nseverity = 0\n', "waves[0].severity", "(0, 1]"),
        (
            "[[waves]]\n[[waves.salvos]]\nmissiles = 2\nseverity = [0.5, 0.1]\n",
            "waves[0].salvos[0].severity",
            "[min, max]",
        ),
        (
            "[[waves]]\n[[waves.salvos]]\nmissiles = -1\n",
            "waves[0].salvos[0].missiles",
            "0 to 10000",
        ),
        (
            '[[waves]]\n[[waves.salvos]]\nmissiles = 1\ntarget = "bus"\n',
            "waves[0].salvos[0].target",
            "substation, trafo, gen, line",
        ),
        ("[[waves]]\n[[waves.trips]]\nresync_h = 3\n", "waves[0].trips[0].elements", "gen_types"),
        (
            '[repair.durations.trafo]\ndist = "uniform"\nmin_h = 10\n',
            "repair.durations.trafo.min_h",
            "hours",
        ),
        ("[repair]\nshift_hours = [20, 8]\n", "repair.shift_hours", "start < end"),
        ("[demand]\nprofile = [1, 2]\n", "demand.profile", "24 hourly factors"),
        ("[schedule]\npossible_margin = -0.1\n", "schedule.possible_margin", "from 0 to 1"),
        ('start = "yesterday"\n', "start", "TOML date-time"),
        ("[model]\noverload_limit_percent = nan\n", "model.overload_limit_percent", "> 0"),
        ('[model]\nac_backend = "fast"\n', "model.ac_backend", "auto, pandapower, lightsim2grid"),
    ],
)
def test_more_bad_values(tmp_path: Path, text: str, field: str, allowed: str) -> None:
    error = error_of(tmp_path, MINIMAL + text)
    assert_names(error, tmp_path / "s.toml", field, allowed)


def test_check_scenario_against_a_grid_directly() -> None:
    s = parse_scenario(MINIMAL + '[[waves]]\ntargets = ["gen:999"]\n')
    problems = check_scenario(s, load_network("ua-oblasts"))
    assert [p.field for p in problems] == ["waves[0].targets[0]"]
    assert isinstance(s, Scenario)


# ---- hostile input: every file gives a scenario or ScenarioErrors, nothing else -------

_KEYS = [
    "title", "network", "seed", "start", "model", "mode", "waves", "salvos", "missiles",
    "interception", "region", "regions", "targets", "time_h", "severity", "random", "count",
    "trips", "elements", "repair", "durations", "substation", "dist", "median_h", "schedule",
    "groups", "slot_hours", "demand", "profile", "default", "x y", "",
]  # fmt: skip
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["substation:KYIV", "line:1", "lin:x", "6x2", "margin:0.1", "Europe/Kyiv"]),
    st.datetimes(),
    st.dates(),
    st.times(),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.sampled_from(_KEYS), _DATA, max_size=8))
def test_any_parsed_document_gives_a_scenario_or_scenario_errors(data: dict) -> None:
    scenario, problems = scenario_from_dict({"network": "ua-oblasts", **data}, file="f.toml")
    assert (scenario is None) == bool(problems)
    for problem in problems:
        assert isinstance(problem, ScenarioError)
        assert problem.line().startswith("f.toml")
        assert "\n" not in (problem.field or "")


_EXAMPLE_TEXT = (SCENARIOS / "ua-2022-12-16.toml").read_bytes()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(_EXAMPLE_TEXT)), st.binary(max_size=4)), max_size=4)
)
def test_mutated_example_file_never_crashes(tmp_path_factory: pytest.TempPathFactory, cuts) -> None:  # type: ignore[no-untyped-def]
    text = bytearray(_EXAMPLE_TEXT)
    for at, insert in cuts:
        text[at : at + len(insert)] = insert
    path = tmp_path_factory.mktemp("fuzz") / "s.toml"
    path.write_bytes(bytes(text))
    for problem in validate_scenario(path, check_network=False):
        assert isinstance(problem, ScenarioError)
        assert problem.file == str(path)


def test_generation_table_and_carried_waves_are_read_and_checked(tmp_path: Path) -> None:
    text = MINIMAL + (
        "[[waves]]\ntime_h = 0\ncarried = true\ntargets = ['substation:KYIV']\n"
        "[generation]\nufls_steps = 8\nstart_h = {nuclear = 12}\navailability = {thermal = 0.5}\n"
    )
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.waves[0].carried
    assert scenario.generation.ufls_steps == 8
    assert scenario.generation.start_of("nuclear") == 12.0
    assert scenario.generation.start_of("hydro") == 0.25  # the default for the others
    assert scenario.generation.available("thermal") == 0.5
    late = MINIMAL + "[[waves]]\ntime_h = 5\ncarried = true\ntargets = ['substation:KYIV']\n"
    assert_names(error_of(tmp_path, late), tmp_path / "s.toml", "waves[0].time_h", "time_h = 0")
    share = MINIMAL + "[generation]\navailability = {thermal = 1.5}\n"
    assert_names(
        error_of(tmp_path, share), tmp_path / "s.toml", "generation.availability.thermal", "0 to 1"
    )
    hz = MINIMAL + "[generation]\nufls_last_hz = 49.5\n"
    assert_names(
        error_of(tmp_path, hz), tmp_path / "s.toml", "generation.ufls_last_hz", "at or below"
    )

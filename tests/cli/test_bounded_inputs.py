"""Hostile inputs are refused before they are read or run: one line, exit code 2.

One test per class of input: files that are not regular files (a FIFO, a
device, a folder), files over their size limit, nesting that would exhaust the
parser, numbers out of range in scenario files and on the command line, dates
outside 1970-2200, time zones that are not IANA names, and a schedule too
large to write in reasonable time. Every refusal is one line on stderr with
the limit in it, and no traceback or warning text.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.errors import OptionError, ScenarioError
from gridmodel.scenario.load import parse_scenario
from gridmodel.schedule.slots import zone
from gridmodel.schema import timezone_names

runner = CliRunner()

#: A valid scenario file (parsed only, the network is not loaded by these tests).
BASE = 'network = "case9"\n'
quick = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _refused(args: list[str], *words: str) -> str:
    """Run ``args``: exit 2, one line on stderr holding ``words``, no traceback or warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, args)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gridmodel: error: "), lines
    assert "Traceback" not in result.output and "Warning" not in result.output
    assert not caught, [str(w.message) for w in caught]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)  # no blocks on disk
    return path


# -- files --------------------------------------------------------------------------


def _inputs(tmp_path: Path, target: Path) -> dict[str, tuple[list[str], str]]:
    """Each kind of user file, read from ``target``: (argv, limit in words)."""
    out = str(tmp_path / "out")
    return {
        "scenario": (["run", str(target), "-o", out], "up to 4 MB"),
        "deficit csv": (
            ["schedule", "-o", out, "--deficit", str(target), "--network", "case9"],
            "up to 64 MB",
        ),
        "network": (["impact", str(target)], "up to 256 MB"),
    }


@pytest.mark.parametrize("which", ["scenario", "deficit csv", "network"])
@pytest.mark.parametrize("kind", ["device", "directory", "oversize"])
def test_a_file_that_is_not_a_small_regular_file_is_refused(
    tmp_path: Path, which: str, kind: str
) -> None:
    suffix = {"scenario": ".toml", "deficit csv": ".csv", "network": ".json"}[which]
    target = tmp_path / f"input{suffix}"
    if kind == "oversize":
        _sparse(target, 300 * 1024 * 1024)  # 300 MB: above every limit
    elif kind == "directory":
        target.mkdir()
    args, limit = _inputs(tmp_path, target)[which]
    if kind == "device":
        args = [str(a).replace(str(target), "/dev/zero") for a in args]
    words = {
        "device": "is a character device",
        "directory": "is a directory",
        "oversize": "file is 300 MB, too large",
    }[kind]
    if which == "network" and kind == "device":
        words = "unknown network file type"  # refused by its name before it is opened
    if which == "network" and kind == "directory":
        words = "missing network.json in network folder"  # a folder is a bundled network
    line = _refused(args, words)
    if which != "network" or kind == "oversize":
        assert limit in line
    assert not (tmp_path / "out").exists()


def test_a_fifo_as_scenario_file_ends_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)  # nobody writes: a blocking read would wait forever
    done = subprocess.run(
        [sys.executable, "-m", "gridmodel", "scenario", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=120,  # the command starts in seconds; a hang never ends
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "is a named pipe (FIFO), not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_brackets_nested_thousands_deep_are_one_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text(BASE + "a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(deep), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "brackets nested more than 64 deep" in result.stderr
    assert "Traceback" not in result.output and "RecursionError" not in result.output


# -- numbers, dates and time zones in scenario files ------------------------------------

#: (TOML table, key, whole number?, smallest, largest, how the field is named).
FIELDS: list[tuple[str, str, bool, float, float, str]] = [
    ("repair", "crews", True, 0, 10_000, "repair.crews"),
    ("repair", "spare_transformers", True, 0, 10_000, "repair.spare_transformers"),
    ("repair", "resync_h", False, 0.0, 87_600.0, "repair.resync_h"),
    ("demand", "scale", False, 0.0, 10.0, "demand.scale"),
    ("model", "overload_limit_percent", False, 0.0, 10_000.0, "model.overload_limit_percent"),
    ("schedule", "days", True, 1, 366, "schedule.days"),
    ("schedule", "min_on_h", False, 0.0, 8784.0, "schedule.min_on_h"),
]


def _toml_number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


@st.composite
def _out_of_range(draw: st.DrawFn) -> tuple[str, str]:
    table, key, whole, low, high, field = draw(st.sampled_from(FIELDS))
    if whole:
        lowest, highest = int(low), int(high)
        count = draw(st.one_of(st.integers(highest + 1, 2**62), st.integers(-(2**62), lowest - 1)))
        text = str(count)
    else:
        value: float = draw(
            st.one_of(
                st.floats(min_value=high, exclude_min=True),  # up to 1e308 and inf
                st.floats(max_value=low, exclude_max=key == "min_on_h"),  # min_on_h >= 0
                st.just(math.nan),
            )
        )
        if key == "min_on_h" and value == 0.0:  # -0.0 equals 0.0, which is allowed
            value = -1.0
        text = _toml_number(value)
    return f"{BASE}[{table}]\n{key} = {text}\n", field


@given(case=_out_of_range())
@quick
def test_a_scenario_number_out_of_range_is_one_error_naming_field_and_range(
    case: tuple[str, str],
) -> None:
    text, field = case
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, file="s.toml")
    assert info.value.field == field
    assert info.value.allowed  # the range, in words
    assert "\n" not in info.value.line()


@given(day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
@quick
def test_scenario_start_outside_1970_to_2200_is_refused(day: date) -> None:
    text = f"{BASE}start = {day.isoformat()}T18:00:00+02:00\n"
    if 1970 <= day.year <= 2200:
        assert parse_scenario(text).start.date() == day
        return
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, file="s.toml")
    assert info.value.field == "start"
    assert "from 1970-01-01 to 2200-12-31" in (info.value.allowed or "")


_NAMES = sorted(timezone_names())
_not_zones = st.one_of(
    st.sampled_from(["Europe", "America", "Etc", "posix", "right", "Europe/", "/etc/passwd"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300),
).filter(lambda name: name not in timezone_names())


@given(name=_not_zones)
@quick
def test_a_time_zone_that_is_not_an_iana_name_is_one_error(name: str) -> None:
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    with pytest.raises(ScenarioError) as info:
        parse_scenario(f"{BASE}timezone = {quoted}\n", file="s.toml")
    assert info.value.field == "timezone"
    assert len(info.value.line()) < 400
    with pytest.raises(OptionError, match="unknown time zone"):
        zone(name)


@given(name=st.sampled_from(_NAMES))
@quick
def test_every_iana_time_zone_is_accepted(name: str) -> None:
    assert parse_scenario(f'{BASE}timezone = "{name}"\n').timezone == name
    assert zone(name).key == name


# -- numbers on the command line ---------------------------------------------------------


@given(samples=st.integers(1_000_001, 10**15))
@quick
def test_montecarlo_samples_above_a_million_are_refused_before_any_work(
    tmp_path_factory: pytest.TempPathFactory, samples: int
) -> None:
    folder = tmp_path_factory.mktemp("mc")
    scenario = folder / "s.toml"
    scenario.write_text(BASE, encoding="utf-8")
    _refused(
        ["montecarlo", str(scenario), "-n", str(samples), "-o", str(folder / "out")],
        "samples:",
        "from 1 to 1,000,000",
    )
    assert not (folder / "out").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["criticality", "case9", "--workers", "1000000"], ("workers:", "from 1 to")),
        (["criticality", "case9", "--top", "10000000"], ("top:", "from 1 to 10,000")),
        (["criticality", "case9", "--max-pairs", "10000000"], ("max_pairs:", "5,000,000")),
        (["criticality", "case9", "--max-pairs", "\uff14"], ("max_pairs:", "or all")),
        (["criticality", "case9", "--chunk-size", "0"], ("chunk_size:", "1,000,000")),
        (["criticality", "case9", "--scheduler", "tcp://[::1"], ("--scheduler",)),
        (["impact", "case9", "--ratings", "margin:1e308"], ("ratings", "0 < X <= 100")),
        (["compare", "{s}", "-n", "1000000"], ("samples:", "from 1 to 10,000")),
        (["montecarlo", "{s}", "-n", "2", "--scheduler", "tcp://[::1"], ("--scheduler",)),
        (["montecarlo", "{s}", "-n", "2", "--chunk-size", "10000000"], ("chunk_size",)),
        (["schedule", "--deficit", "{hour}", "--network", "case9"], ("hour", "from 0 to 8784")),
        (["schedule", "--queues", "1e308", "--network", "case9"], ("queues",)),
        (
            ["schedule", "--stage", "3", "--stage-mw", "1e308", "--network", "case9"],
            ("stage_mw", "625,000"),
        ),
        (
            ["schedule", "--deficit-fraction", "0.2", "--start", "9999-12-30"],
            ("start", "2200-12-31"),
        ),
        (["schedule", "--deficit-fraction", "0.2", "--tz", "Europe"], ("unknown time zone",)),
        (
            [
                *("schedule", "--deficit-fraction", "0.2", "--network", "case9"),
                *("--days", "366", "--slot-hours", "1", "--groups", "99x9"),
            ],
            ("group-slots", "at most 200,000"),
        ),
    ],
    ids=[
        "workers",
        "top",
        "max-pairs",
        "max-pairs-fullwidth-digit",
        "criticality-chunk-size",
        "criticality-scheduler",
        "margin",
        "compare-samples",
        "scheduler",
        "chunk-size",
        "deficit-hour",
        "queues",
        "stage-mw",
        "start",
        "tz",
        "schedule-size",
    ],
)
def test_an_option_out_of_range_is_one_line(
    tmp_path: Path, args: list[str], words: tuple[str, ...]
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(BASE, encoding="utf-8")
    hours = tmp_path / "deficit.csv"
    hours.write_text("hour,region,deficit_mw\n1000000000000000,1,10\n", encoding="utf-8")
    argv = [a.replace("{s}", str(scenario)).replace("{hour}", str(hours)) for a in args]
    if argv[0] != "impact":
        argv += ["-o", str(tmp_path / "out")]
    _refused(argv, *words)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["report", "schedule"])
@pytest.mark.parametrize("kind", ["fifo", "oversize"])
def test_a_result_folder_file_that_is_not_a_small_regular_file_is_refused(
    tmp_path: Path, command: str, kind: str
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    if kind == "fifo":
        os.mkfifo(folder / "summary.json")  # nobody writes: a blocking read would hang
        words = ("summary.json", "is a named pipe (FIFO)", "up to 64 MB")
    else:
        _sparse(folder / "summary.json", 2 * 1024**3)
        words = ("summary.json", "file is 2 GB, too large", "up to 64 MB")
    out = str(tmp_path / "out")
    args = {
        "report": ["report", str(folder)],
        "schedule": ["schedule", "-o", out, "--from-run", str(folder), "--network", "case9"],
    }[command]
    _refused(args, *words)
    assert not (tmp_path / "out").exists()


def test_a_scenario_schedule_too_large_is_refused_before_the_run(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    text = BASE + '[schedule]\ngroups = "99x9"\nslot_hours = 1\ndays = 366\n'
    scenario.write_text(text, encoding="utf-8")
    # 891 groups x 366 days x 24 slots = 7,826,544 group-slots
    line = _refused(["run", str(scenario), "-o", str(tmp_path / "out")], "7,826,544 group-slots")
    assert line.startswith(f"gridmodel: error: {scenario}: schedule.days: ")
    assert not (tmp_path / "out").exists()


@given(digits=st.integers(20, 20_000))
@settings(max_examples=10, deadline=None)
def test_an_integer_of_many_digits_is_one_error(digits: int) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(f"{BASE}seed = 1{'0' * (digits - 1)}\n", file="s.toml")
    assert len(info.value.line()) < 300  # the number is not repeated in the message


@pytest.mark.parametrize(
    ("waves", "words"),
    [
        # 300 salvos of 10,000 missiles fit in 17 kB and ran for minutes
        (
            "[[waves]]\n" + '[[waves.salvos]]\nmissiles = 10000\ntarget = "substation"\n' * 300,
            "3,000,000",
        ),
        ("".join(f'[[waves]]\ntime_h = {i}\ntargets = ["line:1"]\n' for i in range(1001)), "1,000"),
    ],
    ids=["missiles", "waves"],
)
def test_a_scenario_of_too_many_draws_or_waves_is_refused(waves: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(BASE + waves, file="s.toml")
    assert info.value.field == "waves"
    assert words in info.value.line()

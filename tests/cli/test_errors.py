"""Every bad input ends with exit code 2 and one clear line, and leaves no folder behind.

A matrix over the commands and the kinds of bad input of the reliability
issue: each case runs the real command line (``CliRunner``; a few through a
real ``python -m gridmodel`` process) and checks what a user sees: exit code
2, at most two lines on stderr naming the file or field and what is allowed,
no traceback, and no output or temporary folder left beside the inputs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_scenarios import GOOD
from typer.testing import CliRunner

from gridmodel.cli import app

runner = CliRunner()


def _with(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new)


#: Scenario files with one problem each: (case, text or bytes, words stderr must contain).
BAD_SCENARIOS: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("toml-syntax", _with("seed = 1", "seed = 1\nnetwork = case9"), ("line 4", "column")),
    ("empty-file", "", ("empty",)),
    ("binary-file", b"\x00\x01\xff\xfe\x89PNG\r\n\x1a\n" * 20, ("bad.toml",)),
    ("unknown-key", _with("seed = 1", "seeed = 1"), ("seeed", "'seed'")),
    ("wrong-type", _with("seed = 1", 'seed = "one"'), ("seed", "integer")),
    ("crews-zero", _with("crews = 1", "crews = 0"), ("repair.crews",)),
    ("horizon-zero", _with("horizon_h = 24", "horizon_h = 0"), ("repair.horizon_h",)),
    (
        "interception-above-1",
        _with('targets = ["bus:4"]', "[[waves.salvos]]\nmissiles = 3\ninterception = 1.5"),
        ("interception",),
    ),
    (
        "duration-negative",
        GOOD + '\n[repair.durations.line]\ndist = "fixed"\nmedian_h = -4\n',
        ("repair.durations.line.median_h",),
    ),
    (
        "duration-zero",
        GOOD + '\n[repair.durations.substation]\ndist = "fixed"\nmedian_h = 0\n',
        ("repair.durations.substation.median_h",),
    ),
    ("unknown-network", _with('network = "case9"', 'network = "case99"'), ("case99", "case9")),
    ("element-id-missing", _with('"bus:4"', '"line:999"'), ("line:999",)),
    ("unknown-element-kind", _with('"bus:4"', '"pump:1"'), ("pump", "substation")),
    # found only when the strikes are drawn, after the network was loaded and
    # compiled: the run fails midway and still leaves no folder
    (
        "unknown-region",
        _with('targets = ["bus:4"]', '[[waves.random]]\ncount = 1\nregion = "Atlantis"'),
        ("Atlantis",),
    ),
    (
        "unknown-strategy",
        _with("crews = 1", 'crews = 1\nstrategy = "fastest"'),
        ("fastest", "critical_first"),
    ),
    (
        "unknown-policy",
        _with("groups = 3", 'groups = 3\npolicy = "lottery"'),
        ("lottery", "fair_rotation"),
    ),
    # limits the schedule stage enforces (1-366 days, 1-99 groups of 1-9
    # subgroups, a margin share up to 1), refused when the file is read
    ("schedule-days-too-many", _with("days = 1", "days = 367"), ("schedule.days", "366")),
    ("schedule-groups-too-many", _with("groups = 3", "groups = 100"), ("schedule.groups", "99")),
    ("schedule-subgroups-too-many", _with("groups = 3", 'groups = "6x10"'), ("schedule.groups",)),
    (
        "possible-margin-above-1",
        _with("groups = 3", "groups = 3\npossible_margin = 2.5"),
        ("schedule.possible_margin", "0 to 1"),
    ),
    # demand scale: a factor > 0 and at most 10 (ten times the network's loads)
    ("demand-scale-above-10", GOOD + "\n[demand]\nscale = 10.5\n", ("demand.scale", "<= 10")),
    ("demand-scale-zero", GOOD + "\n[demand]\nscale = 0\n", ("demand.scale", "> 0")),
    # an hourly timeline needs at least one hour (1e-300 h crashed building it)
    ("horizon-below-an-hour", _with("horizon_h = 24", "horizon_h = 1e-300"), ("repair.horizon_h",)),
    # a billion missiles ran out of memory drawing their targets
    (
        "missiles-too-many",
        _with('targets = ["bus:4"]', "[[waves.salvos]]\nmissiles = 1_000_000_000"),
        ("missiles", "10000"),
    ),
]

#: Commands that read a scenario file, as argument lists after the file.
SCENARIO_COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "run": lambda f, out: ["run", str(f), "--out", str(out)],
    "compare": lambda f, out: ["compare", str(f), "--out", str(out), "-n", "2"],
    "montecarlo": lambda f, out: [
        "montecarlo",
        str(f),
        "-n",
        "2",
        "--out",
        str(out),
        "--no-progress",
    ],
    "validate": lambda f, out: ["scenario", "validate", str(f)],
}


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _check_refused(args: list[str], folder: Path, words: tuple[str, ...], *, lines: int = 2) -> str:
    """Run ``args``; assert exit 2, a short stderr with ``words``, nothing new in ``folder``."""
    before = _listing(folder)
    result = runner.invoke(app, args)
    stderr = result.stderr
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    shown = [line for line in stderr.splitlines() if line.strip()]
    if args[:2] != ["scenario", "validate"]:  # validate lists every problem (+ a count)
        assert 1 <= len(shown) <= lines, stderr
    for word in words:
        assert word.lower() in stderr.lower(), (word, stderr)
    assert _listing(folder) == before, (_listing(folder) - before, stderr)
    return stderr


@pytest.mark.parametrize("command", list(SCENARIO_COMMANDS))
@pytest.mark.parametrize(
    ("case", "text", "words"), BAD_SCENARIOS, ids=[c[0] for c in BAD_SCENARIOS]
)
def test_bad_scenario_file(
    tmp_path: Path, command: str, case: str, text: str | bytes, words: tuple[str, ...]
) -> None:
    file = tmp_path / "bad.toml"
    if isinstance(text, bytes):
        file.write_bytes(text)
    else:
        file.write_text(text, encoding="utf-8")
    stderr = _check_refused(
        SCENARIO_COMMANDS[command](file, tmp_path / "out"), tmp_path, words, lines=2
    )
    assert "bad.toml" in stderr  # the file is named


def test_a_schedule_option_refused_late_names_the_scenario_file(tmp_path: Path) -> None:
    # protected group labels are checked when the schedule is built, after the
    # restoration timeline: the error must still name the file and its key
    file = tmp_path / "bad.toml"
    file.write_text(_with("days = 1", 'days = 1\nprotected_groups = ["77"]'), encoding="utf-8")
    stderr = _check_refused(SCENARIO_COMMANDS["run"](file, tmp_path / "out"), tmp_path, ("77",))
    assert stderr.startswith(f"gridmodel: error: {file}: schedule.protected_groups: "), stderr


@pytest.mark.parametrize("command", list(SCENARIO_COMMANDS))
@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_scenario_path_that_is_not_a_file(tmp_path: Path, command: str, kind: str) -> None:
    path = tmp_path / "scen.toml"
    if kind == "directory":
        path.mkdir()
    _check_refused(SCENARIO_COMMANDS[command](path, tmp_path / "out"), tmp_path, ("scen.toml",))


@pytest.fixture
def good(tmp_path: Path) -> Path:
    file = tmp_path / "good.toml"
    file.write_text(GOOD, encoding="utf-8")
    return file


def _option_cases(good: Path, out: Path) -> list[tuple[str, list[str], tuple[str, ...]]]:
    """Bad option values per command: (case, argv, words)."""
    s = str(good)
    o = str(out)
    return [
        ("run-strategy", ["run", s, "-o", o, "--strategy", "fastest"], ("fastest", "optimal")),
        ("compare-strategies", ["compare", s, "-o", o, "--strategies", "x"], ("'x'", "optimal")),
        ("compare-samples", ["compare", s, "-o", o, "-n", "0"], ("samples:", "1")),
        ("mc-samples", ["montecarlo", s, "-o", o, "-n", "0"], ("samples:", "from 1 to 1,000,000")),
        (
            "mc-workers",
            ["montecarlo", s, "-o", o, "-n", "2", "--workers", "0"],
            ("workers:", "from 1 to"),
        ),
        ("mc-chunk", ["montecarlo", s, "-o", o, "-n", "2", "--chunk-size", "0"], ("chunk",)),
        (
            "crit-workers",
            ["criticality", "case9", "-o", o, "--workers", "0"],
            ("workers:", "from 1 to"),
        ),
        ("crit-k", ["criticality", "case9", "-o", o, "--k", "3"], ("k", "1", "2")),
        ("crit-top", ["criticality", "case9", "-o", o, "--top", "0"], ("top:", "from 1 to 10,000")),
        ("crit-network", ["criticality", "case99", "-o", o], ("case99", "case9")),
        ("crit-mode", ["criticality", "case9", "-o", o, "--mode", "xc"], ("mode", "dc", "ac")),
        ("impact-network", ["impact", "case99"], ("case99", "case9")),
        ("impact-element", ["impact", "case9", "--strike", "line:999"], ("line", "999", "0..8")),
        ("impact-kind", ["impact", "case9", "--strike", "pump:1"], ("strikes:", "substation")),
        ("impact-mode", ["impact", "case9", "--mode", "xc"], ("mode", "dc", "ac")),
        ("impact-overload", ["impact", "case9", "--overload", "x"], ("overload", "trip")),
        ("impact-ratings", ["impact", "case9", "--ratings", "margin:-1"], ("ratings", "margin")),
        ("impact-limit", ["impact", "case9", "--limit", "0"], ("limit",)),
        ("impact-ac-backend", ["impact", "case9", "--ac-backend", "fast"], ("ac_backend", "auto")),
        (
            "crit-ac-backend",
            ["criticality", "case9", "-o", o, "--ac-backend", "fast"],
            ("ac_backend", "lightsim2grid"),
        ),
        ("show-network", ["networks", "show", "case99"], ("case99", "case9")),
        (
            "sched-policy",
            [
                "schedule",
                "-o",
                o,
                "--deficit-fraction",
                "0.3",
                "--network",
                "case9",
                "--policy",
                "x",
            ],
            ("'x'", "fair_rotation"),
        ),
        (
            "sched-fraction",
            ["schedule", "-o", o, "--deficit-fraction", "1.5", "--network", "case9"],
            ("deficit_fraction", "1.5", "0 to 1"),
        ),
        (
            "sched-slot",
            ["schedule", "-o", o, "--stage", "1", "--network", "case9", "--slot-hours", "3"],
            ("slot", "1, 2", "4"),
        ),
        (
            "sched-days",
            ["schedule", "-o", o, "--stage", "1", "--network", "case9", "--days", "0"],
            ("days",),
        ),
        (
            "sched-tz",
            ["schedule", "-o", o, "--stage", "1", "--network", "case9", "--tz", "Mars/Base"],
            ("Mars/Base",),
        ),
        (
            "sched-groups",
            ["schedule", "-o", o, "--stage", "1", "--network", "case9", "--groups", "0"],
            ("groups",),
        ),
        (
            "sched-deficit-dir",
            ["schedule", "-o", o, "--deficit", str(good.parent), "--network", "case9"],
            (str(good.parent.name),),
        ),
        (
            "sched-queues",
            ["schedule", "-o", o, "--queues", "-1", "--network", "case9"],
            ("queues", "-1", ">= 0"),
        ),
        (
            "sched-queues-file",
            ["schedule", "-o", o, "--queues", "nope.csv", "--network", "case9"],
            ("nope.csv", "no such file"),
        ),
        ("import-name", ["networks", "import", "case9", "--name", "../x"], ("--name", "letters")),
        ("report-not-a-run", ["report", str(good.parent)], (good.parent.name,)),
        ("report-file", ["report", s], ("good.toml",)),
    ]


_CASE_IDS = [c[0] for c in _option_cases(Path("g.toml"), Path("out"))]


@pytest.mark.parametrize("case", _CASE_IDS)
def test_bad_option(tmp_path: Path, good: Path, case: str) -> None:
    cases = {c[0]: c for c in _option_cases(good, tmp_path / "out")}
    _, args, words = cases[case]
    _check_refused(args, tmp_path, words)


# --- output folders ----------------------------------------------------------------------


def _writers(good: Path, out: Path) -> dict[str, list[str]]:
    """Every command that writes a folder, with valid inputs, writing to ``out``."""
    return {
        "run": ["run", str(good), "-o", str(out)],
        "compare": ["compare", str(good), "-o", str(out), "-n", "1", "--strategies", "as_listed"],
        "montecarlo": ["montecarlo", str(good), "-n", "2", "-o", str(out), "--no-progress"],
        "criticality": ["criticality", "case9", "-o", str(out), "--no-progress"],
        "schedule": ["schedule", "-o", str(out), "--stage", "1", "--network", "case9"],
        "networks-import": [
            "networks",
            "import",
            "case9",
            "--name",
            out.name,
            "--dest",
            str(out.parent),
        ],
    }


WRITERS = list(_writers(Path("g.toml"), Path("o")))


@pytest.mark.parametrize("command", WRITERS)
def test_output_under_a_file_is_refused(tmp_path: Path, good: Path, command: str) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    args = _writers(good, blocker / "out")[command]
    _check_refused(args, tmp_path, ("not-a-folder",))


@pytest.mark.parametrize("command", WRITERS)
def test_foreign_folder_is_refused_unless_overwrite(
    tmp_path: Path, good: Path, command: str
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work", encoding="utf-8")
    args = _writers(good, out)[command]
    _check_refused(args, tmp_path, ("mine", "--overwrite"))
    assert _listing(out) == {"thesis.docx"}


def test_overwrite_replaces_a_foreign_folder_and_a_rerun_replaces_the_result(
    tmp_path: Path, good: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    args = _writers(good, out)["schedule"]
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert "notes.txt" not in _listing(out) and "schedule.csv" in _listing(out)
    (out / "schedule.csv").write_text("stale", encoding="utf-8")
    # an earlier gridmodel result is replaced without --overwrite
    assert runner.invoke(app, args).exit_code == 0
    assert (out / "schedule.csv").read_text(encoding="utf-8") != "stale"
    assert _listing(tmp_path) == {"good.toml", "mine"}  # no temporary or old folder left


def test_unwritable_proc_target_is_refused(tmp_path: Path, good: Path) -> None:
    _check_refused(
        ["schedule", "-o", "/proc/gridmodel-out", "--stage", "1", "--network", "case9"],
        tmp_path,
        ("/proc",),
    )


#: Unusable network files: (case, file name, content, words stderr must contain).
BAD_NETWORK_FILES: list[tuple[str, str, bytes | None, tuple[str, ...]]] = [
    ("empty-json", "net.json", b"", ("net.json", "pandapower JSON")),
    ("broken-json", "net.json", b'{"bus": ', ("net.json", "line 1")),
    ("binary-json", "net.json", bytes(range(256)), ("net.json", "pandapower JSON")),
    ("json-not-a-net", "net.json", b'{"x": 1}', ("net.json", "pandapower JSON")),
    ("broken-matpower", "net.m", b"function mpc = x\nmpc.bus = [1 2;\n", ("net.m", "MATPOWER")),
    ("other-format", "net.xlsx", b"PK\x03\x04", ("net.xlsx", ".json", ".m")),
    ("folder-without-network", "net", None, ("net", "network.json")),
]


@pytest.mark.parametrize(
    ("case", "name", "content", "words"), BAD_NETWORK_FILES, ids=[c[0] for c in BAD_NETWORK_FILES]
)
def test_bad_network_file(
    tmp_path: Path, case: str, name: str, content: bytes | None, words: tuple[str, ...]
) -> None:
    file = tmp_path / name
    if content is None:
        file.mkdir()
    else:
        file.write_bytes(content)
    scenario = tmp_path / "s.toml"
    scenario.write_text(_with('network = "case9"', f'network = "{name}"'), encoding="utf-8")
    for args in (
        ["impact", str(file)],
        ["networks", "show", str(file)],
        ["criticality", str(file), "-o", str(tmp_path / "out")],
        ["run", str(scenario), "-o", str(tmp_path / "out")],  # a path relative to the scenario
    ):
        _check_refused(args, tmp_path, words)


@pytest.mark.parametrize("suffix", [".p", ".pkl", ".pickle"])
def test_pickle_network_is_refused_naming_the_accepted_formats(tmp_path: Path, suffix: str) -> None:
    file = tmp_path / f"net{suffix}"
    file.write_bytes(b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00.")  # a pickle header
    for args in (
        ["impact", str(file)],
        ["networks", "show", str(file)],
        ["criticality", str(file), "-o", str(tmp_path / "out")],
        ["networks", "import", str(file), "--name", "x", "--dest", str(tmp_path)],
    ):
        _check_refused(args, tmp_path, (file.name, "pickle", "json", ".m"))


#: Runs the command line (the arguments after the first) and presses Ctrl-C once the
#: program is ready, whatever the machine's load: when a file matches the glob pattern
#: given first, or, for ``stack:FOLDER``, when the main thread runs a function from that
#: package folder and no module is being imported. If that moment does not come within
#: the timeout it says so on stderr (the test then fails on stderr) and presses anyway,
#: so the process ends.
_CTRL_C_WHEN_READY = """
import glob, os, signal, sys, threading, time
from gridmodel.cli import main
ready = sys.argv.pop(1)
main_id = threading.main_thread().ident

def is_ready():
    if not ready.startswith("stack:"):
        return bool(glob.glob(ready))
    inside = importing = False
    frame = sys._current_frames().get(main_id)
    while frame is not None:
        code = frame.f_code
        path = code.co_filename.replace(os.sep, "/")
        if code.co_name == "<module>" and path != "<string>" or "importlib" in path:
            importing = True
        elif ready[len("stack:"):] in path:
            inside = True
        frame = frame.f_back
    return inside and not importing

def press():
    end = time.monotonic() + 240
    while not is_ready():
        if time.monotonic() > end:
            print("test: not ready after 240 s", file=sys.stderr)
            break
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=press, daemon=True).start()
sys.argv[0] = "gridmodel"
main()
"""


@pytest.mark.slow
def test_interrupted_run_leaves_no_folder(tmp_path: Path, good: Path) -> None:
    # Ctrl-C while 5000 samples of 7 strategies are compared (minutes of work), once the
    # first sample's repairs are being simulated (gridmodel/restoration on the stack):
    # exit code 130, one line, and neither the output nor a temporary folder
    ready = "stack:gridmodel/restoration/"
    args = ["compare", str(good), "-n", "5000", "-o", "out"]
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_WHEN_READY, ready, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "gridmodel: interrupted"
    assert _listing(tmp_path) == {"good.toml"}


@pytest.mark.slow
def test_interrupted_monte_carlo_keeps_its_chunks_marked_unfinished(
    tmp_path: Path, good: Path
) -> None:
    from gridmodel.outputs import MARKER

    # Ctrl-C once the first chunk (one sample) is written, far from the end
    out = tmp_path / "mc"
    args = ["montecarlo", str(good), "-n", "50000", "--chunk-size", "1", "-o", str(out)]
    first_chunk = str(out / "samples" / "*.parquet")
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_WHEN_READY, first_chunk, *args, "--no-progress"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 130, done.stderr
    assert (out / "INCOMPLETE").is_file() and not (out / MARKER).exists()
    assert "--resume" in (out / "INCOMPLETE").read_text(encoding="utf-8")
    # a plain rerun does not silently start again over the unfinished run
    _check_refused([*args, "--no-progress"], tmp_path, ("mc", "unfinished", "--resume"))
    # the report of the unfinished folder says so at the top
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Unfinished Monte Carlo run" in html.split("</header>")[0]


@pytest.mark.slow
def test_unreachable_scheduler_leaves_no_monte_carlo_folder(tmp_path: Path, good: Path) -> None:
    # nothing listens on port 1: dask gives up after its connect timeout (10 s)
    args = ["montecarlo", str(good), "-n", "2", "-o", str(tmp_path / "mc"), "--no-progress"]
    _check_refused([*args, "--scheduler", "tcp://127.0.0.1:1"], tmp_path, ("--scheduler",))


# --- a real process: nothing but one line reaches the shell -------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "{bad}", "-o", "{out}"],
        ["impact", "case99"],
        ["criticality", "case9", "--workers", "0", "-o", "{out}"],
    ],
    ids=["run-bad-toml", "impact-unknown-network", "criticality-workers"],
)
def test_real_process_prints_one_line_and_exits_2(tmp_path: Path, argv: list[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('network = "case9"\nseed = [\n', encoding="utf-8")
    args = [a.format(bad=bad, out=tmp_path / "out") for a in argv]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "gridmodel", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gridmodel: error: "), done.stderr
    assert _listing(tmp_path) == {"bad.toml"}

"""Reading scenario files: TOML parsing and one clear error per problem.

Every problem becomes a :class:`~gridmodel.errors.ScenarioError` naming the
file, the field path (``waves[0].salvos[1].interception``) or, for TOML syntax
errors, the line and column, and what would have been accepted.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gridmodel.errors import GridModelError, ScenarioError, unknown_name
from gridmodel.inputs import NESTING_LIMIT, SCENARIO_LIMIT, check_nesting, read_user_bytes
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Grid
from gridmodel.restoration import strategies
from gridmodel.restoration.demand import profile_names
from gridmodel.scenario.check import check_scenario
from gridmodel.scenario.model import Scenario
from gridmodel.schedule import policies
from gridmodel.schema import convert_error

_FILE_ALLOWED = "a TOML scenario file (see scenarios/*.toml)"


def read_text(path: str | Path) -> str:
    """Read a scenario file as text, with a clear error for what is not one.

    Only a regular file up to :data:`~gridmodel.inputs.SCENARIO_LIMIT` bytes is
    read (:func:`~gridmodel.inputs.read_user_bytes`).
    """
    file = Path(path)
    raw = read_user_bytes(file, limit=SCENARIO_LIMIT, what=_FILE_ALLOWED, error=ScenarioError)
    if not raw.strip():
        raise ScenarioError("the file is empty", file=file, allowed=_FILE_ALLOWED)
    if b"\x00" in raw:
        raise ScenarioError("binary data, not a text file", file=file, allowed=_FILE_ALLOWED)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not UTF-8 text (bad byte at offset {exc.start})", file=file, allowed=_FILE_ALLOWED
        ) from None


def parse_toml(text: str, *, file: str | Path | None = None) -> dict[str, Any]:
    """Parse TOML text; a syntax error names its line and column."""
    check_nesting(text, file=file, what="a TOML file", toml=True, error=ScenarioError)
    try:
        return tomllib.loads(text)
    except RecursionError:  # pragma: no cover - check_nesting refuses such files first
        raise ScenarioError(
            "nested too deep", file=file, allowed=f"nesting up to {NESTING_LIMIT} deep"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        field = None
        if where:
            field = f"line {where.group(1)}, column {where.group(2)}"
            message = message[: where.start()].strip()
        elif "end of document" in message:
            field = f"line {text.count(chr(10)) + 1}"
        raise ScenarioError(
            f"TOML syntax error: {message}",
            file=file,
            field=field,
            allowed="TOML syntax (https://toml.io)",
        ) from None
    except ValueError:  # not a syntax error: an integer of thousands of digits
        raise ScenarioError(
            "a number too long to read",
            file=file,
            allowed="TOML integers of at most 19 digits (64 bits)",
        ) from None


def scenario_from_dict(
    data: dict[str, Any], *, file: str | Path | None = None
) -> tuple[Scenario | None, list[ScenarioError]]:
    """Validate a parsed TOML document; returns the scenario or every problem found."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        return None, [_problem(e, file=file) for e in errors]
    problems = registry_problems(scenario, file=file)
    if problems:
        return None, problems
    if file is not None:
        scenario._file = str(file)
    return scenario, []


def registry_problems(scenario: Scenario, *, file: str | Path | None = None) -> list[ScenarioError]:
    """Repair strategy, schedule policy and demand profile names not in their registries.

    Checked when the file is read, so a typo stops a run before any work.
    """
    named = [
        ("repair strategy", "repair.strategy", scenario.repair.strategy, strategies.names()),
        ("schedule policy", "schedule.policy", scenario.schedule.policy, policies.names()),
    ]
    if isinstance(scenario.demand.profile, str):
        named.append(("demand profile", "demand.profile", scenario.demand.profile, profile_names()))
    problems = []
    for kind, field, name, choices in named:
        if name not in choices:
            error = unknown_name(kind, name, choices, error=ScenarioError, file=file, field=field)
            assert isinstance(error, ScenarioError)
            problems.append(error)
    return problems


def parse_scenario(text: str, *, file: str | Path | None = None) -> Scenario:
    """Parse and validate scenario TOML text (the first problem is raised)."""
    scenario, problems = scenario_from_dict(parse_toml(text, file=file), file=file)
    if problems:
        raise _first(problems)
    assert scenario is not None
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path
        A TOML scenario file (see ``scenarios/*.toml`` and ``scenarios/README.md``).

    Returns
    -------
    Scenario
        The validated scenario; ``scenario.file`` is ``path``.

    Raises
    ------
    ScenarioError
        The first problem (TOML syntax, unknown key, wrong type, value out of
        range, unknown strategy, policy or profile name); its message says
        how many more there are. Network references (substation ids, region
        names, element indices) are checked against the network later, by
        :func:`gridmodel.scenario.check.check_scenario` (every run does) or
        :func:`validate_scenario`.

    Examples
    --------
    >>> import gridmodel
    >>> scenario = gridmodel.load_scenario("scenarios/case118-salvo.toml")
    >>> scenario.network
    'case118'
    """
    return parse_scenario(read_text(path), file=path)


def _first(problems: list[ScenarioError]) -> ScenarioError:
    first = problems[0]
    if len(problems) > 1:
        more = len(problems) - 1
        first = ScenarioError(
            f"{first.message} (and {more} more problem{'s' if more > 1 else ''}: "
            "run 'gridmodel scenario validate FILE')",
            file=first.file,
            field=first.field,
            allowed=first.allowed,
        )
    return first


def network_source(scenario: Scenario) -> str | Path:
    """Where to load the scenario's network from.

    A ``network`` naming an existing file or folder relative to the scenario
    file is that path; anything else is passed on as written (a catalog name,
    or a path relative to the working directory).
    """
    if scenario.file is not None:
        candidate = Path(scenario.file).parent / scenario.network
        if candidate.exists():
            return candidate
    return scenario.network


def load_scenario_grid(scenario: Scenario) -> Grid:
    """Load the scenario's network.

    A network that cannot be loaded is a :class:`ScenarioError` on the
    ``network`` field that keeps the network loader's explanation.
    """
    try:
        return load_network(network_source(scenario))
    except GridModelError as exc:
        raise ScenarioError(
            exc.message if exc.file is None else f"{exc.file}: {exc.message}",
            file=scenario.file,
            field="network",
            allowed=exc.allowed,
        ) from None


def validate_scenario(path: str | Path, *, check_network: bool = True) -> list[ScenarioError]:
    """Every problem of a scenario file (an empty list when it is fine).

    Collects all schema errors at once; when the schema is fine and
    ``check_network`` is true, also loads the network and checks every
    reference to it.
    """
    try:
        data = parse_toml(read_text(path), file=path)
    except ScenarioError as exc:
        return [exc]
    scenario, problems = scenario_from_dict(data, file=path)
    if problems or scenario is None or not check_network:
        return problems
    try:
        grid = load_scenario_grid(scenario)
    except ScenarioError as exc:
        return [exc]
    return check_scenario(scenario, grid)


def _problem(error: Any, *, file: str | Path | None) -> ScenarioError:
    problem = convert_error(error, root=Scenario, file=file, error_class=ScenarioError)
    assert isinstance(problem, ScenarioError)
    return problem

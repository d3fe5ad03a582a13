"""What every sample of one scenario shares: its grid, compiled once, and its strike plan.

:func:`prepare_scenario` loads the scenario's network, checks every
reference of the scenario against it, compiles it with the scenario's
``[model]`` options and resolves the strike waves. A run, a comparison, a
Monte Carlo worker and the Python API all start here, so they evaluate the
same grid the same way.

Randomness of sample ``i`` comes only from
:func:`~gridmodel.strikes.realise.rng_for` ``(seed, i, stream)``: the
strikes from the ``strikes`` stream, the repair durations from the
``repairs`` stream, so a sample never depends on which worker ran it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gridmodel.engine import CompiledGrid, EngineCache, compile_grid
from gridmodel.network.grid import Grid
from gridmodel.restoration.drafts import Equipment, equipment
from gridmodel.restoration.tasks import Task, repair_tasks
from gridmodel.scenario import Scenario, check_scenario, load_scenario_grid
from gridmodel.strikes import STREAMS, Damage, StrikePlan, plan_strikes, realise_plan, rng_for


@dataclass(frozen=True, eq=False)
class ScenarioContext:
    """A scenario with its network, compiled grid, strike plan and engine cache.

    The engine cache is not shared between threads by design: one context
    per thread (see :class:`~gridmodel.engine.cache.EngineCache`).
    """

    scenario: Scenario
    grid: Grid
    compiled: CompiledGrid
    plan: StrikePlan
    cache: EngineCache
    kit: Equipment
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def derived(self, name: str, make: Callable[[ScenarioContext], Any]) -> Any:
        """What ``make(self)`` gives, computed once per context and kept under ``name``.

        For figures every sample of the scenario shares (the strike's hour, say),
        kept with the compiled grid so they live and die with it.
        """
        if name not in self._derived:
            self._derived[name] = make(self)
        return self._derived[name]

    def damage(self, sample: int, *, seed: int | None = None) -> Damage:
        """The strikes of sample ``sample`` (seed: the scenario's unless given)."""
        seed = self.scenario.seed if seed is None else seed
        return realise_plan(self.plan, rng_for(seed, sample, stream=STREAMS["strikes"]))

    def tasks(self, damage: Damage, sample: int, *, seed: int | None = None) -> tuple[Task, ...]:
        """The repair tasks of ``damage`` with sample ``sample``'s durations."""
        seed = self.scenario.seed if seed is None else seed
        return repair_tasks(
            damage,
            self.grid,
            options=self.scenario.repair,
            rng=rng_for(seed, sample, stream=STREAMS["repairs"]),
            kit=self.kit,
        )


def prepare_scenario(scenario: Scenario) -> ScenarioContext:
    """Load, check, compile and plan ``scenario`` (see the module notes).

    Raises
    ------
    ScenarioError
        The network cannot be loaded, or the first reference it cannot satisfy.
    """
    grid = load_scenario_grid(scenario)
    problems = check_scenario(scenario, grid)
    if problems:
        raise problems[0]
    cache = EngineCache()
    compiled = compile_grid(grid, options=scenario.model, cache=cache)
    plan = plan_strikes(scenario.waves, grid, resync_h=scenario.repair.resync_h, file=scenario.file)
    return ScenarioContext(scenario, grid, compiled, plan, cache, equipment(grid))

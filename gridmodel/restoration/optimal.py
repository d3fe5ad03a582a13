"""The ``optimal`` repair strategy: exact minimum energy not served, small problems.

What is optimised
-----------------
The energy not served over the horizon, exactly as the timeline computes it
(engine evaluation of every state at every hour's demand), over every order in
which the crews can take the tasks: at each moment a crew is free and tasks
are eligible, every eligible task is tried (:class:`~gridmodel.restoration.dispatch.DispatchState`).
That covers every *non-delay* schedule (no crew idles while a task is
available, no task is interrupted); with identical crews and no release dates
an optimal schedule of this kind always exists when the tasks' benefits simply
add up (weighted completion time: shifting work earlier never hurts). The
search knows every wave's damage in advance (it is a clairvoyant benchmark: a
bound the other strategies can be measured against).

How
---
Dynamic programming over dispatch states (time, finished tasks, running tasks
with their end times): the cost to go from a state does not depend on how it
was reached, so each state is solved once (memoised depth-first search). The
energy of a stretch of time with a fixed set of elements out comes from
cumulative hourly sums (:meth:`~gridmodel.restoration.evaluations.EvaluationCache.unserved_mwh`).

Size limit
----------
The number of states grows like the number of precedence-feasible subsets of
tasks times the ways crews can be busy: about ``2**n`` for one crew. Each
distinct set of elements still out is evaluated with the engine at every
distinct demand level of the day (17 for the winter profile), which is what
the time goes into: on the bundled ``ua-oblasts`` network (DC, trip mode,
336 h, one crew; ``benchmarks/restoration.py``) 8 tasks take about 1 s and 10
tasks about 3 s (about 16,000 engine evaluations), and every two more tasks
multiply that by about four; several crews multiply the states further.
The search therefore refuses more than
:data:`MAX_TASKS` tasks released within the horizon, and stops with the same
clear error if it visits more than :data:`MAX_STATES` decision states.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from gridmodel.errors import OptionError
from gridmodel.restoration.crews import RepairProblem, Situation
from gridmodel.restoration.dispatch import DispatchState

#: Largest number of tasks (released within the horizon) the exact search accepts.
MAX_TASKS = 10
#: Largest number of decision states the search may visit.
MAX_STATES = 200_000
_TIE_MWH = 1e-9


@dataclass(frozen=True)
class OptimalPlan:
    """The best choice in every decision state reached, and the minimum ENS (MWh)."""

    choices: dict[tuple[object, ...], int]
    ens_mwh: float
    states: int


def _too_large(message: str) -> OptionError:
    return OptionError(
        message,
        field="repair.strategy",
        allowed=(
            f"optimal for at most {MAX_TASKS} repair tasks; for larger problems use "
            "greedy_marginal, load_per_hour or critical_first"
        ),
    )


def solve(problem: RepairProblem) -> OptimalPlan:
    """Find the dispatch minimising energy not served over the horizon.

    Raises
    ------
    OptionError
        More than :data:`MAX_TASKS` tasks, or more than :data:`MAX_STATES` states.
    """
    n = sum(1 for t in problem.tasks if t.release_h < problem.horizon_h)
    if n > MAX_TASKS:
        raise _too_large(f"the exact search handles at most {MAX_TASKS} repair tasks, got {n}")
    memo: dict[tuple[object, ...], float] = {}
    choices: dict[tuple[object, ...], int] = {}
    events = problem.clock.events()
    evaluations = problem.evaluations

    def stretch(start: float, end: float, done: frozenset[int]) -> float:
        cuts = sorted({start, end} | {p for p in events if start < p < end})
        return sum(
            evaluations.unserved_mwh(problem.condition_at(a, done), a, b)
            for a, b in itertools.pairwise(cuts)
        )

    def cost_to_go(state: DispatchState) -> float:
        situation = state.decision()
        if situation is None:
            if state.finished:
                return 0.0
            nxt = state.copy()
            a, b, done = nxt.advance()
            return stretch(a, b, done) + cost_to_go(nxt)
        key = situation.key
        known = memo.get(key)
        if known is not None:
            return known
        if len(memo) >= MAX_STATES:
            raise _too_large(
                f"the exact search needs more than {MAX_STATES} states for these {n} tasks"
            )
        best, pick = math.inf, situation.eligible[0]
        for task_id in situation.eligible:
            nxt = state.copy()
            nxt.assign(situation, task_id)
            value = cost_to_go(nxt)
            if value < best - _TIE_MWH:
                best, pick = value, task_id
        memo[key] = best
        choices[key] = pick
        return best

    ens = cost_to_go(DispatchState(problem))
    return OptimalPlan(choices=choices, ens_mwh=ens, states=len(memo))


def plan_choice(problem: RepairProblem, situation: Situation) -> int:
    """The optimal plan's choice in ``situation`` (the plan is solved once per problem)."""
    plan = problem.memo.get("optimal")
    if plan is None:
        plan = solve(problem)
        problem.memo["optimal"] = plan
    pick = plan.choices.get(situation.key)
    if pick is None or pick not in situation.eligible:
        raise RuntimeError(f"optimal plan has no choice for the state at {situation.time_h} h")
    return pick

"""Monte Carlo benchmark: samples per second serial vs a process pool, and driver memory.

Usage::

    python benchmarks/montecarlo.py                 # the full run (a few minutes)
    python benchmarks/montecarlo.py --quick         # a smaller run (about a minute)

1. Speed: ``gridmodel montecarlo`` on the ``ua-oblasts`` replay scenarios,
   impact only and with the restoration timeline, with 1 worker and with
   ``--workers`` workers (default 2). Each configuration runs in a fresh
   process, so the figures include start-up (imports, compiling the grid in
   every worker).
   ``steady`` leaves out the start-up: samples after the first chunk divided
   by the time after the first chunk arrived (``run.json``), so it shows what
   extra workers give on a long run. The machine's load average is printed:
   on a shared 2-core machine other processes take cores away. ``CPU
   ms/sample`` (user + system time of all processes, start-up included) does
   not depend on that load: equal figures for 1 and W workers mean the pool
   adds no work, so W free cores give W times the samples per second.
2. Memory: peak resident memory of the whole command (serial, so the driver
   is the only process) for growing sample counts, impact only. Results are
   streamed to disk chunk by chunk, so the peak should stay flat as the
   sample count grows by 100x.
3. Overloads (``--part overload``): the cost of a sample with the restoration
   timeline (``sample_row``) when overloads are handled as ``operator`` (the
   default) and as ``trip`` (the plain cascade, the default before), timed
   in this process, interleaved sample by sample on the replays with only
   ``[model] overload`` set (whatever the replay states). Prints
   ms/sample of each, the ratio (target: at most 2), and how many of the
   operator's programs a sample solves and what one costs. With
   ``--against REV`` also this checkout (``operator``) against the code of
   ``REV`` (``trip``, its default then; checked out into a temporary git
   worktree), alternately in fresh processes, best of two each.

Prints one table per part and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("ua-2022-11-23.toml", "ua-2022-12-16.toml")

_MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def run(args: list[str]) -> tuple[float, float, float]:
    """Run ``gridmodel`` with ``args`` in a fresh process; return (wall s, peak RSS MiB, CPU s).

    The peak is the largest resident set of any process the command started
    (the driver in serial runs); CPU is user + system time of the command
    and all its worker processes.
    """
    cmd = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "gridmodel", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    code, wall, kib, cpu = int(out[0]), float(out[1]), int(out[2]), float(out[3])
    if code != 0:
        raise SystemExit(f"gridmodel {' '.join(args)} failed with exit code {code}")
    return wall, kib / 1024, cpu


def sweep(scenario: Path, samples: int, workers: int, *, timeline: bool, folder: Path) -> dict:
    out = folder / f"{scenario.stem}-{samples}-{workers}-{int(timeline)}"
    args = [str(scenario), "-n", str(samples), "--workers", str(workers), "--out", str(out)]
    args += ["--no-progress", "--overwrite"]
    if not timeline:
        args.append("--impact-only")
    wall, peak, cpu = run(["montecarlo", *args])
    info = json.loads((out / "run.json").read_text())
    chunk, first = info["chunk_size"], info["first_chunk_s"] or 0.0
    after = info["elapsed_s"] - first
    steady = (samples - chunk) / after if samples > 2 * chunk and after > 0 else float("nan")
    return {
        "wall_s": wall,
        "peak_mib": peak,
        "cpu_s": cpu,
        "steady": steady,
    }


def speed(folder: Path, *, workers: int, impact_n: int, timeline_n: int) -> None:
    print(f"\n== speed: serial vs {workers} workers (fresh process each, incl. start-up) ==")
    print(f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    head = f"{'scenario':<16}{'stage':<9}{'N':>6}{'1 worker/s':>11}{'W workers/s':>12}{'ratio':>7}"
    print(head + f"{'steady 1/s':>11}{'steady W/s':>11}{'ratio':>7}{'CPU ms/sample 1 | W':>21}")
    for name in SCENARIOS:
        scenario = ROOT / "scenarios" / name
        for timeline, n in ((False, impact_n), (True, timeline_n)):
            one = sweep(scenario, n, 1, timeline=timeline, folder=folder)
            many = sweep(scenario, n, workers, timeline=timeline, folder=folder)
            r1, rw = n / one["wall_s"], n / many["wall_s"]
            s1, sw = one["steady"], many["steady"]
            stage = "timeline" if timeline else "impact"
            print(
                f"{scenario.stem:<16}{stage:<9}{n:>6}{r1:>11.1f}{rw:>12.1f}{rw / r1:>7.2f}"
                f"{s1:>11.1f}{sw:>11.1f}{sw / s1:>7.2f}"
                f"{1000 * one['cpu_s'] / n:>12.2f} | {1000 * many['cpu_s'] / n:<7.2f}"
            )


def memory(folder: Path, counts: list[int]) -> None:
    print("\n== memory: peak RSS of a serial impact-only run (driver only) ==")
    print(f"{'N':>9}{'wall s':>9}{'peak MiB':>10}{'vs smallest':>13}")
    scenario = ROOT / "scenarios" / SCENARIOS[0]
    base = None
    for n in counts:
        result = sweep(scenario, n, 1, timeline=False, folder=folder)
        base = base or result["peak_mib"]
        print(f"{n:>9}{result['wall_s']:>9.1f}{result['peak_mib']:>10.1f}"
              f"{result['peak_mib'] / base:>13.3f}")  # fmt: skip


def overload_samples(samples: int) -> None:
    """A sample's cost with ``overload = "operator"`` against ``"trip"`` (see part 3)."""
    import gridmodel.engine.overload as overload
    from gridmodel.scenario import load_scenario
    from gridmodel.studies.context import prepare_scenario
    from gridmodel.studies.montecarlo.sampling import sample_row

    print("\n== overloads: a sample with the timeline, operator (default) vs trip ==")
    print(f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    programs = {"n": 0, "s": 0.0}
    shed = overload.shed_overloads

    def counted(*args: Any) -> Any:
        began = time.perf_counter()
        try:
            return shed(*args)
        finally:
            programs["n"] += 1
            programs["s"] += time.perf_counter() - began

    overload.shed_overloads = counted  # count the operator's programs
    print(f"{'scenario':<26}{'trip ms':>9}{'operator ms':>13}{'ratio':>7}"
          f"{'programs/sample':>17}{'ms/program':>12}")  # fmt: skip
    ratios = []
    for name in (*SCENARIOS, "ua-oblasts-2022-12-16.toml"):
        scenario = load_scenario(ROOT / "scenarios" / name)
        contexts = {
            handling: prepare_scenario(
                scenario.model_copy(
                    update={"model": scenario.model.model_copy(update={"overload": handling})}
                )
            )
            for handling in ("trip", "operator")
        }
        seed = int(scenario.seed)
        for context in contexts.values():
            sample_row(context, samples, seed=seed)  # warm-up, not timed
        times: dict[str, list[float]] = {handling: [] for handling in contexts}
        programs.update(n=0, s=0.0)
        for sample in range(samples):
            for handling, context in contexts.items():
                began = time.perf_counter()
                sample_row(context, sample, seed=seed)
                times[handling].append(time.perf_counter() - began)
        trip, operator = (1000 * statistics.mean(times[h]) for h in ("trip", "operator"))
        ratios.append(operator / trip)
        per_program = 1000 * programs["s"] / max(programs["n"], 1)
        print(f"{Path(name).stem:<26}{trip:>9.0f}{operator:>13.0f}{operator / trip:>7.2f}"
              f"{programs['n'] / samples:>17.1f}{per_program:>12.2f}")  # fmt: skip
    overload.shed_overloads = shed
    print(f"largest ratio operator / trip: {max(ratios):.2f}x (target: at most 2x)")


_SAMPLE_COST = """
import sys, time
from gridmodel.scenario import load_scenario
from gridmodel.studies.context import prepare_scenario
from gridmodel.studies.montecarlo.sampling import sample_row
scenario = load_scenario(sys.argv[1])
model = scenario.model.model_copy(update={"overload": sys.argv[2]})
context = prepare_scenario(scenario.model_copy(update={"model": model}))
n = int(sys.argv[3])
sample_row(context, n, seed=scenario.seed)  # warm-up, not timed
began = time.perf_counter()
for sample in range(n):
    sample_row(context, sample, seed=scenario.seed)
print(1000 * (time.perf_counter() - began) / n)
"""


def against_revision(rev: str, samples: int, repeats: int = 2) -> None:
    """A sample's cost in this checkout (operator) and at ``rev`` (trip), fresh processes."""
    print(f"\n== a sample with the timeline: this checkout (operator) vs {rev} (trip) ==")
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", str(old), rev], check=True, capture_output=True)
        try:
            for name in (*SCENARIOS, "ua-oblasts-2022-12-16.toml"):
                best: dict[str, float] = {}
                for _ in range(repeats):
                    for label, path, handling in (("this", ROOT, "operator"), (rev, old, "trip")):
                        args = [str(ROOT / "scenarios" / name), handling, str(samples)]
                        done = subprocess.run(
                            [sys.executable, "-c", _SAMPLE_COST, *args],
                            capture_output=True, text=True, check=True, cwd=path,
                            env={**os.environ, "PYTHONPATH": str(path)},
                        )  # fmt: skip
                        ms = float(done.stdout.split()[0])
                        best[label] = min(best.get(label, ms), ms)
                ratio = best["this"] / best[rev]
                print(f"{Path(name).stem:<26} this {best['this']:6.0f} ms  {rev} "
                      f"{best[rev]:6.0f} ms  ratio {ratio:.2f}x (target: at most 2x)")  # fmt: skip
        finally:
            subprocess.run([*git, "remove", "--force", str(old)], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sample counts")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--part", choices=("all", "speed", "memory", "overload"), default="all")
    parser.add_argument("--overload-samples", type=int, default=12)
    parser.add_argument("--against", help="part 3: also this checkout against revision REV")
    args = parser.parse_args()
    impact_n, timeline_n = (2000, 16) if args.quick else (20_000, 200)
    counts = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gridmodel-bench-") as tmp:
        if args.part in ("all", "speed"):
            speed(Path(tmp), workers=args.workers, impact_n=impact_n, timeline_n=timeline_n)
        if args.part in ("all", "memory"):
            memory(Path(tmp), counts)
    if args.part in ("all", "overload"):
        overload_samples(4 if args.quick else args.overload_samples)
        if args.against:
            against_revision(args.against, 4 if args.quick else args.overload_samples)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

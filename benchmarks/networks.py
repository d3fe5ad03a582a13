"""ua-grid against ua-oblasts: a 14-day run, and a Monte Carlo sweep on ua-grid.

Usage::

    python benchmarks/networks.py                   # the 14-day run, about a minute
    python benchmarks/networks.py --montecarlo 1000 # and 1,000 samples with 2 workers

1. **Run**: the 16 Dec 2022 replay, one full ``gridmodel.run`` (strikes,
   impact, 14 days of restoration, rolling schedule; DC, trip cascade) on
   ``ua-grid`` (``scenarios/ua-2022-12-16.toml``) and on the teaching network
   ``ua-oblasts`` (``scenarios/ua-oblasts-2022-12-16.toml``), each repeated
   and timed in this process after a warm-up run (the network loaded and
   compiled once, as a second call in a notebook would find it), and as a
   cold ``gridmodel run`` command in a fresh process (start-up, network
   loading and compiling included). The ratios are ua-grid's time over
   ua-oblasts'; the target is at most 3.
2. **Monte Carlo** (``--montecarlo N``): N samples of the ua-grid replay with
   restoration, 2 worker processes, wall time from a cold start of the pool.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gridmodel

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT / "scenarios" / "ua-2022-12-16.toml"
OBLASTS = ROOT / "scenarios" / "ua-oblasts-2022-12-16.toml"


def timed_runs(path: Path, repeats: int) -> tuple[list[float], float]:
    """Wall times of ``repeats`` runs after one warm-up, and the run's ENS (MWh)."""
    scenario = gridmodel.load_scenario(path)
    result = gridmodel.run(scenario)  # warm-up: network loaded, compiled, cached
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = gridmodel.run(scenario)
        times.append(time.perf_counter() - began)
    return times, float(result.summary["metrics"]["ens_mwh"])


def cold_runs(path: Path, repeats: int) -> list[float]:
    """Wall times of ``gridmodel run`` in a fresh process."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, "-c", "from gridmodel.cli import main; main()"]
            command += ["run", str(path), "--out", folder + "/r"]
            began = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=folder)
            times.append(time.perf_counter() - began)
    return times


def run_ratio(repeats: int) -> None:
    grid, ens_grid = timed_runs(GRID, repeats)
    oblasts, ens_oblasts = timed_runs(OBLASTS, repeats)
    print(f"{'network':<11} {'median s':>9} {'min s':>7} {'ENS MWh':>10}")
    for name, times, ens in (("ua-oblasts", oblasts, ens_oblasts), ("ua-grid", grid, ens_grid)):
        print(f"{name:<11} {statistics.median(times):>9.2f} {min(times):>7.2f} {ens:>10,.0f}")
    ratio = statistics.median(grid) / statistics.median(oblasts)
    print(f"in process: ratio ua-grid / ua-oblasts (median): {ratio:.2f}x (target: at most 3x)")
    cold_grid, cold_oblasts = cold_runs(GRID, repeats), cold_runs(OBLASTS, repeats)
    cold = statistics.median(cold_grid) / statistics.median(cold_oblasts)
    print(
        f"gridmodel run, fresh process: ua-oblasts {statistics.median(cold_oblasts):.1f} s, "
        f"ua-grid {statistics.median(cold_grid):.1f} s, ratio {cold:.2f}x (target: at most 3x)"
    )


def montecarlo(samples: int) -> None:
    scenario = gridmodel.load_scenario(GRID)
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        table = gridmodel.montecarlo(scenario, samples, workers=2, out=Path(folder) / "mc")
        wall = time.perf_counter() - began
    print(
        f"Monte Carlo, ua-grid 16 Dec replay: {samples} samples with restoration, 2 workers: "
        f"{wall:.0f} s ({1000 * wall / samples:.0f} ms per sample); "
        f"unserved MW median {table['unserved_mw'].median():,.0f}, "
        f"p95 {table['unserved_mw'].quantile(0.95):,.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--montecarlo", type=int, default=0, metavar="N")
    args = parser.parse_args()
    run_ratio(args.repeats)
    if args.montecarlo:
        montecarlo(args.montecarlo)


if __name__ == "__main__":
    main()

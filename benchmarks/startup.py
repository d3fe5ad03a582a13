"""Command-line start-up: ``gridmodel impact --json`` against ``import pandas``.

Usage::

    python benchmarks/startup.py               # 5 rounds
    python benchmarks/startup.py --runs 9 --networks case9 case118 ua-grid

Each round runs, each in a fresh process and interleaved so that a change of
load on the machine hits every figure alike:

- the reference, ``python -c "import pandas"``;
- per network, ``gridmodel impact NETWORK --json`` with an empty cache folder
  (**first call**: the network is loaded and compiled, then cached) and again
  with the folder the first call filled (**second call**: the compiled grid
  is read from the cache).

The cache folder is a temporary one (``GRIDMODEL_CACHE_DIR``), so the user's
cache is neither used nor touched. Printed: the best wall time and the best
CPU time (user + system of the child) of the rounds, and their ratios to
``import pandas``. The target of the second call is at most 3x (wall).
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def command_line() -> list[str]:
    """The ``gridmodel`` console script of this environment (else ``python -m gridmodel``)."""
    script = Path(sys.executable).parent / "gridmodel"
    if script.is_file():
        return [str(script)]
    found = shutil.which("gridmodel")
    return [found] if found else [sys.executable, "-m", "gridmodel"]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds (best of N is shown)")
    parser.add_argument("--networks", nargs="+", default=["case9", "case118"])
    parser.add_argument(
        "--gridmodel", help="command to run instead of this environment's gridmodel script"
    )
    args = parser.parse_args()
    gridmodel = shlex.split(args.gridmodel) if args.gridmodel else command_line()
    figures: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.runs):
            env = dict(os.environ)
            figures.setdefault("import pandas", []).append(
                timed([sys.executable, "-c", "import pandas"], env)
            )
            for network in args.networks:
                env["GRIDMODEL_CACHE_DIR"] = f"{scratch}/{round_}-{network}"
                call = [*gridmodel, "impact", network, "--json"]
                figures.setdefault(f"{network} first call", []).append(timed(call, env))
                figures.setdefault(f"{network} second call", []).append(timed(call, env))
    load = os.getloadavg()
    print(f"best of {args.runs} runs, fresh processes; load average {load[0]:.2f} {load[1]:.2f}")
    pandas_wall = min(w for w, _ in figures["import pandas"])
    pandas_cpu = min(c for _, c in figures["import pandas"])
    print(f"{'':28} {'wall s':>8} {'ratio':>7} {'CPU s':>8} {'ratio':>7}")
    for label, runs in figures.items():
        wall = min(w for w, _ in runs)
        cpu = min(c for _, c in runs)
        print(
            f"{label:28} {wall:8.2f} {wall / pandas_wall:6.1f}x {cpu:8.2f} {cpu / pandas_cpu:6.1f}x"
        )


if __name__ == "__main__":
    main()

"""N-1 criticality with the trip cascade: this checkout against an earlier revision.

Usage::

    python benchmarks/criticality_cost.py                       # against 884c999
    python benchmarks/criticality_cost.py --against REV --network case1354pegase --repeats 3

``gridmodel.criticality(grid, k=1, overload="trip")`` on the network, timed
inside fresh Python processes, alternately with this checkout and with
``REV`` (checked out into a temporary git worktree and put first on
``PYTHONPATH``), ``--repeats`` times each; the grid is loaded and one warm-up
run made before the timed run, so the figure is the study alone. Prints the
best time of each and their ratio (this / REV). The default revision is the
last one before the operator handling and the units' model (issue 15's
resolution): the trip cascade's cost must not change.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_TIMED = """
import sys, time
import gridmodel as g
grid = g.load_network(sys.argv[1])
g.criticality(grid, k=1, overload="trip")  # warm-up: numba, caches
began = time.perf_counter()
table = g.criticality(grid, k=1, overload="trip")
print(time.perf_counter() - began, len(table))
"""


def timed(path: Path, network: str) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(path)}
    out = subprocess.run(
        [sys.executable, "-c", _TIMED, network],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=path,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="884c999")
    parser.add_argument("--network", default="case1354pegase")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old), args.against],
            check=True,
            capture_output=True,
        )
        try:
            best: dict[str, float] = {}
            rows: dict[str, int] = {}
            for _ in range(args.repeats):
                for name, path in (("this", ROOT), (args.against, old)):
                    wall, n = timed(path, args.network)
                    best[name] = min(best.get(name, wall), wall)
                    rows[name] = n
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                check=True,
                capture_output=True,
            )
    print(f"N-1 criticality, {args.network}, overload trip (best of {args.repeats})")
    for name in best:
        per = 1000 * best[name] / max(rows[name], 1)
        print(f"  {name:<10} {best[name]:8.2f} s  {rows[name]:>5} substations  {per:6.2f} ms each")
    print(f"  ratio this / {args.against}: {best['this'] / best[args.against]:.2f}x (target: 1)")


if __name__ == "__main__":
    main()

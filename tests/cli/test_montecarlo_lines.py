"""``gridmodel montecarlo`` prints the spread at the strike's hour, and at peak demand beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from gridmodel.cli import app

ROOT = Path(__file__).resolve().parents[2]
#: The 16 Dec 2022 replay on ua-oblasts: the strike at 07:00, below the 17:00 peak.
SCENARIO = ROOT / "tests" / "data" / "ua-oblasts-2022-12-16.toml"


def test_spread_lines_name_the_strike_and_the_peak(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    args = ["montecarlo", str(SCENARIO), "-n", "6", "--impact-only", "--out", str(out)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    rows = pd.read_parquet(out / "samples")
    # independent: numpy's (linear) percentiles of the rows as written
    assert (rows["load_mw"] < rows["peak_load_mw"]).all()  # 07:00 demand below the peak

    def line(when: str, prefix: str) -> str:
        mw = np.percentile(rows[f"{prefix}unserved_mw"], [50, 95])
        people = np.percentile(rows[f"{prefix}customers_off"], [50, 95])
        return (
            f"{when}: unserved MW median {mw[0]:,.0f}, p95 {mw[1]:,.0f}; "
            f"customers off median {people[0]:,.0f}, p95 {people[1]:,.0f}"
        )

    lines = done.stdout.splitlines()
    assert lines[0] == f"Ukraine, 16 Dec 2022 mass strike: 6 samples; {line('at the strike', '')}"
    assert lines[1] == line("at peak demand", "peak_")

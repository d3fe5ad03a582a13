"""A complete run folder for the report tests.

``summary.json`` and ``network_state.json`` come from the real pipeline on the
bundled ``ua-oblasts`` network (the 16 Dec 2022 replay with tight ratings, so
that it has an overload cascade). The scenario is that replay as it was
bundled for ``ua-oblasts`` (``tests/data/ua-oblasts-2022-12-16.toml``): the
bundled replay now runs on ``ua-grid``, and the map test relies on
``ua-oblasts`` substations (Kyiv struck, with all its load lost). The later
stages' files (timeline, schedule, comparison, Monte Carlo samples,
criticality) are small hand-made tables with the documented columns, so every
number a test expects can be worked out by hand from this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "data" / "ua-oblasts-2022-12-16.toml"
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_REGION = "</script><!--<script>alert(2)</script>"
HOSTILE_GROUP = "<img src=x onerror=alert(3)>"
#: Hours in the hand-made timeline.
HOURS = 48
#: Metrics written into the fixture summary (documented keys, hand-picked values).
METRICS = {
    "ens_mwh": 123456.0,
    "customer_hours": 98765432.0,
    "saidi_h": 7.5,
    "saifi": 0.61,
    "caidi_h": 12.3,
    "peak_deficit_mw": 9000.0,
    "restore_h": {"50": 10.0, "90": 31.0, "100": None},
    "network_restored_h": 26.0,
    "supply_restored_h": None,
}
#: Schedule states of the hand-made schedule: group -> state of each 4-hour slot.
SLOTS = {
    "1": ["off", "on", "on", "off", "on", "on", "possible", "on", "on", "on", "on", "on"],
    "2": ["on", "off", "on", "on", "off", "on", "on", "possible", "on", "on", "on", "on"],
    "3": [
        "emergency",
        "emergency",
        "off",
        "on",
        "on",
        "off",
        "on",
        "on",
        "possible",
        "on",
        "on",
        "on",
    ],
}
SLOT_START = pd.Timestamp("2022-12-16T00:00:00")
STRATEGIES = ("critical_first", "largest_load_first", "nearest_first")


def write_run_folder(folder: Path, *, hostile: bool = False) -> dict:
    """Write the run folder; return its summary (as written)."""
    from gridmodel.scenario import load_scenario
    from gridmodel.studies.run import run

    text = SCENARIO.read_text(encoding="utf-8").replace(
        'ratings = "raise-base"', 'ratings = "margin:0.1"'
    )
    if hostile:
        text = text.replace(
            'title = "Ukraine, 16 Dec 2022 mass strike"', f"title = '{HOSTILE_TITLE}'"
        )
    scenario_file = folder.parent / f"{folder.name}-scenario.toml"
    scenario_file.write_text(text, encoding="utf-8")
    result = run(load_scenario(scenario_file))
    result.write(folder)  # summary.json, network_state.json and the later stages' files
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["metrics"] = METRICS
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")

    regions = [r["region"] for r in summary["impact"]["by_region"]][:3]
    if hostile:
        regions[1] = HOSTILE_REGION
    timeline(regions).to_parquet(folder / "timeline.parquet")
    schedule(regions[:2], hostile=hostile).to_csv(folder / "schedule.csv", index=False)
    comparison().to_csv(folder / "comparison.csv", index=False)
    comparison_timeline().to_parquet(folder / "comparison_timeline.parquet")
    comparison_samples().to_csv(folder / "samples.csv", index=False)
    (folder / "samples").mkdir()
    samples().to_parquet(folder / "samples" / "chunk-00000.parquet")
    pd.DataFrame(
        {"element": ["substation:KYIV", "substation:KHARKIV"], "unserved_mw": [2300.5, 1800.0]}
    ).to_csv(folder / "criticality.csv", index=False)
    return summary


def timeline(regions: list[str]) -> pd.DataFrame:
    """Region k has demand 1000 (k + 1) MW; it loses half of it at hour 0 and
    gets it back linearly, fully restored at hour 24 (k = 0), 30 and 36."""
    rows = []
    for k, region in enumerate(regions):
        demand = 1000.0 * (k + 1)
        back_h = 24 + 6 * k
        for hour in range(HOURS):
            lost = 0.5 * demand * max(0.0, 1.0 - hour / back_h)
            rows.append(
                {
                    "hour": hour,
                    "time": (
                        pd.Timestamp("2022-12-16T07:00:00+02:00") + pd.Timedelta(hours=hour)
                    ).isoformat(),
                    "region": region,
                    "demand_mw": demand,
                    "deliverable_mw": demand - lost,
                    "served_mw": demand - lost,
                    "unserved_mw": lost,
                    "dark_mw": lost,
                    "shed_mw": 0.0,
                    "critical_mw": 0.05 * demand,
                    "customers_off": round(lost * 900),
                }
            )
    return pd.DataFrame(rows)


def schedule(regions: list[str], *, hostile: bool = False) -> pd.DataFrame:
    """4-hour slots over two days from :data:`SLOTS`, times with the +02:00 offset."""
    rows = []
    for region in regions:
        for group, states in SLOTS.items():
            name = HOSTILE_GROUP if hostile and group == "3" else group
            for k, state in enumerate(states):
                start = SLOT_START + pd.Timedelta(hours=4 * k)
                end = start + pd.Timedelta(hours=4)
                rows.append(
                    {
                        "region": region,
                        "group": name,
                        "start": start.isoformat() + "+02:00",
                        "end": end.isoformat() + "+02:00",
                        "state": state,
                    }
                )
    return pd.DataFrame(rows)


def comparison() -> pd.DataFrame:
    """Means and CIs per strategy, plus paired-difference rows (``baseline`` set)."""
    rows = []
    for k, name in enumerate(STRATEGIES):
        rows.append(
            ("ens_mwh", name, "", 100000.0 + 10000 * k, 95000.0 + 10000 * k, 106000.0 + 10000 * k)
        )
        rows.append(("customer_hours", name, "", 8e7 + 1e7 * k, 7.5e7 + 1e7 * k, 8.4e7 + 1e7 * k))
    rows.append(("ens_mwh", "largest_load_first", "critical_first", 10000.0, 8000.0, 12000.0))
    return pd.DataFrame(
        rows, columns=["metric", "strategy", "baseline", "mean", "ci_low", "ci_high"]
    )


#: Per strategy, how many samples have a lower ENS than sample 0 (see comparison_samples).
SHIFTS = {"critical_first": 0, "largest_load_first": 0, "nearest_first": 2}


def comparison_samples() -> pd.DataFrame:
    """``samples.csv`` of a compare folder: 20 samples per strategy, ENS
    ``base + 100 * ((sample + shift) % 20)`` MWh, so that sample 0 has
    :data:`SHIFTS` samples below it (all values distinct)."""
    rows = []
    for k, name in enumerate(STRATEGIES):
        for sample in range(20):
            ens = 100000.0 + 10000 * k + 100.0 * ((sample + SHIFTS[name]) % 20)
            rows.append((sample, name, 5, ens, 1000.0 * ens))
    return pd.DataFrame(rows, columns=["sample", "strategy", "tasks", "ens_mwh", "customer_hours"])


def comparison_timeline() -> pd.DataFrame:
    """Served MW per strategy and hour, two regions of 500 MW each."""
    rows = []
    for k, name in enumerate(STRATEGIES):
        for hour in range(HOURS):
            for region in ("a", "b"):
                rows.append((name, hour, region, min(500.0, 250.0 + hour * (10 - k))))
    return pd.DataFrame(rows, columns=["strategy", "hour", "region", "served_mw"])


def samples() -> pd.DataFrame:
    """200 samples: 50 without unserved load, the rest Pareto-like sizes."""
    rng = np.random.default_rng(7)
    sizes = np.concatenate([np.zeros(50), 100.0 * (1.0 + rng.pareto(1.5, 150))])
    return pd.DataFrame(
        {
            "sample": np.arange(200),
            "unserved_mw": sizes,
            "customers_off": np.round(sizes * 900).astype(np.int64),
            "ens_mwh": sizes * 20.0,
        }
    )

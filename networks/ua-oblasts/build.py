"""Build the illustrative ``ua-oblasts`` network from the CSV files in ``inputs/``.

Run ``python networks/ua-oblasts/build.py`` to rewrite ``network.json``,
``substations.csv``, ``buses.csv``, ``loads.csv`` and ``regions.csv`` next to
this script, or ``--out DIR`` to write them somewhere else. The result depends
only on the inputs: running it twice gives byte-identical files.

Figures come from the project's domain notes (``shared/DOMAIN.md``, "public
figures"): region coordinates and populations, plant capacities, the ~18 GW
winter peak, the ~0.7 GW EU import, the ~36/56 winter derating of thermal
units, and line reactances and ratings. The topology is illustrative, not the
real Ukrainian grid. Only pandapower is used (not gridmodel), so the network
can be rebuilt without the package.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandapower as pp
import pandas as pd

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "inputs"

#: Overhead-line data per kV (public figures: x ~0.28 ohm/km at 750 kV and
#: ~0.32 ohm/km at 330 kV, thermal ratings ~4,000 MVA and ~1,000 MVA per
#: circuit). r and c are typical values for 5 x AC-400 (750 kV) and
#: 2 x AC-400 (330 kV) conductor bundles.
LINE_DATA: dict[int, dict[str, float]] = {
    750: {"r_ohm_per_km": 0.015, "x_ohm_per_km": 0.28, "c_nf_per_km": 13.0, "rating_mva": 4000.0},
    330: {"r_ohm_per_km": 0.040, "x_ohm_per_km": 0.32, "c_nf_per_km": 11.1, "rating_mva": 1000.0},
}
#: Generator voltage set-points (pu) by connection voltage (kV).
GEN_VM_PU: dict[int, float] = {750: 1.02, 330: 1.03}
#: Voltage set-point of the EU interconnection (the ext_grid, the slack), pu.
EXT_GRID_VM_PU = 1.02
#: Rated power factor of generators: sn_mva = installed MW / 0.85.
GEN_RATED_PF = 0.85
#: Reactive limits of generators as shares of installed MW.
GEN_Q_MAX_SHARE, GEN_Q_MIN_SHARE = 0.6, -0.3
#: Load priority classes (restoration priority set in Dec 2022, public figures).
PRIORITIES: tuple[tuple[int, str], ...] = (
    (1, "critical"),
    (2, "defence"),
    (3, "essential"),
    (4, "households"),
)
PLANT_TYPES = ("nuclear", "thermal", "chp", "hydro", "pumped_storage")
#: Plant types dispatched at a fixed share of their available MW (settings.csv).
FIXED_TYPES = ("nuclear", "hydro", "pumped_storage")
#: Plant types dispatched pro rata to cover what the fixed shares leave.
FLEXIBLE_TYPES = ("thermal", "chp")
F_HZ = 50.0
EARTH_RADIUS_KM = 6371.0
LOSS_ITERATIONS = 4
OUTPUT_FILES = ("network.json", "substations.csv", "buses.csv", "loads.csv", "regions.csv")

Record = dict[str, Any]


@dataclass(frozen=True)
class Inputs:
    """The CSV inputs as lists of records, plus the settings."""

    regions: list[Record]
    substations: dict[str, Record]
    plants: list[Record]
    lines: list[Record]
    transformers: list[Record]
    shunts: list[Record]
    settings: dict[str, str]

    def number(self, key: str) -> float:
        """A numeric setting."""
        return float(self.settings[key])


def read_inputs(folder: Path) -> Inputs:
    """Read and check the input CSV files in ``folder``.

    The main substation of each region comes from ``regions.csv``; extra
    substations from ``substations.csv``. A main substation serves the share of
    its region's load that the region's extra substations leave.
    """

    def records(name: str) -> list[Record]:
        return pd.read_csv(folder / name).to_dict("records")

    regions = records("regions.csv")
    extra = records("substations.csv")
    settings = {str(r["key"]): str(r["value"]) for r in records("settings.csv")}
    extra_share: dict[str, float] = {}
    for sub in extra:
        extra_share[sub["region"]] = extra_share.get(sub["region"], 0.0) + float(sub["load_share"])
    substations: dict[str, Record] = {}
    for sub in [
        {**r, "load_share": 1.0 - extra_share.get(r["region"], 0.0)} for r in regions
    ] + extra:
        if sub["substation"] in substations:
            raise ValueError(f"{folder}: substation {sub['substation']!r} is listed twice")
        substations[str(sub["substation"])] = sub
    inputs = Inputs(
        regions=regions,
        substations=substations,
        plants=records("plants.csv"),
        lines=records("lines.csv"),
        transformers=records("transformers.csv"),
        shunts=records("shunts.csv"),
        settings=settings,
    )
    _check(inputs, folder)
    return inputs


def _check(inputs: Inputs, folder: Path) -> None:
    """Raise ValueError naming the file and row for inputs that cannot be built."""
    region_names = {r["region"] for r in inputs.regions}
    for sub in inputs.substations.values():
        if sub["region"] not in region_names:
            raise ValueError(f"{folder / 'substations.csv'}: unknown region {sub['region']!r}")
    named = [("lines.csv", line[end]) for line in inputs.lines for end in ("from", "to")] + [
        (file, row["substation"])
        for file, table in (
            ("plants.csv", inputs.plants),
            ("transformers.csv", inputs.transformers),
            ("shunts.csv", inputs.shunts),
        )
        for row in table
    ]
    named.append(("settings.csv", inputs.settings["import_substation"]))
    for file, sub in named:
        if sub not in inputs.substations:
            raise ValueError(f"{folder / file}: unknown substation {sub!r}")
    for line in inputs.lines:
        if int(line["vn_kv"]) not in LINE_DATA:
            raise ValueError(f"{folder / 'lines.csv'}: vn_kv must be one of {sorted(LINE_DATA)}")
    for plant in inputs.plants:
        if plant["type"] not in PLANT_TYPES:
            raise ValueError(f"{folder / 'plants.csv'}: {plant['name']}: type not in {PLANT_TYPES}")
        if not 0 <= float(plant["available_mw"]) <= float(plant["installed_mw"]):
            raise ValueError(
                f"{folder / 'plants.csv'}: {plant['name']}: available_mw must be 0..installed_mw"
            )


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km on a sphere of radius 6,371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def build_network(inputs: Inputs) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """Build the pandapower net and the bus and load metadata.

    Returns
    -------
    net, buses, loads
        ``buses`` has columns ``bus``, ``substation``; ``loads`` has columns
        ``load``, ``customers``, ``priority``. The net carries no results.
    """
    net = pp.create_empty_network(name="ua-oblasts", f_hz=F_HZ, sn_mva=100.0)
    bus_of = _create_buses(net, inputs)
    _create_transformers(net, inputs, bus_of)
    _create_lines(net, inputs, bus_of)
    _create_compensation(net, inputs, bus_of)
    loads = _create_loads(net, inputs, bus_of)
    _create_plants(net, inputs, bus_of)
    pp.create_ext_grid(
        net,
        bus=bus_of[(inputs.settings["import_substation"], int(inputs.number("import_vn_kv")))],
        vm_pu=EXT_GRID_VM_PU,
        name="EU interconnection",
        max_p_mw=inputs.number("import_max_mw"),
        min_p_mw=0.0,
    )
    _dispatch(net, inputs)
    pp.reset_results(net)
    buses = pd.DataFrame({"bus": list(bus_of.values()), "substation": [sub for sub, _ in bus_of]})
    return net, buses, loads


def _create_buses(net: Any, inputs: Inputs) -> dict[tuple[str, int], int]:
    """One bus per substation and voltage level it needs (750 before 330)."""
    levels: dict[str, set[int]] = {sub: set() for sub in inputs.substations}
    for line in inputs.lines:
        levels[line["from"]].add(int(line["vn_kv"]))
        levels[line["to"]].add(int(line["vn_kv"]))
    for row in inputs.plants + inputs.shunts:
        levels[row["substation"]].add(int(row["vn_kv"]))
    for row in inputs.transformers:
        levels[row["substation"]].update({int(row["hv_kv"]), int(row["lv_kv"])})
    for sub, row in inputs.substations.items():
        if float(row["load_share"]) > 0:
            levels[sub].add(330)
    levels[inputs.settings["import_substation"]].add(int(inputs.number("import_vn_kv")))
    bus_of: dict[tuple[str, int], int] = {}
    for sub, kvs in levels.items():
        row = inputs.substations[sub]
        for kv in sorted(kvs, reverse=True):
            bus_of[(sub, kv)] = pp.create_bus(
                net,
                vn_kv=float(kv),
                name=f"{sub} {kv}",
                zone=str(row["region"]),
                geodata=(float(row["lon"]), float(row["lat"])),
                min_vm_pu=0.95,
                max_vm_pu=1.05,
            )
    return bus_of


def _create_transformers(net: Any, inputs: Inputs, bus_of: dict[tuple[str, int], int]) -> None:
    """One pandapower trafo per autotransformer unit (a strike hits one unit)."""
    for row in inputs.transformers:
        sub, hv_kv, lv_kv = row["substation"], int(row["hv_kv"]), int(row["lv_kv"])
        for unit in range(1, int(row["units"]) + 1):
            pp.create_transformer_from_parameters(
                net,
                hv_bus=bus_of[(sub, hv_kv)],
                lv_bus=bus_of[(sub, lv_kv)],
                sn_mva=float(row["sn_mva"]),
                vn_hv_kv=float(hv_kv),
                vn_lv_kv=float(lv_kv),
                vk_percent=float(row["vk_percent"]),
                vkr_percent=float(row["vkr_percent"]),
                pfe_kw=0.0,
                i0_percent=0.0,
                name=f"{sub} AT{unit} {hv_kv}/{lv_kv}",
            )


def _create_lines(net: Any, inputs: Inputs, bus_of: dict[tuple[str, int], int]) -> None:
    """One pandapower line per circuit, with shunt reactors on 750 kV lines.

    A 750 kV line's charging power is Q = V^2 * 2 pi f * C * length; reactors
    at both ends absorb ``reactor_compensation_750`` of it, as on real 750 kV
    lines (without them the 750 kV buses rise far above 1.05 pu).
    """
    route_factor = inputs.number("route_factor")
    compensation = inputs.number("reactor_compensation_750")
    for line in inputs.lines:
        start, end, kv = str(line["from"]), str(line["to"]), int(line["vn_kv"])
        data = LINE_DATA[kv]
        if pd.isna(line["length_km"]):
            a, b = inputs.substations[start], inputs.substations[end]
            km = great_circle_km(a["lat"], a["lon"], b["lat"], b["lon"]) * route_factor
            length_km = round(km, 1)
        else:
            length_km = float(line["length_km"])
        in_service = bool(line["in_service"])
        circuits = int(line["circuits"])
        for circuit in range(1, circuits + 1):
            label = f"{start}-{end} {kv} kV" + (f" #{circuit}" if circuits > 1 else "")
            pp.create_line_from_parameters(
                net,
                from_bus=bus_of[(start, kv)],
                to_bus=bus_of[(end, kv)],
                length_km=length_km,
                r_ohm_per_km=data["r_ohm_per_km"],
                x_ohm_per_km=data["x_ohm_per_km"],
                c_nf_per_km=data["c_nf_per_km"],
                max_i_ka=round(data["rating_mva"] / (math.sqrt(3) * kv), 4),
                name=label,
                in_service=in_service,
                type="ol",
            )
            if kv != 750 or not in_service or compensation <= 0:
                continue
            charging_mvar = kv**2 * 2 * math.pi * F_HZ * data["c_nf_per_km"] * 1e-9 * length_km
            for sub in (start, end):
                pp.create_shunt(
                    net,
                    bus=bus_of[(sub, kv)],
                    q_mvar=round(charging_mvar * compensation / 2, 1),
                    p_mw=0.0,
                    vn_kv=float(kv),
                    name=f"reactor {label} at {sub}",
                )


def _create_compensation(net: Any, inputs: Inputs, bus_of: dict[tuple[str, int], int]) -> None:
    """Capacitor banks from shunts.csv (negative q_mvar: pandapower counts absorbed Q positive)."""
    for row in inputs.shunts:
        sub, kv = row["substation"], int(row["vn_kv"])
        pp.create_shunt(
            net,
            bus=bus_of[(sub, kv)],
            q_mvar=float(row["q_mvar"]),
            p_mw=0.0,
            vn_kv=float(kv),
            name=f"compensation {sub} {kv}",
        )


def _create_loads(net: Any, inputs: Inputs, bus_of: dict[tuple[str, int], int]) -> pd.DataFrame:
    """Four loads (one per priority class) at every substation with a load share.

    Region load = peak_load_mw x population share; a substation takes its
    load_share of it; the classes split it by the region's shares, households
    taking the rest. Customers: households = population x load_share /
    persons_per_household; other classes one account per ``mw_per_account_*``.
    """
    total_population = sum(float(r["population_m"]) for r in inputs.regions)
    regions = {r["region"]: r for r in inputs.regions}
    tan_phi = math.tan(math.acos(inputs.number("power_factor")))
    rows = []
    for sub, row in inputs.substations.items():
        share = float(row["load_share"])
        if share <= 0:
            continue
        region = regions[row["region"]]
        population = float(region["population_m"])
        sub_mw = inputs.number("peak_load_mw") * population / total_population * share
        class_share = {label: float(region[f"{label}_share"]) for _, label in PRIORITIES[:3]}
        class_share["households"] = 1.0 - sum(class_share.values())
        for priority, label in PRIORITIES:
            p_mw = round(sub_mw * class_share[label], 3)
            if label == "households":
                customers = round(population * 1e6 * share / inputs.number("persons_per_household"))
            else:
                customers = max(1, round(p_mw / inputs.number(f"mw_per_account_{label}")))
            index = pp.create_load(
                net,
                bus=bus_of[(sub, 330)],
                p_mw=p_mw,
                q_mvar=round(p_mw * tan_phi, 3),
                name=f"{sub} {label}",
            )
            rows.append({"load": int(index), "customers": int(customers), "priority": priority})
    return pd.DataFrame(rows, columns=["load", "customers", "priority"])


def _create_plants(net: Any, inputs: Inputs, bus_of: dict[tuple[str, int], int]) -> None:
    """One voltage-controlling ``gen`` per plant.

    ``max_p_mw`` is the available MW (winter 2022); the nameplate is kept in
    the extra column ``installed_mw`` and in ``sn_mva`` (installed / 0.85).
    """
    for plant in inputs.plants:
        kv = int(plant["vn_kv"])
        installed = float(plant["installed_mw"])
        index = pp.create_gen(
            net,
            bus=bus_of[(plant["substation"], kv)],
            p_mw=0.0,
            vm_pu=GEN_VM_PU[kv],
            sn_mva=round(installed / GEN_RATED_PF, 1),
            name=str(plant["name"]),
            type=str(plant["type"]),
            max_p_mw=float(plant["available_mw"]),
            min_p_mw=0.0,
            max_q_mvar=round(GEN_Q_MAX_SHARE * installed, 1),
            min_q_mvar=round(GEN_Q_MIN_SHARE * installed, 1),
            in_service=bool(plant["in_service"]),
            controllable=True,
        )
        net.gen.loc[index, "installed_mw"] = installed


def _dispatch(net: Any, inputs: Inputs) -> None:
    """Set ``gen.p_mw`` so the intact AC case imports ``import_target_mw``.

    Nuclear, hydro and pumped storage run at fixed shares of their available
    MW (``dispatch_share_*`` in settings.csv); thermal and CHP plants share
    what is left in proportion to their available MW. The AC losses come from
    solving the net a few times; dispatch is rounded to 0.1 MW so the result
    is reproducible.
    """
    gen = net.gen
    on = gen["in_service"].astype(bool)
    fixed_share = {t: inputs.number(f"dispatch_share_{t}") for t in FIXED_TYPES}
    is_fixed = gen["type"].isin(list(fixed_share)) & on
    is_flexible = gen["type"].isin(list(FLEXIBLE_TYPES)) & on
    fixed_mw = (gen["max_p_mw"] * gen["type"].map(fixed_share)).where(is_fixed, 0.0).round(1)
    flexible_available = float(gen.loc[is_flexible, "max_p_mw"].sum())
    load_mw = float(net.load["p_mw"].sum())
    losses_mw = 0.0
    for _ in range(LOSS_ITERATIONS):
        needed = load_mw + losses_mw - inputs.number("import_target_mw") - float(fixed_mw.sum())
        if not 0 <= needed <= flexible_available:
            raise ValueError("thermal and CHP plants cannot cover the load left to them")
        flexible = (gen["max_p_mw"] * needed / flexible_available).where(is_flexible, 0.0)
        gen["p_mw"] = (fixed_mw + flexible).round(1)
        pp.runpp(net, algorithm="nr", init="flat", calculate_voltage_angles=True)
        imported = float(net.res_ext_grid["p_mw"].sum())
        losses_mw = round(imported + float(gen.loc[on, "p_mw"].sum()) - load_mw, 1)


def write_outputs(
    net: Any, inputs: Inputs, buses: pd.DataFrame, loads: pd.DataFrame, out: Path
) -> None:
    """Write network.json and the metadata CSV files into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    pp.to_json(net, str(out / "network.json"))
    substations = pd.DataFrame(
        [
            {key: row[key] for key in ("substation", "name", "region", "lat", "lon")}
            for row in inputs.substations.values()
        ]
    )
    regions = pd.DataFrame([{"region": r["region"], "groups": r["groups"]} for r in inputs.regions])
    for frame, name in (
        (substations, "substations.csv"),
        (buses, "buses.csv"),
        (loads, "loads.csv"),
        (regions, "regions.csv"),
    ):
        frame.to_csv(out / name, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: build from the inputs and write the outputs."""
    parser = argparse.ArgumentParser(description="Build the ua-oblasts network from inputs/.")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    parser.add_argument("--inputs", type=Path, default=INPUTS, help="input folder")
    args = parser.parse_args(argv)
    inputs = read_inputs(args.inputs)
    net, buses, loads = build_network(inputs)
    write_outputs(net, inputs, buses, loads, args.out)


if __name__ == "__main__":
    main()

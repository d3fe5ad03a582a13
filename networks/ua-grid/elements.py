"""The pandapower elements of ``ua-grid`` and its metadata tables.

- **Buses**: one per station and voltage level, in service unless the station
  is a disconnected Russian or Belarusian border station. ``zone`` is the
  region, ``geo`` the map position.
- **Lines**: one pandapower line per circuit (a strike hits one circuit),
  with the per-km data of ``inputs/line_types.csv`` and the source's length.
  Each in-service 750 kV line has shunt reactors at both ends absorbing
  ``reactor_compensation_750`` of its charging power.
- **Transformers**: each voltage level of a station to the next one up, with
  the units of ``inputs/transformer_types.csv`` (one pandapower trafo per unit).
- **Continental Europe**: the Polish, Slovak, Hungarian and Romanian ends of
  the ties form one equivalent station (an infinite bus per voltage level,
  joined by transformers) with the ``ext_grid``: the slack, limited to the
  import capacity of winter 2022-23.
- **Moldova**: its border stations stay as they are; behind them one
  equivalent station (drawn at Chisinau) is reached from each over a short
  equivalent line (:data:`MOLDOVA_TIE_KM`). It holds no load and no plant:
  Moldova's plants and imports cover its own load, so its net injection is
  zero and the equivalent carries only the flows through Moldova. A generator
  of 0 MW there (type ``condenser``) holds the equivalent's voltage, as
  Moldova's plants do. Southern Bessarabia (Odesa oblast west of the
  Dniester) is fed through Moldova in the map, as it was until new 330 kV
  lines were built.
- **Loads**: five per load substation (one per class), see :mod:`demand`.
- **Plants**: one ``gen`` per plant, ``max_p_mw`` = available MW, nameplate in
  the extra column ``installed_mw``; dispatch as in ``ua-oblasts``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandapower as pp
import pandas as pd
import tables
from topology import SourceBus, SourceLine, Station, great_circle_km, transformer_pairs

INPUTS = Path(__file__).resolve().parent / "inputs"
F_HZ = 50.0
#: Length of the equivalent line from each Moldovan border station to the Moldova
#: equivalent (km): Moldova's own 330/110 kV network is not in the map, and is
#: taken as a strong node next to each border station.
MOLDOVA_TIE_KM = 10.0
#: Rating of those equivalent lines (MVA): they stand for a network, not a circuit,
#: and are not meant to limit anything.
MOLDOVA_TIE_MVA = 1000.0
GEN_VM_PU = {750: 1.02, 330: 1.03, 220: 1.03, 110: 1.02}
EXT_GRID_VM_PU = 1.02
GEN_RATED_PF = 0.85
GEN_Q_MAX_SHARE, GEN_Q_MIN_SHARE = 0.6, -0.3
FIXED_TYPES = ("nuclear", "hydro", "pumped_storage")
FLEXIBLE_TYPES = ("thermal", "chp")
LOSS_ITERATIONS = 4
MIN_VM_PU = 0.97
BANK_LIMIT = 1.5
BANK_MVAR = 50.0
COMPENSATION_ROUNDS = 20
CE_ID, CE_NAME, CE_REGION = (
    "CONTINENTAL_EUROPE",
    "Continental Europe (equivalent)",
    "Continental Europe",
)
MD_ID, MD_NAME, MD_REGION = "MOLDOVA", "Moldova (equivalent)", "Moldova"
MD_LAT, MD_LON = 47.00902, 28.85938  # Chisinau (GeoNames)


@dataclass
class Parts:
    """What the network is built from."""

    buses: dict[int, SourceBus]
    stations: list[Station]
    station_of: dict[int, Station]
    lines: list[SourceLine]
    dropped: list[tuple[int, str]]
    plants: pd.DataFrame
    places: pd.DataFrame
    oblasts: pd.DataFrame
    demand: pd.DataFrame
    metallurgy: pd.DataFrame
    settings: dict[str, float]


@dataclass(frozen=True)
class Built:
    """The net and the metadata files."""

    net: Any
    substations: pd.DataFrame
    buses: pd.DataFrame
    loads: pd.DataFrame
    regions: pd.DataFrame
    provenance: pd.DataFrame


def build_net(parts: Parts) -> Built:
    """Build the pandapower net (see the module notes)."""
    import demand_loads

    net = pp.create_empty_network(name="ua-grid", f_hz=F_HZ, sn_mva=100.0)
    ce = _continental_europe(parts)
    md = _moldova_station(parts)
    stations = [s for s in parts.stations if s.country not in ("PL", "SK", "HU", "RO")] + [ce, md]
    bus_of = _create_buses(net, stations)
    source_bus = {
        b: bus_of[(ce.id if s.country in ("PL", "SK", "HU", "RO") else s.id, parts.buses[b].kv)]
        for b, s in parts.station_of.items()
    }
    line_rows = _create_lines(net, parts, source_bus)
    _create_transformers(net, stations, bus_of)
    _moldova_ties(net, parts, md, bus_of)
    loads = demand_loads.create_loads(net, parts, stations, bus_of)
    _create_plants(net, parts, bus_of)
    condenser = pp.create_gen(
        net,
        bus=bus_of[(md.id, max(md.buses))],
        p_mw=0.0,
        vm_pu=GEN_VM_PU[330],
        max_p_mw=0.0,
        min_p_mw=0.0,
        name="Moldova (voltage support)",
        type="condenser",
    )
    net.gen.loc[condenser, ["installed_mw", "country"]] = [0.0, "MD"]
    pp.create_ext_grid(
        net,
        bus=bus_of[(CE_ID, 400)],
        vm_pu=EXT_GRID_VM_PU,
        name="Continental Europe import",
        max_p_mw=parts.settings["import_max_mw"],
        min_p_mw=0.0,
    )
    _dispatch(net, parts.settings)
    _compensate(net)
    _dispatch(net, parts.settings)
    pp.reset_results(net)
    return Built(
        net=net,
        substations=tables.substations_table(stations),
        buses=pd.DataFrame({"bus": list(bus_of.values()), "substation": [s for s, _ in bus_of]}),
        loads=loads,
        regions=tables.regions_table(parts, stations),
        provenance=tables.provenance_table(parts, bus_of, source_bus, line_rows),
    )


def _continental_europe(parts: Parts) -> Station:
    """One equivalent station for the EU ends of the ties."""
    eu = [s for s in parts.stations if s.country in ("PL", "SK", "HU", "RO")]
    levels = {kv for s in eu for kv in s.buses} | {400}
    station = Station(
        key=-1,
        kind="equivalent",
        country="EU",
        region=CE_REGION,
        lon=round(sum(s.lon for s in eu) / len(eu), 6),
        lat=round(sum(s.lat for s in eu) / len(eu), 6),
        buses={kv: [b for s in eu for b in s.buses.get(kv, [])] for kv in sorted(levels)},
    )
    station.id, station.name = CE_ID, CE_NAME
    return station


def _moldova_station(parts: Parts) -> Station:
    levels = {kv for s in parts.stations if s.country == "MD" for kv in s.buses}
    station = Station(
        -2, "equivalent", "MD", MD_REGION, MD_LON, MD_LAT, buses={kv: [] for kv in sorted(levels)}
    )
    station.id, station.name = MD_ID, MD_NAME
    return station


def _create_buses(net: Any, stations: list[Station]) -> dict[tuple[str, int], int]:
    bus_of: dict[tuple[str, int], int] = {}
    for station in sorted(stations, key=lambda s: s.id):
        for kv in sorted(station.buses, reverse=True):
            bus_of[(station.id, kv)] = pp.create_bus(
                net,
                vn_kv=float(kv),
                name=f"{station.id} {kv}",
                zone=station.region,
                geodata=(station.lon, station.lat),
                in_service=station.in_service,
                min_vm_pu=0.9,
                max_vm_pu=1.1,
            )
    return bus_of


def line_types() -> dict[int, dict[str, float]]:
    """Per-km data of a circuit by kV (``inputs/line_types.csv``)."""
    table = pd.read_csv(INPUTS / "line_types.csv")
    keys = ("r_ohm_per_km", "x_ohm_per_km", "c_nf_per_km", "rating_mva")
    return {int(row["vn_kv"]): {k: float(row[k]) for k in keys} for _, row in table.iterrows()}


def _create_lines(
    net: Any, parts: Parts, source_bus: dict[int, int]
) -> list[tuple[int, SourceLine]]:
    overrides = pd.read_csv(INPUTS / "line_overrides.csv").set_index("line_id")
    types = line_types()
    compensation = parts.settings["reactor_compensation_750"]
    rows: list[tuple[int, SourceLine]] = []
    ordered = sorted(parts.lines, key=lambda x: x.line_ids)
    for line in ordered:
        a, b = source_bus[line.bus0], source_bus[line.bus1]
        if a == b:
            continue
        data = types[line.kv]
        in_service = line.in_service and not any(
            i in overrides.index and not bool(overrides.loc[i, "in_service"]) for i in line.line_ids
        )
        ends = f"{parts.station_of[line.bus0].id}-{parts.station_of[line.bus1].id}"
        for circuit in range(1, line.circuits + 1):
            label = f"{ends} {line.kv} kV" + (f" #{circuit}" if line.circuits > 1 else "")
            index = pp.create_line_from_parameters(
                net,
                from_bus=a,
                to_bus=b,
                length_km=line.length_km,
                r_ohm_per_km=data["r_ohm_per_km"],
                x_ohm_per_km=data["x_ohm_per_km"],
                c_nf_per_km=data["c_nf_per_km"],
                max_i_ka=round(data["rating_mva"] / (math.sqrt(3) * line.kv), 4),
                name=label,
                in_service=in_service,
                type="ol",
            )
            rows.append((int(index), line))
            if line.kv == 750 and in_service and compensation > 0:
                q = line.kv**2 * 2 * math.pi * F_HZ * data["c_nf_per_km"] * 1e-9 * line.length_km
                for bus in (a, b):
                    pp.create_shunt(
                        net,
                        bus=bus,
                        q_mvar=round(q * compensation / 2, 1),
                        p_mw=0.0,
                        vn_kv=750.0,
                        name=f"reactor {label}",
                    )
    return rows


def _create_transformers(
    net: Any, stations: list[Station], bus_of: dict[tuple[str, int], int]
) -> None:
    types = pd.read_csv(INPUTS / "transformer_types.csv").set_index(["hv_kv", "lv_kv"])
    for station in sorted(stations, key=lambda s: s.id):
        for hv, lv in transformer_pairs(station):
            kind = types.loc[(hv, lv)]
            units = int(kind["units"]) if station.kind != "equivalent" else 1
            sn = float(kind["sn_mva"]) * (1 if station.kind != "equivalent" else 5)
            for unit in range(1, units + 1):
                pp.create_transformer_from_parameters(
                    net,
                    hv_bus=bus_of[(station.id, hv)],
                    lv_bus=bus_of[(station.id, lv)],
                    sn_mva=sn,
                    vn_hv_kv=float(hv),
                    vn_lv_kv=float(lv),
                    vk_percent=float(kind["vk_percent"]),
                    vkr_percent=float(kind["vkr_percent"]),
                    pfe_kw=0.0,
                    i0_percent=0.0,
                    name=f"{station.id} AT{unit} {hv}/{lv}",
                    in_service=station.in_service,
                )


def _moldova_ties(net: Any, parts: Parts, md: Station, bus_of: dict[tuple[str, int], int]) -> None:
    """An equivalent line from each Moldovan border station to the Moldova equivalent."""
    types = line_types()
    for station in sorted((s for s in parts.stations if s.country == "MD"), key=lambda s: s.id):
        for kv in sorted(station.buses):
            data = types[kv]
            pp.create_line_from_parameters(
                net,
                from_bus=bus_of[(station.id, kv)],
                to_bus=bus_of[(md.id, kv)],
                length_km=MOLDOVA_TIE_KM,
                r_ohm_per_km=data["r_ohm_per_km"],
                x_ohm_per_km=data["x_ohm_per_km"],
                c_nf_per_km=data["c_nf_per_km"],
                max_i_ka=round(MOLDOVA_TIE_MVA / (math.sqrt(3) * kv), 4),
                name=f"{station.id}-{md.id} {kv} kV (equivalent)",
                type="ol",
            )


def _plant_bus(plant: Any, parts: Parts, bus_of: dict[tuple[str, int], int]) -> int:
    """The bus a plant connects to (see the module notes)."""
    if pd.isna(plant.bus):  # the nearest 330 kV substation that hosts no other plant
        hosts = {parts.station_of[int(b)].key for b in parts.plants["bus"].dropna()}
        candidates = [
            s for s in parts.stations if s.country == "UA" and 330 in s.buses and s.key not in hosts
        ]
        station = min(candidates, key=lambda s: great_circle_km(plant.lat, plant.lon, s.lat, s.lon))
    else:
        station = parts.station_of[int(plant.bus)]
    levels = sorted(station.buses, reverse=True)
    if plant.type == "nuclear":
        return bus_of[(station.id, levels[0])]
    kv = 330 if 330 in levels else next((k for k in levels if k <= 330), levels[-1])
    return bus_of[(station.id, kv)]


def _create_plants(net: Any, parts: Parts, bus_of: dict[tuple[str, int], int]) -> None:
    for plant in parts.plants.itertuples():
        bus = _plant_bus(plant, parts, bus_of)
        kv = int(net.bus.at[bus, "vn_kv"])
        installed = float(plant.installed_mw)
        index = pp.create_gen(
            net,
            bus=bus,
            p_mw=0.0,
            vm_pu=GEN_VM_PU.get(kv, 1.02),
            sn_mva=round(installed / GEN_RATED_PF, 1),
            name=str(plant.name),
            type=str(plant.type),
            max_p_mw=round(installed * float(plant.available_share), 1),
            min_p_mw=0.0,
            max_q_mvar=round(GEN_Q_MAX_SHARE * installed, 1),
            min_q_mvar=round(GEN_Q_MIN_SHARE * installed, 1),
            in_service=bool(plant.in_service),
            controllable=True,
        )
        net.gen.loc[index, "installed_mw"] = installed
        net.gen.loc[index, "country"] = str(plant.country)


def _dispatch(net: Any, settings: dict[str, float]) -> None:
    """Set ``gen.p_mw`` so the intact AC case imports ``import_target_mw``.

    Nuclear, hydro and pumped storage run at fixed shares of their available
    MW, thermal and CHP plants share the rest pro rata. Losses come from
    solving the net a few times; dispatch is rounded to 0.1 MW.
    """
    gen = net.gen
    on = gen["in_service"].astype(bool)
    ukraine = (gen["country"] == "UA") & on
    share = {t: settings[f"dispatch_share_{t}"] for t in FIXED_TYPES}
    fixed = (gen["max_p_mw"] * gen["type"].map(share)).where(
        ukraine & gen["type"].isin(FIXED_TYPES), 0.0
    )
    fixed = fixed.fillna(0.0).round(1)
    flexible = ukraine & gen["type"].isin(FLEXIBLE_TYPES)
    flexible_mw = float(gen.loc[flexible, "max_p_mw"].sum())
    load_mw = float(net.load.loc[net.load["in_service"], "p_mw"].sum())
    losses = 0.0
    for _ in range(LOSS_ITERATIONS):
        needed = load_mw + losses - settings["import_target_mw"] - float(fixed.sum())
        if not 0 <= needed <= flexible_mw:
            raise ValueError(f"thermal and CHP plants cannot cover {needed:.0f} MW")
        gen["p_mw"] = (fixed + (gen["max_p_mw"] * needed / flexible_mw).where(flexible, 0.0)).round(
            1
        )
        solve_ac(net)
        imported = float(net.res_ext_grid["p_mw"].sum())
        losses = round(imported + float(gen.loc[on, "p_mw"].sum()) - load_mw, 1)


def solve_ac(net: Any) -> None:
    """Newton-Raphson from the DC solution (a flat start does not converge on this grid)."""
    pp.runpp(net, algorithm="nr", init="dc", calculate_voltage_angles=True, max_iteration=30)


def _compensate(net: Any) -> None:
    """Capacitor banks at load buses whose intact voltage is below :data:`MIN_VM_PU`.

    Loads draw reactive power at a 0.95 power factor, but the 110 kV and
    distribution networks behind a substation are partly compensated, which
    the model does not hold. Each round adds a bank of :data:`BANK_MVAR` at
    every load bus still below :data:`MIN_VM_PU` (at most :data:`BANK_LIMIT` times the
    reactive power the bus's loads draw: static compensators where long lines feed
    a large load), until none is or :data:`COMPENSATION_ROUNDS` are done.
    """
    load_bus = (
        net.load.loc[net.load["in_service"], ["bus", "q_mvar"]].groupby("bus")["q_mvar"].sum()
    )
    banks: dict[int, float] = {}
    for _ in range(COMPENSATION_ROUNDS):
        solve_ac(net)
        vm = net.res_bus["vm_pu"]
        low = [
            int(b)
            for b in load_bus.index
            if vm.at[b] < MIN_VM_PU and banks.get(b, 0.0) + BANK_MVAR <= BANK_LIMIT * load_bus.at[b]
        ]
        if not low:
            break
        for b in low:
            banks[b] = banks.get(b, 0.0) + BANK_MVAR
    for b in sorted(banks):
        pp.create_shunt(
            net,
            bus=b,
            q_mvar=-banks[b],
            p_mw=0.0,
            vn_kv=float(net.bus.at[b, "vn_kv"]),
            name=f"capacitor bank {net.bus.at[b, 'name']}",
        )

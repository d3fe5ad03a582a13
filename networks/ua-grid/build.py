"""Build the ``ua-grid`` network from the files in ``inputs/``.

Run ``python networks/ua-grid/build.py`` to rewrite ``network.json``,
``substations.csv``, ``buses.csv``, ``loads.csv``, ``regions.csv``,
``regions.geojson`` and ``provenance.csv`` next to this script, or
``--out DIR`` to write them somewhere else. The result depends only on the
inputs: running it twice gives byte-identical files. Only pandapower and
pandas are used (not gridmodel), so the network can be rebuilt without the
package.

The parts:

- :mod:`topology`: which buses, stations and lines of the GridKit extract
  are in the model, and why not;
- :mod:`naming`: substation ids and display names;
- :mod:`demand`: peak demand by class, oblast and substation, and customers;
- :mod:`demand_loads`: the loads;
- :mod:`elements`: the pandapower elements (buses, lines, transformers,
  reactors, the equivalents of Continental Europe and Moldova, plants), the
  dispatch and the compensation;
- :mod:`tables`: ``substations.csv``, ``regions.csv``, ``provenance.csv``.

``README.md`` next to this script describes the model and every source.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
INPUTS = HERE / "inputs"
sys.path[:0] = [str(HERE), str(INPUTS)]

import elements  # noqa: E402
import topology  # noqa: E402
from make_oblasts import region_of  # noqa: E402
from naming import name_stations  # noqa: E402

OUTPUT_FILES = (
    "network.json",
    "substations.csv",
    "buses.csv",
    "loads.csv",
    "regions.csv",
    "regions.geojson",
    "provenance.csv",
)


@dataclass(frozen=True)
class Inputs:
    """The input files, read."""

    buses: pd.DataFrame
    lines: pd.DataFrame
    places: pd.DataFrame
    plants: pd.DataFrame
    oblasts: pd.DataFrame
    demand: pd.DataFrame
    metallurgy: pd.DataFrame
    overrides: pd.DataFrame
    outlines: dict[str, Any]
    front: dict[str, Any]
    settings: dict[str, float]


def read_inputs(folder: Path) -> Inputs:
    """Read every input file of ``folder``."""
    front = pd.read_csv(folder / "front_2022-12.csv")
    ring = [[float(x), float(y)] for x, y in zip(front["lon"], front["lat"], strict=True)]
    settings = pd.read_csv(folder / "settings.csv")
    return Inputs(
        buses=topology.read_gridkit(folder / "buses.csv"),
        lines=topology.read_gridkit(folder / "lines.csv"),
        places=pd.read_csv(folder / "places.csv"),
        plants=pd.read_csv(folder / "plants.csv"),
        oblasts=pd.read_csv(folder / "oblasts.csv"),
        demand=pd.read_csv(folder / "oblast_demand.csv"),
        metallurgy=pd.read_csv(folder / "metallurgy.csv"),
        overrides=pd.read_csv(folder / "station_overrides.csv"),
        outlines=json.loads((folder / "oblasts.geojson").read_text(encoding="utf-8")),
        front={
            "type": "Feature",
            "properties": {"region": "occupied"},
            "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
        },
        settings={
            str(k): float(v) for k, v in zip(settings["key"], settings["value"], strict=True)
        },
    )


def build(inputs: Inputs) -> elements.Built:
    """The pandapower net and its metadata tables."""
    features = inputs.outlines["features"]

    def occupied(lon: float, lat: float) -> bool:
        return region_of(lon, lat, [inputs.front]) is not None

    buses = topology.classify_buses(
        inputs.buses, inputs.overrides, lambda lon, lat: region_of(lon, lat, features), occupied
    )
    lines, dropped = topology.join_lines(inputs.lines, buses)
    lines, pruned = topology.prune_islands(buses, lines)
    dropped += pruned
    plant_buses = {int(b) for b in inputs.plants["bus"].dropna()}
    station_of = topology.group_stations(buses, lines, plant_buses)
    stations = list({id(s): s for s in station_of.values()}.values())
    plant_names = _plant_stations(inputs.plants, buses, station_of)
    fixed = {
        int(r.station_id): str(r.name)
        for r in inputs.overrides.itertuples()
        if isinstance(r.name, str) and r.name
    }
    name_stations(stations, inputs.places, plant_names, fixed)
    places = _controlled_places(inputs.places, features, occupied)
    return elements.build_net(
        elements.Parts(
            buses=buses,
            stations=stations,
            station_of=station_of,
            lines=lines,
            dropped=dropped,
            plants=inputs.plants,
            places=places,
            oblasts=inputs.oblasts,
            demand=inputs.demand,
            metallurgy=inputs.metallurgy,
            settings=inputs.settings,
        )
    )


def _plant_stations(
    plants: pd.DataFrame,
    buses: dict[int, topology.SourceBus],
    station_of: dict[int, topology.Station],
) -> dict[int, tuple[str, str]]:
    """Station key -> (plant id, plant name) of the first plant where the map marks a plant.

    The map marks plant nodes with the plant's type; a plant that GridKit
    attached to an ordinary substation leaves the substation's name alone,
    except a nuclear plant, whose 750/330 kV switchyard is the station.
    """
    named: dict[int, tuple[str, str]] = {}
    for plant in plants.itertuples():
        if pd.isna(plant.bus) or int(plant.bus) not in station_of:
            continue
        station = station_of[int(plant.bus)]
        if buses[int(plant.bus)].symbol == "Substation" and plant.type != "nuclear":
            continue
        named.setdefault(station.key, (str(plant.plant), str(plant.name)))
    return named


def _controlled_places(places: pd.DataFrame, features: list[Any], occupied: Any) -> pd.DataFrame:
    """Ukrainian places with their oblast and whether they were government-controlled."""
    ua = places[places["country"] == "UA"].copy()
    ua["region"] = [
        region_of(lon, lat, features) or "" for lon, lat in zip(ua["lon"], ua["lat"], strict=True)
    ]
    ua["controlled"] = [
        not occupied(lon, lat) for lon, lat in zip(ua["lon"], ua["lat"], strict=True)
    ]
    return ua[ua["region"] != ""].reset_index(drop=True)


def write_outputs(built: elements.Built, outlines: dict[str, Any], out: Path) -> None:
    """Write the network folder files into ``out``."""
    import pandapower as pp

    out.mkdir(parents=True, exist_ok=True)
    pp.to_json(built.net, str(out / "network.json"))
    for frame, name in (
        (built.substations, "substations.csv"),
        (built.buses, "buses.csv"),
        (built.loads, "loads.csv"),
        (built.regions, "regions.csv"),
        (built.provenance, "provenance.csv"),
    ):
        frame.to_csv(out / name, index=False, lineterminator="\n")
    kept = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"region": f["properties"]["region"]},
                "geometry": f["geometry"],
            }
            for f in outlines["features"]
        ],
    }
    (out / "regions.geojson").write_text(json.dumps(kept, separators=(",", ":")) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: build from the inputs and write the outputs."""
    parser = argparse.ArgumentParser(description="Build the ua-grid network from inputs/.")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    parser.add_argument("--inputs", type=Path, default=INPUTS, help="input folder")
    args = parser.parse_args(argv)
    inputs = read_inputs(args.inputs)
    write_outputs(build(inputs), inputs.outlines, args.out)


if __name__ == "__main__":
    main()

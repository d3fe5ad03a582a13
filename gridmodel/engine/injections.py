"""Sources and loads of a compiled grid, read from the pandapower net.

The base dispatch comes from ``rundcpp`` on the intact net; each ``ext_grid``,
``gen`` and ``sgen`` becomes a unit with its base output and maximum, each
``load`` a row with its customers, priority and region, and everything else
that draws power (shunts, wards, storage, motors) a fixed consumption per
internal bus.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd

from gridmodel.network.grid import Grid


def base_dispatch(net: object) -> tuple[pd.Series, pd.Series]:
    """External-grid and generator output in the DC flow of the net as given (MW).

    Equal to the set points except for slack units, which balance the case.
    """
    import pandapower as pp

    base = copy.deepcopy(net)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.rundcpp(base)
        return (
            base.res_ext_grid["p_mw"].astype(float),  # type: ignore[attr-defined]
            base.res_gen["p_mw"].astype(float),  # type: ignore[attr-defined]
        )
    except Exception:  # an unsolvable base case: start from the set points
        return (
            pd.Series(0.0, index=net.ext_grid.index),  # type: ignore[attr-defined]
            pd.Series(np.nan, index=net.gen.index),  # type: ignore[attr-defined]
        )


def source_units(net: object, ext_grid_p: pd.Series, gen_p: pd.Series) -> dict[str, list]:
    """Sources: ext_grid (base output from the intact DC flow), gen, sgen.

    Maximum output: ``max_p_mw`` where given and finite; otherwise a gen's
    ``sn_mva`` (or its set point), an ext_grid is unlimited, an sgen delivers
    its set point.
    """
    kinds: list[str] = []
    index: list[int] = []
    bus: list[int] = []
    forming: list[bool] = []
    p0: list[float] = []
    pmax: list[float] = []

    def col(df: pd.DataFrame, name: str) -> np.ndarray:
        return df[name].to_numpy(dtype=float) if name in df else np.full(len(df), np.nan)

    eg = net.ext_grid  # type: ignore[attr-defined]
    for i, b, mx, p in zip(
        eg.index, eg["bus"], col(eg, "max_p_mw"), ext_grid_p.reindex(eg.index), strict=True
    ):
        kinds.append("ext_grid")
        index.append(int(i))
        bus.append(int(b))
        forming.append(True)
        p0.append(float(p) if np.isfinite(p) else 0.0)
        pmax.append(float(mx) if np.isfinite(mx) and mx > 0 else np.inf)
    gen = net.gen  # type: ignore[attr-defined]
    scaling = col(gen, "scaling")
    solved = gen_p.reindex(gen.index).to_numpy(dtype=float)
    for i, b, p, sc, mx, sn, p_dc in zip(
        gen.index,
        gen["bus"],
        col(gen, "p_mw"),
        scaling,
        col(gen, "max_p_mw"),
        col(gen, "sn_mva"),
        solved,
        strict=True,
    ):
        setpoint = float(p) * (float(sc) if np.isfinite(sc) else 1.0)
        if np.isfinite(p_dc):
            setpoint = float(p_dc)
        cap = mx if np.isfinite(mx) else (sn if np.isfinite(sn) and sn > 0 else max(setpoint, 0.0))
        kinds.append("gen")
        index.append(int(i))
        bus.append(int(b))
        forming.append(True)
        p0.append(setpoint)
        pmax.append(float(max(cap, 0.0)))
    sgen = net.sgen  # type: ignore[attr-defined]
    sscaling = col(sgen, "scaling")
    for i, b, p, sc in zip(sgen.index, sgen["bus"], col(sgen, "p_mw"), sscaling, strict=True):
        setpoint = float(p) * (float(sc) if np.isfinite(sc) else 1.0)
        kinds.append("sgen")
        index.append(int(i))
        bus.append(int(b))
        forming.append(False)
        p0.append(setpoint)
        pmax.append(max(setpoint, 0.0))
    return {"kind": kinds, "index": index, "bus": bus, "forming": forming, "p0": p0, "pmax": pmax}


def load_columns(grid: Grid) -> dict[str, list]:
    load = grid.net.load
    scaling = load["scaling"].to_numpy(dtype=float) if "scaling" in load else np.ones(len(load))
    p = load["p_mw"].to_numpy(dtype=float) * np.where(np.isfinite(scaling), scaling, 1.0)
    meta = grid.loads.reindex(load.index)
    region = grid.load_region().reindex(load.index)
    return {
        "index": [int(i) for i in load.index],
        "bus": [int(b) for b in load["bus"]],
        "p_mw": list(p),
        "customers": [int(c) for c in meta["customers"]],
        "priority": [int(c) for c in meta["priority"]],
        "region": [str(r) for r in region],
    }


def fixed_consumption(
    ppc: dict, net: object, bus_lookup: dict[int, int], loads: dict, units: dict, base_mva: float
) -> np.ndarray:
    """Active power drawn at each internal bus by everything but loads and sgens.

    Shunt conductance, wards, storage and motors are not curtailable and not
    counted as customers' load; they are drawn whenever their bus is energised.
    """
    bus = ppc["bus"].real
    from pandapower.pypower.idx_bus import GS, PD  # only when compiling

    total = bus[:, PD] + bus[:, GS]  # MW at 1 pu voltage
    own = np.zeros(len(total))
    np.add.at(own, [bus_lookup[b] for b in loads["bus"]], np.asarray(loads["p_mw"], dtype=float))
    for kind, b, p in zip(units["kind"], units["bus"], units["p0"], strict=True):
        if kind == "sgen":
            own[bus_lookup[b]] -= p
    fixed = total - own
    fixed[np.abs(fixed) < 1e-9] = 0.0
    return fixed

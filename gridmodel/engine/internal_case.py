"""pandapower's internal case (``ppc``) for :func:`~gridmodel.engine.compiled.compile_grid`.

The net is copied with every element in service and every island given a
reference bus, so the internal case holds every branch and bus of the file;
the elements out of service in the file are remembered separately.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

from gridmodel.errors import NetworkError


def prepared_copy(net: Any) -> Any:
    """A copy of ``net`` with every element in service and no open branch switch.

    The compiled grid keeps parameters for every element; which ones are out of
    service is the base state's business.
    """
    work = copy.deepcopy(net)
    for table in ("line", "trafo", "gen", "sgen", "ext_grid", "load", "bus"):
        df = getattr(work, table)
        if len(df):
            df["in_service"] = True
    if len(work.line):
        # pandapower's DC solve divides by the reactance; a zero-impedance line
        # gets a tiny one here and MIN_REACTANCE_PU in the compiled arrays
        zero_x = work.line["x_ohm_per_km"].astype(float) == 0.0
        work.line.loc[zero_x, "x_ohm_per_km"] = 1e-12
    if len(work.trafo):  # the same for a transformer without reactance (vk = vkr)
        vk, vkr = work.trafo["vk_percent"].astype(float), work.trafo["vkr_percent"].astype(float)
        work.trafo.loc[vk == vkr, "vk_percent"] = vkr[vk == vkr] + 1e-9
    sw = work.switch
    if len(sw):
        branch_switch = sw["et"].isin(["l", "t"]) & ~sw["closed"].astype(bool)
        sw.loc[branch_switch, "closed"] = True
    return work


def base_out_of_service(net: object) -> set[tuple[str, int]]:
    """Elements out of service in the file, or cut by an open line/trafo switch."""
    out: set[tuple[str, int]] = set()
    for table in ("line", "trafo", "gen", "sgen", "ext_grid", "load"):
        df = getattr(net, table)
        out |= {(table, int(i)) for i in df.index[~df["in_service"].astype(bool)]}
    sw = net.switch  # type: ignore[attr-defined]
    if len(sw):
        for et, kind in (("l", "line"), ("t", "trafo")):
            opened = sw[(sw["et"] == et) & ~sw["closed"].astype(bool)]
            out |= {(kind, int(e)) for e in opened["element"]}
    return out


def internal_case(work: object) -> tuple[dict, dict]:
    """pandapower's internal case (ppc) and lookups for the prepared copy."""
    import pandapower as pp

    if len(work.trafo3w):  # type: ignore[attr-defined]
        raise NetworkError(
            "three-winding transformers are not supported yet",
            field="trafo3w",
            allowed="networks with lines and two-winding transformers",
        )
    give_every_island_a_reference(work)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.rundcpp(work)
    except Exception as exc:  # pandapower raises many kinds
        raise NetworkError(f"pandapower could not build the DC model: {exc}") from exc
    return work._ppc, work._pd2ppc_lookups  # type: ignore[attr-defined]


def give_every_island_a_reference(work: Any) -> None:
    """Make every gen a slack and put an ext_grid on each island without a source.

    pandapower leaves islands without a slack out of its internal case (their
    loads vanish from the bus demand) and refuses a net with no slack at all.
    The internal case's branch and bus data do not depend on where the
    references are, and ``work`` is a private copy.
    """
    import pandapower as pp
    import pandapower.topology as top

    if len(work.gen):
        work.gen["slack"] = True
    sources = set(work.ext_grid["bus"].astype(int)) | set(work.gen["bus"].astype(int))
    graph = top.create_nxgraph(work, respect_switches=True)
    for component in top.connected_components(graph):
        buses = {int(b) for b in component}
        if not buses & sources:
            pp.create_ext_grid(work, min(buses))

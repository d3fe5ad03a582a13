"""A net's numbers are checked when it is loaded: one line, never a traceback (issue 18).

Hypothesis puts a drawn bad value (text, NaN, an infinity, a huge or
out-of-range number) into a drawn numeric column of pandapower's case30, and
the command line must end with exit code 2 and one line naming the file,
``table.column``, the element and what is allowed. Customers in ``loads.csv``
and a load's MW go through the same path. The hypothesis test loads the net
with ``gridmodel networks show``, the cheapest command that loads it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pandapower as pp
import pandapower.networks as pn
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.errors import NetworkError
from gridmodel.network.catalog import available_networks, load_network
from gridmodel.network.values import BUS_COLUMNS, VALUE_COLUMNS, check_net_values

runner = CliRunner()
EXAMPLES = int(os.environ.get("GRIDMODEL_FUZZ_EXAMPLES", "0")) or 15

#: Values no numeric column of a net accepts, whatever its range.
BAD = ["abc", "", math.nan, math.inf, -math.inf, 1e308, -1e308, [1.0], True]
#: Columns of case30 (checked by this module or by metadata.check_power_values).
NET = pn.case30()
COLUMNS = [
    (spec.table, spec.column, spec.open_ended)
    for spec in VALUE_COLUMNS
    if spec.table in NET and spec.column in NET[spec.table].columns and len(NET[spec.table])
] + [
    ("load", "p_mw", False),
    ("gen", "p_mw", False),
    ("bus", "vn_kv", False),
    *[(t, c, False) for t, c in BUS_COLUMNS if t in NET and len(NET[t])],
    ("line", "in_service", False),
]


def _with(table: str, column: str, value: Any) -> Any:
    net = pn.case30()
    net[table][column] = net[table][column].astype(object)
    net[table].at[net[table].index[0], column] = value
    return net


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(place=st.sampled_from(COLUMNS), value=st.sampled_from(BAD))
def test_a_bad_number_in_a_net_is_one_line(tmp_path: Path, place: Any, value: Any) -> None:
    table, column, open_ended = place
    if open_ended and (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return  # no limit given: allowed
    if column == "in_service" and value is True:
        return  # a flag may be true
    file = tmp_path / "net.json"
    pp.to_json(_with(table, column, value), str(file))
    result = runner.invoke(app, ["networks", "show", str(file)])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (place, value, result.output)
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    assert lines[0].startswith(f"gridmodel: error: {file}: {table}.{column}: "), lines[0]
    assert f"{table} 0 has {column} = " in lines[0] and "(allowed: " in lines[0]


@pytest.mark.parametrize(
    ("table", "column", "value", "allowed"),
    [
        ("line", "max_i_ka", "abc", "finite numbers from 0 to 1e+06"),
        ("line", "from_bus", 99, "indices of the net's buses (0 to 29)"),
        ("line", "length_km", math.nan, "finite numbers from 0 to 100000"),
        ("gen", "max_p_mw", "lots", "finite numbers from -1e+07 to 1e+07, empty or infinite"),
        ("line", "in_service", "yes", "true or false"),
    ],
)
def test_the_error_names_what_is_allowed(table: str, column: str, value: Any, allowed: str) -> None:
    with pytest.raises(NetworkError) as caught:
        check_net_values(_with(table, column, value), "net.json")
    assert caught.value.field == f"{table}.{column}"
    assert caught.value.allowed is not None and caught.value.allowed.startswith(allowed)


def test_an_unlimited_source_is_allowed() -> None:
    net = pn.case30()
    net.gen["max_p_mw"] = math.inf
    net.ext_grid["max_p_mw"] = math.nan
    check_net_values(net, "net.json")  # no error


#: Published cases with the most extreme parameters: short-circuit voltages of
#: thousands of percent (case57), negative resistance (case145) and negative
#: magnetising current (GBreducednetwork); the bundled ua-grid.
EXTREMES = ("case57", "case145", "GBreducednetwork", "ua-grid")


@pytest.mark.parametrize("name", EXTREMES)
def test_published_extremes_pass(name: str) -> None:
    assert name in available_networks()
    assert load_network(name).net.bus.shape[0] > 0


def test_customers_and_load_mw_overflow_nothing(tmp_path: Path) -> None:
    """``customers 1e308`` once overflowed to -9223372036854775808 customers off."""
    folder = tmp_path / "nine"
    folder.mkdir()
    pp.to_json(pn.case9(), str(folder / "network.json"))
    (folder / "loads.csv").write_text("load,customers,priority\n0,1e308,4\n", encoding="utf-8")
    result = runner.invoke(app, ["impact", str(folder), "--strike", "bus:4"])
    assert result.exit_code == 2 and "loads.csv: customers: " in result.stderr, result.output
    assert "-922337" not in result.output
    net = pn.case9()
    net.load.at[0, "p_mw"] = 1e308
    pp.to_json(net, str(tmp_path / "big.json"))
    result = runner.invoke(app, ["impact", str(tmp_path / "big.json"), "--strike", "bus:4"])
    assert result.exit_code == 2 and "load.p_mw" in result.stderr, result.output

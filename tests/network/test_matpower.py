"""A MATPOWER case is bounded in what it costs to read (gridmodel.network.matpower).

A level-5 MAT-file keeps variables in zlib streams that scipy inflates whole:
a few hundred kB of zeros become hundreds of MB. gridmodel counts what the
streams inflate to, in 1 MB steps, and refuses a file past the limit. A ``.m``
case that assigns a field thousands of times took matpowercaseframes hours.
"""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pytest
from pandapower.converter.matpower import to_mpc
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.errors import NetworkError
from gridmodel.network.catalog import load_network
from gridmodel.network.matpower import check_mat_expansion

runner = CliRunner()
MB = 1 << 20


def _bomb(n_bytes: int) -> bytes:
    """A level-5 MAT-file: its header and one compressed element of ``n_bytes`` zeros."""
    packer = zlib.compressobj(9)
    chunks = [packer.compress(bytes(MB)) for _ in range(n_bytes // MB)]
    stream = b"".join([*chunks, packer.flush()])
    header = b"MATLAB 5.0 MAT-file".ljust(116, b" ") + bytes(8) + struct.pack("<H", 0x0100)
    return header + b"IM" + struct.pack("<II", 15, len(stream)) + stream


def test_the_count_stops_past_the_limit() -> None:
    data = _bomb(64 * MB)
    assert len(data) < MB // 4  # a thousandfold compression, as the module says
    with pytest.raises(NetworkError, match="expands to more than 8 MB"):
        check_mat_expansion(data, file="x.mat", limit=8 * MB)
    check_mat_expansion(data, file="x.mat", limit=64 * MB)  # exactly at the limit: read


def test_gridmodel_refuses_a_mat_bomb_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bomb.mat"
    path.write_bytes(_bomb(300 * MB))
    result = runner.invoke(app, ["networks", "show", str(path)])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gridmodel: error: {path}: its data expands to more than 256 MB")


def test_a_broken_stream_is_a_network_error() -> None:
    data = _bomb(MB)
    with pytest.raises(NetworkError, match="not a valid MATPOWER case"):
        check_mat_expansion(data[:136] + b"\xff\xff" + data[138:], file="x.mat")


def test_a_mat_case_pandapower_writes_still_loads(tmp_path: Path) -> None:
    ref = pn.case9()
    pp.runpp(ref)
    path = tmp_path / "case9.mat"
    to_mpc(ref, str(path))
    grid = load_network(path)
    assert len(grid.net.bus) == 9 and len(grid.net.line) + len(grid.net.trafo) == 9
    pp.rundcpp(ref)
    net = grid.net
    pp.rundcpp(net)
    np.testing.assert_allclose(
        np.sort(net.res_bus["va_degree"].to_numpy()),
        np.sort(ref.res_bus["va_degree"].to_numpy()),
        atol=1e-6,
    )


DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("mpc.bus = [\n" * 40_000, "mpc.bus"),
        ("% mpc.gen = [\n" * 3, "mpc.gen"),
        ("function mpc = again\n", "function mpc"),
        ("mpc.branch\n" * 20_000, "mpc.branch"),
    ],
)
def test_a_case_assigning_a_field_twice_is_refused_at_once(
    tmp_path: Path, extra: str, field: str
) -> None:
    path = tmp_path / "case.m"
    path.write_text((DATA / "case9.m").read_text(encoding="utf-8") + extra, encoding="utf-8")
    started = time.perf_counter()
    result = runner.invoke(app, ["networks", "show", str(path)])
    assert time.perf_counter() - started < 20  # 1,000 assignments took 4 minutes
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gridmodel: error: {path}: {field}: {field} is assigned ")


def test_matpower_cases_still_load() -> None:
    grid = load_network(DATA / "case9.m")
    assert len(grid.net.bus) == 9 and len(grid.net.gen) + len(grid.net.ext_grid) == 3

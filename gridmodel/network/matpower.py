"""Bounding what a MATPOWER case costs to read, before the parsers see it.

``.mat``: a MAT-file (level 5) stores each variable as a data element; a
compressed element (``miCOMPRESSED``) holds a zlib stream that
``scipy.io.loadmat`` inflates whole. A file of a few MB can thus expand to
tens of GB (zeros compress a thousandfold). :func:`check_mat_expansion` walks
the file's top-level elements and inflates each compressed one in 1 MB steps,
counting and discarding the output, and refuses the file once the total
passes the limit: memory stays flat whatever the file claims. Files that are
not level-5 MAT-files (MATLAB v4, v7.3/HDF5, other bytes) are left to scipy,
which reads v4 without compression and refuses the rest.

``.m``: matpowercaseframes searches the whole text for every ``mpc.<field>``
line, from each place the field is assigned: a file that assigns ``mpc.bus``
1,000 times (12 kB) took 4 minutes, 500 times 40 s, growing with the cube.
:func:`check_m_text` refuses a case that assigns a field, or names its
function, more than once, in one pass over the text.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections import Counter
from pathlib import Path

from gridmodel.errors import NetworkError
from gridmodel.inputs import NETWORK_LIMIT, format_size

# an assignment as matpowercaseframes searches for it (anywhere, not only at a line start)
_ASSIGNMENT = re.compile(r"(function\s*mpc|mpc\.\w+)\s*=", re.ASCII)
# a field as matpowercaseframes lists them: each listing searches the whole text
_LISTED = re.compile(r"^\s*(mpc\.[^\s=]*)", re.MULTILINE)
_HEADER = 128
_COMPRESSED = 15
_STEP = 1 << 20


def check_mat_expansion(data: bytes, *, file: str | Path, limit: int = NETWORK_LIMIT) -> None:
    """Refuse a level-5 MAT-file whose variables expand to more than ``limit`` bytes.

    Parameters
    ----------
    data
        The whole file.
    file
        The file, for the message.
    limit
        Largest total size of the variables once inflated.

    Raises
    ------
    NetworkError
        The compressed data expands beyond ``limit`` (the message states it),
        or a compressed element is not a valid zlib stream.
    """
    order = {b"IM": "<", b"MI": ">"}.get(data[126:_HEADER])
    if len(data) < _HEADER or order is None:
        return
    pos, total = _HEADER, 0
    while pos + 8 <= len(data):
        kind, size = struct.unpack_from(order + "II", data, pos)
        if kind >> 16:  # a small element: type and size share the tag, data in 4 bytes
            pos += 8
            continue
        body = data[pos + 8 : pos + 8 + size]
        if kind == _COMPRESSED:
            total += _inflated(body, limit - total, file)
        else:
            total += len(body)
        if total > limit:
            raise NetworkError(
                f"its data expands to more than {format_size(limit)}",
                file=file,
                allowed=f"a MATPOWER .mat case of at most {format_size(limit)} once uncompressed",
            )
        pos += 8 + size


def _inflated(body: bytes, budget: int, file: str | Path) -> int:
    """Bytes ``body`` inflates to, counting stops once past ``budget``."""
    stream = zlib.decompressobj()
    count, rest = 0, body
    try:
        while count <= budget:
            out = stream.decompress(rest, _STEP)
            count += len(out)
            rest = stream.unconsumed_tail
            if stream.eof or (not rest and not out):
                break
    except zlib.error as exc:
        raise NetworkError(
            f"cannot read network file: not a valid MATPOWER case (compressed data: {exc})",
            file=file,
        ) from None
    return count


def check_m_text(text: str, *, file: str | Path) -> None:
    """Refuse a ``.m`` case that assigns a ``mpc`` field, or its function, more than once.

    A line that starts with a MATPOWER field (``mpc.bus``) counts as an
    assignment too: the parser searches the text for each such line.

    Raises
    ------
    NetworkError
        Naming the field assigned twice or more.
    """
    from matpowercaseframes.constants import ATTRIBUTES

    fields = {f"mpc.{name}" for name in ATTRIBUTES}
    assigned = Counter(re.sub(r"\s+", " ", m.group(1)) for m in _ASSIGNMENT.finditer(text))
    listed = Counter(m.group(1) for m in _LISTED.finditer(text) if m.group(1) in fields)
    for name, count in (assigned | listed).items():
        if count > 1:
            raise NetworkError(
                f"{name} is assigned or listed {count} times",
                file=file,
                field=name,
                allowed="a MATPOWER case assigning each mpc field once",
            )

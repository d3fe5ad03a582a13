"""Which outages an N-k criticality study evaluates, a chunk at a time.

The outages are numbered ``0 .. count - 1`` in evaluation order: every single
substation (``k=1``), every pair in lexicographic order (``(0,1), (0,2), ...``)
or, beyond ``max_pairs``, the seeded sample of pairs in the same order. Chunk
``c`` holds outages ``c*C .. (c+1)*C - 1``; its substation positions are
computed from the outage numbers, so memory does not grow with the number of
pairs (a seeded sample keeps its sorted pair numbers: 8 bytes a pair).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields

import numpy as np

from gridmodel.engine import CompiledGrid
from gridmodel.errors import OptionError
from gridmodel.inputs import check_count
from gridmodel.studies.outages import (
    ALL_PAIRS,
    MAX_PAIRS_CAP,
    CriticalityOptions,
    pair_from_index,
)

#: Largest number of outages in one chunk file (and the default's upper end).
MAX_CHUNK_SIZE = 1_000_000
#: Bounds of the default chunk size: a 32nd of the outages, within these.
DEFAULT_CHUNK_RANGE = (500, 20_000)


@dataclass(frozen=True)
class OutageSpace:
    """The outages of one study: ``count`` of the ``total`` possible ones.

    Parameters
    ----------
    substations
        Number of substations of the network.
    k
        Substations lost together (1 or 2).
    total
        Outages possible: ``substations`` or all pairs.
    count
        Outages evaluated (``total`` unless ``sampled``).
    sampled
        Pairs are a seeded sample (``seed``) of all pairs.
    seed
        Seed of the sample.
    """

    substations: int
    k: int
    total: int
    count: int
    sampled: bool
    seed: int
    _sample: np.ndarray | None = field(default=None, repr=False, compare=False)

    def positions(self, start: int, stop: int) -> np.ndarray:
        """Substation positions (shape ``(stop - start, k)``) of outages ``start .. stop-1``."""
        if self.k == 1:
            return np.arange(start, stop, dtype=np.int64).reshape(-1, 1)
        numbers = (
            np.arange(start, stop, dtype=np.int64)
            if self._sample is None
            else self._sample[start:stop]
        )
        return pair_from_index(numbers, self.substations)


def outage_space(substations: int, options: CriticalityOptions) -> OutageSpace:
    """The outages ``options`` asks for on a network of ``substations`` substations.

    Raises
    ------
    OptionError
        ``max_pairs="all"`` on a network of more than
        :data:`~gridmodel.studies.outages.MAX_PAIRS_CAP` pairs.
    """
    n = substations
    if options.k == 1:
        return OutageSpace(n, 1, n, n, False, options.seed)
    total = n * (n - 1) // 2
    if options.max_pairs == ALL_PAIRS:
        if total > MAX_PAIRS_CAP:
            raise OptionError(
                f"all: the network's {n:,} substations make {total:,} pairs, "
                f"more than {MAX_PAIRS_CAP:,}",
                field="max_pairs",
                allowed=f"all on networks of up to {MAX_PAIRS_CAP:,} pairs, or a number of pairs "
                "to sample",
            )
        return OutageSpace(n, 2, total, total, False, options.seed)
    wanted = int(options.max_pairs)
    if total <= wanted:
        return OutageSpace(n, 2, total, total, False, options.seed)
    rng = np.random.default_rng(options.seed)
    chosen = np.sort(rng.choice(total, size=wanted, replace=False))
    return OutageSpace(n, 2, total, wanted, True, options.seed, chosen)


def default_chunk_size(count: int) -> int:
    """Outages per chunk: a 32nd of ``count`` within :data:`DEFAULT_CHUNK_RANGE`.

    About 32 chunks keep two workers (or a small cluster) busy to the end and
    a resume cheap; the bounds keep a chunk's fixed cost small and its file
    under a few MB.
    """
    low, high = DEFAULT_CHUNK_RANGE
    return min(high, max(low, -(-count // 32)))


def check_chunk_size(chunk_size: int) -> int:
    """``chunk_size`` if it is 1 to :data:`MAX_CHUNK_SIZE`, else :class:`OptionError`."""
    return check_count(chunk_size, field="chunk_size", high=MAX_CHUNK_SIZE)


def grid_fingerprint(compiled: CompiledGrid) -> str:
    """SHA-256 of what a criticality study of ``compiled`` depends on.

    The compiled arrays (branches, units, loads, ratings: every number the
    engine reads) and the grid's substation, bus and load metadata: a resume
    on an edited network is refused. The same network compiled twice, in any
    process, gives the same text; the pandapower net itself is not read.
    """
    digest = hashlib.sha256(compiled.grid.name.encode("utf-8"))
    for item in fields(compiled):
        text = _value_bytes(getattr(compiled, item.name))
        if text is not None:
            digest.update(f"\0{item.name}\0".encode() + text)
    grid = compiled.grid
    meta = [("substations", grid.substations), ("loads", grid.loads)]
    meta.append(("bus_substation", grid.bus_substation.to_frame()))
    for name, table in meta:
        digest.update(f"\0{name}\0".encode())
        digest.update(table.to_csv().encode("utf-8"))  # as text: the same whatever the dtypes
    return digest.hexdigest()


def _value_bytes(value: object) -> bytes | None:
    """A field of a compiled grid as bytes that do not depend on how it is stored.

    Numbers as 64-bit (a grid compiled now or read back from a cache gives
    the same bytes), text as its list; the grid (hashed by the caller),
    options (in the manifest), containers and factorisations (made from
    the arrays) give ``None``.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":  # text: not its pointers
            return repr(value.tolist()).encode("utf-8")
        kind = value.dtype.kind
        wide: np.ndarray = value.astype({"f": np.float64, "c": np.complex128}.get(kind, np.int64))
        return f"{value.shape}".encode() + np.ascontiguousarray(wide).tobytes()
    if isinstance(value, bool | int | float):
        return repr(float(value)).encode()
    if isinstance(value, str):
        return value.encode("utf-8")
    return None

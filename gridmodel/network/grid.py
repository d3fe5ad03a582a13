"""The network as gridmodel sees it: a pandapower net plus its metadata.

A :class:`Grid` is plain data. The pandapower net is the source of truth for
the electrical data; the metadata tables say which buses form a substation,
which region a substation belongs to, how many customers each load serves and
in which priority class, and how many rotation groups each region has.

Nothing here mutates the net: treat ``Grid.net`` as read-only and copy it
(``copy.deepcopy``) before changing anything.

A grid read back from the cache of compiled grids holds a :class:`DeferredNet`
instead of the net: the net is parsed the first time ``Grid.net`` is read (an
AC check, a report), so a command that needs only the metadata and the
compiled arrays never imports pandapower.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridmodel.errors import close_matches
from gridmodel.network.outlines import Outline

#: Element kinds a strike or a repair can name.
ELEMENT_KINDS: tuple[str, ...] = (
    "substation",
    "bus",
    "line",
    "trafo",
    "gen",
    "sgen",
    "ext_grid",
    "load",
)

#: Kinds whose identifier is a pandapower table index (an integer).
TABLE_KINDS: frozenset[str] = frozenset(ELEMENT_KINDS) - {"substation"}
#: Largest element index ``parse_element`` accepts (pandapower indices are int64).
MAX_INDEX = 2**63 - 1
# at most 19 digits, so int() never meets a digit string longer than int64's
_INDEX = re.compile(r"[0-9]{1,19}", re.ASCII)

#: Priority classes of loads, highest first: a lower number is shed later and
#: restored sooner. Classes 1-4 are the restoration priority Ukraine set in Dec
#: 2022 (public figures, DOMAIN.md): 1) critical infrastructure, 2) defence
#: industry, 3) producers of essential goods, 4) households. Other industry is
#: not on that list, so it comes last as class 5: shed first, restored last.
#: (Households keep class 4 so that existing networks and the default class
#: :data:`~gridmodel.network.defaults.DEFAULT_PRIORITY` are unchanged.)
PRIORITY_CLASSES: dict[int, str] = {
    1: "critical (hospitals, water, heat)",
    2: "defence industry",
    3: "essential goods",
    4: "households",
    5: "industry (other than defence and essential goods)",
}


@dataclass(frozen=True, order=False)
class Element:
    """One element of a grid, named by kind and identifier.

    ``id`` is the pandapower table index (an ``int``) for every kind but
    ``substation``, whose identifier is the substation id (a ``str``).
    Written as ``"kind:id"`` (``"line:12"``, ``"substation:KYIV"``).
    """

    kind: str
    id: int | str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """Key for a stable, human-friendly order (by kind, then numerically)."""
        order = ELEMENT_KINDS.index(self.kind) if self.kind in ELEMENT_KINDS else 99
        if isinstance(self.id, int):
            return (order, self.id, "")
        return (order, -1, str(self.id))


class DeferredNet:
    """A pandapower net parsed on first use: ``load()`` is called at most once.

    Thread-safe: threads reading ``Grid.net`` at once wait for one parse.
    """

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load: Callable[[], Any] | None = load
        self._net: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the net has been parsed."""
        return self._load is None

    def get(self) -> Any:
        """The net, parsed now if it was not yet."""
        with self._lock:
            if self._load is not None:
                self._net = self._load()
                self._load = None
            return self._net

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        # pickled or deep-copied (sent to a worker process): the net itself goes
        return (_loaded, (self.get(),))


def _loaded(net: Any) -> DeferredNet:
    """A :class:`DeferredNet` that holds ``net`` already (unpickling)."""
    deferred = DeferredNet(lambda: net)
    deferred.get()
    return deferred


class _NetField:
    """Descriptor of ``Grid.net``: resolves a :class:`DeferredNet` on read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_value"

    def __get__(self, grid: Any, owner: type | None = None) -> Any:
        if grid is None:  # class access: the field has no default
            raise AttributeError("net")
        value = grid.__dict__[self._slot]
        return value.get() if isinstance(value, DeferredNet) else value

    def __set__(self, grid: Any, value: Any) -> None:
        grid.__dict__[self._slot] = value


@dataclass(frozen=True, eq=False)
class Grid:
    """A pandapower network with substation, region and customer metadata.

    Attributes
    ----------
    name
        Catalog name, or the file stem for a network given by path.
    net
        The pandapower network (read-only by convention). May be given as a
        :class:`DeferredNet`, parsed the first time it is read.
    substations
        Index ``substation`` (str). Columns ``name`` (str), ``region`` (str),
        ``lat`` and ``lon`` (float, degrees; for networks without real
        coordinates these are layout coordinates), ``vn_kv`` (float, the
        highest nominal voltage among its buses).
    bus_substation
        Index: every bus index of ``net.bus``; values: substation id.
    loads
        Index: every load index of ``net.load``. Columns ``customers`` (int),
        ``priority`` (int, 1 critical ... 4 households, 5 other industry;
        see :data:`PRIORITY_CLASSES`).
    regions
        Index ``region`` (str). Column ``groups`` (int): the number of
        rotation groups (queues) in the region.
    source
        Where the network came from (catalog name or file path), for messages.
    outlines
        Region outlines for the map (a bundled folder's ``regions.geojson``),
        empty when the network has none. Regions without substations may
        have one.
    """

    name: str
    if TYPE_CHECKING:
        net: Any
    else:
        net: Any = _NetField()  # a descriptor: a DeferredNet is parsed on first read
    substations: pd.DataFrame
    bus_substation: pd.Series
    loads: pd.DataFrame
    regions: pd.DataFrame
    source: str
    outlines: tuple[Outline, ...] = ()

    @property
    def net_loaded(self) -> bool:
        """Whether the net is in memory (False: deferred and not read yet)."""
        value = self.__dict__["_net_value"]
        return not isinstance(value, DeferredNet) or value.loaded

    def buses_of(self, substation: str) -> list[int]:
        """Bus indices that belong to ``substation``."""
        mask = self.bus_substation == substation
        return sorted(int(b) for b in self.bus_substation.index[mask])

    def bus_region(self) -> pd.Series:
        """Region of every bus (index: bus index)."""
        return self.bus_substation.map(self.substations["region"])

    def load_region(self) -> pd.Series:
        """Region of every load (index: load index)."""
        return self.net.load["bus"].map(self.bus_region())

    def region_names(self) -> list[str]:
        """Region names in metadata order."""
        return [str(r) for r in self.regions.index]


def parse_element(text: str, *, kinds: tuple[str, ...] = ELEMENT_KINDS) -> Element:
    """Parse ``"kind:id"`` into an :class:`Element`.

    ``id`` is a pandapower index for every kind but ``substation``: ASCII
    digits ``0-9`` only (no sign, space or other script's digits such as
    ``"١"`` or ``"４"``, which Python's ``int`` would take), at most
    :data:`MAX_INDEX`. A substation's id is its identifier: non-empty text
    without spaces around it. Nothing is stripped: ``"bus: 4"`` is refused.

    Raises
    ------
    ValueError
        With a message saying what is wrong and which kinds are allowed.
    """
    kind, sep, ident = text.partition(":")
    if not sep or not ident:
        raise ValueError(f"{text!r} is not 'kind:id'")
    if kind not in kinds:
        near = close_matches(kind.strip(), kinds)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"unknown element kind {kind!r} in {text!r}{hint}")
    if kind == "substation":
        if ident != ident.strip():
            raise ValueError(f"substation id {ident!r} has spaces around it")
        return Element(kind, ident)
    if not _INDEX.fullmatch(ident) or int(ident) > MAX_INDEX:
        raise ValueError(
            f"{kind} id must be a non-negative integer index in ASCII digits 0-9 "
            f"(at most {MAX_INDEX}), got {ident!r}"
        )
    return Element(kind, int(ident))

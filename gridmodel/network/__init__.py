"""Networks: the pandapower net and its substation, region and customer metadata.

:mod:`~.grid` (the :class:`~gridmodel.network.grid.Grid` and its elements),
:mod:`~.catalog` (networks by name or path), :mod:`~.metadata` (the metadata
files of a bundled network folder) with :mod:`~.defaults` (for a network
without them) and :mod:`~.columns` (reading CSV columns with clear errors),
:mod:`~.outlines` (the region outlines of a bundled folder, for the map),
:mod:`~.bundle` (``networks import``) and :mod:`~.listing` (``networks list``,
with its kept rows).
"""

"""AC power flow of evaluated states: the check and its backends.

:mod:`~gridmodel.engine.ac.check` runs the check; a backend
(:class:`~gridmodel.engine.ac.backend.AcBackend`) solves one state:
:mod:`~gridmodel.engine.ac.pandapower` (``runpp``) or
:mod:`~gridmodel.engine.ac.lightsim` (a lightsim2grid model per grid, with its
fixed-pattern and per-island instances in
:mod:`~gridmodel.engine.ac.lightsim_fixed` and
:mod:`~gridmodel.engine.ac.lightsim_island`).
"""

"""Studies: what combines the stages into answers (the public Python API's home).

:mod:`~.impact` (who loses power in one grid state), :mod:`~.run` (one
scenario sample from strikes to the rolling schedule, and its run folder,
:mod:`~.run_folder`), :mod:`~.compare` (repair strategies on common random
numbers), :mod:`~.montecarlo` (many samples, resumable), :mod:`~.criticality`
(N-k ranking; its outages in :mod:`~.outages`). They share
:mod:`~.context` (a scenario's grid, compiled once, and its strike plan),
:mod:`~.restore` (the restoration stage of a sample),
:mod:`~.network_state` (the map state a run folder holds) and
:mod:`~.workers` (process pools and what a worker keeps).
"""

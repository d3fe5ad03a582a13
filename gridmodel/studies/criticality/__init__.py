"""N-k criticality: which substations, and which pairs, hurt most when lost.

:func:`criticality` is the API (:mod:`~.sweep`); the outages and their chunks
are in :mod:`~.space`, the ranking in :mod:`~.ranking`, the resumable folder
in :mod:`~.store`, where chunks run in :mod:`~.executors`.
"""

from gridmodel.studies.criticality.ranking import COLUMNS, RANKED_MAX
from gridmodel.studies.criticality.results import criticality_summary, intact_state
from gridmodel.studies.criticality.sweep import MAX_TOP, check_counts, criticality, rank_outages

__all__ = [
    "COLUMNS",
    "MAX_TOP",
    "RANKED_MAX",
    "check_counts",
    "criticality",
    "criticality_summary",
    "intact_state",
    "rank_outages",
]

"""N-k criticality: which substations, and which pairs, hurt most when lost."""

from gridmodel.studies.criticality.sweep import (
    COLUMNS,
    MAX_TOP,
    check_counts,
    criticality,
    criticality_summary,
    intact_state,
    rank_outages,
    write_criticality,
)

__all__ = [
    "COLUMNS",
    "MAX_TOP",
    "check_counts",
    "criticality",
    "criticality_summary",
    "intact_state",
    "rank_outages",
    "write_criticality",
]

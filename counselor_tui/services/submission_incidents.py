"""Section 4 of a submission, critical incidents (DESIGN §8 item 4;
``docs/submission-json.md``). Kept apart from
:mod:`counselor_tui.services.submission_compile`, which calls :func:`incidents_section` with
its query.
"""

from __future__ import annotations

from typing import Any

from counselor_tui.domain.incidents import INCIDENT_KINDS, default_policy
from counselor_tui.reports.content import STEP_COLUMNS, series, table
from counselor_tui.services.submission_team import Query


def incidents_section(q: Query) -> dict[str, Any]:
    """Section 4, critical incidents: incidents reported in the period by kind, those still
    open at its end (``:cutoff``), and each response step due in the period by how it ended
    (on time, late, waived, open and overdue, pending), per the bureau's response policy
    (DESIGN §7.3, ``docs/submission-json.md``)."""
    w = q.where_unit("i.unit_id")
    reported = q.rows(
        "SELECT i.kind, COUNT(*) FROM incident i WHERE i.voided_at IS NULL "
        f"AND i.reported_at >= :start AND i.reported_at < :end{w} GROUP BY i.kind")
    still_open = q.rows(
        "SELECT i.kind, COUNT(*) FROM incident i WHERE i.voided_at IS NULL "
        "AND i.reported_at < :cutoff AND (i.closed_at IS NULL OR i.closed_at > :cutoff)"
        f"{w} GROUP BY i.kind")
    closed = ("CASE WHEN st.waived_reason IS NOT NULL THEN COALESCE(st.done_at, st.updated_at) "
              "ELSE st.done_at END")
    is_closed = f"({closed} IS NOT NULL AND {closed} <= :cutoff)"
    steps = q.rows(
        "SELECT st.step, CASE "
        f"WHEN {is_closed} AND st.waived_reason IS NOT NULL THEN 'waived' "
        f"WHEN {is_closed} AND st.done_at <= st.due_at THEN 'on_time' "
        f"WHEN {is_closed} THEN 'late' "
        "WHEN st.due_at < :cutoff THEN 'open_overdue' ELSE 'pending' END, COUNT(*) "
        "FROM incident_step st JOIN incident i ON i.id = st.incident_id "
        f"WHERE i.voided_at IS NULL AND st.due_at >= :start AND st.due_at < :end{w} "
        "GROUP BY 1, 2")
    kinds = tuple(INCIDENT_KINDS)
    return {
        "figures": {},
        "tables": {
            "reported_by_kind": series(reported, kinds),
            "open_at_end_by_kind": series(still_open, kinds),
            "steps": table(steps, default_policy().step_order, STEP_COLUMNS),
        },
    }

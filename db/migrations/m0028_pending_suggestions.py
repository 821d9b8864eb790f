"""Migration 28: the pending tier suggestions by a partial index (issue 18).

The dashboard's tier suggestions block counts the pending suggestions and lists the 20 most
urgent (:func:`counselor_tui.services.tier_policy.dashboard_section`); a province vault holds
41,004 suggestions of which 404 are pending, and both statements read every one of them. The
index holds the pending ones only (a suggestion leaves it when confirmed, rejected or void),
with the columns the count and the order need.
"""

from __future__ import annotations

from typing import Any

NAME = "pending tier suggestions index"

STATEMENTS = (
    """CREATE INDEX "tier_suggestion_pending" ON "tier_suggestion"
        ("tier", "created_at", "person_id") WHERE "status" = 'pending'""",
)


def up(conn: Any) -> None:
    """Create the partial index."""
    for statement in STATEMENTS:
        conn.execute(statement)

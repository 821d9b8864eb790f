"""Migration 4: a covering index of completed, non-voided assessments by instrument and date.

Census completion, the dashboard's census progress and the submission's screening section
all read "which officers completed instrument X between two dates"; this index answers
that without touching (and decrypting) the assessment rows.
"""

from __future__ import annotations

from typing import Any

NAME = "screening index: completed assessments by instrument and date"

STATEMENTS = (
    """CREATE INDEX "assessment_screening" ON "assessment"
        ("instrument_code", "administered_on", "person_id", "positive", "id")
        WHERE "voided_at" IS NULL AND "complete" = 1""",
)


def up(conn: Any) -> None:
    """Create the covering index."""
    for statement in STATEMENTS:
        conn.execute(statement)

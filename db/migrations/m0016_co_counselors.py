"""Migration 16: several counselors per session (issue 15 item 6).

``session_counselor`` names the co-counselors of a session besides its author
(``counseling_session.counselor_id``); each counts the session in their workload (the team
figures, :func:`counselor_tui.services.team.team_summary`).
"""

from __future__ import annotations

from typing import Any

NAME = "several counselors per session (session_counselor)"

STATEMENTS = (
    'CREATE TABLE "session_counselor" ("session_id" INTEGER NOT NULL, '
    '"user_id" INTEGER NOT NULL, PRIMARY KEY ("session_id", "user_id"), '
    'FOREIGN KEY ("session_id") REFERENCES "counseling_session" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id"))',
    'CREATE INDEX "session_counselor_user_id" ON "session_counselor" ("user_id")',
)


def up(conn: Any) -> None:
    """Create the table (empty)."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 8: counseling sessions carry an edit ``version`` (issue 14).

The optimistic check of two counselors editing one session compared ``updated_at``, whose
storage form has one-second resolution: two saves within the same second looked like the
same version. ``counseling_session.version`` (1 for every existing row) goes up by one at
every change through the edit form's service (``services.sessions.update_session``), and
the form's check compares it instead.
"""

from __future__ import annotations

from typing import Any

NAME = "counseling sessions carry an edit version (same-second edits are caught)"

STATEMENTS = (
    'ALTER TABLE "counseling_session" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1',
)


def up(conn: Any) -> None:
    """Add the column (existing rows: version 1)."""
    for statement in STATEMENTS:
        conn.execute(statement)

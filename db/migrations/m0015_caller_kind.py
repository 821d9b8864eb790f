"""Migration 15: an anonymous caller has a category (issue 15 item 6).

``counseling_session.caller_kind`` says who an anonymous caller is — ``officer``,
``family``, ``other`` or ``unknown`` (:data:`counselor_tui.domain.vocab.CALLER_KINDS`) —
so the anonymous contacts can be told apart without a name. Null for sessions with a
person, and for anonymous sessions recorded before (read as ``unknown``).
"""

from __future__ import annotations

from typing import Any

NAME = "an anonymous caller has a category (counseling_session.caller_kind)"

STATEMENTS = (
    'ALTER TABLE "counseling_session" ADD COLUMN "caller_kind" TEXT',
)


def up(conn: Any) -> None:
    """Add the column (existing rows: null)."""
    for statement in STATEMENTS:
        conn.execute(statement)

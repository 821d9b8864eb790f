"""Migration 23: the month's sessions read from one covering index (issue 18).

A monthly submission (:mod:`counselor_tui.services.submission_compile`) reads every
non-voided session started in the period with its person, counselor, channel, kind,
referral and minutes. Through ``counseling_session_started_at`` that was one row fetch per
session: a session row carries its note, so a province month (95,814 sessions) decrypted
about half of the table's pages. This index holds exactly the columns the compile reads,
ordered by the session time, so the month is one range scan over the index alone
(``EXPLAIN QUERY PLAN``: ``USING COVERING INDEX counseling_session_month``); the session id
is the index's row id, which the topics join reads. ``voided_at`` is a column (not a partial
index condition) so the planner sees every column it filters on in the index.

The demo builder's bulk path drops and re-creates the session table's indexes from their
stored SQL (:mod:`counselor_tui.demo.fastload`), this one included.
"""

from __future__ import annotations

from typing import Any

NAME = "compile month index: the columns of a period's sessions by session time"

#: The index name the compile's query-plan test looks for.
INDEX = "counseling_session_month"

STATEMENTS = (
    f"""CREATE INDEX "{INDEX}" ON "counseling_session"
        ("started_at", "voided_at", "person_id", "counselor_id", "channel", "kind",
         "referral", "duration_min")""",
)


def up(conn: Any) -> None:
    """Create the covering index (one sort of the session table's columns)."""
    for statement in STATEMENTS:
        conn.execute(statement)

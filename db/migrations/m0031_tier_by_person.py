"""Migration 31: each person's tier and review date in one index (issue 18).

The early-warning list (:func:`counselor_tui.services.analysis.warning_page`) orders its
lines by the person's tier, then name: it looked up ``tier_state`` for each of the 11,392
score warnings at province through ``tier_state_person_id`` and then the row (two b-trees
per line, 80 of its 140 ms). This index holds the person, tier and review date, so the
look-up reads the index alone.
"""

from __future__ import annotations

from typing import Any

NAME = "tier by person: person, tier and review date of tier_state in one index"

STATEMENTS = (
    'CREATE INDEX "tier_state_person_tier" ON "tier_state" ("person_id", "tier", "review_due")',
)


def up(conn: Any) -> None:
    """Create the index."""
    for statement in STATEMENTS:
        conn.execute(statement)

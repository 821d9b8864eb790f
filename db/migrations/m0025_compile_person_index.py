"""Migration 25: what a month's compile looks up per person, in narrow covering indexes
(issue 18).

The compile (:mod:`counselor_tui.services.submission_compile`) looks up by id, for each
session of the period, the person's kind, unit and police type, and for each person served
their first session (migration 19); for the tiers at the period's end it re-reads each person
touched since then (created, archived, unit, current tier) with their tier changes. A person
row carries names, phone, post and sort keys: at province (113,807 persons) the table is far
larger than the page cache, and those look-ups cost two to three times what the same look-ups
cost in a narrow index. So:

* ``person_compile``: keyed by the person id, exactly the person columns the compile reads;
  the compile names it (``INDEXED BY``), since SQLite otherwise prefers the row id
  (``SEARCH p USING COVERING INDEX person_compile (id=?)``);
* ``tier_change_person_at``: a person's tier changes in time order with their tiers (the last
  change before a date, the first change, whether one was an entry) without the change rows;
* ``tier_change_at_person`` and ``tier_state_since_person``: who changed tier, or entered
  one, after a date (the "touched since the period's end" set) without the rows.

Only a write to one of these columns (a new person, a transfer, a void, a first session, a
tier change or entry, an archiving) writes to them.
"""

from __future__ import annotations

from typing import Any

NAME = "compile look-up indexes: person columns by id, tier changes and entries by person and time"

#: The person index the compile's statements name and its query-plan test looks for.
INDEX = "person_compile"

STATEMENTS = (
    f"""CREATE INDEX "{INDEX}" ON "person"
        ("id", "voided_at", "kind", "unit_id", "police_type", "first_session_at",
         "created_at", "archived_at", "tier_now")""",
    """CREATE INDEX "tier_change_person_at" ON "tier_change"
        ("person_id", "at", "id", "from_tier", "to_tier")""",
    'CREATE INDEX "tier_change_at_person" ON "tier_change" ("at", "person_id")',
    'CREATE INDEX "tier_state_since_person" ON "tier_state" ("since", "person_id")',
)


def up(conn: Any) -> None:
    """Create the covering indexes."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 30: each person's rising scores kept on write (issue 18).

The early-warning list (:func:`counselor_tui.services.analysis.early_warnings`) compares
every person's latest complete, non-voided assessment of an instrument with the one before
it (order: ``administered_on``, then ``id``). It numbered every assessment with a window
function and loaded every visible person: 8.3 s at province (480k assessments). The pairs
that could warn are kept here instead:

* ``score_rise(person_id, instrument_code, latest_id, latest_on, latest_total, latest_band,
  latest_positive, previous_total, previous_band, previous_positive)``: one row per person
  and instrument whose latest two complete, non-voided assessments have both totals and
  whose latest one scored higher, moved to another band or became screen-positive
  (``previous_positive = 0 AND latest_positive = 1``). Every early warning by score is one
  of these under any valid policy (:mod:`counselor_tui.domain.analysis`: ``rise`` is
  above 0, a band crossing changes the band); the service applies the policy's rule to them.

Triggers on ``assessment`` (insert, delete, an update of a column the rule reads) recompute
the pair(s) of the row from migration 1's index of a person's assessments by instrument and
day (a few rows). :data:`FILL` computes every pair from what is stored: here for an existing
vault, and in the demo builder's bulk path (:mod:`counselor_tui.demo.bulk`), which sets
:data:`TRIGGERS` aside while it writes.
"""

from __future__ import annotations

from typing import Any

NAME = "score rise: each person's latest two scores per instrument where they rose"

_COLUMNS = ("person_id, instrument_code, latest_id, latest_on, latest_total, latest_band, "
            "latest_positive, previous_total, previous_band, previous_positive")

#: The kept row may warn (latest against previous).
_RISES = ("previous_total IS NOT NULL AND latest_total IS NOT NULL "
          "AND (latest_total > previous_total OR latest_band IS NOT previous_band "
          "OR (previous_positive = 0 AND latest_positive = 1))")

_COUNTED = "voided_at IS NULL AND complete = 1"

#: Recompute the pair of ``{r}`` (``new`` or ``old``) from its stored assessments.
_RECOMPUTE = (
    "DELETE FROM score_rise WHERE person_id = {r}.person_id "
    "AND instrument_code = {r}.instrument_code; "
    f"INSERT INTO score_rise({_COLUMNS}) SELECT * FROM ("
    "SELECT l.person_id, l.instrument_code, l.id, l.administered_on, l.total AS latest_total, "
    "l.band AS latest_band, l.positive AS latest_positive, pr.total AS previous_total, "
    "pr.band AS previous_band, pr.positive AS previous_positive "
    "FROM (SELECT * FROM assessment WHERE person_id = {r}.person_id "
    f"AND instrument_code = {{r}}.instrument_code AND {_COUNTED} "
    "ORDER BY administered_on DESC, id DESC LIMIT 1) AS l, "
    "(SELECT * FROM assessment WHERE person_id = {r}.person_id "
    f"AND instrument_code = {{r}}.instrument_code AND {_COUNTED} "
    "ORDER BY administered_on DESC, id DESC LIMIT 1 OFFSET 1) AS pr) "
    f"WHERE {_RISES}"
)

#: Every kept pair from what is stored (also run by the demo builder, which sets the per-row
#: triggers aside while it writes; the same rows as the triggers keep).
FILL = (
    "DELETE FROM score_rise",
    f"INSERT INTO score_rise({_COLUMNS}) SELECT * FROM ("
    "SELECT person_id, instrument_code, "
    "max(CASE WHEN rn = 1 THEN id END) AS latest_id, "
    "max(CASE WHEN rn = 1 THEN administered_on END) AS latest_on, "
    "max(CASE WHEN rn = 1 THEN total END) AS latest_total, "
    "max(CASE WHEN rn = 1 THEN band END) AS latest_band, "
    "max(CASE WHEN rn = 1 THEN positive END) AS latest_positive, "
    "max(CASE WHEN rn = 2 THEN total END) AS previous_total, "
    "max(CASE WHEN rn = 2 THEN band END) AS previous_band, "
    "max(CASE WHEN rn = 2 THEN positive END) AS previous_positive "
    "FROM (SELECT person_id, instrument_code, id, administered_on, total, band, positive, "
    "ROW_NUMBER() OVER (PARTITION BY person_id, instrument_code "
    "ORDER BY administered_on DESC, id DESC) AS rn "
    f"FROM assessment WHERE {_COUNTED}) WHERE rn <= 2 "
    "GROUP BY person_id, instrument_code HAVING count(*) = 2) "
    f"WHERE {_RISES}",
)

#: Every trigger of this migration (the demo builder sets them aside while it writes, then
#: runs :data:`FILL`).
TRIGGERS = ("score_rise_ai", "score_rise_au", "score_rise_ad")

STATEMENTS = (
    """CREATE TABLE "score_rise" ("person_id" INTEGER NOT NULL,
        "instrument_code" TEXT NOT NULL, "latest_id" INTEGER NOT NULL,
        "latest_on" TEXT NOT NULL, "latest_total" REAL, "latest_band" TEXT,
        "latest_positive" INTEGER, "previous_total" REAL, "previous_band" TEXT,
        "previous_positive" INTEGER,
        PRIMARY KEY ("person_id", "instrument_code")) WITHOUT ROWID""",
    *FILL,
    f"""CREATE TRIGGER "score_rise_ai" AFTER INSERT ON "assessment" BEGIN
        {_RECOMPUTE.format(r='new')};
    END""",
    f"""CREATE TRIGGER "score_rise_au" AFTER UPDATE OF person_id, instrument_code,
        administered_on, total, band, positive, voided_at, complete ON "assessment" BEGIN
        {_RECOMPUTE.format(r='old')};
        {_RECOMPUTE.format(r='new')};
    END""",
    f"""CREATE TRIGGER "score_rise_ad" AFTER DELETE ON "assessment" BEGIN
        {_RECOMPUTE.format(r='old')};
    END""",
)


def up(conn: Any) -> None:
    """Create the table (filled from the current data) and its triggers."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 12: people who move or leave, and retention (issue 15 point 2).

* ``person.left_reason`` — why a former officer left service (``retired``,
  ``transferred_out``, ``resigned``, ``deceased``); the date stays in ``archived_at``;
* ``person.deidentified_at`` — when the retention run replaced the person's identifying
  fields and notes (PIPL Art. 19/47), or NULL;
* ``person_move`` — dated transfers between units and leavings, so period figures count a
  person under the unit they were in at the time;
* ``person_version`` — what an edit of a person's details changed (old and new values).
"""

from __future__ import annotations

from typing import Any

NAME = "people who move or leave: dated moves, edit history, leave reason, de-identification"

STATEMENTS = (
    'ALTER TABLE "person" ADD COLUMN "left_reason" TEXT',
    'ALTER TABLE "person" ADD COLUMN "deidentified_at" TEXT',
    """CREATE TABLE "person_move" ("id" INTEGER NOT NULL PRIMARY KEY,
        "person_id" INTEGER NOT NULL, "kind" TEXT NOT NULL, "on_date" TEXT NOT NULL,
        "from_unit_id" INTEGER, "to_unit_id" INTEGER, "reason" TEXT, "note" TEXT NOT NULL,
        "by_id" INTEGER NOT NULL, "at" TEXT NOT NULL,
        FOREIGN KEY ("person_id") REFERENCES "person" ("id"),
        FOREIGN KEY ("from_unit_id") REFERENCES "unit" ("id"),
        FOREIGN KEY ("to_unit_id") REFERENCES "unit" ("id"),
        FOREIGN KEY ("by_id") REFERENCES "user" ("id"))""",
    'CREATE INDEX "person_move_person_id_on_date" ON "person_move" ("person_id", "on_date")',
    'CREATE INDEX "person_move_kind_on_date" ON "person_move" ("kind", "on_date")',
    """CREATE TABLE "person_version" ("id" INTEGER NOT NULL PRIMARY KEY,
        "person_id" INTEGER NOT NULL, "changed" TEXT NOT NULL, "by_id" INTEGER NOT NULL,
        "at" TEXT NOT NULL,
        FOREIGN KEY ("person_id") REFERENCES "person" ("id"),
        FOREIGN KEY ("by_id") REFERENCES "user" ("id"))""",
    'CREATE INDEX "person_version_person_id" ON "person_version" ("person_id")',
)


def up(conn: Any) -> None:
    """Add the columns, tables and indexes (existing persons: no moves, no versions)."""
    for statement in STATEMENTS:
        conn.execute(statement)

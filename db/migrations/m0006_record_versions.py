"""Migration 6: training records and activities keep their versions; training records can
be voided (issue 19).

* ``training_record`` gains ``voided_at``, ``voided_by_id``, ``void_reason`` (a voided record
  stays stored and leaves every total) and ``version`` (1 for every existing row);
  ``activity`` gains ``version`` (it was voidable already).
* A correction keeps the replaced version as a row of ``training_record_version`` /
  ``activity_version`` (its fields as they were, who replaced it and when); triggers refuse
  UPDATE and DELETE of those rows.
"""

from __future__ import annotations

from typing import Any

NAME = "record versions: corrected training records and activities keep the old version"

STATEMENTS = (
    'ALTER TABLE "training_record" ADD COLUMN "voided_at" TEXT',
    'ALTER TABLE "training_record" ADD COLUMN "voided_by_id" INTEGER '
    'REFERENCES "user" ("id")',
    'ALTER TABLE "training_record" ADD COLUMN "void_reason" TEXT',
    'ALTER TABLE "training_record" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1',
    'CREATE INDEX "training_record_voided_by_id" ON "training_record" ("voided_by_id")',
    'ALTER TABLE "activity" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1',
    """CREATE TABLE "training_record_version" ("id" INTEGER NOT NULL PRIMARY KEY,
        "record_id" INTEGER NOT NULL, "version" INTEGER NOT NULL, "user_id" INTEGER NOT NULL,
        "date" TEXT NOT NULL, "title" TEXT NOT NULL, "hours" REAL NOT NULL,
        "provider" TEXT NOT NULL, "replaced_at" TEXT NOT NULL,
        "replaced_by_id" INTEGER NOT NULL,
        FOREIGN KEY ("record_id") REFERENCES "training_record" ("id"),
        FOREIGN KEY ("user_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("replaced_by_id") REFERENCES "user" ("id"))""",
    'CREATE UNIQUE INDEX "training_record_version_record_id_version" '
    'ON "training_record_version" ("record_id", "version")',
    'CREATE INDEX "training_record_version_user_id" ON "training_record_version" ("user_id")',
    'CREATE INDEX "training_record_version_replaced_by_id" '
    'ON "training_record_version" ("replaced_by_id")',
    """CREATE TABLE "activity_version" ("id" INTEGER NOT NULL PRIMARY KEY,
        "activity_id" INTEGER NOT NULL, "version" INTEGER NOT NULL, "kind" TEXT NOT NULL,
        "title" TEXT NOT NULL, "date" TEXT NOT NULL, "unit_id" INTEGER, "group_id" INTEGER,
        "participants" INTEGER NOT NULL, "hours" REAL NOT NULL, "note" TEXT NOT NULL,
        "counselor_ids" TEXT NOT NULL, "replaced_at" TEXT NOT NULL,
        "replaced_by_id" INTEGER NOT NULL,
        FOREIGN KEY ("activity_id") REFERENCES "activity" ("id"),
        FOREIGN KEY ("unit_id") REFERENCES "unit" ("id"),
        FOREIGN KEY ("group_id") REFERENCES "interest_group" ("id"),
        FOREIGN KEY ("replaced_by_id") REFERENCES "user" ("id"))""",
    'CREATE UNIQUE INDEX "activity_version_activity_id_version" '
    'ON "activity_version" ("activity_id", "version")',
    'CREATE INDEX "activity_version_unit_id" ON "activity_version" ("unit_id")',
    'CREATE INDEX "activity_version_group_id" ON "activity_version" ("group_id")',
    'CREATE INDEX "activity_version_replaced_by_id" ON "activity_version" ("replaced_by_id")',
)

_GUARDED = ("training_record_version", "activity_version")


def up(conn: Any) -> None:
    """Add the void and version columns, the version tables and their guards."""
    for statement in STATEMENTS:
        conn.execute(statement)
    for table in _GUARDED:
        conn.execute(f"""CREATE TRIGGER "{table}_no_update" BEFORE UPDATE ON "{table}" BEGIN
            SELECT RAISE(ABORT, 'kept versions are never changed'); END""")
        conn.execute(f"""CREATE TRIGGER "{table}_no_delete" BEFORE DELETE ON "{table}" BEGIN
            SELECT RAISE(ABORT, 'kept versions are never deleted'); END""")

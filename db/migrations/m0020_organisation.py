"""Migration 20: the programme's organisation (issue 16 item 1; models in
:mod:`db.models_org`).

``org_member``: the protection committee's and its office's members (post, account or name,
term, part-time counselor); ``cadre_training``: 教导员 and 政工干部 trained. Both start empty.
"""

from __future__ import annotations

from typing import Any

NAME = "organisation: committee and office members, cadre trainings"

_KEPT = (
    '"created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, '
    '"updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL, "voided_at" TEXT, '
    '"voided_by_id" INTEGER, "void_reason" TEXT, '
)
_KEPT_KEYS = (
    'FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"), '
    'FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"), '
    'FOREIGN KEY ("voided_by_id") REFERENCES "user" ("id")'
)

STATEMENTS = (
    'CREATE TABLE "org_member" ("id" INTEGER NOT NULL PRIMARY KEY, ' + _KEPT
    + '"post" TEXT NOT NULL, "user_id" INTEGER, "name" TEXT NOT NULL, "job" TEXT NOT NULL, '
    '"starts_on" TEXT NOT NULL, "ends_on" TEXT, "counselor" INTEGER NOT NULL, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id"), ' + _KEPT_KEYS + ")",
    'CREATE INDEX "org_member_post" ON "org_member" ("post", "starts_on")',
    'CREATE TABLE "cadre_training" ("id" INTEGER NOT NULL PRIMARY KEY, ' + _KEPT
    + '"name" TEXT NOT NULL, "post" TEXT NOT NULL, "unit_id" INTEGER, '
    '"on_date" TEXT NOT NULL, "title" TEXT NOT NULL, "hours" REAL NOT NULL, '
    'FOREIGN KEY ("unit_id") REFERENCES "unit" ("id"), ' + _KEPT_KEYS + ")",
    'CREATE INDEX "cadre_training_on_date" ON "cadre_training" ("on_date")',
)


def up(conn: Any) -> None:
    """Create the two tables (empty)."""
    for statement in STATEMENTS:
        conn.execute(statement)

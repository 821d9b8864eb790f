"""Migration 18: a bureau's own instrument definitions (issue 16 point 4).

``bureau_instrument`` keeps every version of every definition a coordinator added: the
TOML text as validated (in the encrypted vault), its SHA-256, its code, its declared version
and a revision number (1, 2, … per code, in the order added). Rows are never changed or
deleted (triggers refuse it): an assessment stays bound to the version it was scored with
(``assessment.instrument_code`` + ``assessment.instrument_version``, unique here).
"""

from __future__ import annotations

from typing import Any

NAME = "a bureau's own instrument definitions (bureau_instrument)"

STATEMENTS = (
    """CREATE TABLE "bureau_instrument" ("id" INTEGER NOT NULL PRIMARY KEY,
        "code" TEXT NOT NULL, "version" TEXT NOT NULL, "revision" INTEGER NOT NULL,
        "name_zh" TEXT NOT NULL, "name_en" TEXT NOT NULL, "item_count" INTEGER NOT NULL,
        "definition" TEXT NOT NULL, "sha256" TEXT NOT NULL, "created_at" TEXT NOT NULL,
        "created_by_id" INTEGER NOT NULL,
        FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"))""",
    'CREATE UNIQUE INDEX "bureau_instrument_code_revision" '
    'ON "bureau_instrument" ("code", "revision")',
    'CREATE UNIQUE INDEX "bureau_instrument_code_version" '
    'ON "bureau_instrument" ("code", "version")',
    'CREATE INDEX "bureau_instrument_created_by_id" ON "bureau_instrument" ("created_by_id")',
    """CREATE TRIGGER "bureau_instrument_no_update" BEFORE UPDATE ON "bureau_instrument" BEGIN
        SELECT RAISE(ABORT, 'instrument definitions are never changed'); END""",
    """CREATE TRIGGER "bureau_instrument_no_delete" BEFORE DELETE ON "bureau_instrument" BEGIN
        SELECT RAISE(ABORT, 'instrument definitions are never deleted'); END""",
)


def up(conn: Any) -> None:
    """Create the table (empty) and its guards."""
    for statement in STATEMENTS:
        conn.execute(statement)

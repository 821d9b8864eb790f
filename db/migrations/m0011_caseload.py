"""Migration 11: appointments, handovers, consents and referral exports (issue 15, points
3–5; the models are in :mod:`db.models_care`).

New tables only, nothing existing changes: ``appointment`` (scheduled sessions),
``handover`` with ``case_access`` / ``follow_up_holder`` / ``step_holder`` (what a handover
moved and who holds it now), ``consent`` (知情同意 with date and scope) and
``referral_export`` (who exported whose archive, to whom, for what).
"""

from __future__ import annotations

from typing import Any

NAME = "appointments, handovers, consents and referral exports"

_TRACKED = ('"created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL, '
            '"updated_at" TEXT NOT NULL, "updated_by_id" INTEGER NOT NULL')

STATEMENTS = (
    f"""CREATE TABLE IF NOT EXISTS "appointment" ("id" INTEGER NOT NULL PRIMARY KEY,
        "person_id" INTEGER, "caller_label" TEXT, "counselor_id" INTEGER NOT NULL,
        "starts_at" TEXT NOT NULL, "duration_min" INTEGER NOT NULL, "channel" TEXT NOT NULL,
        "note" TEXT NOT NULL, "status" TEXT NOT NULL, "session_id" INTEGER,
        "cancel_reason" TEXT, {_TRACKED},
        FOREIGN KEY ("person_id") REFERENCES "person" ("id"),
        FOREIGN KEY ("counselor_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("session_id") REFERENCES "counseling_session" ("id"),
        FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("updated_by_id") REFERENCES "user" ("id"))""",
    'CREATE INDEX IF NOT EXISTS "appointment_starts_at" ON "appointment" ("starts_at")',
    'CREATE INDEX IF NOT EXISTS "appointment_counselor_id_starts_at" ON "appointment" '
    '("counselor_id", "starts_at")',
    'CREATE INDEX IF NOT EXISTS "appointment_person_id" ON "appointment" ("person_id")',
    """CREATE TABLE IF NOT EXISTS "handover" ("id" INTEGER NOT NULL PRIMARY KEY,
        "from_user_id" INTEGER NOT NULL, "to_user_id" INTEGER NOT NULL, "at" TEXT NOT NULL,
        "by_id" INTEGER NOT NULL, "reason" TEXT NOT NULL, "disabled" INTEGER NOT NULL,
        "moved" TEXT NOT NULL,
        FOREIGN KEY ("from_user_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("to_user_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("by_id") REFERENCES "user" ("id"))""",
    """CREATE TABLE IF NOT EXISTS "case_access" ("person_id" INTEGER NOT NULL, "user_id" INTEGER NOT NULL,
        "granted" INTEGER NOT NULL, "handover_id" INTEGER NOT NULL,
        PRIMARY KEY ("person_id", "user_id"),
        FOREIGN KEY ("person_id") REFERENCES "person" ("id"),
        FOREIGN KEY ("user_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("handover_id") REFERENCES "handover" ("id"))""",
    'CREATE INDEX IF NOT EXISTS "case_access_user_id_granted" ON "case_access" ("user_id", "granted")',
    """CREATE TABLE IF NOT EXISTS "follow_up_holder" ("session_id" INTEGER NOT NULL PRIMARY KEY,
        "user_id" INTEGER NOT NULL, "handover_id" INTEGER NOT NULL,
        FOREIGN KEY ("session_id") REFERENCES "counseling_session" ("id"),
        FOREIGN KEY ("user_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("handover_id") REFERENCES "handover" ("id"))""",
    'CREATE INDEX IF NOT EXISTS "follow_up_holder_user_id" ON "follow_up_holder" ("user_id")',
    """CREATE TABLE IF NOT EXISTS "step_holder" ("step_id" INTEGER NOT NULL PRIMARY KEY,
        "user_id" INTEGER NOT NULL, "handover_id" INTEGER NOT NULL,
        FOREIGN KEY ("step_id") REFERENCES "incident_step" ("id"),
        FOREIGN KEY ("user_id") REFERENCES "user" ("id"),
        FOREIGN KEY ("handover_id") REFERENCES "handover" ("id"))""",
    'CREATE INDEX IF NOT EXISTS "step_holder_user_id" ON "step_holder" ("user_id")',
    """CREATE TABLE IF NOT EXISTS "consent" ("id" INTEGER NOT NULL PRIMARY KEY,
        "person_id" INTEGER NOT NULL, "given_on" TEXT NOT NULL, "scope" TEXT NOT NULL,
        "note" TEXT NOT NULL, "created_at" TEXT NOT NULL, "created_by_id" INTEGER NOT NULL,
        FOREIGN KEY ("person_id") REFERENCES "person" ("id"),
        FOREIGN KEY ("created_by_id") REFERENCES "user" ("id"))""",
    'CREATE INDEX IF NOT EXISTS "consent_person_id" ON "consent" ("person_id")',
    """CREATE TABLE IF NOT EXISTS "referral_export" ("id" INTEGER NOT NULL PRIMARY KEY,
        "person_id" INTEGER NOT NULL, "recipient" TEXT NOT NULL, "purpose" TEXT NOT NULL,
        "include_sealed" INTEGER NOT NULL, "package_name" TEXT NOT NULL,
        "package_sha256" TEXT NOT NULL, "at" TEXT NOT NULL, "by_id" INTEGER NOT NULL,
        FOREIGN KEY ("person_id") REFERENCES "person" ("id"),
        FOREIGN KEY ("by_id") REFERENCES "user" ("id"))""",
    'CREATE INDEX IF NOT EXISTS "referral_export_person_id" ON "referral_export" ("person_id")',
)


def up(conn: Any) -> None:
    """Create the tables and their indexes."""
    for statement in STATEMENTS:
        conn.execute(statement)

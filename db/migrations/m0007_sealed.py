"""Migration 7: sealed notes and the signing key encrypted to their readers, signed role
grants, audit events signed by their actor (issue 11).

Adds ``sealed_text`` (AES-256-GCM blobs of sealed sessions' text and addenda) and
``sealed_wrap`` (each secret wrapped by HPKE to each reader's slot key); see
:mod:`db.sealing`. Moving an existing vault's plain sealed notes and signing key into them
needs the slots' public keys, so it is done by :func:`db.sealing.seal_pending`, called by
the unlock in the same transaction as this schema change. ``role_grant`` holds the signed
grants of :mod:`db.grants` (filled at the first admin unlock of an old vault).
"""

from __future__ import annotations

from typing import Any

NAME = "sealed notes and signing key encrypted to their readers; signed role grants"

STATEMENTS = (
    """CREATE TABLE "sealed_text" ("kind" TEXT NOT NULL, "ref_id" INTEGER NOT NULL,
        "blob" BLOB NOT NULL, PRIMARY KEY ("kind", "ref_id")) WITHOUT ROWID""",
    """CREATE TABLE "sealed_wrap" ("kind" TEXT NOT NULL, "ref_id" INTEGER NOT NULL,
        "recipient" TEXT NOT NULL, "username" TEXT NOT NULL, "wrapped" BLOB NOT NULL,
        PRIMARY KEY ("kind", "ref_id", "recipient")) WITHOUT ROWID""",
    'CREATE INDEX "sealed_wrap_recipient" ON "sealed_wrap" ("recipient", "kind")',
    'CREATE INDEX "counseling_session_sealed" ON "counseling_session" ("id") WHERE "sealed" = 1',
    """CREATE TABLE "role_grant" ("seq" INTEGER NOT NULL PRIMARY KEY,
        "username" TEXT NOT NULL, "role" TEXT NOT NULL, "slot_public" TEXT NOT NULL,
        "account_key" TEXT NOT NULL, "granted_by" TEXT NOT NULL, "grantor_key" TEXT NOT NULL,
        "at" TEXT NOT NULL, "audit_from" INTEGER NOT NULL, "signature" BLOB NOT NULL)""",
    'ALTER TABLE "audit_event" ADD COLUMN "signer" TEXT',
    'ALTER TABLE "audit_event" ADD COLUMN "sig" BLOB',
)


def up(conn: Any) -> None:
    """Create the tables and indexes."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 14: a form's unsaved text survives a lock (issue 15 item 7).

``form_draft`` holds one *resume point* per account: the screens that were open when the
vault locked and the content of an open form, written just before the data key is dropped
and offered back at that account's next unlock
(:mod:`counselor_tui.services.drafts`). ``payload`` is AES-256-GCM encrypted with a key
derived from the account's own slot key, inside the SQLCipher file: no other account —
not even one holding the data key — can read it, and it never leaves the vault.
"""

from __future__ import annotations

from typing import Any

NAME = "a form's unsaved text is kept in the vault across a lock (form_draft)"

STATEMENTS = (
    'CREATE TABLE "form_draft" ("user_id" INTEGER NOT NULL PRIMARY KEY, '
    '"saved_at" TEXT NOT NULL, "sealed" INTEGER NOT NULL, "payload" BLOB NOT NULL, '
    'FOREIGN KEY ("user_id") REFERENCES "user" ("id"))',
)


def up(conn: Any) -> None:
    """Create the table (empty)."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 2: search over session notes (FTS5, trigram tokenizer) kept in step by triggers.

Trigram matching needs queries of three or more characters; one- and two-character Chinese
queries use the indexed LIKE/prefix search of the ``person`` columns instead (DESIGN §4).
The index lives inside the encrypted database like every other table.
"""

from __future__ import annotations

from typing import Any

NAME = "session note search index"

STATEMENTS = (
    """CREATE VIRTUAL TABLE "session_note_fts" USING fts5(
        note, content='counseling_session', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER "counseling_session_fts_ai" AFTER INSERT ON "counseling_session" BEGIN
        INSERT INTO session_note_fts(rowid, note) VALUES (new.id, new.note);
    END""",
    """CREATE TRIGGER "counseling_session_fts_ad" AFTER DELETE ON "counseling_session" BEGIN
        INSERT INTO session_note_fts(session_note_fts, rowid, note)
        VALUES ('delete', old.id, old.note);
    END""",
    """CREATE TRIGGER "counseling_session_fts_au" AFTER UPDATE OF note ON "counseling_session"
    BEGIN
        INSERT INTO session_note_fts(session_note_fts, rowid, note)
        VALUES ('delete', old.id, old.note);
        INSERT INTO session_note_fts(rowid, note) VALUES (new.id, new.note);
    END""",
    "INSERT INTO session_note_fts(session_note_fts) VALUES ('rebuild')",
    'CREATE INDEX "person_kind_name_pinyin" ON "person" ("kind", "name_pinyin")',
    'CREATE INDEX "incident_status" ON "incident" ("status")',
    'CREATE INDEX "firearm_restriction_status" ON "firearm_restriction" ("status")',
    'CREATE INDEX "tier_state_tier_review_due" ON "tier_state" ("tier", "review_due")',
    'CREATE INDEX "audit_event_action" ON "audit_event" ("action")',
)


def up(conn: Any) -> None:
    """Create the note index (filled from existing sessions) and the extra lookup indexes."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 10: the note index removes a deleted note's trigrams at once (issue 11).

A note taken out of the shared full-text index — sealed after it was saved, or edited —
left its trigrams in the stored index blocks until a later merge; issue 11 merged the whole
index (FTS5 ``optimize``) at every sealing, one rewrite of the whole index (about 4 s at city
size, DESIGN §11). FTS5's ``secure-delete`` option (SQLite 3.42+, kept in the index's
config table) instead removes a deleted row's entries from the blocks that hold them, at
the cost of the row alone; freed space is zeroed by the connection's ``secure_delete``
pragma (:mod:`db.connection`). One ``optimize`` here clears what earlier deletions left.
"""

from __future__ import annotations

from typing import Any

NAME = "note index: secure-delete"

STATEMENTS = (
    "INSERT INTO session_note_fts(session_note_fts, rank) VALUES ('secure-delete', 1)",
    "INSERT INTO session_note_fts(session_note_fts) VALUES ('optimize')",
)


def up(conn: Any) -> None:
    """Turn on the note index's secure-delete and merge away earlier residue."""
    for statement in STATEMENTS:
        conn.execute(statement)

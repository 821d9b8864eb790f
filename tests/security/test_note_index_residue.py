"""Security (issue 11, third round): migration 10 turns on the note index's FTS5
``secure-delete``, so a note taken out of the shared index (sealed after saving, or edited)
leaves no trigram in the stored blocks — without the whole-index ``optimize`` each sealing
used to run (about 4 s at city size; ``benchmarks/bench_sealed.py``). Real SQLCipher file
brought to schema 9 and upgraded, as an existing vault is.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from db.connection import open_connection
from db.migrations import migrate

AT = "2026-12-01T09:00:00+08:00"


def _residue(conn: Any, marker: str) -> bool:
    return any(marker.encode() in bytes(r[0]) for r in conn.execute(
        "SELECT block FROM session_note_fts_data WHERE block IS NOT NULL"))


def _index(conn: Any, rowid: int, note: str) -> None:
    conn.execute("INSERT INTO session_note_fts(rowid, note) VALUES (?, ?)", (rowid, note))


def _unindex(conn: Any, rowid: int, note: str) -> None:
    conn.execute("INSERT INTO session_note_fts(session_note_fts, rowid, note) "
                 "VALUES ('delete', ?, ?)", (rowid, note))


def test_migration_10_removes_a_deleted_notes_trigrams_at_once(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, AT, target=9)[-1] == 9
        before, after = "谈话 齉齉齉-BEFORE 结束", "谈话 龘龘龘-AFTER 结束"
        for i in range(1, 400):  # an index of some size, merged into one segment
            _index(conn, i, f"来访民警近期连续加班 睡眠不足 {i}")
        _index(conn, 400, before)
        _index(conn, 401, after)
        conn.execute("INSERT INTO session_note_fts(session_note_fts) VALUES ('optimize')")
        _unindex(conn, 400, before)  # schema 9: the trigrams stay in the blocks
        assert _residue(conn, "齉")
        assert migrate(conn, AT, target=10) == [10]
        assert not _residue(conn, "齉")  # the migration's merge cleared earlier residue
        assert conn.execute("SELECT v FROM session_note_fts_config WHERE k = 'secure-delete'"
                            ).fetchone()[0] == 1
        assert _residue(conn, "龘")
        _unindex(conn, 401, after)  # schema 10: gone from the blocks with the row itself
        assert not _residue(conn, "龘")
        assert conn.execute("SELECT count(*) FROM session_note_fts WHERE session_note_fts "
                            "MATCH '来访民警'").fetchone()[0] == 399  # the rest still found
    finally:
        conn.close()

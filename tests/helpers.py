"""Small storage helpers for tests that need rows before the matching services exist."""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from counselor_tui.domain.pinyin import name_keys
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from db.connection import open_connection
from db.migrations import migrate
from db.models import CounselingSession, Person, Unit


def add_note(vs: VaultSession, note: str, *, name: str = "张三", badge: str | None = None) -> int:
    """Insert a unit (once), an officer and a session carrying ``note``; returns the session id."""
    now = vs.now_iso()
    who = {"created_at": now, "created_by": vs.actor.id, "updated_at": now,
           "updated_by": vs.actor.id}
    with vs.transaction():
        unit = Unit.get_or_none(Unit.code == "U01") or Unit.create(
            code="U01", name="城关派出所", police_type="派出所", **who)
        person = Person.create(kind="officer", badge_no=badge, name=name, name_pinyin="zhangsan",
                               name_initials="zs", name_sort=name_keys(name).sort,
                               unit=unit.id, post="", **who)
        session = CounselingSession.create(person=person.id, counselor=vs.actor.id,
                                           started_at=now, duration_min=50,
                                           channel="face_to_face", kind="routine", note=note,
                                           **who)
        audit.record(vs, "create", "counseling_session", session.id, {})
    return int(session.id)


def table_dump(vs: VaultSession, *tables: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables`` ordered by rowid (content comparison across rekey/restore)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with vs.reading():
        for table in tables:
            out[table] = [tuple(r) for r in vs.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]
    return out


def as_schema(conn: Any, version: int) -> None:
    """Turn the open vault on ``conn`` back into schema ``version``, as an older program left
    it: every trigger, index, table and column that migrations 1…``version`` do not create
    is dropped (the schema of a scratch database migrated that far says which), and the
    later version rows go. For upgrade tests; rows of the kept columns stay as they are."""
    scratch = open_connection(Path(tempfile.mkdtemp()) / "schema.db", secrets.token_bytes(32),
                              create=True)
    try:
        migrate(scratch, "2026-01-01T00:00:00+08:00", target=version)
        old = {(str(t), str(n)) for t, n in scratch.execute(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
        columns = {str(t): {str(r[1]) for r in scratch.execute(f'PRAGMA table_info("{t}")')}
                   for kind, t in old if kind == "table"}
    finally:
        scratch.close()
    now = [(str(t), str(n)) for t, n in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()]
    for kind in ("trigger", "index", "table"):
        for t, name in now:
            if t == kind and (t, name) not in old and not name.startswith("session_note_fts_"):
                conn.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    for table, kept in columns.items():
        for r in conn.execute(f'PRAGMA table_info("{table}")').fetchall():
            if str(r[1]) not in kept:
                conn.execute(f'ALTER TABLE "{table}" DROP COLUMN "{r[1]}"')
    conn.execute("DELETE FROM schema_version WHERE version > ?", (version,))


def vault_as_schema(path: Path, key: bytes, version: int) -> set[str]:
    """Take the vault at ``path`` (closed: nothing else may hold it) back to schema
    ``version`` with :func:`as_schema`, in one transaction; returns the names left in its
    ``sqlite_master`` (tables, indexes, triggers), for the upgrade test to check."""
    conn = open_connection(path, key)
    try:
        conn.execute("BEGIN IMMEDIATE")
        as_schema(conn, version)
        conn.execute("COMMIT")
        return {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()


def fresh_interpreter(code: str) -> str:
    """Run ``code`` in a new Python interpreter (this one has imported whatever other tests
    needed) and return its standard output, stripped. Raises
    :class:`subprocess.CalledProcessError` when it fails, :class:`subprocess.TimeoutExpired`
    after 120 s."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.strip()

"""Small storage helpers for tests that need rows before the matching services exist."""

from __future__ import annotations

from typing import Any

from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
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
                               name_initials="zs", unit=unit.id, post="", **who)
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

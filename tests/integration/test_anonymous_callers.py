"""Anonymous callers (issue 15 item 6): a category (officer, family member, other,
unknown) and the list of past anonymous contacts, at the service; migration 15."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from counselor_tui.services import sessions, team
from counselor_tui.services.errors import PermissionDenied
from counselor_tui.services.sessions import SessionDraft, SessionInvalid
from db.connection import open_connection
from db.migrations import migrate
from tests.integration.archive_world import World, officer

pytestmark = pytest.mark.world("archive")


def call(world: World, label: str | None, kind: str | None, person: int | None = None,
         note: str = "") -> SessionDraft:
    return SessionDraft(person_id=person, started_at=world.clock.now(), channel="hotline",
                        kind="routine", topics=("work_stress",), duration_min=20, note=note,
                        caller_label=label, caller_kind=kind)


def test_caller_categories_and_past_anonymous_contacts(world: World) -> None:
    li, zhao, coord = world.login("li"), world.login("zhao"), world.login("coord")
    first = sessions.log_session(li, call(world, "热线来电A", "family", note="孩子厌学")).id
    world.clock.advance(hours=1)
    second = sessions.log_session(li, call(world, "热线来电B", None)).id
    world.clock.advance(hours=1)
    theirs = sessions.log_session(zhao, call(world, "热线来电A", "officer")).id
    assert sessions.get_session(li, first).caller_kind == "family"
    assert sessions.get_session(li, second).caller_kind == "unknown"  # not given

    with pytest.raises(SessionInvalid) as bad:
        sessions.log_session(li, call(world, None, "cousin"))
    assert set(bad.value.errors) == {"caller_kind"}
    zs = officer(world, "张三", "330001")
    with pytest.raises(SessionInvalid) as bad:
        sessions.log_session(li, call(world, None, "officer", person=zs))
    assert set(bad.value.errors) == {"caller_kind"}
    with_person = sessions.log_session(li, call(world, None, None, person=zs)).id
    assert sessions.get_session(li, with_person).caller_kind is None

    # a counselor lists their own anonymous contacts, a coordinator everyone's
    assert [s.id for s in sessions.anonymous_contacts(li)] == [second, first]
    assert [s.id for s in sessions.anonymous_contacts(coord)] == [theirs, second, first]
    assert [s.id for s in sessions.anonymous_contacts(coord, "来电a")] == [theirs, first]
    assert sessions.anonymous_contacts(li, "热线来电A")[0].note == "孩子厌学"
    with pytest.raises(PermissionDenied):
        sessions.anonymous_contacts(world.admin)


def test_migration_15_adds_the_caller_category_to_a_vault_of_schema_14(
        tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, "2026-11-01T09:00:00+08:00", target=14)[-1] == 14
        assert migrate(conn, "2026-12-01T09:00:00+08:00")[:2] == [15, 16]
        columns = [r[1] for r in conn.execute('PRAGMA table_info("counseling_session")')]
        assert "caller_kind" in columns
        assert conn.execute("SELECT count(*) FROM session_counselor").fetchone()[0] == 0
    finally:
        conn.close()


def test_co_counselors_count_the_session_in_their_workload(world: World) -> None:
    li, coord = world.login("li"), world.login("coord")
    zs = officer(world, "张三", "330002")
    ids = {u: int(world.login(u).actor.id) for u in ("li", "zhao", "wang", "coord")}
    joint = sessions.log_session(li, SessionDraft(
        person_id=zs, started_at=world.clock.now(), channel="face_to_face", kind="crisis",
        topics=("trauma",), duration_min=90,
        co_counselor_ids=(ids["zhao"], ids["wang"]))).id
    shown = sessions.get_session(li, joint)
    assert shown.co_counselors == ("WANG", "ZHAO") and shown.counselor == "LI"
    for bad in ((ids["li"],), (int(world.admin.actor.id),), (ids["zhao"], 99999)):
        with pytest.raises(SessionInvalid) as refused:
            sessions.log_session(li, SessionDraft(
                person_id=zs, started_at=world.clock.now(), channel="face_to_face",
                kind="routine", topics=("trauma",), duration_min=30, co_counselor_ids=bad))
        assert set(refused.value.errors) == {"co_counselor_ids"}

    def workload() -> dict[str, int | None]:
        return {m.username: m.sessions for m in team.team_summary(coord).members}

    assert {k: workload()[k] for k in ids} == {"li": 1, "zhao": 1, "wang": 1, "coord": 0}
    sessions.update_session(li, joint, SessionDraft(
        person_id=zs, started_at=world.clock.now(), channel="face_to_face", kind="crisis",
        topics=("trauma",), duration_min=90, co_counselor_ids=(ids["coord"],)),
        shown.version)
    assert {k: workload()[k] for k in ids} == {"li": 1, "zhao": 0, "wang": 0, "coord": 1}


"""Appointments 预约 (issue 15, point 5): scheduling rules, the agenda, missed ones, the
link to the session logged from one — in a real SQLCipher vault."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from counselor_tui.services import appointments, dashboard, person_moves, persons, sessions
from counselor_tui.services.appointments import AppointmentDraft, AppointmentInvalid
from counselor_tui.services.context import FixedClock
from counselor_tui.services.errors import Conflict, NotFound, PermissionDenied
from counselor_tui.services.sessions import SessionDraft
from db import vault as slots
from db.connection import open_connection
from db.migrations import CURRENT_VERSION, migrate, schema_version
from db.models import AuditEvent
from db.models_care import CARE_MODELS
from tests.conftest import TZ
from tests.integration.archive_world import World, officer
from tests.worlds import PASSPHRASE

pytestmark = pytest.mark.world("archive")


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 2026-11-25 09:00."""
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def test_schedule_agenda_missed_and_logged(world: World) -> None:
    zs = officer(world, "张三", "330001")
    ls = officer(world, "李四", "330002", unit=world.unit2, police_type="交警")
    li, wang, coord = world.login("li"), world.login("wang"), world.login("coord")
    today = appointments.schedule(li, AppointmentDraft(zs, at(25, 14, 30)))
    anon = appointments.schedule(li, AppointmentDraft(
        None, at(27, 10), channel="hotline", duration_min=30, caller_label="热线来电A"))
    # the coordinator schedules for a counselor; a counselor may not for another one
    other = appointments.schedule(coord, AppointmentDraft(
        ls, at(26, 9), counselor_id=wang.actor.id))
    with pytest.raises(PermissionDenied):
        appointments.schedule(li, AppointmentDraft(zs, at(26, 9), counselor_id=wang.actor.id))
    # a person li does not see, a clash, a past day: refused with the field named
    family = persons.create_person(world.office, persons.PersonDraft(
        kind="other", name="王五", unit_id=world.unit2))
    with pytest.raises(NotFound):
        appointments.schedule(li, AppointmentDraft(family, at(26, 9)))
    with pytest.raises(AppointmentInvalid) as clash:
        appointments.schedule(li, AppointmentDraft(zs, at(25, 15)))
    assert "starts_at" in clash.value.errors
    with pytest.raises(AppointmentInvalid) as past:
        appointments.schedule(li, AppointmentDraft(zs, at(24, 15)))
    assert "starts_at" in past.value.errors
    with pytest.raises(PermissionDenied):
        appointments.schedule(world.admin, AppointmentDraft(zs, at(26, 9)))
    with pytest.raises(PermissionDenied):
        appointments.agenda(world.admin)

    plan = appointments.agenda(li)
    assert [r.id for r in plan.today] == [today.id]
    assert [r.id for r in plan.week] == [anon.id]  # wang's is not li's
    assert plan.week[0].who == "热线来电A" and not plan.missed
    assert {r.id for r in appointments.agenda(coord).week} == {anon.id, other.id}

    # 15:30 passes: today's appointment is missed until it is logged
    world.clock.advance(hours=6, minutes=30)
    plan = appointments.agenda(li)
    assert [r.id for r in plan.missed] == [today.id] and not plan.today
    section = next(s for s in dashboard.gather(li) if s.id == "appointments")
    assert section.level == "warning" and section.extra["missed"] == 1
    assert any("张三" in item.text for item in section.items)

    saved = sessions.log_session(li, SessionDraft(
        person_id=zs, started_at=at(25, 14, 40), channel="face_to_face", kind="routine",
        topics=("work_stress",), duration_min=50))
    with pytest.raises(Conflict):  # the anonymous appointment is not this session's
        appointments.mark_kept(li, anon.id, saved.id)
    appointments.mark_kept(li, today.id, saved.id)
    assert not appointments.agenda(li).missed
    assert appointments.get(li, today.id).status == "kept"
    with pytest.raises(Conflict):
        appointments.cancel(li, today.id, "不需要了")
    appointments.cancel(li, anon.id, "来电人取消")
    assert appointments.get(li, anon.id).status == "cancelled"
    with li.reading():
        events = [(e.action, e.detail.get("status")) for e in AuditEvent.select()
                  .where(AuditEvent.entity == "appointment").order_by(AuditEvent.seq)]
    assert events == [("create", None)] * 3 + [("update", "kept"), ("update", "cancelled")]
    assert appointments.missed(li, days=1) == []
    assert world.clock.now() - timedelta(hours=6) > at(25, 9)


def test_no_appointment_for_a_person_who_left_service(world: World) -> None:
    """fix15 B: a former officer (原民警, left service) was offered p and booked; the
    service refuses, saying why."""
    zs = officer(world, "张三", "330001")
    coord = world.login("coord")
    person_moves.leave(coord, zs, "2026-11-20", "retired")
    with pytest.raises(Conflict, match="left service"):
        appointments.schedule(coord, AppointmentDraft(zs, at(26, 9)))
    with coord.reading():
        assert not AuditEvent.select().where(AuditEvent.entity == "appointment").exists()


CASELOAD_TABLES = ("referral_export", "consent", "step_holder", "follow_up_holder",
                   "case_access", "handover", "appointment")


def test_migration_11_adds_the_caseload_tables_to_a_vault_of_schema_10(
        world: World, tmp_path: Path) -> None:
    """A vault left at schema 10 gains the seven tables, column for column as the models
    say, when the later migrations run (in one transaction)."""
    keys = slots.load(slots.keys_path(world.path))
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(tmp_path / "old.db", key, create=True)
    try:
        assert migrate(conn, "2026-01-01T00:00:00+08:00", target=10)[-1] == 10
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert not tables & set(CASELOAD_TABLES)
        assert 11 in migrate(conn, "2026-11-25T09:00:00+08:00")
        assert schema_version(conn) == CURRENT_VERSION
        for model in CARE_MODELS:
            columns = {r[1] for r in conn.execute(
                f'PRAGMA table_info("{model._meta.table_name}")')}
            assert columns == {f.column_name for f in model._meta.sorted_fields}
    finally:
        conn.close()

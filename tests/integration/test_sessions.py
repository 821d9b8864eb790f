"""Counseling sessions: logging, validation, follow-ups, lock and addenda, sealed notes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from counselor_tui.services import audit, persons, session_reads, sessions, settings
from counselor_tui.services.context import FixedClock
from counselor_tui.services.errors import Conflict, NotFound, PermissionDenied
from counselor_tui.services.sessions import SessionDraft
from db.models import AuditEvent, CounselingSession
from tests.conftest import TZ
from tests.integration.archive_world import World, officer

NOTE = "第一行：工作压力大\n\n  第三行有前导空格  \n最后一行没有换行"


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 2026-11-25 09:00 (the week runs Monday 23rd to Sunday 29th)."""
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


pytestmark = pytest.mark.world("archive")


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=TZ)


def draft(person_id: int | None, start: datetime, **kw: object) -> SessionDraft:
    base: dict[str, object] = {"channel": "face_to_face", "kind": "routine",
                               "topics": ("work_stress",), "duration_min": 50}
    base.update(kw)
    return SessionDraft(person_id=person_id, started_at=start, **base)  # type: ignore[arg-type]


def test_log_session_keeps_the_note_exactly_and_is_found_again(world: World) -> None:
    zs = officer(world, "张三", "330001")
    li = world.login("li")
    saved = sessions.log_session(li, draft(zs, at(25, 8), note=NOTE,
                                           topics=("work_stress", "health_sleep", "work_stress")))
    assert saved.closed_follow_ups == 0 and not saved.risk_prompt
    got = sessions.get_session(li, saved.id)
    assert got.note == NOTE
    assert got.topics == ("work_stress", "health_sleep")
    assert got.counselor == "LI" and got.editable and not got.locked
    assert got.started_at == "2026-11-25T08:00:00+08:00"
    assert [s.id for s in sessions.search_notes(li, "工作压力")] == [saved.id]
    assert [s.id for s in sessions.search_notes(li, "前导")] == [saved.id]  # 2 characters
    assert sessions.search_notes(li, "不存在的词") == []
    record = persons.get_person(li, zs)
    assert record.person.last_session_on == "2026-11-25"
    assert [s.id for s in record.sessions] == [saved.id]


def test_validation_messages_per_field(world: World) -> None:
    now = world.clock.now()
    ok = draft(1, now)
    assert sessions.validate(ok, now.date(), now=now) == {}
    assert sessions.validate(draft(1, now + timedelta(minutes=4)), now.date(), now=now) == {}
    bad = SessionDraft(person_id=None, started_at=now + timedelta(minutes=6),
                       channel="face_to_face", kind="chat", topics=(), duration_min=0,
                       risk="extreme", referral="friend", follow_up_on=date(2026, 11, 1))
    errors = sessions.validate(bad, now.date(), now=now)
    assert set(errors) == {"started_at", "kind", "topics", "duration_min", "risk",
                           "referral", "person_id"}
    assert "future" in errors["started_at"]
    late = draft(1, now - timedelta(days=3), follow_up_on=(now - timedelta(days=4)).date())
    assert set(sessions.validate(late, now.date(), now=now)) == {"follow_up_on"}
    assert set(sessions.validate(draft(1, now, duration_min=601), now.date())) == {
        "duration_min"}
    assert set(sessions.validate(draft(1, now.replace(tzinfo=None)), now.date())) == {
        "started_at"}
    with pytest.raises(sessions.SessionInvalid) as exc:
        sessions.log_session(world.login("li"), bad)
    assert exc.value.errors == errors


def test_anonymous_hotline_caller_and_risk_prompt(world: World) -> None:
    li = world.login("li")
    saved = sessions.log_session(li, draft(None, at(25, 8), channel="hotline", risk="imminent",
                                           caller_label="男性，约40岁"))
    assert saved.risk_prompt
    assert sessions.get_session(li, saved.id).caller_label == "男性，约40岁"
    assert sessions.get_session(world.login("coord"), saved.id).person_id is None
    with pytest.raises(NotFound):
        sessions.get_session(world.login("zhao"), saved.id)


def test_follow_ups_due_and_closed_by_the_next_session(world: World) -> None:
    zs, ls = officer(world, "张三", "330001"), officer(world, "李四", "330002")
    wu = officer(world, "吴六", "330003", world.unit2, "交警")
    li, wang = world.login("li"), world.login("wang")
    overdue = sessions.log_session(li, draft(zs, at(16), follow_up_on=date(2026, 11, 24))).id
    later = sessions.log_session(li, draft(zs, at(20), follow_up_on=date(2026, 12, 10))).id
    today = sessions.log_session(li, draft(ls, at(18), follow_up_on=date(2026, 11, 25))).id
    week = sessions.log_session(li, draft(ls, at(19), follow_up_on=date(2026, 11, 28))).id
    other = sessions.log_session(wang, draft(wu, at(19), follow_up_on=date(2026, 11, 20))).id
    due = sessions.follow_ups(li)
    assert [f.session_id for f in due.overdue] == [overdue]
    assert [f.session_id for f in due.today] == [today]
    assert [f.session_id for f in due.this_week] == [week]
    assert [f.session_id for f in sessions.follow_ups(wang).overdue] == [other]
    coord = sessions.follow_ups(world.login("coord"))
    assert [f.session_id for f in coord.overdue] == [other, overdue]
    assert sessions.follow_ups(world.admin) == sessions.FollowUps((), (), ())
    section = sessions.dashboard_section(li)
    assert section is not None and section.extra == {"overdue": 1, "today": 1, "this_week": 1}
    assert section.items[0].person_id == zs and "1 day overdue" in section.items[0].text

    # a session logged before the follow-ups were planned closes nothing
    early = sessions.log_session(li, draft(zs, at(10)))
    assert early.closed_follow_ups == 0
    # today's session closes every open follow-up of the person due by Sunday
    saved = sessions.log_session(li, draft(zs, at(25, 8), kind="follow_up"))
    assert saved.closed_follow_ups == 1
    with li.reading():
        closed = CounselingSession.get_by_id(overdue)
        still = CounselingSession.get_by_id(later)
    assert closed.follow_up_closed_by_id == saved.id
    assert closed.follow_up_closed_at == "2026-11-25T09:00:00+08:00"
    assert still.follow_up_closed_at is None
    assert sessions.follow_ups(li).overdue == ()
    assert sessions.log_session(li, draft(ls, at(25, 8))).closed_follow_ups == 2
    with li.reading():
        event = AuditEvent.select().where(AuditEvent.entity == "counseling_session",
                                          AuditEvent.entity_id == str(saved.id)).get()
    assert event.detail["closed_follow_ups"] == [overdue]
    assert audit.verify_chain(li).ok


def test_edit_window_then_lock_and_addendum(world: World) -> None:
    zs = officer(world, "张三", "330001")
    li = world.login("li")
    sid = sessions.log_session(li, draft(zs, at(25, 8), note="原记录")).id
    world.clock.advance(days=6, hours=23)
    sessions.update_session(li, sid, draft(zs, at(25, 8), note="改过的记录", duration_min=40))
    assert sessions.get_session(li, sid).note == "改过的记录"
    with pytest.raises(PermissionDenied):
        sessions.update_session(world.login("zhao"), sid, draft(zs, at(25, 8)))
    world.clock.advance(hours=1)
    with pytest.raises(Conflict, match="addendum"):
        sessions.update_session(li, sid, draft(zs, at(25, 8), note="再改"))
    sessions.add_addendum(li, sid, "补充：\n次日电话回访，情况好转")
    got = sessions.get_session(li, sid)
    assert got.locked and not got.editable
    assert got.note == "改过的记录"
    assert got.addenda == ("补充：\n次日电话回访，情况好转",)
    with li.reading():
        row = CounselingSession.get_by_id(sid)
        actions = [(e.action, e.entity) for e in AuditEvent.select().where(
            AuditEvent.entity.in_(["counseling_session", "session_addendum"]))]
    assert row.locked_at.startswith("2026-12-02T09:00:00")
    assert actions == [("create", "counseling_session"), ("update", "counseling_session"),
                       ("view", "counseling_session"), ("lock", "counseling_session"),
                       ("create", "session_addendum"), ("view", "counseling_session")]
    assert audit.verify_chain(li).ok


def test_why_a_session_cannot_be_corrected(world: World) -> None:
    """fix15 D: a colleague's session of today is not "locked": it is someone else's; the
    reason the record shows says so (and a locked session says it is locked)."""
    zs = officer(world, "张三", "330001")
    li, zhao, coord = world.login("li"), world.login("zhao"), world.login("coord")
    sid = sessions.log_session(li, draft(zs, at(25, 8))).id
    assert session_reads.change_refusal(li, sessions.get_session(li, sid)) is None
    assert session_reads.change_refusal(coord, sessions.get_session(coord, sid)) is None
    theirs = sessions.get_session(zhao, sid)
    assert not theirs.editable and not theirs.locked
    why = session_reads.change_refusal(zhao, theirs) or ""
    assert "LI's" in why and "only its author" in why and "locked" not in why
    with pytest.raises(PermissionDenied):  # nor an addendum: the author or a coordinator
        sessions.add_addendum(zhao, sid, "补充")
    world.clock.advance(days=8)
    assert "locked" in (session_reads.change_refusal(li, sessions.get_session(li, sid)) or "")


def test_lock_days_setting_is_respected(world: World) -> None:
    zs = officer(world, "张三", "330001")
    settings.set_setting(world.admin, "session_lock_days", 2)
    li = world.login("li")
    sid = sessions.log_session(li, draft(zs, at(25, 8))).id
    world.clock.advance(days=2)
    with pytest.raises(Conflict):
        sessions.update_session(li, sid, draft(zs, at(25, 8), duration_min=30))


def test_sealed_note_only_for_author_and_coordinators(world: World) -> None:
    zs = officer(world, "张三", "330001")
    li, zhao, coord = world.login("li"), world.login("zhao"), world.login("coord")
    sid = sessions.log_session(li, draft(zs, at(25, 8), note="密封的内容", sealed=True,
                                         intervention="危机干预")).id
    sessions.add_addendum(li, sid, "密封的补充")
    seen_by_zhao = persons.get_person(zhao, zs).sessions[0]
    assert seen_by_zhao.id == sid and seen_by_zhao.sealed
    assert (seen_by_zhao.note, seen_by_zhao.intervention, seen_by_zhao.addenda) == ("", "", ())
    assert seen_by_zhao.note_hidden
    assert sessions.get_session(coord, sid).note == "密封的内容"
    assert sessions.get_session(li, sid).addenda == ("密封的补充",)
    with pytest.raises(PermissionDenied):  # an admin reads no person record (DESIGN §5)
        sessions.get_session(world.admin, sid)
    assert sessions.search_notes(zhao, "密封的") == []
    assert [s.id for s in sessions.search_notes(li, "密封的")] == [sid]
    assert [s.id for s in sessions.search_notes(coord, "密封的")] == [sid]
    with pytest.raises(PermissionDenied):
        sessions.search_notes(world.admin, "密封的")
    with pytest.raises(PermissionDenied):
        sessions.get_session(world.login("audit"), sid)
    with pytest.raises(NotFound):
        sessions.get_session(world.login("wang"), sid)  # another unit, not served


def test_roles_that_may_not_log(world: World) -> None:
    zs = officer(world, "张三", "330001")
    for name in ("admin", "audit"):
        with pytest.raises(PermissionDenied):
            sessions.log_session(world.login(name), draft(zs, at(25, 8)))
    family = persons.add_family_member(world.office, zs,
                                       persons.PersonDraft(kind="family", name="张妻"), "spouse")
    with pytest.raises(NotFound):  # a family member of another unit is not in reach
        sessions.log_session(world.login("wang"), draft(family, at(25, 8)))


def test_session_risk_produces_tier_suggestion(world: World) -> None:
    """policy.md: a session recording risk high suggests red for the person; none nothing."""
    from counselor_tui.services import tier_policy

    coord = world.login("coord")
    pid = officer(world, "郑红", "900001")
    base = SessionDraft(
        person_id=pid, started_at=coord.now(), channel="face_to_face", kind="routine",
        topics=("work_stress",), duration_min=30, note="常规")
    calm = sessions.log_session(coord, base)
    assert calm.suggested_tier is None
    risky = sessions.log_session(coord, replace(base, risk="high"))
    assert risky.suggested_tier == "red"
    assert risky.risk_prompt
    pending = [s for s in tier_policy.pending(coord) if s.person_id == pid]
    assert [(s.tier, s.evidence.get("session")) for s in pending] == [("red", risky.id)]


def test_dashboard_tells_namesakes_apart(world: World) -> None:
    """An officer and another officer's family member both called 李晨东: the dashboard's
    follow-up line names the officer with the badge number and the other as family."""
    officer_id = officer(world, "李晨东", "330010")
    spouse_of = officer(world, "王五", "330011")
    li = world.login("li")
    family_id = persons.add_family_member(
        li, spouse_of, persons.PersonDraft(kind="family", name="李晨东"), "spouse")
    sessions.log_session(li, draft(officer_id, at(16), follow_up_on=date(2026, 11, 24)))
    sessions.log_session(li, draft(family_id, at(17), follow_up_on=date(2026, 11, 24)))
    section = sessions.dashboard_section(li)
    assert section is not None
    texts = {item.person_id: item.text for item in section.items}
    assert texts[officer_id].startswith("李晨东 (badge 330010) · ")
    assert texts[family_id].startswith("李晨东 (family member) · ")


def test_dashboard_lists_follow_ups_of_the_next_seven_days_also_on_a_sunday(
        world: World, clock: FixedClock) -> None:
    zs = officer(world, "张三", "330001")
    li = world.login("li")
    sessions.log_session(li, draft(zs, at(24), follow_up_on=date(2026, 12, 2)))
    sessions.log_session(li, draft(zs, at(24, 11), follow_up_on=date(2026, 12, 7)))
    clock.advance(days=4)  # Sunday 29th: Wednesday 2 Dec is 3 days ahead, 7 Dec 8 days
    due = sessions.follow_ups(li)
    assert [f.due for f in due.this_week] == ["2026-12-02"]
    section = sessions.dashboard_section(li)
    assert section is not None and section.summary == "0 overdue, 0 today, 1 in the next 7 days"


def test_a_session_dated_before_2000_is_refused_as_a_slip(world: World) -> None:
    zs = officer(world, "张三", "330001")
    start = datetime(1900, 1, 1, 10, 0, tzinfo=TZ)
    errors = sessions.validate(draft(zs, start), date(2026, 11, 25))
    assert "check the year" in errors["started_at"]
    assert "started_at" not in sessions.validate(
        draft(zs, datetime(2000, 1, 3, 10, 0, tzinfo=TZ)), date(2026, 11, 25))

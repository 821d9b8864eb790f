"""Firearm restriction register on a real vault: lifecycle, coordinator-only decisions,
the armory list, reviews, the dashboard, and the notice that carries only allowed fields."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import docx
import pytest

from counselor_tui.services import audit, firearm_notice, firearms, incidents, lifecycle, persons
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.incidents import ExposureDraft, IncidentDraft
from db.models import Assessment, AuditEvent, CounselingSession, FirearmEvent
from tests.integration.incident_fixtures import add_officer, add_unit, login


class World:
    """Units U01/U02; officers 张三 (U01, badge 010001), 王五 (U02); a family member; accounts
    on first use: ``coord`` (coordinator ``zhou``), ``couns`` (counselor ``li`` of U01)."""

    def __init__(self, admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
                 state_dir: Path) -> None:
        self.admin, self.created, self.clock, self.state_dir = admin, created, clock, state_dir
        self.u1 = add_unit(admin, "U01", "城关派出所")
        self.u2 = add_unit(admin, "U02", "交警大队", "交警")
        self.zhang = add_officer(admin, "张三", "010001", self.u1)
        self.wang = add_officer(admin, "王五", "020001", self.u2)
        self.spouse = add_officer(admin, "张妻", None, self.u1, kind="family")
        self._sessions: list[VaultSession] = []

    def _login(self, username: str, role: str, unit: str | None = None) -> VaultSession:
        vs = login(self.admin, self.created, self.clock, self.state_dir, username, role, unit)
        self._sessions.append(vs)
        return vs

    @cached_property
    def coord(self) -> VaultSession:
        return self._login("zhou", "coordinator")

    @cached_property
    def couns(self) -> VaultSession:
        return self._login("li", "counselor", "U01")

    def close(self) -> None:
        for vs in self._sessions:
            vs.close()


@pytest.fixture
def w(session: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
      state_dir: Path) -> Iterator[World]:
    world = World(session, created, clock, state_dir)
    yield world
    world.close()


TODAY = date(2026, 11, 29)


def test_counselor_recommends_coordinator_decides(w: World) -> None:
    rid = firearms.recommend(w.couns, w.zhang, "post_incident", "事件后情绪不稳")
    assert firearms.active_status(w.couns, w.zhang) == "recommended"
    with pytest.raises(Conflict):
        firearms.recommend(w.coord, w.zhang, "other")
    firearms.record_decision(w.coord, rid, "suspended", "王主任", TODAY)
    row = firearms.register(w.coord)[0]
    assert (row.status, row.decided_by_name, row.decided_on, row.review_on, row.recommended_by) \
        == ("suspended", "王主任", "2026-11-29", "2027-02-27", "li")
    with w.coord.reading():
        stored = list(FirearmEvent.select().where(FirearmEvent.restriction == rid)
                      .order_by(FirearmEvent.id))
    assert [(e.kind, e.outcome, e.on_date, e.decided_by_name, e.by_id) for e in stored] == [
        ("recommended", None, "2026-11-29", None, w.couns.actor.id),
        ("decided", "suspended", "2026-11-29", "王主任", w.coord.actor.id)]
    armory = firearms.current_restrictions(w.couns)
    assert [(a.name, a.badge_no, a.unit_name, a.status, a.review_on) for a in armory] == [
        ("张三", "010001", "城关派出所", "suspended", "2027-02-27")]


def test_a_counselor_cannot_record_a_decision(w: World) -> None:
    rid = firearms.recommend(w.couns, w.zhang, "mh_assessment_pending")
    with pytest.raises(PermissionDenied):
        firearms.record_decision(w.couns, rid, "suspended", "王主任", TODAY)
    with pytest.raises(PermissionDenied):
        firearms.record_decision(w.admin, rid, "revoked", "王主任", TODAY)
    with pytest.raises(PermissionDenied):
        firearms.reinstate(w.couns, rid, "王主任", TODAY)
    with pytest.raises(PermissionDenied):
        firearms.review(w.couns, rid, "no_change", "王主任", TODAY)
    with pytest.raises(PermissionDenied):
        firearm_notice.notice(w.couns, rid)
    assert firearms.active_status(w.couns, w.zhang) == "recommended"


@pytest.mark.parametrize(("args", "error"), [
    (("suspended", "  ", TODAY), InvalidInput),
    (("approved", "王主任", TODAY), InvalidInput),
    (("suspended", "王主任", TODAY + timedelta(days=1)), InvalidInput),
    (("suspended", "王主任", TODAY, TODAY), InvalidInput),
])
def test_bad_decisions_are_refused(w: World, args: tuple[object, ...],
                                   error: type[Exception]) -> None:
    rid = firearms.recommend(w.couns, w.zhang, "mh_treatment")
    with pytest.raises(error):
        firearms.record_decision(w.coord, rid, *args)  # type: ignore[arg-type]


def test_recommend_refuses_non_officers_and_unknown_reasons(w: World) -> None:
    with pytest.raises(InvalidInput):
        firearms.recommend(w.couns, w.spouse, "other")
    with pytest.raises(InvalidInput):
        firearms.recommend(w.couns, w.zhang, "depression")
    with pytest.raises(NotFound):
        firearms.recommend(w.couns, 999, "other")
    with pytest.raises(PermissionDenied):
        firearms.recommend(w.admin, w.zhang, "other")


def test_lifecycle_review_revoke_reinstate(w: World) -> None:
    rid = firearms.recommend(w.coord, w.zhang, "mh_treatment")
    firearms.record_decision(w.coord, rid, "suspended", "王主任", TODAY, TODAY + timedelta(days=30))
    w.clock.advance(days=30)
    later = TODAY + timedelta(days=30)
    assert [r.id for r in firearms.review_due(w.coord)] == [rid]
    firearms.review(w.coord, rid, "no_change", "王主任", later)
    assert firearms.register(w.coord)[0].review_on == (later + timedelta(days=90)).isoformat()
    firearms.review(w.coord, rid, "revoked", "李处长", later, later + timedelta(days=60))
    row = firearms.register(w.coord)[0]
    assert (row.status, row.decided_by_name, row.decided_on) == ("revoked", "李处长",
                                                                 later.isoformat())
    with pytest.raises(Conflict):
        firearms.record_decision(w.coord, rid, "suspended", "王主任", later)
    firearms.review(w.coord, rid, "reinstated", "赵局长", later)
    assert firearms.active_status(w.coord, w.zhang) is None
    assert firearms.current_restrictions(w.coord) == []
    ended = firearms.register(w.coord, include_ended=True)[0]
    assert (ended.status, ended.ended_on, ended.decided_by_name, ended.review_on) == (
        "reinstated", later.isoformat(), "赵局长", None)
    with pytest.raises(Conflict):
        firearms.reinstate(w.coord, rid, "赵局长", later)
    # a new recommendation is possible once reinstated
    assert firearms.recommend(w.couns, w.zhang, "other") != rid
    with w.coord.reading():
        changes = [e.detail for e in AuditEvent.select().where(
            AuditEvent.entity == "firearm_restriction").order_by(AuditEvent.seq)]
    assert [(d.get("from"), d.get("to")) for d in changes] == [
        (None, None), ("recommended", "suspended"), ("suspended", "suspended"),
        ("suspended", "revoked"), ("revoked", "reinstated"), (None, None)]
    assert audit.verify_chain(w.admin).ok


def test_declined_recommendation_ends(w: World) -> None:
    rid = firearms.recommend(w.couns, w.zhang, "other")
    firearms.record_decision(w.coord, rid, "declined", "王主任", TODAY)
    assert firearms.active_status(w.couns, w.zhang) is None
    assert firearms.register(w.coord) == []
    assert firearm_notice.notice(w.coord, rid).decision == "declined"


def test_counselor_sees_only_their_unit_in_the_register(w: World) -> None:
    firearms.recommend(w.coord, w.wang, "other")
    mine = firearms.recommend(w.couns, w.zhang, "other")
    assert [r.id for r in firearms.register(w.couns)] == [mine]
    assert len(firearms.register(w.coord)) == 2


def test_a_counselor_of_no_unit_sees_only_what_they_recommended(w: World) -> None:
    """No unit is not every unit: an account made without one sees its own recommendations
    only, in the register and by id (DESIGN §5 "Roles")."""
    theirs = firearms.recommend(w.couns, w.zhang, "other")
    loose = w._login("sun", "counselor")
    assert firearms.register(loose) == []
    with pytest.raises(NotFound):
        firearms.get(loose, theirs)
    mine = firearms.recommend(loose, w.wang, "other")
    assert [r.id for r in firearms.register(loose)] == [mine]


def test_dashboard_lists_pending_decisions_and_due_reviews(w: World) -> None:
    assert firearms.dashboard_section(w.coord) is None
    firearms.recommend(w.couns, w.wang, "other")
    rid = firearms.recommend(w.couns, w.zhang, "other")
    firearms.record_decision(w.coord, rid, "suspended", "王主任", TODAY, TODAY + timedelta(days=3))
    section = firearms.dashboard_section(w.coord)
    assert section is not None
    assert [i.level for i in section.items] == ["warning", "warning"]
    assert "张三" in section.items[0].text and "2026-12-02" in section.items[0].text
    assert section.items[0].text.endswith("(in 3 days)")
    assert section.summary == "1 awaiting decision · 1 review due"
    w.clock.advance(days=4)
    overdue = firearms.dashboard_section(w.coord)
    assert overdue is not None and overdue.items[0].level == "urgent"
    assert overdue.items[0].text.endswith("(1 day overdue)")  # said in words, not colour only


def test_prompt_never_changes_status(w: World) -> None:
    assert firearms.should_prompt_recommendation(w.couns, w.zhang, risk="imminent") is True
    assert firearms.should_prompt_recommendation(w.couns, w.zhang, risk="high") is False
    assert firearms.should_prompt_recommendation(w.couns, w.spouse, tier="red") is False
    assert firearms.should_prompt_recommendation(w.admin, w.zhang, tier="red") is False
    assert firearms.active_status(w.couns, w.zhang) is None
    firearms.recommend(w.couns, w.zhang, "other")
    assert firearms.should_prompt_recommendation(w.couns, w.zhang, tier="red") is False


CANARIES = {
    "session_note": "CANARY-NOTE-7f3a 失眠噩梦",
    "assessment": "CANARY-SCORE-91c2",
    "diagnosis": "CANARY-DIAG-PTSD-44d1",
    "incident": "CANARY-INCIDENT-0b8e 枪击现场",
    "restriction": "CANARY-RESTRICT-5e6f 服药中",
}


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    props = document.core_properties
    parts += [props.title or "", props.author or "", props.comments or "", props.subject or "",
              props.keywords or "", props.last_modified_by or ""]
    return "\n".join(parts)


def _zip_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def test_notice_carries_no_note_score_diagnosis_or_incident_summary(
        w: World, tmp_path: Path) -> None:
    now = w.clock.now()
    iid = incidents.flag_emergency(w.couns, IncidentDraft(
        kind="shooting", occurred_at=now - timedelta(hours=2), summary=CANARIES["incident"],
        title="城关枪击", persons=(ExposureDraft("involved", w.zhang),)))
    with w.admin.transaction():
        stamp = w.admin.now_iso()
        who = {"created_at": stamp, "created_by": w.admin.actor.id, "updated_at": stamp,
               "updated_by": w.admin.actor.id}
        CounselingSession.create(person=w.zhang, counselor=w.couns.actor.id, started_at=stamp,
                                 duration_min=50, channel="face_to_face", kind="post_incident",
                                 note=CANARIES["session_note"], incident=iid, risk="imminent",
                                 **who)
        Assessment.create(person=w.zhang, instrument_code="pcl5", instrument_version="1",
                          administered_on="2026-11-29",
                          responses={"canary": CANARIES["assessment"]}, total=61,
                          band=CANARIES["assessment"],
                          flags={"provisional_diagnosis": CANARIES["diagnosis"]},
                          positive=True, **who)
        audit.record(w.admin, "create", "assessment", 1, {})
    rid = firearms.recommend(w.couns, w.zhang, "post_incident", CANARIES["restriction"])
    firearms.record_decision(w.coord, rid, "suspended", "王主任", TODAY)
    out = tmp_path / "out"
    out.mkdir()
    paths = firearm_notice.export_notice(w.coord, rid, out)
    assert sorted(p.suffix for p in paths) == [".docx", ".txt"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp
    assert all("张三" not in p.name for p in paths)
    docx_path = next(p for p in paths if p.suffix == ".docx")
    text_path = next(p for p in paths if p.suffix == ".txt")
    readable = _docx_text(docx_path)
    raw = _zip_xml(docx_path)
    plain = text_path.read_text(encoding="utf-8-sig")
    for content in (readable, raw, plain):
        for canary in CANARIES.values():
            assert canary.split()[0] not in content
        assert "城关枪击" not in content and "post_incident" not in content
    for content in (readable, plain):
        assert "61" not in content.replace("2026-11-29", "")  # the PCL-5 total
    # the allowed fields are there
    for content in (readable, plain):
        for value in ("张三", "010001", "城关派出所", "王主任", "2026-11-29", "2027-02-27",
                      "firearm qualification suspended", "测试县公安局"):
            assert value in content, value
    with w.coord.reading():
        exports = [e.detail for e in AuditEvent.select().where(AuditEvent.action == "export")]
    assert exports == [{"decision": "suspended", "event_id": 2, "files": 2,
                        "formats": ["docx", "txt"]}]
    assert audit.verify_chain(w.admin).ok


def test_notice_of_reinstatement_and_before_decision(w: World, tmp_path: Path) -> None:
    w.clock.advance(days=-200)  # recommended before the decisions below
    rid = firearms.recommend(w.couns, w.zhang, "mh_treatment")
    w.clock.advance(days=200)
    with pytest.raises(Conflict):
        firearm_notice.notice(w.coord, rid)
    firearms.record_decision(w.coord, rid, "revoked", "王主任", TODAY - timedelta(days=100))
    firearms.reinstate(w.coord, rid, "赵局长", TODAY)
    n = firearm_notice.notice(w.coord, rid)
    assert (n.decision, n.decided_on, n.decided_by_name, n.review_on, n.reference) == (
        "reinstated", "2026-11-29", "赵局长", "", f"FR-{rid:05d}-3")
    text = firearm_notice.notice_text(n)
    assert text.startswith("Notice of reinstatement of firearm qualification\n")
    assert "Decision-maker: 赵局长" in text
    assert "王主任" not in text and "2026-08-21" not in text  # not the revoking decision's
    with pytest.raises(InvalidInput):
        firearm_notice.export_notice(w.coord, rid, tmp_path / "missing")


def test_suspend_review_no_change_reinstate_keeps_three_decisions(
        w: World, tmp_path: Path) -> None:
    """Issue 19: each decision keeps its own decision-maker and date, in order, and the
    notice of each decision states only that decision."""
    w.clock.advance(days=-200)  # recommended before the decisions below
    rid = firearms.recommend(w.couns, w.zhang, "mh_treatment", "CANARY-NOTE 服药")
    w.clock.advance(days=200)
    suspended_on = TODAY - timedelta(days=120)
    reviewed_on = TODAY - timedelta(days=31)
    firearms.record_decision(w.coord, rid, "suspended", "王主任", suspended_on)
    firearms.review(w.coord, rid, "no_change", "李处长", reviewed_on, TODAY + timedelta(days=10))
    firearms.reinstate(w.coord, rid, "赵局长", TODAY)
    row = firearms.register(w.coord, include_ended=True)[0]
    assert [(e.kind, e.outcome, e.on_date, e.decided_by_name, e.next_review_on)
            for e in row.decisions] == [
        ("decided", "suspended", suspended_on.isoformat(), "王主任", "2026-10-30"),
        ("reviewed", "no_change", reviewed_on.isoformat(), "李处长", "2026-12-09"),
        ("reinstated", "reinstated", TODAY.isoformat(), "赵局长", None)]
    assert [e.seq for e in row.events] == [1, 2, 3, 4]
    assert (row.status, row.restricted_on, row.ended_on, row.review_on) == (
        "reinstated", suspended_on.isoformat(), TODAY.isoformat(), None)
    # the person record shows the same sequence
    record = persons.get_person(w.coord, w.zhang)
    assert [e.decided_by_name for e in record.firearm_history[0].events] == [
        None, "王主任", "李处长", "赵局长"]
    # each decision's notice: its own decision, maker and date only
    out = tmp_path / "out"
    out.mkdir()
    makers = {"王主任", "李处长", "赵局长"}
    expected = {"王主任": ("suspended", suspended_on, "2026-10-30"),
                "李处长": ("continued", reviewed_on, "2026-12-09"),
                "赵局长": ("reinstated", TODAY, "")}
    for event in row.decisions:
        n = firearm_notice.notice(w.coord, rid, event.id)
        maker = event.decided_by_name or ""
        decision, day, review = expected[maker]
        assert (n.decision, n.decided_on, n.decided_by_name, n.review_on) == (
            decision, day.isoformat(), maker, review)
        paths = firearm_notice.export_notice(w.coord, rid, out, event_id=event.id)
        for path in paths:
            content = (_docx_text(path) if path.suffix == ".docx"
                       else path.read_text(encoding="utf-8-sig"))
            assert maker in content and day.isoformat() in content
            for other in makers - {maker}:
                assert other not in content, (maker, other)
            for other_day in {suspended_on, reviewed_on, TODAY} - {day}:
                assert other_day.isoformat() not in content.replace(
                    f"Date: {TODAY.isoformat()}", ""), (maker, other_day)
            assert "CANARY" not in content
    assert len(list(out.iterdir())) == 6  # three decisions, two files each, no clash
    with pytest.raises(Conflict):  # a recommendation is no decision
        firearm_notice.notice(w.coord, rid, row.events[0].id)
    # the events are never overwritten: the database itself refuses
    with pytest.raises(Exception, match="never changed"), w.coord.transaction():
        w.coord.execute("UPDATE firearm_event SET decided_by_name = 'x' WHERE id = ?",
                        (row.decisions[0].id,))
    with pytest.raises(Exception, match="never deleted"), w.coord.transaction():
        w.coord.execute("DELETE FROM firearm_event WHERE restriction_id = ?", (rid,))
    assert audit.verify_chain(w.admin).ok


def test_a_decision_before_the_previous_one_is_refused(w: World) -> None:
    w.clock.advance(days=-20)  # recommended before the decisions below
    rid = firearms.recommend(w.couns, w.zhang, "other")
    w.clock.advance(days=20)
    firearms.record_decision(w.coord, rid, "suspended", "王主任", TODAY - timedelta(days=10))
    with pytest.raises(InvalidInput):
        firearms.review(w.coord, rid, "no_change", "李处长", TODAY - timedelta(days=11))
    with pytest.raises(InvalidInput):
        firearms.reinstate(w.coord, rid, "赵局长", TODAY - timedelta(days=11))
    assert len(firearms.get(w.coord, rid).events) == 2


def test_a_decision_before_its_recommendation_is_refused(w: World) -> None:
    """A decision dated before the recommendation it decides is refused (the history would
    read out of order and the review fall due at once); on the day itself it is taken."""
    rid = firearms.recommend(w.couns, w.zhang, "other")
    recommended_on = firearms.get(w.coord, rid).recommended_at[:10]
    with pytest.raises(InvalidInput, match=recommended_on):
        firearms.record_decision(w.coord, rid, "suspended", "王主任", date(2026, 1, 1))
    assert [e.kind for e in firearms.get(w.coord, rid).events] == ["recommended"]
    firearms.record_decision(w.coord, rid, "suspended", "王主任",
                             date.fromisoformat(recommended_on))
    assert [e.kind for e in firearms.get(w.coord, rid).events] == ["recommended", "decided"]

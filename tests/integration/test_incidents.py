"""Incidents service on a real SQLCipher vault: flagging, the clock, steps, closing,
visibility, the banner, the dashboard and timeliness (issue 5)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

import pytest

from counselor_tui.domain.dates import from_storage
from counselor_tui.domain.periods import parse_period
from counselor_tui.services import (
    audit,
    dashboard,
    firearm_notice,
    incidents,
    lifecycle,
    persons,
    settings,
    tier_policy,
)
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.incidents import ExposureDraft, IncidentDraft, StepRecord
from db.models import (
    AuditEvent,
    CounselingSession,
    IncidentStep,
    Person,
    SessionTopic,
    TierSuggestion,
)
from tests.conftest import OTHER_PASSPHRASE
from tests.integration.incident_fixtures import add_officer, add_unit, login

H = timedelta(hours=1)
D = timedelta(days=1)


class World:
    """Units U01/U02, officers 张三 and 李四 (U01) and 王五 (U02); accounts made on first use:
    ``coord`` (coordinator), ``couns`` (counselor of U01), ``other`` (counselor of U02)."""

    def __init__(self, admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
                 state_dir: Path) -> None:
        self.admin, self.created, self.clock, self.state_dir = admin, created, clock, state_dir
        self.u1 = add_unit(admin, "U01", "城关派出所")
        self.u2 = add_unit(admin, "U02", "交警大队", "交警")
        self.zhang = add_officer(admin, "张三", "010001", self.u1)
        self.li = add_officer(admin, "李四", "010002", self.u1)
        self.wang = add_officer(admin, "王五", "020001", self.u2)
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

    @cached_property
    def other(self) -> VaultSession:
        return self._login("ma", "counselor", "U02")

    def close(self) -> None:
        for vs in self._sessions:
            vs.close()


@pytest.fixture
def w(session: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
      state_dir: Path) -> Iterator[World]:
    world = World(session, created, clock, state_dir)
    yield world
    world.close()


def _critical(w: World, **extra: object) -> IncidentDraft:
    now = w.clock.now()
    fields: dict[str, object] = {
        "kind": "shooting", "occurred_at": now - 2 * H, "reported_at": now - timedelta(minutes=30),
        "severity": "major", "summary": "出警时发生枪击",
        "persons": (ExposureDraft("involved", w.zhang), ExposureDraft("injured", w.li),
                    ExposureDraft("witness", w.wang)),
    }
    fields.update(extra)
    return IncidentDraft(**fields)  # type: ignore[arg-type]


def _steps(vs: VaultSession, incident_id: int) -> list[tuple[str, int | None, datetime]]:
    with vs.reading():
        rows = IncidentStep.select().where(IncidentStep.incident == incident_id).order_by(
            IncidentStep.id)
        return [(r.step, r.person_id, from_storage(r.due_at)) for r in rows]


def test_flag_critical_incident_creates_policy_steps_with_exact_due_times(w: World) -> None:
    reported = w.clock.now() - timedelta(minutes=30)
    iid = incidents.flag_emergency(w.couns, _critical(w, reported_at=reported))
    steps = _steps(w.couns, iid)
    assert steps == [
        ("acknowledge", None, reported + 2 * H),
        ("first_contact", w.zhang, reported + 12 * H),
        ("first_contact", w.li, reported + 12 * H),
        ("session", None, reported + 48 * H),
        ("follow_up_7d", None, reported + 7 * D),
        ("follow_up_30d", None, reported + 30 * D),
        ("review_90d", None, reported + 90 * D),
    ]
    row = incidents.get_incident(w.couns, iid)
    assert row.status == "open" and row.category == "critical"
    assert [(e.person_id, e.role) for e in row.exposures] == [
        (w.zhang, "involved"), (w.li, "injured"), (w.wang, "witness")]
    assert row.unit_name == "城关派出所"
    assert row.title.startswith("shooting / use of weapon with casualties ")
    assert row.reported_at == "2026-11-29T08:30:00+08:00"
    assert audit.verify_chain(w.admin).ok


def test_crisis_plan_and_person_added_on_the_spot(w: World) -> None:
    now = w.clock.now()
    draft = IncidentDraft(kind="suicidal_ideation", occurred_at=now - H, severity="serious",
                          persons=(ExposureDraft("involved", name="赵六", unit_id=w.u1,
                                                 kind="other"),
                                   ExposureDraft("involved", name="钱七", unit_id=w.u1,
                                                 kind="officer", badge_no="010099")))
    iid = incidents.flag_emergency(w.couns, draft)
    assert [(code, due - now) for code, _pid, due in _steps(w.couns, iid)] == [
        ("acknowledge", 1 * H), ("safety_contact", 4 * H), ("session", 24 * H),
        ("follow_up_3d", 3 * D), ("follow_up_14d", 14 * D)]
    with w.couns.reading():
        zhao = Person.get(Person.name == "赵六")
        qian = Person.get(Person.name == "钱七")
    assert (zhao.kind, zhao.unit_id, zhao.badge_no, zhao.name_initials) == (
        "other", w.u1, None, "zl")
    assert (qian.kind, qian.badge_no, qian.police_type) == ("officer", "010099", "派出所")
    assert {e.person_id for e in incidents.get_incident(w.couns, iid).exposures} == {
        zhao.id, qian.id}


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "nonsense"}, "kind"),
    ({"severity": "tiny"}, "severity"),
    ({"occurred_at": datetime(2026, 11, 29, 10, 0).astimezone()}, "occurred_at"),
    ({"reported_at": datetime(2026, 11, 30, 9, 0).astimezone()}, "reported_at"),
    ({"persons": (ExposureDraft("bystander", 1),)}, "persons"),
    ({"persons": (ExposureDraft("involved", name="无警号", unit_id=1),)}, "persons"),
    ({"persons": (ExposureDraft("involved", 1), ExposureDraft("witness", 1))}, "persons"),
])
def test_invalid_drafts_are_refused_with_the_field(w: World, change: dict[str, object],
                                                   field: str) -> None:
    draft = _critical(w, **change)
    assert field in incidents.validate_draft(draft, w.clock.now())
    with pytest.raises(InvalidInput):
        incidents.flag_emergency(w.couns, draft)


def test_auditor_and_admin_cannot_flag(w: World, created: lifecycle.CreatedVault,
                                       state_dir: Path) -> None:
    with pytest.raises(PermissionDenied):
        incidents.flag_emergency(w.admin, _critical(w))
    auditor = login(w.admin, created, w.clock, state_dir, "shen", "auditor")
    try:
        with pytest.raises(PermissionDenied):
            incidents.open_incidents(auditor)
        assert incidents.urgent_banner(auditor) is None
        assert incidents.dashboard_section(auditor) is None
    finally:
        auditor.close()


def test_banner_follows_the_clock_and_survives_a_restart(
        w: World, created: lifecycle.CreatedVault, state_dir: Path) -> None:
    iid = incidents.flag_emergency(w.couns, _critical(w, reported_at=w.clock.now()))
    assert incidents.urgent_banner(w.couns) is None  # acknowledge due in 2 h
    w.clock.advance(minutes=61)
    text = incidents.urgent_banner(w.couns)
    assert text == ("Incident steps: 0 overdue, 1 due soon — most urgent: acknowledge, "
                    "59 min 0 s left (F6)")
    w.clock.advance(minutes=60)
    text = incidents.urgent_banner(w.couns)
    assert text is not None and "1 overdue" in text and "overdue by 1 min 0 s" in text
    assert dashboard.banner(w.couns) == text  # the app's entry point
    # a restart: a fresh unlock of the same vault computes the same banner from stored data
    again = lifecycle.unlock(created.path, "li", OTHER_PASSPHRASE, clock=w.clock,
                         state_dir=state_dir)
    try:
        assert incidents.urgent_banner(again) == text
    finally:
        again.close()
    ack = next(s for s in incidents.get_incident(w.couns, iid).steps if s.step == "acknowledge")
    result = incidents.record_step(w.couns, ack.id, StepRecord(form="phone_contact"))
    assert result.late is True
    assert incidents.urgent_banner(w.couns) is None


def test_other_unit_counselor_does_not_see_the_incident(w: World) -> None:
    iid = incidents.flag_emergency(w.couns, _critical(
        w, persons=(ExposureDraft("involved", w.zhang),), reported_at=w.clock.now() - 3 * H,
        occurred_at=w.clock.now() - 4 * H))
    assert [r.id for r in incidents.open_incidents(w.coord)] == [iid]
    assert incidents.open_incidents(w.other) == []
    assert incidents.urgent_banner(w.other) is None
    assert incidents.urgent_banner(w.coord) is not None
    with pytest.raises(NotFound):
        incidents.get_incident(w.other, iid)
    step = incidents.get_incident(w.coord, iid).steps[0]
    with pytest.raises(NotFound):
        incidents.record_step(w.other, step.id, StepRecord(form="pfa"))


def test_a_counselor_of_no_unit_sees_only_the_incidents_of_their_own_work(w: World) -> None:
    """A counselor account made without a unit is no bureau-wide reader: it sees the incidents
    it flagged or works a step of, not the others (DESIGN §5 "Roles"; an insider found every
    incident of the bureau open to such an account)."""
    iid = incidents.flag_emergency(w.couns, _critical(
        w, persons=(ExposureDraft("involved", w.zhang),), reported_at=w.clock.now() - 3 * H,
        occurred_at=w.clock.now() - 4 * H))
    loose = w._login("sun", "counselor")
    assert incidents.open_incidents(loose) == []
    assert incidents.urgent_banner(loose) is None
    with pytest.raises(NotFound):
        incidents.get_incident(loose, iid)
    step = incidents.get_incident(w.coord, iid).steps[0]
    with pytest.raises(NotFound):
        incidents.record_step(loose, step.id, StepRecord(form="pfa"))
    own = incidents.flag_emergency(loose, _critical(
        w, persons=(ExposureDraft("involved", w.wang),), reported_at=w.clock.now() - 2 * H,
        occurred_at=w.clock.now() - 3 * H))
    assert [r.id for r in incidents.open_incidents(loose)] == [own]


def test_record_step_logs_the_post_incident_session(w: World) -> None:
    iid = incidents.flag_emergency(w.couns, _critical(w))
    contact = next(s for s in incidents.get_incident(w.couns, iid).steps
                   if s.step == "first_contact" and s.person_id == w.li)
    when = w.clock.now() - timedelta(minutes=10)
    result = incidents.record_step(w.couns, contact.id, StepRecord(
        form="pfa", when=when, note="现场心理急救，情绪稳定", log_session=True,
        duration_min=40))
    assert result.late is False and result.session_id is not None
    with w.couns.reading():
        session = CounselingSession.get_by_id(result.session_id)
        topics = [t.topic for t in SessionTopic.select().where(
            SessionTopic.session == session.id)]
        step = IncidentStep.get_by_id(contact.id)
    assert (session.kind, session.person_id, session.incident_id, session.channel,
            session.duration_min, session.note) == (
        "post_incident", w.li, iid, "on_scene", 40, "现场心理急救，情绪稳定")
    assert topics == ["trauma"]
    assert (step.form, step.session_id, step.note, step.by_id) == (
        "pfa", session.id, "", w.couns.actor.id)
    assert step.done_at is not None and from_storage(step.done_at) == when
    with pytest.raises(Conflict):
        incidents.record_step(w.couns, contact.id, StepRecord(form="pfa"))


def test_record_step_refuses_future_time_unknown_form_and_non_counselor(w: World) -> None:
    iid = incidents.flag_emergency(w.couns, _critical(w))
    step = incidents.get_incident(w.couns, iid).steps[0]
    with pytest.raises(InvalidInput):
        incidents.record_step(w.couns, step.id, StepRecord(form="debriefing"))
    with pytest.raises(InvalidInput):
        incidents.record_step(w.couns, step.id,
                              StepRecord(form="pfa", when=w.clock.now() + H))
    with pytest.raises(InvalidInput):
        incidents.record_step(w.couns, step.id, StepRecord(form="pfa", who=w.admin.actor.id))
    by_coord = incidents.record_step(w.couns, step.id,
                                     StepRecord(form="pfa", who=w.coord.actor.id))
    assert by_coord.step_id == step.id
    assert next(s for s in incidents.get_incident(w.couns, iid).steps
                if s.id == step.id).by_name == "zhou"


def test_waive_and_close(w: World) -> None:
    iid = incidents.flag_emergency(w.couns, _critical(w, persons=()))
    row = incidents.get_incident(w.couns, iid)
    assert [s.person_id for s in row.steps if s.step == "first_contact"] == [None]
    with pytest.raises(Conflict, match="6 steps are still open"):
        incidents.close_incident(w.couns, iid)
    with pytest.raises(InvalidInput):
        incidents.waive_step(w.couns, row.steps[0].id, "   ")
    for step in row.steps[:-1]:
        incidents.waive_step(w.couns, step.id, "当事民警拒绝联系")
    with pytest.raises(Conflict, match="1 step is still open"):
        incidents.close_incident(w.couns, iid)
    incidents.record_step(w.couns, row.steps[-1].id, StepRecord(form="phone_contact"))
    assert incidents.open_incidents(w.couns)[0].state == "ready"
    incidents.close_incident(w.couns, iid)
    closed = incidents.get_incident(w.couns, iid)
    assert closed.status == "closed" and closed.state == "closed"
    assert incidents.open_incidents(w.couns) == []
    with pytest.raises(Conflict):
        incidents.close_incident(w.couns, iid)
    with w.admin.reading():
        actions = [(e.action, e.entity) for e in AuditEvent.select().order_by(AuditEvent.seq)]
    assert actions.count(("update", "incident_step")) == 6
    assert ("update", "incident") in actions
    assert audit.verify_chain(w.admin).ok


def test_add_exposure_takes_the_unassigned_first_contact_then_adds_more(w: World) -> None:
    iid = incidents.flag_emergency(w.couns, _critical(w, persons=()))
    incidents.add_exposure(w.couns, iid, ExposureDraft("involved", w.zhang))
    incidents.add_exposure(w.couns, iid, ExposureDraft("injured", w.li))
    incidents.add_exposure(w.couns, iid, ExposureDraft("witness", w.wang))
    reported = from_storage(incidents.get_incident(w.couns, iid).reported_at)
    contacts = [(pid, due) for code, pid, due in _steps(w.couns, iid) if code == "first_contact"]
    assert contacts == [(w.zhang, reported + 12 * H), (w.li, reported + 12 * H)]
    with pytest.raises(Conflict):
        incidents.add_exposure(w.couns, iid, ExposureDraft("witness", w.wang))


def test_open_incidents_sorted_by_most_urgent_step(w: World) -> None:
    now = w.clock.now()
    later = incidents.flag_emergency(w.couns, _critical(w, reported_at=now, title="后报"))
    urgent = incidents.flag_emergency(w.couns, _critical(
        w, reported_at=now - 3 * H, occurred_at=now - 4 * H, title="先报"))
    soon = incidents.flag_emergency(w.couns, IncidentDraft(
        kind="acute_stress", occurred_at=now - H, reported_at=now - timedelta(minutes=10),
        persons=(ExposureDraft("involved", w.zhang),)))
    rows = incidents.open_incidents(w.couns)
    assert [(r.id, r.state) for r in rows] == [
        (urgent, "overdue"), (soon, "due_soon"), (later, "open")]
    assert rows[0].steps[0].step == "acknowledge" and rows[0].steps[0].state == "overdue"


def test_dashboard_lists_overdue_steps_first_in_red(w: World) -> None:
    now = w.clock.now()
    incidents.flag_emergency(w.couns, _critical(w, reported_at=now, title="后报"))
    incidents.flag_emergency(w.couns, _critical(w, reported_at=now - 3 * H,
                                                occurred_at=now - 4 * H, title="先报"))
    section = incidents.dashboard_section(w.couns)
    assert section is not None and section.level == "urgent"
    assert section.items[0].level == "urgent" and "先报" in section.items[0].text
    assert section.items[0].text.startswith("acknowledge")
    assert section.items[-1].level == "info" and "后报" in section.items[-1].text
    assert section.summary == "2 open incidents · 1 step overdue"
    assert dashboard.gather(w.couns)[0].id == "incidents"


def test_person_record_lists_the_incident(w: World) -> None:
    iid = incidents.flag_emergency(w.couns, _critical(w, title="城关枪击"))
    rows = incidents.incidents_for_person(w.couns, w.li)
    assert [(r.id, r.title, r.role, r.status) for r in rows] == [(iid, "城关枪击", "injured",
                                                                   "open")]
    record = persons.get_person(w.couns, w.li)
    assert [(r.id, r.role) for r in record.incidents] == [(iid, "injured")]


def test_every_exposure_goes_to_the_tier_suggestion(
        w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int, str]] = []

    def suggest_for_exposure(vs: VaultSession, person_id: int, incident_id: int,
                             role: str) -> None:
        assert vs.db.in_transaction()  # inside the flagging transaction
        calls.append((person_id, incident_id, role))

    monkeypatch.setattr(tier_policy, "suggest_for_exposure", suggest_for_exposure)
    iid = incidents.flag_emergency(w.couns, _critical(w))
    assert calls == [(w.zhang, iid, "involved"), (w.li, iid, "injured"),
                     (w.wang, iid, "witness")]


def test_involved_exposure_suggests_red_tier(w: World) -> None:
    incidents.flag_emergency(w.couns, _critical(w))
    with w.couns.reading():
        tiers = {s.person_id: s.tier for s in TierSuggestion.select()}
    assert tiers.get(w.zhang) == "red" and tiers.get(w.li) == "red"
    assert w.wang not in tiers


def test_timeliness_of_a_month(w: World) -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=w.clock.now().tzinfo)
    w.clock.current = start
    iid = incidents.flag_emergency(w.couns, _critical(w, reported_at=start,
                                                      occurred_at=start - H))
    steps = {(s.step, s.person_id): s for s in incidents.get_incident(w.couns, iid).steps}
    w.clock.advance(hours=1)
    incidents.record_step(w.couns, steps["acknowledge", None].id, StepRecord(form="phone_contact"))
    w.clock.advance(hours=12)  # 13 h after the report: first contacts are late
    incidents.record_step(w.couns, steps["first_contact", w.zhang].id, StepRecord(form="pfa"))
    incidents.waive_step(w.couns, steps["first_contact", w.li].id, "已调离")
    # the session (48 h) stays open; 7-day follow-up done on time; 30-day is due in December
    w.clock.current = start + 6 * D
    incidents.record_step(w.couns, steps["follow_up_7d", None].id,
                          StepRecord(form="individual_session"))
    w.clock.current = datetime(2026, 12, 3, 9, 0, tzinfo=start.tzinfo)
    result = incidents.timeliness(w.coord, parse_period("2026-11"))
    table = {r.step: (r.due, r.on_time, r.late, r.open_overdue, r.waived, r.pending)
             for r in result.steps}
    assert table == {
        "acknowledge": (1, 1, 0, 0, 0, 0),
        "first_contact": (2, 0, 1, 0, 1, 0),
        "session": (1, 0, 0, 1, 0, 0),
        "follow_up_7d": (1, 1, 0, 0, 0, 0),
    }
    assert [r.step for r in result.steps] == ["acknowledge", "first_contact", "session",
                                              "follow_up_7d"]
    assert (result.total.due, result.total.on_time, result.total.late,
            result.total.open_overdue, result.total.waived) == (5, 2, 1, 1, 1)
    assert result.reported_by_kind == {"shooting": 1}
    assert result.open_at_end == 1
    assert (result.period, result.start, result.end, result.as_of) == (
        "2026-11", "2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00",
        "2026-12-01T00:00:00+08:00")


def test_policy_setting_changes_new_plans(w: World) -> None:
    settings.set_setting(w.coord, "incident_policy", {
        "plans": {"crisis": [{"step": "acknowledge", "due": "30m"},
                             {"step": "session", "due": "12h"}]}})
    now = w.clock.now()
    iid = incidents.flag_emergency(w.couns, IncidentDraft(
        kind="self_harm", occurred_at=now - H, reported_at=now,
        persons=(ExposureDraft("involved", w.zhang),)))
    assert [(code, due - now) for code, _p, due in _steps(w.couns, iid)] == [
        ("acknowledge", timedelta(minutes=30)), ("session", 12 * H)]
    assert incidents.urgent_banner(w.couns) is not None  # due within the hour


def test_search_persons_and_responders(w: World) -> None:
    hits = incidents.search_persons(w.coord, "zs")
    assert [h.name for h in hits] == ["张三"]
    assert {h.name for h in incidents.search_persons(w.coord, "0100")} == {"张三", "李四"}
    assert w.other.actor.username == "ma"
    assert {r.username for r in incidents.responders(w.couns)} == {"zhou", "li", "ma"}
    assert [u.code for u in incidents.units(w.couns)] == ["U01", "U02"]


def test_every_incident_and_firearm_action_is_audited_and_the_chain_verifies(
        w: World, tmp_path: Path) -> None:
    from counselor_tui.services import firearms

    def events() -> list[tuple[str, str]]:
        with w.admin.reading():
            return [(e.action, e.entity) for e in AuditEvent.select().order_by(AuditEvent.seq)]

    def added(action: Callable[[], object]) -> list[tuple[str, str]]:
        before = len(events())
        action()
        return events()[before:]

    now = w.clock.now()
    assert w.coord.actor.role.value == "coordinator"  # log in before counting events
    draft = _critical(w, persons=(ExposureDraft("involved", w.zhang),
                                  ExposureDraft("involved", name="新人", unit_id=w.u1,
                                                kind="other")))
    created = added(lambda: incidents.flag_emergency(w.couns, draft))
    assert ("create", "incident") in created and ("create", "person") in created
    iid = max(r.id for r in incidents.open_incidents(w.couns))
    assert added(lambda: incidents.get_incident(w.couns, iid)) == [("view", "incident")]
    assert added(lambda: incidents.add_exposure(w.couns, iid, ExposureDraft("witness", w.li))) \
        == [("create", "incident_exposure")]
    steps = incidents.get_incident(w.couns, iid).steps
    logged = added(lambda: incidents.record_step(
        w.couns, steps[0].id, StepRecord(form="pfa", log_session=True,
                                         person_id=w.zhang, when=now)))
    assert ("create", "counseling_session") in logged and ("update", "incident_step") in logged
    for step in steps[1:]:
        def waive(step_id: int = step.id) -> None:
            incidents.waive_step(w.couns, step_id, "不适用")

        assert added(waive) == [("update", "incident_step")]
    assert added(lambda: incidents.close_incident(w.couns, iid)) == [("update", "incident")]
    rid = firearms.recommend(w.couns, w.zhang, "post_incident")
    assert events()[-1] == ("create", "firearm_restriction")
    assert added(lambda: firearms.record_decision(w.coord, rid, "suspended", "王主任",
                                                  now.date())) == [
        ("update", "firearm_restriction")]
    assert added(lambda: firearms.review(w.coord, rid, "no_change", "王主任", now.date())) == [
        ("update", "firearm_restriction")]
    out = tmp_path / "notice"
    out.mkdir()
    assert added(lambda: firearm_notice.export_notice(w.coord, rid, out)) == [
        ("view", "firearm_notice"), ("export", "firearm_notice")]
    assert added(lambda: firearms.reinstate(w.coord, rid, "王主任", now.date())) == [
        ("update", "firearm_restriction")]
    with w.admin.reading():
        details = [e.detail for e in AuditEvent.select()]
    assert not any("新人" in str(d) or "王主任" in str(d) or "不适用" in str(d)
                   for d in details)  # ids and codes only, never names or reasons
    assert audit.verify_chain(w.admin).ok

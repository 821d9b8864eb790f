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

from counselor_tui.services import audit, firearms, incidents, vault
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.incidents import ExposureDraft, IncidentDraft
from db.models import Assessment, AuditEvent, CounselingSession, FirearmRestriction
from tests.integration.incident_fixtures import add_officer, add_unit, login


class World:
    """Units U01/U02; officers 张三 (U01, badge 010001), 王五 (U02); a family member; accounts
    on first use: ``coord`` (coordinator ``zhou``), ``couns`` (counselor ``li`` of U01)."""

    def __init__(self, admin: VaultSession, created: vault.CreatedVault, clock: FixedClock,
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
def w(session: VaultSession, created: vault.CreatedVault, clock: FixedClock,
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
        stored = FirearmRestriction.get_by_id(rid)
    assert stored.recorded_by_id == w.coord.actor.id
    assert stored.decided_at == "2026-11-29T00:00:00+08:00"
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
        firearms.review(w.couns, rid, "continue", "王主任", TODAY)
    with pytest.raises(PermissionDenied):
        firearms.notice(w.couns, rid)
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
    firearms.review(w.coord, rid, "continue", "王主任", later)
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
    assert firearms.notice(w.coord, rid).decision == "declined"


def test_counselor_sees_only_their_unit_in_the_register(w: World) -> None:
    firearms.recommend(w.coord, w.wang, "other")
    mine = firearms.recommend(w.couns, w.zhang, "other")
    assert [r.id for r in firearms.register(w.couns)] == [mine]
    assert len(firearms.register(w.coord)) == 2


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
    paths = firearms.export_notice(w.coord, rid, out)
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
    assert exports == [{"decision": "suspended", "files": 2, "formats": ["docx", "txt"]}]
    assert audit.verify_chain(w.admin).ok


def test_notice_of_reinstatement_and_before_decision(w: World, tmp_path: Path) -> None:
    rid = firearms.recommend(w.couns, w.zhang, "mh_treatment")
    with pytest.raises(Conflict):
        firearms.notice(w.coord, rid)
    firearms.record_decision(w.coord, rid, "revoked", "王主任", TODAY - timedelta(days=100))
    firearms.reinstate(w.coord, rid, "赵局长", TODAY)
    n = firearms.notice(w.coord, rid)
    assert (n.decision, n.decided_on, n.decided_by_name, n.restricted_since, n.review_on) == (
        "reinstated", "2026-11-29", "赵局长", "2026-08-21", "")
    text = firearms.notice_text(n)
    assert text.startswith("Notice of reinstatement of firearm qualification\n")
    assert "Restricted since: 2026-08-21" in text and "Decision-maker: 赵局长" in text
    with pytest.raises(InvalidInput):
        firearms.export_notice(w.coord, rid, tmp_path / "missing")

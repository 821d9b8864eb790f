"""The counselor team 辅导员队伍 on a real vault: roster, training records (roles, validation,
per-day limit, audited corrections) and per-counselor figures checked against plain SQL and
the submission's team section."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.domain.periods import parse_period
from counselor_tui.services import (
    accounts,
    activities,
    audit,
    lifecycle,
    record_versions,
    sessions,
    team,
)
from counselor_tui.services.activities import ActivityDraft
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.submission_compile import compile_content
from counselor_tui.services.team import TrainingDraft, TrainingInvalid
from db.models import AuditEvent
from tests.conftest import TZ
from tests.integration.incident_fixtures import add_officer, add_unit, login

TODAY = date(2026, 11, 29)


class World:
    """Unit U01 with officer 张三; accounts on first use: ``li``, ``wang`` (counselors),
    ``zhou`` (coordinator), ``shen`` (auditor)."""

    def __init__(self, admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
                 state_dir: Path) -> None:
        self.admin, self.created, self.clock, self.state_dir = admin, created, clock, state_dir
        self.u1 = add_unit(admin, "U01", "城关派出所")
        self.zhang = add_officer(admin, "张三", "010001", self.u1)
        self._sessions: list[VaultSession] = []

    def _login(self, username: str, role: str, unit: str | None = None) -> VaultSession:
        vs = login(self.admin, self.created, self.clock, self.state_dir, username, role, unit)
        self._sessions.append(vs)
        return vs

    @cached_property
    def li(self) -> VaultSession:
        return self._login("li", "counselor", "U01")

    @cached_property
    def wang(self) -> VaultSession:
        return self._login("wang", "counselor")

    @cached_property
    def coord(self) -> VaultSession:
        return self._login("zhou", "coordinator")

    @cached_property
    def auditor(self) -> VaultSession:
        return self._login("shen", "auditor")

    def close(self) -> None:
        for vs in self._sessions:
            vs.close()


@pytest.fixture
def w(session: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
      state_dir: Path) -> Iterator[World]:
    world = World(session, created, clock, state_dir)
    yield world
    world.close()


def training(vs: VaultSession, **changes: Any) -> TrainingDraft:
    return replace(TrainingDraft(vs.actor.id, date(2026, 11, 10), "危机干预技能培训", 8.0,
                                 "省厅政治部"), **changes)


def log(vs: VaultSession, person: int | None, at: datetime) -> int:
    return sessions.log_session(vs, sessions.SessionDraft(
        person_id=person, started_at=at, channel="hotline", kind="routine",
        topics=("work_stress",), duration_min=30)).id


def events(vs: VaultSession) -> list[tuple[str, str, dict[str, Any]]]:
    with vs.reading():
        return [(e.action, e.user, e.detail) for e in AuditEvent.select().where(
            AuditEvent.entity == "training_record").order_by(AuditEvent.seq)]


# --------------------------------------------------------------------------- roster


def test_the_roster_is_the_counselors_and_coordinators(w: World) -> None:
    li, wang, coord, auditor = w.li, w.wang, w.coord, w.auditor
    for vs in (w.admin, auditor, li):
        rows = team.list_counselors(vs)
        assert {r.username for r in rows} == {"li", "wang", "zhou"}
    by_name = {r.username: r for r in team.list_counselors(coord)}
    assert (by_name["li"].role, by_name["li"].unit_name, by_name["li"].active) == (
        "counselor", "城关派出所", True)
    assert by_name["zhou"].role == "coordinator"
    accounts.disable_user(w.admin, "wang")
    assert {r.username for r in team.list_counselors(li)} == {"li", "zhou"}
    assert {r.username: r.active for r in team.list_counselors(li, include_inactive=True)} \
        == {"li": True, "zhou": True, "wang": False}
    assert wang.actor.username == "wang"


# --------------------------------------------------------------------------- training


def test_a_counselor_records_their_own_training_only(w: World) -> None:
    tid = team.add_training(w.li, training(w.li, title="  危机干预技能培训 "))
    (row,) = team.list_trainings(w.li)
    assert (row.id, row.username, row.date, row.title, row.hours, row.provider) == (
        tid, "li", "2026-11-10", "危机干预技能培训", 8.0, "省厅政治部")
    with pytest.raises(PermissionDenied):
        team.add_training(w.li, training(w.li, user_id=w.wang.actor.id))
    with pytest.raises(PermissionDenied):
        team.list_trainings(w.li, w.wang.actor.id)
    assert team.list_trainings(w.wang) == []
    for vs in (w.auditor, w.admin):
        with pytest.raises(PermissionDenied):
            team.add_training(vs, training(w.li))
        with pytest.raises(PermissionDenied):
            team.list_trainings(vs)
    other = team.add_training(w.coord, training(w.li, user_id=w.wang.actor.id, hours=4))
    assert [r.id for r in team.list_trainings(w.coord)] == [other, tid]
    assert events(w.coord) == [("create", "li", {"user_id": w.li.actor.id}),
                               ("create", "zhou", {"user_id": w.wang.actor.id})]
    assert audit.verify_chain(w.coord).ok


@pytest.mark.parametrize(("changes", "field"), [
    ({"hours": 0}, "hours"),
    ({"hours": 24.5}, "hours"),
    ({"hours": float("inf")}, "hours"),
    ({"date": date(2026, 11, 30)}, "date"),
    ({"title": ""}, "title"),
    ({"title": "训" * 101}, "title"),
    ({"provider": "p" * 101}, "provider"),
])
def test_each_invalid_training_field_is_named(w: World, changes: dict[str, Any],
                                              field: str) -> None:
    draft = training(w.li, **changes)
    assert set(team.validate_training(draft, TODAY)) == {field}
    with pytest.raises(TrainingInvalid) as caught:
        team.add_training(w.li, draft)
    assert set(caught.value.errors) == {field}
    assert events(w.li) == []


def test_one_counselor_has_at_most_24_training_hours_on_one_day(w: World) -> None:
    team.add_training(w.li, training(w.li, hours=16.0, date=TODAY))
    with pytest.raises(TrainingInvalid) as caught:
        team.add_training(w.li, training(w.li, hours=8.5, date=TODAY))
    assert set(caught.value.errors) == {"hours"}
    assert "16" in caught.value.errors["hours"]
    team.add_training(w.li, training(w.li, hours=8.0, date=TODAY))
    team.add_training(w.coord, training(w.li, user_id=w.wang.actor.id, hours=24.0, date=TODAY))
    assert sum(r.hours for r in team.list_trainings(w.coord)) == 48.0


def test_only_team_accounts_that_are_active_get_training(w: World) -> None:
    with pytest.raises(TrainingInvalid) as caught:
        team.add_training(w.coord, training(w.li, user_id=w.auditor.actor.id))
    assert set(caught.value.errors) == {"user_id"}
    wang = w.wang.actor.id
    accounts.disable_user(w.admin, "wang")
    with pytest.raises(TrainingInvalid):
        team.add_training(w.coord, training(w.li, user_id=wang))


def test_a_coordinator_corrects_a_training_record_audited(w: World) -> None:
    tid = team.add_training(w.li, training(w.li))
    with pytest.raises(PermissionDenied):
        team.correct_training(w.li, tid, training(w.li, hours=6.0))
    with pytest.raises(NotFound):
        team.correct_training(w.coord, 9999, training(w.li))
    changed = team.correct_training(w.coord, tid, training(w.li, hours=6.0, provider="市局"))
    assert changed == ["hours", "provider"]
    (row,) = team.list_trainings(w.li)
    assert (row.hours, row.provider, row.user_id) == (6.0, "市局", w.li.actor.id)
    assert team.correct_training(w.coord, tid, row.draft()) == []
    # the day's limit leaves out the record being corrected
    assert team.correct_training(w.coord, tid, replace(row.draft(), hours=24.0)) == ["hours"]
    assert events(w.coord)[1:] == [
        ("update", "zhou", {"fields": ["hours", "provider"], "version": 2}),
        ("update", "zhou", {"fields": ["hours"], "version": 3})]
    # every replaced version is kept, oldest first
    versions = record_versions.training_versions(w.li, tid)
    assert [(v.version, v.hours, v.provider, v.replaced_by) for v in versions] == [
        (1, 8.0, "省厅政治部", "zhou"), (2, 6.0, "市局", "zhou"), (3, 24.0, "市局", None)]
    with pytest.raises(PermissionDenied):
        record_versions.training_versions(w.wang, tid)
    with pytest.raises(Exception, match="never deleted"), w.coord.transaction():
        w.coord.execute("DELETE FROM training_record_version")
    assert audit.verify_chain(w.coord).ok


def test_a_voided_training_record_leaves_every_total(w: World) -> None:
    """Issue 19: a mistyped six-hour course is voided with a reason; it stays listed
    (marked) but leaves the team's hours and the submission's section 6."""
    kept = team.add_training(w.li, training(w.li, date=date(2026, 11, 3), hours=8.0))
    wrong = team.add_training(w.li, training(w.li, date=date(2026, 11, 4), hours=6.0,
                                             title="误录的六小时课程"))
    november = parse_period("2026-11")

    def figures() -> tuple[float, float, int, float, int]:
        summary = team.team_summary(w.coord, november)
        li = next(m for m in summary.members if m.username == "li")
        section = compile_content(w.coord, november)["sections"]["team"]["figures"]
        return (li.training_hours, li.training_hours_year, li.trainings_year,
                section["training_hours"], section["trainings"])

    assert figures() == (14.0, 14.0, 2, 14.0, 2)
    with pytest.raises(InvalidInput):
        team.void_training(w.coord, wrong, "  ")
    with pytest.raises(PermissionDenied):  # not li's record to void
        team.void_training(w.wang, wrong, "误录")
    with pytest.raises(PermissionDenied):
        team.void_training(w.auditor, wrong, "误录")
    team.void_training(w.li, wrong, "误录，实际未参加")
    assert figures() == (8.0, 8.0, 1, 8.0, 1)
    rows = team.list_trainings(w.li)
    assert [(r.id, r.voided, r.void_reason) for r in rows] == [
        (wrong, True, "误录，实际未参加"), (kept, False, None)]
    assert [r.id for r in team.list_trainings(w.li, include_voided=False)] == [kept]
    with pytest.raises(Conflict):
        team.void_training(w.coord, wrong, "again")
    with pytest.raises(Conflict):
        team.correct_training(w.coord, wrong, training(w.li, hours=2.0))
    # the day's 24-hour limit no longer counts the voided record
    team.add_training(w.li, training(w.li, date=date(2026, 11, 4), hours=24.0))
    assert events(w.coord)[-2][:2] == ("void", "li")
    assert "误录" not in str(events(w.coord))  # the reason stays out of the audit detail
    assert audit.verify_chain(w.coord).ok


# --------------------------------------------------------------------------- figures


def fill(w: World) -> dict[str, int]:
    """Training, sessions and activities of li, wang and zhou in and around 2026-11."""
    li, wang, coord = w.li, w.wang, w.coord
    team.add_training(li, training(li, date=date(2026, 11, 3), hours=8.0))
    team.add_training(li, training(li, date=date(2026, 11, 20), hours=4.5))
    team.add_training(li, training(li, date=date(2026, 3, 1), hours=16.0))
    team.add_training(li, training(li, date=date(2025, 12, 31), hours=24.0))
    team.add_training(coord, training(li, user_id=wang.actor.id, date=date(2026, 6, 1),
                                      hours=2.0))
    log(li, w.zhang, datetime(2026, 11, 2, 10, 0, tzinfo=TZ))
    log(li, None, datetime(2026, 11, 28, 23, 30, tzinfo=TZ))
    voided = log(li, w.zhang, datetime(2026, 11, 5, 9, 0, tzinfo=TZ))
    log(li, w.zhang, datetime(2026, 10, 31, 23, 59, tzinfo=TZ))
    log(wang, None, datetime(2026, 11, 1, 0, 0, tzinfo=TZ))
    with li.transaction():
        li.execute("UPDATE counseling_session SET voided_at = ?, voided_by_id = ?, "
                   "void_reason = 'wrong' WHERE id = ?", (li.now_iso(), li.actor.id, voided))
        audit.record(li, "void", "counseling_session", voided, {})
    both = ActivityDraft("lecture", "讲座", date(2026, 11, 12), participants=30, hours=2.0,
                         counselor_ids=(li.actor.id, wang.actor.id))
    activities.add_activity(li, both)
    activities.add_activity(li, replace(both, date=date(2026, 2, 12)))
    gone = activities.add_activity(wang, replace(both, date=date(2026, 11, 13)))
    activities.void_activity(wang, gone, "重复")
    return {"li": li.actor.id, "wang": wang.actor.id, "zhou": coord.actor.id}


def test_team_summary_per_counselor(w: World) -> None:
    ids = fill(w)
    summary = team.team_summary(w.coord, parse_period("2026-11"))
    assert (summary.period.label, summary.year.label) == ("2026-11", "2026")
    rows = {m.username: m for m in summary.members}
    assert set(rows) == {"li", "wang", "zhou"}
    li, wang, zhou = rows["li"], rows["wang"], rows["zhou"]
    assert (li.training_hours, li.trainings, li.training_hours_year, li.trainings_year) == (
        12.5, 2, 28.5, 3)
    assert (li.sessions, li.sessions_year, li.activities, li.activities_year) == (2, 3, 1, 2)
    assert (wang.training_hours, wang.training_hours_year, wang.sessions, wang.activities) == (
        0.0, 2.0, 1, 1)
    assert (zhou.training_hours, zhou.sessions, zhou.activities_year) == (0.0, 0, 0)
    assert (summary.training_hours, summary.trainings, summary.counselors_trained) == (
        12.5, 2, 1)
    assert (summary.training_hours_year, summary.trainings_year, summary.active_members) == (
        30.5, 4, 3)
    # independent SQL
    with w.coord.reading():
        hours = dict(w.coord.execute(
            "SELECT user_id, SUM(hours) FROM training_record WHERE date LIKE '2026-%' "
            "GROUP BY user_id").fetchall())
        logged = dict(w.coord.execute(
            "SELECT counselor_id, COUNT(*) FROM counseling_session WHERE voided_at IS NULL "
            "AND started_at >= '2026-11-01T00:00:00+08:00' "
            "AND started_at < '2026-12-01T00:00:00+08:00' GROUP BY counselor_id").fetchall())
    assert {m.user_id: m.training_hours_year for m in summary.members if m.trainings_year} \
        == hours
    assert {m.user_id: m.sessions for m in summary.members if m.sessions} == logged
    assert ids["li"] in logged
    # the submission's team section reads the same records
    figures = compile_content(w.coord, parse_period("2026-11"))["sections"]["team"]["figures"]
    assert (figures["training_hours"], figures["trainings"], figures["counselors_trained"]) \
        == (summary.training_hours, summary.trainings, summary.counselors_trained)
    assert figures["counselors"] + figures["coordinators"] == summary.active_members
    year = compile_content(w.coord, parse_period("2026"))["sections"]["team"]
    assert year["figures"]["training_hours"] == summary.training_hours_year
    lectures = year["tables"]["activities"]
    assert lectures["values"][lectures["rows"].index("lecture")][0] == 2  # the voided one left out


def test_who_sees_the_team_figures(w: World) -> None:
    fill(w)
    period = parse_period("2026-11")
    mine = {m.username: m for m in team.team_summary(w.li, period).members}
    assert (mine["li"].sessions, mine["wang"].sessions, mine["wang"].sessions_year) == (
        2, None, None)
    assert mine["wang"].training_hours_year == 2.0
    audited = {m.username: m for m in team.team_summary(w.auditor, period).members}
    assert audited["wang"].sessions == 1
    with pytest.raises(PermissionDenied):
        team.team_summary(w.admin, period)


def test_default_period_is_this_month_and_disabled_members_with_figures_stay(w: World) -> None:
    fill(w)
    assert team.team_summary(w.coord).period.label == "2026-11"
    accounts.disable_user(w.admin, "wang")
    w._login("ma", "counselor")
    accounts.disable_user(w.admin, "ma")
    names = {m.username: m.active for m in team.team_summary(w.coord).members}
    assert names == {"li": True, "wang": False, "zhou": True}

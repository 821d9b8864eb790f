"""Activities 活动培训 and interest groups on a real vault: roles, validation, audit events,
voiding, and the by-kind summary checked against plain SQL and the submission's team section."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.domain.periods import parse_period
from counselor_tui.services import activities, audit, interest_groups, lifecycle, record_versions
from counselor_tui.services.activities import (
    ActivityDraft,
    ActivityInvalid,
    ActivityQuery,
)
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.interest_groups import GroupDraft, GroupInvalid
from counselor_tui.services.submission_compile import compile_content
from db.models import AuditEvent
from tests.integration.incident_fixtures import add_unit, login

TODAY = date(2026, 11, 29)


class World:
    """Units U01 城关派出所 / U02 交警大队; accounts on first use: ``li`` (counselor, U01),
    ``wang`` (counselor, U02), ``zhou`` (coordinator), ``shen`` (auditor)."""

    def __init__(self, admin: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
                 state_dir: Path) -> None:
        self.admin, self.created, self.clock, self.state_dir = admin, created, clock, state_dir
        self.u1 = add_unit(admin, "U01", "城关派出所")
        self.u2 = add_unit(admin, "U02", "交警大队", "交警")
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
        return self._login("wang", "counselor", "U02")

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


def lecture(w: World, *counselors: VaultSession, **changes: Any) -> ActivityDraft:
    draft = ActivityDraft(kind="lecture", title="心理健康知识讲座", date=date(2026, 11, 20),
                          unit_id=w.u1, participants=60, hours=2.0,
                          counselor_ids=tuple(c.actor.id for c in counselors))
    return replace(draft, **changes)


def events(vs: VaultSession, entity: str) -> list[AuditEvent]:
    with vs.reading():
        return list(AuditEvent.select().where(AuditEvent.entity == entity)
                    .order_by(AuditEvent.seq))


# --------------------------------------------------------------------------- recording


def test_a_counselor_records_an_activity_run_with_a_colleague(w: World) -> None:
    aid = activities.add_activity(w.li, lecture(w, w.li, w.wang, title="  减压讲座  "))
    rows = activities.list_activities(w.li, ActivityQuery(period=parse_period("2026-11")))
    assert [(r.id, r.kind, r.title, r.date, r.unit_name, r.participants, r.hours)
            for r in rows] == [(aid, "lecture", "减压讲座", "2026-11-20", "城关派出所", 60, 2.0)]
    assert set(rows[0].counselor_ids) == {w.li.actor.id, w.wang.actor.id}
    assert rows[0].created_by_id == w.li.actor.id
    (event,) = events(w.li, "activity")
    assert (event.action, event.entity_id, event.user) == ("create", str(aid), "li")
    assert event.detail == {"kind": "lecture", "counselors": 2}
    assert audit.verify_chain(w.li).ok


def test_a_counselor_must_be_among_the_counselors_of_what_they_record(w: World) -> None:
    with pytest.raises(ActivityInvalid) as caught:
        activities.add_activity(w.li, lecture(w, w.wang))
    assert set(caught.value.errors) == {"counselor_ids"}
    with pytest.raises(ActivityInvalid):
        activities.add_activity(w.li, lecture(w))
    # a coordinator records any activity, even one without counselors
    aid = activities.add_activity(w.coord, lecture(w))
    assert activities.get_activity(w.coord, aid).counselor_ids == ()


@pytest.mark.parametrize(("changes", "field"), [
    ({"date": date(2026, 11, 30)}, "date"),
    ({"participants": 10_001}, "participants"),
    ({"participants": -1}, "participants"),
    ({"hours": 24.5}, "hours"),
    ({"hours": -0.5}, "hours"),
    ({"hours": float("nan")}, "hours"),
    ({"title": "   "}, "title"),
    ({"title": "讲" * 101}, "title"),
    ({"kind": "party"}, "kind"),
    ({"kind": "interest_group"}, "group_id"),
    ({"note": "x" * 2001}, "note"),
])
def test_each_invalid_field_is_named(w: World, changes: dict[str, Any], field: str) -> None:
    draft = lecture(w, w.li, **changes)
    assert set(activities.validate(draft, TODAY)) == {field}
    with pytest.raises(ActivityInvalid) as caught:
        activities.add_activity(w.li, draft)
    assert set(caught.value.errors) == {field}
    assert events(w.li, "activity") == []


def test_the_limits_themselves_are_accepted(w: World) -> None:
    aid = activities.add_activity(w.li, lecture(w, w.li, date=TODAY, participants=10_000,
                                                hours=24.0, title="讲" * 100))
    zero = activities.add_activity(w.li, lecture(w, w.li, participants=0, hours=0))
    assert activities.get_activity(w.li, aid).hours == 24.0
    assert activities.get_activity(w.li, zero).participants == 0


def test_validation_messages_are_translated(w: World, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Through gettext with a catalog compiled from the fragments into ``tmp_path`` (the
    package's own catalog is compiled by the lead)."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from counselor_tui import i18n
    from counselor_tui.i18n_tools import load_fragments

    catalog = Catalog(locale="zh", domain="counselor_tui", fuzzy=False)
    for msgid, msgstr in load_fragments("zh").items():
        catalog.add(msgid, msgstr)
    out = tmp_path / "locale" / "zh" / "LC_MESSAGES" / "counselor_tui.mo"
    out.parent.mkdir(parents=True)
    with out.open("wb") as fh:
        write_mo(fh, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.set_language("zh")
    errors = activities.validate(lecture(w, w.li, hours=30, participants=-2, title=""), TODAY)
    assert errors == {"hours": "时长：0 到 24 之间的数字（最多一天）。",
                      "participants": "参加人数：0 到 10000 之间的整数。",
                      "title": "请填写活动标题。"}


def test_references_are_checked(w: World) -> None:
    with pytest.raises(ActivityInvalid) as caught:
        activities.add_activity(w.coord, lecture(w, unit_id=9999))
    assert set(caught.value.errors) == {"unit_id"}
    with pytest.raises(ActivityInvalid) as caught:
        activities.add_activity(w.coord, lecture(w, w.auditor))
    assert set(caught.value.errors) == {"counselor_ids"}
    with pytest.raises(ActivityInvalid) as caught:
        activities.add_activity(w.coord, lecture(w, kind="interest_group", group_id=4242))
    assert set(caught.value.errors) == {"group_id"}


def test_auditors_and_admins_do_not_record_or_list(w: World) -> None:
    for vs in (w.auditor, w.admin):
        with pytest.raises(PermissionDenied):
            activities.add_activity(vs, lecture(w))
        with pytest.raises(PermissionDenied):
            activities.list_activities(vs)
        with pytest.raises(PermissionDenied):
            interest_groups.list_groups(vs)
    activities.activity_summary(w.auditor, parse_period("2026-11"))
    with pytest.raises(PermissionDenied):
        activities.activity_summary(w.admin, parse_period("2026-11"))


# --------------------------------------------------------------------------- corrections


def test_corrections_name_the_changed_fields(w: World) -> None:
    aid = activities.add_activity(w.li, lecture(w, w.li))
    changed = activities.update_activity(
        w.li, aid, lecture(w, w.li, w.wang, participants=75, title="减压讲座"))
    assert changed == ["title", "participants", "counselor_ids"]
    row = activities.get_activity(w.li, aid)
    assert (row.title, row.participants, set(row.counselor_ids)) == (
        "减压讲座", 75, {w.li.actor.id, w.wang.actor.id})
    assert activities.update_activity(w.li, aid, row.draft()) == []
    assert [(e.action, e.detail) for e in events(w.li, "activity")] == [
        ("create", {"kind": "lecture", "counselors": 1}),
        ("update", {"fields": ["title", "participants", "counselor_ids"], "version": 2})]
    # the corrected version is kept, with who replaced it
    versions = record_versions.activity_versions(w.li, aid)
    assert [(v.version, v.title, v.participants, len(v.counselor_ids), v.replaced_by is None)
            for v in versions] == [(1, "心理健康知识讲座", 60, 1, False),
                                   (2, "减压讲座", 75, 2, True)]
    with pytest.raises(Exception, match="never changed"), w.li.transaction():
        w.li.execute("UPDATE activity_version SET title = 'x'")
    # wang ran it now, so he may correct it; a third counselor may not
    activities.update_activity(w.wang, aid, replace(row.draft(), hours=3.0))
    third = w._login("zhao", "counselor", "U01")
    with pytest.raises(PermissionDenied):
        activities.update_activity(third, aid, replace(row.draft(),
                                                       counselor_ids=(third.actor.id,)))
    # a counselor cannot take themselves off (it would no longer be theirs)
    with pytest.raises(ActivityInvalid):
        activities.update_activity(w.li, aid, replace(row.draft(),
                                                      counselor_ids=(w.wang.actor.id,)))
    assert activities.update_activity(w.coord, aid, replace(
        row.draft(), counselor_ids=(w.wang.actor.id,), hours=3.0)) == ["counselor_ids"]
    assert audit.verify_chain(w.coord).ok


def test_void_keeps_the_row_and_takes_it_out_of_lists_and_figures(w: World) -> None:
    keep = activities.add_activity(w.li, lecture(w, w.li))
    wrong = activities.add_activity(w.li, lecture(w, w.li, participants=500, hours=3.0))
    with pytest.raises(InvalidInput):
        activities.void_activity(w.li, wrong, "   ")
    with pytest.raises(PermissionDenied):
        activities.void_activity(w.wang, wrong, "录重了")
    activities.void_activity(w.li, wrong, "录重了")
    with pytest.raises(Conflict):
        activities.void_activity(w.coord, wrong, "again")
    with pytest.raises(Conflict):
        activities.update_activity(w.coord, wrong, lecture(w, w.li))
    with pytest.raises(NotFound):
        activities.void_activity(w.coord, 9999, "x")
    period = parse_period("2026-11")
    assert [r.id for r in activities.list_activities(w.li, ActivityQuery(period=period))] \
        == [keep]
    assert activities.count_activities(w.li, ActivityQuery(period=period)) == 1
    voided = activities.get_activity(w.li, wrong)
    assert (voided.voided, voided.void_reason) == (True, "录重了")
    both = activities.list_activities(w.li, ActivityQuery(include_voided=True))
    assert {r.id for r in both} == {keep, wrong}
    summary = activities.activity_summary(w.coord, period)
    lectures = next(k for k in summary.kinds if k.kind == "lecture")
    assert (lectures.count, lectures.participants, lectures.hours) == (1, 60, 2.0)
    team = compile_content(w.coord, period)["sections"]["team"]["tables"]["activities"]
    assert team["values"][team["rows"].index("lecture")] == [1, 60, 2.0]
    (void_event,) = [e for e in events(w.li, "activity") if e.action == "void"]
    assert void_event.detail == {"kind": "lecture"}
    assert "录重了" not in str(void_event.detail)
    assert audit.verify_chain(w.coord).ok


# --------------------------------------------------------------------------- figures


def test_summary_matches_plain_sql_and_the_submission(w: World) -> None:
    g = interest_groups.add_group(w.coord, GroupDraft("书法", "老刘", 20))
    drafts = [
        lecture(w, w.li),
        lecture(w, w.li, date=date(2026, 11, 1), participants=33, hours=1.5),
        lecture(w, w.wang, kind="training", unit_id=w.u2, participants=40, hours=8.0),
        lecture(w, w.wang, kind="drill", unit_id=None, participants=25, hours=3.0),
        lecture(w, kind="interest_group", group_id=g, unit_id=None, participants=12,
                hours=2.0),
        lecture(w, w.li, date=date(2026, 10, 31), participants=99, hours=9.0),  # October
        lecture(w, w.li, date=date(2025, 11, 20)),  # a year earlier
    ]
    ids = [activities.add_activity(w.coord if not d.counselor_ids else
                                   (w.li if w.li.actor.id in d.counselor_ids else w.wang), d)
           for d in drafts]
    activities.void_activity(w.coord, ids[1], "取消")
    period = parse_period("2026-11")
    summary = activities.activity_summary(w.coord, period)
    with w.coord.reading():
        expected = {str(k): (int(n), int(p), float(h)) for k, n, p, h in w.coord.execute(
            "SELECT kind, COUNT(*), SUM(participants), SUM(hours) FROM activity "
            "WHERE voided_at IS NULL AND date BETWEEN '2026-11-01' AND '2026-11-30' "
            "GROUP BY kind")}
    assert {k.kind: (k.count, k.participants, k.hours) for k in summary.kinds
            if k.count} == expected
    assert [k.kind for k in summary.kinds] == ["training", "drill", "lecture",
                                               "interest_group", "group_session"]
    assert (summary.count, summary.participants, summary.hours) == (4, 137, 15.0)
    table = compile_content(w.coord, period)["sections"]["team"]["tables"]["activities"]
    assert {r: v for r, v in zip(table["rows"], table["values"], strict=True)} == {
        k.kind: [k.count, k.participants, k.hours] for k in summary.kinds}
    # the unit scope is the activities held for that unit
    unit = activities.activity_summary(w.coord, period, unit_id=w.u2)
    scoped = compile_content(w.coord, period, "U02")["sections"]["team"]["tables"]["activities"]
    assert (unit.count, unit.participants, unit.hours) == (1, 40, 8.0)
    assert {r: v for r, v in zip(scoped["rows"], scoped["values"], strict=True)} == {
        k.kind: [k.count, k.participants, k.hours] for k in unit.kinds}
    # filters of the list
    by_kind = activities.list_activities(w.li, ActivityQuery(period=period, kind="lecture"))
    assert [r.id for r in by_kind] == [ids[0]]
    ran = activities.list_activities(w.li, ActivityQuery(counselor_id=w.wang.actor.id))
    assert {r.id for r in ran} == {ids[2], ids[3]}
    page = activities.list_activities(w.li, ActivityQuery(), offset=1, limit=2)
    assert [r.date for r in page] == ["2026-11-20", "2026-11-20"]


# --------------------------------------------------------------------------- groups


def test_interest_groups(w: World) -> None:
    with pytest.raises(PermissionDenied):
        interest_groups.add_group(w.li, GroupDraft("摄影"))
    photo = interest_groups.add_group(w.coord, GroupDraft(" 摄影 ", "王队", 18))
    run = interest_groups.add_group(w.coord, GroupDraft("跑步", "", 30))
    with pytest.raises(GroupInvalid) as caught:
        interest_groups.add_group(w.coord, GroupDraft("摄影"))
    assert set(caught.value.errors) == {"name"}
    with pytest.raises(GroupInvalid) as caught:
        interest_groups.add_group(w.coord, GroupDraft("", members=-3))
    assert set(caught.value.errors) == {"name", "members"}
    meeting = lecture(w, w.li, kind="interest_group", group_id=photo, unit_id=None)
    activities.add_activity(w.li, meeting)
    activities.add_activity(w.li, replace(meeting, date=date(2026, 11, 25)))
    with pytest.raises(ActivityInvalid) as refused:
        activities.add_activity(w.li, replace(meeting, kind="lecture"))
    assert set(refused.value.errors) == {"group_id"}
    assert interest_groups.set_group_active(w.coord, run, False) is True
    assert interest_groups.set_group_active(w.coord, run, False) is False
    with pytest.raises(ActivityInvalid) as paused:
        activities.add_activity(w.li, replace(meeting, group_id=run))
    assert set(paused.value.errors) == {"group_id"}
    with pytest.raises(PermissionDenied):
        interest_groups.set_group_active(w.li, run, True)
    groups = interest_groups.list_groups(w.li)
    assert [(g.name, g.lead, g.members, g.active, g.meetings, g.last_meeting)
            for g in groups] == [("摄影", "王队", 18, True, 2, "2026-11-25"),
                                 ("跑步", "", 30, False, 0, None)]
    assert [g.name for g in interest_groups.list_groups(w.li, include_inactive=False)] == ["摄影"]
    assert interest_groups.update_group(w.coord, photo, GroupDraft("摄影", "李队", 22)) == [
        "lead", "members"]
    with pytest.raises(GroupInvalid):
        interest_groups.update_group(w.coord, run, GroupDraft("摄影"))
    assert [(e.action, e.detail) for e in events(w.coord, "interest_group")] == [
        ("create", {"members": 18}), ("create", {"members": 30}),
        ("update", {"fields": ["active"], "active": False}),
        ("update", {"fields": ["lead", "members"]})]
    assert audit.verify_chain(w.coord).ok

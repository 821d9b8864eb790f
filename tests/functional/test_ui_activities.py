"""Pilot tests of the activities 活动培训 and team 辅导员队伍 screens through the real app:
record an activity run by two counselors with a Chinese title and see it listed; record a
training and see its hours on the team screen; the roles' views."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import DataTable, Input, Select, SelectionList

from counselor_tui.domain.periods import parse_period
from counselor_tui.services import activities, interest_groups, record_versions, team
from counselor_tui.services.activities import ActivityDraft, ActivityQuery
from counselor_tui.services.context import VaultSession
from counselor_tui.services.submission_compile import compile_content
from counselor_tui.ui.screens.activities import ActivitiesScreen
from counselor_tui.ui.screens.activity_form import ActivityFormDialog
from counselor_tui.ui.screens.reason_dialog import ReasonDialog
from counselor_tui.ui.screens.team import TeamScreen
from counselor_tui.ui.screens.training_form import TrainingFormDialog
from counselor_tui.ui.screens.versions_dialog import VersionsDialog
from counselor_tui.ui.widgets.form_field import FormField
from counselor_tui.ui.widgets.virtual_table import VirtualTable
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    notices,
    screen_text,
    settle,
)

pytestmark = pytest.mark.world("bureau+team")


def user_id(session: VaultSession, username: str) -> int:
    return next(r.user_id for r in team.list_counselors(session) if r.username == username)


async def test_a_counselor_records_an_activity_with_two_counselors(
        bureau: Bureau, session: VaultSession) -> None:
    backend = backend_for(bureau, "li")
    app = app_for(backend)
    async with app.run_test(size=(120, 44)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled)
        screen = app.screen
        assert isinstance(screen, ActivitiesScreen)
        assert screen.total == 0
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ActivityFormDialog)
                     and app.screen.ready and app.screen.tracking)
        form = app.screen
        assert isinstance(form, ActivityFormDialog)
        assert isinstance(app.focused, Input) and app.focused.id == "af-title"
        await pilot.press(*"心理健康知识讲座")
        listing = form.query_one("#af-counselors", SelectionList)
        assert listing.selected == [backend.vs.actor.id]  # li ticked already
        form.query_one("#af-participants", Input).value = "45"
        form.query_one("#af-hours", Input).value = "2"
        form.query_one("#af-unit", Select).value = bureau.unit1
        listing.focus()
        await pilot.pause()
        wang = user_id(session, "wang")
        while listing.get_option_at_index(listing.highlighted or 0).value != wang:
            await pilot.press("down")
        await pilot.press("space")
        assert sorted(listing.selected) == sorted([backend.vs.actor.id, wang])
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and screen.total == 1)
        table = screen.query_one("#act-table", VirtualTable)
        row = table.row_at(0)
        assert row is not None
        assert (row.title, row.kind, row.date, row.participants, row.hours, row.unit_name) == (
            "心理健康知识讲座", "lecture", "2026-11-29", 45, 2.0, "城关派出所")
        assert set(row.counselors) == {"李辅导", "王辅导"}
        await settle(pilot, lambda: "心理健康知识讲座" in screen_text(app))
        assert "1 activities, 45 participants, 2 hours" in screen_text(app)
    stored = activities.list_activities(backend.vs, ActivityQuery())
    assert [(r.title, set(r.counselor_ids)) for r in stored] == [
        ("心理健康知识讲座", {backend.vs.actor.id, wang})]


async def test_the_form_shows_what_is_wrong_under_the_fields(bureau: Bureau) -> None:
    backend = backend_for(bureau, "li")
    app = app_for(backend)
    async with app.run_test(size=(120, 44)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled)
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ActivityFormDialog)
                     and app.screen.ready)
        form = app.screen
        assert isinstance(form, ActivityFormDialog)
        form.query_one("#af-hours", Input).value = "30"
        form.query_one("#af-counselors", SelectionList).deselect_all()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(form.query_one("#field-hours", FormField).error))
        errors = {f.name: f.error for f in form.query(FormField) if f.error}
        assert set(errors) == {"title", "hours"}
        assert app.screen is form  # nothing saved
        # the service's own check: a counselor must be among the counselors
        await pilot.press(*"讲座")
        form.query_one("#af-hours", Input).value = "2"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(
            form.query_one("#field-counselor_ids", FormField).error))
        assert app.screen is form
        await pilot.press("escape")  # asks: something was typed
        await settle(pilot, lambda: app.screen is not form
                     and not isinstance(app.screen, ActivitiesScreen))
        await pilot.press("enter")  # default: no, keep the form
        await settle(pilot, lambda: app.screen is form)
    assert activities.list_activities(backend.vs) == []


async def test_a_training_record_shows_on_the_team_screen(bureau: Bureau) -> None:
    backend = backend_for(bureau, "li")
    app = app_for(backend)
    async with app.run_test(size=(130, 44)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("team")
        await settle(pilot, lambda: isinstance(app.screen, TeamScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, TeamScreen)
        await pilot.press("t")
        await settle(pilot, lambda: isinstance(app.screen, TrainingFormDialog)
                     and app.screen.ready)
        form = app.screen
        assert isinstance(form, TrainingFormDialog)
        user = form.query_one("#tf-user", Select)
        assert (user.value, user.disabled) == (backend.vs.actor.id, True)
        await pilot.press(*"危机干预技能培训")
        form.query_one("#tf-hours", Input).value = "7.5"
        form.query_one("#tf-provider", Input).value = "市局政治部"
        loaded = screen.loaded
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and screen.loaded > loaded
                     and bool(screen.trainings))
        table = screen.query_one("#team-table", DataTable)
        li_row = table.get_row(str(backend.vs.actor.id))
        assert (li_row[0], li_row[2], li_row[3], li_row[4], li_row[8]) == (
            "李辅导", "7.5", "7.5", "1", "counselor")
        assert [(t.title, t.hours, t.provider) for t in screen.trainings] == [
            ("危机干预技能培训", 7.5, "市局政治部")]
        wang_row = table.get_row(str(user_id(backend.vs, "wang")))
        assert wang_row[5] == "—"  # a counselor sees only their own session counts
        app.clear_notifications()  # the "saved" toast may cover the training list
        await settle(pilot, lambda: "危机干预技能培训" in screen_text(app))
    summary = team.team_summary(backend.vs, parse_period("2026-11"))
    assert {m.username: m.training_hours for m in summary.members}["li"] == 7.5


async def test_a_coordinator_corrects_a_training_and_moves_between_months(
        bureau: Bureau, session: VaultSession) -> None:
    backend = backend_for(bureau, "zhou")
    li = user_id(session, "li")
    tid = team.add_training(backend.vs, team.TrainingDraft(li, date(2026, 10, 8), "沙盘培训",
                                                            8.0, "省厅"))
    app = app_for(backend)
    async with app.run_test(size=(130, 44)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("team")
        await settle(pilot, lambda: isinstance(app.screen, TeamScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, TeamScreen)
        table = screen.query_one("#team-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(li)))
        await settle(pilot, lambda: screen.trainings_of == li and bool(screen.trainings))
        assert table.get_row(str(li))[2:4] == ["0", "8"]  # not this month, but this year
        await pilot.press("p")
        await settle(pilot, lambda: screen.period.label == "2026-10"
                     and screen.answer is not None and screen.answer.period == screen.period)
        assert table.get_row(str(li))[2] == "8"
        screen.query_one("#team-trainings", DataTable).focus()
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, TrainingFormDialog)
                     and app.screen.ready)
        form = app.screen
        assert isinstance(form, TrainingFormDialog)
        form.query_one("#tf-hours", Input).value = "6"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen
                     and table.get_row(str(li))[2] == "6")
    (row,) = team.list_trainings(backend.vs, li)
    assert (row.id, row.hours) == (tid, 6.0)


async def test_a_voided_training_leaves_the_team_screen_hours(
        bureau: Bureau, session: VaultSession) -> None:
    """Issue 19: x voids the highlighted training record with a reason; the team screen's
    hours drop, the record stays listed, marked; h shows the kept versions."""
    backend = backend_for(bureau, "zhou")
    li = user_id(session, "li")
    team.add_training(backend.vs, team.TrainingDraft(li, date(2026, 11, 3), "沙盘培训", 8.0))
    wrong = team.add_training(backend.vs, team.TrainingDraft(li, date(2026, 11, 4),
                                                              "误录的课程", 6.0))
    team.correct_training(backend.vs, wrong, team.TrainingDraft(li, date(2026, 11, 4),
                                                                 "误录的课程", 5.0))
    app = app_for(backend)
    async with app.run_test(size=(130, 44)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("team")
        await settle(pilot, lambda: isinstance(app.screen, TeamScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, TeamScreen)
        table = screen.query_one("#team-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(li)))
        await settle(pilot, lambda: screen.trainings_of == li and len(screen.trainings) == 2)
        assert table.get_row(str(li))[2:5] == ["13", "13", "2"]
        records = screen.query_one("#team-trainings", DataTable)
        records.focus()
        records.move_cursor(row=records.get_row_index(str(wrong)))
        await pilot.press("h")
        await settle(pilot, lambda: isinstance(app.screen, VersionsDialog))
        versions = app.screen.query_one("#versions-table", DataTable)
        assert [str(versions.get_row_at(i)[3]) for i in range(versions.row_count)] == ["6", "5"]
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
        records.focus()
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ReasonDialog))
        app.screen.query_one("#reason-input", Input).value = "误录，实际未参加"
        await pilot.press("enter")
        await settle(pilot, lambda: app.screen is screen
                     and table.get_row(str(li))[2:5] == ["8", "8", "1"]
                     and any(t.voided for t in screen.trainings))
        marked = records.get_row(str(wrong))
        assert str(marked[5]) == "voided: 误录，实际未参加"
    section = compile_content(backend.vs, parse_period("2026-11"))["sections"]["team"]
    assert section["figures"]["training_hours"] == 8.0


async def test_auditors_see_figures_only_and_admins_the_roster(bureau: Bureau) -> None:
    writer = backend_for(bureau, "zhou")
    activities.add_activity(writer.vs, ActivityDraft("drill", "应急演练", date(2026, 11, 3),
                                                     participants=30, hours=3.0))
    auditor = backend_for(bureau, "shen")
    app = app_for(auditor)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled)
        screen = app.screen
        assert isinstance(screen, ActivitiesScreen)
        assert screen.summary is not None and screen.summary.count == 1
        assert screen.query_one("#act-table", VirtualTable).total == 0
        assert "应急演练" not in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen
    admin = backend_for(bureau, "admin")
    app = app_for(admin)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("team")
        await settle(pilot, lambda: isinstance(app.screen, TeamScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, TeamScreen)
        assert screen.answer is not None and screen.answer.summary is None
        assert {c.username for c in screen.answer.roster} == {"li", "wang", "zhou"}
        assert not screen.query_one("#team-trainings", DataTable).display


async def test_a_coordinator_manages_groups_and_voids_an_activity(bureau: Bureau) -> None:
    from counselor_tui.ui.screens.group_form import GroupFormDialog
    from counselor_tui.ui.screens.reason_dialog import ReasonDialog

    backend = backend_for(bureau, "zhou")
    aid = activities.add_activity(backend.vs, ActivityDraft(
        "lecture", "睡眠健康讲座", date(2026, 11, 20), participants=50, hours=1.5))
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled and app.screen.total == 1)
        screen = app.screen
        assert isinstance(screen, ActivitiesScreen)
        # void the only activity, with a reason
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press(*"重复录入", "enter")
        await settle(pilot, lambda: app.screen is screen and screen.total == 0)
        assert screen.summary is not None and screen.summary.count == 0
        await pilot.press("v")
        await settle(pilot, lambda: screen.total == 1)
        row = screen.selected()
        assert row is not None and (row.id, row.voided, row.void_reason) == (aid, True, "重复录入")
        # two groups; change the second one; the cursor stays on it; pause it
        for name in ("书法兴趣小组", "摄影兴趣小组"):
            await pilot.press("g")
            await settle(pilot, lambda: isinstance(app.screen, GroupFormDialog))
            await pilot.press(*name, "tab", *"老刘", "tab", *"20", "ctrl+s")
            await settle(pilot, lambda: app.screen is screen)
        await settle(pilot, lambda: len(screen.groups) == 2)
        table = screen.query_one("#act-groups", DataTable)
        table.move_cursor(row=1)
        group = screen.selected_group()
        assert group is not None and group.name == "摄影兴趣小组"
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, GroupFormDialog))
        members = app.screen.query_one("#gf-members", Input)
        members.value = "26"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen
                     and any(g.members == 26 for g in screen.groups))
        kept = screen.selected_group()
        assert kept is not None and kept.name == "摄影兴趣小组"
        await pilot.press("t")
        await settle(pilot, lambda: any(not g.active for g in screen.groups))
    assert [(g.name, g.members, g.active) for g in interest_groups.list_groups(backend.vs)] == [
        ("书法兴趣小组", 20, True), ("摄影兴趣小组", 26, False)]


async def test_a_corrected_activity_shows_its_kept_versions(bureau: Bureau) -> None:
    """Issue 19: e corrects an activity as a new version; h lists the old one (kept, with
    who replaced it) and the current one."""
    backend = backend_for(bureau, "zhou")
    aid = activities.add_activity(backend.vs, ActivityDraft(
        "lecture", "睡眠健康讲座", date(2026, 11, 20), participants=50, hours=1.5))
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled and app.screen.total == 1)
        screen = app.screen
        assert isinstance(screen, ActivitiesScreen)
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, ActivityFormDialog)
                     and app.screen.ready)
        app.screen.query_one("#af-participants", Input).value = "65"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and screen.settled
                     and (row := screen.selected()) is not None and row.participants == 65)
        await pilot.press("h")
        await settle(pilot, lambda: isinstance(app.screen, VersionsDialog))
        table = app.screen.query_one("#versions-table", DataTable)
        shown = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [(r[0], r[4], r[7]) for r in shown] == [("1", "50", "周主任"), ("2", "65", "")]
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
    assert [v.participants for v in record_versions.activity_versions(backend.vs, aid)] == [
        50, 65]


async def test_the_highlighted_activity_stays_highlighted_after_a_reload(
        bureau: Bureau) -> None:
    """The cursor stays on the same activity (by its id) after h / Esc, a correction that
    moves it in the list, and a void shown with v; so the next x acts on the right one."""
    backend = backend_for(bureau, "zhou")
    ids = [activities.add_activity(backend.vs, ActivityDraft(
        "lecture", f"讲座{n}", date(2026, 11, 10 + n), participants=10 + n, hours=1.0))
        for n in range(3)]
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled and app.screen.total == 3)
        screen = app.screen
        assert isinstance(screen, ActivitiesScreen)
        table = screen.query_one("#act-table", VirtualTable)
        await pilot.press("v")  # voided ones too: a voided activity stays in the list
        await settle(pilot, lambda: screen.settled and screen.include_voided)
        table.cursor = 1
        middle = screen.selected()
        assert middle is not None and middle.id == ids[1]

        def on(aid: int) -> bool:
            row = screen.selected()
            return screen.settled and row is not None and row.id == aid

        await pilot.press("h")
        await settle(pilot, lambda: isinstance(app.screen, VersionsDialog))
        serial = screen.query_serial
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen and screen.query_serial > serial
                     and screen.settled)
        assert on(ids[1])
        # a correction
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, ActivityFormDialog)
                     and app.screen.ready)
        app.screen.query_one("#af-participants", Input).value = "65"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and on(ids[1])
                     and (row := screen.selected()) is not None and row.participants == 65)
        assert table.cursor == 1
        table.cursor = 2
        assert on(ids[0])
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press(*"重复录入", "enter")
        await settle(pilot, lambda: app.screen is screen and on(ids[0])
                     and (row := screen.selected()) is not None and row.voided)
        assert table.cursor == 2


async def test_the_highlighted_training_record_stays_highlighted_after_a_reload(
        bureau: Bureau, session: VaultSession) -> None:
    """The training record under the cursor stays under it (by its id) after h / Esc and a
    correction, so the next x voids that one."""
    backend = backend_for(bureau, "zhou")
    li = user_id(session, "li")
    ids = [team.add_training(backend.vs, team.TrainingDraft(
        li, date(2026, 11, 3 + n), f"课程{n}", 2.0 + n)) for n in range(3)]
    app = app_for(backend)
    async with app.run_test(size=(130, 44)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("team")
        await settle(pilot, lambda: isinstance(app.screen, TeamScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, TeamScreen)
        table = screen.query_one("#team-table", DataTable)
        table.move_cursor(row=table.get_row_index(str(li)))
        await settle(pilot, lambda: screen.trainings_of == li and len(screen.trainings) == 3)
        records = screen.query_one("#team-trainings", DataTable)
        records.focus()
        target = ids[1] if records.get_row_index(str(ids[1])) else ids[2]
        records.move_cursor(row=records.get_row_index(str(target)))
        assert records.cursor_row > 0
        loaded = screen.loaded
        await pilot.press("h")
        await settle(pilot, lambda: isinstance(app.screen, VersionsDialog))
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen and screen.loaded > loaded)
        await settle(pilot, lambda: len(screen.trainings) == 3 and records.row_count == 3)
        await pilot.pause()
        row = screen.selected_training()
        assert row is not None and row.id == target
        assert table.get_row_index(str(li)) == table.cursor_row
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press(*"误录", "enter")
        await settle(pilot, lambda: app.screen is screen
                     and any(t.voided for t in screen.trainings))
        assert [t.id for t in screen.trainings if t.voided] == [target]
        row = screen.selected_training()
        assert row is not None and row.id == target


async def test_saving_an_unchanged_correction_says_nothing_changed(bureau: Bureau) -> None:
    """e then Ctrl+S without a change makes no version and says so (not "corrected")."""
    backend = backend_for(bureau, "zhou")
    aid = activities.add_activity(backend.vs, ActivityDraft(
        "lecture", "睡眠健康讲座", date(2026, 11, 20), participants=50, hours=1.5))
    app = app_for(backend)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled and app.screen.total == 1)
        screen = app.screen
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, ActivityFormDialog)
                     and app.screen.ready)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen)
        said = notices(app)
        assert "Nothing was changed; the activity stays as it was." in said
        assert "Activity corrected." not in said
    assert len(record_versions.activity_versions(backend.vs, aid)) == 1

"""Pilot test of the handover 交接 (issue 15, point 3): a coordinator hands a counselor's
work over from the team screen; an admin disables a counselor holding work, handing it over
in the same act — the real app, in Chinese."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Select, Static

from counselor_tui.i18n import set_language
from counselor_tui.services import handover, persons, sessions
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.handover_dialog import HandoverDialog
from counselor_tui.ui.screens.team import TeamScreen
from counselor_tui.ui.screens.users_settings import UsersSettingsScreen
from db.models import User
from db.models_care import Handover
from tests.functional.ui_support import Bureau, app_for, backend_for, log, notices, settle

pytestmark = pytest.mark.world("bureau+team")


async def test_coordinator_hands_over_then_admin_disables_with_handover(
        bureau: Bureau) -> None:
    set_language("zh")
    li = backend_for(bureau, "li")
    log(li, bureau.ids["zhang"], "复谈", follow_up="2026-12-02")
    with li.vs.reading():
        ids = {u.username: u.id for u in User.select()}
    sessions.log_session(li.vs, sessions.SessionDraft(  # with 王辅导 as co-counselor
        person_id=bureau.ids["zhang"], started_at=li.vs.now(), channel="face_to_face",
        kind="crisis", topics=("trauma",), duration_min=60, co_counselor_ids=(ids["wang"],)))
    li.lock()
    coord = backend_for(bureau, "zhou")
    app = app_for(coord, idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_area("team")
        await settle(pilot, lambda: isinstance(app.screen, TeamScreen)
                     and app.screen.loaded > 0)
        team = app.screen
        table = team.query_one("#team-table", DataTable)
        # the joint session counts in each one's workload (issue 15 item 6)
        assert [str(table.get_cell(str(ids[u]), "sessions")) for u in ("li", "wang", "zhou")
                ] == ["2", "1", "0"]
        table.move_cursor(row=table.get_row_index(str(ids["li"])))
        await pilot.press("g")
        await settle(pilot, lambda: isinstance(app.screen, HandoverDialog) and app.screen.ready)
        dialog = app.screen
        assert isinstance(dialog, HandoverDialog)
        moves = str(dialog.query_one("#ho-moves", Static).render())
        assert "服务对象：1人" in moves and "张三 (010001)" in moves and "待回访：1项" in moves
        dialog.query_one("#ho-receiver", Select).value = ids["wang"]
        dialog.query_one("#ho-reason", Input).value = "调离"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is team)
        assert any("已交接给王辅导" in n for n in notices(app))
    coord.lock()
    wang = backend_for(bureau, "wang")
    assert persons.get_person(wang.vs, bureau.ids["zhang"]).person.name == "张三"
    wang.lock()

    admin = backend_for(bureau, "admin")
    app = app_for(admin, idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_area("users")
        await settle(pilot, lambda: isinstance(app.screen, UsersSettingsScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, UsersSettingsScreen) and screen.data is not None
        table = screen.query_one("#us-accounts", DataTable)
        table.focus()
        table.move_cursor(row=[u.username for u in screen.data.users].index("wang"))
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, HandoverDialog) and app.screen.ready)
        dialog = app.screen
        assert isinstance(dialog, HandoverDialog)
        moves = str(dialog.query_one("#ho-moves", Static).render())
        assert f"#{bureau.ids['zhang']}" in moves and "张三" not in moves  # ids for an admin
        dialog.query_one("#ho-receiver", Select).value = ids["li"]
        dialog.query_one("#ho-reason", Input).value = "退休"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is not dialog)
    with admin.vs.reading():
        assert not User.get(User.username == "wang").active
        rows = [(h.from_user_id, h.to_user_id, h.disabled) for h in Handover.select()]
    assert rows == [(ids["li"], ids["wang"], False), (ids["wang"], ids["li"], True)]
    assert handover.plan(admin.vs, "li").counts == {"persons": 1, "follow_ups": 1, "steps": 0,
                                                     "appointments": 0}

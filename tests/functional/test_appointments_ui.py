"""Pilot test of appointments (issue 15, point 5), one app run: the dashboard's agenda with a
missed appointment, scheduling from the appointments screen, logging the session of an
appointment from a filled form, the missed one gone once logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, Select

from counselor_tui.i18n import set_language
from counselor_tui.services import appointments, sessions
from counselor_tui.services.appointments import AppointmentDraft
from counselor_tui.ui.screens.appointment_dialog import ScheduleDialog
from counselor_tui.ui.screens.appointment_session import AppointmentSessionForm
from counselor_tui.ui.screens.appointments import AppointmentsScreen
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.person_picker import PersonPicker
from tests.functional.ui_support import Bureau, app_for, backend_for, screen_text, settle

pytestmark = pytest.mark.world("bureau")


async def test_agenda_schedule_and_log_from_an_appointment(bureau: Bureau) -> None:
    set_language("zh")
    backend = backend_for(bureau)
    vs = backend.vs
    now = vs.now()  # 2026-11-29 09:00
    early = appointments.schedule(vs, AppointmentDraft(
        bureau.ids["zhang"], now.replace(hour=8, minute=0), channel="hotline",
        duration_min=30))
    appointments.schedule(vs, AppointmentDraft(None, now + timedelta(days=2),
                                               caller_label="热线来电A"))
    # today later on, and one past the week: the agenda shows today's, not the far one
    appointments.schedule(vs, AppointmentDraft(bureau.ids["li4"], now.replace(hour=15)))
    appointments.schedule(vs, AppointmentDraft(bureau.ids["spouse"], now + timedelta(days=20)))
    app = app_for(backend, idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working and isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        dash = app.screen
        assert isinstance(dash, DashboardScreen)
        lines = dash.text_lines()
        assert "预约" in lines
        assert any(line.startswith("未到：") and "张三" in line for line in lines), lines
        assert any("热线来电A" in line for line in lines), lines
        assert any("李四" in line and "15:00" in line for line in lines), lines
        assert not any("刘芳" in line for line in lines), lines  # 20 days ahead
        assert "今天1个，7天内1个，未到1个" in screen_text(app)

        app.open_area("appointments")
        await settle(pilot, lambda: isinstance(app.screen, AppointmentsScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, AppointmentsScreen)
        assert screen.rows[0].id == early.id and screen.rows[0].missed

        rows = len(screen.rows)
        # schedule one for 张思 tomorrow 14:30 through the dialog
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ScheduleDialog) and app.screen.ready)
        dialog = app.screen
        assert isinstance(dialog, ScheduleDialog)
        await pilot.press(*"010002")
        picker = dialog.query_one("#ap-person", PersonPicker)
        await settle(pilot, lambda: bool(picker.matches))
        await pilot.press("enter")
        await settle(pilot, lambda: picker.person_id == bureau.ids["zhangsi"])
        dialog.query_one("#ap-start", DateInput).text = "明天 14:30"
        dialog.query_one("#ap-channel", Select).value = "online"
        dialog.query_one("#ap-note", Input).value = "复谈"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and len(screen.rows) == rows + 1)
        new = next(r for r in screen.rows if r.who == "张思")
        assert new.starts_at == "2026-11-30T14:30:00+08:00" and new.channel == "online"

        # log the missed one: the form comes filled from the appointment
        screen.query_one("#ap-table", DataTable).move_cursor(row=0)
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, AppointmentSessionForm))
        form = app.screen
        assert isinstance(form, AppointmentSessionForm)
        assert form.query_one("#person", PersonPicker).person_id == bureau.ids["zhang"]
        assert form.query_one("#started", DateInput).text.endswith("08:00")
        assert form.query_one("#channel", Select).value == "hotline"
        assert form.query_one("#duration", Input).value == "30"
        await pilot.press("space")  # the first topic
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and screen.rows[0].status == "kept")
        assert not screen.rows[0].missed
    assert not appointments.missed(vs)
    kept = appointments.get(vs, early.id)
    assert kept.session_id is not None
    assert sessions.get_session(vs, kept.session_id).channel == "hotline"

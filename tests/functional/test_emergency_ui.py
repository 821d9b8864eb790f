"""Pilot tests of issue 5: F9 from a text area opens the emergency form and saves the
policy's plan; an overdue step raises the banner on other screens until it is recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Select, TextArea

from counselor_tui.domain.dates import from_storage
from counselor_tui.services import incidents, lifecycle
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.incidents import ExposureDraft, IncidentDraft
from counselor_tui.ui import areas
from counselor_tui.ui.app import create_app
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.emergency import EmergencyScreen
from counselor_tui.ui.screens.incidents import IncidentsScreen
from counselor_tui.ui.screens.record_step import RecordStepModal
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.incident_person_picker import IncidentPersonPicker
from db.models import Incident, IncidentExposure, IncidentStep
from tests.functional.ui_support import settle
from tests.integration.incident_fixtures import add_officer, add_unit, login

H = timedelta(hours=1)
D = timedelta(days=1)


class NoteScreen(BaseScreen):
    """Stand-in for the session form while ``ui/screens/session_form.py`` is not there:
    a multi-line note being typed."""

    def compose(self) -> ComposeResult:
        yield TextArea(id="note")


@pytest.fixture
def counselor(session: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
              state_dir: Path) -> tuple[Backend, dict[str, int]]:
    u1 = add_unit(session, "U01", "城关派出所")
    ids = {"u1": u1, "zhang": add_officer(session, "张三", "010001", u1),
           "li": add_officer(session, "李四", "010002", u1)}
    vs = login(session, created, clock, state_dir, "li", "counselor", "U01")
    backend = Backend(created.path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    backend.adopt(vs)
    return backend, ids


def _note_area(app: Any) -> TextArea:
    return app.screen.query_one("#note", TextArea)  # type: ignore[no-any-return]


async def test_f9_while_typing_a_session_note_flags_an_emergency_with_policy_steps(
        counselor: tuple[Backend, dict[str, int]], clock: FixedClock) -> None:
    backend, ids = counselor
    app = create_app(backend, idle_minutes=60)
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        entry = areas.area("log_session")
        if entry is not None and areas.screen_class(entry) is not None:
            app.open_area("log_session")  # the real session form (issue 3 UI)
            await settle(pilot, lambda: bool(app.screen.query(TextArea)))
        else:
            app.push_screen(NoteScreen())
            await settle(pilot, lambda: isinstance(app.screen, NoteScreen))
        form = app.screen
        real_form = type(form).__name__ == "SessionFormScreen"
        assert real_form or isinstance(form, NoteScreen)
        note = _note_area(app)
        note.focus()
        await pilot.press("a", "b", "c")
        await settle(pilot, lambda: note.text.endswith("abc"))
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, EmergencyScreen))
        assert note.text.endswith("abc")  # F9 typed nothing into the note
        screen = app.screen
        assert isinstance(screen, EmergencyScreen)
        assert screen.query_one("#em-kind", Select).has_focus
        screen.query_one("#em-kind", Select).value = "shooting"
        search = screen.query_one("#ipp-search", Input)
        search.focus()
        await pilot.press(*"010001")
        await settle(pilot, lambda: screen.query_one("#ipp-hits").display)
        await pilot.press("enter")
        await settle(pilot, lambda: len(screen.query_one(IncidentPersonPicker).picked) == 1)
        await pilot.press(*"010002")
        await settle(pilot, lambda: screen.query_one("#ipp-hits").display)
        await pilot.press("enter")
        await settle(pilot, lambda: len(screen.query_one(IncidentPersonPicker).picked) == 2)
        screen.query_one("#ipp-picked").focus()
        await pilot.press("r")  # the person just picked: involved → injured
        screen.query_one("#em-occurred", Input).value = "今天 8点"
        screen.query_one("#em-reported", Input).value = "今天 8:30"
        summary = screen.query_one("#em-summary", TextArea)
        summary.focus()
        await pilot.press(*"shots fired")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is form)
        assert screen.saved_id is not None
        assert note.text.endswith("abc")  # back on the form, the note kept
    vs = backend.vs
    reported = datetime(2026, 11, 29, 8, 30, tzinfo=clock.now().tzinfo)
    with vs.reading():
        incident = Incident.get_by_id(screen.saved_id)
        steps = [(s.step, s.person_id, from_storage(s.due_at)) for s in
                 IncidentStep.select().where(IncidentStep.incident == incident.id)
                 .order_by(IncidentStep.id)]
        roles = {e.person_id: e.role for e in IncidentExposure.select().where(
            IncidentExposure.incident == incident.id)}
    assert (incident.kind, incident.summary) == ("shooting", "shots fired")
    assert from_storage(incident.occurred_at) == reported - timedelta(minutes=30)
    assert roles == {ids["zhang"]: "involved", ids["li"]: "injured"}
    # policy.md: acknowledge 2 h · first contact with each involved officer 12 h · session
    # 48 h · follow-up 7 days · follow-up 30 days · review 90 days, from reported_at
    assert steps == [
        ("acknowledge", None, reported + 2 * H),
        ("first_contact", ids["zhang"], reported + 12 * H),
        ("first_contact", ids["li"], reported + 12 * H),
        ("session", None, reported + 48 * H),
        ("follow_up_7d", None, reported + 7 * D),
        ("follow_up_30d", None, reported + 30 * D),
        ("review_90d", None, reported + 90 * D),
    ]


def _banner(app: Any) -> Banner:
    return app.screen.query_one(Banner)  # type: ignore[no-any-return]


async def test_f9_from_a_session_form_prefills_its_person(
        counselor: tuple[Backend, dict[str, int]], clock: FixedClock) -> None:
    backend, ids = counselor
    app = create_app(backend, idle_minutes=60)
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("log_session")
        await settle(pilot, lambda: bool(app.screen.query(TextArea)))
        from counselor_tui.ui.widgets.person_picker import PersonPicker

        picker = app.screen.query_one("#person", PersonPicker)
        picker.focus()
        await pilot.press(*"010001")
        await settle(pilot, lambda: not picker.searching)
        await pilot.press("enter")
        await settle(pilot, lambda: picker.person_id == ids["zhang"])
        _note_area(app).focus()
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, EmergencyScreen))
        screen = app.screen
        await settle(pilot, lambda: len(screen.query_one(IncidentPersonPicker).picked) == 1)
        assert [p.person_id for p in screen.query_one(IncidentPersonPicker).picked] == [
            ids["zhang"]]


async def test_overdue_step_shows_the_banner_on_other_screens_until_recorded(
        counselor: tuple[Backend, dict[str, int]], clock: FixedClock) -> None:
    backend, ids = counselor
    incidents.flag_emergency(backend.vs, IncidentDraft(
        kind="attack_on_officers", occurred_at=clock.now() - H, reported_at=clock.now(),
        persons=(ExposureDraft("involved", ids["zhang"]),)))
    # the clock jumps by hours: no idle lock in between (idle is measured on the same clock)
    app = create_app(backend, idle_minutes=10_000, banner_seconds=0.05)
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working and isinstance(app.screen, DashboardScreen))
        assert not _banner(app).display  # acknowledge is due in 2 hours
        clock.advance(hours=2, minutes=1)
        await settle(pilot, lambda: _banner(app).display, delay=0.02)  # the banner timer
        assert app.banner_text.startswith("Incident steps: 1 overdue")
        assert "acknowledge, overdue by 1 min 0 s" in app.banner_text
        home = app.screen
        assert isinstance(home, DashboardScreen)
        loads = home.loaded
        home.reload()
        await settle(pilot, lambda: home.loaded > loads)
        top = home.sections[0]  # overdue steps at the top of the dashboard, in red
        assert (top.id, top.level, top.items[0].level) == ("incidents", "urgent", "urgent")
        assert top.items[0].text.startswith("acknowledge · ")
        await pilot.press("f6")
        await settle(pilot, lambda: isinstance(app.screen, IncidentsScreen)
                     and app.screen.current is not None)
        screen = app.screen
        assert isinstance(screen, IncidentsScreen)
        await settle(pilot, lambda: bool(screen.query(Banner)) and _banner(app).display)
        current = screen.current
        assert current is not None
        ack = current.steps[0]
        assert ack.step == "acknowledge"
        assert screen.countdown_text(ack.id) == "overdue by 1 min 0 s"
        clock.advance(seconds=30)
        await settle(pilot, lambda: screen.countdown_text(ack.id) == "overdue by 1 min 30 s",
                     delay=0.02)  # the countdown timer
        screen.query_one("#inc-steps", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, RecordStepModal))
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and app.banner_text == "")
        await settle(pilot, lambda: not _banner(app).display)
        await pilot.press("f5")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert not _banner(app).display
    with backend.vs.reading():
        step = IncidentStep.get_by_id(ack.id)
    assert step.done_at is not None and step.form == "phone_contact"

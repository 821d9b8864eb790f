"""Sessions as people expect them on the record (issue 15 item 6), in one app run: the
timeline shows the intervention and each addendum with its author and time; ``o`` shows a
session in full (the whole note, every field, addenda with author and time); from there
``e`` corrects one's own session inside the edit window and ``n`` adds an addendum to a
locked one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import OptionList, SelectionList, Static, TextArea

from counselor_tui.services import sessions
from counselor_tui.services.api import Backend
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.addendum import AddendumDialog
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.session_view import SessionView
from tests.functional.ui_support import Bureau, app_for, backend_for, notices, screen_text, settle

pytestmark = pytest.mark.world("bureau+team")

LINES = [f"第{i}行：情况记录" for i in range(1, 9)]


async def test_the_record_shows_sessions_in_full_and_corrects_them(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    vs = backend.vs
    zhang = bureau.ids["zhang"]
    old = sessions.log_session(vs, sessions.SessionDraft(
        person_id=zhang, started_at=vs.now() - timedelta(hours=1), channel="face_to_face",
        kind="routine", topics=("work_stress",), duration_min=50, note="\n".join(LINES),
        intervention="放松训练", risk="low")).id
    bureau.clock.advance(days=8)  # the first session is now locked
    sessions.add_addendum(backend.vs, old, "补充：电话随访正常")
    recent = sessions.log_session(backend.vs, sessions.SessionDraft(
        person_id=zhang, started_at=backend.vs.now(), channel="hotline", kind="follow_up",
        topics=("health_sleep",), duration_min=30, note="新记录",
        co_counselor_ids=(wang_id(backend),))).id
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        app.post_message(OpenPerson(zhang))
        # the record's sections are drawn after its data arrives (a loaded machine)
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None
                     and "Intervention: 放松训练" in screen_text(app))
        person = app.screen
        assert isinstance(person, PersonScreen)
        shown = screen_text(app)
        stamp = bureau.clock.now().strftime("%Y-%m-%d %H:%M")
        assert f"+ {stamp} · 李辅导: 补充：电话随访正常" in shown
        assert "第8行" not in shown  # the record shows the first lines of a note
        assert "李辅导, 王辅导" in shown  # the author and the co-counselor

        # o: the locked session in full; e is refused there, n adds an addendum
        person.query_one("#sessions", OptionList).focus()
        await pilot.press("end", "o")
        await settle(pilot, lambda: isinstance(app.screen, SessionView))
        view = app.screen
        assert isinstance(view, SessionView) and view.session.id == old
        full = view.shown_text()
        for line in LINES:
            assert line in full
        assert "放松训练" in full and "李辅导" in full and stamp in full
        await pilot.press("e")
        await settle(pilot, lambda: any("edit window is over" in n for n in notices(app)))
        assert app.screen is view
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, AddendumDialog))
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is person)

        # o then e on one's own recent session: the form corrects it
        person.query_one("#sessions", OptionList).focus()
        await pilot.press("home", "o")
        await settle(pilot, lambda: isinstance(app.screen, SessionView))
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                     and app.screen.tracking)
        form = app.screen
        assert isinstance(form, SessionFormScreen)
        assert form.editing is not None and form.editing.id == recent
        box = form.query_one("#co-counselors", SelectionList)
        await settle(pilot, lambda: box.option_count == 2)  # 王辅导, 周主任 (not li)
        assert box.selected == [wang_id(backend)] and not form.has_unsaved_changes()
        box.select(user_id(backend, "zhou"))  # a second co-counselor
        form.query_one("#note", TextArea).text = "新记录（已更正）"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is person and person.record is not None
                     and person.record.sessions[0].note == "新记录（已更正）")
        assert set(person.record.sessions[0].co_counselors) == {"王辅导", "周主任"}


        # fix15 F: the correction form shows the empty intervention field; left unchanged,
        # Esc closes it without a question; changed, it asks about the changes (not about
        # discarding the session)
        person.query_one("#sessions", OptionList).focus()
        await pilot.press("home", "enter")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                     and app.screen.tracking)
        form = app.screen
        assert "e.g. relaxation training" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is person)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                     and app.screen.tracking)
        form = app.screen
        form.query_one("#note", TextArea).text = "再改一次"
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = str(app.screen.query_one("#question", Static).render())
        assert question.startswith("Discard your changes to this session?"), question
        await pilot.click("#yes")
        await settle(pilot, lambda: app.screen is person)


def user_id(backend: Backend, username: str) -> int:
    vs = backend.vs
    with vs.reading():
        return int(vs.execute('SELECT id FROM "user" WHERE username = ?',
                              (username,)).fetchone()[0])


def wang_id(backend: Backend) -> int:
    return user_id(backend, "wang")

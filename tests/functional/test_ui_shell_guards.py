"""Guards of the app shell (issue 3 item 1, DESIGN §5–§6) found by the new-user and
adversarial testers: a window too small to lay out, ctrl+q over unsaved text, a lock that
drops a form's text, areas a role may not use, keys of a burst landing in the right field,
Textual's own key descriptions in Chinese, and no traceback with local variables."""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, TextArea

from counselor_tui.domain import vocab
from counselor_tui.i18n import set_language
from counselor_tui.services import assessments
from counselor_tui.ui.app import CounselorApp, crash_message
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.too_small import TooSmallScreen
from counselor_tui.ui.screens.unlock import UnlockScreen
from counselor_tui.ui.widgets.topic_select import TopicSelect
from counselor_tui.ui.widgets.virtual_table import VirtualTable
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    notices,
    screen_text,
    settle,
)

NOTE = "夜班后失眠两周"


pytestmark = pytest.mark.world("bureau+auditor")


@pytest.fixture
def bureau(world: Bureau) -> Bureau:
    set_language("zh")  # the interface as counselors use it (conftest resets to English)
    return world


async def _form_with_note(pilot: Pilot[Any], app: CounselorApp) -> TextArea:
    await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
    await pilot.press("f2")
    await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                 and bool(app.screen.query("#note")))
    note = app.screen.query_one("#note", TextArea)
    note.text = NOTE
    return note


async def test_too_small_window_shows_a_notice_and_comes_back_as_it_was(
        bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(100, 36)) as pilot:
        await _form_with_note(pilot, app)
        for width, height in ((40, 10), (20, 5), (1, 1)):
            await pilot.resize_terminal(width, height)
            await settle(pilot, lambda: isinstance(app.screen, TooSmallScreen))
        await pilot.resize_terminal(30, 8)
        await settle(pilot, lambda: isinstance(app.screen, TooSmallScreen))
        assert "窗口太小" in screen_text(app)
        await pilot.resize_terminal(100, 36)
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
        assert app.screen.query_one("#note", TextArea).text == NOTE


async def test_ctrl_q_over_unsaved_text_asks_and_no_keeps_the_form(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await _form_with_note(pilot, app)
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "未保存" in screen_text(app)
        await pilot.press("escape")  # No is the default answer
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
        assert app.backend.unlocked
        assert app.screen.query_one("#note", TextArea).text == NOTE
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.click("#yes")
        await settle(pilot, lambda: app.return_code == 0)
        assert not app.backend.unlocked


async def test_ctrl_q_without_unsaved_text_quits_at_once(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("ctrl+q")
        await settle(pilot, lambda: app.return_code == 0)
        assert not app.backend.unlocked


async def test_lock_over_a_form_says_on_the_unlock_screen_that_the_text_is_kept(
        bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await _form_with_note(pilot, app)
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        text = screen_text(app)
        assert NOTE not in text
        assert "正在填写的内容已加密保存在加密库中，解锁后恢复" in text.replace("\n", "")


async def test_auditor_is_told_the_archive_and_session_form_are_not_for_the_role(
        bureau: Bureau) -> None:
    app = app_for(backend_for(bureau, "shen"))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        for key in ("f2", "f3", "f8"):
            await pilot.press(key)
            await settle(pilot, lambda: any("不能使用" in n for n in notices(app)))
            assert isinstance(app.screen, DashboardScreen)
            app.clear_notifications()
        footer = screen_text(app).splitlines()[-1]
        assert "记录咨询" not in footer


async def test_keys_of_a_burst_after_enter_land_in_the_passphrase(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau, None))
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        user = app.screen.query_one("#username", Input)
        user.value = ""
        user.focus()
        await pilot.press(*"li", "enter", *"abc")
        await settle(pilot, lambda: app.screen.query_one("#passphrase", Input).value == "abc")
        assert user.value == "li"


async def test_a_key_before_tab_in_a_burst_acts_on_the_field_it_was_typed_in(
        bureau: Bureau) -> None:
    """Space then Tab (or Shift+Tab) arriving together — fast typing, an SSH link — tick
    the topic (the checkbox) the Space was typed in, and the focus moves on: without
    :mod:`counselor_tui.ui.key_order` the priority Tab moved the focus before the Space's
    binding was looked up, and the Space was lost (the save then refused "no topic")."""
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(110, 40)) as pilot:
        await _form_with_note(pilot, app)
        form = app.screen
        topics = form.query_one("#topics", TopicSelect)
        topics.focus()
        await settle(pilot, lambda: app.focused is topics and topics.highlighted == 0)
        app.post_message(events.Key("space", " "))  # no pause between the two keys
        app.post_message(events.Key("tab", None))
        await settle(pilot, lambda: app.focused is not topics and bool(topics.topics))
        assert topics.topics == (next(iter(vocab.TOPICS)),)
        sealed = form.query_one("#sealed", Checkbox)
        sealed.focus()
        await settle(pilot, lambda: app.focused is sealed)
        app.post_message(events.Key("space", " "))
        app.post_message(events.Key("shift+tab", None))
        await settle(pilot, lambda: app.focused is not sealed and sealed.value)


async def test_keys_of_a_burst_after_a_focus_move_act_where_the_focus_went(
        bureau: Bureau) -> None:
    """Down, Down typed together in the archive's search: the first goes to the list, the
    second moves its cursor to the second row, as when typed slowly (only a *later* key's
    priority binding — Tab — makes a key act where it arrived; a binding of the key before
    it moves the focus in order). Seen wrong in tmux: Down Down Enter opened the first row's
    record instead of the second's."""
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f3")
        await settle(pilot, lambda: type(app.screen).__name__ == "ArchiveScreen"
                     and "张三" in screen_text(app))
        screen = app.screen
        search = screen.query_one("#archive-search", Input)
        table = screen.query_one("#archive-table", VirtualTable)
        assert app.focused is search
        app.post_message(events.Key("down", None))  # no pause between the two keys
        app.post_message(events.Key("down", None))
        await settle(pilot, lambda: app.focused is table and table.cursor == 1)


async def test_footer_of_textual_widgets_is_in_chinese(bureau: Bureau) -> None:
    app = app_for(backend_for(bureau))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f3")
        await settle(pilot, lambda: type(app.screen).__name__ == "ArchiveScreen"
                     and "张三" in screen_text(app))
        footer = screen_text(app).rstrip("\n").splitlines()[-1]
        assert not any(word in footer for word in ("Select", "Cursor", "Page", "Top"))


async def test_person_record_names_assessment_bands_in_chinese(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    assessments.record_assessment(backend.vs, assessments.AssessmentDraft(
        bureau.ids["zhang"], "phq9", (1, 1, 1, 1, 1, 1, 0, 0, 0), backend.vs.today()))
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None and "PHQ-9" in screen_text(app))
        line = next(x for x in screen_text(app).splitlines() if "PHQ-9" in x)
        assert "轻度" in line and "mild" not in line


async def test_incident_countdowns_stay_visible_at_80_by_24(bureau: Bureau) -> None:
    from datetime import timedelta

    from counselor_tui.services import incidents
    from counselor_tui.services.incidents import ExposureDraft, IncidentDraft
    from counselor_tui.ui.screens.incidents import IncidentsScreen

    backend = backend_for(bureau)
    now = bureau.clock.now()
    incidents.flag_emergency(backend.vs, IncidentDraft(
        kind="attack_on_officers", occurred_at=now - timedelta(hours=1), reported_at=now,
        persons=(ExposureDraft("involved", bureau.ids["zhang"]),)))
    app = app_for(backend, idle_minutes=10_000)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f6")
        await settle(pilot, lambda: isinstance(app.screen, IncidentsScreen)
                     and app.screen.current is not None)
        await settle(pilot, lambda: "张三" in screen_text(app))
        row = next(x for x in screen_text(app).splitlines() if "首次接触" in x and "张三" in x)
        assert "剩余12小时" in row  # the countdown, not cut off behind the due date


def test_crash_message_names_only_the_kind_of_error() -> None:
    message = crash_message(ValueError("张三 010001 " + NOTE))
    assert "ValueError" in message
    assert "张三" not in message and NOTE not in message

"""What a new user's day ran into (issue 16 point 6), in one app run: a keymap file rebinds
a key and F1 shows it (a wrong entry is reported), the F2 picker says whose family member a
person is, a checkbox shows its state by shape, the discard dialog lights the button that
has the focus, the anonymous caller gets the hotline and no errors at once, a date that
does not read says why while typed and once after, the person record's session list has a
selection at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, OptionList, Select

from counselor_tui.i18n import set_language
from counselor_tui.ui.screens.archive import ArchiveScreen
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.help import HelpScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField
from counselor_tui.ui.widgets.person_picker import PersonPicker
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    log,
    notices,
    screen_text,
    settle,
)

pytestmark = pytest.mark.world("bureau")


async def test_a_new_users_day(bureau: Bureau, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('[keymap]\nlog_session = "f2,ctrl+n"\nno_such_key = "f12"\n',
                      encoding="utf-8")
    monkeypatch.setenv("COUNSELOR_TUI_KEYMAP", str(keymap))
    set_language("zh")
    backend = backend_for(bureau)
    log(backend, bureau.ids["zhang"], "首次面谈")
    log(backend, bureau.ids["zhang"], "回访")
    app = app_for(backend)
    try:
        async with app.run_test(size=(110, 40)) as pilot:
            await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
            assert any("没有名为“no_such_key”的按键" in n for n in notices(app))
            await pilot.press("f1")
            await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
            assert "F2 / Ctrl+N" in screen_text(app)  # the keys in force
            await pilot.press("escape", "ctrl+n")  # the rebound key works
            await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
            form = app.screen
            picker = form.query_one("#person", PersonPicker)
            await pilot.press(*"刘芳")
            await settle(pilot, lambda: not picker.searching and "刘芳" in screen_text(app))
            assert "张三的配偶" in screen_text(app)  # whose family member she is

            sealed = form.query_one("#sealed", Checkbox)
            assert "✓" not in str(sealed.render())
            sealed.value = True
            await pilot.pause()
            assert "✓" in str(sealed.render())  # ticked is a tick, not just a colour

            await pilot.press("escape")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            dialog = app.screen
            yes, no = dialog.query_one("#yes", Button), dialog.query_one("#no", Button)
            assert app.focused is no
            assert (no.variant, yes.variant) == ("primary", "default")  # lit = focused
            await pilot.press("left", "enter")  # yes: discard
            await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))

            await pilot.press("f2")  # an anonymous caller: hotline, and no errors at once
            await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
            form = app.screen
            await pilot.press("down", "enter")
            await settle(pilot, lambda: form.query_one("#person", PersonPicker).anonymous)
            assert form.query_one("#channel", Select).value == "hotline"
            assert [f.name for f in form.query(FormField) if f.error] == []
            started = form.query_one("#started", DateInput)
            started.focus()
            await pilot.pause()
            started.text = "明天下午"  # said why while typing, not a bare "…"
            await settle(pilot, lambda: "无法识别" in screen_text(app))
            await pilot.press("tab")
            await settle(pilot, lambda: form.query_one("#field-started_at", FormField).error)
            assert screen_text(app).count("无法识别日期时间") == 1  # said once, not twice
            await pilot.press("escape")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("left", "enter")
            await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))

            await pilot.press("f3")
            await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen)
                         and app.screen.settled)
            await pilot.press(*"zhangsan", "enter")
            await settle(pilot, lambda: app.screen.settled and app.screen.total == 1)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                         and app.screen.record is not None)
            sessions = app.screen.query_one("#sessions", OptionList)
            assert sessions.highlighted == 0 and app.focused is sessions
    finally:
        set_language("en")

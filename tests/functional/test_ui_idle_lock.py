"""Security test 15 through the real app (issue 3 item 8): idle past the timeout (the
backend's FixedClock, no sleeping) drops the key, closes the connection and clears every
screen; a keypress before the timeout resets the timer; unlocking returns to the dashboard
and says an open form's text was discarded."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, TextArea

from counselor_tui.services import lifecycle
from counselor_tui.services.context import VaultSession
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.unlock import UnlockScreen
from db.connection import VaultError
from tests.conftest import OTHER_PASSPHRASE
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    log,
    notices,
    screen_text,
    settle,
    widget_texts,
)

SECRET_NOTE = "夜班后失眠，家中矛盾"


async def idle_checked(pilot: Any, app: CounselorApp) -> None:
    """Wait until the idle timer has run twice more (so a lock would have happened)."""
    seen = app.idle_checks
    await settle(pilot, lambda: app.idle_checks >= seen + 2)


pytestmark = pytest.mark.world("bureau")


async def test_idle_timeout_drops_the_key_and_clears_every_screen(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    log(backend, bureau.ids["zhang"], SECRET_NOTE)
    vs = backend.vs
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        # the record's sections are drawn after the record arrives: wait for the note itself
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None and SECRET_NOTE in screen_text(app))
        assert SECRET_NOTE in screen_text(app)
        await pilot.press("f2")  # a form with unsaved text on top of the record
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                     and app.screen.tracking)
        app.screen.query_one("#note", TextArea).focus()
        await pilot.press(*"未保存的内容")
        assert app.idle_minutes == 5  # the vault's idle_lock_minutes setting

        bureau.clock.advance(minutes=4, seconds=59)
        await idle_checked(pilot, app)
        assert backend.unlocked

        bureau.clock.advance(seconds=1)
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert not backend.unlocked
        assert vs.locked and vs.db.locked and vs.db.is_closed()
        # no pooled or anchor connection left open (each would hold the key in SQLCipher)
        assert not getattr(vs.db, "_in_use", {}) and not getattr(vs.db, "_connections", [])
        assert getattr(vs.db, "_anchor", None) is None
        with pytest.raises(VaultError, match="locked"):  # the key is gone
            _ = vs.db.key
        await settle(pilot, lambda: len(app.screen_stack) == 1)
        everything = screen_text(app) + widget_texts(app)
        for secret in ("张三", SECRET_NOTE, "未保存的内容", "010001"):
            assert secret not in everything
        remaining = app.held_screens
        assert {type(s).__name__ for s in remaining} <= {"Screen", "UnlockScreen"}

        unlock = app.screen
        unlock.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert len(app.screen_stack) == 1
        await settle(pilot, lambda: any("unsaved text was discarded" in n for n in notices(app)))
    with AuditActions(bureau) as actions:
        assert any(a == "lock" and '"idle"' in d for a, d in actions)
        assert any(a == "unlock" for a, _d in actions)


async def test_a_keypress_before_the_timeout_resets_the_timer(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.idle_minutes == 5)
        bureau.clock.advance(minutes=4)
        await pilot.press("down")
        bureau.clock.advance(minutes=4)  # 8 minutes since unlock, 4 since the key
        await idle_checked(pilot, app)
        assert backend.unlocked and isinstance(app.screen, DashboardScreen)
        bureau.clock.advance(minutes=1)
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert not backend.unlocked


async def test_ctrl_l_locks_at_once(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        app.post_message(OpenPerson(bureau.ids["zhang"]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None)
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert not backend.unlocked
        assert "张三" not in screen_text(app) + widget_texts(app)
        await pilot.press("f3")  # global keys are off while locked
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)


class AuditActions:
    """The audit actions of the vault as the admin sees them: ``[(action, detail)]``."""

    def __init__(self, bureau: Bureau) -> None:
        self.bureau = bureau
        self.vs: VaultSession | None = None

    def __enter__(self) -> list[tuple[str, str]]:
        from tests.conftest import PASSPHRASE

        self.vs = lifecycle.unlock(self.bureau.path, "admin", PASSPHRASE, clock=self.bureau.clock,
                               state_dir=self.bureau.state_dir)
        with self.vs.reading():
            return [(r[0], r[1]) for r in self.vs.execute(
                "SELECT action, detail FROM audit_event ORDER BY seq")]

    def __exit__(self, *exc: object) -> None:
        if self.vs is not None:
            self.vs.close()


async def test_copied_text_leaves_the_clipboard_after_a_while_and_at_lock(
        bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.clipboard_seconds = 0.05
        app.copy_to_clipboard("张三 夜班后失眠")
        assert app.clipboard == "张三 夜班后失眠"
        await settle(pilot, lambda: app.clipboard == "")
        app.clipboard_seconds = 3600
        app.copy_to_clipboard("李四")
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert app.clipboard == ""

"""Security test 15 through the real app (issue 3 item 8): idle past the timeout (the
backend's FixedClock, no sleeping) drops the key, closes the connection and clears every
screen; a keypress before the timeout resets the timer; an open form's text is kept
encrypted in the vault and unlocking returns to the screens that were open, the form
filled again (issue 15 item 7)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from counselor_tui.services import drafts, lifecycle, settings
from counselor_tui.services.context import VaultSession
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.appointments import AppointmentsScreen
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


async def test_idle_timeout_drops_the_key_clears_every_screen_and_keeps_the_draft(
        bureau: Bureau, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 item 7 too: the half-written note is kept (encrypted, in the vault only),
    and unlocking returns to the record and the form with the note as it was."""
    temp = tmp_path_factory.mktemp("temp-folder")  # the temp folder of this run, watched
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
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
        await pilot.press(*UNSAVED)
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
        for secret in ("张三", SECRET_NOTE, UNSAVED, "010001"):
            assert secret not in everything
        assert "comes back when you unlock" in everything
        remaining = app.held_screens
        assert {type(s).__name__ for s in remaining} <= {"Screen", "UnlockScreen"}

        # the draft is in the SQLCipher vault only: no file beside it or in the temp
        # folder holds the text, and it is sealed to li's own key inside the vault
        assert files_holding(UNSAVED, [bureau.path.parent, bureau.state_dir, temp]) == []
        (temp / "canary").write_text(UNSAVED, encoding="utf-8")  # the search does find it
        assert files_holding(UNSAVED, [temp]) == [temp / "canary"]
        with AccountSession(bureau, "admin") as admin:
            with admin.reading():
                rows = admin.execute('SELECT user_id, sealed, payload FROM "form_draft"'
                                     ).fetchall()
            assert [(r[0], r[1]) for r in rows] == [(li_id(admin), 1)]
            assert UNSAVED.encode() not in bytes(rows[0][2])
            assert drafts.load_draft(admin) is None  # another account cannot read it
        with AccountSession(bureau, "li") as li:
            point = drafts.load_draft(li)
            assert point is not None and UNSAVED in repr(point.screens)

        unlock = app.screen
        unlock.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.pause()
        await pilot.press("enter")
        # back where the lock left off: the record, and the form with the note on it
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                     and app.screen.ready and len(app.screen_stack) == 3)
        assert isinstance(app.screen_stack[0], DashboardScreen)
        assert isinstance(app.screen_stack[1], PersonScreen)
        form = app.screen
        assert form.query_one("#note", TextArea).text == UNSAVED
        assert form.has_unsaved_changes()  # Esc still asks before it is thrown away
        await settle(pilot, lambda: any("typing when the vault locked is back" in n
                                        for n in notices(app)))
        await pilot.press(*"续写")
        assert form.query_one("#note", TextArea).text == UNSAVED + "续写"
        await settle(pilot, lambda: app.drafts_restored == 1)
    with AccountSession(bureau, "admin") as admin, admin.reading():
        assert admin.execute('SELECT count(*) FROM "form_draft"').fetchone()[0] == 0
    with AuditActions(bureau) as actions:
        assert any(a == "lock" and '"idle"' in d for a, d in actions)
        assert any(a == "unlock" for a, _d in actions)
        assert ("create", '{"screens":2}') in actions
        assert ("delete", '{"restored":true}') in actions
        assert not any(UNSAVED in d for _a, d in actions)


UNSAVED = "未保存的内容"


def li_id(vs: VaultSession) -> int:
    return int(vs.execute("SELECT id FROM \"user\" WHERE username = 'li'").fetchone()[0])


def files_holding(text: str, folders: list[Path]) -> list[Path]:
    """Files under ``folders`` whose bytes hold ``text`` in UTF-8 or UTF-16."""
    needles = [text.encode("utf-8"), text.encode("utf-16-le")]
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            try:
                if not path.is_file():
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if any(n in data for n in needles):
                found.append(path)
    return found


class AccountSession:
    """The vault opened as ``username`` beside the app (closed on leaving)."""

    def __init__(self, bureau: Bureau, username: str) -> None:
        self.bureau = bureau
        self.username = username
        self.vs: VaultSession | None = None

    def __enter__(self) -> VaultSession:
        from tests.conftest import PASSPHRASE

        self.vs = lifecycle.unlock(
            self.bureau.path, self.username,
            PASSPHRASE if self.username == "admin" else OTHER_PASSPHRASE,
            clock=self.bureau.clock, state_dir=self.bureau.state_dir)
        return self.vs

    def __exit__(self, *exc: object) -> None:
        if self.vs is not None:
            self.vs.close()


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


async def test_unlock_returns_to_the_area_open_and_an_expired_draft_is_not_offered(
        bureau: Bureau) -> None:
    """Issue 15 item 7: ctrl+l on an area screen (no form) and unlock → that screen again;
    a form's draft older than the ``draft_keep_hours`` setting is not offered after unlock
    and is gone from the vault."""
    admin = backend_for(bureau, "admin")
    settings.set_setting(admin.vs, "draft_keep_hours", 1)
    admin.lock()
    backend = backend_for(bureau)
    app = app_for(backend)

    async def lock_and_unlock() -> None:
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        app.screen.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.pause()
        await pilot.press("enter")

    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_area("appointments")
        await settle(pilot, lambda: isinstance(app.screen, AppointmentsScreen)
                     and app.screen.loaded > 0)
        await lock_and_unlock()
        await settle(pilot, lambda: isinstance(app.screen, AppointmentsScreen)
                     and app.screen.loaded > 0 and app.drafts_restored == 1)
        assert [type(s) for s in app.screen_stack] == [DashboardScreen, AppointmentsScreen]

        # a half-written note, locked for longer than the setting keeps drafts
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                     and app.screen.tracking)
        app.screen.query_one("#note", TextArea).focus()
        await pilot.press(*UNSAVED)
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert "comes back when you unlock" in screen_text(app)
        bureau.clock.advance(hours=1, minutes=1)
        app.screen.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.pause()
        await pilot.press("enter")
        # nothing comes back, and the user is told why (the lock said it would come back)
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.drafts_restored == 2)
        assert len(app.screen_stack) == 1
        assert any("kept longer than the 1 hours" in n for n in notices(app)), notices(app)
    with AccountSession(bureau, "admin") as vs, vs.reading():
        assert vs.execute('SELECT count(*) FROM "form_draft"').fetchone()[0] == 0

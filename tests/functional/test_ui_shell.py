"""Pilot tests of the app shell (issue 3 items 1, 8, 9): first-run wizard, unlock with its
failed-attempt delay, scripted start, global keys in inputs, help, palette, error dialog,
language."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, TextArea

from counselor_tui.i18n import set_language
from counselor_tui.services import accounts, lifecycle, persons, settings
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock
from counselor_tui.services.errors import InvalidInput
from counselor_tui.ui import areas
from counselor_tui.ui.base import ServiceFailed
from counselor_tui.ui.screens.archive import ArchiveScreen
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.error_dialog import ErrorDialog
from counselor_tui.ui.screens.first_run import FirstRunScreen
from counselor_tui.ui.screens.help import HelpScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.unlock import UnlockScreen
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    notices,
    office_backend,
    screen_text,
    settle,
)

pytestmark = pytest.mark.world("bureau")


# -- first run ----------------------------------------------------------------------------


async def test_first_run_wizard_creates_and_opens_the_vault(
        vault_path: Path, clock: FixedClock, state_dir: Path) -> None:
    backend = Backend(vault_path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    app = app_for(backend)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        wizard = app.screen
        assert isinstance(wizard, FirstRunScreen)
        await pilot.press("enter", "enter", "enter")  # no bureau name yet
        assert wizard.step == "step-bureau"
        assert "bureau" in screen_text(app).lower()
        wizard.query_one("#bureau", Input).value = "测试县公安局"
        await pilot.pause()
        await pilot.press("ctrl+s")  # no working account yet
        assert wizard.step == "step-bureau"
        assert "working account" in str(wizard.query_one("#bureau-error").render())
        assert app.focused is wizard.query_one("#work-user", Input)
        await pilot.press(*"admin")  # not the administrator's name again
        await pilot.press("ctrl+s")
        assert "its own user name" in str(wizard.query_one("#bureau-error").render())
        wizard.query_one("#work-user", Input).value = "li"
        await pilot.press("tab", *"李主任", "enter")  # Enter in the last field goes on
        assert wizard.step == "step-passphrase"

        await pilot.press(*"password1")  # live strength feedback, refused
        await settle(pilot, lambda: "Strength" in str(wizard.query_one("#strength").render()))
        assert "weak" in str(wizard.query_one("#strength").render()).lower()
        await pilot.press("tab", *"password1", "enter")
        assert wizard.step == "step-passphrase"

        wizard.query_one("#passphrase", Input).value = PASSPHRASE
        wizard.query_one("#passphrase2", Input).value = PASSPHRASE + "x"
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert "differ" in str(wizard.query_one("#passphrase-error").render())
        assert not backend.exists()

        wizard.query_one("#passphrase2", Input).value = PASSPHRASE
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: wizard.step == "step-recovery")
        code = wizard.recovery_code
        assert code and backend.exists() and backend.unlocked
        assert code in screen_text(app)

        await pilot.press(*"WRONG", "enter")
        assert wizard.step == "step-recovery"
        assert "not the code" in str(wizard.query_one("#recovery-error").render())
        wizard.query_one("#recovery-confirm", Input).value = code.lower().replace("-", " ")
        await pilot.pause()
        await pilot.press("enter")
        assert wizard.step == "step-roster"
        assert code not in screen_text(app)
        await settle(pilot, lambda: "signed in as your working account li" in screen_text(app))
        assert wizard.query_one("#roster-yes").display  # a coordinator imports the roster

        await pilot.click("#roster-no")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        # the app goes on as the working account, which may log sessions
        assert backend.vs.actor.username == "li"
        assert backend.vs.actor.role.value == "coordinator"
        assert backend.vs.actor.display_name == "李主任"
        assert "李主任" in screen_text(app)
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
    backend.lock()
    reopened = lifecycle.unlock(vault_path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert settings.get_setting(reopened, "bureau_name") == "测试县公安局"
        users = {u.username: u for u in accounts.list_users(reopened)}
        assert users["admin"].role == "admin" and users["li"].role == "coordinator"
        with reopened.reading():
            events = [tuple(r) for r in reopened.execute(
                "SELECT user, action FROM audit_event WHERE action IN ('login', 'lock') "
                "ORDER BY seq")]
        assert events[:3] == [("admin", "login"), ("admin", "lock"), ("li", "login")]
    finally:
        reopened.close()
    working = lifecycle.unlock(vault_path, "li", PASSPHRASE, clock=clock, state_dir=state_dir)
    working.close()  # the same passphrase opens the working account


async def test_idle_lock_waits_until_the_wizard_is_finished(
        vault_path: Path, clock: FixedClock, state_dir: Path) -> None:
    """The recovery code is shown once: idleness must not clear it before it is confirmed."""
    backend = Backend(vault_path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    app = app_for(backend, idle_minutes=1, idle_check_seconds=0.05)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        wizard = app.screen
        assert isinstance(wizard, FirstRunScreen)
        wizard.query_one("#bureau", Input).value = "测试县公安局"
        wizard.query_one("#work-user", Input).value = "li"
        await pilot.pause()
        await pilot.press("ctrl+s")
        wizard.query_one("#passphrase", Input).value = PASSPHRASE
        wizard.query_one("#passphrase2", Input).value = PASSPHRASE
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: wizard.step == "step-recovery")
        checks = app.idle_checks
        clock.advance(minutes=30)
        await settle(pilot, lambda: app.idle_checks > checks + 3)
        assert app.screen is wizard and backend.unlocked
        assert wizard.recovery_code in screen_text(app)


async def test_first_run_can_go_on_to_the_roster_import(
        vault_path: Path, clock: FixedClock, state_dir: Path) -> None:
    from counselor_tui.ui.screens.roster_import import RosterImportScreen

    backend = Backend(vault_path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    app = app_for(backend)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        wizard = app.screen
        assert isinstance(wizard, FirstRunScreen)
        wizard.query_one("#bureau", Input).value = "测试县公安局"
        wizard.query_one("#work-user", Input).value = "li"
        await pilot.pause()
        await pilot.press("ctrl+s")
        wizard.query_one("#passphrase", Input).value = PASSPHRASE
        wizard.query_one("#passphrase2", Input).value = PASSPHRASE
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: wizard.step == "step-recovery")
        wizard.query_one("#recovery-confirm", Input).value = wizard.recovery_code
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.click("#roster-yes")
        await settle(pilot, lambda: isinstance(app.screen, RosterImportScreen))
        assert isinstance(app.screen_stack[0], DashboardScreen)


# -- unlock -------------------------------------------------------------------------------


async def test_unlock_wrong_then_throttled_then_right(bureau: Bureau) -> None:
    backend = backend_for(bureau, None)
    app = app_for(backend, username="li")
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        unlock = app.screen
        assert isinstance(unlock, UnlockScreen)
        assert unlock.query_one("#username", Input).value == "li"
        assert app.focused is unlock.query_one("#passphrase", Input)

        await pilot.press(*"not the passphrase", "enter")
        await settle(pilot, lambda: "wrong passphrase" in screen_text(app))
        assert not backend.unlocked
        assert unlock.query_one("#passphrase", Input).value == ""

        await pilot.press(*"still wrong", "enter")  # within the 1 s delay: counted down
        await settle(pilot, lambda: unlock.waiting_seconds > 0)
        assert "wait 1 s" in screen_text(app)
        await pilot.press("ctrl+a", "ctrl+k", *OTHER_PASSPHRASE)
        bureau.clock.advance(seconds=2)  # the delay ends: the typed passphrase is tried
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert backend.unlocked and backend.vs.actor.username == "li"
        assert backend.vs.failed_attempts == 1
        await settle(pilot, lambda: any("1 failed attempts" in n for n in notices(app)))


async def test_unlock_screen_shows_a_pending_delay_at_once(bureau: Bureau) -> None:
    """A delay left by failed attempts (e.g. before a restart) is counted down on arrival."""
    from counselor_tui.services.errors import WrongPassphrase

    backend = backend_for(bureau, None)
    with pytest.raises(WrongPassphrase):
        backend.unlock("li", "not the passphrase")
    app = app_for(backend, username="li")
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        unlock = app.screen
        assert isinstance(unlock, UnlockScreen)
        await settle(pilot, lambda: unlock.waiting_seconds > 0)
        assert "wait 1 s" in screen_text(app)


async def test_scripted_start_opens_unlocked(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        assert app.working
        assert "李辅导" in screen_text(app)


# -- global keys, help, palette, errors ---------------------------------------------------


async def test_global_keys_work_while_a_text_area_or_input_has_focus(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
        note = app.screen.query_one("#note", TextArea)
        note.focus()
        await pilot.pause()
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
        assert app.focused is note
        await pilot.press("f3")  # nothing typed yet: straight to the archive
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen))
        assert isinstance(app.focused, Input)
        await pilot.press("f5")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f8")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen)
                     and app.focused is app.screen.query_one("#archive-search"))
        await pilot.press("escape")  # escape from an input goes back
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen))
        app.screen.query_one("#note", TextArea).focus()
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert not backend.unlocked


async def test_help_lists_the_keys_of_the_current_screen(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 50)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen))
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        for expected in ("Go to the list", "F2", "Log session", "Ctrl+L", "Lock",
                         "Ctrl+Q", "Quit", "F9", "Emergency", "Esc", "Back"):
            assert expected in text, expected
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen))


async def test_command_palette_lists_areas_and_actions(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"archive")
        await settle(pilot, lambda: "Archive" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen))
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"lock now")
        await settle(pilot, lambda: "Lock now" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert not backend.unlocked


async def test_every_area_of_the_registry_is_in_the_palette(bureau: Bureau) -> None:
    from counselor_tui.ui.palette import commands
    from counselor_tui.ui.registry import AREAS

    backend = office_backend(bureau)  # the office may open every area (docs/roles.md)
    app = app_for(backend)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        labels = {c.label for c in commands(app)}
        assert {a.label for a in AREAS} <= labels
        assert {"Lock now", "Backup", "Help: keys", "Quit", "English interface"} <= labels


async def test_a_failed_service_call_shows_the_error_dialog(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.screen.post_message(ServiceFailed(InvalidInput("The period is not valid.")))
        await settle(pilot, lambda: isinstance(app.screen, ErrorDialog))
        assert "The period is not valid." in screen_text(app)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.screen.post_message(ServiceFailed(RuntimeError("张三 secret detail")))
        await settle(pilot, lambda: isinstance(app.screen, ErrorDialog))
        assert "RuntimeError" in screen_text(app)
        assert "张三" not in screen_text(app)


async def test_an_area_not_built_yet_shows_a_notice(bureau: Bureau,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(areas.SCREEN_PATHS, "census")
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f4")
        await settle(pilot, lambda: any("not available yet" in n for n in notices(app)))
        assert isinstance(app.screen, DashboardScreen)


async def test_backup_from_the_palette_reaches_the_dashboard(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        assert any("Never backed up" in line for line in app.screen.text_lines())
        app.backup()
        await settle(pilot, lambda: any("Last backup today" in line
                                        for line in app.screen.text_lines()))
        assert any(p.name.startswith("counselor-") for p in
                   (bureau.path.parent / "backups").iterdir())


async def test_quit_locks_first(bureau: Bureau) -> None:
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(100, 36)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not backend.unlocked
    assert app.return_code == 0
    admin = lifecycle.unlock(bureau.path, "admin", PASSPHRASE, clock=bureau.clock,
                         state_dir=bureau.state_dir)
    try:
        with admin.reading():
            rows = list(admin.execute(
                "SELECT detail FROM audit_event WHERE action = 'lock' ORDER BY seq"))
        assert rows and '"quit"' in rows[-1][0]
    finally:
        admin.close()


# -- language -----------------------------------------------------------------------------


async def test_chinese_is_the_default_and_english_is_complete(bureau: Bureau) -> None:
    set_language("zh")
    backend = backend_for(bureau)
    app = app_for(backend)
    async with app.run_test(size=(110, 36)) as pilot:
        # the footer paints after the dashboard's data (a loaded machine): wait for it too
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0 and "帮助" in screen_text(app))
        text = screen_text(app)
        assert "工作台" in text and "记录咨询" in text
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen)
                     and app.screen.settled)
        n = persons.count_persons(backend.vs, persons.ArchiveQuery())
        assert n >= 4
        assert "警号" in screen_text(app) and f"共 {n} 人" in screen_text(app)
        app.switch_language("en")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f3")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen)
                     and app.screen.settled)
        english = screen_text(app)
        assert "Badge" in english and f"Persons: {n}" in english
        assert "警号" not in english


async def test_a_counselor_working_account_is_not_offered_the_roster(
        vault_path: Path, clock: FixedClock, state_dir: Path) -> None:
    """The working account may be a counselor; counselors do not import the roster."""
    from textual.widgets import Select

    backend = Backend(vault_path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    app = app_for(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, FirstRunScreen))
        wizard = app.screen
        assert isinstance(wizard, FirstRunScreen)
        await settle(pilot, lambda: "accounts, keys and settings only" in screen_text(app))
        wizard.query_one("#bureau", Input).value = "测试县公安局"
        wizard.query_one("#work-user", Input).value = "wang"
        wizard.query_one("#work-role", Select).value = "counselor"
        await pilot.pause()
        await pilot.press("ctrl+s")
        wizard.query_one("#passphrase", Input).value = PASSPHRASE
        wizard.query_one("#passphrase2", Input).value = PASSPHRASE
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: wizard.step == "step-recovery")
        wizard.query_one("#recovery-confirm", Input).value = wizard.recovery_code
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert wizard.step == "step-roster"
        assert not wizard.query_one("#roster-yes").display
        await settle(pilot, lambda: "counselor" in screen_text(app))
        await pilot.press("enter")  # "go to the dashboard" has the focus
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert backend.vs.actor.username == "wang"
        assert backend.vs.actor.role.value == "counselor"

"""Security tests 5, 19 and 25 in the interface (issue 12): a damaged page of the vault.

A byte is flipped in one page of a copy of the bureau template, in a table that unlocking
never reads. Opened through the unlock screen, the open-time health check finds the damage:
the red banner says the vault is read-only and names the restore command and the backups.
When the damage is met by a save before the check has said anything (a large vault, a
check still running), the form says the file is damaged and how to restore, keeps the text
typed, the banner turns read-only, and no write gets through afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from counselor_tui.services import backup_restore, health, lifecycle
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.error_dialog import ErrorDialog
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.unlock import UnlockScreen
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.person_picker import PersonPicker
from db import vault as slots
from db.connection import open_connection
from tests.functional.ui_support import (
    SETTLE_TIMEOUT,
    app_for,
    drawn,
    notices,
    screen_text,
    settle,
)
from tests.worlds import OTHER_PASSPHRASE, PASSPHRASE

pytestmark = pytest.mark.world("bureau")

NOTE = "来访者谈到工作压力与睡眠"


def damage_table(path: Path, table: str) -> int:
    """Flip one byte in the middle of ``table``'s root page of the closed vault at ``path``
    (every page after the first is authenticated by SQLCipher); returns the page number."""
    keys = slots.load(slots.keys_path(path))
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(path, key)
    try:
        page = int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0])
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()
    assert page > 1 and not path.with_name(path.name + "-wal").exists()
    with path.open("r+b") as file:
        file.seek((page - 1) * size + size // 2)
        byte = file.read(1)
        file.seek(-1, 1)
        file.write(bytes([byte[0] ^ 0x5A]))
    return page


@pytest.fixture
def backed_up(session: VaultSession) -> Path:
    """The bureau vault, closed, with one verified backup in its default backup folder."""
    written = backup_restore.backup(session, session.path.parent / "backups")
    lifecycle.lock(session, "quit")
    return written


def banner_text(app: CounselorApp) -> str:
    """The text of the banner shown on the top full screen (under any dialog)."""
    for screen in reversed(app.screen_stack):
        banners = list(screen.query(Banner))
        if banners:
            return "\n".join(str(b.render()) for b in banners if b.display)
    return ""


async def wait_for(pilot: Pilot[Any], until: Callable[[], bool],
                   timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until ``until()`` holds and the screen is drawn, polling every 20 ms — like
    :func:`settle`, but without waiting for every worker (the held-up health check is one)."""
    deadline = time.monotonic() + timeout
    while not (until() and drawn(pilot.app)):
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached")
        await pilot.pause(0.02)


def error_line(form: SessionFormScreen) -> str:
    """What the form's error line says."""
    return str(form.query_one(SessionFormScreen.ERROR_LINE, Static).render())


def sessions_stored(path: Path) -> int:
    """Counseling sessions in the vault file, read afresh with the admin's key."""
    keys = slots.load(slots.keys_path(path))
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(path, key)
    try:
        return int(conn.execute("SELECT count(*) FROM counseling_session").fetchone()[0])
    finally:
        conn.close()


async def test_a_damaged_page_found_at_unlock_shows_the_read_only_banner(
    backed_up: Path, created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path
) -> None:
    page = damage_table(created.path, "counseling_session")
    backend = Backend(created.path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    app = app_for(backend, username="li")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, UnlockScreen))
        app.screen.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.press("enter")
        # a screen may meet the damage first (read-only at once); the check then names pages
        await settle(pilot, lambda: "read-only" in banner_text(app)
                     and f"pages {page}" in banner_text(app))
        banner = banner_text(app)
        assert "counselor-tui restore" in banner and backed_up.name in banner
        assert "read-only" in screen_text(app)  # drawn at the top, under any dialog
        assert not any("Unexpected error" in n for n in notices(app))
        assert "Unexpected error" not in screen_text(app)
        dialogs = [s for s in app.screen_stack if isinstance(s, ErrorDialog)]
        assert len(dialogs) <= 1  # screens that met the damage share one dialog
        assert backend.vs.read_only


async def test_damage_met_by_a_save_says_so_offers_restore_and_keeps_the_text(
    backed_up: Path, created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = damage_table(created.path, "session_topic")  # read by nothing before a save
    checked = health.check_health
    check_may_run = threading.Event()

    def slow_check(vs: VaultSession, *, chain: bool = True) -> health.HealthReport:
        check_may_run.wait(timeout=SETTLE_TIMEOUT)  # a large vault: still being checked
        return checked(vs, chain=chain)

    monkeypatch.setattr(health, "check_health", slow_check)
    backend = Backend(created.path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    backend.unlock("li", OTHER_PASSPHRASE)
    app = app_for(backend)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                         and app.screen.tracking)
            form = app.screen
            await pilot.press(*"zhangsan")
            await wait_for(pilot, lambda: not form.query_one("#person", PersonPicker).searching)
            await pilot.press("enter", "space", "tab", *NOTE)
            assert form.query_one("#note", TextArea).text == NOTE
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "read-only" in error_line(form))
            said = error_line(form)
            assert "damaged" in said and "counselor-tui restore" in said
            assert backed_up.name in said
            assert app.screen is form  # nothing lost: the form stays open with its text
            assert form.query_one("#note", TextArea).text == NOTE
            await wait_for(pilot, lambda: "read-only" in banner_text(app))
            await pilot.press("ctrl+s")  # a second try is refused the same way
            await wait_for(pilot, lambda: not form.saving)
            assert "read-only" in error_line(form) and app.screen is form
            assert "Unexpected error" not in screen_text(app)
            assert not any("Unexpected error" in n for n in notices(app))
            check_may_run.set()  # the check ends and names the damaged page
            await wait_for(pilot, lambda: str(page) in banner_text(app))
    finally:
        check_may_run.set()
        backend.lock("quit")
    assert sessions_stored(created.path) == 0

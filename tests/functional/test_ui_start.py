"""The interface's start with ``--passphrase-file`` (issue 18): the first frame is the unlock
screen saying "Opening the vault…" while the key derivation runs in a worker behind it; a
wrong passphrase leaves the unlock screen asking, the right one opens the dashboard."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from counselor_tui.services.api import Backend
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.unlock import UnlockScreen
from tests.functional.ui_support import Bureau, app_for, backend_for, settle
from tests.worlds import OTHER_PASSPHRASE

pytestmark = pytest.mark.world("bureau")


async def until(pilot: Pilot[Any], holds: Callable[[], bool]) -> None:
    """Let the app run until ``holds()`` (30 s at most), without waiting for the workers."""
    deadline = time.monotonic() + 30
    while not holds():
        assert time.monotonic() < deadline, "the expected state was not reached"
        await pilot.pause(0.01)


async def test_a_passphrase_file_opens_the_vault_behind_the_first_frame(
        bureau: Bureau, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = backend_for(bureau, None)
    release = threading.Event()
    real_unlock = Backend.unlock

    def unlock(self: Backend, username: str, passphrase: str) -> Any:
        release.wait(30)  # the key derivation, held until the first frame was looked at
        return real_unlock(self, username, passphrase)

    monkeypatch.setattr(Backend, "unlock", unlock)
    app = app_for(backend, username="li", passphrase="not the passphrase")
    async with app.run_test(size=(110, 40)) as pilot:
        # the unlock worker is held: wait for the screen without waiting for the workers
        await until(pilot, lambda: isinstance(app.screen, UnlockScreen)
                    and app.screen.is_mounted
                    and bool(str(app.screen.query_one("#unlock-status", Static).render())))
        screen = app.screen
        status = screen.query_one("#unlock-status", Static)
        assert str(status.render()) == "Opening the vault…"  # not a blank app
        assert not backend.unlocked and app.start_passphrase is None
        release.set()
        await until(pilot, lambda: "Opening" not in str(status.render()))
        assert "wrong passphrase" in str(status.render())
        assert isinstance(app.screen, UnlockScreen) and not backend.unlocked
        assert screen.query_one("#passphrase", Input).value == ""
        bureau.clock.advance(seconds=2)  # past the failed attempt's delay
        screen.query_one("#passphrase", Input).value = OTHER_PASSPHRASE
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert backend.unlocked and backend.vs.actor.username == "li"

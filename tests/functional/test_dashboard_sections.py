"""The dashboard paints each section as it arrives (issue 18: start-up at province), one run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Static

from counselor_tui.i18n import set_language
from counselor_tui.services import dashboard
from counselor_tui.services.api import Backend
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard import DashboardItem, DashboardSection
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.screens.dashboard import DashboardScreen
from tests.functional.ui_support import app_for, screen_text
from tests.worlds import PASSPHRASE, World


async def _until(pilot: Any, what: Callable[[], bool], timeout: float = 120.0) -> None:
    """Let the app run until ``what()`` holds (a bound in wall time, no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "the dashboard never got there"
        await pilot.pause(0.02)


def _header(app: CounselorApp) -> str:
    return str(app.screen.query_one("#dashboard-header", Static).render())


async def test_sections_show_as_they_arrive_and_a_reload_keeps_the_others_until_done(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first section is on the screen while a later one is still being gathered (the
    header says "Loading…"); the header names the user once the last arrived. A reload
    keeps the list shown until its last section arrived, then drops a section that has
    nothing to say any more."""
    set_language("en")
    gate = threading.Event()
    first_says = [True]

    def first(vs: VaultSession) -> DashboardSection | None:
        if not first_says[0]:
            return None
        return DashboardSection("first", "First section", (DashboardItem("a first line"),))

    def slow(vs: VaultSession) -> DashboardSection | None:
        gate.wait(120)
        return DashboardSection("slow", "Slow section", (DashboardItem("a slow line"),))

    monkeypatch.setattr(dashboard, "PROVIDERS", (first, slow, *dashboard.PROVIDERS))
    backend = Backend(world.path, clock=world.clock, state_dir=world.state_dir, kdf_seconds=0)
    backend.unlock("admin", PASSPHRASE)
    app = app_for(backend, idle_minutes=60)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _until(pilot, lambda: isinstance(app.screen, DashboardScreen)
                         and "a first line" in screen_text(app))
            dash = app.screen
            assert isinstance(dash, DashboardScreen)
            assert dash.loaded == 0
            assert "Loading…" in _header(app)
            assert "Slow section" not in screen_text(app)

            gate.set()
            await _until(pilot, lambda: dash.loaded == 1)
            assert "Loading" not in _header(app) and _header(app).startswith("Dashboard · ")
            lines = dash.text_lines()
            assert lines[:4] == ["First section", "a first line", "Slow section", "a slow line"]
            assert "Slow section" in screen_text(app)
            gate.clear()
            first_says[0] = False
            dash.reload()
            await _until(pilot, lambda: "Loading…" in _header(app))
            assert "Slow section" in screen_text(app)  # kept while it is gathered again
            gate.set()
            await _until(pilot, lambda: dash.loaded == 2)
            assert "First section" not in dash.text_lines()
            assert "First section" not in screen_text(app)
            assert dash.text_lines()[:2] == ["Slow section", "a slow line"]
    finally:
        gate.set()

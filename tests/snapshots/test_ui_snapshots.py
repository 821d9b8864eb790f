"""Snapshots of the main screens of issue 3 (unlock, dashboard, archive, session form), in
Chinese, on a FixedClock and fixed data, so a layout change shows up as a picture diff.

Update after an intended change with ``pytest tests/snapshots --snapshot-update`` and look
at the pictures in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from counselor_tui.i18n import set_language
from counselor_tui.services import backups, dashboard, lifecycle, session_reads, tiers
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.screens.archive import ArchiveScreen
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.unlock import UnlockScreen
from tests.conftest import PASSPHRASE
from tests.functional.ui_support import Bureau, app_for, backend_for, log, settle
from tests.worlds import Templates

SIZE = (100, 32)


@pytest.fixture
def bureau(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
           state_dir: Path, templates: Templates) -> Bureau:
    """The functional tests' bureau in ``tmp_path/vault/vault.db`` opened by a *relative*
    path (the unlock screen shows it), Chinese, and a dashboard of this issue's sections
    only (others' sections would change these pictures)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dashboard, "PROVIDERS", (
        session_reads.dashboard_section, tiers.dashboard_section, backups.dashboard_section))
    monkeypatch.setattr(dashboard, "BANNER_PROVIDER", lambda vs: None)
    relative = Path("vault") / "vault.db"
    created = templates.copy("bureau", clock.now(), relative)
    admin: VaultSession = lifecycle.unlock(relative, "admin", PASSPHRASE, clock=clock,
                                       state_dir=state_dir)
    try:
        world = templates.world("bureau", admin, created, clock, state_dir)
    finally:
        admin.close()
    backend = backend_for(world)
    log(backend, world.ids["zhang"], "首次面谈", at=clock.now() - timedelta(days=9),
        follow_up="2026-11-27")
    log(backend, world.ids["li4"], "电话随访", at=clock.now() - timedelta(days=2),
        follow_up="2026-11-29")
    backend.lock()
    set_language("zh")
    return world


def make_app(bureau: Bureau, *, unlocked: bool) -> CounselorApp:
    backend = backend_for(bureau, "li" if unlocked else None)
    return app_for(backend, idle_minutes=60, username="li")


def waiting(until: Callable[[CounselorApp], bool],
            then: Callable[[Pilot[Any]], Any] | None = None) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, CounselorApp)
        if then is not None:
            await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                         and app.screen.loaded > 0)
            await then(pilot)
        await settle(pilot, lambda: until(app))
        for widget in app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]  # a still picture
        await pilot.pause()
    return run_before


def test_unlock_screen(snap_compare: Any, bureau: Bureau) -> None:
    app = make_app(bureau, unlocked=False)
    assert snap_compare(app, terminal_size=SIZE,
                        run_before=waiting(lambda a: isinstance(a.screen, UnlockScreen)))


def test_dashboard(snap_compare: Any, bureau: Bureau) -> None:
    app = make_app(bureau, unlocked=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=waiting(
        lambda a: isinstance(a.screen, DashboardScreen) and a.screen.loaded > 0))


def test_archive(snap_compare: Any, bureau: Bureau) -> None:
    async def open_archive(pilot: Pilot[Any]) -> None:
        await pilot.press("f3")

    app = make_app(bureau, unlocked=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=waiting(
        lambda a: isinstance(a.screen, ArchiveScreen) and a.screen.settled, open_archive))


def test_session_form(snap_compare: Any, bureau: Bureau) -> None:
    async def fill(pilot: Pilot[Any]) -> None:
        await pilot.press("f2", *"zs")
        app = pilot.app
        await settle(pilot, lambda: isinstance(app.screen, SessionFormScreen)
                     and not app.screen.query_one("#person").searching)

    app = make_app(bureau, unlocked=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=waiting(
        lambda a: isinstance(a.screen, SessionFormScreen), fill))

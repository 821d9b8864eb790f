"""Snapshots at 80×24 (issue 16 point 6): the dashboard, incidents, census and submissions
screens in Chinese on the smallest terminal the program supports, on a FixedClock and fixed
data (a census with one assessment, an incident with its steps, a session with a follow-up),
so a column cut at 80 columns or a key lost from the footer shows up as a picture diff.

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
from counselor_tui.services import assessments, census, incidents, lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.screens.census import CensusScreen
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.incidents import IncidentsScreen
from counselor_tui.ui.screens.submissions import SubmissionsScreen
from tests.conftest import PASSPHRASE
from tests.functional.ui_support import Bureau, app_for, backend_for, log, settle
from tests.worlds import Templates

SIZE = (80, 24)


@pytest.fixture
def bureau(tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
           state_dir: Path, templates: Templates) -> Bureau:
    """The functional tests' bureau (relative vault path) with a day of records."""
    monkeypatch.chdir(tmp_path)
    relative = Path("vault") / "vault.db"
    created = templates.copy("bureau+team", clock.now(), relative)
    admin: VaultSession = lifecycle.unlock(relative, "admin", PASSPHRASE, clock=clock,
                                           state_dir=state_dir)
    try:
        world = templates.world("bureau+team", admin, created, clock, state_dir)
    finally:
        admin.close()
    backend = backend_for(world, "zhou")  # the coordinator (周主任)
    vs = backend.vs
    today = vs.today()
    census.create_census(vs, census.CensusDraft(
        "年度心理健康普查", today - timedelta(days=3), today + timedelta(days=20),
        ("phq9", "gad7"), (world.unit1,)))
    assessments.record_assessment(vs, assessments.AssessmentDraft(
        world.ids["zhang"], "phq9", (1,) * 9, today))
    incidents.flag_emergency(vs, incidents.IncidentDraft(
        "shooting", vs.now() - timedelta(hours=30), summary="处置警情后出现失眠，需要跟进。",
        title="城关派出所民警处置持刀行凶警情依法使用武器",
        persons=(incidents.ExposureDraft("involved", world.ids["li4"]),)))
    log(backend, world.ids["zhang"], "首次面谈", at=clock.now() - timedelta(days=9),
        follow_up=today.isoformat())
    backend.lock()
    set_language("zh")
    return world


def snap(key: str | None, kind: type) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, CounselorApp)
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        if key is not None:
            await pilot.press(key)
        await settle(pilot, lambda: isinstance(app.screen, kind)
                     and getattr(app.screen, "loaded", 1) > 0)
        for widget in app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]  # a still picture
        await pilot.pause()
    return run_before


@pytest.mark.parametrize(("key", "kind"), [
    (None, DashboardScreen), ("f6", IncidentsScreen), ("f4", CensusScreen),
    ("f7", SubmissionsScreen)], ids=["dashboard", "incidents", "census", "submissions"])
def test_screen_at_80x24(snap_compare: Any, bureau: Bureau, key: str | None,
                         kind: type) -> None:
    app = app_for(backend_for(bureau, "zhou"), idle_minutes=60, username="zhou")
    assert snap_compare(app, terminal_size=SIZE, run_before=snap(key, kind))

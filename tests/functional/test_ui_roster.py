"""Pilot test of the roster import screen (issue 3 item 7): the dry-run table comes first,
with every rejected row's number and reason; nothing is written until applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from counselor_tui.services import persons
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.roster_import import RosterImportScreen
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    build_bureau,
    screen_text,
    settle,
)

SAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "roster_sample.xlsx"


@pytest.fixture
def bureau(session: VaultSession, clock: FixedClock, state_dir: Path) -> Bureau:
    return build_bureau(session, clock, state_dir)


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared roster sample not present")
async def test_dry_run_table_then_apply(bureau: Bureau) -> None:
    backend = backend_for(bureau, "admin")
    before = persons.count_persons(backend.vs, persons.ArchiveQuery())
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_area("roster_import")
        await settle(pilot, lambda: isinstance(app.screen, RosterImportScreen))
        screen = app.screen
        assert isinstance(screen, RosterImportScreen)
        await pilot.press("ctrl+s")  # nothing to apply before a dry run
        assert "dry run first" in screen_text(app)
        await pilot.press(*str(SAMPLE), "enter")
        await settle(pilot, lambda: screen.plan is not None)
        screen.query_one("#create-units").focus()
        await pilot.press("space")  # create the sample's units: a new dry run
        await settle(pilot, lambda: screen.plan is not None and screen.plan.create_units)
        plan = screen.plan
        assert plan is not None
        assert len(plan.added) == 40 and len(plan.rejected) == 3
        table = screen.query_one("#roster-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        rejected = [r for r in rows if r[0] == "rejected"]
        assert len(rejected) == 3 and all(r[1].isdigit() and r[5] for r in rejected)
        assert "added 40" in screen_text(app) and "rejected 3" in screen_text(app)
        assert persons.count_persons(backend.vs, persons.ArchiveQuery()) == before

        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await settle(pilot, lambda: screen.plan is not None and screen.plan.applied)
        assert persons.count_persons(backend.vs, persons.ArchiveQuery()) == before + 40
        await settle(pilot, lambda: any("Roster imported" in n.message
                                        for n in app._notifications))

"""Pilot test of the roster import screen (issue 3 item 7): the dry-run table comes first,
with every rejected row's number and reason; nothing is written until applied."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable

from counselor_tui.services import persons
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.roster_import import RosterImportScreen
from tests.conftest import SAMPLES
from tests.functional.ui_support import (
    Bureau,
    app_for,
    notices,
    office_backend,
    screen_text,
    settle,
)
from tests.worlds import as_office

SAMPLE = SAMPLES / "roster_sample.xlsx"


pytestmark = pytest.mark.world("bureau")


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared roster sample not present")
async def test_dry_run_table_then_apply(bureau: Bureau) -> None:
    backend = office_backend(bureau)
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
        rejected = [r for r in rows if str(r[0]) == "rejected"]
        assert len(rejected) == 3 and all(str(r[1]).isdigit() and r[5] for r in rejected)
        assert [r[2] for r in rejected] == ["330703", "", "330743"]  # as the rows had them
        assert [r[3] for r in rejected] == ["重复警号", "缺警号", "未知单位"]
        assert "added 40" in screen_text(app) and "rejected 3" in screen_text(app)
        assert persons.count_persons(backend.vs, persons.ArchiveQuery()) == before

        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await settle(pilot, lambda: screen.plan is not None and screen.plan.applied)
        assert persons.count_persons(backend.vs, persons.ArchiveQuery()) == before + 40
        await settle(pilot, lambda: any("Roster imported" in n for n in notices(app)))


@pytest.mark.skipif(not SAMPLE.exists(), reason="shared roster sample not present")
@pytest.mark.world("empty")
async def test_first_import_of_a_new_bureau_creates_units_and_shows_warnings(
        session: VaultSession, clock: FixedClock, state_dir: Path, tmp_path: Path) -> None:
    """A vault without any unit: "create units" starts ticked, so the sample imports 40
    (not "rejected 43"); the CLI's warnings (future hire dates) are in the table and the
    summary; an update shows the fields it changes."""
    from counselor_tui.services import roster
    from counselor_tui.services.api import Backend
    from tests.conftest import PASSPHRASE

    backend = Backend(session.path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    backend.unlock("admin", PASSPHRASE)
    backend.adopt(as_office(backend.vs))  # imports are the office's (DESIGN §5)
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_area("roster_import")
        await settle(pilot, lambda: isinstance(app.screen, RosterImportScreen))
        screen = app.screen
        assert isinstance(screen, RosterImportScreen)
        box = screen.query_one("#create-units", Checkbox)
        await settle(pilot, lambda: box.value)
        await pilot.press(*str(SAMPLE), "enter")
        await settle(pilot, lambda: screen.plan is not None)
        plan = screen.plan
        assert plan is not None and plan.create_units
        assert plan.summary() == "added 40, updated 0, unchanged 0, rejected 3"
        table = screen.query_one("#roster-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        warnings = [r for r in rows if str(r[0]) == "warning"]
        assert [w[1] for w in warnings] == ["5", "26"]
        assert warnings[0][2] == "330701" and "in the future" in warnings[0][5]
        text = screen_text(app)
        assert "2 rows imported with a value left out (rows 5, 26)" in text
        assert "in the future" in text  # on the first screen, above the added rows

    roster.apply_roster_import(backend.vs, plan)
    moved = tmp_path / "moved.csv"
    moved.write_text("警号,姓名,单位,职务\n330701,刘鹏凯,城西派出所,所长\n", encoding="utf-8")
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.open_area("roster_import")
        await settle(pilot, lambda: isinstance(app.screen, RosterImportScreen))
        screen = app.screen
        assert isinstance(screen, RosterImportScreen)
        await pilot.press(*str(moved), "enter")
        await settle(pilot, lambda: screen.plan is not None)
        assert not screen.query_one("#create-units", Checkbox).value  # units exist now
        table = screen.query_one("#roster-table", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == [
            "updated", "2", "330701", "刘鹏凯", "城西派出所", "unit, post"]

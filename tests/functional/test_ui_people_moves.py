"""Pilot test of people who move or leave and the retention run (issue 15 point 2), through
the real app factory, as the coordinator: edit, transfer and leave from the record, then
de-identify from the retention screen — one app run."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, Select

from counselor_tui.services import persons, retention
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.archive import FORMER, ArchiveScreen
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.person_edit import PersonEditDialog
from counselor_tui.ui.screens.person_move import PersonMoveDialog
from counselor_tui.ui.screens.retention import RetentionScreen
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField
from tests.functional.ui_support import (
    Bureau,
    app_for,
    backend_for,
    notices,
    screen_text,
    settle,
)

pytestmark = pytest.mark.world("bureau+team")


async def test_edit_transfer_leave_and_deidentify(bureau: Bureau) -> None:
    backend = backend_for(bureau, "zhou")
    app = app_for(backend)
    zhang = bureau.ids["zhang"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
        app.post_message(OpenPerson(zhang))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.loads > 0)
        record: Any = app.screen

        # e: edit the post; the record lists what changed
        loads = record.loads
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PersonEditDialog))
        app.screen.query_one("#pe-post", Input).value = "副所长"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is record and record.loads > loads)
        assert "Post: — → 副所长" in record.shown_text()

        # m: transfer to 交警大队 from 1 June 2023
        loads = record.loads
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, PersonMoveDialog)
                     and app.screen.ready)
        app.screen.query_one("#pm-unit", Select).value = bureau.unit2
        app.screen.query_one("#pm-date", DateInput).input.value = "2023-06-01"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is record and record.loads > loads)
        assert "城关派出所 → 交警大队" in record.shown_text()
        assert persons.get_person(backend.vs, zhang).person.unit_id == bureau.unit2

        # l: left service (retired) on 2024-01-01, not before the transfer: the record is former
        loads = record.loads
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, PersonMoveDialog))
        dialog: Any = app.screen
        dialog.query_one("#pm-date", DateInput).input.value = "2023-05-01"  # before the move
        await pilot.press("ctrl+s")  # no reason chosen: refused in the dialog
        await settle(pilot, lambda: "Choose the reason" in dialog.query_one(
            "#field-reason", FormField).error)
        dialog.query_one("#pm-reason", Select).value = "retired"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "latest move" in str(dialog.query_one("#pm-error").render()))
        dialog.query_one("#pm-date", DateInput).input.value = "2024-01-01"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is record and record.loads > loads)
        title = str(record.query_one("#person-title").render())
        assert "left 2024-01-01" in title
        assert "left service · retired" in record.shown_text()
        await pilot.press("m")  # a former officer does not transfer
        await settle(pilot, lambda: "This person has left service already." in notices(app))
        # fix15 B: no appointment for a former officer: p is not offered
        assert "p" not in record.active_bindings and "o" in record.active_bindings
        await pilot.press("p")
        await settle(pilot, lambda: True)
        assert app.screen is record

        # the archive lists the former officer under "officers, former too" only
        app.open_area("archive")
        await settle(pilot, lambda: isinstance(app.screen, ArchiveScreen)
                     and app.screen.settled)
        archive: Any = app.screen
        archive.query_one("#filter-kind", Select).value = "officer"
        await settle(pilot, lambda: archive.settled and archive.current.kind == "officer")
        serving = archive.total
        assert "former " not in screen_text(app)
        archive.query_one("#filter-kind", Select).value = FORMER
        await settle(pilot, lambda: archive.settled and archive.total == serving + 1)
        assert " former " in screen_text(app)

        # the retention screen: nothing past the default 10 years; past 1 year: 张三
        app.open_area("retention")
        await settle(pilot, lambda: isinstance(app.screen, RetentionScreen)
                     and app.screen.runs > 0)
        screen: Any = app.screen
        assert screen.report is not None and screen.report.candidates == ()
        # the years setting, typed on the screen, is kept and runs the dry run again
        runs = screen.runs
        years = screen.query_one("#retention-years", Input)
        years.focus()
        years.value = "1"
        await pilot.press("enter")
        await settle(pilot, lambda: screen.runs > runs)
        assert screen.report.years == 1 and retention.retention_years(backend.vs) == 1
        assert [c.person_id for c in screen.report.candidates] == [zhang]
        screen.query_one("#retention-body").focus()
        runs = screen.runs
        await pilot.press("d")
        await settle(pilot, lambda: screen.runs > runs)
        assert [c.person_id for c in screen.report.candidates] == [zhang]
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.click("#yes")
        await settle(pilot, lambda: any("De-identified 1" in n for n in notices(app))
                     and screen.report is not None and screen.report.candidates == ())
        after = persons.get_person(backend.vs, zhang)
        assert after.person.name == f"{retention.PLACEHOLDER_NAME}{zhang:06d}"
        assert after.person.badge_no is None and after.phone is None

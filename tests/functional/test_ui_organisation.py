"""Pilot test of the organisation 组织机构 (issue 16 item 1) through the real app, in one run:
the coordinator sees a unit without a designated counselor on the dashboard and the team
screen, opens the organisation from the team screen, adds the committee's director, ends
the director's term, and records a 教导员 trained."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import DataTable, Input, Label, Static

from counselor_tui.services import accounts, organisation, persons
from counselor_tui.services.context import VaultSession
from counselor_tui.services.organisation import MemberDraft
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.org_forms import CadreFormDialog, MemberFormDialog
from counselor_tui.ui.screens.organisation import OrganisationScreen
from counselor_tui.ui.screens.team import TeamScreen
from counselor_tui.ui.widgets.date_input import DateInput
from tests.functional.ui_support import Bureau, app_for, backend_for, settle
from tests.worlds import as_office

pytestmark = pytest.mark.world("bureau+team")


def _cells(table: DataTable[object], row: int) -> list[str]:
    return [str(c) for c in table.get_row_at(row)]


async def test_the_office_keeps_the_organisation(bureau: Bureau,
                                                 session: VaultSession) -> None:
    persons.create_unit(session, "特警大队", "特警", code="U003")  # nobody counsels there
    # a member whose account was disabled since (issue: it could no longer be changed)
    shen = organisation.add_member(as_office(session), MemberDraft(
        "office_member", date(2026, 1, 1), user_id=organisation.account_id(session, "shen"),
        ends_on=date(2026, 5, 31)))
    accounts.disable_user(session, "shen")
    app = app_for(backend_for(bureau, "zhou"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        assert "特警大队: no designated counselor" in app.screen.text_lines()

        app.open_area("team")
        await settle(pilot, lambda: isinstance(app.screen, TeamScreen) and app.screen.loaded)
        warning = str(app.screen.query_one("#team-units", Static).render())
        assert "特警大队 (none)" in warning and "城关派出所" not in warning
        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, OrganisationScreen)
                     and app.screen.loaded > 0)
        screen = app.screen
        assert isinstance(screen, OrganisationScreen)
        assert "特警大队 (none)" in str(screen.query_one("#org-units", Static).render())
        members = screen.query_one("#org-members", DataTable)
        assert members.row_count == 1

        await pilot.press("a")  # the committee's director, a named person
        await settle(pilot, lambda: isinstance(app.screen, MemberFormDialog)
                     and app.screen.ready and app.screen.tracking)
        form = app.screen
        form.query_one("#of-post").value = "director"  # type: ignore[attr-defined]
        form.query_one("#of-name", Input).value = "王局长"
        form.query_one("#of-job", Input).value = "局长"
        form.query_one("#of-start", DateInput).text = "2026-01-01"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and members.row_count == 2)
        assert _cells(members, 0)[:6] == ["protection committee", "committee director",
                                          "王局长", "局长", "2026-01-01 – now", "—"]

        await pilot.press("e")  # the term ends
        await settle(pilot, lambda: isinstance(app.screen, MemberFormDialog)
                     and app.screen.ready and app.screen.tracking)
        assert app.screen.query_one("#of-name", Input).value == "王局长"
        app.screen.query_one("#of-end", DateInput).text = "2026-06-30"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen
                     and _cells(members, 0)[-1] == "not serving")
        assert _cells(members, 0)[4] == "2026-01-01 – 2026-06-30"

        await pilot.press("c")  # a 教导员 trained
        await settle(pilot, lambda: isinstance(app.screen, CadreFormDialog)
                     and app.screen.ready and app.screen.tracking)
        cadre = app.screen
        cadre.query_one("#cf-name", Input).value = "周教导员"
        cadre.query_one("#cf-post").value = "instructor"  # type: ignore[attr-defined]
        cadre.query_one("#cf-unit").value = bureau.unit1  # type: ignore[attr-defined]
        cadre.query_one("#cf-title", Input).value = "心理危机识别"
        cadre.query_one("#cf-hours", Input).value = "abc"
        await pilot.press("ctrl+s")  # a wrong figure is said, nothing saved
        await settle(pilot, lambda: "number" in cadre.query_one(
            "#field-hours").error)  # type: ignore[attr-defined]
        cadre.query_one("#cf-hours", Input).value = "4"
        await pilot.press("ctrl+s")
        table = screen.query_one("#org-cadres", DataTable)
        await settle(pilot, lambda: app.screen is screen and table.row_count == 1)
        assert _cells(table, 0)[1:5] == ["political instructor", "周教导员", "城关派出所",
                                         "心理危机识别"]
        assert str(screen.query_one("#org-cadres-title", Label).render()).endswith(": 1")

        # the member whose account was disabled: the account stays chosen, the term changes
        members.focus()
        members.move_cursor(row=1)
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, MemberFormDialog)
                     and app.screen.ready and app.screen.tracking)
        assert app.screen.query_one("#of-user").value == shen.user_id  # type: ignore[attr-defined]
        app.screen.query_one("#of-end", DateInput).text = "2026-04-30"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen
                     and _cells(members, 1)[4] == "2026-01-01 – 2026-04-30")

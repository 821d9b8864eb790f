"""Pilot test of a bureau's own instruments in the TUI (issue 16 point 4): the coordinator's
instruments screen lists the built-in ones, refuses a bad file naming its line, checks and
adds a good one (listed with its version and revision), and the added instrument is then
offered in F4 paper entry and scored there. Other roles do not see the area."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, OptionList, Static

from counselor_tui.domain.instruments import bureau
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import instruments
from counselor_tui.ui.app import create_app
from counselor_tui.ui.assessment_view import result_renderable
from counselor_tui.ui.navigation import area_allowed
from counselor_tui.ui.screens.assessment_entry import AssessmentEntryScreen
from counselor_tui.ui.screens.census import CensusScreen
from counselor_tui.ui.screens.instruments import InstrumentsScreen
from counselor_tui.ui.widgets.response_entry import ResponseEntry
from tests.functional.test_assessment_entry import backend_for
from tests.functional.ui_support import settle
from tests.integration.census_world import World
from tests.integration.instrument_files import definition, write

pytestmark = pytest.mark.world("census")


def _text(screen: InstrumentsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_coordinator_checks_adds_and_uses_a_bureau_instrument(
        world: World, tmp_path: Path) -> None:
    assert area_allowed("instruments", Role.COUNSELOR)            # the read-only list
    assert not area_allowed("instruments", Role.ADMIN)
    assert area_allowed("instruments", Role.COORDINATOR)
    bad = write(tmp_path, "bad.toml", definition(items=3))
    good = write(tmp_path, "good.toml", definition())
    app = create_app(backend_for(world, "coord"), idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        await pilot.press("f4")                                   # census & assessments
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        await pilot.press("m")                                    # … its instruments key
        await settle(pilot, lambda: isinstance(app.screen, InstrumentsScreen)
                     and app.screen.loads == 1)
        screen = app.screen
        assert isinstance(screen, InstrumentsScreen)
        table = screen.query_one("#instruments-table", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == [
            "GAD7", "K10", "PCL5", "PHQ9", "PSS10", "SCL90"]
        path = screen.query_one("#instrument-path", Input)
        path.value = str(bad)
        path.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "29" in _text(screen, "#instrument-status"))
        assert "bad.toml" in _text(screen, "#instrument-status")
        assert screen.query_one("#instrument-add").disabled
        path.value = str(good)
        await pilot.press("enter")
        await settle(pilot, lambda: screen.plan is not None)
        assert "bureau_stress" in _text(screen, "#instrument-check")
        assert not screen.query_one("#instrument-add").disabled
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: screen.result is not None and screen.loads == 2)
        assert screen.result is not None and screen.result.added
        row = table.get_row_at(table.row_count - 1)
        assert [str(row[i]) for i in (0, 2, 3, 4)] == [
            "BUREAU_STRESS", "2026-1", "1 *", _("bureau")]

        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen))
        entry = app.screen
        assert isinstance(entry, AssessmentEntryScreen)
        await pilot.press(*"330701")
        await settle(pilot, lambda: entry.query_one("#picker-results").option_count == 1)
        await pilot.press("enter")
        await settle(pilot, lambda: entry.phase == "instrument")
        options = entry.query_one("#entry-instruments", OptionList)
        assert options.get_option_at_index(6).id == "bureau_stress"
        await pilot.press(*["down"] * 6, "enter")
        await settle(pilot, lambda: entry.phase == "entry"
                     and isinstance(app.focused, ResponseEntry))
        await pilot.press("3", "3", "0", "1")
        await settle(pilot, lambda: entry.saved is not None)
        assert entry.saved is not None
        assert (entry.saved.result.total, entry.saved.result.band) == (7, "high")


MARKUP_NAME = "[bold red]PHQ-9[/] [link=file:///etc/passwd]x[/link] [@click=app.quit]q[/]"


def _hostile() -> str:
    """A definition whose every shown text is Rich/Textual markup (issue 16 point 4 attack)."""
    return (definition(code="bureau_markup")
            .replace("民警压力自评（本局）", MARKUP_NAME)
            .replace("Officer stress self-check (bureau)", "量表[/试用]")
            .replace('"题目1"', '"[/]题目[@click=app.quit]1[/]"')
            .replace('"Item 1"', '"[/]题目[@click=app.quit]1[/]"')
            .replace('"没有"', '"[red]没有[/x]"').replace('"Never"', '"[red]没有[/x]"')
            .replace('"较高"', '"[/较高]"').replace('"High"', '"[/较高]"'))


async def test_a_definition_made_of_markup_is_shown_as_plain_text(
        world: World, tmp_path: Path) -> None:
    backend = backend_for(world, "coord")
    instruments.add_definition(backend.vs, write(tmp_path, "markup.toml", _hostile()))
    app = create_app(backend, idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        await pilot.press("m")                                    # the instruments screen
        await settle(pilot, lambda: isinstance(app.screen, InstrumentsScreen)
                     and app.screen.loads == 1)
        table = app.screen.query_one("#instruments-table", DataTable)
        row = table.get_row_at(table.row_count - 1)
        assert str(row[1]) in (MARKUP_NAME, "量表[/试用]")           # shown as typed, no link
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        await pilot.press("a")                                    # F4 → a → person → Enter
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen))
        entry = app.screen
        assert isinstance(entry, AssessmentEntryScreen)
        await pilot.press(*"330701")
        await settle(pilot, lambda: entry.query_one("#picker-results").option_count == 1)
        await pilot.press("enter")
        await settle(pilot, lambda: entry.phase == "instrument")
        options = entry.query_one("#entry-instruments", OptionList)
        index = next(i for i in range(options.option_count)
                     if options.get_option_at_index(i).id == "bureau_markup")
        shown = str(options.get_option_at_index(index).prompt)
        assert MARKUP_NAME in shown or "量表[/试用]" in shown
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot, lambda: entry.phase == "entry"
                     and isinstance(app.focused, ResponseEntry))
        await pilot.pause()
        assert "[/]题目[@click=app.quit]1[/]" in str(app.focused.render())
        await pilot.press("3", "3", "0", "1")
        await settle(pilot, lambda: entry.saved is not None)
        await pilot.pause()
        assert entry.defn is not None and entry.saved is not None
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(result_renderable(entry.defn, entry.saved.result))
        assert "[/较高]" in console.export_text()
        assert app.is_running and app.return_code is None            # no action link fired


async def test_a_counselor_reads_the_instrument_list_without_the_file_row(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bureau, "_check_shown", lambda *_args: None)  # stored before the rule
    instruments.add_definition(world.login("coord"), write(tmp_path, "g.toml", definition(
        code="bureau_esc").replace("民警压力自评（本局）", "\\u001b[2J压力").replace(
            "Officer stress self-check (bureau)", "\\u001b[2JStress")))
    monkeypatch.undo()
    app = create_app(backend_for(world, "li"), idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, InstrumentsScreen)
                     and app.screen.loads == 1)
        screen = app.screen
        assert isinstance(screen, InstrumentsScreen)
        table = screen.query_one("#instruments-table", DataTable)
        row = table.get_row_at(table.row_count - 1)
        assert str(row[0]) == "BUREAU_ESC"
        assert "\x1b" not in str(row[1]) and "\\x1b[2J" in str(row[1])   # shown, harmless
        assert not screen.query_one("#instrument-file").display
        assert "*" in _text(screen, "#instrument-check")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.result is None and app.is_running

"""Pilot tests of the assessment entry (issue 4 acceptance): PHQ-9 item 9 = 1 → alert,
red suggestion, confirming writes a TierChange with the assessment as evidence."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import Input, SelectionList

from counselor_tui.services.api import Backend
from counselor_tui.ui.app import create_app
from counselor_tui.ui.screens.assessment_entry import AssessmentEntryScreen
from counselor_tui.ui.screens.census import CensusScreen
from counselor_tui.ui.screens.census_form import CensusFormDialog
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.critical_alert import CriticalAlertDialog
from counselor_tui.ui.widgets.response_entry import ResponseEntry
from db.models import Assessment, TierChange, TierState
from tests.functional.ui_support import notices, record_notices, settle
from tests.integration.census_world import World

pytestmark = pytest.mark.world("census")


def backend_for(world: World, username: str) -> Backend:
    backend = Backend(world.path, clock=world.clock, state_dir=world.state_dir, kdf_seconds=0)
    backend.adopt(world.login(username))
    return backend


async def test_phq9_item9_alerts_suggests_red_and_confirm_writes_evidence(world: World) -> None:
    backend = backend_for(world, "coord")
    app = record_notices(create_app(backend, idle_minutes=60))
    person = world.badges["330701"]
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(pilot, lambda: app.working)
        await pilot.press("f4")                                   # census & assessments
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        await pilot.press("a")                                    # enter an assessment
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen))
        screen = app.screen
        assert isinstance(screen, AssessmentEntryScreen)
        await pilot.press(*"330701")
        await settle(pilot, lambda: screen.query_one("#picker-results").option_count == 1)
        await pilot.press("enter")
        await settle(pilot, lambda: screen.phase == "instrument")
        assert screen.person_id == person
        await pilot.press("down", "down", "down", "enter")   # gad7 k10 pcl5 [phq9]
        await settle(pilot, lambda: screen.phase == "entry"
                     and isinstance(app.focused, ResponseEntry))
        assert screen.defn is not None and screen.defn.code == "phq9"
        await pilot.press("0", "0", "0", "1", "0", "2", "0", "0", "1")
        await settle(pilot, lambda: isinstance(app.screen, CriticalAlertDialog))
        alert = app.screen
        assert isinstance(alert, CriticalAlertDialog)
        assert [a.item for a in alert.alerts] == [9]
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
        saved = screen.saved
        assert saved is not None and saved.suggestion is not None
        assert saved.suggestion.tier == "red"
        text = screen.result_text()
        assert "red" in text and "4" in text
        await pilot.press("c")
        await settle(pilot, lambda: screen.decision is not None)
        assert any(n.startswith("PHQ-9 saved.") for n in notices(app))  # never silent
        await pilot.press("n")  # a paper form holds several: the next one is offered
        await settle(pilot, lambda: screen.phase == "instrument")
        listed = screen.query_one("#entry-instruments")
        assert listed.highlighted == 4  # gad7 k10 pcl5 phq9 [pss10]
    vs = world.login("coord")
    with vs.reading():
        assessment = Assessment.get(Assessment.person == person)
        change = TierChange.get(TierChange.person == person)
        assert change.to_tier == "red"
        assert change.evidence["assessment"] == assessment.id
        assert change.suggested
        assert TierState.get(TierState.person == person).tier == "red"


async def test_census_screen_campaign_pending_entry_close_and_suggestions(world: World) -> None:
    backend = backend_for(world, "coord")
    app = record_notices(create_app(backend, idle_minutes=60))
    east = world.units["城东派出所"]
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        screen = app.screen
        assert isinstance(screen, CensusScreen)
        await settle(pilot, lambda: screen.loaded >= 1)
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, CensusFormDialog))
        form = app.screen
        assert isinstance(form, CensusFormDialog)
        await pilot.press(*"冬季普查")
        form.query_one("#census-ends", Input).value = "2026-11-30"
        form.query_one("#census-starts", Input).value = "2026-11-01"
        form.query_one("#census-instruments", SelectionList).select("phq9")
        await settle(pilot, lambda: form.query_one("#census-units", SelectionList)
                     .option_count == len(world.units))
        form.query_one("#census-units", SelectionList).select(east)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and screen.figures is not None
                     and screen.visible_text()["campaigns"] == ["冬季普查"])
        assert screen.visible_text()["units"] == [("城东派出所", 4, 0)]
        assert len(screen.visible_text()["pending"]) == 4
        await pilot.press("2")                                    # not yet screened
        await pilot.press("enter")                                # assess the first one
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen)
                     and app.screen.phase == "entry"
                     and isinstance(app.focused, ResponseEntry))
        entry = app.screen
        assert isinstance(entry, AssessmentEntryScreen)
        assert entry.census_id == screen.selected
        await pilot.press(*"000000000")                           # PHQ-9 all 0
        await settle(pilot, lambda: entry.saved is not None)
        assert entry.saved is not None and entry.saved.census_id == screen.selected
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen
                     and screen.visible_text()["units"] == [("城东派出所", 4, 1)])
        await pilot.press("3")                                    # tier suggestions
        await settle(pilot, lambda: len(screen.visible_text()["suggestions"]) == 1)
        await pilot.press("c")
        await settle(pilot, lambda: screen.visible_text()["suggestions"] == [])
        await pilot.press("1")
        await pilot.press("k")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("left", "enter")                        # yes
        await settle(pilot, lambda: app.screen is screen and screen.figures is not None
                     and screen.figures.frozen)
        assert (screen.figures.target, screen.figures.completed) == (4, 1)
    vs = world.login("coord")
    with vs.reading():
        assert TierState.get(TierState.person == entry.saved.person_id).tier == "green"


async def test_scl90_by_item_number_back_key_and_factor_table(world: World) -> None:
    backend = backend_for(world, "coord")
    app = record_notices(create_app(backend, idle_minutes=60))
    person = world.badges["330712"]
    async with app.run_test(size=(140, 60)) as pilot:
        await settle(pilot, lambda: app.working)
        app.push_screen(AssessmentEntryScreen(person_id=person, instrument="scl90"))
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen)
                     and app.screen.phase == "entry"
                     and isinstance(app.focused, ResponseEntry))
        screen = app.screen
        assert isinstance(screen, AssessmentEntryScreen)
        entry = screen.query_one(ResponseEntry)
        assert entry.item_text(1) == ""                 # SCL-90: numbers only, no texts
        await pilot.press("5", "backspace")             # a slip, corrected
        assert (entry.index, entry.responses[0]) == (0, 5)
        await pilot.press("9")                          # out of range 1–5: refused
        assert entry.index == 0 and "1–5" in entry.refused
        await pilot.press(*"2" * 90)
        await settle(pilot, lambda: screen.saved is not None)
        saved = screen.saved
        assert saved is not None
        assert (saved.result.total, saved.result.screen_positive) == (180, True)
        assert saved.alerts == ()
        assert saved.suggestion is not None and saved.suggestion.tier == "yellow"
        text = screen.result_text()
        assert "Against the norms" in text and "GSI" in text
        assert "1.37" in text                            # somatization norm beside its 2.0


async def test_unanswered_critical_item_and_incomplete_pcl5_say_so(world: World) -> None:
    """PHQ-9 without item 9 is prorated but warns that the critical item is unanswered;
    a PCL-5 with 19 of 20 items (above the cut-off) is incomplete with no score — said
    plainly, not as "no tier suggestion"."""
    backend = backend_for(world, "coord")
    app = record_notices(create_app(backend, idle_minutes=60))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.push_screen(AssessmentEntryScreen(person_id=world.badges["330712"],
                                              instrument="phq9"))
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen)
                     and app.screen.phase == "entry"
                     and isinstance(app.focused, ResponseEntry))
        screen = app.screen
        assert isinstance(screen, AssessmentEntryScreen)
        await pilot.press(*"11111111", "minus")
        await settle(pilot, lambda: screen.saved is not None)
        saved = screen.saved
        assert saved is not None and saved.result.prorated
        assert saved.result.critical_items_unanswered == (9,)
        text = " ".join(screen.result_text().split())
        assert "critical item 9 was not answered" in text
        assert any("critical item 9 was not answered" in n for n in notices(app))

        app.push_screen(AssessmentEntryScreen(person_id=world.badges["330713"],
                                              instrument="pcl5"))
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen)
                     and app.screen is not screen and app.screen.phase == "entry"
                     and isinstance(app.focused, ResponseEntry))
        pcl = app.screen
        assert isinstance(pcl, AssessmentEntryScreen)
        await pilot.press(*"2" * 19, "minus")
        await settle(pilot, lambda: pcl.saved is not None)
        assert pcl.saved is not None and pcl.saved.result.total is None
        text = " ".join(pcl.result_text().split())
        assert "incomplete: 1 item missing (item 20), no score" in text
        assert "never prorated" in text
        assert "No tier suggestion" not in text


async def test_census_for_a_counselor_offers_only_what_the_role_may_do(world: World) -> None:
    """Tester findings: a counselor is not offered the survey import (i), new or close
    campaign (n, k); the not-yet-screened list and the person picker say they hold only the
    officers in the counselor's care, and a search finding nobody says so; the campaign's
    status reads 进行中 and the new-campaign dialog asks for its 名称."""
    from counselor_tui.i18n import set_language
    from counselor_tui.services import census
    from counselor_tui.ui.screens.help import key_rows
    from tests.functional.ui_support import screen_text

    coord = world.login("coord")
    census.create_census(coord, census.CensusDraft(
        "冬季普查", date(2026, 11, 1), date(2026, 11, 30), ("phq9",),
        tuple(world.units.values())))
    set_language("zh")
    app = create_app(backend_for(world, "li"), idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        screen = app.screen
        assert isinstance(screen, CensusScreen)
        await settle(pilot, lambda: screen.figures is not None)
        footer = screen_text(app).splitlines()[-1]
        assert "i 导入" not in footer and "n 新建普查" not in footer and "a 测评" in footer
        assert {"I", "N", "K"}.isdisjoint({k for k, _d in key_rows(screen)})
        assert screen.check_action("import_responses", ()) is False
        assert "进行中" in screen_text(app) and "待办" not in screen_text(app)
        await pilot.press("2")
        await settle(pilot, lambda: "仅显示您负责范围内的民警" in screen_text(app))
        assert screen.pending and {p.unit_name for p in screen.pending} == {"城东派出所"}
        await pilot.press("1", "a")                         # no officer chosen: the picker
        await settle(pilot, lambda: isinstance(app.screen, AssessmentEntryScreen))
        entry = app.screen
        assert isinstance(entry, AssessmentEntryScreen)
        await settle(pilot, lambda: "仅显示您负责范围内的民警" in screen_text(app))
        await pilot.press(*"330700")                        # 城西派出所: not in li's care
        await settle(pilot, lambda: "没有匹配" in screen_text(app))
        assert entry.query_one("#picker-results").display is False
    set_language("zh")
    app = create_app(backend_for(world, "coord"), idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        await pilot.press("f4")
        await settle(pilot, lambda: isinstance(app.screen, CensusScreen))
        screen = app.screen
        assert isinstance(screen, CensusScreen)
        await settle(pilot, lambda: screen.loaded >= 1)
        assert "i 导入" in screen_text(app).splitlines()[-1]
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, CensusFormDialog))
        text = screen_text(app)
        assert "名称" in text and "姓名" not in text
        form = app.screen
        assert form.query_one("#create").region.bottom <= 40  # buttons on screen
        assert form.query_one("#census-units").region.height >= 5

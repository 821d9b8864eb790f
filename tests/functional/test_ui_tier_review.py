"""Pilot test of tier review and change (issue 15 point 1): the demo's tier-review list is
worked through from the dashboard alone, through the real app factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList, SelectionList

from counselor_tui import demo
from counselor_tui.services import tier_policy, tier_review
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.tier_decision import TierChangeDialog, TierReviewDialog
from tests.functional.ui_support import app_for, notices, settle
from tests.worlds import PASSPHRASE


def _review_lines(screen: DashboardScreen) -> list[str]:
    """Option ids of the "tier review due" lines, in order."""
    return [i for i, s in screen._section_of.items() if s == "tier_reviews"]


def _highlight(screen: DashboardScreen, ident: str) -> None:
    olist = screen.query_one("#dashboard-list", OptionList)
    olist.highlighted = olist.get_option_index(ident)


async def test_the_demo_tier_review_list_is_worked_through_from_the_dashboard(
        tmp_path: Path, clock: FixedClock) -> None:
    result = demo.build_demo(tmp_path / "demo" / "vault.db", "tiny", 7, PASSPHRASE, clock,
                             kdf_seconds=0, state_dir=tmp_path / "state")
    clock.advance(days=12)  # Friday 2026-12-11: four of the demo's reviews fall due
    backend = Backend(result.path, clock=clock, state_dir=tmp_path / "state", kdf_seconds=0)
    backend.unlock(demo.DEMO_USER, PASSPHRASE)
    app = app_for(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and app.screen.loaded > 0)
        dash: Any = app.screen
        due = len(_review_lines(dash))
        assert due >= 2, "the demo has tier reviews due"
        # v on a line of another section (however far above) opens nothing: it highlights
        # the first tier review due and says what v and t do there
        other = next(i for i, s in dash._section_of.items() if s != "tier_reviews")
        _highlight(dash, other)
        await pilot.press("v")
        await settle(pilot, lambda: bool(notices(app)))
        assert not isinstance(app.screen, TierReviewDialog)
        olist = dash.query_one("#dashboard-list", OptionList)
        assert olist.highlighted == olist.get_option_index(_review_lines(dash)[0])
        assert "The first tier review due is highlighted" in notices(app)[-1]

        # change the first one: the current tier cannot be picked, the list does not wrap
        first = dash._items[_review_lines(dash)[0]].person_id
        before = tier_policy.current_tier(backend.vs, first)
        assert before is not None
        loads = dash.loaded
        await pilot.press("t")  # on the line v went to
        await settle(pilot, lambda: isinstance(app.screen, TierChangeDialog)
                     and app.screen.preview is not None)
        dialog: Any = app.screen
        tiers = dialog.query_one("#tc-tier", OptionList)
        current = tiers.get_option(before.tier)
        assert current.disabled
        assert dialog.chosen_tier() is None
        await pilot.press("ctrl+s")  # nothing chosen: refused in the dialog
        await settle(pilot, lambda: "Choose the new tier" in str(
            dialog.query_one("#tc-error").render()))
        for _ in range(5):  # past the end: stays on the last enabled tier
            await pilot.press("down")
        last = [t for t in ("red", "yellow", "green") if t != before.tier][-1]
        assert dialog.chosen_tier() == last
        for _ in range(5):
            await pilot.press("up")
        target = next(t for t in ("red", "yellow", "green") if t != before.tier)
        assert dialog.chosen_tier() == target
        await pilot.press("tab")
        await pilot.press(*"interview")
        evidence = dialog.query_one("#tc-evidence", SelectionList)
        has_evidence = evidence.option_count > 0
        if has_evidence:
            evidence.select(evidence.get_option_at_index(0).value)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen)
                     and dash.loaded > loads)
        after = tier_policy.current_tier(backend.vs, first)
        assert after is not None and after.tier == target
        change = tier_policy.history(backend.vs, first)[0]
        assert (change.from_tier, change.to_tier, change.reason) == (
            before.tier, target, "interview")
        assert bool(change.evidence) == has_evidence

        # review every remaining line: v, Enter — until the list is empty
        reviewed: list[int] = []
        while _review_lines(dash):
            ident = _review_lines(dash)[0]
            person = dash._items[ident].person_id
            remaining = len(_review_lines(dash))
            _highlight(dash, ident)
            await pilot.press("v")
            await settle(pilot, lambda: isinstance(app.screen, TierReviewDialog)
                         and app.screen.ready)
            await pilot.press("enter")
            await settle(pilot, lambda r=remaining: isinstance(app.screen, DashboardScreen)
                         and len(_review_lines(dash)) < r)
            reviewed.append(person)
            assert len(reviewed) <= due
        assert "Nothing due." in str(dash.query_one("#dashboard-list", OptionList)
                                     .get_option("s" + _review_section(dash) + "-none").prompt)
        for person in reviewed:
            kept = tier_policy.history(backend.vs, person)[0]
            assert kept.from_tier == kept.to_tier
            # the next review set by policy from today (red 7 days, yellow 30 …)
            state = tier_policy.current_tier(backend.vs, person)
            assert state is not None and state.review_due == tier_review.preview(
                backend.vs, person).next_review[state.tier]

        # the record shows the review on its history and reviews again with v
        app.post_message(OpenPerson(reviewed[0]))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.loads > 0)
        record: Any = app.screen
        assert "review: kept" in record.shown_text()
        loads = record.loads
        await pilot.press("v")
        await settle(pilot, lambda: isinstance(app.screen, TierReviewDialog)
                     and app.screen.ready)
        app.screen.query_one("#tr-note", Input).value = "note at the record"
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and record.loads > loads)
        assert "note at the record" in record.shown_text()


def _review_section(dash: DashboardScreen) -> str:
    index = next(i for i, s in enumerate(dash.sections) if s.id == "tier_reviews")
    return str(index)

"""Pilot tests of the firearm register: a counselor recommends but cannot decide; a
coordinator decides and writes the notice; the armory list shows the restriction."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input, Select, TextArea

from counselor_tui.services import firearm_notice, firearms, lifecycle
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import PermissionDenied
from counselor_tui.ui.app import create_app
from counselor_tui.ui.screens.firearm_decision import FirearmDecisionModal
from counselor_tui.ui.screens.firearm_notice import FirearmNoticeModal
from counselor_tui.ui.screens.firearm_recommend import FirearmRecommendModal
from counselor_tui.ui.screens.firearms import FirearmsScreen
from tests.functional.ui_support import settle, tab_through_shown
from tests.integration.incident_fixtures import add_officer, add_unit, login


@pytest.fixture
def people(session: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
           state_dir: Path) -> dict[str, Any]:
    u1 = add_unit(session, "U01", "城关派出所")
    zhang = add_officer(session, "张三", "010001", u1)
    return {"zhang": zhang, "created": created,
            "couns": login(session, created, clock, state_dir, "li", "counselor", "U01"),
            "coord": login(session, created, clock, state_dir, "zhou", "coordinator")}


def _backend(vs: VaultSession, created: lifecycle.CreatedVault, clock: FixedClock,
             state_dir: Path) -> Backend:
    backend = Backend(created.path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    backend.adopt(vs)
    return backend


async def test_counselor_recommends_in_the_ui_but_cannot_decide(
        people: dict[str, Any], clock: FixedClock, state_dir: Path) -> None:
    app = create_app(_backend(people["couns"], people["created"], clock, state_dir),
                     idle_minutes=60)
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("firearms")
        await settle(pilot, lambda: isinstance(app.screen, FirearmsScreen))
        screen = app.screen
        assert isinstance(screen, FirearmsScreen)
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, FirearmRecommendModal))
        modal = app.screen
        assert isinstance(modal, FirearmRecommendModal)
        await pilot.press(*"zs")
        await settle(pilot, lambda: bool(modal.hits))
        await pilot.press("enter")
        await settle(pilot, lambda: modal.person_id == people["zhang"])
        modal.query_one("#fr-reason", Select).value = "post_incident"
        modal.query_one("#fr-note", TextArea).text = "事件后复查"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and len(screen.rows) == 1)
        assert screen.rows[0].status == "recommended"
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, FirearmDecisionModal)  # counselors get a notice
    assert firearms.active_status(people["couns"], people["zhang"]) == "recommended"


async def test_coordinator_decides_and_writes_the_notice(
        people: dict[str, Any], clock: FixedClock, state_dir: Path, tmp_path: Path) -> None:
    rid = firearms.recommend(people["couns"], people["zhang"], "mh_treatment")
    app = create_app(_backend(people["coord"], people["created"], clock, state_dir),
                     idle_minutes=60)
    out = tmp_path / "notices"
    out.mkdir()
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("firearms")
        await settle(pilot, lambda: isinstance(app.screen, FirearmsScreen)
                     and len(app.screen.rows) == 1)
        screen = app.screen
        assert isinstance(screen, FirearmsScreen)
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, FirearmDecisionModal))
        modal = app.screen
        modal.query_one("#fd-choice", Select).value = "suspended"
        modal.query_one("#fd-maker", Input).value = "王主任"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen and screen.armory != [])
        assert [(a.name, a.status, a.review_on) for a in screen.armory] == [
            ("张三", "suspended", "2027-02-27")]
        assert screen.query_one("#fa-armory", DataTable).row_count == 1
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, FirearmNoticeModal)
                     and app.screen.preview is not None)
        notice = app.screen
        assert isinstance(notice, FirearmNoticeModal)
        notice.query_one("#fn-folder", Input).value = str(out)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is screen)
    assert sorted(p.suffix for p in out.iterdir()) == [".docx", ".txt"]
    text = next(out.glob("*.txt")).read_text(encoding="utf-8-sig")
    assert "张三" in text and "王主任" in text and f"FR-{rid:05d}" in text


async def test_coordinator_keys_are_not_offered_to_a_counselor(
        people: dict[str, Any], clock: FixedClock, state_dir: Path) -> None:
    """d / v / x are hidden from a counselor's footer and F1 help (and refused by the
    service); a coordinator sees them."""
    from counselor_tui.ui.screens.help import key_rows
    from tests.functional.ui_support import screen_text

    async def check(who: str, offered: bool) -> None:
        app = create_app(_backend(people[who], people["created"], clock, state_dir),
                         idle_minutes=60)
        async with app.run_test(size=(130, 50)) as pilot:
            await settle(pilot, lambda: app.working)
            app.open_area("firearms")
            await settle(pilot, lambda: isinstance(app.screen, FirearmsScreen))
            screen = app.screen
            assert isinstance(screen, FirearmsScreen)
            # the footer is drawn once with the bindings' message ids, then with their
            # translations: read it when translated (under load it was read before)
            await settle(pilot, lambda: "n Recommend" in screen_text(app).splitlines()[-1])
            footer = screen_text(app).splitlines()[-1]
            help_keys = {keys for keys, _desc in key_rows(screen)}
            for key, action, label in (("d", "decide", "Decision"),
                                       ("v", "review", "Review restriction"),
                                       ("x", "notice", "Notice")):
                assert (f"{key} {label}" in footer) is offered, (who, key, footer)
                assert (key.upper() in help_keys) is offered, (who, key, help_keys)
                assert screen.check_action(action, ()) is offered
            assert "n Recommend" in footer  # both roles may recommend

    await check("couns", False)
    await check("coord", True)
    with pytest.raises(PermissionDenied):  # the service refuses whatever the screen offers
        firearm_notice.notice(people["couns"], 1)


async def test_suspend_review_reinstate_shows_three_decisions_in_order(
        people: dict[str, Any], clock: FixedClock, state_dir: Path) -> None:
    """Issue 19 in the register: each decision keeps its own decision-maker and date, the
    history lists them in order, and the notice of a chosen decision states only it."""
    clock.advance(days=-100)  # recommended before the decisions below
    rid = firearms.recommend(people["couns"], people["zhang"], "mh_treatment")
    clock.advance(days=100)
    app = create_app(_backend(people["coord"], people["created"], clock, state_dir),
                     idle_minutes=60)
    today = clock.now().date()
    steps = [("d", "suspended", "王主任", today - timedelta(days=60)),
             ("v", "no_change", "李处长", today - timedelta(days=30)),
             ("v", "reinstated", "赵局长", today)]
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("firearms")
        await settle(pilot, lambda: isinstance(app.screen, FirearmsScreen)
                     and len(app.screen.rows) == 1)
        screen = app.screen
        assert isinstance(screen, FirearmsScreen)
        await pilot.press("e")  # ended restrictions too: the reinstated one stays listed
        for n, (key, choice, maker, day) in enumerate(steps, start=2):
            await pilot.press(key)
            await settle(pilot, lambda: isinstance(app.screen, FirearmDecisionModal))
            modal = app.screen
            modal.query_one("#fd-choice", Select).value = choice
            modal.query_one("#fd-maker", Input).value = maker
            modal.query_one("#fd-date", Input).value = day.isoformat()
            await pilot.press("ctrl+s")
            await settle(pilot, lambda n=n: app.screen is screen and len(screen.rows) == 1
                         and len(screen.rows[0].events) == n)
        history = screen.query_one("#fa-history", DataTable)
        await settle(pilot, lambda: history.row_count == 4)
        shown = [[str(c) for c in history.get_row_at(i)] for i in range(history.row_count)]
        assert [(r[1], r[2], r[3]) for r in shown[1:]] == [
            ("decision: suspended", (today - timedelta(days=60)).isoformat(), "王主任"),
            ("review: no change", (today - timedelta(days=30)).isoformat(), "李处长"),
            ("reinstatement", today.isoformat(), "赵局长")]
        # the notice of the highlighted decision (the review) states only that decision
        history.focus()
        history.move_cursor(row=2)
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, FirearmNoticeModal)
                     and app.screen.preview is not None)
        notice = app.screen
        assert isinstance(notice, FirearmNoticeModal) and notice.preview is not None
        assert (notice.preview.decision, notice.preview.decided_by_name) == (
            "continued", "李处长")
        text = firearm_notice.notice_text(notice.preview)
        assert "王主任" not in text and "赵局长" not in text
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
    assert [e.decided_by_name for e in firearms.get(people["coord"], rid).decisions] == [
        "王主任", "李处长", "赵局长"]


async def test_esc_on_a_decision_with_typed_text_asks_first(
        people: dict[str, Any], clock: FixedClock, state_dir: Path) -> None:
    """Esc on the decision form with a typed decision-maker asks before throwing it away;
    the default (no) keeps the form and what was typed; an untouched form closes at once."""
    from counselor_tui.ui.screens.confirm import ConfirmDialog

    firearms.recommend(people["couns"], people["zhang"], "mh_treatment")
    app = create_app(_backend(people["coord"], people["created"], clock, state_dir),
                     idle_minutes=60)
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("firearms")
        await settle(pilot, lambda: isinstance(app.screen, FirearmsScreen)
                     and len(app.screen.rows) == 1)
        screen = app.screen
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, FirearmDecisionModal))
        modal = app.screen
        await pilot.press("escape")  # nothing typed: closes
        await settle(pilot, lambda: app.screen is screen)
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, FirearmDecisionModal))
        modal = app.screen
        modal.query_one("#fd-maker", Input).value = "王主任"
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")  # the default: no
        await settle(pilot, lambda: app.screen is modal)
        assert modal.query_one("#fd-maker", Input).value == "王主任"


async def test_the_review_form_labels_its_date_as_the_review_date(
        people: dict[str, Any], clock: FixedClock, state_dir: Path) -> None:
    """The review form's date is the review's date (复查日期), not a decision date."""
    from textual.widgets import Label

    clock.advance(days=-10)
    rid = firearms.recommend(people["couns"], people["zhang"], "mh_treatment")
    clock.advance(days=10)
    firearms.record_decision(people["coord"], rid, "suspended", "王主任",
                             clock.now().date() - timedelta(days=5))
    app = create_app(_backend(people["coord"], people["created"], clock, state_dir),
                     idle_minutes=60)
    async with app.run_test(size=(130, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("firearms")
        await settle(pilot, lambda: isinstance(app.screen, FirearmsScreen)
                     and len(app.screen.rows) == 1)
        await pilot.press("v")
        await settle(pilot, lambda: isinstance(app.screen, FirearmDecisionModal))
        label = app.screen.query_one("#fd-date-label", Label)
        assert str(label.render()) == "Review date"
        # a reinstatement has no next review: its review-date field is hidden
        review = app.screen.query_one("#fd-review", Input)
        assert review.display
        app.screen.query_one("#fd-choice", Select).value = "reinstated"
        await settle(pilot, lambda: not review.display)


async def test_firearm_forms_at_80x24_show_every_control_when_focused(
        people: dict[str, Any], clock: FixedClock, state_dir: Path) -> None:
    """A tester at 80x24: the firearm forms cut off their last fields and buttons. Tab
    through the recommendation, decision and notice forms: each focused control is shown
    whole (the dialog scrolls to it)."""
    rid = firearms.recommend(people["couns"], people["zhang"], "mh_treatment")
    app = create_app(_backend(people["coord"], people["created"], clock, state_dir),
                     idle_minutes=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("firearms")
        await settle(pilot, lambda: isinstance(app.screen, FirearmsScreen)
                     and len(app.screen.rows) == 1)
        screen = app.screen
        for key, modal_type, buttons in (("n", FirearmRecommendModal, {"fr-ok", "fr-cancel"}),
                                         ("d", FirearmDecisionModal, {"fd-ok", "fd-cancel"})):
            await pilot.press(key)
            await settle(pilot, lambda t=modal_type: isinstance(app.screen, t))
            visited = {w.id for w in await tab_through_shown(pilot)}
            assert buttons <= visited, visited
            await pilot.press("escape")
            await settle(pilot, lambda: app.screen is screen)
        firearms.record_decision(people["coord"], rid, "suspended", "王主任",
                                 clock.now().date())
        await pilot.press("r")
        await settle(pilot, lambda: screen.rows[0].status == "suspended")
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, FirearmNoticeModal)
                     and app.screen.preview is not None)
        visited = {w.id for w in await tab_through_shown(pilot)}
        assert {"fn-ok", "fn-cancel"} <= visited, visited

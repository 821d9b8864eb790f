"""Pilot tests of what every form gets from the form base (counselor_tui.ui.screens.form),
through the real app and the interest-group form: Esc with typed text asks before it
drops it (No keeps the text, Yes closes without saving), a refusal shows under its field
without an error dialog, an unexpected failure shows the error dialog naming only its kind
and the form stays open with what was typed."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

from counselor_tui.services import interest_groups, persons
from counselor_tui.services.interest_groups import GroupDraft
from counselor_tui.ui.app import CounselorApp
from counselor_tui.ui.messages import OpenPerson
from counselor_tui.ui.screens.activities import ActivitiesScreen
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.error_dialog import ErrorDialog
from counselor_tui.ui.screens.group_form import GroupFormDialog
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.widgets.form_field import FormField
from tests.functional.ui_support import Bureau, app_for, backend_for, screen_text, settle

pytestmark = pytest.mark.world("bureau+team")


@pytest.fixture
def group(bureau: Bureau) -> str:
    """One interest group, 书法兴趣小组, created by the coordinator ``zhou``."""
    coordinator = backend_for(bureau, "zhou")
    try:
        interest_groups.add_group(coordinator.vs, GroupDraft("书法兴趣小组", "白彬", 12))
    finally:
        coordinator.lock()
    return "书法兴趣小组"


async def open_group_form(pilot: Pilot[Any], app: CounselorApp) -> GroupFormDialog:
    """The activities screen, then ``g``: the new-group form, its content remembered."""
    await settle(pilot, lambda: app.working)
    app.open_area("activities")
    await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                 and app.screen.settled)
    await pilot.press("g")
    await settle(pilot, lambda: isinstance(app.screen, GroupFormDialog)
                 and app.screen.tracking)
    form = app.screen
    assert isinstance(form, GroupFormDialog)
    return form


def group_names(bureau: Bureau) -> list[str]:
    backend = backend_for(bureau, "zhou")
    try:
        return [g.name for g in interest_groups.list_groups(backend.vs)]
    finally:
        backend.lock()


async def test_escape_with_typed_text_asks_and_no_keeps_the_text(
        bureau: Bureau, group: str) -> None:
    app = app_for(backend_for(bureau, "zhou"))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_group_form(pilot, app)
        assert not form.has_unsaved_changes()
        await pilot.press(*"太极拳兴趣小组")
        assert form.has_unsaved_changes()
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Discard this interest group?" in str(
            app.screen.query_one("#question").render())
        await pilot.press("enter")  # No is focused: nothing is dropped
        await settle(pilot, lambda: app.screen is form)
        assert form.query_one("#gf-name", Input).value == "太极拳兴趣小组"
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("left", "enter")  # Yes
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen))
    assert group_names(bureau) == ["书法兴趣小组"]


async def test_escape_on_an_untouched_form_closes_at_once(bureau: Bureau, group: str) -> None:
    app = app_for(backend_for(bureau, "zhou"))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_group_form(pilot, app)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen))


async def test_a_refusal_shows_under_its_field_without_an_error_dialog(
        bureau: Bureau, group: str) -> None:
    app = app_for(backend_for(bureau, "zhou"))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_group_form(pilot, app)
        await pilot.press(*"书法兴趣小组")  # the name is taken: the service refuses it
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(form.query_one("#field-name", FormField).error))
        assert app.screen is form and not form.saving
        assert not any(isinstance(s, ErrorDialog) for s in app.screen_stack)
        assert "correct the marked fields" in str(form.query_one("#gf-error").render())
        form.query_one("#gf-name", Input).value = "太极拳兴趣小组"  # corrected: saved
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen))
    assert sorted(group_names(bureau)) == sorted(["书法兴趣小组", "太极拳兴趣小组"])


async def test_an_unexpected_failure_names_only_its_kind_and_keeps_the_form(
        bureau: Bureau, group: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("张三 secret detail")

    monkeypatch.setattr(interest_groups, "add_group", broken)
    app = app_for(backend_for(bureau, "zhou"))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_group_form(pilot, app)
        await pilot.press(*"太极拳兴趣小组")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ErrorDialog))
        text = str(app.screen.query_one("#error-message").render())
        assert "RuntimeError" in text and "张三" not in text
        await pilot.press("enter")
        await settle(pilot, lambda: app.screen is form)
        assert not form.saving and form.has_unsaved_changes()
        assert form.query_one("#gf-name", Input).value == "太极拳兴趣小组"


async def test_typed_brackets_are_shown_as_typed_never_read_as_markup(bureau: Bureau) -> None:
    """A group name and an officer's name and post typed with brackets — Rich markup to
    Textual's tables and labels — show as typed: ``[b]`` was silently dropped and ``[/]``
    stopped the program for whoever opened the screen (PlainTable, plain labels)."""
    coordinator = backend_for(bureau, "zhou")
    try:
        interest_groups.add_group(coordinator.vs, GroupDraft("[b]书法[/b]小组[/]", "白彬", 3))
        person = persons.create_person(coordinator.vs, persons.PersonDraft(
            kind="officer", name="[b]韩[/b]梅", badge_no="099991", unit_id=bureau.unit1,
            police_type="派出所", post="[/]科员"))
    finally:
        coordinator.lock()
    app = app_for(backend_for(bureau, "zhou"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("activities")
        await settle(pilot, lambda: isinstance(app.screen, ActivitiesScreen)
                     and app.screen.settled)
        app.screen.query_one("#act-tabs", TabbedContent).active = "act-tab-groups"
        await settle(pilot, lambda: "[b]书法[/b]小组[/]" in screen_text(app))
        app.post_message(OpenPerson(person))
        await settle(pilot, lambda: isinstance(app.screen, PersonScreen)
                     and app.screen.record is not None and "[/]科员" in screen_text(app))
        assert "[b]韩[/b]梅 · 099991" in screen_text(app)

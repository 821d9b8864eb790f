"""Record or correct an activity 活动 (DESIGN §6 Activities; DESIGN §2 ``Activity``).

Fields: kind, title, date (``今天``, ``昨天``, ``2026-11-03``, ``11月3日`` …), unit (optional),
interest group (for an interest-group meeting only), participants, hours, the counselors
who ran it (several; a counselor's own account is ticked and must stay), note. Checked with
:func:`counselor_tui.services.activities.validate` on save, and by the service itself;
messages appear under each field. Dismisses with the activity's id, or ``None``.

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | next / previous field |
| Space (counselors) | tick / untick the highlighted counselor |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, TextArea

from counselor_tui.domain import vocab
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import activities, interest_groups, persons, team
from counselor_tui.services.activities import (
    GROUP_KIND,
    ActivityDraft,
    ActivityInvalid,
    ActivityRow,
)
from counselor_tui.services.api import Backend
from counselor_tui.services.errors import ServiceError
from counselor_tui.services.persons import UnitRow
from counselor_tui.services.team import CounselorRow
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField
from counselor_tui.ui.widgets.form_scroll import FormScroll


@dataclass(frozen=True)
class Choices:
    """What the form's lists offer: units, interest groups, team accounts."""

    units: list[UnitRow]
    groups: list[interest_groups.GroupRow]
    counselors: list[CounselorRow]


def load_choices(backend: Backend) -> Choices:
    """Units, interest groups and team accounts (runs in a worker)."""
    vs = backend.vs
    return Choices(persons.units(vs), interest_groups.list_groups(vs),
                   team.list_counselors(vs, include_inactive=True))


def hours_text(value: float) -> str:
    """Hours as typed back into the form: ``2``, ``1.5``."""
    return f"{value:g}"


class ActivityFormDialog(BaseModal[int | None]):
    """A new activity, or a correction of ``activity``."""

    CSS_PATH = "../styles/activities.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]

    def __init__(self, activity: ActivityRow | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.editing = activity
        self.ready = False
        self.saved_id: int | None = None
        self._initial: tuple[Any, ...] | None = None
        self._saving = False

    def compose(self) -> ComposeResult:
        a = self.editing
        today = self.backend.clock.now().date()
        with FormScroll(classes="dialog act-form"):
            yield Label(_("Correct an activity") if a else _("New activity"),
                        classes="dialog-title")
            yield FormField(_("Kind"), Select(
                [(vocab.label(vocab.ACTIVITY_KINDS, k), k) for k in vocab.ACTIVITY_KINDS],
                value=a.kind if a else "lecture", allow_blank=False, id="af-kind",
                compact=True), name="kind")
            yield FormField(_("Title"), Input(a.title if a else "", id="af-title", compact=True,
                                              placeholder=_("e.g. 心理健康知识讲座")),
                            name="title")
            yield FormField(_("Date"), DateInput(a.date if a else today.isoformat(),
                                                 id="af-date", compact=True), name="date")
            yield FormField(_("Unit"), Select[int]([], prompt=_("no unit"), id="af-unit",
                                                   compact=True), name="unit_id")
            yield FormField(_("Interest group"), Select[int](
                [], prompt=_("none"), id="af-group", compact=True), name="group_id")
            yield FormField(_("Participants"), Input(
                str(a.participants) if a else "", type="integer", id="af-participants",
                compact=True, placeholder="0"), name="participants")
            yield FormField(_("Hours"), Input(
                hours_text(a.hours) if a else "", type="number", id="af-hours", compact=True,
                placeholder=_("e.g. 2 or 1.5")), name="hours")
            yield FormField(_("Counselors who ran it"), SelectionList[int](
                id="af-counselors", compact=True), name="counselor_ids")
            yield FormField(_("Remarks"), TextArea(a.note if a else "", id="af-note",
                                                soft_wrap=True, tab_behavior="focus"),
                            name="note")
            with Horizontal(classes="dialog-buttons"):
                yield Static("", id="af-error", classes="field-error", markup=False)
                yield Button(_("Save (ctrl+s)"), variant="primary", id="af-save",
                             compact=True)
                yield Button(_("Cancel"), id="af-cancel", compact=True)

    def on_mount(self) -> None:
        translate_bindings(self)
        self._kind_changed(self._select("#af-kind"))
        self.query_one("#af-title", Input).focus()
        self.call(load_choices, self.backend, done=self._fill, group="activity-form")

    # -- choices -----------------------------------------------------------------------------
    def _fill(self, choices: Choices) -> None:
        if not self.is_attached:
            return
        a = self.editing
        vs = self.backend.vs
        unit = self.query_one("#af-unit", Select)
        unit.set_options([(u.name, u.id) for u in choices.units])
        if a is not None and a.unit_id is not None:
            unit.value = a.unit_id
        group = self.query_one("#af-group", Select)
        group.set_options([(g.name, g.id) for g in choices.groups
                           if g.active or (a is not None and g.id == a.group_id)])
        if a is not None and a.group_id is not None:
            group.value = a.group_id
        chosen = set(a.counselor_ids) if a else (
            {vs.actor.id} if vs.actor.role is Role.COUNSELOR else set())
        listing = self.query_one("#af-counselors", SelectionList)
        listing.clear_options()
        listing.add_options([
            (self._counselor_label(c), c.user_id, c.user_id in chosen)
            for c in choices.counselors if c.active or c.user_id in chosen])
        if listing.option_count:
            listing.highlighted = 0  # Space ticks at once when Tab reaches the list
        self._kind_changed(self._select("#af-kind"))
        self.ready = True
        self.call_after_refresh(self._remember)

    @staticmethod
    def _counselor_label(c: CounselorRow) -> str:
        unit = f"  {c.unit_name}" if c.unit_name else ""
        return f"{c.display_name}{unit}"

    def _remember(self) -> None:
        self._initial = self.snapshot()

    # -- reading the form --------------------------------------------------------------------
    def _select(self, ident: str) -> Any:
        value = self.query_one(ident, Select).value
        return None if value is Select.NULL else value

    def snapshot(self) -> tuple[Any, ...]:
        """The raw content of every field (to tell whether anything was typed)."""
        return (self._select("#af-kind"), self.query_one("#af-title", Input).value,
                self.query_one("#af-date", DateInput).text, self._select("#af-unit"),
                self._select("#af-group"), self.query_one("#af-participants", Input).value,
                self.query_one("#af-hours", Input).value,
                tuple(self.query_one("#af-counselors", SelectionList).selected),
                self.query_one("#af-note", TextArea).text)

    def has_unsaved_changes(self) -> bool:
        """True when something differs from the form as opened (and was not saved)."""
        return (self.saved_id is None and self._initial is not None
                and self.snapshot() != self._initial)

    def build(self) -> tuple[ActivityDraft, dict[str, str]]:
        """The draft the form describes, and messages for fields that do not read."""
        errors: dict[str, str] = {}
        day, error = self.query_one("#af-date", DateInput).parse()
        if error:
            errors["date"] = error
        if isinstance(day, datetime):
            day = day.date()
        participants = 0
        text = self.query_one("#af-participants", Input).value.strip()
        if text:
            try:
                participants = int(text)
            except ValueError:
                errors["participants"] = _("Type the number of participants.")
        hours = 0.0
        text = self.query_one("#af-hours", Input).value.strip()
        if text:
            try:
                hours = float(text)
            except ValueError:
                errors["hours"] = _("Type the hours as a number, like 2 or 1.5.")
        kind = str(self._select("#af-kind") or "")
        group = self._select("#af-group") if kind == GROUP_KIND else None
        draft = ActivityDraft(
            kind=kind, title=self.query_one("#af-title", Input).value,
            date=day if isinstance(day, date) else self.backend.clock.now().date(),
            unit_id=self._select("#af-unit"), group_id=group, participants=participants,
            hours=hours,
            counselor_ids=tuple(self.query_one("#af-counselors", SelectionList).selected),
            note=self.query_one("#af-note", TextArea).text)
        return draft, errors

    def check(self) -> dict[str, str]:
        """Validate every field and show the messages under them."""
        draft, errors = self.build()
        for name, message in activities.validate(
                draft, self.backend.clock.now().date()).items():
            errors.setdefault(name, message)
        self.show_errors(errors)
        return errors

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put ``errors`` (field → message) under their fields; clear the others."""
        for field in self.query(FormField):
            field.set_error(errors.get(field.name or ""))
        self.query_one("#af-error", Static).update(
            _("Please correct the marked fields.") if errors else "")

    # -- events ------------------------------------------------------------------------------
    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "af-kind":
            self._kind_changed(event.value)

    def _kind_changed(self, kind: Any) -> None:
        group = self.query_one("#af-group", Select)
        meeting = kind == GROUP_KIND
        group.disabled = not meeting
        if not meeting:
            group.clear()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "af-save":
            self.action_save()
        else:
            self.action_cancel()

    # -- saving ------------------------------------------------------------------------------
    def action_save(self) -> None:
        """ctrl+s: check every field, then save (in a worker)."""
        if self._saving or not self.ready:
            return
        errors = self.check()
        if errors:
            first = next((f for f in self.query(FormField) if f.name in errors), None)
            if first is not None:
                first.control.focus()
            return
        draft, _errors = self.build()
        self._saving = True
        self.query_one("#af-error", Static).update(_("Saving…"))
        vs = self.backend.vs
        if self.editing is not None:
            editing = self.editing.id
            self.call(activities.update_activity, vs, editing, draft,
                      done=lambda _changed: self._saved(editing), failed=self._failed,
                      group="activity-save")
        else:
            self.call(activities.add_activity, vs, draft, done=self._saved,
                      failed=self._failed, group="activity-save")

    def _saved(self, activity_id: int) -> None:
        self._saving = False
        self.saved_id = activity_id
        self.app.notify(_("Activity saved.") if self.editing is None
                        else _("Activity corrected."), markup=False)
        self.dismiss(activity_id)

    def _failed(self, error: BaseException) -> bool:
        self._saving = False
        if isinstance(error, ActivityInvalid):
            self.show_errors(error.errors)
            return True
        self.query_one("#af-error", Static).update(
            str(error) if isinstance(error, ServiceError) else "")
        return False

    # -- leaving -----------------------------------------------------------------------------
    def action_cancel(self) -> None:
        """Esc: close, asking first when something was typed."""
        from counselor_tui.ui.screens.confirm import ConfirmDialog

        if not self.has_unsaved_changes():
            self.dismiss(None)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._initial = None
                self.dismiss(None)

        self.app.push_screen(ConfirmDialog(_("Discard this activity? What you typed is lost."),
                                           default_yes=False), answer)

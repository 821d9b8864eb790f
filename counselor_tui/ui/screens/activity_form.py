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
    ActivityRow,
)
from counselor_tui.services.api import Backend
from counselor_tui.services.persons import UnitRow
from counselor_tui.services.team import CounselorRow
from counselor_tui.ui.screens.form import FormModal
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


class ActivityFormDialog(FormModal[int | None]):
    """A new activity, or a correction of ``activity``."""

    CSS_PATH = "../styles/activities.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#af-error"
    SAVE_BUTTON = "af-save"
    CANCEL_BUTTON = "af-cancel"
    DISCARD_QUESTION = N_("Discard this activity? What you typed is lost.")

    def __init__(self, activity: ActivityRow | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.editing = activity
        self.ready = False
        self.saved_id: int | None = None

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
        self.form_loaded()

    @staticmethod
    def _counselor_label(c: CounselorRow) -> str:
        unit = f"  {c.unit_name}" if c.unit_name else ""
        return f"{c.display_name}{unit}"

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

    # -- saving ------------------------------------------------------------------------------
    def submit(self) -> None:
        """ctrl+s: check every field, then save (in a worker)."""
        errors = self.check()
        if errors:
            self.focus_first_error(errors)
            return
        draft, _errors = self.build()
        vs = self.backend.vs
        if self.editing is not None:
            editing = self.editing.id
            self.save_with(activities.update_activity, vs, editing, draft,
                           done=lambda changed: self._saved(editing, bool(changed)),
                           saying=_("Saving…"),
                           group="activity-save")
        else:
            self.save_with(activities.add_activity, vs, draft, done=self._saved,
                           saying=_("Saving…"), group="activity-save")

    def _saved(self, activity_id: int, changed: bool = True) -> None:
        self.saved_id = activity_id
        self.app.notify(_("Activity saved.") if self.editing is None
                        else _("Activity corrected.") if changed
                        else _("Nothing was changed; the activity stays as it was."),
                        markup=False)
        self.dismiss(activity_id)

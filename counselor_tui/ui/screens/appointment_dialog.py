"""Schedule an appointment 新建预约 (issue 15, point 5): a dialog over the appointments
screen or a person's record.

Person (search, or the anonymous caller, with an optional caller label — never a real name),
date and time (``明天 14:30``, ``2026-12-01 9:00`` …), channel, duration, counselor (a
coordinator may pick any active counselor; a counselor schedules for themselves) and the
purpose in a few words. Saved with :func:`counselor_tui.services.appointments.schedule`;
field messages appear in the error line. The fields are framed like the other forms' (they
were bare, borderless lines: fix15), in a dialog that scrolls on a small terminal.

| key | action |
|---|---|
| ctrl+s | schedule |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | next / previous field |
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain import dates, vocab
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import appointments
from counselor_tui.services.appointments import (
    AppointmentDraft,
    AppointmentRow,
    CounselorChoice,
)
from counselor_tui.services.persons import PersonRow
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.screens.session_form_draft import rebuild_dataclass
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.person_picker import PersonPicker


class ScheduleDialog(FormModal[AppointmentRow | None]):
    """Dismisses with the new appointment, or None (cancelled)."""

    CSS_PATH = "../styles/appointments.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Schedule"), id="schedule", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "ap-ok"
    CANCEL_BUTTON = "ap-cancel"
    ERROR_LINE = "#ap-error"
    DISCARD_QUESTION = N_("Discard this appointment? What you typed is lost.")
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = (
        "ap-caller", "ap-start", "ap-channel", "ap-duration", "ap-note")

    def __init__(self, person: PersonRow | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.person = person
        self.ready = False

    def draft_args(self) -> dict[str, Any] | None:
        """The person the appointment is for (None: picked in the dialog)."""
        return {"person": dataclasses.asdict(self.person) if self.person else None}

    @classmethod
    def from_draft(cls, args: Mapping[str, Any]) -> ScheduleDialog | None:
        """The dialog for the kept person."""
        person = rebuild_dataclass(PersonRow, args.get("person"))
        return cls(person if isinstance(person, PersonRow) else None)

    def compose(self) -> ComposeResult:
        tomorrow = (self.backend.clock.now() + timedelta(days=1)).replace(
            hour=9, minute=0, second=0, microsecond=0)
        with VerticalScroll(classes="dialog ap-dialog ap-schedule"):
            yield Label(_("Schedule an appointment"), classes="dialog-title")
            yield Label(_("Person"), classes="field-label")
            yield PersonPicker(id="ap-person")
            yield Label(_("Caller label (optional)"), classes="field-label", id="ap-label-l")
            yield Input(id="ap-caller",
                        placeholder=_("e.g. 热线来电A — never a real name"))
            yield Label(_("Date and time"), classes="field-label")
            yield DateInput(dates.format_datetime(tomorrow), mode="datetime", id="ap-start")
            with Horizontal(classes="ap-row"):
                yield Select([(vocab.label(vocab.CHANNELS, c), c) for c in vocab.CHANNELS],
                             value="face_to_face", allow_blank=False, id="ap-channel")
                yield Input("50", id="ap-duration")
                yield Label(_("minutes"))
            yield Label(_("Counselor"), classes="field-label")
            yield Select[int]([], id="ap-counselor", allow_blank=True,
                              prompt=_("me"))
            yield Label(_("Purpose (a few words, no clinical notes)"), classes="field-label")
            yield Input(id="ap-note")
            yield Static("", id="ap-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Schedule (ctrl+s)"), variant="primary", id="ap-ok")
                yield Button(_("Cancel"), id="ap-cancel")

    def on_mount(self) -> None:
        picker = self.query_one("#ap-person", PersonPicker)
        if self.person is not None:
            picker.preset(self.person)
            self.query_one("#ap-start", DateInput).focus()
        else:
            picker.focus()
        self._show_caller()
        self.call(appointments.counselors, self.backend.vs, done=self._counselors,
                  group="ap-counselors")

    def _counselors(self, rows: list[CounselorChoice]) -> None:
        vs = self.backend.session
        select = self.query_one("#ap-counselor", Select)
        if vs is not None and vs.actor.role is Role.COORDINATOR:
            select.set_options([(r.name, r.id) for r in rows])
        else:
            select.disabled = True
        self.form_loaded()

    def _show_caller(self) -> None:
        anonymous = self.query_one("#ap-person", PersonPicker).anonymous
        self.query_one("#ap-caller", Input).display = anonymous
        self.query_one("#ap-label-l", Label).display = anonymous

    def on_person_picker_picked(self, event: PersonPicker.Picked) -> None:
        event.stop()
        self._show_caller()
        target = "#ap-caller" if event.row is None else "#ap-start"
        self.call_after_refresh(self.query_one(target).focus)

    def snapshot(self) -> tuple[object, ...]:
        """The raw content of the fields."""
        picker = self.query_one("#ap-person", PersonPicker)
        return (picker.person_id, picker.anonymous, self.query_one("#ap-start", DateInput).text,
                self.query_one("#ap-channel", Select).value,
                self.query_one("#ap-duration", Input).value,
                self.query_one("#ap-counselor", Select).value,
                self.query_one("#ap-note", Input).value,
                self.query_one("#ap-caller", Input).value)

    def submit(self) -> None:
        """Check what reads here, then schedule (in a worker)."""
        picker = self.query_one("#ap-person", PersonPicker)
        if not picker.chosen:
            self.say(_("Pick the person (type a name, initials or badge number), or the "
                       "anonymous caller."))
            return
        start, error = self.query_one("#ap-start", DateInput).parse()
        if error or not isinstance(start, datetime):
            self.say(error or _("Type a date and time, like 今天 14:30."))
            return
        try:
            minutes = int(self.query_one("#ap-duration", Input).value.strip())
        except ValueError:
            self.say(_("Type the duration in whole minutes."))
            return
        counselor = self.query_one("#ap-counselor", Select).value
        channel = self.query_one("#ap-channel", Select).value
        draft = AppointmentDraft(
            person_id=picker.person_id, starts_at=start, channel=str(channel),
            duration_min=minutes, counselor_id=counselor if isinstance(counselor, int) else None,
            note=self.query_one("#ap-note", Input).value,
            caller_label=(self.query_one("#ap-caller", Input).value.strip() or None)
            if picker.anonymous else None)
        self.save_with(appointments.schedule, self.backend.vs, draft, done=self._saved,
                       group="ap-save")

    def form_failed(self, error: BaseException) -> bool:
        """Field messages go to the one error line of this dialog."""
        errors = getattr(error, "errors", None)
        if isinstance(errors, dict) and errors:
            self.saving = False
            self.say(" ".join(errors.values()))
            return True
        return super().form_failed(error)

    def _saved(self, row: AppointmentRow) -> None:
        self.app.notify(_("Appointment scheduled: {line}").format(
            line=row.line(self.backend.clock.now().date())), markup=False)
        self.app.post_message(DataChanged("appointment"))
        self.dismiss(row)

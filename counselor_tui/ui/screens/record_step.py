"""Record an incident step as done: who, when, form, note; optionally log the session.

Opened from the incidents screen (F6) on a step. With "also log the post-incident session"
a counseling session of kind ``post_incident`` is saved for the step's person (or the
person chosen here) and the note goes into that session, where sealing protects it.

| key | action |
|---|---|
| Ctrl+S | record the step |
| Esc | cancel |
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from counselor_tui.domain import incidents as rules
from counselor_tui.domain.dates import DateParseError, format_datetime, parse_datetime
from counselor_tui.domain.vocab import RISKS, label
from counselor_tui.i18n import N_, _
from counselor_tui.services import incidents
from counselor_tui.services.incidents import IncidentRow, Responder, StepRecord, StepRow
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.form_scroll import FormScroll

#: The form a step is usually done in (the counselor changes it when it differs).
DEFAULT_FORMS: dict[str, str] = {
    "first_contact": "pfa",
    "session": "individual_session",
}
#: Steps whose recording usually comes with a counseling session.
SESSION_STEPS = frozenset({"first_contact", "session", "safety_contact"})


class RecordStepModal(FormModal[StepRecord | None]):
    """Dismisses with the :class:`StepRecord` to save, or None when cancelled."""

    CSS_PATH = "../styles/incidents.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Record the step"), id="record_step", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "rs-save"
    CANCEL_BUTTON = "rs-cancel"

    def __init__(self, step: StepRow, incident: IncidentRow) -> None:
        super().__init__(classes="dialog-screen")
        self.step = step
        self.incident = incident

    def compose(self) -> ComposeResult:
        now = format_datetime(self.backend.clock.now())
        who = f" · {self.step.person_name}" if self.step.person_name else ""
        with Vertical(classes="dialog step-dialog"):
            yield Label(_("Record step: {step}{who}").format(step=self.step.label, who=who),
                        classes="dialog-title")
            with FormScroll(classes="step-form"):
                yield Label(_("Done by"), classes="field-label")
                yield Select[int]([], prompt=_("Counselor"), id="rs-who")
                yield Label(_("When"), classes="field-label")
                yield Input(now, id="rs-when")
                yield Static("", id="rs-when-hint", classes="field-hint", markup=False)
                yield Label(_("Form"), classes="field-label")
                yield Select[str]([(_(v), k) for k, v in rules.STEP_FORMS.items()],
                                  value=DEFAULT_FORMS.get(self.step.step, "phone_contact"),
                                  allow_blank=False, id="rs-form")
                yield Label(_("Step note"), classes="field-label")
                yield TextArea(id="rs-note", soft_wrap=True)
                yield Checkbox(_("Also log the post-incident counseling session"),
                               value=self.step.step in SESSION_STEPS, id="rs-log")
                with Vertical(id="rs-session"):
                    if self.step.person_id is None:
                        yield Label(_("Session with"), classes="field-label")
                        yield Select[int]([(e.name, e.person_id) for e in self.incident.exposures],
                                          prompt=_("Person"), id="rs-person",
                                          value=self.incident.exposures[0].person_id
                                          if len(self.incident.exposures) == 1 else Select.NULL)
                    with Horizontal(classes="em-row"):
                        with Vertical(classes="em-cell"):
                            yield Label(_("Duration (minutes)"), classes="field-label")
                            yield Input("50", id="rs-duration", type="integer")
                        with Vertical(classes="em-cell"):
                            yield Label(_("Risk"), classes="field-label")
                            yield Select[str]([(label(RISKS, k), k) for k in RISKS],
                                              value="none", allow_blank=False, id="rs-risk")
                yield Static("", id="rs-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Record"), variant="primary", id="rs-save")
                yield Button(_("Cancel"), id="rs-cancel")

    def on_mount(self) -> None:
        self._when_hint()
        self._toggle_session(self.query_one("#rs-log", Checkbox).value)
        self.call(incidents.responders, self.backend.vs, done=self._set_responders,
                  group="rs-responders")
        self.query_one("#rs-form", Select).focus()

    def _set_responders(self, responders: list[Responder]) -> None:
        select = self.query_one("#rs-who", Select)
        select.set_options([(r.display_name, r.id) for r in responders])
        me = self.backend.vs.actor.id
        if any(r.id == me for r in responders):
            select.value = me

    def _when_hint(self) -> None:
        hint = self.query_one("#rs-when-hint", Static)
        try:
            hint.update(format_datetime(self._when()))
        except DateParseError as exc:
            hint.update(str(exc))

    def _when(self) -> datetime:
        return parse_datetime(self.query_one("#rs-when", Input).value, self.backend.clock.now())

    @on(Input.Changed, "#rs-when")
    def _when_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._when_hint()

    @on(Checkbox.Changed, "#rs-log")
    def _log_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._toggle_session(event.value)

    def _toggle_session(self, on: bool) -> None:
        self.query_one("#rs-session").display = on

    def record(self) -> StepRecord | None:
        """The form as a :class:`StepRecord`, or None with the problem shown."""
        error = self.query_one("#rs-error", Static)
        try:
            when = parse_datetime(self.query_one("#rs-when", Input).value,
                                  self.backend.clock.now())
        except DateParseError as exc:
            error.update(str(exc))
            return None
        who = self.query_one("#rs-who", Select).value
        form = self.query_one("#rs-form", Select).value
        log = self.query_one("#rs-log", Checkbox).value
        person: int | None = None
        duration = 50
        risk = "none"
        if log:
            if self.step.person_id is None:
                chosen = self.query_one("#rs-person", Select).value
                if not isinstance(chosen, int):
                    error.update(_("Choose the person the session was with."))
                    return None
                person = chosen
            try:
                duration = int(self.query_one("#rs-duration", Input).value or "0")
            except ValueError:
                duration = 0
            chosen_risk = self.query_one("#rs-risk", Select).value
            risk = chosen_risk if isinstance(chosen_risk, str) else "none"
        return StepRecord(
            form=form if isinstance(form, str) else "", when=when,
            who=who if isinstance(who, int) else None,
            note=self.query_one("#rs-note", TextArea).text, log_session=log,
            person_id=person, duration_min=duration, risk=risk)

    def submit(self) -> None:
        """Ctrl+S: close with the record (the incidents screen saves it)."""
        rec = self.record()
        if rec is not None:
            self.dismiss(rec)

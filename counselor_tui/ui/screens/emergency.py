"""F9 紧急上报 — flag an emergency from any screen, also while typing (DESIGN §6; issue 5).

A short form: kind, exposed persons (several, searched as in the archive; unknown persons
added on the spot), occurred and reported time (Chinese date input: ``今天 14:30``,
``昨晚10点``, ``2026-11-03 9:05``), severity, summary, optional title. Saving creates the
incident, its exposures and the policy's step plan with due times; the screen then closes
and the app's banner and dashboard show the new response clock. Meant to take under 30
seconds for a counselor who knows the facts: the times are prefilled with "now", the kind
list is in policy order, the first search hit is picked with Enter.

| key | action |
|---|---|
| Ctrl+S | save: incident + exposures + step plan |
| Esc | back (asks before discarding typed text) |
| Tab / Shift+Tab | next / previous field |
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, TextArea

from counselor_tui.domain import incidents as rules
from counselor_tui.domain.dates import DateParseError, format_datetime, parse_datetime
from counselor_tui.i18n import N_, _
from counselor_tui.services import incidents
from counselor_tui.services.incidents import IncidentDraft, PersonChoice
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormScreen
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.form_scroll import FormScroll
from counselor_tui.ui.widgets.incident_person_picker import IncidentPersonPicker


def kind_options() -> list[tuple[str, str]]:
    """The kinds for the select, grouped by category (critical incidents first)."""
    return [(f"{_(rules.CATEGORIES[k.category])} · {_(k.label)}", k.code)
            for k in rules.INCIDENT_KINDS.values()]


class EmergencyScreen(FormScreen):
    """The emergency form; constructed with no arguments (registry area ``emergency``)."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["../styles/emergency.tcss",
        "../styles/incident_person_picker.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save the emergency"), id="save_emergency"),
    ]
    #: Esc asks what the app asked before this screen had its own Esc (same words).
    DISCARD_QUESTION = N_("The open form has unsaved text. Discard it?")
    AUTO_FOCUS = "#em-kind"

    class Flagged(Message):
        """An incident was created (``incident_id``)."""

        def __init__(self, incident_id: int) -> None:
            super().__init__()
            self.incident_id = incident_id

    def __init__(self, person_id: int | None = None, kind: str | None = None) -> None:
        """Both optional (the registry opens it with none): ``person_id`` prefills that
        person as involved (opened from a record, an alert or a session form); ``kind``
        preselects the incident kind."""
        super().__init__()
        self.person_id = person_id
        self.kind = kind if kind in rules.INCIDENT_KINDS else None
        self.saved_id: int | None = None
        # the prefilled person (a worker) is part of the form as opened
        self.ready = person_id is None

    def compose(self) -> ComposeResult:
        now = format_datetime(self.backend.clock.now())
        yield Static(_("Flag an emergency (F9)"), classes="screen-title")
        with FormScroll(id="em-form"):
            with Horizontal(classes="em-row"):
                with Vertical(classes="em-cell-wide"):
                    yield Label(_("Kind"), classes="field-label")
                    yield Select[str](kind_options(), prompt=_("Choose the kind"), id="em-kind",
                                      value=self.kind if self.kind else Select.NULL)
                with Vertical(classes="em-cell"):
                    yield Label(_("Severity"), classes="field-label")
                    yield Select[str]([(_(v), k) for k, v in rules.SEVERITIES.items()],
                                      value="serious", allow_blank=False, id="em-severity")
            yield Label(_("Persons"), classes="field-label")
            yield IncidentPersonPicker(id="em-persons")
            with Horizontal(classes="em-row"):
                with Vertical(classes="em-cell"):
                    yield Label(_("Occurred at"), classes="field-label")
                    yield Input(now, id="em-occurred")
                    yield Static("", id="em-occurred-hint", classes="field-hint", markup=False)
                with Vertical(classes="em-cell"):
                    yield Label(_("Reported at"), classes="field-label")
                    yield Input(now, id="em-reported")
                    yield Static("", id="em-reported-hint", classes="field-hint", markup=False)
            yield Label(_("Summary (what happened; no diagnosis needed)"), classes="field-label")
            yield TextArea(id="em-summary", soft_wrap=True)
            yield Label(_("Title (optional: kind and time when empty)"), classes="field-label")
            yield Input(id="em-title")
            yield Static("", id="em-error", classes="field-error", markup=False)
            yield Static(_("The plan names a \"session\" and lets you record its form: WHO and "
                           "NICE advise against routine single-session group debriefing."),
                         classes="field-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self._hint("em-occurred")
        self._hint("em-reported")
        if self.person_id is not None and self.backend.unlocked:
            self.call(incidents.person_choice, self.backend.vs, self.person_id,
                      done=self._prefill, failed=self._prefill_failed, group="em-person")
        elif not self.ready:
            self.form_loaded()

    def _prefill(self, choice: PersonChoice) -> None:
        self.query_one(IncidentPersonPicker).add_person(choice)
        self.form_loaded()

    def _prefill_failed(self, _error: BaseException) -> bool:
        self.form_loaded()
        return False  # the app's error dialog says why the person is missing

    # -- fields -------------------------------------------------------------------------
    def _parse(self, field_id: str) -> datetime:
        text = self.query_one(f"#{field_id}", Input).value
        return parse_datetime(text, self.backend.clock.now())

    def _hint(self, field_id: str) -> None:
        hint = self.query_one(f"#{field_id}-hint", Static)
        try:
            hint.update(format_datetime(self._parse(field_id)))
            hint.set_class(False, "status-error")
        except DateParseError as exc:
            hint.update(str(exc))
            hint.set_class(True, "status-error")

    @on(Input.Changed, "#em-occurred, #em-reported")
    def _time_changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._hint(event.input.id)

    def snapshot(self) -> tuple[Any, ...]:
        """What was typed or picked: summary, title, persons (times and kind aside, as
        they come prefilled)."""
        picker = self.query_one(IncidentPersonPicker)
        return (self.query_one("#em-summary", TextArea).text.strip(),
                self.query_one("#em-title", Input).value.strip(),
                tuple(p.person_id for p in picker.picked))

    def draft(self) -> IncidentDraft | None:
        """The form as a draft, or None (with the message shown) when a time is unreadable."""
        error = self.query_one("#em-error", Static)
        try:
            occurred = self._parse("em-occurred")
            reported = self._parse("em-reported")
        except DateParseError as exc:
            error.update(str(exc))
            return None
        kind = self.query_one("#em-kind", Select).value
        severity = self.query_one("#em-severity", Select).value
        return IncidentDraft(
            kind=kind if isinstance(kind, str) else "",
            occurred_at=occurred, reported_at=reported,
            severity=severity if isinstance(severity, str) else "",
            summary=self.query_one("#em-summary", TextArea).text,
            title=self.query_one("#em-title", Input).value,
            persons=self.query_one(IncidentPersonPicker).drafts())

    # -- saving -------------------------------------------------------------------------
    def submit(self) -> None:
        """Ctrl+S: validate, then create the incident in a worker."""
        draft = self.draft()
        if draft is None:
            return
        errors = incidents.validate_draft(draft, self.backend.clock.now())
        error = self.query_one("#em-error", Static)
        if errors:
            error.update("\n".join(errors.values()))
            first = next(iter(errors))
            target = {"kind": "#em-kind", "severity": "#em-severity",
                      "occurred_at": "#em-occurred", "reported_at": "#em-reported",
                      "title": "#em-title", "summary": "#em-summary",
                      "persons": "#ipp-search"}.get(first)
            if target:
                self.query_one(target).focus()
            return
        error.update("")
        self.save_with(incidents.flag_emergency, self.backend.vs, draft, done=self._saved,
                       group="emergency-save")

    def _saved(self, incident_id: int) -> None:
        self.saved_id = incident_id
        self.app.notify(_("Emergency flagged; its response steps are planned (F6)."),
                        severity="warning", markup=False)
        self.app.post_message(self.Flagged(incident_id))
        self.app.post_message(DataChanged("incident"))
        if self.is_current:
            self.dismiss(None)

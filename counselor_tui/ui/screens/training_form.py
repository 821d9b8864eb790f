"""Record or correct a counselor's training 培训记录 (DESIGN §6 Team; §4 ``TrainingRecord``).

Fields: counselor (a counselor records their own: the field is fixed), date, title, hours
(more than 0, at most 24 in one day), provider. Saved with
:func:`counselor_tui.services.team.add_training` or, by a coordinator,
:func:`~counselor_tui.services.team.correct_training`; dismisses with the record's id or
``None``.

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | next / previous field |
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import team
from counselor_tui.services.team import CounselorRow, TrainingDraft, TrainingRow
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField


class TrainingFormDialog(FormModal[int | None]):
    """A new training record (for ``user_id`` when given), or a correction of ``training``."""

    CSS_PATH = "../styles/team.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#tf-error"
    SAVE_BUTTON = "tf-save"
    CANCEL_BUTTON = "tf-cancel"
    DISCARD_QUESTION = N_("Discard this training record? What you typed is lost.")

    def __init__(self, user_id: int | None = None,
                 training: TrainingRow | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.editing = training
        self.user_id = training.user_id if training else user_id
        self.ready = False
        self.saved_id: int | None = None

    def compose(self) -> ComposeResult:
        t = self.editing
        today = self.backend.clock.now().date()
        with Vertical(classes="dialog team-form"):
            yield Label(_("Correct a training record") if t else _("New training record"),
                        classes="dialog-title")
            yield FormField(_("Counselor"), Select[int]([], prompt=_("choose a counselor"),
                                                        id="tf-user", compact=True),
                            name="user_id")
            yield FormField(_("Date"), DateInput(t.date if t else today.isoformat(),
                                                 id="tf-date", compact=True), name="date")
            yield FormField(_("Title"), Input(t.title if t else "", id="tf-title",
                                              compact=True,
                                              placeholder=_("e.g. 危机干预技能培训")),
                            name="title")
            yield FormField(_("Hours"), Input(f"{t.hours:g}" if t else "", id="tf-hours",
                                              type="number", compact=True,
                                              placeholder=_("e.g. 8")), name="hours")
            yield FormField(_("Provider"), Input(t.provider if t else "", id="tf-provider",
                                                 compact=True,
                                                 placeholder=_("e.g. 市局政治部")),
                            name="provider")
            with Horizontal(classes="dialog-buttons"):
                yield Static("", id="tf-error", classes="field-error", markup=False)
                yield Button(_("Save (ctrl+s)"), variant="primary", id="tf-save",
                             compact=True)
                yield Button(_("Cancel"), id="tf-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#tf-title", Input).focus()
        self.call(team.list_counselors, self.backend.vs, include_inactive=True,
                  done=self._fill, group="training-form")

    def _fill(self, members: list[CounselorRow]) -> None:
        if not self.is_attached:
            return
        vs = self.backend.vs
        own = vs.actor.role is Role.COUNSELOR
        shown = [m for m in members
                 if (m.active or m.user_id == self.user_id)
                 and (not own or m.user_id == vs.actor.id)]
        select = self.query_one("#tf-user", Select)
        select.set_options([(m.display_name, m.user_id) for m in shown])
        wanted = vs.actor.id if own else self.user_id
        if wanted is not None and any(m.user_id == wanted for m in shown):
            select.value = wanted
        select.disabled = own
        self.form_loaded()

    def snapshot(self) -> tuple[Any, ...]:
        """The raw content of every field."""
        return (self.query_one("#tf-user", Select).value,
                self.query_one("#tf-date", DateInput).text,
                self.query_one("#tf-title", Input).value,
                self.query_one("#tf-hours", Input).value,
                self.query_one("#tf-provider", Input).value)

    def build(self) -> tuple[TrainingDraft | None, dict[str, str]]:
        """The draft the form describes (None without a counselor) and the messages."""
        errors: dict[str, str] = {}
        user = self.query_one("#tf-user", Select).value
        if user is Select.NULL:
            errors["user_id"] = _("Choose the counselor.")
        day, error = self.query_one("#tf-date", DateInput).parse()
        if error:
            errors["date"] = error
        if isinstance(day, datetime):
            day = day.date()
        hours = 0.0
        text = self.query_one("#tf-hours", Input).value.strip()
        try:
            hours = float(text)
        except ValueError:
            errors["hours"] = _("Type the hours as a number, like 8 or 1.5.")
        if user is Select.NULL:
            return None, errors
        draft = TrainingDraft(
            user_id=int(str(user)),
            date=day if isinstance(day, date) else self.backend.clock.now().date(),
            title=self.query_one("#tf-title", Input).value, hours=hours,
            provider=self.query_one("#tf-provider", Input).value)
        return draft, errors

    def submit(self) -> None:
        """ctrl+s: check every field, then save (in a worker)."""
        draft, errors = self.build()
        if draft is not None:
            for name, message in team.validate_training(
                    draft, self.backend.clock.now().date()).items():
                errors.setdefault(name, message)
        self.show_errors(errors)
        if errors or draft is None:
            self.focus_first_error(errors)
            return
        vs = self.backend.vs
        if self.editing is not None:
            tid = self.editing.id
            self.save_with(team.correct_training, vs, tid, draft,
                           done=lambda _changed: self._saved(tid), group="training-save")
        else:
            self.save_with(team.add_training, vs, draft, done=self._saved,
                           group="training-save")

    def _saved(self, training_id: int) -> None:
        self.saved_id = training_id
        self.app.notify(_("Training record saved."), markup=False)
        self.dismiss(training_id)

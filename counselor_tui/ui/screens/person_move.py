"""Transfer an officer to another unit, or record that they left service (issue 15
point 2): dated, so each period's figures count them where they were. Saves with
:func:`counselor_tui.services.person_moves.transfer` / ``leave``; dismisses with the
:class:`~counselor_tui.services.person_moves.MoveRow` or ``None``.

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | move between fields |
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain import dates, vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import person_moves, persons
from counselor_tui.services.person_moves import MoveRow
from counselor_tui.services.persons import PersonRow, UnitRow
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.screens.session_form_draft import rebuild_dataclass
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField


class PersonMoveDialog(FormModal[MoveRow | None]):
    """``mode`` ``transfer`` (new unit, from a date) or ``leave`` (date, reason)."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#pm-error"
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = ("pm-date", "pm-unit", "pm-reason", "pm-note")

    def __init__(self, person: PersonRow, mode: str) -> None:
        super().__init__(classes="dialog-screen")
        self.person = person
        self.mode = mode
        self.ready = mode != "transfer"  # the unit list is loaded first

    def draft_args(self) -> dict[str, Any] | None:
        """The person and whether it is a transfer or a leaving."""
        return {"person": dataclasses.asdict(self.person), "mode": self.mode}

    @classmethod
    def from_draft(cls, args: Mapping[str, Any]) -> PersonMoveDialog | None:
        """The dialog for the kept person (None when the record does not fit)."""
        person = rebuild_dataclass(PersonRow, args.get("person"))
        mode = args.get("mode")
        if not isinstance(person, PersonRow) or mode not in ("transfer", "leave"):
            return None
        return cls(person, str(mode))

    def _today(self) -> str:
        return dates.format_date(self.backend.clock.now().date())

    def compose(self) -> ComposeResult:
        transfer = self.mode == "transfer"
        title = (_("Transfer {name} to another unit") if transfer
                 else _("{name} leaves service")).format(name=self.person.name)
        with Vertical(classes="dialog family-form"):
            yield Label(title, classes="dialog-title")
            yield Static(_("Now in: {unit}").format(unit=self.person.unit_name or "—"),
                         classes="dialog-hint", markup=False)
            if transfer:
                yield FormField(_("New unit"), Select[int]([], prompt=_("choose the unit"),
                                                           id="pm-unit"), name="unit")
                yield FormField(_("From (date)"), DateInput(self._today(), id="pm-date"),
                                name="on_date")
            else:
                reasons = [(vocab.label(person_moves.LEAVE_REASONS, r), r)
                           for r in person_moves.LEAVE_REASONS]
                yield FormField(_("Left on (date)"), DateInput(self._today(), id="pm-date"),
                                name="on_date")
                yield FormField(_("Reason"), Select[str](reasons, prompt=_("choose the reason"),
                                                         id="pm-reason"), name="reason")
            yield FormField(_("Note (optional)"), Input(id="pm-note"), name="note")
            yield Static("", id="pm-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save (ctrl+s)"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        if self.mode == "transfer":
            self.call(persons.units, self.backend.vs, done=self._units, group="pm-units")
        else:
            self.query_one("#pm-date", DateInput).input.focus()

    def _units(self, units: list[UnitRow]) -> None:
        select = self.query_one("#pm-unit", Select)
        select.set_options([(u.name, u.id) for u in units if u.id != self.person.unit_id])
        select.focus()
        self.form_loaded()

    def snapshot(self) -> tuple[Any, ...]:
        return (self.query_one("#pm-note", Input).value,
                tuple(s.value for s in self.query(Select)))

    def submit(self) -> None:
        """Check the fields and save (in a worker)."""
        self.show_errors({})
        day, error = self.query_one("#pm-date", DateInput).parse()
        if error or day is None:
            self.query_one("#field-on_date", FormField).set_error(
                error or _("Write the date."))
            return
        on_date = dates.format_date(day)
        note = self.query_one("#pm-note", Input).value
        vs = self.backend.vs
        if self.mode == "transfer":
            unit = self.query_one("#pm-unit", Select).value
            if unit is Select.NULL:
                self.query_one("#field-unit", FormField).set_error(_("Choose the unit."))
                return
            self.save_with(person_moves.transfer, vs, self.person.id, int(str(unit)),
                           on_date, note, done=self._saved, group="person-move")
            return
        reason = self.query_one("#pm-reason", Select).value
        if reason is Select.NULL:
            self.query_one("#field-reason", FormField).set_error(_("Choose the reason."))
            return
        self.save_with(person_moves.leave, vs, self.person.id, on_date, str(reason), note,
                       done=self._saved, group="person-move")

    def _saved(self, move: MoveRow) -> None:
        text = (_("Transfer recorded from {on}.") if move.kind == "transfer"
                else _("Leaving recorded on {on}; the record stays in the archive as former."))
        self.app.notify(text.format(on=move.on_date), markup=False)
        self.app.post_message(DataChanged("person"))
        self.dismiss(move)

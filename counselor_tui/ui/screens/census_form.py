"""New census campaign 新建普查: name, window, instruments, target units.

Dates accept every form of :func:`counselor_tui.domain.dates.parse_date` (``2026-11-01``,
``11月1日``, ``下周一`` …). Checked with :func:`counselor_tui.services.census.validate`;
dismisses with a :class:`counselor_tui.services.census.CensusDraft` or ``None``.

Layout: the title, the error line and the buttons stay in place; the fields scroll between
them, so the dialog works from 80x24 up (the lists keep a fixed height inside the scroll).

| key | action |
|---|---|
| Tab / shift+Tab | next / previous field |
| Space | tick an instrument or unit |
| a | (in the unit list) tick every unit |
| ctrl+s | create |
| Esc | cancel |
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, SelectionList, Static

from counselor_tui.domain.dates import DateParseError, parse_date
from counselor_tui.i18n import N_, _
from counselor_tui.services import assessments, census, persons
from counselor_tui.services.api import Backend
from counselor_tui.ui.screens.form import FormModal


def _units(backend: Backend) -> tuple[list[Any], list[assessments.InstrumentInfo]]:
    """The units and the instruments (built-in and the bureau's own) a campaign may use."""
    return list(persons.units(backend.vs)), assessments.instruments(backend.vs)


class CensusFormDialog(FormModal[census.CensusDraft | None]):
    """The form of a new campaign."""

    CSS_PATH = "../styles/census_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
        Binding("a", "all_units", N_("All units"), id="all_units", show=False),
    ]
    SAVE_BUTTON = "create"
    CANCEL_BUTTON = "cancel"

    def __init__(self, today: date) -> None:
        super().__init__(classes="dialog-screen")
        self.today = today
        self.codes: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog census-form"):
            yield Label(_("New census campaign"), classes="dialog-title")
            with VerticalScroll(id="census-form-body"):
                yield Label(_("Campaign name"), classes="field-label")
                yield Input(id="census-name", placeholder=_("e.g. 2026年冬季心理健康普查"))
                yield Label(_("From"), classes="field-label")
                yield Input(id="census-starts", value=self.today.isoformat())
                yield Label(_("To"), classes="field-label")
                yield Input(id="census-ends", placeholder=_("e.g. 2026-12-31, 下月底"))
                yield Label(_("Instruments"), classes="field-label")
                yield SelectionList[str](id="census-instruments", classes="census-form-list")
                yield Label(_("Target units (a: all)"), classes="field-label")
                yield SelectionList[int](id="census-units", classes="census-form-list")
            yield Static("", id="census-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons census-form-buttons"):
                yield Button(_("Create"), variant="primary", id="create")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#census-name", Input).focus()
        self.call(_units, self.backend, done=self._units_loaded, group="census-form")

    def _units_loaded(self, loaded: tuple[list[Any], list[assessments.InstrumentInfo]]) -> None:
        if not self.is_attached:
            return
        units, instruments = loaded
        self.codes = tuple(i.code for i in instruments)
        self.query_one("#census-instruments", SelectionList).add_options(
            [(Text(f"{i.code}  {i.name}"), i.code) for i in instruments])  # never markup
        selection = self.query_one("#census-units", SelectionList)
        selection.clear_options()
        selection.add_options([(Text(f"{u.name}  ({u.police_type})"), int(u.id))
                               for u in units])

    def _date(self, ident: str, label: str) -> date | None:
        text = self.query_one(ident, Input).value.strip()
        try:
            return parse_date(text, self.today)
        except DateParseError as exc:
            self._error(f"{label}: {exc}")
            return None

    def _error(self, text: str) -> None:
        error = self.query_one("#census-error", Static)
        error.update(text)
        error.display = bool(text)

    def draft(self) -> census.CensusDraft | None:
        """The draft typed so far, or ``None`` after showing the first problem."""
        starts = self._date("#census-starts", _("From"))
        if starts is None:
            return None
        ends = self._date("#census-ends", _("To"))
        if ends is None:
            return None
        draft = census.CensusDraft(
            name=self.query_one("#census-name", Input).value,
            starts_on=starts, ends_on=ends,
            instruments=tuple(self.query_one("#census-instruments", SelectionList).selected),
            unit_ids=tuple(self.query_one("#census-units", SelectionList).selected))
        errors = census.validate(draft, self.codes or None)
        if errors:
            self._error(next(iter(errors.values())))
            return None
        return draft

    def submit(self) -> None:
        """ctrl+s (the app's save key): close with the draft when it is valid."""
        draft = self.draft()
        if draft is not None:
            self.dismiss(draft)

    def action_all_units(self) -> None:
        """Tick every unit (when the unit list has focus)."""
        units = self.query_one("#census-units", SelectionList)
        if units.has_focus:
            units.select_all()

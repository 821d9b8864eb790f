"""Pick the person to assess: search as you type (name, pinyin, initials, badge number).

Results come from :func:`counselor_tui.services.persons.find_persons` in a worker; only
persons the account may record assessments for are offered (``visible`` rows) — for a
counselor, the persons in their care, which the picker says under the search box. A search
that finds nobody says "no match" instead of showing an empty list. Choosing a line posts
:class:`AssessmentPersonPicker.Picked`.

| key | action |
|---|---|
| (type) | search |
| ↓ | into the results |
| Enter | pick the highlighted person (the first one from the search box) |
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from counselor_tui.domain import vocab
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import persons
from counselor_tui.ui.base import BackendMixin


def find(backend: Any, text: str) -> list[Any]:
    """Visible persons matching ``text`` (runs in a worker)."""
    return [p for p in persons.find_persons(backend.vs, text, limit=30) if p.visible]


class AssessmentPersonPicker(BackendMixin, Vertical):
    """A search box and its result list."""

    DEFAULT_CSS = """
    AssessmentPersonPicker { height: auto; max-height: 16; }
    AssessmentPersonPicker > OptionList { height: auto; max-height: 12; }
    AssessmentPersonPicker > #picker-note { height: auto; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "results", N_("Results"), id="picker_results", show=False),
    ]

    class Picked(Message):
        """A person was chosen: id and the line shown for them."""

        def __init__(self, person_id: int, label: str) -> None:
            super().__init__()
            self.person_id = person_id
            self.label = label

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder=_("Name, pinyin, initials or badge number"),
                    id="picker-input")
        yield Static("", id="picker-note", markup=False)
        yield OptionList(id="picker-results")

    def on_mount(self) -> None:
        self._note(searched=False)

    def _caseload_only(self) -> bool:
        vs = self.backend.session
        return vs is not None and vs.actor.role is Role.COUNSELOR

    def _note(self, *, searched: bool) -> None:
        parts = []
        if searched and not self.rows:
            parts.append(_("No match."))
        if self._caseload_only():
            parts.append(_("Only officers in your care are shown."))
        note = self.query_one("#picker-note", Static)
        note.update("  ".join(parts))
        note.display = bool(parts)

    def focus_input(self) -> None:
        """Put the cursor in the search box."""
        self.query_one("#picker-input", Input).focus()

    @on(Input.Changed, "#picker-input")
    def _search(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if not text:
            self._show([], searched=False)
            return
        self.call(find, self.backend, text, done=self._show, group="assessment-picker")

    def _show(self, rows: list[Any], *, searched: bool = True) -> None:
        if not self.is_attached:
            return
        self.rows = rows
        self._note(searched=searched)
        options = []
        for row in rows:
            line = Text(row.name, style="bold")
            line.append(f"  {row.badge_no or ''}  {row.unit_name or ''}")
            if row.tier:
                line.append("  " + vocab.label(vocab.TIERS, row.tier), style=row.tier)
            options.append(Option(line, id=str(row.id)))
        results = self.query_one("#picker-results", OptionList)
        results.set_options(options)
        results.display = bool(options)
        if options:
            results.highlighted = 0

    @staticmethod
    def label_of(row: Any) -> str:
        """``name · badge · unit`` of a person row."""
        return " · ".join(x for x in (row.name, row.badge_no, row.unit_name) if x)

    @on(Input.Submitted, "#picker-input")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        if self.rows:
            self._pick(self.rows[0])

    @on(OptionList.OptionSelected, "#picker-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        for row in self.rows:
            if str(row.id) == event.option_id:
                self._pick(row)
                return

    def _pick(self, row: Any) -> None:
        self.post_message(self.Picked(int(row.id), self.label_of(row)))

    def action_results(self) -> None:
        """Move from the search box into the results."""
        results = self.query_one("#picker-results", OptionList)
        if results.option_count:
            results.focus()

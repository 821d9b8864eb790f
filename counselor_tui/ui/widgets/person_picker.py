"""Person picker of the session form: search as you type, or an anonymous caller.

Type a name, full pinyin, initials (``zs`` finds 张三) or a badge number: matches from
:func:`counselor_tui.services.persons.find_persons` appear below (in a worker, newest
query wins). ↑/↓ move the highlight while the cursor stays in the text; Enter picks the
highlighted line. With ``anonymous=True`` the list also offers "anonymous caller".

| key | action |
|---|---|
| ↓ / ↑ | highlight the next / previous match |
| Enter | pick the highlighted match |
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from counselor_tui.domain import vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import persons
from counselor_tui.services.persons import PersonRow
from counselor_tui.ui.base import BackendMixin

ANONYMOUS = "anonymous"
DEBOUNCE_SECONDS = 0.12


def describe(row: PersonRow) -> str:
    """One line naming a person: name, badge number or kind (a family member: whose),
    unit."""
    parts = [row.name]
    if row.badge_no:
        parts.append(_("badge {badge}").format(badge=row.badge_no))
    if row.family_of is not None:  # whose family member: 张三的配偶
        officer, relation = row.family_of
        parts.append(_("{relation} of {officer}").format(
            relation=vocab.label(vocab.RELATIONS, relation), officer=officer))
    elif row.kind not in ("officer", ""):
        parts.append(vocab.label(vocab.PERSON_KINDS, row.kind))
    if row.unit_name:
        parts.append(row.unit_name)
    return " · ".join(parts)


class PersonPicker(BackendMixin, Widget):
    """Search box + matches; ``picked`` is the chosen :class:`PersonRow`, ``anonymous``
    True when an anonymous caller was chosen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", N_("Next match"), id="next_match", show=False),
        Binding("up", "move(-1)", N_("Previous match"), id="previous_match", show=False),
    ]

    class Picked(Message):
        """A person (``row``) or the anonymous caller (``row`` None) was picked."""

        def __init__(self, picker: PersonPicker, row: PersonRow | None) -> None:
            super().__init__()
            self.picker = picker
            self.row = row

        @property
        def control(self) -> PersonPicker:
            return self.picker

    def __init__(self, *, anonymous: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.allow_anonymous = anonymous
        self.picked: PersonRow | None = None
        self.anonymous = False
        self.matches: list[PersonRow] = []
        self._timer: Timer | None = None
        self._serial = 0
        self._answered = 0
        self._pick_on_answer = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder=_("name, pinyin, initials or badge number"),
                    classes="picker-input", compact=True)
        results = OptionList(classes="picker-results")
        results.can_focus = False
        yield results
        yield Static("", classes="picked", markup=False)

    def on_mount(self) -> None:
        self._fill([])

    @property
    def input(self) -> Input:
        """The search box."""
        return self.query_one(".picker-input", Input)

    def focus(self, scroll_visible: bool = True) -> PersonPicker:
        self.input.focus(scroll_visible)
        return self

    @property
    def person_id(self) -> int | None:
        """The picked person's id (None: nobody, or anonymous)."""
        return self.picked.id if self.picked is not None else None

    @property
    def chosen(self) -> bool:
        """True once a person or the anonymous caller was picked."""
        return self.picked is not None or self.anonymous

    def preset(self, row: PersonRow | None, *, anonymous: bool = False) -> None:
        """Show ``row`` (or the anonymous caller) as picked, without searching."""
        self.picked = row
        self.anonymous = anonymous and row is None
        self._show_picked()
        self.query_one(".picker-results", OptionList).display = False

    # -- searching ---------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one(".picker-results", OptionList).display = True
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._search)

    def _search(self) -> None:
        self._timer = None
        text = self.input.value.strip()
        self._serial += 1
        serial = self._serial
        if not text:
            self._found(serial, [])
            return
        if not self.backend.unlocked:
            return
        self.call(persons.find_persons, self.backend.vs, text, 20,
                  done=lambda rows: self._found(serial, rows), group="person-picker")

    def _found(self, serial: int, rows: list[PersonRow]) -> None:
        if serial != self._serial or not self.is_attached:
            return  # a later keystroke's query is on its way
        self._answered = serial
        self._fill(rows)
        if self._pick_on_answer:
            self._pick_on_answer = False
            self._pick_highlighted()

    @property
    def searching(self) -> bool:
        """True while the typed text has not been answered yet."""
        return self._timer is not None or self._answered != self._serial

    def _fill(self, rows: list[PersonRow]) -> None:
        self.matches = rows
        options: list[Option] = [Option(describe(r), id=f"p{r.id}") for r in rows]
        if self.allow_anonymous:
            options.append(Option(_("Anonymous caller (hotline, online or e-mail)"),
                                  id=ANONYMOUS))
        if self.input.value.strip() and not rows:
            options.insert(0, Option(_("No match."), id="none", disabled=True))
        results = self.query_one(".picker-results", OptionList)
        results.set_options(options)
        first = next((i for i, o in enumerate(options) if not o.disabled), None)
        results.highlighted = first

    def action_move(self, step: int) -> None:
        """Move the highlight in the matches."""
        results = self.query_one(".picker-results", OptionList)
        if step > 0:
            results.action_cursor_down()
        else:
            results.action_cursor_up()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:  # Enter before the debounce ran: search now
            self._timer.stop()
            self._pick_on_answer = True
            self._search()
        elif self._answered != self._serial:  # the answer is on its way
            self._pick_on_answer = True
        else:
            self._pick_highlighted()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_id)

    def _pick_highlighted(self) -> None:
        option = self.query_one(".picker-results", OptionList).highlighted_option
        if option is not None:
            self._pick(option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id == ANONYMOUS:
            self.picked, self.anonymous = None, True
        else:
            row = next((r for r in self.matches if f"p{r.id}" == option_id), None)
            if row is None:
                return
            self.picked, self.anonymous = row, False
        self._show_picked()
        self.query_one(".picker-results", OptionList).display = False
        if self.input.has_focus:
            self.screen.focus_next()  # at once: the next keys belong to the next field
        self.post_message(self.Picked(self, self.picked))

    def _show_picked(self) -> None:
        line = self.query_one(".picked", Static)
        if self.picked is not None:
            line.update("✔ " + describe(self.picked))
        elif self.anonymous:
            line.update("✔ " + _("Anonymous caller"))
        else:
            line.update("")

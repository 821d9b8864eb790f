"""A date (or date-and-time) field that reads what a Chinese clerk types (DESIGN §7.4).

Wraps :mod:`counselor_tui.domain.dates`: ``今天 14:30``, ``昨天``, ``2026-11-03``,
``2026年11月3日``, ``11-03``, full-width digits; relative forms (``+7d``, ``3天后``,
``下周一``, ``1个月后``) in date fields. Below the input a hint shows, as you type, the
value that will be stored (``→ 2026-11-03 周二 · 3天后到期``); when the field loses focus
an unreadable entry turns the hint into the parser's message.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from counselor_tui.domain import dates
from counselor_tui.i18n import _
from counselor_tui.ui.base import BackendMixin

Mode = Literal["date", "datetime"]


class DateInput(BackendMixin, Widget):
    """``mode`` ``date`` (any date field, relative forms included) or ``datetime``.
    ``optional`` accepts an empty field (value None); ``due`` words the hint as a due date
    (``3天后到期``) rather than a plain one (``3天前``)."""

    class Changed(Message):
        """The typed text changed; ``value`` is the parsed value or None."""

        def __init__(self, date_input: DateInput, value: date | datetime | None) -> None:
            super().__init__()
            self.date_input = date_input
            self.value = value

        @property
        def control(self) -> DateInput:
            return self.date_input

    def __init__(self, value: str = "", *, mode: Mode = "date", optional: bool = False,
                 due: bool = False, placeholder: str = "", id: str | None = None,
                 compact: bool = False) -> None:
        super().__init__(id=id)
        self.compact = compact
        self.mode = mode
        self.optional = optional
        self.due = due
        self._initial = value
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield Input(self._initial, placeholder=self._placeholder, classes="date-text",
                    compact=self.compact)
        yield Static("", classes="date-hint", markup=False)

    def on_mount(self) -> None:
        self._show(final=False)

    @property
    def input(self) -> Input:
        """The text input inside."""
        return self.query_one(Input)

    @property
    def text(self) -> str:
        """The text as typed."""
        return self.input.value

    @text.setter
    def text(self, value: str) -> None:
        self.input.value = value

    def parse(self) -> tuple[date | datetime | None, str | None]:
        """``(value, None)`` when the text reads, else ``(None, message)``; an empty
        optional field is ``(None, None)``."""
        text = self.text.strip()
        if not text:
            if self.optional:
                return None, None
            return None, (_("Type a date and time, like 今天 14:30.") if self.mode == "datetime"
                          else _("Type a date, like 2026-11-03."))
        now = self.backend.clock.now()
        try:
            if self.mode == "datetime":
                return dates.parse_datetime_input(text, now), None
            return dates.parse_date_input(text, now.date()), None
        except dates.DateParseError as exc:
            return None, str(exc)

    @property
    def value(self) -> date | datetime | None:
        """The parsed value, or None (empty or unreadable)."""
        return self.parse()[0]

    def hint_text(self) -> str:
        """The hint line for the current text ("" while it does not read)."""
        value, _error = self.parse()
        if value is None:
            return ""
        today = self.backend.clock.now().date()
        if isinstance(value, datetime):
            shown, day = dates.format_datetime(value), value.date()
        else:
            shown, day = dates.format_date(value), value
        hint = f"→ {shown} · {dates.relative_hint(day, today, due=self.due)}"
        if isinstance(value, datetime) and self._date_only():
            # DESIGN §7.4 reads a bare date as midnight: say so, never let it pass unseen
            hint += " · " + _("no time typed: recorded as 00:00")
        return hint

    def _date_only(self) -> bool:
        """True when the text is a date without a time of day (``昨天``, ``11月3日``)."""
        try:
            dates.parse_relative(self.text.strip(), self.backend.clock.now().date())
        except dates.DateParseError:
            return False
        return True

    def _show(self, *, final: bool) -> None:
        _value, error = self.parse()
        hint = self.query_one(".date-hint", Static)
        if error is None:
            hint.update(self.hint_text())
            self.remove_class("-invalid")
        elif final:
            hint.update(error)
            self.add_class("-invalid")
        else:  # still being typed: say why it does not read yet, not a bare "…" (issue 16)
            hint.update(error if self.text.strip() else "")
            self.remove_class("-invalid")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show(final=False)
        self.post_message(self.Changed(self, self.value))

    def on_input_blurred(self, event: Input.Blurred) -> None:
        self._show(final=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._show(final=True)

    def show_error(self, message: str | None) -> None:
        """Show ``message`` (from form validation) in the hint line, or the normal hint."""
        hint = self.query_one(".date-hint", Static)
        if message:
            hint.update(message)
            self.add_class("-invalid")
        else:
            self._show(final=False)

    def focus(self, scroll_visible: bool = True) -> DateInput:
        self.input.focus(scroll_visible)
        return self

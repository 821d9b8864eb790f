"""One labelled field of a form, with its validation message underneath (DESIGN §6).

``FormField(label, control, name=…)``: ``name`` is the field's name in the service's
validation result (e.g. the :class:`~counselor_tui.services.sessions.SessionDraft` field),
so a form shows ``validate()``'s messages in the right place with :meth:`set_error`.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Label, Static


class FormField(Widget):
    """A label, a control and an error line; ``-invalid`` is set while an error shows."""

    def __init__(self, label: str, control: Widget, *, name: str) -> None:
        super().__init__(name=name, id=f"field-{name}")
        self.label = label
        self.control = control
        self._message = ""

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="form-label")
        yield self.control
        yield Static("", classes="form-error", markup=False)

    @property
    def error(self) -> str:
        """The message shown ("" when none)."""
        return self._message

    def set_error(self, message: str | None) -> None:
        """Show ``message`` under the control (None or "" clears it); a control with a line
        of its own for messages (``show_error``, the date fields) shows it there instead."""
        self._message = message or ""
        own_line = getattr(self.control, "show_error", None)
        if callable(own_line):  # a date field says it in its hint line: not twice (issue 16)
            own_line(self._message or None)
            self.query_one(".form-error", Static).update("")
        else:
            self.query_one(".form-error", Static).update(self._message)
        self.set_class(bool(message), "-invalid")

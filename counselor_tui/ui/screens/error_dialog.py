"""The single error dialog: every failed service call ends here (DESIGN §3 UI rules).

| key | action |
|---|---|
| Enter / Esc | close the dialog |
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings


class ErrorDialog(BaseModal[None]):
    """Shows ``message`` (already translated, free of names and notes) under ``title``."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close"), id="close"),
    ]

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.message = message
        self.title_text = title or _("Something went wrong")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.message, classes="dialog-body", markup=False, id="error-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="ok")

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the dialog."""
        self.dismiss(None)

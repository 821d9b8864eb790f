"""Ask for a written reason (void an assessment, close a campaign …).

Dismisses with the reason text or ``None`` (cancelled); an empty reason is refused.

| key | action |
|---|---|
| Enter | confirm |
| Esc | cancel |
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.ui.screens.form import FormModal


class ReasonDialog(FormModal[str | None]):
    """``question`` with a reason box."""

    CSS_PATH = "../styles/census_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "ok"
    CANCEL_BUTTON = "cancel"
    ERROR_LINE = "#reason-error"

    def __init__(self, title: str, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.question, classes="dialog-body", markup=False)
            yield Input(id="reason-input")
            yield Static("", id="reason-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("OK"), variant="primary", id="ok")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason-input", Input).focus()

    @on(Input.Submitted, "#reason-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def submit(self) -> None:
        """Close with the reason, or say that one is needed."""
        text = self.query_one("#reason-input", Input).value.strip()
        if not text:
            self.query_one("#reason-error", Static).update(_("Write a reason."))
            return
        self.dismiss(text)

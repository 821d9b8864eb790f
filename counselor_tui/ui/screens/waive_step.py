"""Waive an incident step with a written reason (e.g. the officer declined contact).

| key | action |
|---|---|
| Enter / Ctrl+S | waive with the reason typed |
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


class WaiveStepModal(FormModal[str | None]):
    """Asks for the reason; dismisses with it (stripped, non-empty) or None."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Waive the step"), id="waive", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "waive-ok"
    CANCEL_BUTTON = "waive-cancel"
    ERROR_LINE = "#waive-error"

    def __init__(self, step_label: str) -> None:
        super().__init__(classes="dialog-screen")
        self.step_label = step_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Waive step: {step}").format(step=self.step_label),
                        classes="dialog-title")
            yield Label(_("Reason (required)"), classes="field-label")
            yield Input(id="waive-reason")
            yield Static("", id="waive-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Waive"), variant="warning", id="waive-ok")
                yield Button(_("Cancel"), id="waive-cancel")

    def on_mount(self) -> None:
        self.query_one("#waive-reason", Input).focus()

    def submit(self) -> None:
        """Close with the reason, or say that one is needed."""
        reason = self.query_one("#waive-reason", Input).value.strip()
        if not reason:
            self.query_one("#waive-error", Static).update(
                _("Give the reason for waiving the step."))
            return
        self.dismiss(reason)

    @on(Input.Submitted, "#waive-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

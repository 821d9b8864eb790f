"""A yes/no question (discard unsaved text? flag an emergency? apply the import?).

| key | action |
|---|---|
| Enter | the focused button (Yes first) |
| Esc | no |
| ← / → / Tab | move between the buttons |
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


class ConfirmDialog(BaseModal[bool]):
    """Asks ``question``; dismisses with True (yes) or False (no / Esc)."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", N_("No"), id="no"),
        Binding("left", "app.focus_previous", show=False),
        Binding("right", "app.focus_next", show=False),
    ]

    def __init__(self, question: str, *, title: str | None = None, yes: str | None = None,
                 no: str | None = None, default_yes: bool = True) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.title_text = title or _("Please confirm")
        self.yes_label = yes or _("Yes")
        self.no_label = no or _("No")
        self.default_yes = default_yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.question, classes="dialog-body", markup=False, id="question")
            with Horizontal(classes="dialog-buttons"):
                # the coloured (primary) button is the one focused first: a dialog whose
                # answer defaults to No must not light up Yes (issue 16)
                yield Button(self.yes_label, id="yes",
                             variant="primary" if self.default_yes else "default")
                yield Button(self.no_label, id="no",
                             variant="default" if self.default_yes else "primary")

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#yes" if self.default_yes else "#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Close with ``yes``."""
        self.dismiss(yes)

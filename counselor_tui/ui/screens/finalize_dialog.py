"""Finalize a submission: the question, and the classification (密级) the document will carry
(GB/T 9704-2012 §7.2.2; :mod:`counselor_tui.domain.filing`).

| key | action |
|---|---|
| Enter | the focused button (Finalize first) |
| Tab / Shift+Tab | to the classification (the settings' default is preselected) and back |
| ↑ / ↓, Enter | in the classification: move, choose |
| Esc | cancel |
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, RadioButton, RadioSet, Static

from counselor_tui.domain.filing import CLASSIFICATIONS
from counselor_tui.i18n import N_, _
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings


class FinalizeDialog(BaseModal[str | None]):
    """Asks ``question`` with a choice of classification; dismisses with the chosen
    classification (``""`` = not classified) or None (cancelled)."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]

    def __init__(self, question: str, default: str) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.default = default if default in CLASSIFICATIONS else CLASSIFICATIONS[1]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Finalize"), classes="dialog-title")
            yield Static(self.question, classes="dialog-body", markup=False, id="question")
            yield Label(_("Classification of the document (密级)"), classes="field-label")
            with RadioSet(id="fz-classification"):
                for level in CLASSIFICATIONS:
                    yield RadioButton(level or _("Not classified"), value=level == self.default,
                                      id=f"fz-level-{CLASSIFICATIONS.index(level)}")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Finalize"), variant="primary", id="yes")
                yield Button(_("Cancel"), id="no")

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#yes", Button).focus()

    @property
    def chosen(self) -> str:
        """The classification selected now."""
        pressed = self.query_one("#fz-classification", RadioSet).pressed_index
        return CLASSIFICATIONS[pressed] if pressed >= 0 else self.default

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.chosen if event.button.id == "yes" else None)

    def action_cancel(self) -> None:
        """Close without finalizing."""
        self.dismiss(None)

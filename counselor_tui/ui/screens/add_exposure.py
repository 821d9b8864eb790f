"""Add exposed persons to an open incident (their first-contact steps are planned at once).

| key | action |
|---|---|
| Ctrl+S | add the persons picked |
| Esc | cancel |
"""

from __future__ import annotations

from pathlib import PurePath
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label

from counselor_tui.i18n import N_, _
from counselor_tui.services.incidents import ExposureDraft
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.incident_person_picker import IncidentPersonPicker


class AddExposureModal(FormModal[tuple[ExposureDraft, ...] | None]):
    """Dismisses with the picked persons (with roles), or None."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["../styles/dialogs.tcss",
        "../styles/incident_person_picker.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Add the persons"), id="add_persons", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "ae-ok"
    CANCEL_BUTTON = "ae-cancel"

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog-screen")
        self.incident_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Add persons to: {title}").format(title=self.incident_title),
                        classes="dialog-title")
            yield IncidentPersonPicker(id="ae-picker")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Add"), variant="primary", id="ae-ok")
                yield Button(_("Cancel"), id="ae-cancel")

    def on_mount(self) -> None:
        self.query_one("#ipp-search").focus()

    def submit(self) -> None:
        """Close with the picked persons (nothing picked: like cancel)."""
        drafts = self.query_one(IncidentPersonPicker).drafts()
        self.dismiss(drafts or None)

"""The notice to the personnel department: preview, then write DOCX and plain text.

A notice states one decision of the restriction's history (the one chosen in the register's
history, else the latest) with its own decision-maker and date. It carries only name, badge
number, unit, decision, dates and decision-maker (policy.md) — never a diagnosis, score,
note or incident summary. The files are written *unencrypted* into the folder typed here
(a warning says so); the export is audited.

| key | action |
|---|---|
| Ctrl+S | write the DOCX and text files |
| Esc | close |
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from counselor_tui.domain.firearms import Notice
from counselor_tui.i18n import N_, _
from counselor_tui.services import firearm_notice
from counselor_tui.ui.screens.form import FormModal


class FirearmNoticeModal(FormModal[list[Path] | None]):
    """Dismisses with the written paths, or None."""

    CSS_PATH = "../styles/firearms.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Write the notice"), id="write_notice", priority=True),
        Binding("escape", "cancel", N_("Close"), id="close"),
    ]
    SAVE_BUTTON = "fn-ok"
    CANCEL_BUTTON = "fn-cancel"

    def __init__(self, restriction_id: int, folder: Path | None = None,
                 event_id: int | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.restriction_id = restriction_id
        self.event_id = event_id
        self.folder = folder or Path.home()
        self.preview: Notice | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog fa-dialog fa-notice"):
            yield Label(_("Notice for the personnel department"), classes="dialog-title")
            with VerticalScroll(id="fn-preview-box"):
                yield Static(_("Loading…"), id="fn-preview", markup=False)
            yield Label(_("Folder"), classes="field-label")
            yield Input(str(self.folder), id="fn-folder")
            yield Static(_("The DOCX and text files are NOT encrypted: hand them to the "
                           "personnel department and keep them out of shared folders."),
                         classes="status-warning", markup=False)
            yield Static("", id="fn-result", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Write DOCX + text"), variant="primary", id="fn-ok")
                yield Button(_("Close"), id="fn-cancel")

    def on_mount(self) -> None:
        self.call(firearm_notice.notice, self.backend.vs, self.restriction_id, self.event_id,
                  done=self._show, group="fn-load")

    def _show(self, notice: Notice) -> None:
        self.preview = notice
        self.query_one("#fn-preview", Static).update(firearm_notice.notice_text(notice))
        self.query_one("#fn-folder", Input).focus()

    def submit(self) -> None:
        """Write both files (in a worker)."""
        folder = Path(self.query_one("#fn-folder", Input).value.strip()).expanduser()
        self.save_with(firearm_notice.export_notice, self.backend.vs, self.restriction_id,
                       folder, event_id=self.event_id, done=self._written, group="fn-save")

    def _written(self, paths: list[Path]) -> None:
        self.query_one("#fn-result", Static).update("\n".join(str(p) for p in paths))
        self.app.notify(_("Notice written: {files}").format(
            files=", ".join(p.name for p in paths)), markup=False)
        self.dismiss(paths)

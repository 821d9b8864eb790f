"""Export a final submission as a signed, encrypted package (DESIGN §8 "Package").

The package password is either typed twice or generated; a generated password is shown once,
in this dialog, after the package is written — it is not stored anywhere. The folder is
created when missing; the package is written through a temporary file and renamed, so a
failure leaves any earlier package untouched.

| key | action |
|---|---|
| Ctrl+S | export |
| Esc | cancel / close |
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.services import submissions
from counselor_tui.services.submissions import ExportResult
from counselor_tui.ui.screens.form import FormModal


class SubmissionExportModal(FormModal[ExportResult | None]):
    """Dismisses with the :class:`ExportResult` once written (after the generated password
    was shown), or None when cancelled."""

    CSS_PATH = "../styles/submissions.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Export"), id="export", priority=True),
        Binding("escape", "cancel", N_("Close"), id="close"),
    ]
    ERROR_LINE = "#sx-message"
    SAVE_BUTTON = "sx-go"
    CANCEL_BUTTON = "sx-close"

    def __init__(self, submission_id: int, label: str, folder: Path) -> None:
        super().__init__(classes="dialog-screen")
        self.submission_id = submission_id
        self.label = label
        self.folder = folder
        self.result: ExportResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog sb-dialog"):
            yield Label(_("Export package · {label}").format(label=self.label),
                        classes="dialog-title")
            yield Label(_("Folder"), classes="field-label")
            yield Input(str(self.folder), id="sx-folder")
            yield Checkbox(_("Generate a password (shown once)"), value=True, id="sx-generate")
            yield Label(_("Password"), classes="field-label", id="sx-pw-label")
            yield Input(password=True, id="sx-password")
            yield Label(_("Password again"), classes="field-label", id="sx-pw2-label")
            yield Input(password=True, id="sx-password2")
            yield Static("", id="sx-message", classes="dialog-body", markup=False)
            yield Static("", id="sx-secret", classes="sb-secret", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Export"), variant="primary", id="sx-go")
                yield Button(_("Close"), id="sx-close")

    def on_mount(self) -> None:
        self._toggle_typed(True)
        self.query_one("#sx-folder", Input).focus()

    def _toggle_typed(self, generate: bool) -> None:
        for ident in ("#sx-pw-label", "#sx-password", "#sx-pw2-label", "#sx-password2"):
            self.query_one(ident).display = not generate

    @on(Checkbox.Changed, "#sx-generate")
    def _generate_changed(self, event: Checkbox.Changed) -> None:
        self._toggle_typed(event.value)

    def submit(self) -> None:
        """Ctrl+S: check the inputs and write the package in a worker."""
        folder = self.query_one("#sx-folder", Input).value.strip()
        if not folder:
            self.say(_("Give the folder for the package."))
            return
        password: str | None = None
        if not self.query_one("#sx-generate", Checkbox).value:
            password = self.query_one("#sx-password", Input).value
            if password != self.query_one("#sx-password2", Input).value:
                self.say(_("The two passwords differ."))
                return
            if not password.strip():
                self.say(_("Type the password twice, or let one be generated."))
                return
        self.save_with(submissions.export, self.backend.vs, self.submission_id,
                       Path(folder).expanduser(), password, done=self._done,
                       saying=_("Writing the package…"), group="submission-export")

    def _done(self, result: ExportResult) -> None:
        self.result = result
        self.query_one("#sx-password", Input).value = ""
        self.query_one("#sx-password2", Input).value = ""
        self.say(_("Package written: {path}\nSigner fingerprint: {fingerprint}").format(
            path=result.path, fingerprint=result.fingerprint))
        if result.password is not None:
            self.query_one("#sx-secret", Static).update(
                _("Password (shown only now — give it to the receiving office by another "
                  "channel): {password}").format(
                    password="\n" + result.password))  # its own line: never wrapped mid-token
        self.query_one("#sx-go", Button).disabled = True
        self.query_one("#sx-close", Button).focus()

    def close_form(self) -> None:
        """Esc / Close: close (not while writing); the generated password disappears with
        the dialog."""
        if not self.saving:
            self.dismiss(self.result)

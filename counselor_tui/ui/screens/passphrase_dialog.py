"""Set a passphrase (Users & settings; DESIGN §5 "Changing a password rewraps one slot").

Two uses: an admin *resets* another account's passphrase (typed twice; the account gets a
fresh key slot, the admin never learns the old one), or anyone *changes their own* (current
passphrase, then the new one twice; the slot is rewrapped). Both go through
:func:`counselor_tui.services.accounts.change_passphrase`; a wrong current passphrase or a
weak new one is shown under the form.

| key | action |
|---|---|
| ctrl+s | set the passphrase |
| Esc | cancel |
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.services import accounts
from counselor_tui.services.errors import ServiceError
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.passphrase_pair import PassphrasePair


class PassphraseDialog(FormModal[bool]):
    """Reset ``username``'s passphrase, or change one's own when ``own`` (asks for the
    current one). Dismisses with True once set, False when cancelled."""

    CSS_PATH: ClassVar[Any] = ["../styles/dialogs.tcss", "../styles/users_settings.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Set the passphrase"), id="set_passphrase",
                priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#pw-error"
    SAVE_BUTTON = "pw-ok"
    CANCEL_BUTTON = "pw-cancel"
    CANCEL_RESULT = False

    def __init__(self, username: str, *, own: bool) -> None:
        super().__init__(classes="dialog-screen")
        self.username = username
        self.own = own

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog us-dialog"):
            if self.own:
                yield Label(_("Change your passphrase"), classes="dialog-title")
                yield Label(_("Current passphrase"), classes="field-label")
                yield Input(password=True, id="pw-old", compact=True)
            else:
                yield Label(_("Reset the passphrase of {user}").format(user=self.username),
                            classes="dialog-title")
                yield Static(_("Tell the new passphrase to its owner in person; they can "
                               "change it afterwards."), classes="dialog-hint", markup=False)
            yield PassphrasePair(context=(self.username,), id="pw-new")
            yield Static("", id="pw-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Set the passphrase"), variant="primary", id="pw-ok",
                             compact=True)
                yield Button(_("Cancel"), id="pw-cancel", compact=True)

    def on_mount(self) -> None:
        if self.own:
            self.query_one("#pw-old", Input).focus()
        else:
            self.query_one(PassphrasePair).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input is self.query_one(PassphrasePair).second:
            self.action_save()
        else:
            self.focus_next()

    def submit(self) -> None:
        """Check the entries, then set the passphrase (in a worker)."""
        error = self.query_one("#pw-error", Static)
        old: str | None = None
        if self.own:
            old = self.query_one("#pw-old", Input).value
            if not old:
                error.update(_("Type your current passphrase."))
                self.query_one("#pw-old", Input).focus()
                return
        pair = self.query_one(PassphrasePair)
        problem = pair.problem()
        if problem:
            error.update(problem)
            pair.focus()
            return
        self.save_with(accounts.change_passphrase, self.backend.vs, self.username, pair.value,
                       old_passphrase=old, kdf_seconds=self.backend.kdf_seconds,
                       done=self._set, saying=_("Setting the passphrase…"), group="passphrase")

    def _set(self, _result: None) -> None:
        self.app.notify(_("The passphrase of {user} was changed.").format(user=self.username),
                        markup=False)
        self.dismiss(True)

    def form_failed(self, error: BaseException) -> bool:
        """A refusal under the form; the current passphrase typed again."""
        if self.own and isinstance(error, ServiceError):
            self.query_one("#pw-old", Input).value = ""
        return super().form_failed(error)

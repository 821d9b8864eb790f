"""Unlock screen: user name and passphrase (DESIGN §5 "Wrong-password throttling", §6).

The key derivation (Argon2id, about half a second) runs in a thread worker so the screen
stays live. A wrong passphrase says so; while the failed-attempt delay runs
(:class:`~counselor_tui.services.errors.Throttled`) a live countdown is shown and the attempt
is retried when it ends. On success the screen posts :class:`UnlockScreen.Unlocked`; the app
shows the dashboard and the number of failed attempts since the last login.

| key | action |
|---|---|
| Enter | next field / unlock |
| Tab / Shift+Tab | move between fields |
| ctrl+q | quit |
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Button, Input, Label, LoadingIndicator, Static

from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import ServiceError, Throttled
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import ENTER_MOVES_ON
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter


class UnlockScreen(BaseScreen):
    """Asks for the user name (prefilled with ``username`` or the only account) and the
    passphrase, and unlocks the vault of ``self.backend``."""

    CSS_PATH = "../styles/unlock.tcss"
    BINDINGS: ClassVar[list[BindingType]] = []
    AUTO_FOCUS = None

    class Unlocked(Message):
        """The vault is open: ``session`` is the new :class:`VaultSession`."""

        def __init__(self, session: VaultSession) -> None:
            super().__init__()
            self.session = session

    def __init__(self, username: str | None = None, notice: str = "",
                 passphrase: str | None = None) -> None:
        super().__init__()
        self.initial_user = username
        self.notice = notice
        #: ``--passphrase-file``'s passphrase: the screen opens the vault with it at once,
        #: behind its first frame (issue 18), then forgets it.
        self._given = passphrase
        self._deadline: datetime | None = None
        self._countdown: Timer | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        users = self.backend.usernames()
        yield Banner()
        with Center(), Vertical(id="unlock-box"):
            yield Label(_("Counselor workbench"), id="unlock-title")
            yield Static(_("Vault: {path}").format(path=self.backend.vault_path),
                         id="vault-path", markup=False)
            if self.notice:
                yield Static(self.notice, id="unlock-notice", markup=False)
            demo_passphrase = getattr(self.app, "demo_passphrase", None)
            if demo_passphrase:  # a generated demo vault: its passphrase must not scroll away
                yield Static(_("Demo vault — passphrase of every demo account: {passphrase}")
                             .format(passphrase=demo_passphrase), id="unlock-demo",
                             markup=False)
            prefilled = self.initial_user or (users[0] if len(users) == 1 else "")
            # focused from the first frame, before on_mount: a passphrase typed ahead while
            # the program starts must land masked, never in the user name field in clear
            self.AUTO_FOCUS = "#passphrase" if prefilled else "#username"
            yield Label(_("User name"), classes="field-label")
            yield Input(prefilled,
                        id="username", placeholder=_("user name"), classes=ENTER_MOVES_ON,
                        suggester=SuggestFromList(users, case_sensitive=False))
            yield Label(_("Passphrase"), classes="field-label")
            yield Input(id="passphrase", password=True, placeholder=_("passphrase"))
            yield Button(_("Unlock"), variant="primary", id="unlock")
            yield LoadingIndicator(id="unlock-busy")
            yield Static("", id="unlock-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        self.query_one("#unlock-busy").display = False
        user = self.query_one("#username", Input)
        (self.query_one("#passphrase", Input) if user.value else user).focus()
        wait = self.backend.wait_seconds(user.value.strip() or None)  # left by failures
        given, self._given = self._given, None
        if given and user.value:
            self.query_one("#passphrase", Input).value = given
        if wait > 0:
            self._start_countdown(wait)  # tries the given passphrase once it ends
        elif given and user.value:
            self.attempt(_("Opening the vault…"))

    # -- events ------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "username":
            self.set_focus(self.query_one("#passphrase", Input))
        else:
            self.attempt()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.attempt()

    # -- unlocking ---------------------------------------------------------------------------
    def _status(self, text: str, level: str = "error") -> None:
        status = self.query_one("#unlock-status", Static)
        status.update(text)
        status.set_classes(f"status-{level}")

    def attempt(self, status: str | None = None) -> None:
        """Unlock with the typed user name and passphrase (in a worker); ``status`` is what
        the screen says meanwhile (default "Checking the passphrase…")."""
        if self._busy or self._deadline is not None:
            return
        user = self.query_one("#username", Input).value.strip()
        secret = self.query_one("#passphrase", Input).value
        if not user:
            self._status(_("Type your user name."))
            self.query_one("#username", Input).focus()
            return
        if not secret:
            self._status(_("Type your passphrase."))
            self.query_one("#passphrase", Input).focus()
            return
        self._set_busy(True)
        self._status(status or _("Checking the passphrase…"), "info")
        self.call(self.backend.unlock, user, secret, done=self._unlocked,
                  failed=self._unlock_failed, group="unlock")

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.query_one("#unlock-busy").display = busy
        self.query_one("#unlock", Button).disabled = busy

    def _unlocked(self, vs: VaultSession) -> None:
        self._set_busy(False)
        self.query_one("#passphrase", Input).value = ""
        self.post_message(self.Unlocked(vs))

    def _unlock_failed(self, error: BaseException) -> bool:
        """Every failure is shown here, never in the error dialog (nothing behind this
        screen to go back to): a throttle starts the countdown, anything else empties the
        passphrase and says why (only the kind of an unexpected error)."""
        self._set_busy(False)
        if isinstance(error, Throttled):
            self._start_countdown(error.wait_seconds)
            return True
        passphrase = self.query_one("#passphrase", Input)
        passphrase.value = ""
        passphrase.focus()
        if isinstance(error, ServiceError):
            self._status(str(error))
        else:  # never show the details: they could carry paths or data
            self._status(_("The vault could not be opened ({kind}).").format(
                kind=type(error).__name__))
        return True

    # -- failed-attempt delay ----------------------------------------------------------------
    def _start_countdown(self, seconds: float) -> None:
        self._deadline = self.backend.clock.now() + timedelta(seconds=seconds)
        self.query_one("#unlock", Button).disabled = True
        self._tick()
        if self._countdown is None:
            self._countdown = self.set_interval(0.25, self._tick)

    def _tick(self) -> None:
        if self._deadline is None:
            return
        left = (self._deadline - self.backend.clock.now()).total_seconds()
        if left > 0:
            self._status(_("Too many failed attempts: wait {seconds} s.").format(
                seconds=math.ceil(left)), "warning")
            return
        self._deadline = None
        if self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        self.query_one("#unlock", Button).disabled = False
        self._status("", "info")
        if self.query_one("#passphrase", Input).value:
            self.attempt()

    @property
    def waiting_seconds(self) -> int:
        """Whole seconds left of the failed-attempt delay (0 when none)."""
        if self._deadline is None:
            return 0
        return max(0, math.ceil((self._deadline - self.backend.clock.now()).total_seconds()))

"""Add an account (Users & settings; DESIGN §5 "admin — users"): user name, display name,
role, unit and a passphrase typed twice with live strength feedback.

The account is created by :func:`counselor_tui.services.accounts.add_user` (admin only; it
gets its own key slot). Refusals (name taken, weak passphrase …) show under the form.

| key | action |
|---|---|
| ctrl+s | add the account |
| Esc | cancel |
| Tab / Shift+Tab | move between fields |
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import accounts, lifecycle
from counselor_tui.services.accounts import UserInfo
from counselor_tui.services.errors import ServiceError
from counselor_tui.services.persons import UnitRow
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.form_scroll import FormScroll
from counselor_tui.ui.widgets.passphrase_pair import PassphrasePair

#: Roles offered, the everyday ones first.
ROLE_ORDER = (Role.COUNSELOR, Role.COORDINATOR, Role.AUDITOR, Role.ADMIN)


class AddUserDialog(FormModal[UserInfo | None]):
    """Dismisses with the new account, or None (cancelled). ``units`` fill the unit list."""

    CSS_PATH: ClassVar[Any] = ["../styles/dialogs.tcss", "../styles/users_settings.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Add the account"), id="add_account", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#au-error"
    SAVE_BUTTON = "au-ok"
    CANCEL_BUTTON = "au-cancel"

    def __init__(self, units: list[UnitRow]) -> None:
        super().__init__(classes="dialog-screen")
        self.units = units

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog us-dialog"):
            yield Label(_("Add an account"), classes="dialog-title")
            with FormScroll(classes="us-dialog-body"):
                yield Label(_("User name"), classes="field-label")
                yield Input(id="au-username", compact=True,
                            placeholder=_("2–32 letters, digits, _ . -"))
                yield Label(_("Display name"), classes="field-label")
                yield Input(id="au-display", compact=True)
                yield Label(_("Role"), classes="field-label")
                yield Select[str]([(r.label, r.value) for r in ROLE_ORDER],
                                  value=Role.COUNSELOR.value, allow_blank=False,
                                  id="au-role", compact=True)
                yield Label(_("Unit"), classes="field-label")
                yield Select[str]([(u.name, u.code) for u in self.units],
                                  prompt=_("no unit"), id="au-unit", compact=True)
                yield PassphrasePair(id="au-passphrase")
            yield Static("", id="au-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Add the account"), variant="primary", id="au-ok",
                             compact=True)
                yield Button(_("Cancel"), id="au-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#au-username", Input).focus()

    @on(Input.Changed, "#au-username, #au-display")
    def _names_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_one(PassphrasePair).context = (
            self.query_one("#au-username", Input).value.strip(),
            self.query_one("#au-display", Input).value.strip())

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        pair = self.query_one(PassphrasePair)
        if event.input is pair.second:
            self.action_save()
        else:
            self.focus_next()

    def submit(self) -> None:
        """Check the form, then add the account (in a worker)."""
        error = self.query_one("#au-error", Static)
        try:
            username = lifecycle.validate_username(self.query_one("#au-username", Input).value)
        except ServiceError as exc:
            error.update(str(exc))
            self.query_one("#au-username", Input).focus()
            return
        pair = self.query_one(PassphrasePair)
        problem = pair.problem()
        if problem:
            error.update(problem)
            pair.focus()
            return
        role = str(self.query_one("#au-role", Select).value)
        unit = self.query_one("#au-unit", Select).value
        display = self.query_one("#au-display", Input).value.strip() or None
        self.save_with(accounts.add_user, self.backend.vs, username, role, pair.value,
                       display_name=display,
                       unit_code=None if unit is Select.NULL else str(unit),
                       kdf_seconds=self.backend.kdf_seconds, done=self._added,
                       saying=_("Adding the account…"), group="add-user")

    def _added(self, info: UserInfo) -> None:
        self.query_one(PassphrasePair).clear()
        self.app.notify(_("Account {user} added.").format(user=info.username), markup=False)
        self.dismiss(info)

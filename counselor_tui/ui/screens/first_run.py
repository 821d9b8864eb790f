"""First-run wizard: bureau, admin and working accounts, passphrase, recovery code, roster
(DESIGN §5, §6).

Steps (one panel each, Enter or ctrl+s goes on, Esc goes back):

1. bureau name, the administrator's user name (and display name), and the user's own
   *working account* (user name, display name, role coordinator or counselor). Roles are
   separate (DESIGN §5): the admin account manages accounts, keys and settings only and may
   not log sessions, so a bureau set up here needs a working account from the start;
2. the passphrase, typed twice, with live strength feedback from
   :func:`counselor_tui.domain.passphrase.strength` (zxcvbn); once both entries match and
   the passphrase is strong enough, a worker creates the vault, unlocks it as the admin,
   adds the working account with the SAME passphrase
   (:func:`counselor_tui.services.accounts.add_user`), locks the admin session and
   unlocks as the working account — the app goes on as the working account;
3. the recovery code, shown once: the user copies it and confirms it by typing it again;
4. optionally import the roster now (opens the roster import screen; coordinators only) or
   go to the dashboard.

| key | action |
|---|---|
| Enter / ctrl+s | next step |
| Esc | previous step |
| Tab / Shift+Tab | move between fields |
"""

from __future__ import annotations

import unicodedata
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Grid, Horizontal, Vertical
from textual.message import Message
from textual.widgets import (
    Button,
    ContentSwitcher,
    Input,
    Label,
    LoadingIndicator,
    ProgressBar,
    Select,
    Static,
)

from counselor_tui.domain.passphrase import Strength, strength
from counselor_tui.domain.permissions import Action, allowed
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import accounts, lifecycle
from counselor_tui.services.api import Backend
from counselor_tui.services.errors import ServiceError
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.widgets.footer import AppFooter

STEPS = ("step-bureau", "step-passphrase", "step-recovery", "step-roster")
#: Roles a working account may have (the ones that log sessions), the default first.
WORK_ROLES = (Role.COORDINATOR, Role.COUNSELOR)


def normalize_code(text: str) -> str:
    """A typed recovery code in canonical form: NFKC, upper case, letters and digits only,
    I/L read as 1 and O as 0 (Crockford base32, as the code is printed)."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch.isalnum())
    return cleaned.replace("I", "1").replace("L", "1").replace("O", "0")


def _measure(passphrase: str, context: tuple[str, ...]) -> tuple[str, Strength]:
    return passphrase, strength(passphrase, context)


def create_with_working_account(backend: Backend, *, bureau: str, admin: str,
                                 admin_display: str | None, work: str,
                                 work_display: str | None, work_role: str,
                                 passphrase: str) -> tuple[str, str]:
    """Create the vault, add the working account with the same passphrase while unlocked
    as the admin, lock the admin session and unlock ``backend`` as the working account
    (runs in a worker). Returns ``(recovery code, problem)``: ``problem`` is "" normally;
    if the working account could not be added (the vault exists anyway, and its recovery
    code must still be shown) it is the reason, and ``backend`` is unlocked as the admin."""
    created = backend.create(bureau=bureau, admin_username=admin, passphrase=passphrase,
                             admin_display_name=admin_display)
    admin_vs = lifecycle.unlock(backend.vault_path, admin, passphrase, clock=backend.clock,
                            state_dir=backend.state_dir, action="login")
    problem = ""
    try:
        accounts.add_user(admin_vs, work, work_role, passphrase, display_name=work_display,
                          kdf_seconds=backend.kdf_seconds)
    except ServiceError as exc:
        problem = str(exc)
    finally:
        lifecycle.lock(admin_vs, "first_run")
    backend.unlock(admin if problem else work, passphrase)
    return created.recovery_code, problem


class FirstRunScreen(BaseScreen):
    """Creates the vault at ``self.backend.vault_path`` and unlocks it as the admin."""

    CSS_PATH = "../styles/first_run.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "previous", N_("Previous step"), id="previous"),
    ]
    AUTO_FOCUS = "#bureau"

    class Finished(Message):
        """The vault exists and is unlocked; ``import_roster`` asks for the roster screen."""

        def __init__(self, import_roster: bool) -> None:
            super().__init__()
            self.import_roster = import_roster

    def __init__(self) -> None:
        super().__init__()
        self.recovery_code = ""
        self.account_problem = ""
        self._busy = False

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="wizard"):
            yield Label(_("New vault"), id="wizard-title")
            yield Static("", id="wizard-step", markup=False)
            with ContentSwitcher(initial=STEPS[0], id="steps"):
                with Vertical(id="step-bureau"):
                    with Grid(classes="wizard-grid"):
                        yield Label(_("Bureau name"), classes="grid-label")
                        yield Input(id="bureau", placeholder=_("e.g. 某某县公安局"),
                                    compact=True)
                        yield Label(_("Administrator user name"), classes="grid-label")
                        yield Input("admin", id="admin", compact=True)
                        yield Label(_("Administrator display name (optional)"),
                                    classes="grid-label")
                        yield Input(id="display", compact=True)
                    yield Static(_("The admin account is for accounts, keys and settings "
                                   "only; your own working account logs sessions."),
                                 classes="wizard-help", id="work-help", markup=False)
                    with Grid(classes="wizard-grid"):
                        yield Label(_("Your working account: user name"),
                                    classes="grid-label")
                        yield Input(id="work-user", compact=True,
                                    placeholder=_("e.g. your name in pinyin"))
                        yield Label(_("Its display name (optional)"), classes="grid-label")
                        yield Input(id="work-display", compact=True)
                        yield Label(_("Its role"), classes="grid-label")
                        yield Select[str]([(r.label, r.value) for r in WORK_ROLES],
                                          value=Role.COORDINATOR.value, allow_blank=False,
                                          id="work-role", compact=True)
                    yield Static("", id="bureau-error", classes="field-error", markup=False)
                with Vertical(id="step-passphrase"):
                    yield Static(_("Choose a passphrase: four or more unrelated words, or a "
                                   "long sentence. It cannot be recovered without the "
                                   "recovery code."), classes="wizard-help", markup=False)
                    yield Label(_("Passphrase"), classes="field-label")
                    yield Input(id="passphrase", password=True, compact=True)
                    yield ProgressBar(total=4, show_eta=False, show_percentage=False,
                                      id="strength-bar")
                    yield Static("", id="strength", markup=False)
                    yield Label(_("Passphrase again"), classes="field-label")
                    yield Input(id="passphrase2", password=True, compact=True)
                    yield Static("", id="passphrase-error", classes="field-error",
                                 markup=False)
                    yield LoadingIndicator(id="create-busy")
                with Vertical(id="step-recovery"):
                    yield Static(_("Recovery code: write it down and keep it in a safe place. "
                                   "It opens the vault when every passphrase is lost. It is "
                                   "shown only now."), classes="wizard-help", markup=False)
                    yield Static("", id="recovery-code", markup=False)
                    yield Label(_("Type the recovery code again to confirm"),
                                classes="field-label")
                    yield Input(id="recovery-confirm", compact=True)
                    yield Static("", id="recovery-error", classes="field-error", markup=False)
                with Vertical(id="step-roster"):
                    yield Static("", id="signed-in", classes="wizard-help", markup=False)
                    yield Static(_("The vault is ready. Import the roster of officers now? "
                                   "(You can also do it later from the command palette.)"),
                                 classes="wizard-help", id="roster-help", markup=False)
                    with Horizontal(classes="wizard-buttons"):
                        yield Button(_("Import roster"), id="roster-yes", variant="primary",
                                     compact=True)
                        yield Button(_("Go to the dashboard"), id="roster-no", compact=True)
            with Horizontal(classes="wizard-buttons", id="nav-buttons"):
                yield Button(_("Back"), id="back", compact=True)
                yield Button(_("Next"), id="next", variant="primary", compact=True)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#create-busy").display = False
        self._show_step(STEPS[0])

    # -- navigation --------------------------------------------------------------------------
    @property
    def step(self) -> str:
        """Id of the panel shown."""
        return self.query_one("#steps", ContentSwitcher).current or STEPS[0]

    def _show_step(self, step: str) -> None:
        self.query_one("#steps", ContentSwitcher).current = step
        index = STEPS.index(step)
        self.query_one("#wizard-step", Static).update(
            _("Step {n} of {total}").format(n=index + 1, total=len(STEPS)))
        self.query_one("#back", Button).display = index in (1,)
        self.query_one("#nav-buttons").display = index < 3
        next_button = self.query_one("#next", Button)
        next_button.label = _("Create the vault") if step == "step-passphrase" else _("Next")
        next_button.refresh(layout=True)  # an auto width follows the new label
        first = {"step-bureau": "#bureau", "step-passphrase": "#passphrase",
                 "step-recovery": "#recovery-confirm", "step-roster": "#roster-no"}[step]
        self.set_focus(self.query_one(first))

    def action_previous(self) -> None:
        """Go back one step (only before the vault exists)."""
        if self.step == "step-passphrase" and not self._busy:
            self._show_step("step-bureau")

    def action_save(self) -> None:
        """ctrl+s: the next step."""
        self.action_next()

    def action_next(self) -> None:
        """Check the current step and go on."""
        if self._busy:
            return
        step = self.step
        if step == "step-bureau":
            self._check_bureau()
        elif step == "step-passphrase":
            self._create()
        elif step == "step-recovery":
            self._confirm_code()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["bureau", "admin", "display", "work-user", "work-display", "passphrase",
                 "passphrase2", "recovery-confirm"]
        ident = event.input.id or ""
        ends = {"work-display", "passphrase2", "recovery-confirm"}
        if ident in ends:
            self.action_next()
        elif ident in order:
            self.set_focus(self.query_one(f"#{order[order.index(ident) + 1]}"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        ident = event.button.id
        if ident == "next":
            self.action_next()
        elif ident == "back":
            self.action_previous()
        elif ident in ("roster-yes", "roster-no"):
            self.post_message(self.Finished(import_roster=ident == "roster-yes"))

    # -- step 1 ------------------------------------------------------------------------------
    def _check_bureau(self) -> None:
        error = self.query_one("#bureau-error", Static)
        if not self.query_one("#bureau", Input).value.strip():
            error.update(_("Type the bureau's name."))
            self.query_one("#bureau", Input).focus()
            return
        try:
            admin = lifecycle.validate_username(self.query_one("#admin", Input).value)
        except ServiceError as exc:
            error.update(str(exc))
            self.query_one("#admin", Input).focus()
            return
        work_input = self.query_one("#work-user", Input)
        if not work_input.value.strip():
            error.update(_("Type a user name for your working account (you log sessions "
                           "with it)."))
            work_input.focus()
            return
        try:
            work = lifecycle.validate_username(work_input.value)
        except ServiceError as exc:
            error.update(str(exc))
            work_input.focus()
            return
        if work.casefold() == admin.casefold():
            error.update(_("The working account needs its own user name, not the "
                           "administrator's."))
            work_input.focus()
            return
        error.update("")
        self._show_step("step-passphrase")

    # -- step 2 ------------------------------------------------------------------------------
    def _guessable_words(self) -> tuple[str, ...]:
        return (self.query_one("#admin", Input).value.strip(),
                self.query_one("#bureau", Input).value.strip(),
                self.query_one("#work-user", Input).value.strip())

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "passphrase":
            self.call(_measure, event.value, self._guessable_words(), done=self._show_strength,
                      group="strength")
        if event.input.id in ("passphrase", "passphrase2"):
            self.query_one("#passphrase-error", Static).update("")

    def _show_strength(self, measured: tuple[str, Strength]) -> None:
        value, verdict = measured
        if not self.is_attached or value != self.query_one("#passphrase", Input).value:
            return  # a later keystroke's verdict is on its way
        bar = self.query_one("#strength-bar", ProgressBar)
        bar.update(progress=verdict.score if self.query_one("#passphrase", Input).value else 0)
        bar.set_class(not verdict.acceptable, "weak")
        names = [N_("very weak"), N_("weak"), N_("fair"), N_("strong"), N_("very strong")]
        label = _(names[max(0, min(4, verdict.score))])
        line = self.query_one("#strength", Static)
        line.update(_("Strength: {label}. {hint}").format(label=label, hint=verdict.hint))
        line.set_class(not verdict.acceptable, "field-error")

    def _create(self) -> None:
        first = self.query_one("#passphrase", Input).value
        second = self.query_one("#passphrase2", Input).value
        error = self.query_one("#passphrase-error", Static)
        verdict = strength(first, self._guessable_words())
        if not verdict.acceptable:
            error.update(verdict.hint)
            self.query_one("#passphrase", Input).focus()
            return
        if first != second:
            error.update(_("The two entries differ: type the same passphrase twice."))
            self.query_one("#passphrase2", Input).focus()
            return
        error.update(_("Creating the vault…"))
        self._busy = True
        self.query_one("#create-busy").display = True
        self.query_one("#next", Button).disabled = True
        self.call(create_with_working_account, self.backend,
                  bureau=self.query_one("#bureau", Input).value.strip(),
                  admin=self.query_one("#admin", Input).value.strip(),
                  admin_display=self.query_one("#display", Input).value.strip() or None,
                  work=self.query_one("#work-user", Input).value.strip(),
                  work_display=self.query_one("#work-display", Input).value.strip() or None,
                  work_role=str(self.query_one("#work-role", Select).value),
                  passphrase=first, done=self._created, failed=self._create_failed,
                  group="create")

    def _created(self, outcome: tuple[str, str]) -> None:
        code, self.account_problem = outcome
        self._busy = False
        self.recovery_code = code
        for ident in ("#passphrase", "#passphrase2"):
            self.query_one(ident, Input).value = ""
        self.query_one("#create-busy").display = False
        self.query_one("#next", Button).disabled = False
        self.query_one("#passphrase-error", Static).update("")
        self.query_one("#recovery-code", Static).update(code)
        self._show_step("step-recovery")

    def _create_failed(self, error: BaseException) -> bool:
        self._busy = False
        self.query_one("#create-busy").display = False
        self.query_one("#next", Button).disabled = False
        if isinstance(error, ServiceError):
            self.query_one("#passphrase-error", Static).update(str(error))
            return True
        self.query_one("#passphrase-error", Static).update("")
        return False

    # -- step 3 ------------------------------------------------------------------------------
    def _confirm_code(self) -> None:
        typed = self.query_one("#recovery-confirm", Input).value
        if normalize_code(typed) != normalize_code(self.recovery_code):
            self.query_one("#recovery-error", Static).update(
                _("That is not the code shown above: copy it exactly (dashes may be left out)."))
            return
        self.query_one("#recovery-error", Static).update("")
        self.query_one("#recovery-code", Static).update("")
        self.query_one("#recovery-confirm", Input).value = ""
        self.recovery_code = ""
        self._show_signed_in()
        self._show_step("step-roster")

    # -- step 4 ------------------------------------------------------------------------------
    def _show_signed_in(self) -> None:
        """Say which account the app goes on with, and offer the roster only to roles that
        may import it (coordinators; the admin when the working account failed)."""
        vs = self.backend.session
        if vs is None:
            return
        admin = self.query_one("#admin", Input).value.strip()
        if self.account_problem:
            text = _("Your working account could not be added ({problem}). You are signed in "
                     "as the administrator: add it under Users & settings.").format(
                problem=self.account_problem)
        else:
            text = _("You are signed in as your working account {user} ({role}). Sign in as "
                     "{admin} only for accounts, keys and settings.").format(
                user=vs.actor.username, role=vs.actor.role.label, admin=admin)
        line = self.query_one("#signed-in", Static)
        line.update(text)
        line.set_class(bool(self.account_problem), "field-error")
        may_import = allowed(vs.actor.role, Action.IMPORT_ROSTER)
        self.query_one("#roster-yes", Button).display = may_import
        if not may_import:
            self.query_one("#roster-help", Static).update(
                _("A coordinator imports the roster of officers (command palette → Import "
                  "roster)."))

"""Users & settings (DESIGN §5 "admin — users, settings, keys"; §6): admins only.

Three tabs:

* **Accounts** — every account (user name, display name, role, unit, active); add one
  (:class:`~counselor_tui.ui.screens.user_add.AddUserDialog`), disable one (asks first, then
  offers to rotate the data key: a disabled account's key slot is gone from the key file, but
  an older copy of that file still opens the vault with the old passphrase until the key is
  rotated), reset an account's passphrase, change your own
  (:class:`~counselor_tui.ui.screens.passphrase_dialog.PassphraseDialog`);
* **Settings** — idle lock, session edit window, backup generations, disclosure threshold
  k, submission due day, bureau name; each value is checked as it is typed
  (:mod:`counselor_tui.domain.settings_rules`) and saved with ctrl+s
  (:func:`counselor_tui.services.settings.save_settings`). A new idle lock applies at once;
* **Vault** — back up now into a folder (default: the vault's ``backups`` folder), check the
  open vault (:func:`counselor_tui.services.lifecycle.check_open`: cipher pages, SQLite
  integrity, foreign keys, audit chain), rotate the data key.

Other roles see a notice that the screen is for admins only (the services refuse them too).

| key | action |
|---|---|
| 1 / 2 / 3 | Accounts / Settings / Vault tab |
| a | add an account |
| d | disable the highlighted account (a counselor with open work: hand it over first) |
| p | reset the highlighted account's passphrase |
| m | change my own passphrase |
| ctrl+s | save the settings |
| r | reload |
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
)

from counselor_tui import paths
from counselor_tui.domain import settings_rules
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import (
    accounts,
    backup_restore,
    handover,
    integrity,
    key_rotation,
    persons,
    settings,
)
from counselor_tui.services.accounts import UserInfo
from counselor_tui.services.api import Backend
from counselor_tui.services.handover import HandoverResult
from counselor_tui.services.integrity import CheckResult
from counselor_tui.services.persons import UnitRow
from counselor_tui.services.settings import SettingsInvalid, SettingValue
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.handover_dialog import HandoverDialog
from counselor_tui.ui.screens.passphrase_dialog import PassphraseDialog
from counselor_tui.ui.screens.user_add import AddUserDialog
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

#: Names of the lines of a vault check, as shown.
CHECK_LABELS: dict[str, str] = {
    "checkpoint": N_("WAL checkpoint"),
    "cipher_integrity_check": N_("Encrypted pages (HMAC)"),
    "integrity_check": N_("Database integrity"),
    "foreign_key_check": N_("Foreign keys"),
    "audit_chain": N_("Audit chain"),
}


@dataclass(frozen=True)
class AdminData:
    """What the screen shows: accounts, units (names for codes) and the editable settings."""

    users: list[UserInfo]
    units: list[UnitRow]
    settings: list[SettingValue]


def load(backend: Backend) -> AdminData:
    """Accounts, units and settings (runs in a worker; admin only)."""
    vs = backend.vs
    return AdminData(accounts.list_users(vs), persons.units(vs, include_inactive=True),
                     settings.editable_settings(vs))


def check_lines(result: CheckResult) -> list[str]:
    """One translated line per check: ``✔ Audit chain: 42 events, head 1a2b…``."""
    lines = []
    for line in result.lines:
        label = _(CHECK_LABELS.get(line.name, line.name))
        if line.name == "audit_chain" and result.chain is not None:
            chain = result.chain
            detail = (_("{n} events, head {head}").format(n=chain.count, head=chain.head[:16])
                      if chain.ok else
                      _("first bad sequence number {seq}").format(seq=chain.first_bad_seq))
        else:
            detail = _("passed") if line.ok and line.detail in ("", "ok") else line.detail
        lines.append(("✔ " if line.ok else "✘ ") + _("{label}: {detail}").format(
            label=label, detail=detail))
    verdict = _("The vault passed every check.") if result.ok else _(
        "The vault FAILED a check: restore the latest backup, or ask for help.")
    return [verdict, *lines]


class UsersSettingsScreen(BaseScreen):
    """Accounts, settings and vault maintenance for admins."""

    CSS_PATH = "../styles/users_settings.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('accounts')", N_("Accounts"), id="tab_accounts", show=False),
        Binding("2", "tab('settings')", N_("Settings"), id="tab_settings", show=False),
        Binding("3", "tab('vault')", N_("Vault"), id="tab_vault", show=False),
        Binding("a", "add_user", N_("Add account"), id="add_account"),
        Binding("d", "disable_user", N_("Disable"), id="disable_account"),
        Binding("p", "reset_passphrase", N_("Reset passphrase"), id="reset_passphrase"),
        Binding("m", "own_passphrase", N_("My passphrase"), id="own_passphrase"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: AdminData | None = None
        self.loaded = 0
        self.last_check: CheckResult | None = None
        self.rekeyed = 0
        self._busy = ""

    @property
    def is_admin(self) -> bool:
        """True when the unlocked account is an admin."""
        vs = self.backend.session
        return vs is not None and vs.actor.role is Role.ADMIN

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Users & settings"), classes="screen-title")
        if not self.is_admin:
            vs = self.backend.session
            role = vs.actor.role.label if vs is not None else ""
            yield Static(_("Users & settings are for admins only (your role: {role}). Ask "
                           "an admin to add accounts or change settings.").format(role=role),
                         id="us-refused", markup=False)
            yield AppFooter()
            return
        with TabbedContent(initial="accounts", id="us-tabs"):
            with TabPane(_("Accounts"), id="accounts"):
                yield PlainTable(id="us-accounts", cursor_type="row", zebra_stripes=True)
                with Horizontal(classes="us-buttons"):
                    yield Button(_("Add (a)"), id="us-add", compact=True, variant="primary")
                    yield Button(_("Disable (d)"), id="us-disable", compact=True)
                    yield Button(_("Reset passphrase (p)"), id="us-reset", compact=True)
                    yield Button(_("My passphrase (m)"), id="us-own", compact=True)
                yield Static("", id="us-accounts-status", markup=False)
            with TabPane(_("Settings"), id="settings"), VerticalScroll(id="us-settings"):
                for rule in settings_rules.RULES:
                    with Horizontal(classes="setting-row"):
                        yield Label(_(rule.label), classes="setting-label")
                        yield Input(id=f"set-{rule.key}", compact=True,
                                    type="integer" if rule.numeric else "text",
                                    classes="setting-input" if rule.numeric
                                    else "setting-input setting-text")
                        yield Static("", id=f"err-{rule.key}", classes="setting-error",
                                     markup=False)
                with Horizontal(classes="us-buttons"):
                    yield Button(_("Save settings (ctrl+s)"), id="us-save",
                                 variant="primary", compact=True)
                yield Static("", id="us-settings-status", markup=False)
            with TabPane(_("Vault"), id="vault"), VerticalScroll(id="us-vault"):
                yield Label(_("Backup folder"), classes="field-label")
                with Horizontal(classes="us-buttons"):
                    yield Input(str(paths.default_backup_dir(self.backend.vault_path)),
                                id="us-backup-dir", compact=True)
                    yield Button(_("Back up now"), id="us-backup", variant="primary",
                                 compact=True)
                with Horizontal(classes="us-buttons"):
                    yield Button(_("Check the vault"), id="us-check", compact=True)
                    yield Button(_("Rotate the data key"), id="us-rekey", compact=True)
                yield Static("", id="us-vault-status", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        if not self.is_admin:
            return
        self.query_one("#us-accounts", DataTable).add_columns(
            _("User"), _("Display name"), _("Role"), _("Unit"), _("Active"))
        self.reload()
        self.call_after_refresh(self.query_one("#us-accounts", DataTable).focus)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add_user", "disable_user", "reset_passphrase", "own_passphrase",
                      "reload", "tab"):
            return self.is_admin
        return True

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch accounts, units and settings again (in a worker)."""
        if self.is_admin and self.backend.unlocked:
            self.call(load, self.backend, done=self._show, group="us-load")

    def action_reload(self) -> None:
        """r: reload."""
        self.reload()

    def action_tab(self, tab: str) -> None:
        """1/2/3: show a tab and put the cursor in its first field."""
        self.query_one("#us-tabs", TabbedContent).active = tab
        first = {"accounts": "#us-accounts", "settings": "#set-bureau_name",
                 "vault": "#us-backup-dir"}.get(tab)
        if first is not None:
            self.call_after_refresh(self.query_one(first).focus)

    def _show(self, data: AdminData) -> None:
        if not self.is_attached:
            return
        first = self.data is None
        self.data = data
        self.loaded += 1
        names = {u.code: u.name for u in data.units}
        table = self.query_one("#us-accounts", DataTable)
        row = table.cursor_row
        table.clear()
        for user in data.users:
            table.add_row(user.username, user.display_name, Role(user.role).label,
                          names.get(user.unit_code or "", user.unit_code or ""),
                          _("yes") if user.active else _("disabled"), key=user.username)
        if data.users:
            table.move_cursor(row=min(row, len(data.users) - 1))
        self.query_one("#us-accounts-status", Static).update(
            _("Accounts: {n} ({active} active)").format(
                n=len(data.users), active=sum(u.active for u in data.users)))
        if first:
            for item in data.settings:
                self.query_one(f"#set-{item.key}", Input).value = str(item.value)

    # -- accounts ----------------------------------------------------------------------------
    def selected_user(self) -> UserInfo | None:
        """The account under the table cursor."""
        if self.data is None or not self.data.users:
            return None
        row = self.query_one("#us-accounts", DataTable).cursor_row
        return self.data.users[row] if 0 <= row < len(self.data.users) else None

    def action_add_user(self) -> None:
        """a: add an account."""
        units = [u for u in self.data.units if u.active] if self.data else []

        def added(info: UserInfo | None) -> None:
            if info is not None:
                self.reload()

        self.app.push_screen(AddUserDialog(units), added)

    def action_disable_user(self) -> None:
        """d: disable the highlighted account (asks first; then offers a key rotation)."""
        user = self.selected_user()
        if user is None:
            return
        if not user.active:
            self.notify(_("{user} is already disabled.").format(user=user.username),
                        markup=False)
            return

        if user.role == "counselor":  # a counselor's caseload first (issue 15)
            self.call(handover.plan, self.backend.vs, user.username,
                      done=lambda plan: self._disable_after_plan(user, plan),
                      group="us-disable-plan")
            return
        self._confirm_disable(user)

    def _disable_after_plan(self, user: UserInfo, plan: HandoverResult) -> None:
        """Hand the account's open work over while disabling it, or just ask to disable
        when it holds nothing."""
        if not any(plan.counts.values()):
            self._confirm_disable(user)
            return

        def handed(result: object) -> None:
            if result is not None:
                self._disabled(user.username)

        self.app.push_screen(HandoverDialog(user.username, user.display_name, disable=True),
                             handed)

    def _confirm_disable(self, user: UserInfo) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.call(accounts.disable_user, self.backend.vs, user.username,
                          done=lambda _r: self._disabled(user.username), group="us-disable")

        self.app.push_screen(ConfirmDialog(
            _("Disable the account {user}? Its passphrase stops opening the vault at once; "
              "everything it recorded stays.").format(user=user.username),
            title=_("Disable an account"), yes=_("Disable"), no=_("Cancel"),
            default_yes=False), answer)

    def _disabled(self, username: str) -> None:
        self.notify(_("Account {user} disabled.").format(user=username), markup=False)
        self.reload()
        self.offer_rekey(after_disable=True)

    def offer_rekey(self, *, after_disable: bool = False) -> None:
        """Ask whether to rotate the data key now, saying why, and do it on yes."""
        why = _("The key file no longer holds a slot for the disabled account, but an older "
                "copy of that file (kept by the person, or next to an old backup) still opens "
                "this vault with the old passphrase. Rotating the data key re-encrypts the "
                "vault under a new key, so such copies stop opening it; every active account "
                "keeps its passphrase. Old backups keep their own key.")
        question = (why if after_disable else "") + ("\n\n" if after_disable else "") + _(
            "Rotate the data key now? It takes a moment; do not close the program meanwhile.")

        def answer(yes: bool | None) -> None:
            if yes:
                self._rekey()

        self.app.push_screen(ConfirmDialog(question, title=_("Rotate the data key"),
                                           yes=_("Rotate now"), no=_("Not now")), answer)

    def _rekey(self) -> None:
        status = self.query_one("#us-vault-status", Static)
        status.update(_("Rotating the data key…"))
        self.notify(_("Rotating the data key…"), markup=False)
        self.call(key_rotation.rekey, self.backend.vs, done=self._rekeyed, group="us-rekey")

    def _rekeyed(self, _result: None) -> None:
        self.rekeyed += 1
        text = _("The data key was rotated: older copies of the key file no longer open "
                 "this vault.")
        self.query_one("#us-vault-status", Static).update(text)
        self.notify(text, markup=False)

    def action_reset_passphrase(self) -> None:
        """p: give the highlighted account a new passphrase."""
        user = self.selected_user()
        if user is None:
            return
        vs = self.backend.session
        own = vs is not None and user.username == vs.actor.username
        if not user.active:
            self.notify(_("{user} is disabled.").format(user=user.username), markup=False)
            return
        self.app.push_screen(PassphraseDialog(user.username, own=own))

    def action_own_passphrase(self) -> None:
        """m: change my own passphrase."""
        vs = self.backend.session
        if vs is not None:
            self.app.push_screen(PassphraseDialog(vs.actor.username, own=True))

    # -- settings ----------------------------------------------------------------------------
    def has_unsaved_changes(self) -> bool:
        """True when a setting was typed and not saved (leaving asks first)."""
        if not self.is_admin or self.data is None or not self.is_mounted:
            return False
        saved = {item.key: str(item.value) for item in self.data.settings}
        return any(saved.get(key, "") != text.strip()
                   for key, text in self.setting_texts().items())

    def setting_texts(self) -> dict[str, str]:
        """``{key: typed text}`` of every settings field."""
        return {r.key: self.query_one(f"#set-{r.key}", Input).value
                for r in settings_rules.RULES}

    def _show_setting_error(self, key: str, message: str, *, warning: bool = False) -> None:
        line = self.query_one(f"#err-{key}", Static)
        line.update(message)
        line.set_class(bool(message) and not warning, "-error")
        line.set_class(bool(message) and warning, "-warning")

    @on(Input.Changed, ".setting-input")
    def _setting_typed(self, event: Input.Changed) -> None:
        event.stop()
        key = (event.input.id or "").removeprefix("set-")
        if key not in settings_rules.BY_KEY:
            return
        try:
            value = settings_rules.parse_setting(key, event.value)
        except settings_rules.SettingInvalid as exc:
            self._show_setting_error(key, str(exc))
            return
        caution = settings_rules.warning(key, value)
        self._show_setting_error(key, caution, warning=bool(caution))

    def action_save(self) -> None:
        """ctrl+s: save the settings (checked first)."""
        if not self.is_admin or self.data is None:
            return
        texts = self.setting_texts()
        _values, errors = settings_rules.validate_settings(texts)
        status = self.query_one("#us-settings-status", Static)
        if errors:
            for key, message in errors.items():
                self._show_setting_error(key, message)
            self.query_one("#us-tabs", TabbedContent).active = "settings"
            status.update(_("Please correct the marked settings."))
            return
        status.update(_("Saving…"))
        self.call(settings.save_settings, self.backend.vs, texts, done=self._saved,
                  failed=self._save_failed, group="us-settings")

    def _saved(self, changed: dict[str, Any]) -> None:
        status = self.query_one("#us-settings-status", Static)
        if not changed:
            status.update(_("Nothing changed."))
            return
        if self.data is not None:
            stored = {item.key: item.value for item in self.data.settings} | changed
            self.data = AdminData(self.data.users, self.data.units,
                                  [SettingValue(k, v) for k, v in stored.items()])
        for key, value in changed.items():  # as stored (full-width digits read, spaces cut)
            self.query_one(f"#set-{key}", Input).value = str(value)
        app = cast(Any, self.app)
        if "idle_lock_minutes" in changed and getattr(app, "idle_override", 1) is None:
            app.idle_minutes = float(changed["idle_lock_minutes"])  # the idle timer uses it
        text = _("Settings saved ({n} changed).").format(n=len(changed))
        status.update(text)
        self.notify(text, markup=False)
        self.app.post_message(DataChanged("settings"))

    def _save_failed(self, error: BaseException) -> bool:
        if isinstance(error, SettingsInvalid):
            for key, message in error.errors.items():
                self._show_setting_error(key, message)
            self.query_one("#us-settings-status", Static).update(str(error))
            return True
        self.query_one("#us-settings-status", Static).update("")
        return False

    # -- vault -------------------------------------------------------------------------------
    def action_backup(self) -> None:
        """Write a verified backup into the folder typed (in a worker)."""
        text = self.query_one("#us-backup-dir", Input).value.strip()
        status = self.query_one("#us-vault-status", Static)
        if not text:
            status.update(_("Type the backup folder."))
            return
        status.update(_("Writing the backup…"))
        self.call(backup_restore.backup, self.backend.vs, Path(text).expanduser(),
                  done=self._backed_up, failed=self._vault_failed, group="us-backup")

    def _backed_up(self, path: Path) -> None:
        text = _("Backup written: {path}").format(path=path)
        self.query_one("#us-vault-status", Static).update(text)
        self.notify(text, markup=False)
        self.app.post_message(DataChanged("backup"))

    def action_check(self) -> None:
        """Check the open vault (in a worker)."""
        self.query_one("#us-vault-status", Static).update(_("Checking the vault…"))
        self.call(integrity.check_open, self.backend.vs, done=self._checked,
                  failed=self._vault_failed, group="us-check")

    def _checked(self, result: CheckResult) -> None:
        self.last_check = result
        status = self.query_one("#us-vault-status", Static)
        status.update("\n".join(check_lines(result)))
        status.set_class(not result.ok, "-error")

    def _vault_failed(self, error: BaseException) -> bool:
        self.query_one("#us-vault-status", Static).update("")
        return False

    @on(Input.Submitted, "#us-backup-dir")
    def _backup_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_backup()

    @on(Input.Submitted, ".setting-input")
    def _setting_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        actions = {
            "us-add": self.action_add_user, "us-disable": self.action_disable_user,
            "us-reset": self.action_reset_passphrase, "us-own": self.action_own_passphrase,
            "us-save": self.action_save, "us-backup": self.action_backup,
            "us-check": self.action_check, "us-rekey": self.offer_rekey,
        }
        run = actions.get(event.button.id or "")
        if run is not None:
            run()

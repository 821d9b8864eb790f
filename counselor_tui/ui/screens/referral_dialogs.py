"""Consent 知情同意 and the referral / transfer export 转介导出 of one person (issue 15,
point 4): two dialogs opened from the person record (``c`` and ``x``).

:class:`ConsentDialog` lists the consents on record (latest first) and records a new one:
the date it was given and what it covers. It opens filled with the consent in force (its
date, every scope it covers ticked), so a new consent starts from what is on record; one
that leaves out a scope of it asks first whether the person withdrew that part (the
service refuses it otherwise, :class:`~counselor_tui.services.referral.ConsentNarrowed`).
:class:`ReferralExportDialog` shows the consent in
force (or that none is recorded) *before* anything is exported and says when it does not cover
the chosen purpose — then the export is refused unless the user ticks "export without a
consent covering this purpose" (audited by the service); it asks for the recipient,
the purpose, whether sealed notes go in (an explicit choice; only those the user may read),
the folder and the package password (typed twice, or generated and shown once after the
package is written).

| key | action |
|---|---|
| ctrl+s | record the consent / export |
| Esc | cancel / close |
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from counselor_tui.i18n import N_, _
from counselor_tui.services import referral
from counselor_tui.services.referral import (
    ConsentCheck,
    ConsentRow,
    ReferralDraft,
    ReferralExported,
)
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.date_input import DateInput


class ConsentDialog(FormModal[ConsentRow | None]):
    """Dismisses with the new consent, or None."""

    CSS_PATH = "../styles/appointments.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Record consent"), id="record_consent", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "cs-ok"
    CANCEL_BUTTON = "cs-cancel"
    ERROR_LINE = "#cs-error"
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = ("cs-day", "cs-note")

    def __init__(self, person_id: int, name: str) -> None:
        super().__init__(classes="dialog-screen")
        self.person_id = person_id
        self.name_text = name
        self.ready = False

    def draft_args(self) -> dict[str, Any] | None:
        """The person (id and name) the consent is for."""
        return {"person_id": self.person_id, "name": self.name_text}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog ap-dialog"):
            yield Label(_("Informed consent · {name}").format(name=self.name_text),
                        classes="dialog-title")
            yield Static(_("Loading…"), id="cs-history", markup=False)
            yield Label(_("Given on"), classes="field-label")
            yield DateInput(date.today().isoformat(), id="cs-day", compact=True)
            yield Label(_("It covers"), classes="field-label")
            for code, label in referral.CONSENT_SCOPES.items():
                yield Checkbox(_(label), value=code == "counseling", id=f"cs-{code}",
                               compact=True)
            yield Label(_("Note (optional)"), classes="field-label")
            yield Input(id="cs-note", compact=True)
            yield Static("", id="cs-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Record consent"), variant="primary", id="cs-ok")
                yield Button(_("Cancel"), id="cs-cancel")

    def on_mount(self) -> None:
        self.query_one("#cs-day", DateInput).text = self.backend.clock.now().date().isoformat()
        self.call(referral.consents, self.backend.vs, self.person_id, done=self._history,
                  group="cs-load")

    def _history(self, rows: list[ConsentRow]) -> None:
        text = "\n".join(r.line() for r in rows) or _(
            "No informed consent is recorded for this person.")
        self.query_one("#cs-history", Static).update(text)
        if rows:  # start from the consent in force, never from a default scope
            self.query_one("#cs-day", DateInput).text = rows[0].given_on
            for code in referral.CONSENT_SCOPES:
                self.query_one(f"#cs-{code}", Checkbox).value = code in rows[0].scope
        self.query_one("#cs-day", DateInput).focus()
        self.form_loaded()

    def snapshot(self) -> tuple[object, ...]:
        """The raw content of the fields."""
        return (self.query_one("#cs-day", DateInput).text,
                self.query_one("#cs-note", Input).value,
                *(self.query_one(f"#cs-{c}", Checkbox).value for c in referral.CONSENT_SCOPES))

    def submit(self, withdraw: bool = False) -> None:
        """Record the consent (in a worker); ``withdraw`` once the user confirmed that the
        person withdrew the scopes it leaves out."""
        day, error = self.query_one("#cs-day", DateInput).parse()
        if error or not isinstance(day, date):
            self.say(error or _("Type a date, like 2026-11-03."))
            return
        scope = tuple(c for c in referral.CONSENT_SCOPES
                      if self.query_one(f"#cs-{c}", Checkbox).value)
        self.save_with(referral.record_consent, self.backend.vs, self.person_id, day, scope,
                       self.query_one("#cs-note", Input).value, withdraw=withdraw,
                       done=self._done, group="cs-save")

    def form_failed(self, error: BaseException) -> bool:
        """A consent that drops a scope of the one in force: ask whether the person withdrew
        it, and record it only then."""
        if not isinstance(error, referral.ConsentNarrowed):
            return super().form_failed(error)
        self.saving = False
        self.say(str(error))

        def answer(yes: bool | None) -> None:
            if yes:
                self.submit(withdraw=True)

        self.app.push_screen(ConfirmDialog(
            str(error) + "\n" + _("Did the person withdraw it?"),
            title=_("The consent's scope narrows"), yes=_("Yes, withdrawn"),
            no=_("No, go back"), default_yes=False), answer)
        return True

    def _done(self, row: ConsentRow) -> None:
        self.app.notify(row.line(), markup=False)
        self.app.post_message(DataChanged("person"))
        self.dismiss(row)


class ReferralExportDialog(FormModal[ReferralExported | None]):
    """Dismisses with the export (after a generated password was shown), or None."""

    CSS_PATH = "../styles/appointments.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Export"), id="export_referral", priority=True),
        Binding("escape", "cancel", N_("Close"), id="close"),
    ]
    SAVE_BUTTON = "rx-go"
    CANCEL_BUTTON = "rx-close"
    ERROR_LINE = "#rx-message"
    DISCARD_QUESTION = None
    #: Never the passwords: only what identifies the referral.
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = ("rx-recipient", "rx-purpose", "rx-folder")

    def __init__(self, person_id: int, name: str, folder: Path | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.person_id = person_id
        self.name_text = name
        self.folder = folder or Path.home() / "counselor-referrals"
        self.result: ReferralExported | None = None
        self.consent: ConsentRow | None = None
        self.ready = False

    def draft_args(self) -> dict[str, Any] | None:
        """The person (id and name) the referral is for."""
        return {"person_id": self.person_id, "name": self.name_text}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog ap-dialog"):
            yield Label(_("Export for a referral or transfer · {name}").format(
                name=self.name_text), classes="dialog-title")
            yield Static(_("Loading…"), id="rx-consent", markup=False)
            yield Label(_("Recipient"), classes="field-label")
            yield Input(id="rx-recipient", compact=True,
                        placeholder=_("the hospital, counselor or bureau that receives it"))
            yield Select([(_(label), code) for code, label in referral.PURPOSES.items()],
                         value="referral", allow_blank=False, id="rx-purpose", compact=True)
            yield Checkbox(_("Export without a covering consent (my explicit choice, "
                             "audited)"), value=False, id="rx-without", compact=True)
            yield Checkbox(_("Include the sealed notes I may read (explicit choice)"),
                           value=False, id="rx-sealed", compact=True)
            yield Label(_("Folder"), classes="field-label")
            yield Input(str(self.folder), id="rx-folder", compact=True)
            yield Checkbox(_("Generate a password (shown once)"), value=True,
                           id="rx-generate", compact=True)
            yield Input(password=True, id="rx-password", compact=True,
                        placeholder=_("Password"))
            yield Input(password=True, id="rx-password2", compact=True,
                        placeholder=_("Password again"))
            yield Static("", id="rx-message", classes="dialog-body", markup=False)
            yield Static("", id="rx-secret", classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Export"), variant="primary", id="rx-go")
                yield Button(_("Close"), id="rx-close")

    def on_mount(self) -> None:
        self._toggle_typed(True)
        self.query_one("#rx-without", Checkbox).display = False
        self.call(referral.latest_consent, self.backend.vs, self.person_id,
                  done=self._consent, group="rx-load")

    def _consent(self, consent: ConsentRow | None) -> None:
        self.consent = consent
        self._show_coverage()
        self.query_one("#rx-recipient", Input).focus()
        self.form_loaded()

    def coverage(self) -> ConsentCheck:
        """The consent in force and whether it covers the chosen purpose."""
        purpose = str(self.query_one("#rx-purpose", Select).value)
        scope = referral.PURPOSE_SCOPE.get(purpose)
        return ConsentCheck(self.consent, purpose,
                            self.consent is not None and scope in self.consent.scope)

    def _show_coverage(self) -> None:
        """The consent line, in yellow with the way on when it does not cover the
        purpose; the "without consent" choice only then."""
        check = self.coverage()
        shown = self.query_one("#rx-consent", Static)
        if check.covers and self.consent is not None:
            shown.update(self.consent.line() + (
                f" · {self.consent.note}" if self.consent.note else ""))
            shown.styles.color = None
        else:
            shown.update(_(
                "{consent} c on the record records a consent; without one the export is "
                "refused unless you tick the box below.").format(consent=check.line()))
            shown.styles.color = "yellow"
        self.query_one("#rx-without", Checkbox).display = not check.covers

    @on(Select.Changed, "#rx-purpose")
    def _purpose_changed(self, _event: Select.Changed) -> None:
        if self.ready:
            self._show_coverage()

    def _toggle_typed(self, generate: bool) -> None:
        for ident in ("#rx-password", "#rx-password2"):
            self.query_one(ident).display = not generate

    @on(Checkbox.Changed, "#rx-generate")
    def _generate_changed(self, event: Checkbox.Changed) -> None:
        self._toggle_typed(event.value)

    def submit(self) -> None:
        """Check the inputs and write the package (in a worker)."""
        folder = self.query_one("#rx-folder", Input).value.strip()
        if not folder:
            self.say(_("Give the folder for the referral package."))
            return
        password: str | None = None
        if not self.query_one("#rx-generate", Checkbox).value:
            password = self.query_one("#rx-password", Input).value
            if password != self.query_one("#rx-password2", Input).value:
                self.say(_("The two passwords differ."))
                return
        draft = ReferralDraft(
            self.person_id, self.query_one("#rx-recipient", Input).value,
            str(self.query_one("#rx-purpose", Select).value),
            self.query_one("#rx-sealed", Checkbox).value, password,
            without_consent=(not self.coverage().covers
                             and self.query_one("#rx-without", Checkbox).value))
        self.save_with(referral.export_referral, self.backend.vs, draft,
                       Path(folder).expanduser(), done=self._done,
                       saying=_("Writing the package…"), group="rx-save")

    def _done(self, result: ReferralExported) -> None:
        self.result = result
        self.query_one("#rx-password", Input).value = ""
        self.query_one("#rx-password2", Input).value = ""
        self.say(_("Package written: {path}").format(path=result.path) + "\n" + _(
            "Sealed notes included: {n}").format(n=result.sealed_included))
        if result.password is not None:
            self.query_one("#rx-secret", Static).update(
                _("Password (shown only now — give it to the receiving office by another "
                  "channel): {password}").format(
                    password="\n" + result.password))  # its own line: never wrapped mid-token
        self.query_one("#rx-go", Button).disabled = True
        self.query_one("#rx-close", Button).focus()

    def close_form(self) -> None:
        """Esc / Close: close (not while writing); a generated password goes with it."""
        if not self.saving:
            self.dismiss(self.result)




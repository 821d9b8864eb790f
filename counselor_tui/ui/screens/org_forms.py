"""Dialogs of the organisation screen (issue 16 item 1): a committee or office member
(:class:`MemberFormDialog`: new, or a change — ending a term is a change of its last day) and
a 教导员/政工干部 trained (:class:`CadreFormDialog`). Saved with
:mod:`counselor_tui.services.organisation`; each dismisses with the saved row or ``None``.

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | next / previous field |
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain import organisation as rules
from counselor_tui.i18n import N_, _
from counselor_tui.services import organisation, persons, team
from counselor_tui.services.organisation import CadreDraft, CadreRow, MemberDraft, MemberRow
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField

#: The "no account" choice of the member form (a named person instead).
NO_ACCOUNT = 0


def _day(widget: DateInput, errors: dict[str, str], name: str) -> date | None:
    if not widget.text.strip():
        return None
    value, error = widget.parse()
    if error:
        errors[name] = error
        return None
    return value.date() if isinstance(value, datetime) else value


class MemberFormDialog(FormModal[MemberRow | None]):
    """A new member, or a change of ``member``."""

    CSS_PATH = "../styles/organisation.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#of-error"
    SAVE_BUTTON = "of-save"
    CANCEL_BUTTON = "of-cancel"
    DISCARD_QUESTION = N_("Discard this member record? What you typed is lost.")

    def __init__(self, member: MemberRow | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.editing = member
        self.ready = False

    def compose(self) -> ComposeResult:
        m = self.editing
        today = self.backend.clock.now().date()
        with Vertical(classes="dialog org-form"):
            yield Label(_("Change a member") if m else _("New committee or office member"),
                        classes="dialog-title")
            yield FormField(_("Post"), Select[str](
                [(_(label), code) for code, label in rules.POSTS.items()],
                value=m.post if m else Select.NULL, prompt=_("choose a post"), id="of-post",
                compact=True), name="post")
            yield FormField(_("Account"), Select[int]([], prompt=_("choose"), id="of-user",
                                                      compact=True), name="user_id")
            yield FormField(_("Name"), Input(m.name if m and m.user_id is None else "",
                                             id="of-name", compact=True,
                                             placeholder=_("only without an account")),
                            name="name")
            yield FormField(_("Position"), Input(m.job if m else "", id="of-job",
                                                 compact=True, placeholder=_("e.g. 局长")),
                            name="job")
            yield FormField(_("Term from"), DateInput(m.starts_on if m else today.isoformat(),
                                                      id="of-start", compact=True),
                            name="starts_on")
            yield FormField(_("Term to"), DateInput(
                (m.ends_on or "") if m else "", optional=True, id="of-end", compact=True,
                placeholder=_("empty: still serving")), name="ends_on")
            yield FormField(_("Counselor"), Select[bool](
                [(_("yes: one of the bureau's part-time counselors"), True), (_("no"), False)],
                value=m.counselor if m else False, allow_blank=False, id="of-counselor",
                compact=True), name="counselor")
            with Horizontal(classes="dialog-buttons"):
                yield Static("", id="of-error", classes="field-error", markup=False)
                yield Button(_("Save (ctrl+s)"), variant="primary", id="of-save",
                             compact=True)
                yield Button(_("Cancel"), id="of-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#of-post", Select).focus()
        self.call(team.list_counselors, self.backend.vs, done=self._fill, group="org-form")

    def _fill(self, members: list[team.CounselorRow]) -> None:
        if not self.is_attached:
            return
        select = self.query_one("#of-user", Select)
        options: list[tuple[str, int]] = [(_("no account (write the name)"), NO_ACCOUNT),
                                          *((m.display_name, m.user_id) for m in members)]
        m = self.editing
        if m is not None and m.user_id is not None and all(
                uid != m.user_id for _label, uid in options):
            # the member's account was disabled since (or is not a team account): it stays
            options.append((_("{name} (account disabled)").format(name=m.name)
                            if not m.account_active else m.name, m.user_id))
        select.set_options(options)
        select.value = m.user_id if m is not None and m.user_id is not None else NO_ACCOUNT
        self.form_loaded()

    def snapshot(self) -> tuple[Any, ...]:
        """The raw content of every field."""
        return (self.query_one("#of-post", Select).value,
                self.query_one("#of-user", Select).value,
                self.query_one("#of-name", Input).value, self.query_one("#of-job", Input).value,
                self.query_one("#of-counselor", Select).value,
                self.query_one("#of-start", DateInput).text,
                self.query_one("#of-end", DateInput).text)

    def build(self) -> tuple[MemberDraft | None, dict[str, str]]:
        """The draft the form describes and the messages (no draft without a post or a
        start date)."""
        errors: dict[str, str] = {}
        post = self.query_one("#of-post", Select).value
        if post is Select.NULL:
            errors["post"] = _("Choose a post.")
        user = self.query_one("#of-user", Select).value
        start = _day(self.query_one("#of-start", DateInput), errors, "starts_on")
        if start is None and "starts_on" not in errors:
            errors["starts_on"] = _("Give the first day of the term.")
        end = _day(self.query_one("#of-end", DateInput), errors, "ends_on")
        if post is Select.NULL or start is None:
            return None, errors
        draft = MemberDraft(
            str(post), start, None if user in (Select.NULL, NO_ACCOUNT) else int(str(user)),
            self.query_one("#of-name", Input).value, self.query_one("#of-job", Input).value,
            end, bool(self.query_one("#of-counselor", Select).value))
        for name, message in organisation.validate_member(draft).items():
            errors.setdefault(name, message)
        return draft, errors

    def submit(self) -> None:
        """ctrl+s: check every field, then save (in a worker)."""
        draft, errors = self.build()
        self.show_errors(errors)
        if errors or draft is None:
            self.focus_first_error(errors)
            return
        if self.editing is not None:
            self.save_with(organisation.change_member, self.backend.vs, self.editing.id,
                           draft, done=self._saved, group="org-save")
        else:
            self.save_with(organisation.add_member, self.backend.vs, draft, done=self._saved,
                           group="org-save")

    def _saved(self, row: MemberRow) -> None:
        self.app.notify(_("Member saved."), markup=False)
        self.dismiss(row)


class CadreFormDialog(FormModal[CadreRow | None]):
    """A new record of a 教导员 or 政工干部 trained."""

    CSS_PATH = "../styles/organisation.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#cf-error"
    SAVE_BUTTON = "cf-save"
    CANCEL_BUTTON = "cf-cancel"
    DISCARD_QUESTION = N_("Discard this training record? What you typed is lost.")

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")
        self.ready = False

    def compose(self) -> ComposeResult:
        today = self.backend.clock.now().date()
        with Vertical(classes="dialog org-form"):
            yield Label(_("Political instructor or political-work cadre trained"),
                        classes="dialog-title")
            yield FormField(_("Name"), Input("", id="cf-name", compact=True), name="name")
            yield FormField(_("Post"), Select[str](
                [(_(label), code) for code, label in rules.CADRE_POSTS.items()],
                prompt=_("choose"), id="cf-post", compact=True), name="post")
            yield FormField(_("Unit"), Select[int]([], prompt=_("bureau level (no unit)"),
                                                   id="cf-unit", compact=True), name="unit_id")
            yield FormField(_("Date"), DateInput(today.isoformat(), id="cf-date",
                                                 compact=True), name="on_date")
            yield FormField(_("Training"), Input("", id="cf-title", compact=True,
                                                 placeholder=_("e.g. 心理危机识别与干预")),
                            name="title")
            yield FormField(_("Hours"), Input("", id="cf-hours", type="number", compact=True,
                                              placeholder=_("e.g. 4")), name="hours")
            with Horizontal(classes="dialog-buttons"):
                yield Static("", id="cf-error", classes="field-error", markup=False)
                yield Button(_("Save (ctrl+s)"), variant="primary", id="cf-save",
                             compact=True)
                yield Button(_("Cancel"), id="cf-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cf-name", Input).focus()
        self.call(persons.units, self.backend.vs, done=self._fill, group="cadre-form")

    def _fill(self, units: list[persons.UnitRow]) -> None:
        if not self.is_attached:
            return
        self.query_one("#cf-unit", Select).set_options(
            [(u.name, u.id) for u in units if u.active])
        self.form_loaded()

    def snapshot(self) -> tuple[Any, ...]:
        """The raw content of every field."""
        return (self.query_one("#cf-name", Input).value, self.query_one("#cf-post", Select).value,
                self.query_one("#cf-unit", Select).value,
                self.query_one("#cf-date", DateInput).text,
                self.query_one("#cf-title", Input).value,
                self.query_one("#cf-hours", Input).value)

    def submit(self) -> None:
        """ctrl+s: check every field, then save (in a worker)."""
        errors: dict[str, str] = {}
        post = self.query_one("#cf-post", Select).value
        unit = self.query_one("#cf-unit", Select).value
        day = _day(self.query_one("#cf-date", DateInput), errors, "on_date")
        if day is None and "on_date" not in errors:
            errors["on_date"] = _("Give the date of the training.")
        hours = 0.0
        try:
            hours = float(self.query_one("#cf-hours", Input).value.strip())
        except ValueError:
            errors["hours"] = _("Type the hours as a number, like 8 or 1.5.")
        today = self.backend.clock.now().date()
        draft = CadreDraft(self.query_one("#cf-name", Input).value,
                           "" if post is Select.NULL else str(post), day or today,
                           self.query_one("#cf-title", Input).value, hours,
                           None if unit is Select.NULL else int(str(unit)))
        for name, message in organisation.validate_cadre(draft, today).items():
            errors.setdefault(name, message)
        self.show_errors(errors)
        if errors:
            self.focus_first_error(errors)
            return
        self.save_with(organisation.add_cadre_training, self.backend.vs, draft,
                       done=self._saved, group="cadre-save")

    def _saved(self, row: CadreRow) -> None:
        self.app.notify(_("Training record saved."), markup=False)
        self.dismiss(row)

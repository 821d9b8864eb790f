"""Create or change an interest group 兴趣小组 (coordinators; DESIGN §4 ``InterestGroup``).

Fields: name (unique), lead (who leads it), members (head count). Saved with
:func:`counselor_tui.services.interest_groups.add_group` or
:func:`~counselor_tui.services.interest_groups.update_group`; dismisses with the group's id or
``None``.

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel |
| Tab / Shift+Tab | next / previous field |
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.services import interest_groups
from counselor_tui.services.errors import ServiceError
from counselor_tui.services.interest_groups import GroupDraft, GroupInvalid, GroupRow
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.widgets.form_field import FormField


class GroupFormDialog(BaseModal[int | None]):
    """A new interest group, or a change of ``group``."""

    CSS_PATH = "../styles/activities.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]

    def __init__(self, group: GroupRow | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.group = group
        self._saving = False

    def compose(self) -> ComposeResult:
        g = self.group
        with Vertical(classes="dialog act-group-form"):
            yield Label(_("Change the interest group") if g else _("New interest group"),
                        classes="dialog-title")
            yield FormField(_("Group name"), Input(g.name if g else "", id="gf-name", compact=True,
                                             placeholder=_("e.g. 书法兴趣小组")), name="name")
            yield FormField(_("Lead"), Input(g.lead if g else "", id="gf-lead", compact=True),
                            name="lead")
            yield FormField(_("Members"), Input(str(g.members) if g else "", id="gf-members",
                                                type="integer", compact=True, placeholder="0"),
                            name="members")
            with Horizontal(classes="dialog-buttons"):
                yield Static("", id="gf-error", classes="field-error", markup=False)
                yield Button(_("Save (ctrl+s)"), variant="primary", id="gf-save",
                             compact=True)
                yield Button(_("Cancel"), id="gf-cancel", compact=True)

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#gf-name", Input).focus()

    def draft(self) -> GroupDraft | None:
        """The typed group, or ``None`` after showing the problems under the fields."""
        errors: dict[str, str] = {}
        members = 0
        text = self.query_one("#gf-members", Input).value.strip()
        if text:
            try:
                members = int(text)
            except ValueError:
                errors["members"] = _("Type the number of members.")
        draft = GroupDraft(self.query_one("#gf-name", Input).value,
                           self.query_one("#gf-lead", Input).value, members)
        for name, message in interest_groups.validate_group(draft).items():
            errors.setdefault(name, message)
        self.show_errors(errors)
        return None if errors else draft

    def show_errors(self, errors: dict[str, str]) -> None:
        """Messages under their fields (others cleared)."""
        for field in self.query(FormField):
            field.set_error(errors.get(field.name or ""))

    def action_save(self) -> None:
        """ctrl+s: save in a worker when the fields are valid."""
        if self._saving:
            return
        draft = self.draft()
        if draft is None:
            return
        self._saving = True
        vs = self.backend.vs
        if self.group is not None:
            gid = self.group.id
            self.call(interest_groups.update_group, vs, gid, draft,
                      done=lambda _changed: self._saved(gid), failed=self._failed,
                      group="group-save")
        else:
            self.call(interest_groups.add_group, vs, draft, done=self._saved,
                      failed=self._failed, group="group-save")

    def _saved(self, group_id: int) -> None:
        self._saving = False
        self.app.notify(_("Interest group saved."), markup=False)
        self.dismiss(group_id)

    def _failed(self, error: BaseException) -> bool:
        self._saving = False
        if isinstance(error, GroupInvalid):
            self.show_errors(error.errors)
            return True
        if isinstance(error, ServiceError):
            self.query_one("#gf-error", Static).update(str(error))
        return False

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "gf-save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

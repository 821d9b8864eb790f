"""Create or change an interest group 兴趣小组 (coordinators; DESIGN §4 ``InterestGroup``).

Fields: name (unique), lead (who leads it), members (head count). Saved with
:func:`counselor_tui.services.interest_groups.add_group` or
:func:`~counselor_tui.services.interest_groups.update_group`; dismisses with the group's id or
``None``.

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | next / previous field |
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.services import interest_groups
from counselor_tui.services.interest_groups import GroupDraft, GroupRow
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.form_field import FormField


class GroupFormDialog(FormModal[int | None]):
    """A new interest group, or a change of ``group``."""

    CSS_PATH = "../styles/activities.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#gf-error"
    SAVE_BUTTON = "gf-save"
    CANCEL_BUTTON = "gf-cancel"
    DISCARD_QUESTION = N_("Discard this interest group? What you typed is lost.")

    def __init__(self, group: GroupRow | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.group = group

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
        self.query_one("#gf-name", Input).focus()

    def snapshot(self) -> tuple[Any, ...]:
        """The raw content of every field."""
        return tuple(self.query_one(f"#gf-{name}", Input).value
                     for name in ("name", "lead", "members"))

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

    def submit(self) -> None:
        """ctrl+s: save in a worker when the fields are valid."""
        draft = self.draft()
        if draft is None:
            return
        if self.group is not None:
            gid = self.group.id
            self.save_with(interest_groups.update_group, self.backend.vs, gid, draft,
                           done=lambda _changed: self._saved(gid), group="group-save")
        else:
            self.save_with(interest_groups.add_group, self.backend.vs, draft, done=self._saved,
                           group="group-save")

    def _saved(self, group_id: int) -> None:
        self.app.notify(_("Interest group saved."), markup=False)
        self.dismiss(group_id)

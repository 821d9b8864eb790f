"""Add a family member of an officer, as their own person (DESIGN §2 ``FamilyMember``).

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
| Tab / Shift+Tab | move between fields |
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain import dates, vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import persons
from counselor_tui.services.persons import PersonDraft
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField


class FamilyMemberDialog(FormModal[int | None]):
    """Creates a family member linked to officer ``officer_id``; dismisses with the new
    person's id (None when cancelled)."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#family-error"
    DISCARD_QUESTION = N_("Discard this family member? What you typed is lost.")
    #: Kept, as typed, in the encrypted draft a lock writes (issue 15 point 7).
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = (
        "family-name", "family-relation", "family-gender", "family-birth", "family-phone")

    def __init__(self, officer_id: int) -> None:
        super().__init__(classes="dialog-screen")
        self.officer_id = officer_id

    def draft_args(self) -> dict[str, Any] | None:
        """The officer the family member is added to."""
        return {"officer_id": self.officer_id}

    def compose(self) -> ComposeResult:
        relations = [(vocab.label(vocab.RELATIONS, r), r) for r in vocab.RELATIONS]
        genders = [(vocab.label(vocab.GENDERS, g), g) for g in vocab.GENDERS]
        with Vertical(classes="dialog family-form"):
            yield Label(_("Add a family member"), classes="dialog-title")
            yield FormField(_("Name"), Input(id="family-name"), name="name")
            yield FormField(_("Relation"), Select[str](relations, value="spouse",
                                                       allow_blank=False, id="family-relation"),
                            name="relation")
            yield FormField(_("Gender"), Select[str](genders, prompt=_("not given"),
                                                     id="family-gender"), name="gender")
            yield FormField(_("Birth date"), DateInput(optional=True, id="family-birth"),
                            name="birth_date")
            yield FormField(_("Phone"), Input(id="family-phone"), name="phone")
            yield Static("", id="family-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save (ctrl+s)"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#family-name", Input).focus()

    def snapshot(self) -> tuple[Any, ...]:
        """The typed name (a family member is kept only with a name)."""
        return (self.query_one("#family-name", Input).value.strip(),)

    def _value(self, ident: str) -> Any:
        value = self.query_one(ident, Select).value
        return None if value is Select.NULL else value

    def submit(self) -> None:
        """Check and save (in a worker)."""
        self.show_errors({})
        birth, error = self.query_one("#family-birth", DateInput).parse()
        if error:
            self.query_one("#field-birth_date", FormField).set_error(error)
            return
        draft = PersonDraft(
            kind="family", name=self.query_one("#family-name", Input).value.strip(),
            gender=self._value("#family-gender"),
            birth_date=dates.format_date(birth) if birth is not None else None,
            phone=self.query_one("#family-phone", Input).value.strip() or None)
        self.save_with(persons.add_family_member, self.backend.vs, self.officer_id, draft,
                       self._value("#family-relation"), done=self._saved, group="family")

    def _saved(self, person_id: int) -> None:
        self.app.notify(_("Family member added."), markup=False)
        self.app.post_message(DataChanged("person"))
        self.dismiss(person_id)

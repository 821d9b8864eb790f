"""Edit a person's details (issue 15 point 2): what changed is kept with its old value
(:func:`counselor_tui.services.person_moves.edit_person`). A new unit is not an edit: it is
a dated transfer (the record's ``m`` key).

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was changed) |
| Tab / Shift+Tab | move between fields |
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain import dates, vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import person_moves
from counselor_tui.services.persons import PersonDraft, PersonRecord, PersonRow
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.screens.session_form_draft import rebuild_dataclass
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField


class PersonEditDialog(FormModal[list[str] | None]):
    """Edits the details of ``record``'s person; dismisses with the changed field names."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#pe-error"
    DISCARD_QUESTION = N_("Discard your changes to these details?")
    #: Kept, as typed, in the encrypted draft a lock writes (issue 15 point 7).
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = (
        "pe-name", "pe-badge", "pe-police", "pe-post", "pe-hire", "pe-gender", "pe-birth",
        "pe-phone")

    def __init__(self, record: PersonRecord) -> None:
        super().__init__(classes="dialog-screen")
        self.record = record

    def draft_args(self) -> dict[str, Any] | None:
        """The person and the details the dialog opened with (what it compares against)."""
        r = self.record
        return {"person": dataclasses.asdict(r.person), "birth_date": r.birth_date,
                "hire_date": r.hire_date, "phone": r.phone}

    @classmethod
    def from_draft(cls, args: Mapping[str, Any]) -> PersonEditDialog | None:
        """The dialog for the kept person (None when the record does not fit)."""
        person = rebuild_dataclass(PersonRow, args.get("person"))
        if not isinstance(person, PersonRow):
            return None
        details = [args.get(k) for k in ("birth_date", "hire_date", "phone")]
        if not all(v is None or isinstance(v, str) for v in details):
            return None
        return cls(PersonRecord(
            person=person, birth_date=details[0], hire_date=details[1], phone=details[2],
            consent_on=None, archived_at=None, family=(), tier=None, tier_history=(),
            sessions=(), assessments=(), incidents=(), firearm_status=None))

    def compose(self) -> ComposeResult:
        p, r = self.record.person, self.record
        genders = [(vocab.label(vocab.GENDERS, g), g) for g in vocab.GENDERS]
        types = [(t, t) for t in vocab.POLICE_TYPES]
        with VerticalScroll(classes="dialog family-form"):
            yield Label(_("Edit the details of {name}").format(name=p.name),
                        classes="dialog-title")
            yield FormField(_("Name"), Input(p.name, id="pe-name"), name="name")
            if p.kind == "officer":
                yield FormField(_("Badge"), Input(p.badge_no or "", id="pe-badge"),
                                name="badge_no")
                yield FormField(_("Police type"), Select[str](
                    types, value=p.police_type or Select.NULL, prompt=_("not given"),
                    id="pe-police"), name="police_type")
                yield FormField(_("Post"), Input(p.post, id="pe-post"), name="post")
                yield FormField(_("Hire date"), DateInput(r.hire_date or "", optional=True,
                                                          id="pe-hire"), name="hire_date")
            yield FormField(_("Gender"), Select[str](
                genders, value=p.gender or Select.NULL, prompt=_("not given"), id="pe-gender"),
                name="gender")
            yield FormField(_("Birth date"), DateInput(r.birth_date or "", optional=True,
                                                       id="pe-birth"), name="birth_date")
            yield FormField(_("Phone"), Input(r.phone or "", id="pe-phone"), name="phone")
            yield Static("", id="pe-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save (ctrl+s)"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#pe-name", Input).focus()

    def _text(self, ident: str) -> str:
        found = self.query(ident)
        return found.first(Input).value.strip() if found else ""

    def _select(self, ident: str) -> Any:
        found = self.query(ident)
        if not found:
            return None
        value = found.first(Select).value
        return None if value is Select.NULL else value

    def _date(self, ident: str, field: str) -> tuple[str | None, bool]:
        found = self.query(ident)
        if not found:
            return None, True
        value, error = found.first(DateInput).parse()
        if error:
            self.query_one(f"#field-{field}", FormField).set_error(error)
            return None, False
        return (dates.format_date(value) if value is not None else None), True

    def snapshot(self) -> tuple[Any, ...]:
        return tuple(i.value for i in self.query(Input)) + tuple(
            s.value for s in self.query(Select))

    def submit(self) -> None:
        """Check and save (in a worker)."""
        self.show_errors({})
        birth, ok_birth = self._date("#pe-birth", "birth_date")
        hire, ok_hire = self._date("#pe-hire", "hire_date")
        if not (ok_birth and ok_hire):
            return
        p = self.record.person
        draft = PersonDraft(
            kind=p.kind, name=self._text("#pe-name"), badge_no=self._text("#pe-badge") or None,
            gender=self._select("#pe-gender"), birth_date=birth, unit_id=p.unit_id,
            police_type=self._select("#pe-police") if p.kind == "officer" else p.police_type,
            post=self._text("#pe-post") if p.kind == "officer" else p.post,
            hire_date=hire if p.kind == "officer" else self.record.hire_date,
            phone=self._text("#pe-phone") or None)
        self.save_with(person_moves.edit_person, self.backend.vs, p.id, draft,
                       done=self._saved, group="person-edit")

    def _saved(self, changed: list[str]) -> None:
        self.app.notify(_("Details saved ({n} changed).").format(n=len(changed)),
                        markup=False)
        self.app.post_message(DataChanged("person"))
        self.dismiss(changed)

"""Pick the persons exposed to an incident: several, each with a role; add one on the spot.

Search as in the archive (name, pinyin, initials, badge number) through
:func:`counselor_tui.services.incidents.search_persons`; a person not in the archive is
added by name, unit and (for an officer) badge number — without a badge number the person
is added as "other" and completed in the archive later.

| key | action |
|---|---|
| type in the search box | search |
| Enter (search box) | pick the first hit |
| ↓ (search box) | go to the hits |
| Enter (hit) | pick it |
| r (picked list) | next exposure role: involved → injured → witness → family |
| Delete (picked list) | remove the person |
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from counselor_tui.domain.vocab import EXPOSURE_ROLES, label
from counselor_tui.i18n import N_, _
from counselor_tui.services import incidents
from counselor_tui.services.incidents import ExposureDraft, PersonChoice, UnitChoice
from counselor_tui.ui.base import BackendMixin
from counselor_tui.ui.keys import translate_bindings

ROLE_CYCLE: tuple[str, ...] = ("involved", "injured", "witness", "family")


@dataclass(frozen=True)
class Picked:
    """A picked person: an archive person (``person_id``) or a new one (name, unit, badge)."""

    role: str
    name: str
    detail: str
    person_id: int | None = None
    unit_id: int | None = None
    badge_no: str | None = None

    def draft(self) -> ExposureDraft:
        """The service's :class:`ExposureDraft` for this person."""
        if self.person_id is not None:
            return ExposureDraft(self.role, self.person_id)
        return ExposureDraft(self.role, name=self.name, unit_id=self.unit_id,
                             kind="officer" if self.badge_no else "other",
                             badge_no=self.badge_no)


class IncidentPersonPicker(BackendMixin, Vertical):
    """Several persons with their exposure roles (default role: involved)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "next_role", N_("Next role"), id="next_role"),
        Binding("delete", "remove", N_("Remove the person"), id="remove"),
    ]

    class Changed(Message):
        """The picked persons changed."""

        def __init__(self, picker: IncidentPersonPicker) -> None:
            super().__init__()
            self.picker = picker

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.picked: list[Picked] = []
        self.hits: list[PersonChoice] = []
        self.unit_choices: list[UnitChoice] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder=_("Search: name, pinyin initials or badge number"),
                    id="ipp-search")
        yield OptionList(id="ipp-hits")
        yield Label(_("Exposed persons (r: next role, Delete: remove)"), classes="field-hint")
        yield OptionList(id="ipp-picked")
        with Horizontal(id="ipp-new"):
            yield Input(placeholder=_("New person: name"), id="ipp-new-name")
            yield Select[int]([], prompt=_("Unit"), id="ipp-new-unit")
            yield Input(placeholder=_("Badge number (if known)"), id="ipp-new-badge")
            yield Button(_("Add"), id="ipp-new-add")

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#ipp-hits", OptionList).display = False
        self._render_picked()
        if self.backend.unlocked:
            self.call(incidents.units, self.backend.vs, done=self._set_units, group="ipp-units")

    def _set_units(self, units: list[UnitChoice]) -> None:
        self.unit_choices = units
        self.query_one("#ipp-new-unit", Select).set_options(
            [(f"{u.code} {u.name}", u.id) for u in units])

    # -- searching ----------------------------------------------------------------------
    @on(Input.Changed, "#ipp-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self._show_hits([])
            return
        self.call(incidents.search_persons, self.backend.vs, text, 8,
                  done=lambda hits: self._search_done(text, hits), group="ipp-search")

    def _search_done(self, text: str, hits: list[PersonChoice]) -> None:
        # a slower, older search may finish after a newer one: show only the current one
        if self.query_one("#ipp-search", Input).value.strip() == text:
            self._show_hits(hits)

    def _show_hits(self, hits: list[PersonChoice]) -> None:
        self.hits = [h for h in hits if h.id not in {p.person_id for p in self.picked}]
        olist = self.query_one("#ipp-hits", OptionList)
        olist.set_options([Option(self._hit_text(h), id=str(h.id)) for h in self.hits])
        olist.display = bool(self.hits)

    @staticmethod
    def _hit_text(hit: PersonChoice) -> str:
        parts = [hit.name, hit.badge_no or "", hit.unit_name or ""]
        return "  ".join(p for p in parts if p)

    @on(Input.Submitted, "#ipp-search")
    def _pick_first(self, event: Input.Submitted) -> None:
        event.stop()
        if self.hits:
            self._pick(self.hits[0])

    def on_key(self, event: events.Key) -> None:
        search = self.query_one("#ipp-search", Input)
        if event.key == "down" and search.has_focus and self.hits:
            self.query_one("#ipp-hits", OptionList).focus()
            event.stop()

    @on(OptionList.OptionSelected, "#ipp-hits")
    def _hit_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = next((h for h in self.hits if str(h.id) == event.option_id), None)
        if hit is not None:
            self._pick(hit)

    @on(OptionList.OptionSelected, "#ipp-picked")
    def _picked_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_next_role()

    def add_person(self, hit: PersonChoice, role: str = "involved") -> None:
        """Pick an archive person programmatically (the form opened from a record)."""
        if hit.id in {p.person_id for p in self.picked}:
            return
        detail = "  ".join(p for p in (hit.badge_no or "", hit.unit_name or "") if p)
        self.picked.append(Picked(role, hit.name, detail, person_id=hit.id))
        self._changed(len(self.picked) - 1)

    def _pick(self, hit: PersonChoice) -> None:
        detail = "  ".join(p for p in (hit.badge_no or "", hit.unit_name or "") if p)
        self.picked.append(Picked("involved", hit.name, detail, person_id=hit.id))
        search = self.query_one("#ipp-search", Input)
        search.value = ""
        self._show_hits([])
        search.focus()
        self._changed(len(self.picked) - 1)

    # -- new person ---------------------------------------------------------------------
    @on(Button.Pressed, "#ipp-new-add")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.add_new()

    @on(Input.Submitted, "#ipp-new-name, #ipp-new-badge")
    def _new_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.add_new()

    def add_new(self) -> bool:
        """Add the person typed in the "new person" row; False (with a notice) when the name
        or the unit is missing."""
        name = self.query_one("#ipp-new-name", Input).value.strip()
        unit = self.query_one("#ipp-new-unit", Select).value
        badge = self.query_one("#ipp-new-badge", Input).value.strip() or None
        if not name or not isinstance(unit, int):
            self.app.notify(_("A new person needs a name and a unit."), severity="warning",
                            markup=False)
            return False
        unit_name = next((u.name for u in self.unit_choices if u.id == unit), "")
        kind = _("officer") if badge else _("other")
        detail = "  ".join(p for p in (badge or "", unit_name, f"({_('new')}, {kind})") if p)
        self.picked.append(Picked("involved", name, detail, unit_id=unit, badge_no=badge))
        self.query_one("#ipp-new-name", Input).value = ""
        self.query_one("#ipp-new-badge", Input).value = ""
        self._changed(len(self.picked) - 1)
        return True

    # -- picked list --------------------------------------------------------------------
    def _picked_index(self) -> int | None:
        olist = self.query_one("#ipp-picked", OptionList)
        if not olist.has_focus or olist.highlighted is None or not self.picked:
            return None
        return min(olist.highlighted, len(self.picked) - 1)

    def action_next_role(self) -> None:
        """Give the highlighted person the next exposure role."""
        index = self._picked_index()
        if index is None:
            return
        person = self.picked[index]
        role = ROLE_CYCLE[(ROLE_CYCLE.index(person.role) + 1) % len(ROLE_CYCLE)]
        self.picked[index] = replace(person, role=role)
        self._changed(index)

    def action_remove(self) -> None:
        """Remove the highlighted person."""
        index = self._picked_index()
        if index is None:
            return
        del self.picked[index]
        self._changed(min(index, len(self.picked) - 1) if self.picked else None)

    def set_role(self, index: int, role: str) -> None:
        """Set the role of picked person ``index`` (scripts and tests)."""
        if role not in EXPOSURE_ROLES:
            raise ValueError(role)
        self.picked[index] = replace(self.picked[index], role=role)
        self._changed(index)

    def _render_picked(self, highlight: int | None = None) -> None:
        olist = self.query_one("#ipp-picked", OptionList)
        if not self.picked:
            olist.set_options([Option(_("Nobody yet: search above or add a new person."),
                                      disabled=True)])
            return
        olist.set_options([
            Option(f"[{label(EXPOSURE_ROLES, p.role)}]  {p.name}  {p.detail}", id=str(i))
            for i, p in enumerate(self.picked)])
        if highlight is not None:
            olist.highlighted = highlight

    def _changed(self, highlight: int | None = None) -> None:
        self._render_picked(highlight)
        self.post_message(self.Changed(self))

    def drafts(self) -> tuple[ExposureDraft, ...]:
        """The picked persons as service drafts, in order."""
        return tuple(p.draft() for p in self.picked)

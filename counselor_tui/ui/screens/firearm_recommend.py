"""Recommend a firearm restriction — from the register, or as the prompt after a red tier,
an ``imminent`` session risk or a critical item (DESIGN §7.3; policy.md).

The prompt never changes a status by itself: it only offers to record a *recommendation*;
the decision stays with the personnel department (entered by a coordinator). Other screens
open it after :func:`counselor_tui.services.firearms.should_prompt_recommendation` returned
True (in a worker)::

    app.push_screen(FirearmRecommendModal(person_id, name, trigger=_("imminent risk")))

Without a ``person_id`` the dialog starts with a person search.

| key | action |
|---|---|
| Ctrl+S | record the recommendation |
| Esc | not now |
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from counselor_tui.domain import firearms as rules
from counselor_tui.domain.vocab import FIREARM_REASONS, label
from counselor_tui.i18n import N_, _
from counselor_tui.services import firearms, incidents
from counselor_tui.services.incidents import PersonChoice
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal


class FirearmRecommendModal(FormModal[int | None]):
    """Dismisses with the new restriction id, or None ("not now")."""

    CSS_PATH = "../styles/firearms.tcss"
    DISCARD_QUESTION = N_("Discard this recommendation? What you typed is lost.")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Recommend"), id="recommend", priority=True),
        Binding("escape", "cancel", N_("Not now"), id="not_now"),
    ]
    SAVE_BUTTON = "fr-ok"
    CANCEL_BUTTON = "fr-cancel"
    ERROR_LINE = "#fr-error"

    def __init__(self, person_id: int | None = None, person_name: str = "", *,
                 trigger: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.person_id = person_id
        self.person_name = person_name
        self.trigger = trigger
        self.hits: list[PersonChoice] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog fa-dialog"):
            yield Label(_("Recommend a firearm restriction"), classes="dialog-title")
            if self.trigger:
                yield Static(_("Prompted by: {trigger}. Nothing changes unless you record a "
                               "recommendation; the decision is the personnel department's.")
                             .format(trigger=self.trigger), classes="dialog-body",
                             markup=False)
            yield Label(_("Officer"), classes="field-label")
            yield Static(self.person_name, id="fr-person", markup=False)
            if self.person_id is None:
                yield Input(placeholder=_("Search: name, pinyin initials or badge number"),
                            id="fr-search")
                yield OptionList(id="fr-hits")
            yield Label(_("Reason (non-clinical code)"), classes="field-label")
            yield Select[str]([(label(FIREARM_REASONS, c), c) for c in rules.REASON_CODES],
                              prompt=_("Choose a reason"), id="fr-reason")
            yield Label(_("Note for the register (never printed on a notice)"),
                        classes="field-label")
            yield TextArea(id="fr-note", soft_wrap=True)
            yield Static("", id="fr-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Recommend"), variant="warning", id="fr-ok")
                yield Button(_("Not now"), id="fr-cancel")

    def on_mount(self) -> None:
        if self.person_id is None:
            self.query_one("#fr-hits", OptionList).display = False
            self.query_one("#fr-search", Input).focus()
        else:
            self.query_one("#fr-reason", Select).focus()

    def snapshot(self) -> tuple[object, ...]:
        """The raw content of the fields (Esc asks before throwing typed text away)."""
        return (self.query_one("#fr-reason", Select).value,
                self.query_one("#fr-note", TextArea).text)

    @on(Input.Changed, "#fr-search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        if text:
            self.call(incidents.search_persons, self.backend.vs, text, 8,
                      done=lambda hits: self._search_done(text, hits), group="fr-search")
        else:
            self._hits([])

    def _search_done(self, text: str, hits: list[PersonChoice]) -> None:
        # an older search may finish after a newer one: show only the current one
        if self.query_one("#fr-search", Input).value.strip() == text:
            self._hits(hits)

    def _hits(self, hits: list[PersonChoice]) -> None:
        self.hits = [h for h in hits if h.kind == "officer"]
        olist = self.query_one("#fr-hits", OptionList)
        olist.set_options([Option("  ".join(p for p in (h.name, h.badge_no or "",
                                                        h.unit_name or "") if p), id=str(h.id))
                           for h in self.hits])
        olist.display = bool(self.hits)

    @on(Input.Submitted, "#fr-search")
    def _first(self, event: Input.Submitted) -> None:
        event.stop()
        if self.hits:
            self._choose(self.hits[0])

    @on(OptionList.OptionSelected, "#fr-hits")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        hit = next((h for h in self.hits if str(h.id) == event.option_id), None)
        if hit is not None:
            self._choose(hit)

    def _choose(self, hit: PersonChoice) -> None:
        self.person_id = hit.id
        self.person_name = hit.name
        self.query_one("#fr-person", Static).update(
            "  ".join(p for p in (hit.name, hit.badge_no or "", hit.unit_name or "") if p))
        self.query_one("#fr-hits", OptionList).display = False
        self.query_one("#fr-reason", Select).focus()

    def submit(self) -> None:
        """Record the recommendation (in a worker)."""
        error = self.query_one("#fr-error", Static)
        reason = self.query_one("#fr-reason", Select).value
        if self.person_id is None:
            error.update(_("Choose the officer."))
            return
        if not isinstance(reason, str):
            error.update(_("Choose a reason code."))
            return
        self.save_with(firearms.recommend, self.backend.vs, self.person_id, reason,
                       self.query_one("#fr-note", TextArea).text, done=self._done,
                       group="fr-save")

    def _done(self, restriction_id: int) -> None:
        self.app.notify(_("Firearm restriction recommended; a coordinator records the "
                          "decision."), markup=False)
        self.app.post_message(DataChanged("firearm"))
        self.dismiss(restriction_id)

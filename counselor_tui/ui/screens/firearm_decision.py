"""Record the personnel department's decision on a firearm restriction (coordinators).

Two modes: ``decision`` on a recommendation (suspended / revoked / declined) and ``review``
of a suspension or revocation (continue, revoke, reinstate). The decision-maker is named;
dates accept the Chinese forms of every date field (``今天``, ``2026年11月3日``, ``11-03``);
an empty review date means the policy default (90 days after the decision). The service
refuses every role but coordinator, whatever this dialog shows.

| key | action |
|---|---|
| Ctrl+S | record |
| Esc | cancel |
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.domain import firearms as rules
from counselor_tui.domain.dates import DateParseError, parse_date, parse_relative
from counselor_tui.domain.vocab import FIREARM_STATUSES, label
from counselor_tui.i18n import N_, _
from counselor_tui.services import firearms
from counselor_tui.services.firearms import RestrictionRow
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal


class FirearmDecisionModal(FormModal[bool]):
    """Dismisses with True once recorded, False when cancelled."""

    CSS_PATH = "../styles/firearms.tcss"
    DISCARD_QUESTION = N_("Discard this decision? What you typed is lost.")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Record the decision"), id="record_decision",
                priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "fd-ok"
    CANCEL_BUTTON = "fd-cancel"
    CANCEL_RESULT = False
    ERROR_LINE = "#fd-error"

    def __init__(self, row: RestrictionRow, mode: str = "decision") -> None:
        super().__init__(classes="dialog-screen")
        if mode not in ("decision", "review"):
            raise ValueError(mode)
        self.row = row
        self.mode = mode

    def _choices(self) -> list[tuple[str, str]]:
        if self.mode == "decision":
            return [(label(FIREARM_STATUSES, c), c) for c in rules.DECISIONS]
        outcomes = [c for c in rules.REVIEW_OUTCOMES
                    if c != "revoked" or self.row.status == "suspended"]
        return [(_(rules.REVIEW_OUTCOMES[c]), c) for c in outcomes]

    def compose(self) -> ComposeResult:
        title = _("Decision on the recommendation") if self.mode == "decision" \
            else _("Review of the restriction")
        with Vertical(classes="dialog fa-dialog"):
            yield Label(title, classes="dialog-title")
            yield Static(_("{name} · {badge} · {unit} · now: {status}").format(
                name=self.row.person_name, badge=self.row.badge_no or "",
                unit=self.row.unit_name or "", status=label(FIREARM_STATUSES, self.row.status)),
                classes="dialog-body", markup=False)
            yield Label(_("Decision") if self.mode == "decision" else _("Outcome"),
                        classes="field-label")
            yield Select[str](self._choices(), prompt=_("Choose"), id="fd-choice")
            yield Label(_("Decision-maker (personnel department, by name)"),
                        classes="field-label")
            yield Input(id="fd-maker")
            yield Label(_("Decision date") if self.mode == "decision" else _("Review date"),
                        id="fd-date-label", classes="field-label")
            yield Input(self._today().isoformat(), id="fd-date")
            yield Label(_("Review date (empty: {days} days after the decision)").format(
                days=rules.DEFAULT_REVIEW_DAYS), id="fd-review-label", classes="field-label")
            yield Input(id="fd-review")
            yield Static("", id="fd-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Record"), variant="primary", id="fd-ok")
                yield Button(_("Cancel"), id="fd-cancel")

    def on_mount(self) -> None:
        self.query_one("#fd-choice", Select).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        """A reinstatement has no next review: its review-date field is hidden."""
        if event.select.id == "fd-choice":
            shown = event.value != "reinstated"
            self.query_one("#fd-review-label", Label).display = shown
            self.query_one("#fd-review", Input).display = shown

    def snapshot(self) -> tuple[object, ...]:
        """The raw content of the fields (Esc asks before throwing typed text away)."""
        return (self.query_one("#fd-choice", Select).value,
                *(self.query_one(f"#fd-{name}", Input).value
                  for name in ("maker", "date", "review")))

    def _today(self) -> date:
        return self.backend.clock.now().date()

    def submit(self) -> None:
        """Validate the dates and record (in a worker)."""
        error = self.query_one("#fd-error", Static)
        choice = self.query_one("#fd-choice", Select).value
        if not isinstance(choice, str):
            error.update(_("Choose the decision."))
            return
        maker = self.query_one("#fd-maker", Input).value
        try:
            decided = parse_date(self.query_one("#fd-date", Input).value, self._today())
            review_text = self.query_one("#fd-review", Input).value.strip()
            review = parse_relative(review_text, decided) if review_text else None
        except DateParseError as exc:
            error.update(str(exc))
            return
        vs = self.backend.vs
        if self.mode == "decision":
            self.save_with(firearms.record_decision, vs, self.row.id, choice, maker, decided,
                           review, done=self._done, group="fd-save")
        else:
            self.save_with(firearms.review, vs, self.row.id, choice, maker, decided, review,
                           done=self._done, group="fd-save")

    def _done(self, _result: object) -> None:
        self.app.notify(_("Decision recorded."), markup=False)
        self.app.post_message(DataChanged("firearm"))
        self.dismiss(True)

"""Review or change a person's tier (issue 15 point 1), from the record or the dashboard.

:class:`TierReviewDialog` keeps the tier: it shows the current tier and the next review date
the policy sets, takes an optional note and saves with
:func:`counselor_tui.services.tier_review.review`. :class:`TierChangeDialog` picks another
tier explicitly (a list that does not wrap round and in which the current tier cannot be
chosen), with a written reason and the person's records the change rests on; it saves with
:func:`counselor_tui.services.tier_review.change` (which refuses an unchanged tier too).
Both dismiss with the :class:`~counselor_tui.services.tier_policy.Decision` or ``None``.
:func:`open_review` / :func:`open_change` push them and, once saved, notify and post
:class:`~counselor_tui.ui.messages.DataChanged` ``"tier"`` (the dashboard and the record
reload).

| key | action |
|---|---|
| ↑ / ↓ | choose the new tier (change; stops at either end) |
| Tab | next field (reason, evidence) |
| space | mark the highlighted evidence |
| ctrl+s / Enter (in the note or reason) | save |
| Esc | cancel |
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from counselor_tui.domain import vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services import tier_review
from counselor_tui.services.api import Backend
from counselor_tui.services.tier_policy import Decision
from counselor_tui.services.tier_review import EvidenceChoice, TierPreview
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.no_wrap_list import NoWrapOptionList

TIERS_SHOWN = ("red", "yellow", "green")


def _load_change(backend: Backend, person_id: int) -> tuple[TierPreview, list[EvidenceChoice]]:
    vs = backend.vs
    return tier_review.preview(vs, person_id), tier_review.evidence_choices(vs, person_id)


class _TierDialog(FormModal[Decision | None]):
    """What the review and the change dialogs share: the person, the preview loaded on
    mount, how a lock keeps them (by person id) and what saving does after a lock."""

    CSS_PATH = "../styles/census_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    #: True for a review (the tier kept), False for a change.
    REVIEWED: ClassVar[bool]

    def __init__(self, person_id: int) -> None:
        super().__init__(classes="dialog-screen")
        self.person_id = person_id
        self.ready = False
        self.preview: TierPreview | None = None

    def draft_args(self) -> dict[str, Any] | None:
        """The person whose tier it is."""
        return {"person_id": self.person_id}

    def _saved(self, decision: Decision) -> None:
        if self.from_lock:  # opened again after a lock: no opener to tell
            _after(self, decision, reviewed=self.REVIEWED)
        self.dismiss(decision)


class TierReviewDialog(_TierDialog):
    """Review person ``person_id``'s tier and keep it (optional note)."""

    REVIEWED = True
    SAVE_BUTTON = "tr-save"
    CANCEL_BUTTON = "tr-cancel"
    ERROR_LINE = "#tr-error"
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = ("tr-note",)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Review the tier"), id="tr-title", classes="dialog-title")
            yield Static("", id="tr-body", classes="dialog-body", markup=False)
            yield Label(_("Note (optional)"), classes="field-label")
            yield Input(id="tr-note")
            yield Static("", id="tr-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Confirm the tier"), variant="primary", id="tr-save")
                yield Button(_("Cancel"), id="tr-cancel")

    def on_mount(self) -> None:
        self.call(tier_review.preview, self.backend.vs, self.person_id, done=self._loaded,
                  failed=self.form_failed, group="tier-review-load")
        self.query_one("#tr-note", Input).focus()

    def _loaded(self, preview: TierPreview) -> None:
        self.preview = preview
        self.query_one("#tr-title", Label).update(
            _("Review the tier of {name}").format(name=preview.name))
        if preview.current is None:
            self.say(_("This person has no tier yet: set one with a change."))
            body = _("No tier yet.")
        else:
            body = _("Current tier: {tier} (review due {due}).\nConfirming keeps it; the "
                     "next review is {next}.").format(
                tier=vocab.label(vocab.TIERS, preview.current),
                due=preview.review_due or "—", next=preview.next_review[preview.current])
        self.query_one("#tr-body", Static).update(body)
        self.form_loaded()

    def snapshot(self) -> tuple[Any, ...]:
        return (self.query_one("#tr-note", Input).value,)

    @on(Input.Submitted, "#tr-note")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def submit(self) -> None:
        """Record the review."""
        note = self.query_one("#tr-note", Input).value
        self.save_with(tier_review.review, self.backend.vs, self.person_id, note,
                       done=self._saved)


class TierChangeDialog(_TierDialog):
    """Change person ``person_id``'s tier: new tier, reason (required), evidence."""

    REVIEWED = False
    SAVE_BUTTON = "tc-save"
    CANCEL_BUTTON = "tc-cancel"
    ERROR_LINE = "#tc-error"
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = ("tc-reason",)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Change the tier"), id="tc-title", classes="dialog-title")
            yield Static("", id="tc-current", markup=False)
            yield NoWrapOptionList(id="tc-tier")
            yield Static("", id="tc-chosen", markup=False)
            yield Label(_("Reason (required)"), classes="field-label")
            yield Input(id="tc-reason")
            yield Label(_("Evidence it rests on (space marks)"), classes="field-label")
            yield SelectionList[str](id="tc-evidence")
            yield Checkbox(_("It rests on none of these records (say why in the reason)"),
                           value=False, id="tc-none", compact=True)
            yield Static("", id="tc-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save the change"), variant="primary", id="tc-save")
                yield Button(_("Cancel"), id="tc-cancel")

    def on_mount(self) -> None:
        self.query_one("#tc-evidence", SelectionList).styles.max_height = 8
        self.call(_load_change, self.backend, self.person_id, done=self._loaded,
                  failed=self.form_failed, group="tier-change-load")

    def _loaded(self, loaded: tuple[TierPreview, list[EvidenceChoice]]) -> None:
        preview, choices = loaded
        self.preview = preview
        self.query_one("#tc-title", Label).update(
            _("Change the tier of {name}").format(name=preview.name))
        current = vocab.label(vocab.TIERS, preview.current) if preview.current else "—"
        self.query_one("#tc-current", Static).update(
            _("Current tier: {tier}").format(tier=current))
        tiers = self.query_one("#tc-tier", NoWrapOptionList)
        tiers.set_options([
            Option(vocab.label(vocab.TIERS, t) + ("  " + _("(current)")
                                                 if t == preview.current else ""),
                   id=t, disabled=t == preview.current)
            for t in TIERS_SHOWN])
        tiers.highlighted = None
        evidence = self.query_one("#tc-evidence", SelectionList)
        kinds = {"assessments": _("assessment"), "sessions": _("session"),
                 "incidents": _("incident")}
        evidence.add_options([
            Selection(f"{kinds[c.kind]} · {c.on} · {c.label}", f"{c.kind}:{c.id}")
            for c in choices])
        # nothing to pick: the reason alone carries the change (tier_review.change)
        self.query_one("#tc-none", Checkbox).display = bool(choices)
        self._show_chosen()
        tiers.focus()
        self.form_loaded()

    def chosen_tier(self) -> str | None:
        """The tier highlighted in the list (never the current one: it is disabled)."""
        tiers = self.query_one("#tc-tier", NoWrapOptionList)
        if tiers.highlighted is None:
            return None
        option = tiers.get_option_at_index(tiers.highlighted)
        return None if option.disabled else str(option.id)

    def _show_chosen(self) -> None:
        tier = self.chosen_tier()
        self.query_one("#tc-chosen", Static).update(
            _("New tier: {tier}").format(tier=vocab.label(vocab.TIERS, tier)) if tier
            else _("New tier: choose one above (↑/↓)"))

    @on(OptionList.OptionHighlighted, "#tc-tier")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_chosen()

    @on(OptionList.OptionSelected, "#tc-tier")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._show_chosen()
        self.query_one("#tc-reason", Input).focus()

    @on(Input.Submitted, "#tc-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def snapshot(self) -> tuple[Any, ...]:
        return (self.chosen_tier(), self.query_one("#tc-reason", Input).value,
                tuple(self.query_one("#tc-evidence", SelectionList).selected))

    def evidence(self) -> dict[str, list[int]]:
        """The marked evidence as ``{kind: [ids]}``."""
        out: dict[str, list[int]] = {}
        for value in self.query_one("#tc-evidence", SelectionList).selected:
            kind, _sep, ident = str(value).partition(":")
            out.setdefault(kind, []).append(int(ident))
        return out

    def submit(self) -> None:
        """Check a tier is chosen and a reason written, then save the change."""
        tier = self.chosen_tier()
        if tier is None:
            self.say(_("Choose the new tier."))
            self.query_one("#tc-tier", NoWrapOptionList).focus()
            return
        reason = self.query_one("#tc-reason", Input).value
        if not reason.strip():
            self.say(_("Write the reason for the change."))
            self.query_one("#tc-reason", Input).focus()
            return
        self.save_with(tier_review.change, self.backend.vs, self.person_id, tier, reason,
                       self.evidence(), done=self._saved,
                       without_evidence=self.query_one("#tc-none", Checkbox).value)


def _after(screen: Screen[Any], decision: Decision | None, reviewed: bool) -> None:
    if decision is None:
        return
    tier = vocab.label(vocab.TIERS, decision.state.tier)
    text = (_("Tier {tier} confirmed; next review {date}.") if reviewed
            else _("Tier changed to {tier}; next review {date}."))
    screen.app.notify(text.format(tier=tier, date=decision.state.review_due or "—"),
                      markup=False)
    # a dialog opened again after a lock tells the app (it is going away)
    (screen.app if isinstance(screen, FormModal) else screen).post_message(DataChanged("tier"))


def open_review(screen: Screen[Any], person_id: int) -> None:
    """Push :class:`TierReviewDialog`; once saved, notify and post ``DataChanged("tier")``."""
    screen.app.push_screen(TierReviewDialog(person_id),
                           lambda d: _after(screen, d, reviewed=True))


def open_change(screen: Screen[Any], person_id: int) -> None:
    """Push :class:`TierChangeDialog`; once saved, notify and post ``DataChanged("tier")``."""
    screen.app.push_screen(TierChangeDialog(person_id),
                           lambda d: _after(screen, d, reviewed=False))

"""Decide a tier differently from the suggestion, or set it by hand — with a written reason
(policy.md: lowering a tier is a counselor's decision with a written reason).

Dismisses with ``(tier, reason)`` or ``None`` (cancelled). The reason is required. The list
stops at its ends (no wrap round); the person's current tier, when given, reads "keep the
current tier (recorded as a review)", so keeping it is never mistaken for a change
(issue 15: this dialog once saved 一般 → 一般 as a change).

| key | action |
|---|---|
| ↑ / ↓ | choose the tier |
| Tab | to the reason |
| Enter (in the reason) / ctrl+s | decide |
| Esc | cancel |
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from counselor_tui.domain import vocab
from counselor_tui.i18n import N_, _
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.widgets.no_wrap_list import NoWrapOptionList


class TierOverrideDialog(FormModal[tuple[str, str] | None]):
    """Choose a tier (``initial`` highlighted) and write the reason."""

    CSS_PATH = "../styles/census_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "decide"
    CANCEL_BUTTON = "cancel"
    ERROR_LINE = "#override-error"

    def __init__(self, title: str, initial: str | None = None,
                 current: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.initial = initial
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield NoWrapOptionList(*[Option(self._label(t), id=t)
                                     for t in ("red", "yellow", "green")], id="override-tier")
            yield Label(_("Reason (required)"), classes="field-label")
            yield Input(id="override-reason")
            yield Static("", id="override-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Decide"), variant="primary", id="decide")
                yield Button(_("Cancel"), id="cancel")

    def _label(self, tier: str) -> str:
        if tier == self.current:
            return _("{tier}: keep the current tier (recorded as a review)").format(
                tier=vocab.label(vocab.TIERS, tier))
        return vocab.label(vocab.TIERS, tier)

    def on_mount(self) -> None:
        tiers = self.query_one("#override-tier", NoWrapOptionList)
        order = ["red", "yellow", "green"]
        tiers.highlighted = order.index(self.initial) if self.initial in order else 0
        tiers.focus()

    @on(OptionList.OptionSelected, "#override-tier")
    def _tier_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#override-reason", Input).focus()

    @on(Input.Submitted, "#override-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_decide()

    def action_decide(self) -> None:
        """Close with the tier and reason, unless the reason is empty."""
        reason = self.query_one("#override-reason", Input).value.strip()
        if not reason:
            self.query_one("#override-error", Static).update(
                _("Write the reason for this decision."))
            self.query_one("#override-reason", Input).focus()
            return
        tiers = self.query_one("#override-tier", NoWrapOptionList)
        index = tiers.highlighted or 0
        option = tiers.get_option_at_index(index)
        self.dismiss((str(option.id), reason))

    def submit(self) -> None:
        """ctrl+s (the app's save key): decide."""
        self.action_decide()

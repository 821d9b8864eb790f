"""Finalize a submission: the question, the classification (密级) and its term (保密期限) the
document will carry (GB/T 9704-2012 §7.2.2; :mod:`counselor_tui.domain.filing`), and — when
主送机关, 签发人 or the 发文字号 pattern is not set — a warning naming them with an explicit
"finalize without them" box (the service refuses an incomplete document otherwise).

| key | action |
|---|---|
| Enter | the focused button (Finalize first) |
| Tab / Shift+Tab | on to the classification (preselected: the replaced version's, else |
| | the settings'), the term, the box; and back |
| ↑ / ↓, Enter | in the classification: move, choose |
| Esc | cancel |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from counselor_tui.domain.filing import CLASSIFICATIONS
from counselor_tui.i18n import N_, _
from counselor_tui.services.filing import MAX_YEARS, FinalizeDefaults
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings


@dataclass(frozen=True)
class FinalizeChoice:
    """What the coordinator chose: ``classification`` (``""`` = not classified), its term
    ``classification_years`` (0 = statutory) and ``allow_incomplete`` (finalize although
    filing elements are missing)."""

    classification: str
    classification_years: int
    allow_incomplete: bool = False


class FinalizeDialog(BaseModal[FinalizeChoice | None]):
    """Asks ``question`` with a choice of classification and term, starting from
    ``defaults``; dismisses with a :class:`FinalizeChoice` or None (cancelled)."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]

    def __init__(self, question: str, defaults: FinalizeDefaults) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.defaults = defaults
        self.default = (defaults.classification if defaults.classification in CLASSIFICATIONS
                        else CLASSIFICATIONS[1])

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Finalize"), classes="dialog-title")
            yield Static(self.question, classes="dialog-body", markup=False, id="question")
            yield Label(_("Classification of the document (密级)"), classes="field-label")
            with RadioSet(id="fz-classification"):
                for level in CLASSIFICATIONS:
                    yield RadioButton(level or _("Not classified"), value=level == self.default,
                                      id=f"fz-level-{CLASSIFICATIONS.index(level)}")
            yield Label(_("Classification term in years (保密期限; 0 = statutory)"),
                        classes="field-label")
            yield Input(str(self.defaults.classification_years), id="fz-years",
                        restrict=r"[0-9]*", max_length=2, compact=True)
            if self.defaults.missing:
                yield Static(_("Not set: {elements}. An upward report needs them and the "
                               "receiving office would send it back; an administrator sets "
                               "them in Users & settings.").format(
                                   elements=_(", ").join(self.defaults.labels)),
                             classes="dialog-body error", markup=False, id="fz-missing")
                yield Checkbox(_("Finalize without them"), id="fz-incomplete")
            yield Static("", classes="dialog-hint", markup=False, id="fz-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Finalize"), variant="primary", id="yes")
                yield Button(_("Cancel"), id="no")

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#yes", Button).focus()

    @property
    def chosen(self) -> str:
        """The classification selected now."""
        pressed = self.query_one("#fz-classification", RadioSet).pressed_index
        return CLASSIFICATIONS[pressed] if pressed >= 0 else self.default

    def choice(self) -> FinalizeChoice | None:
        """The choice as typed, or None (and the reason shown) for a term out of range."""
        text = self.query_one("#fz-years", Input).value.strip()
        years = int(text) if text.isdigit() else -1
        if not 0 <= years <= MAX_YEARS:
            self.query_one("#fz-error", Static).update(_(
                "Type the classification term as a whole number of years from 0 (the "
                "statutory term) to {n}.").format(n=MAX_YEARS))
            return None
        boxes = self.query("#fz-incomplete")
        allow = bool(boxes) and self.query_one("#fz-incomplete", Checkbox).value
        return FinalizeChoice(self.chosen, years, allow)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id != "yes":
            self.dismiss(None)
            return
        choice = self.choice()
        if choice is not None:
            self.dismiss(choice)

    def action_cancel(self) -> None:
        """Close without finalizing."""
        self.dismiss(None)

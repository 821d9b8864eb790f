"""The critical-item alert (issue 4 §7; policy.md red tier; DESIGN §7.2–7.3).

Opens at once when a PHQ-9 item 9 ≥ 1 or an SCL-90 critical item is entered. It names the
item and its topic (a paraphrase, never the item text), and offers to flag an emergency
(the F9 emergency form) and to recommend a firearm suspension. Dismisses with
``"emergency"``, ``"firearm"`` or ``"close"``.

| key | action |
|---|---|
| e | flag an emergency |
| f | recommend a firearm suspension (officers without an active restriction) |
| Esc / Enter on Close | close |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings


class CriticalAlertDialog(BaseModal[str]):
    """The alert for ``alerts`` (objects with ``item``, ``value``, ``topic``) of
    ``instrument`` (its display name)."""

    CSS_PATH = "../styles/census_dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('close')", N_("Close"), id="close"),
        Binding("e", "choose('emergency')", N_("Flag an emergency"), id="emergency"),
        Binding("f", "choose('firearm')", N_("Recommend firearm suspension"), id="firearm"),
    ]

    def __init__(self, instrument: str, alerts: Sequence[Any], *, firearm: bool,
                 firearm_note: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.instrument = instrument
        self.alerts = tuple(alerts)
        self.firearm = firearm
        self.firearm_note = firearm_note

    def compose(self) -> ComposeResult:
        lines = [
            _("{instrument} item {item} answered {value} (threshold {threshold}): "
              "{topic}.").format(instrument=self.instrument, item=a.item, value=a.value,
                                 threshold=a.threshold, topic=a.topic)
            for a in self.alerts
        ]
        with Vertical(classes="dialog alert-dialog"):
            yield Label(_("Critical item — act now"), classes="dialog-title alert-title")
            yield Static("\n".join(lines), classes="dialog-body", markup=False,
                         id="alert-items")
            yield Static(_("Assess the risk with the person today. You may flag an "
                           "emergency (opens the emergency form) and recommend a firearm "
                           "suspension to the personnel department."),
                         classes="dialog-hint", markup=False)
            if not self.firearm and self.firearm_note:
                yield Static(self.firearm_note, classes="dialog-hint", markup=False,
                             id="alert-firearm-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Flag an emergency"), variant="error", id="emergency")
                yield Button(_("Recommend firearm suspension"), variant="warning",
                             id="firearm", disabled=not self.firearm)
                yield Button(_("Close"), id="close")

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#emergency", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "close")

    def action_choose(self, choice: str) -> None:
        """Close with ``choice`` (a disabled firearm choice does nothing)."""
        if choice == "firearm" and not self.firearm:
            self.app.bell()
            return
        self.dismiss(choice)

"""Hand over a counselor's work 交接 (issue 15, point 3): from the team screen (a
coordinator, ``g``) or when an admin disables an account (users & settings, ``d``).

Shows what would move (:func:`counselor_tui.services.handover.plan`: persons, open
follow-ups, open incident steps — names for a coordinator, record ids for an admin), the
receiving counselor, the reason, and that sealed notes stay sealed to their author and the
coordinators. Saving calls :func:`~counselor_tui.services.handover.hand_over` (with
``disable`` when opened to disable the account); when disabling, choosing nobody disables
the account without a handover.

| key | action |
|---|---|
| ctrl+s | hand over (and disable, when opened to disable) |
| Esc | cancel |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from counselor_tui.i18n import N_, _
from counselor_tui.services import accounts, handover
from counselor_tui.services.api import Backend
from counselor_tui.services.handover import HandoverResult, Receiver
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal

#: What the dialog dismisses with when the account was disabled without a handover.
DISABLED_ONLY = "disabled"


@dataclass(frozen=True)
class HandoverData:
    """What the dialog shows: the plan and the possible receivers (giver excluded)."""

    plan: HandoverResult
    receivers: list[Receiver]


def load(backend: Backend, giver: str) -> HandoverData:
    """The plan of ``giver``'s handover and the receivers (runs in a worker)."""
    vs = backend.vs
    return HandoverData(handover.plan(vs, giver), handover.receivers(vs, giver))


class HandoverDialog(FormModal[HandoverResult | str | None]):
    """Dismisses with the :class:`HandoverResult`, :data:`DISABLED_ONLY`, or None."""

    CSS_PATH = "../styles/appointments.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Hand over"), id="hand_over", priority=True),
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    SAVE_BUTTON = "ho-ok"
    CANCEL_BUTTON = "ho-cancel"
    ERROR_LINE = "#ho-error"
    DISCARD_QUESTION = None

    def __init__(self, giver: str, display_name: str, *, disable: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.giver = giver
        self.display_name = display_name
        self.disable = disable
        self.data: HandoverData | None = None
        self.ready = False

    def compose(self) -> ComposeResult:
        title = (_("Disable {name} and hand over the work") if self.disable
                 else _("Hand over the work of {name}")).format(name=self.display_name)
        with Vertical(classes="dialog ap-dialog"):
            yield Label(title, classes="dialog-title")
            with VerticalScroll(id="ho-list"):
                yield Static(_("Loading…"), id="ho-moves", markup=False)
            yield Static(_("Sealed notes are not handed over: they stay readable by their "
                           "author and the coordinators only."), classes="dialog-hint",
                         markup=False)
            yield Label(_("Receiving counselor"), classes="field-label")
            yield Select[int]([], id="ho-receiver", compact=True,
                              prompt=_("nobody: disable only") if self.disable
                              else _("Choose a counselor"))
            yield Label(_("Reason"), classes="field-label")
            yield Input(id="ho-reason", compact=True, placeholder=_("e.g. 调离, 退休, 长期病假"))
            yield Static("", id="ho-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Disable") if self.disable else _("Hand over"),
                             variant="warning", id="ho-ok")
                yield Button(_("Cancel"), id="ho-cancel")

    def on_mount(self) -> None:
        self.call(load, self.backend, self.giver, done=self._loaded, group="ho-load")

    def _loaded(self, data: HandoverData) -> None:
        self.data = data
        self.query_one("#ho-moves", Static).update("\n".join(data.plan.lines()))
        self.query_one("#ho-receiver", Select).set_options(
            [(c.name, c.id) for c in data.receivers])
        self.query_one("#ho-receiver", Select).focus()
        self.form_loaded()

    def submit(self) -> None:
        """Hand over (and disable), or disable only."""
        value = self.query_one("#ho-receiver", Select).value
        reason = self.query_one("#ho-reason", Input).value
        receiver = next((c for c in (self.data.receivers if self.data else [])
                         if c.id == value), None)
        if receiver is None:
            if not self.disable:
                self.say(_("Choose the counselor who receives the work."))
                return
            self.save_with(accounts.disable_user, self.backend.vs, self.giver,
                           done=lambda _r: self._disabled_only(), group="ho-save")
            return
        self.save_with(handover.hand_over, self.backend.vs, self.giver, receiver.username,
                       reason, disable=self.disable, done=self._done, group="ho-save")

    def _disabled_only(self) -> None:
        self.dismiss(DISABLED_ONLY)

    def _done(self, result: HandoverResult) -> None:
        counts = result.counts
        receiver_name = next((c.name for c in (self.data.receivers if self.data else [])
                              if c.username == result.receiver), result.receiver)
        self.app.notify(_("Handed over to {name}: {persons} persons, {follow_ups} open "
                          "follow-ups, {steps} open incident steps, {appointments} "
                          "appointments.").format(
            name=receiver_name, **counts), markup=False, timeout=10)
        self.app.post_message(DataChanged("handover"))
        self.dismiss(result)

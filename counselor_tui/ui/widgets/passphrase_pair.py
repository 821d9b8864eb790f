"""A new passphrase typed twice, with live strength feedback (DESIGN §5 "Refuse … weak").

Used where an account gets a passphrase on screen (add an account, reset or change a
passphrase). As the first entry changes, :func:`counselor_tui.domain.passphrase.strength`
(zxcvbn) runs in a worker and the line under it shows the verdict; :meth:`PassphrasePair.problem`
gives the message that refuses the pair (weak, or the two entries differ), or None.
The entries never leave the widget except through :attr:`PassphrasePair.value`.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from counselor_tui.domain.passphrase import Strength, strength
from counselor_tui.i18n import N_, _
from counselor_tui.ui.base import BackendMixin

STRENGTH_NAMES = (N_("very weak"), N_("weak"), N_("fair"), N_("strong"), N_("very strong"))


def _measure(passphrase: str, context: tuple[str, ...]) -> tuple[str, Strength]:
    return passphrase, strength(passphrase, context)


def strength_line(verdict: Strength) -> str:
    """``Strength: strong. Strong enough.`` in the current language."""
    label = _(STRENGTH_NAMES[max(0, min(4, verdict.score))])
    return _("Strength: {label}. {hint}").format(label=label, hint=verdict.hint)


class PassphrasePair(BackendMixin, Widget):
    """Two password inputs (``.pp-first``, ``.pp-second``) and a strength line
    (``.pp-strength``). ``context`` holds guessable words (user and bureau names)."""

    def __init__(self, *, first_label: str | None = None, second_label: str | None = None,
                 context: tuple[str, ...] = (), id: str | None = None) -> None:
        super().__init__(id=id)
        self.first_label = first_label or _("New passphrase")
        self.second_label = second_label or _("New passphrase again")
        self.context = context
        self.verdict: Strength | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.first_label, classes="field-label")
        yield Input(password=True, classes="pp-first", compact=True)
        yield Static("", classes="pp-strength", markup=False)
        yield Label(self.second_label, classes="field-label")
        yield Input(password=True, classes="pp-second", compact=True)

    @property
    def first(self) -> Input:
        """The first entry."""
        return self.query_one(".pp-first", Input)

    @property
    def second(self) -> Input:
        """The repeated entry."""
        return self.query_one(".pp-second", Input)

    @property
    def value(self) -> str:
        """The passphrase as typed the first time."""
        return self.first.value

    def focus(self, scroll_visible: bool = True) -> PassphrasePair:
        self.first.focus(scroll_visible)
        return self

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.first:
            self.call(_measure, event.value, self.context, done=self._show,
                      group="passphrase-strength")

    def _show(self, measured: tuple[str, Strength]) -> None:
        value, verdict = measured
        if not self.is_attached or value != self.first.value:
            return  # a later keystroke's verdict is on its way
        self.verdict = verdict
        line = self.query_one(".pp-strength", Static)
        line.update(strength_line(verdict) if value else "")
        line.set_class(not verdict.acceptable, "field-error")
        line.set_class(verdict.acceptable, "pp-ok")

    def problem(self) -> str | None:
        """Why the pair cannot be used (weak, or the entries differ), or None."""
        verdict = strength(self.first.value, self.context)
        if not verdict.acceptable:
            return verdict.hint
        if self.first.value != self.second.value:
            return _("The two entries differ: type the same passphrase twice.")
        return None

    def clear(self) -> None:
        """Empty both entries."""
        self.first.value = ""
        self.second.value = ""

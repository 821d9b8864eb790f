"""F1 help: every key of the current screen and the global keys (DESIGN §6).

The keys are read from the ``BINDINGS`` of the screen that was active when F1 was pressed
(and of the widget that had focus there), then from the app's global keys, so the list is
never out of date.

| key | action |
|---|---|
| Esc / F1 | close the help |
| ↑ / ↓ / PgUp / PgDn | scroll |
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Label, Static

from counselor_tui.i18n import N_, _
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import binding_msgids, key_label, translate_bindings


def key_rows(node: DOMNode) -> list[tuple[str, str]]:
    """``(keys, description)`` of the bindings this application declares on ``node``
    (those with an id and a description; Textual's own editing keys are left out), keys
    joined by " / " when several keys share one action, in the order of ``BINDINGS``; the
    keys in force (after the user's keymap, :mod:`counselor_tui.ui.keymap`)."""
    msgids = binding_msgids(type(node))
    order = {ident: index for index, ident in enumerate(msgids)}
    rows: dict[str, tuple[int, list[str], str]] = {}
    bindings = node._bindings.copy()
    if node.app._keymap:  # the keys in force: a user's keymap file replaces the defaults
        bindings.apply_keymap(node.app._keymap)
    for key, binding in bindings:
        msgid = msgids.get(binding.id or "", "")
        if not msgid:
            continue
        name = binding.key_display or key_label(key)
        _pos, keys, _desc = rows.setdefault(
            binding.action, (order[binding.id or ""], [], _(msgid)))
        if name not in keys:
            keys.append(name)
    return [(" / ".join(keys), desc) for _pos, keys, desc in sorted(rows.values(),
                                                                     key=lambda r: r[0])]


class HelpScreen(BaseModal[None]):
    """The list of keys of ``screen`` (its own, its focused widget's) and the global keys."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1", "close", N_("Close the help"), id="close", priority=True),
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__(classes="dialog-screen")
        self.target = screen

    def _table(self, rows: list[tuple[str, str]]) -> Table:
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0), expand=False)
        table.add_column(style="bold")
        table.add_column()
        for keys, desc in rows:
            table.add_row(keys, desc)
        return table

    def compose(self) -> ComposeResult:
        own = key_rows(self.target)
        focused = self.target.focused
        if focused is not None:
            own += [row for row in key_rows(focused) if row not in own]
        with Vertical(classes="dialog help-dialog"):
            yield Label(_("Keys"), classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Label(_("On this screen"), classes="help-section")
                if own:
                    yield Static(self._table(own), id="screen-keys")
                else:
                    yield Static(_("No keys of its own."), id="screen-keys")
                yield Label(_("Everywhere"), classes="help-section")
                yield Static(self._table(key_rows(self.app)), id="global-keys")
            yield Static(_("Esc or F1 closes this help."), classes="dialog-hint")

    def on_mount(self) -> None:
        translate_bindings(self)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)

"""The global keys of DESIGN §6 and the translation of key descriptions.

Binding descriptions are written as English msgids (``N_``) in ``BINDINGS``; every node that
shows keys calls :func:`translate_bindings` once mounted (and again after a language change)
so the footer and the F1 help show them in the current language. Each binding has an ``id``
so its msgid can be found again from the class ``BINDINGS``.

| key | action |
|---|---|
| F1 | help: every key of the current screen |
| F2 | log a session |
| F3 | archive |
| F4 | census & assessments |
| F5 | dashboard |
| F6 | incidents |
| F7 | submissions |
| F8 | search (focus the search box of the archive) |
| F9 | flag an emergency |
| ctrl+s | save the current form |
| escape | cancel / back |
| ctrl+l | lock now |
| ctrl+p | command palette |
| ctrl+q | quit (locks first) |
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual.binding import Binding, BindingType
from textual.dom import DOMNode

from counselor_tui.i18n import N_, _

#: Global keys of DESIGN §6; priority bindings work while an Input or TextArea has focus.
GLOBAL_BINDINGS: list[BindingType] = [
    Binding("f1", "help", N_("Help"), id="help", priority=True),
    Binding("f2", "open_area('log_session')", N_("Log session"), id="log_session",
            priority=True),
    Binding("f3", "open_area('archive')", N_("Archive"), id="archive", priority=True),
    Binding("f4", "open_area('census')", N_("Census"), id="census", priority=True,
            show=False),
    Binding("f5", "open_area('dashboard')", N_("Dashboard"), id="dashboard", priority=True),
    Binding("f6", "open_area('incidents')", N_("Incidents"), id="incidents", priority=True,
            show=False),
    Binding("f7", "open_area('submissions')", N_("Submissions"), id="submissions",
            priority=True, show=False),
    Binding("f8", "search", N_("Search"), id="search", priority=True),
    Binding("f9", "open_area('emergency')", N_("Emergency"), id="emergency", priority=True),
    Binding("ctrl+s", "save", N_("Save"), id="save", priority=True, show=False),
    Binding("escape", "go_back", N_("Back"), id="back", show=False),
    Binding("ctrl+l", "lock", N_("Lock"), id="lock", priority=True),
    Binding("ctrl+p", "command_palette", N_("Commands"), id="command_palette",
            priority=True, show=False),
    Binding("ctrl+q", "quit_app", N_("Quit"), id="quit", priority=True, show=False),
]


def binding_msgids(node_type: type[Any]) -> dict[str, str]:
    """``{binding id: description msgid}`` from the ``BINDINGS`` of ``node_type`` and its
    bases (nearest class wins)."""
    found: dict[str, str] = {}
    for cls in reversed(node_type.__mro__):
        for item in cls.__dict__.get("BINDINGS", ()):
            if isinstance(item, Binding) and item.id:
                found[item.id] = item.description
    return found


def translate_bindings(node: DOMNode) -> None:
    """Replace the descriptions of ``node``'s bindings by their translation (idempotent)."""
    msgids = binding_msgids(type(node))
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            dataclasses.replace(b, description=_(msgid)) if (msgid := msgids.get(b.id or ""))
            else b
            for b in bindings
        ]


def key_label(key: str) -> str:
    """How a key is written in help and hints: ``F1``, ``Ctrl+S``, ``Esc``, ``Enter``."""
    names = {"escape": "Esc", "enter": "Enter", "space": "Space", "tab": "Tab",
             "delete": "Del", "backspace": "Backspace", "pageup": "PgUp", "pagedown": "PgDn",
             "home": "Home", "end": "End", "up": "↑", "down": "↓", "left": "←", "right": "→"}
    parts = []
    for part in key.split("+"):
        if part in names:
            parts.append(names[part])
        elif len(part) > 1 and part[0] == "f" and part[1:].isdigit():
            parts.append(part.upper())
        else:
            parts.append(part.capitalize() if len(part) > 1 else part.upper())
    return "+".join(parts)

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
| ctrl+q | quit (locks first; asks when a form holds unsaved text) |
| Tab / Shift+Tab | next / previous field (handled by the app itself, see below) |

Tab and Shift+Tab are *priority* bindings of the app: the app moves the focus in its own
message loop, before it hands the next key to a widget, so keys that arrive in one burst
(a password manager's auto-type ``user<Tab>passphrase``, ``tmux send-keys``) land in the
field the Tab led to, never in the previous one. A :class:`~textual.widgets.TextArea` with
``tab_behavior="indent"`` still receives its Tab.

Textual's own widgets (Select, OptionList, DataTable, Input, TextArea …) describe their keys
in English; :func:`translate_class_bindings` replaces the descriptions of every widget class
by their translation (the msgids are listed in :data:`TEXTUAL_BINDING_MSGIDS`), so the footer
never shows English in the Chinese interface.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from textual.binding import Binding, BindingsMap, BindingType
from textual.dom import DOMNode

from counselor_tui.i18n import N_, _, language

#: Global keys of DESIGN §6; priority bindings work while an Input or TextArea has focus.
GLOBAL_BINDINGS: list[BindingType] = [
    Binding("f1", "help", N_("Help"), id="help", priority=True),
    # ctrl+l right after F1: the footer is cut at its right end on a narrow terminal, and
    # locking must stay in sight there (issue 16: lost at 80x24)
    Binding("ctrl+l", "lock", N_("Lock"), id="lock", priority=True),
    Binding("f2", "open_area('log_session')", N_("Log session"), id="log_session",
            priority=True),
    Binding("f3", "open_area('archive')", N_("Archive"), id="archive", priority=True),
    Binding("f4", "open_area('census')", N_("Census"), id="census", priority=True),
    Binding("f5", "open_area('dashboard')", N_("Dashboard"), id="dashboard", priority=True),
    Binding("f6", "open_area('incidents')", N_("Incidents"), id="incidents", priority=True),
    Binding("f7", "open_area('submissions')", N_("Submissions"), id="submissions",
            priority=True),
    Binding("f8", "search", N_("Search"), id="search", priority=True),
    Binding("f9", "open_area('emergency')", N_("Emergency"), id="emergency", priority=True),
    Binding("ctrl+s", "save", N_("Save"), id="save", priority=True, show=False),
    Binding("escape", "go_back", N_("Back"), id="back", show=False),
    Binding("ctrl+p", "command_palette", N_("Commands"), id="command_palette",
            priority=True, show=False),
    Binding("ctrl+q", "quit_app", N_("Quit"), id="quit", priority=True, show=False),
    Binding("tab", "next_field", N_("Next field"), id="next_field", priority=True,
            show=False),
    Binding("shift+tab", "previous_field", N_("Previous field"), id="previous_field",
            priority=True, show=False),
    # Enter in an Input marked ENTER_MOVES_ON (else the key goes on to the focused widget)
    Binding("enter", "enter_next", "", priority=True, show=False),
]

#: CSS class of an Input whose Enter moves on to the next field at once (like Tab), e.g. the
#: user name of the unlock screen: the app handles that Enter before the next key.
ENTER_MOVES_ON = "enter-moves-on"

#: The descriptions Textual's own widgets give their keys (Select, OptionList, DataTable,
#: Input, TextArea, Tabs, SelectionList, the command palette …), as msgids of our catalog.
TEXTUAL_BINDING_MSGIDS: tuple[str, ...] = (
    N_("Dismiss menu"), N_("Show menu"), N_("Exit the command palette"), N_("Select"),
    N_("Toggle"), N_("Toggle option"), N_("Press button"), N_("Submit"), N_("Next tab"),
    N_("Previous tab"), N_("Next option"), N_("Previous option"), N_("Open link"),
    N_("Copy"), N_("Cut"), N_("Paste"), N_("Undo"), N_("Redo"), N_("Select all"),
    N_("Copy selected text"), N_("Cut selected text"), N_("Paste text from the clipboard"),
    N_("Page up"), N_("Page down"), N_("Top"), N_("Bottom"), N_("Up"), N_("Down"),
    N_("First"), N_("Last"), N_("Cursor up"), N_("Cursor down"), N_("Cursor left"),
    N_("Cursor right"), N_("Toggle collapsible"), N_("Focus Next"), N_("Focus Previous"),
)


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


def _node_classes() -> Iterator[type[DOMNode]]:
    """Every DOMNode subclass imported so far (Textual's widgets and ours)."""
    seen: set[type[DOMNode]] = set()
    todo: list[type[DOMNode]] = [DOMNode]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
                yield sub


_ORIGINAL_BINDINGS: dict[type[DOMNode], BindingsMap] = {}
_TRANSLATED_IN: dict[type[DOMNode], str] = {}


def _translated(bindings: Iterable[Binding]) -> list[Binding]:
    return [dataclasses.replace(b, description=_(b.description)) if b.description else b
            for b in bindings]


def translate_class_bindings() -> int:
    """Translate the key descriptions of every widget class imported so far (Textual's
    built-in ones through :data:`TEXTUAL_BINDING_MSGIDS`, ours through their msgids), so
    widgets created from now on show them in the current language in the footer.

    Idempotent and cheap (classes already done in this language are skipped); call it
    again after importing more screens and after a language change. Returns how many
    classes were (re)translated.
    """
    lang = language()
    done = 0
    for cls in list(_node_classes()):
        if cls._merged_bindings is None or _TRANSLATED_IN.get(cls) == lang:
            continue
        original = _ORIGINAL_BINDINGS.get(cls)
        if original is None:
            original = _ORIGINAL_BINDINGS[cls] = cls._merge_bindings()
        cls._merged_bindings = BindingsMap.from_keys(
            {key: _translated(bindings) for key, bindings in original.key_to_bindings.items()})
        _TRANSLATED_IN[cls] = lang
        done += 1
    return done


def set_binding_shown(node: DOMNode, binding_id: str, shown: bool) -> None:
    """Show or hide (in the footer) the binding ``binding_id`` of ``node``."""
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            dataclasses.replace(b, show=shown) if b.id == binding_id else b for b in bindings]


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

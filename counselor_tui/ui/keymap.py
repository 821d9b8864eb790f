"""Keys a user rebinds in a settings file, as harlequin and posting allow (issue 16).

The file is TOML (``<user config dir>/counselor-tui/keymap.toml``, or the path in
``COUNSELOR_TUI_KEYMAP``): one table ``[keymap]`` mapping a binding id (the ``id`` of a
``Binding``: ``log_session``, ``lock``, ``search`` … — F1 lists what each key does) to the
key or comma-separated keys that replace its default::

    [keymap]
    log_session = "f2,ctrl+n"
    lock = "ctrl+l,f12"

Textual applies the map to every binding with that id (:meth:`textual.app.App.set_keymap`);
F1 shows the keys in force. A file that cannot be read, an id no binding has and a value
that is not a key string are reported (translated) and left out; nothing else is guessed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_path
from textual.binding import Binding

from counselor_tui.i18n import _
from counselor_tui.ui.keys import GLOBAL_BINDINGS

ENV = "COUNSELOR_TUI_KEYMAP"
#: The binding ids of the area screens' own keys, named here so that reading a keymap does
#: not import every screen before the first frame (issue 18);
#: ``tests/unit/test_areas_table.py`` checks it against the screens' ``BINDINGS``.
AREA_BINDING_IDS = frozenset({
    "activity_versions", "add_account", "add_cadre", "add_member", "add_persons",
    "add_training", "analysis", "apply", "assess", "cancel", "cancel_appointment",
    "change_member", "change_tier", "close_campaign", "close_incident", "compile", "confirm",
    "correct_training", "decide", "disable_account", "dry_run", "edit_activity", "edit_group",
    "export", "finalize", "focus_list", "grouping", "hand_over_work", "import", "instruments",
    "log_from_appointment", "new_activity", "new_campaign", "new_group", "next_month",
    "notice", "organisation", "override", "own_passphrase", "previous_month", "recommend",
    "reload", "reset_passphrase", "review", "review_tier", "save_emergency", "schedule",
    "tab_accounts", "tab_campaigns", "tab_pending", "tab_rates", "tab_settings",
    "tab_suggestions", "tab_tiers", "tab_trend", "tab_vault", "tab_warnings", "toggle_ended",
    "toggle_exact", "toggle_group", "toggle_voided", "training_versions", "verify_chain",
    "void_activity", "void_member", "void_training", "waive",
})
_KEY = re.compile(r"[a-z0-9_+\-]+")


def keymap_file() -> Path:
    """Where the keymap is read from: ``COUNSELOR_TUI_KEYMAP`` or
    ``<user config dir>/counselor-tui/keymap.toml``."""
    override = os.environ.get(ENV)
    return Path(override) if override else (
        user_config_path("counselor-tui", appauthor=False) / "keymap.toml")


@dataclass(frozen=True)
class Keymap:
    """What a keymap file gave: ``keys`` (binding id → Textual key string) and
    ``problems`` (translated sentences about what was left out)."""

    keys: dict[str, str]
    problems: tuple[str, ...] = ()


def load_keymap(path: Path, known_ids: Iterable[str]) -> Keymap:
    """Read the keymap at ``path`` (no file: an empty keymap). ``known_ids`` are the binding
    ids the program has; entries for other ids are reported and left out."""
    if not path.exists():
        return Keymap({})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reason = exc.__class__.__name__ if isinstance(exc, OSError) else str(exc)
        return Keymap({}, (_("The keymap file {path} cannot be read ({reason}): the default "
                             "keys are used.").format(path=path, reason=reason),))
    table = data.get("keymap", {})
    if not isinstance(table, dict):
        return Keymap({}, (_("The keymap file {path} needs a [keymap] table: the default "
                             "keys are used.").format(path=path),))
    known = set(known_ids)
    keys: dict[str, str] = {}
    problems: list[str] = []
    for ident, value in table.items():
        if ident not in known:
            problems.append(_("Keymap: no key is named “{id}” (F1 shows the keys); it is left "
                              "out.").format(id=ident))
            continue
        parts = [p.strip().lower() for p in value.split(",")] if isinstance(value, str) else []
        if not parts or not all(p and _KEY.fullmatch(p) for p in parts):
            problems.append(_("Keymap: “{id}” needs keys such as \"ctrl+n\" or \"f2,ctrl+n\"; "
                              "it is left out.").format(id=ident))
            continue
        keys[ident] = ",".join(parts)
    return Keymap(keys, tuple(problems))


def binding_ids() -> set[str]:
    """The ids of the global keys and of every area screen's keys (what a keymap file may
    rebind)."""
    ids = {binding.id for binding in GLOBAL_BINDINGS
           if isinstance(binding, Binding) and binding.id}
    return ids | AREA_BINDING_IDS

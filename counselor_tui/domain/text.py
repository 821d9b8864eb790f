"""Checks on free text typed by people: names must not carry terminal control characters.

A name with ESC or other control/format characters (Unicode categories Cc and Cf) would
rewrite the terminal when shown in the TUI or the command line output.
"""

from __future__ import annotations

import unicodedata

from counselor_tui.i18n import _

MAX_DISPLAY_NAME = 40


def has_control_chars(text: str) -> bool:
    """True when ``text`` holds a control or format character (Unicode Cc/Cf)."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def clean_display_name(text: str) -> str:
    """A display name, NFC and stripped; ``ValueError`` (translated) unless it has 1–40
    characters and no control characters."""
    name = unicodedata.normalize("NFC", text).strip()
    if not name or len(name) > MAX_DISPLAY_NAME:
        raise ValueError(_("The display name must be 1 to {n} characters.").format(
            n=MAX_DISPLAY_NAME))
    if has_control_chars(name):
        raise ValueError(_("The display name contains control characters: type it again."))
    return name

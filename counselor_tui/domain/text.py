"""Checks on free text typed by people: names must not carry terminal control characters.

A name with ESC or other control/format characters (Unicode categories Cc and Cf) would
rewrite the terminal when shown in the TUI or the command line output.
"""

from __future__ import annotations

import re
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


# --------------------------------------------------------------------------- Chinese names

#: Unicode blocks of Han characters (CJK Unified Ideographs and every extension, the
#: compatibility ideographs and their supplement). Names of real officers use characters
#: beyond the Basic Multilingual Plane (Extension B and later, e.g. 𠮷 U+20BB7); those
#: count as Chinese like any other. Source: Unicode 15.1 Blocks.txt.
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF), (0x2A700, 0x2EBEF), (0x2EBF0, 0x2EE5F), (0x2F800, 0x2FA1F),
    (0x30000, 0x3134F), (0x31350, 0x323AF),
)

#: The middle dot of transcribed (少数民族, foreign) names, 阿依古丽·买买提, and the
#: look-alikes people type or spreadsheets produce instead of U+00B7: bullet, hyphenation
#: point, katakana middle dot (full and half width), small and full-width full stops, the
#: dot operators, the Canadian syllabics middle dot, the ASCII full stop. Source: GB/T
#: 15834-2011 §4.15 (间隔号 is U+00B7).
MIDDLE_DOTS = "·•‧・･﹒．.⋅∙ᐧ"

_DOTS_TO_NOTHING = str.maketrans("", "", MIDDLE_DOTS)


def is_han(ch: str) -> bool:
    """True when the one character ``ch`` is a Han character (:data:`HAN_RANGES`)."""
    code = ord(ch)
    return any(low <= code <= high for low, high in HAN_RANGES)


def has_han(text: str) -> bool:
    """True when ``text`` holds at least one Han character."""
    return any(is_han(ch) for ch in text)


def without_middle_dots(text: str) -> str:
    """``text`` without any middle dot or look-alike (:data:`MIDDLE_DOTS`): the form a
    name is *matched* by (阿依古丽·买买提 = 阿依古丽•买买提 = 阿依古丽买买提). Never stored."""
    return text.translate(_DOTS_TO_NOTHING)


# --------------------------------------------------------------------------- totals rows

#: Words that head a spreadsheet's totals row (合计 and its siblings), alone or followed by
#: a colon, a bracket or a count (``合计：``, ``总计(人)``, ``合计35人``).
_TOTALS_RE = re.compile(
    r"(?:合计|总计|小计|共计|总数|总人数|合计人数|累计)(?:[:：(（].*|[0-9]+人?|人)?")


def is_totals_cell(value: object) -> bool:
    """True when a cell reads as the head of a totals row (``合计``, ``总 计``, ``小计：``,
    ``合计35人``); full-width forms and spaces are ignored. Not for numbers or dates."""
    if not isinstance(value, str):
        return False
    text = "".join(unicodedata.normalize("NFKC", value).split())
    return bool(text) and _TOTALS_RE.fullmatch(text) is not None

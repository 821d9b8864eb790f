"""The one rule for text that is shown to people: no control or format characters.

Text that came from outside (a bureau's instrument definition, an organisation name, a
roster cell) is shown in the TUI and printed by the command line. A control character
(C0/C1, Unicode category ``Cc``: ESC, BEL, …) rewrites the terminal (clear screen, set the
window title); a format character (category ``Cf``: the bidi embeddings and overrides
U+202A–U+202E, the isolates U+2066–U+2069, the zero-width characters U+200B–U+200F, the
byte order mark U+FEFF, …) reorders or hides what is shown; the line and paragraph
separators U+2028/U+2029 (categories ``Zl``/``Zp``) break a table row. Source: Unicode
15.1 General Category values (UAX #44 §5.7.1); Trojan Source, CVE-2021-42574 (bidi).

* :func:`unsafe_characters` lists the offending characters of a text (``U+001B`` form);
* :func:`check_display_text` refuses a text with such characters, naming the field (and
  the line, when given) in a translated ``ValueError`` that says what to do;
* :func:`escape_for_terminal` makes any text safe to print: each offending character
  becomes a visible ``\\x1b`` / ``\\u202e`` escape.

Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from counselor_tui.i18n import _

#: Unicode general categories refused in shown text (module docstring).
UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _unsafe(ch: str, allow_newlines: bool) -> bool:
    if allow_newlines and ch in "\n\t":
        return False
    return unicodedata.category(ch) in UNSAFE_CATEGORIES


def unsafe_characters(text: str, *, allow_newlines: bool = False) -> list[str]:
    """The distinct characters of ``text`` that must not be shown, in order of first
    appearance, each as ``U+XXXX`` (e.g. ``["U+001B", "U+202E"]``); empty when the text is
    safe. ``allow_newlines`` lets LF and TAB through (a multi-line note)."""
    seen: list[str] = []
    for ch in text:
        if _unsafe(ch, allow_newlines):
            code = f"U+{ord(ch):04X}"
            if code not in seen:
                seen.append(code)
    return seen


def check_display_text(text: str, field: str, *, line: int | None = None,
                       allow_newlines: bool = False) -> None:
    """Refuse ``text`` holding control or format characters (:func:`unsafe_characters`).

    ``field`` names the field for the reader (already translated, or a key such as
    ``items[3].text``); ``line`` is the line of a file where the text stands. Raises
    ``ValueError`` with a translated message naming the field, the line and the
    characters, and saying what to do."""
    found = unsafe_characters(text, allow_newlines=allow_newlines)
    if not found:
        return
    chars = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
    if line is None:
        raise ValueError(_(
            "{field}: the text holds control or invisible formatting characters ({chars}); "
            "retype it without them.").format(field=field, chars=chars))
    raise ValueError(_(
        "Line {line}, {field}: the text holds control or invisible formatting characters "
        "({chars}); retype it without them.").format(line=line, field=field, chars=chars))


def escape_for_terminal(text: str, *, allow_newlines: bool = False) -> str:
    """``text`` with every character of :func:`unsafe_characters` replaced by a visible
    Python-style escape (``\\x1b``, ``\\u202e``, ``\\U000e0001``), so that printing it can
    neither move the cursor nor reorder the line."""
    out: list[str] = []
    for ch in text:
        if _unsafe(ch, allow_newlines):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)

"""Small text helpers of the interface that depend on the language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text

from counselor_tui.domain.instruments import engine
from counselor_tui.domain.text_rules import escape_for_terminal
from counselor_tui.i18n import language

if TYPE_CHECKING:
    from counselor_tui.domain.instruments.engine import InstrumentDefinition


def plain(text: str, style: str = "", *, multi_line: bool = False) -> Text:
    """``text`` from a file or the vault (a definition's name, a cell) as it was typed:
    never read as markup, and any control or format character (stored before the rule of
    :mod:`counselor_tui.domain.text_rules`) shown as a visible escape (line breaks kept
    when ``multi_line``)."""
    return Text(escape_for_terminal(text, allow_newlines=multi_line), style=style)


def join_list(items: Iterable[str]) -> str:
    """Items of an enumeration joined the way the language writes them: 工作压力、情感困扰
    in Chinese (the enumeration comma, GB/T 15834), "work stress, emotional distress" in
    English."""
    return ("、" if language() == "zh" else ", ").join(items)


def band_name(instrument_code: str, band_code: str | None) -> str:
    """The name of band ``band_code`` of a built-in instrument in the interface language
    (``mild`` of ``phq9`` → 轻度 / Mild, from the definition file); ``""`` without a band,
    the code itself for an instrument or band the program does not know."""
    if not band_code:
        return ""
    try:
        defn = engine.builtin(instrument_code)
    except engine.UnknownInstrumentError:
        return band_code
    return band_of(defn, band_code)


def band_of(defn: InstrumentDefinition, band_code: str | None) -> str:
    """The name of band ``band_code`` of ``defn`` in the interface language; ``""`` without
    a band, the code itself for a band ``defn`` does not have."""
    if not band_code:
        return ""
    band = next((b for b in defn.bands if b.code == band_code), None)
    if band is None:
        return band_code
    return band.label_en if language() == "en" else band.label_zh


def instrument_short(code: str) -> str:
    """The name an instrument is known by (``phq9`` → ``PHQ-9``): the abbreviation in
    brackets at the end of the definition's English name, else the code in capitals (a
    bureau's own instrument without one). Never the lower-case code of the files."""
    try:
        defn = engine.builtin(code)
    except engine.UnknownInstrumentError:
        return code.upper()
    found = re.search(r"\(([A-Za-z][A-Za-z0-9\-]*)\)\s*$", defn.name_en)
    return found.group(1) if found else code.upper()

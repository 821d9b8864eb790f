"""The one rule for shown text (domain/text_rules.py): control and format characters."""

from __future__ import annotations

import pytest

from counselor_tui.domain.text_rules import (
    check_display_text,
    escape_for_terminal,
    unsafe_characters,
)
from counselor_tui.i18n import language, set_language

HOSTILE = [
    "\x1b[2J", "\x07", "\x9b", "\x85", "a\u202eb", "\u202a", "\u2066x\u2069", "zero\u200bwidth",
    "\u200f", "\ufeffBOM", "line\u2028sep", "tab\there", "new\nline",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_each_control_or_format_character_is_named(text: str) -> None:
    assert unsafe_characters(text)
    with pytest.raises(ValueError, match="U\\+"):
        check_display_text(text, "name_zh")
    shown = escape_for_terminal(text)
    assert not unsafe_characters(shown)


def test_ordinary_chinese_and_english_text_passes() -> None:
    for text in ("抑郁筛查量表（试用）", "PHQ-9 [bold]x[/]", "阿依古丽·买买提", "𠮷",
                 "Café — 2024"):
        assert unsafe_characters(text) == []
        check_display_text(text, "name")
        assert escape_for_terminal(text) == text


def test_newlines_allowed_only_when_asked() -> None:
    assert unsafe_characters("a\nb\tc", allow_newlines=True) == []
    assert unsafe_characters("a\nb\x1b", allow_newlines=True) == ["U+001B"]
    assert escape_for_terminal("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert escape_for_terminal("\u202e") == "\\u202e"


def test_message_names_field_and_line_in_chinese() -> None:
    before = language()
    set_language("zh")
    try:
        with pytest.raises(ValueError) as info:
            check_display_text("x\x1b", "items[2].text", line=7)
    finally:
        set_language(before)
    message = str(info.value)
    assert "第 7 行" in message and "items[2].text" in message and "U+001B" in message

"""A bureau's definition file is hostile input (issue 16 point 4): whatever a file holds —
a valid definition with lines dropped, duplicated or overwritten with odd values, or bytes
of no shape at all — the strict reader answers with a :class:`DefinitionError` (one clear
message) or a definition that scores, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselor_tui.domain.instruments import bureau, score
from counselor_tui.domain.instruments.model import DefinitionError
from counselor_tui.i18n import language, set_language
from tests.integration.instrument_files import definition

LINES = definition().splitlines()
ODD_VALUES = ("nan", "inf", "-1", "0", "1e308", "99999999999", "true", '""', "[]", "{}",
              '"cutoff"', '"cutoff - 1"', "[[0, 12, \"x\", \"\", \"\"]]", "1979-05-27",
              '"' + "长" * 5000 + '"', "[" * 40 + "]" * 40, '"sum"', '"mean"', "3", "4")


@st.composite
def mangled(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(("drop", "copy", "value")))
        if action == "drop":
            del lines[index]
        elif action == "copy":
            lines.insert(draw(st.integers(0, len(lines))), lines[index])
        elif "=" in lines[index]:
            key = lines[index].split("=", 1)[0]
            lines[index] = f"{key}= {draw(st.sampled_from(ODD_VALUES))}"
        if not lines:
            break
    return "\n".join(lines)


def _read(raw: bytes) -> None:
    message = ""
    try:
        checked = bureau.check_bytes(raw)
    except DefinitionError as exc:
        message = str(exc)
    if message:
        assert "\n" not in message.strip()
        return
    defn = checked.definition
    score(defn, [defn.response_min] * defn.item_count)  # what it accepts, it scores


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_a_mangled_definition_is_refused_clearly_or_scores(text: str) -> None:
    _read(text.encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_bytes_of_no_shape_are_refused_clearly(raw: bytes) -> None:
    _read(raw)


# -- control and format characters (issue 16 point 4, tester's point 2) -------------------

HOSTILE_CHARS = ("\\u001b]0;pwned\\u0007", "\\u001b[2J", "\\u0085", "\\u202e", "\\u2067",
                 "\\u200b", "\\ufeff", "\\n")
FIELDS = (('name_zh = "民警压力自评（本局）"', 'name_zh = "民警{c}压力"', 3, "name_zh"),
          ('name_en = "Officer stress self-check (bureau)"', 'name_en = "Stress{c}"', 4,
           "name_en"),
          ('version = "2026-1"', 'version = "2026{c}-1"', 5, "version"),
          ('"没有"', '"没{c}有"', 15, "responses.labels_zh[1]"),
          ('[6, 12, "high", "较高", "High"]', '[6, 12, "high", "较{c}高", "High"]', 20,
           "scoring.bands[2][4]"),
          ('text_zh = "题目2"', 'text_zh = "题{c}目2"', 36, "items[2].text_zh"))


@pytest.mark.parametrize("char", HOSTILE_CHARS)
@pytest.mark.parametrize(("old", "new", "line", "where"), FIELDS)
def test_control_and_format_characters_are_refused_naming_line_and_field(
        old: str, new: str, line: int, where: str, char: str) -> None:
    text = definition()
    assert old in text
    with pytest.raises(DefinitionError) as info:
        bureau.check_text(text.replace(old, new.format(c=char), 1))
    message = str(info.value)
    if where != "version":  # the version has its own one-line rule
        assert "U+" in message and where in message, message
        assert info.value.line == line, message
    assert not any(ch in message for ch in "\x1b\x07\x85\u202e\u2067\u200b\ufeff")


def test_a_key_of_control_characters_is_refused_and_not_echoed_raw() -> None:
    text = definition().replace("[source]", '[source]\n"\\u001b[2J" = "x"', 1)
    with pytest.raises(DefinitionError) as info:
        bureau.check_text(text)
    assert "\x1b" not in str(info.value) and "\\x1b" in str(info.value)


def test_a_version_with_spaces_around_it_is_refused() -> None:
    with pytest.raises(DefinitionError, match="version"):
        bureau.check_text(definition(version="2026-1 "))
    with pytest.raises(DefinitionError, match="version"):
        bureau.check_text(definition(version=" 2026-1"))


def test_a_toml_syntax_error_is_told_in_chinese_with_its_line() -> None:
    before = language()
    set_language("zh")
    try:
        with pytest.raises(DefinitionError) as info:
            bureau.check_text(definition().replace("item_count = 4",
                                                   "item_count = 4\nitem_count = 5"))
    finally:
        set_language(before)
    message = str(info.value)
    assert info.value.line == 7 and "第 7 行" in message
    assert "同一个键或表写了两次" in message and "Cannot" not in message, message

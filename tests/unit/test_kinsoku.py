"""Chinese line breaking (issue 16 point 6): no line starts with 。，） or ends with （."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st
from rich._wrap import divide_line as rich_divide_line

from counselor_tui.ui.kinsoku import NO_LINE_END, NO_LINE_START, adjust_breaks, divide_line


def lines(text: str, offsets: list[int]) -> list[str]:
    cuts = [0, *offsets, len(text)]
    return [text[a:b] for a, b in pairwise(cuts)]


def test_a_full_stop_goes_down_with_the_character_before_it() -> None:
    text = "事件发生后按应激预案启动心理援助，已通知相关单位。"
    assert lines(text, rich_divide_line(text, 48)) == [text[:-1], "。"]  # Rich alone
    assert lines(text, divide_line(text, 48)) == [text[:-2], "位。"]


def test_an_opening_bracket_never_ends_a_line() -> None:
    text = "甲乙丙丁（戊己庚）"
    assert lines(text, rich_divide_line(text, 10))[0] == "甲乙丙丁（"  # Rich alone
    assert lines(text, divide_line(text, 10)) == ["甲乙丙丁", "（戊己庚）"]


@given(st.text(alphabet="甲乙丙丁戊。，、）（", min_size=1, max_size=60),
       st.integers(min_value=4, max_value=30))
def test_breaks_stay_in_order_and_lines_never_grow(text: str, width: int) -> None:
    before = rich_divide_line(text, width)
    after = adjust_breaks(text, before)
    assert after == sorted(set(after)) and all(0 < b < len(text) for b in after)
    assert all(a <= b and b - a <= 2 for a, b in zip(after, before, strict=True))
    for offset in after:
        if offset not in before:  # a moved break honours both rules
            assert text[offset] not in NO_LINE_START and text[offset - 1] not in NO_LINE_END

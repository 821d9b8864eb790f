"""Line breaking of Chinese text by the rule of 避头尾 (kinsoku): no line starts with a closing
punctuation mark (。，、；：？！）」』】…) and none ends with an opening one (（「『【).

Textual (``textual.content``) and Rich (``rich.text``) break a run of Chinese characters
at any character, so a full stop may open the next line. :func:`install` wraps their
``divide_line`` so that such a break moves one or two characters back: the character before
the mark goes down with it (the line gets shorter, never wider). Source: GB/T 15834-2011
(标点符号用法) §5.1.2 and W3C "Requirements for Chinese Text Layout" §3.1.7.
"""

from __future__ import annotations

from collections.abc import Callable

import rich.text
import textual.content
from rich._wrap import divide_line as _rich_divide_line

#: Marks that never start a line.
NO_LINE_START = frozenset(
    "、。，．：；？！）］｝〕〉》」』】〙〗〟’”｠»…‥—～々ー"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.:;?!)]}%"
)
#: Marks that never end a line.
NO_LINE_END = frozenset("（［｛〔〈《「『【〘〖〝‘“｟«([{")
#: How far a break may move back (a longer run of marks is broken as it comes).
MAX_SHIFT = 2


def adjust_breaks(text: str, offsets: list[int]) -> list[int]:
    """``offsets`` (increasing code point indices where lines of ``text`` start) moved back
    so that no line starts with a :data:`NO_LINE_START` mark or follows a line ending with a
    :data:`NO_LINE_END` mark, by at most :data:`MAX_SHIFT` characters and never onto the
    previous break."""
    out: list[int] = []
    previous = 0
    for offset in offsets:
        moved = offset
        while (0 < moved < len(text) and offset - moved < MAX_SHIFT and moved - 1 > previous
               and (text[moved] in NO_LINE_START or text[moved - 1] in NO_LINE_END)):
            moved -= 1
        if moved < len(text) and (text[moved] in NO_LINE_START
                                  or text[moved - 1] in NO_LINE_END):
            moved = offset  # could not be fixed within MAX_SHIFT: break as Textual does
        out.append(moved)
        previous = moved
    return out


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Rich's ``divide_line`` with :func:`adjust_breaks` applied."""
    return adjust_breaks(text, _rich_divide_line(text, width, fold))


def install() -> Callable[[str, int, bool], list[int]]:
    """Make Textual's and Rich's text wrapping use :func:`divide_line` (idempotent);
    returns the function installed."""
    textual.content.divide_line = divide_line  # type: ignore[attr-defined]
    rich.text.divide_line = divide_line  # type: ignore[attr-defined]
    return divide_line

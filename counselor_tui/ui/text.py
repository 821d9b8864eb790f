"""Small text helpers of the interface that depend on the language."""

from __future__ import annotations

from collections.abc import Iterable

from counselor_tui.i18n import language


def join_list(items: Iterable[str]) -> str:
    """Items of an enumeration joined the way the language writes them: 工作压力、情感困扰
    in Chinese (the enumeration comma, GB/T 15834), "work stress, emotional distress" in
    English."""
    return ("、" if language() == "zh" else ", ").join(items)

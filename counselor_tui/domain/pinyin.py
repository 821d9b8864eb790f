"""Pinyin keys for searching Chinese names (DESIGN §4, §6 "search by pinyin initials").

Built on pypinyin (``lazy_pinyin`` with ``Style.NORMAL`` and ``Style.FIRST_LETTER``).
Heteronyms take pypinyin's most common reading, plus the common surname readings of
:data:`SURNAME_READINGS` when the character is the first of the name (单 → shan, 曾 → zeng …).
Han characters of every plane count (CJK Extension B and later: 𡈼 → ting; the few pypinyin
lacks are in :data:`EXTRA_READINGS`). Latin letters and digits pass through lower-cased;
other characters (middle dots, brackets) are dropped.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from dataclasses import dataclass

# Names are converted one character at a time, so pypinyin's phrase dictionaries (about
# 45 MB of memory) are never needed; this must be set before pypinyin is first imported
# (in :func:`name_keys`).
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")


from counselor_tui.domain.text import is_han

#: Surname readings that differ from the character's most common reading.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao",
    "查": "zha", "盖": "ge", "尉": "yu", "乐": "yue", "柏": "bai", "缪": "miao",
    "翟": "zhai", "覃": "qin", "召": "shao", "祭": "zhai", "繁": "po", "员": "yun",
    "种": "chong", "秘": "bi", "冼": "xian", "宓": "fu", "万": "wan", "沈": "shen",
}


#: Readings pypinyin lacks for name characters beyond the BMP (𠮷 U+20BB7, the 吉 of a
#: family name; Unihan kMandarin jí), and their tones.
EXTRA_READINGS = {"\U00020bb7": "ji"}
EXTRA_TONES = {"\U00020bb7": "2"}


#: Separates the parts of :attr:`NameKeys.sort` (below every printable character, so a
#: name that is a prefix of another sorts first: 陈立 before 陈立明).
SORT_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class NameKeys:
    """Keys of a name: full pinyin without spaces (``zhangsan``) and initials (``zs``) for
    search, and the archive's sort key (``sort``, see :func:`name_keys`)."""

    full: str
    initials: str
    sort: str = ""


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


@functools.lru_cache(maxsize=8192)
def _reading(ch: str) -> str:
    """pypinyin's most common reading of the Han character ``ch`` (lower case)."""
    from pypinyin import Style, lazy_pinyin

    return str(lazy_pinyin(ch, style=Style.NORMAL)[0]).lower()


@functools.lru_cache(maxsize=8192)
def _tone(ch: str, reading: str, *, surname: bool) -> str:
    """The tone digit (1–4, 5 neutral, 0 unknown) of ``ch`` read as ``reading`` (kept per
    character: a name's keys are then string work, e.g. 100k demo officers, issue 18)."""
    from pypinyin import Style, pinyin

    style = Style.TONE3
    if surname:  # the surname reading among the character's readings
        for option in pinyin(ch, style=style, heteronym=True, neutral_tone_with_five=True)[0]:
            if option.rstrip("012345") == reading:
                return option[-1] if option[-1].isdigit() else "0"
        return "0"
    option = pinyin(ch, style=style, neutral_tone_with_five=True)[0][0]
    return option[-1] if option[-1].isdigit() else "0"


def name_keys(name: str) -> NameKeys:
    """The pinyin keys of ``name`` (e.g. ``张三`` → ``zhangsan`` / ``zs``; ``单田芳`` →
    ``shantianfang`` / ``stf``).

    ``sort`` orders names by pinyin syllable (issue 16): the syllables joined by spaces, so
    every 陈 (``chen li``) comes before every 程 (``cheng an``) whatever the given name;
    ties break on the tones (1–4, 5 neutral) and then on the characters themselves, each
    part after :data:`SORT_SEPARATOR` (``陈立`` → ``"chen li\x1f24\x1f陈立"``). A run of
    Latin letters or digits is one syllable.
    """
    # pypinyin loads its dictionaries on the first name, not at start-up (issue 18)
    text = _clean(name)
    syllables: list[str] = []
    words: list[str] = []  # the sort key's syllables (a Latin run is one word)
    tones: list[str] = []
    latin = False
    for index, ch in enumerate(text):
        if index == 0 and ch in SURNAME_READINGS:
            reading = SURNAME_READINGS[ch]
            syllables.append(reading)
            words.append(reading)
            tones.append(_tone(ch, reading, surname=True))
            latin = False
        elif is_han(ch):
            reading = EXTRA_READINGS.get(ch) or _reading(ch)
            if reading.isascii():  # a character pypinyin has no reading for stays out
                syllables.append(reading)
                words.append(reading)
                tones.append(EXTRA_TONES.get(ch) or _tone(ch, reading, surname=False))
            latin = False
        elif ch.isascii() and ch.isalnum():
            syllables.append(ch.lower())
            if latin:
                words[-1] += ch.lower()
            else:
                words.append(ch.lower())
                tones.append("0")
            latin = True
        else:
            latin = False
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    sort = SORT_SEPARATOR.join((" ".join(words), "".join(tones), text))
    return NameKeys(full, initials, sort)


def is_latin_query(text: str) -> bool:
    """True when ``text`` is ASCII letters only (a pinyin or initials query)."""
    t = _clean(text)
    return bool(t) and t.isascii() and t.isalpha()

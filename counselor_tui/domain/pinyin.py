"""Pinyin keys for searching Chinese names (DESIGN §4, §6 "search by pinyin initials").

Built on pypinyin (``lazy_pinyin`` with ``Style.NORMAL`` and ``Style.FIRST_LETTER``).
Heteronyms take pypinyin's most common reading, plus the common surname readings of
:data:`SURNAME_READINGS` when the character is the first of the name (单 → shan, 曾 → zeng …).
Han characters of every plane count (CJK Extension B and later: 𡈼 → ting; the few pypinyin
lacks are in :data:`EXTRA_READINGS`). Latin letters and digits pass through lower-cased;
other characters (middle dots, brackets) are dropped.
"""

from __future__ import annotations

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
#: family name; Unihan kMandarin jí).
EXTRA_READINGS = {"\U00020bb7": "ji"}


@dataclass(frozen=True)
class NameKeys:
    """Search keys of a name: full pinyin without spaces (``zhangsan``) and initials (``zs``)."""

    full: str
    initials: str


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def name_keys(name: str) -> NameKeys:
    """The pinyin keys of ``name`` (e.g. ``张三`` → ``zhangsan`` / ``zs``; ``单田芳`` →
    ``shantianfang`` / ``stf``)."""
    # pypinyin loads its dictionaries on the first name, not at start-up (issue 18)
    from pypinyin import Style, lazy_pinyin

    text = _clean(name)
    syllables: list[str] = []
    for index, ch in enumerate(text):
        if index == 0 and ch in SURNAME_READINGS:
            syllables.append(SURNAME_READINGS[ch])
        elif is_han(ch):
            reading = EXTRA_READINGS.get(ch) or lazy_pinyin(ch, style=Style.NORMAL)[0].lower()
            if reading.isascii():  # a character pypinyin has no reading for stays out
                syllables.append(reading)
        elif ch.isascii() and ch.isalnum():
            syllables.append(ch.lower())
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s)
    return NameKeys(full, initials)


def is_latin_query(text: str) -> bool:
    """True when ``text`` is ASCII letters only (a pinyin or initials query)."""
    t = _clean(text)
    return bool(t) and t.isascii() and t.isalpha()

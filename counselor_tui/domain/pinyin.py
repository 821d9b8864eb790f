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


#: Compound (two-character) surnames and their readings: the name's first two characters form
#: the surname, grouped as one in the sort order (:func:`name_keys`). Source: the compound
#: surnames of the 百家姓 still in use (长孙 zhǎngsūn, 万俟 mòqí, 尉迟 yùchí, 单于 chányú,
#: 澹台 tántái: readings that differ from the characters' common ones).
COMPOUND_SURNAMES = {
    "欧阳": ("ou", "yang"), "司马": ("si", "ma"), "诸葛": ("zhu", "ge"),
    "上官": ("shang", "guan"), "东方": ("dong", "fang"), "皇甫": ("huang", "fu"),
    "尉迟": ("yu", "chi"), "公孙": ("gong", "sun"), "长孙": ("zhang", "sun"),
    "慕容": ("mu", "rong"), "令狐": ("ling", "hu"), "司徒": ("si", "tu"),
    "司空": ("si", "kong"), "夏侯": ("xia", "hou"), "轩辕": ("xuan", "yuan"),
    "宇文": ("yu", "wen"), "独孤": ("du", "gu"), "端木": ("duan", "mu"),
    "南宫": ("nan", "gong"), "西门": ("xi", "men"), "澹台": ("tan", "tai"),
    "呼延": ("hu", "yan"), "申屠": ("shen", "tu"), "太史": ("tai", "shi"),
    "百里": ("bai", "li"), "钟离": ("zhong", "li"), "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"), "拓跋": ("tuo", "ba"), "赫连": ("he", "lian"),
    "闻人": ("wen", "ren"), "公羊": ("gong", "yang"), "濮阳": ("pu", "yang"),
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

    ``sort`` orders names by pinyin syllable (issue 16), the surname first: its syllables,
    its tones, its characters, then the given name's syllables (joined by spaces), their
    tones and the whole name, each part after :data:`SORT_SEPARATOR` (``陈立`` →
    ``"chen\x1f2\x1f陈\x1fli\x1f4\x1f陈立"``). So every 陈 (``chen``) comes before every
    程 (``cheng``) whatever the given name, and the 张 (zhāng) and 章 (zhāng) of a list are
    two groups instead of interleaving by given name. The surname is the first syllable, or
    the first two for a compound surname (:data:`COMPOUND_SURNAMES`: 欧阳, 长孙 …). A run of
    Latin letters or digits is one syllable.
    """
    # pypinyin loads its dictionaries on the first name, not at start-up (issue 18)
    text = _clean(name)
    syllables: list[str] = []
    words: list[str] = []  # the sort key's syllables (a Latin run is one word)
    tones: list[str] = []
    latin = False
    compound = COMPOUND_SURNAMES.get(text[:2])
    for index, ch in enumerate(text):
        if compound is not None and index < 2:
            reading = compound[index]
            syllables.append(reading)
            words.append(reading)
            tones.append(_tone(ch, reading, surname=True))
            latin = False
        elif index == 0 and ch in SURNAME_READINGS:
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
    cut = 2 if compound is not None else 1  # the surname's syllables
    sort = SORT_SEPARATOR.join((" ".join(words[:cut]), "".join(tones[:cut]),
                                text[:cut], " ".join(words[cut:]), "".join(tones[cut:]),
                                text))
    return NameKeys(full, initials, sort)


def is_latin_query(text: str) -> bool:
    """True when ``text`` is ASCII letters only (a pinyin or initials query)."""
    t = _clean(text)
    return bool(t) and t.isascii() and t.isalpha()

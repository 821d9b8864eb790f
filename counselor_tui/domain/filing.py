"""The filing elements of an official document (公文) after GB/T 9704-2012 (pure).

GB/T 9704-2012 《党政机关公文格式》 §7.2 (版头), §7.3 (主体), §7.4 (版记) name the elements an
upward report (上行文) carries besides its body: 份号 (copy number, six arabic digits),
密级和保密期限 (classification ``秘密``/``机密``/``绝密`` and its term, joined by ``★``),
发文字号 (issuing-body code, year in ``〔〕`` and a number per year: ``X公政〔2026〕3号``),
签发人, 主送机关, 附注, 抄送机关, 印发机关 and 印发日期. Dates are written in arabic numerals
with the full year and no leading zeros (``2026年12月7日``, §7.3.5).

A document number *pattern* is what the bureau types in the settings: the literal text of its
number with ``{年}`` (or ``{year}``) where the year goes and ``{号}`` (or ``{n}``) where the
running number goes, e.g. ``X公政〔{年}〕{号}号``.
"""

from __future__ import annotations

from datetime import date

from counselor_tui.i18n import _

#: The classifications of 《中华人民共和国保守国家秘密法》 art. 10, lowest first; ``""`` = not
#: classified (no 密级 is printed, nor 份号).
CLASSIFICATIONS: tuple[str, ...] = ("", "秘密", "机密", "绝密")
#: Terms that apply when none is stated (保密法 art. 15: 绝密 30, 机密 20, 秘密 10 years).
STATUTORY_YEARS: dict[str, int] = {"秘密": 10, "机密": 20, "绝密": 30}
YEAR_MARKS: tuple[str, ...] = ("{年}", "{year}")
NUMBER_MARKS: tuple[str, ...] = ("{号}", "{n}")
DEFAULT_PATTERN = "公政〔{年}〕{号}号"
MAX_PATTERN = 40


class FilingInvalid(ValueError):
    """A typed filing value is refused; the message (translated) says what is allowed."""


def check_pattern(pattern: str) -> str:
    """``pattern`` stripped when it holds exactly one number mark (``{号}``/``{n}``) and at
    most one year mark (``{年}``/``{year}``), no other braces, at most 40 characters;
    else :class:`FilingInvalid`."""
    text = pattern.strip()
    numbers = sum(text.count(m) for m in NUMBER_MARKS)
    years = sum(text.count(m) for m in YEAR_MARKS)
    rest = text
    for mark in (*NUMBER_MARKS, *YEAR_MARKS):
        rest = rest.replace(mark, "")
    if numbers != 1 or years > 1 or "{" in rest or "}" in rest or len(text) > MAX_PATTERN:
        raise FilingInvalid(_(
            "Type the document number with {{年}} where the year goes and {{号}} where the "
            "number goes, e.g. X公政〔{{年}}〕{{号}}号 (at most {n} characters).").format(
                n=MAX_PATTERN))
    return text


def document_number(pattern: str, year: int, number: int) -> str:
    """The 发文字号 of ``pattern`` (see :func:`check_pattern`) for ``year`` and the running
    ``number`` (1, 2, …; no leading zeros, GB/T 9704 §7.2.5)."""
    text = check_pattern(pattern)
    for mark in YEAR_MARKS:
        text = text.replace(mark, str(year))
    for mark in NUMBER_MARKS:
        text = text.replace(mark, str(number))
    return text


def check_classification(text: str) -> str:
    """``text`` stripped when it is one of :data:`CLASSIFICATIONS` (empty = not classified);
    else :class:`FilingInvalid`."""
    cleaned = text.strip()
    if cleaned not in CLASSIFICATIONS:
        raise FilingInvalid(_("Type 秘密, 机密 or 绝密, or leave it empty when the document is "
                              "not classified."))
    return cleaned


def classification_mark(classification: str, years: int | None) -> str:
    """``秘密★1年`` (GB/T 9704 §7.2.2: 密级 and 保密期限 joined by ``★``); ``秘密`` when
    ``years`` is None (the statutory term applies); ``""`` when not classified."""
    level = check_classification(classification)
    if not level:
        return ""
    return level if years is None else f"{level}★{years}年"


def copy_number(n: int) -> str:
    """份号: six arabic digits (GB/T 9704 §7.2.1), ``000001``."""
    if not 1 <= n <= 999999:
        raise FilingInvalid(_("A copy number is a whole number from 1 to 999999."))
    return f"{n:06d}"


def cn_date(day: date) -> str:
    """``2026年12月7日``: arabic numerals, full year, no leading zeros (§7.3.5)."""
    return f"{day.year}年{day.month}月{day.day}日"

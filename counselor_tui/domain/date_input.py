"""The shared pieces of reading typed dates and times (:mod:`counselor_tui.domain.dates`):
the errors, full-width and Chinese digit folding, Chinese numerals, the error messages and
the checked construction of a date."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from counselor_tui.i18n import _

DEFAULT_TZ = "Asia/Shanghai"


MAX_INPUT = 64  # longer input is not a date; refuse before any regex work


class DateParseError(ValueError):
    """A typed date or time could not be read.

    ``str(error)`` is a translated sentence quoting what was typed (shortened to 30 characters)
    and showing an accepted form; ``error.text`` is the raw input.
    """

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


class NaiveDatetimeError(ValueError):
    """A datetime without a UTC offset reached storage (a programming error)."""


class TimeZoneError(ValueError):
    """An unknown IANA time-zone name was configured (message translated)."""


_EXTRA_FOLD = str.maketrans(
    {
        "。": ".",  # Chinese IME full stop typed for "."
        "∶": ":",  # U+2236 RATIO, common in Chinese documents for times
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)


def normalize_digits(text: str) -> str:
    """Fold full-width digits and punctuation to ASCII.

    Unicode NFKC (``２０２６－１１－０３`` -> ``2026-11-03``, ``１４：３０`` -> ``14:30``,
    ideographic space -> space) plus the IME full stop ``。`` -> ``.``, ``∶`` -> ``:`` and the
    dash family (``–—―−``) -> ``-``. Chinese characters are left alone.
    """
    return unicodedata.normalize("NFKC", text).translate(_EXTRA_FOLD)


def clean(text: str) -> str:
    """Normalize digits, trim, and collapse runs of whitespace to one space."""
    return " ".join(normalize_digits(text).split())


def shown(text: str) -> str:
    """What the user typed, trimmed and shortened for quoting in a message."""
    s = " ".join(text.split())
    return s if len(s) <= 30 else s[:29] + "…"


_CN_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


_CN_CHARS = "零〇一二两三四五六七八九十百"


NUM = rf"(?:\d{{1,5}}|[{_CN_CHARS}]{{1,6}})"


_CN_NUMBER_RE = re.compile(
    r"""
    (?:(?P<h>[一二两三四五六七八九])百)?
    (?:
        (?P<z>[零〇])(?P<zu>[一二三四五六七八九])          # 零五, 一百零五
      | (?P<t>[一二三四五六七八九])?十(?P<tu>[一二三四五六七八九])?   # 十 十一 二十 二十一
      | (?P<u>[零〇一二两三四五六七八九])                  # a single digit
    )?
    """,
    re.VERBOSE,
)


def chinese_number(text: str) -> int | None:
    """Read a small whole number written in ASCII digits or Chinese numerals, else ``None``.

    Chinese numerals: ``十``=10, ``十一``=11, ``二十``=20, ``九十九``=99, ``两``=2, ``一百``=100,
    ``一百零五``=105, ``一百一十``/``一百十``=110, ``两百``=200, ``零五``=5 (minutes); range
    0-999. ``两`` is accepted alone or before ``百`` only. The colloquial ``一百五`` (=150) is
    refused as it reads as 105 to some. Digit-by-digit years (``二〇二六``) are not numbers here.
    """
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    m = _CN_NUMBER_RE.fullmatch(text)
    if m is None:
        return None
    h, zu, t, tu, u = m.group("h", "zu", "t", "tu", "u")
    total = _CN_DIGIT[h] * 100 if h else 0
    if zu:
        return total + _CN_DIGIT[zu]
    if "十" in text:
        return total + (_CN_DIGIT[t] if t else 1) * 10 + (_CN_DIGIT[tu] if tu else 0)
    if u:
        if h or (u == "两" and len(text) != 1):
            return None
        return _CN_DIGIT[u]
    return total if h else None


def cn_year(text: str) -> int | None:
    """``2026`` or digit-by-digit ``二〇二六``/``二零二六`` -> 2026."""
    if text.isascii() and text.isdigit():
        return int(text)
    if len(text) == 4 and all(c in _CN_DIGIT and c != "两" for c in text):
        return int("".join(str(_CN_DIGIT[c]) for c in text))
    return None


def err_empty_date(text: str) -> DateParseError:
    return DateParseError(_("Please type a date, like 2026-11-03 or today."), text)


def err_date(text: str) -> DateParseError:
    return DateParseError(
        _(
            "Cannot read “{text}” as a date. Type it like 2026-11-03, 2026/11/3, 11/3 or today."
        ).format(text=shown(text)),
        text,
    )


def err_relative(text: str) -> DateParseError:
    return DateParseError(
        _(
            "Cannot read “{text}” as a date. Type it like 2026-11-03, 11/3, today, "
            "+7d (in 7 days), +2w, +1m or 下周一."
        ).format(text=shown(text)),
        text,
    )


def err_datetime(text: str) -> DateParseError:
    return DateParseError(
        _(
            "Cannot read “{text}” as a date and time. Type it like 2026-11-03 14:30, "
            "today 9:05, or just 14:30 for today."
        ).format(text=shown(text)),
        text,
    )


def err_ambiguous(text: str) -> DateParseError:
    return DateParseError(
        _(
            "“{text}” is ambiguous: it does not say which number is the year, the month "
            "and the day. Type the four-digit year first, like 2026-11-03."
        ).format(text=shown(text)),
        text,
    )


def _err_out_of_range(text: str) -> DateParseError:
    return DateParseError(
        _("“{text}” is outside the range of dates this program can handle.").format(
            text=shown(text)
        ),
        text,
    )


def make_date(year: int, month: int, day: int, text: str) -> date:
    """Build a date, refusing impossible ones with a message that says why."""
    if not 1 <= year <= 9999:
        raise _err_out_of_range(text)
    if not 1 <= month <= 12:
        raise DateParseError(
            _("There is no month {month} (“{text}”): months run from 1 to 12.").format(
                month=month, text=shown(text)
            ),
            text,
        )
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise DateParseError(
            _(
                "There is no day {day} in {year}-{month:02d}, which has {days} days (“{text}”)."
            ).format(day=day, year=year, month=month, days=days, text=shown(text)),
            text,
        )
    return date(year, month, day)


def shift(
    today: date, text: str, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0
) -> date:
    """``today`` moved by a relativedelta, refusing results outside year 1-9999."""
    try:
        return today + relativedelta(years=years, months=months, weeks=weeks, days=days)
    except (OverflowError, ValueError):
        raise _err_out_of_range(text) from None


def as_date(today: date) -> date:
    return today.date() if isinstance(today, datetime) else today

"""Every typed date and time is read here (DESIGN §7.4).

A Chinese clerk types dates in many shapes: ``2026-11-03``, ``2026/11/3``, ``2026.11.03``,
``20261103``, ``2026年11月3日``, ``11月3日``, ``昨天``, ``下周一``, ``3天后``, ``+7d``, in
half-width or full-width characters. This module reads all of them into :class:`datetime.date` /
:class:`datetime.datetime` values, and refuses - with a translated message that quotes what was
typed and shows an accepted form - anything it would have to guess.

Entry points for the UI
-----------------------
* date fields: :func:`parse_date_input` (= :func:`parse_relative`): every absolute form of
  :func:`parse_date` plus offsets (``+7d``, ``3天后``, ``2周前``) and weeks (``下周一``).
* date-and-time fields: :func:`parse_datetime_input` (= :func:`parse_datetime`).
* imports (roster birth dates, hire dates): :func:`parse_date` (absolute forms and day words only).

Rules (each one a deliberate choice, tested in ``tests/unit/test_dates.py``)
-------------------------------------------------------------------------
* Full-width digits and punctuation are folded to ASCII first (:func:`normalize_digits`).
* A date with a year is read **year first only**. ``YYYY-MM-DD`` is never read day-first;
  year-last forms (``03/11/2026``) and two-digit-year forms (``26-11-03``, ``261103``) are
  refused as ambiguous, even when only one reading is possible (``13/11/2026``): the same
  typing habit would be misread on another day.
* A month and day without a year (``11月3日``, ``11-03``, ``11/3``, ``11.3``) is read month
  first (Chinese order) in **today's year** - never "the nearest" or "the next" such date.
* A day alone (``3日``, ``3号``, ``三号``) is that day of **today's month**; the ``日``/``号`` is
  required (a bare ``3`` is refused).
* An impossible date (``2026-02-30``, ``2026-13-01``, ``2月29日`` in a common year) is refused;
  only month *arithmetic* clamps to month end (``2026-01-31`` + 1个月 = ``2026-02-28``, via
  :class:`dateutil.relativedelta.relativedelta`).
* Weeks start on Monday (ISO 8601, GB/T 7408). ``本周五``/``这周五`` is Friday of the current
  week even when it is already past; ``下周一`` is Monday of next week; a bare ``周五`` is
  refused as ambiguous, as are ``下周``, ``下个月``, ``明年`` alone (no single day). Use
  ``1个月后``, ``下个月5日``, ``下月底``.
* ``N月后`` without ``个`` is refused (``三月后`` reads as "after March"); write ``3个月后``.
* A date-time without a time means midnight; a time without a date means today. ``24:00`` and
  ``晚上12点`` are refused (which day would they belong to?).

Storage uses ISO 8601 with an explicit offset (:func:`to_storage`, :func:`from_storage`); the
bureau's zone comes from :func:`bureau_tz` (IANA name, ``zoneinfo``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from counselor_tui.i18n import _

__all__ = [
    "DateParseError",
    "NaiveDatetimeError",
    "TimeZoneError",
    "bureau_tz",
    "chinese_number",
    "format_date",
    "format_datetime",
    "from_storage",
    "monthly_repeat",
    "normalize_digits",
    "parse_date",
    "parse_date_input",
    "parse_datetime",
    "parse_datetime_input",
    "parse_follow_up",
    "parse_relative",
    "relative_hint",
    "to_storage",
]

DEFAULT_TZ = "Asia/Shanghai"
_MAX_INPUT = 64  # longer input is not a date; refuse before any regex work


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


# --------------------------------------------------------------------------- normalization

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


def _clean(text: str) -> str:
    """Normalize digits, trim, and collapse runs of whitespace to one space."""
    return " ".join(normalize_digits(text).split())


def _shown(text: str) -> str:
    """What the user typed, trimmed and shortened for quoting in a message."""
    s = " ".join(text.split())
    return s if len(s) <= 30 else s[:29] + "…"


# --------------------------------------------------------------------------- Chinese numerals

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
_NUM = rf"(?:\d{{1,5}}|[{_CN_CHARS}]{{1,6}})"

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


def _cn_year(text: str) -> int | None:
    """``2026`` or digit-by-digit ``二〇二六``/``二零二六`` -> 2026."""
    if text.isascii() and text.isdigit():
        return int(text)
    if len(text) == 4 and all(c in _CN_DIGIT and c != "两" for c in text):
        return int("".join(str(_CN_DIGIT[c]) for c in text))
    return None


# --------------------------------------------------------------------------- messages


def _err_empty_date(text: str) -> DateParseError:
    return DateParseError(_("Please type a date, like 2026-11-03 or today."), text)


def _err_date(text: str) -> DateParseError:
    return DateParseError(
        _(
            "Cannot read “{text}” as a date. Type it like 2026-11-03, 2026/11/3, 11/3 or today."
        ).format(text=_shown(text)),
        text,
    )


def _err_relative(text: str) -> DateParseError:
    return DateParseError(
        _(
            "Cannot read “{text}” as a date. Type it like 2026-11-03, 11/3, today, "
            "+7d (in 7 days), +2w, +1m or 下周一."
        ).format(text=_shown(text)),
        text,
    )


def _err_datetime(text: str) -> DateParseError:
    return DateParseError(
        _(
            "Cannot read “{text}” as a date and time. Type it like 2026-11-03 14:30, "
            "today 9:05, or just 14:30 for today."
        ).format(text=_shown(text)),
        text,
    )


def _err_ambiguous(text: str) -> DateParseError:
    return DateParseError(
        _(
            "“{text}” is ambiguous: it does not say which number is the year, the month "
            "and the day. Type the four-digit year first, like 2026-11-03."
        ).format(text=_shown(text)),
        text,
    )


def _err_out_of_range(text: str) -> DateParseError:
    return DateParseError(
        _("“{text}” is outside the range of dates this program can handle.").format(
            text=_shown(text)
        ),
        text,
    )


def _make_date(year: int, month: int, day: int, text: str) -> date:
    """Build a date, refusing impossible ones with a message that says why."""
    if not 1 <= year <= 9999:
        raise _err_out_of_range(text)
    if not 1 <= month <= 12:
        raise DateParseError(
            _("There is no month {month} (“{text}”): months run from 1 to 12.").format(
                month=month, text=_shown(text)
            ),
            text,
        )
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise DateParseError(
            _(
                "There is no day {day} in {year}-{month:02d}, which has {days} days (“{text}”)."
            ).format(day=day, year=year, month=month, days=days, text=_shown(text)),
            text,
        )
    return date(year, month, day)


def _shift(
    today: date, text: str, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0
) -> date:
    """``today`` moved by a relativedelta, refusing results outside year 1-9999."""
    try:
        return today + relativedelta(years=years, months=months, weeks=weeks, days=days)
    except (OverflowError, ValueError):
        raise _err_out_of_range(text) from None


# --------------------------------------------------------------------------- absolute dates

_DAY_WORDS: dict[str, int] = {
    "今天": 0,
    "今日": 0,
    "today": 0,
    "昨天": -1,
    "昨日": -1,
    "yesterday": -1,
    "前天": -2,
    "大前天": -3,
    "明天": 1,
    "明日": 1,
    "tomorrow": 1,
    "后天": 2,
    "大后天": 3,
}

# spreadsheet exports write date cells as "1985/3/12 0:00" or "1985-03-12T00:00:00"
_MIDNIGHT_RE = re.compile(r"(?<=\d)[ T]0?0:00(?::00(?:\.0+)?)?\Z")
_SEP3_RE = re.compile(r"(\d+) ?([-/.]) ?(\d+) ?\2 ?(\d+)")
_SEP2_RE = re.compile(r"(\d{1,2}) ?[-/.] ?(\d{1,2})")
_DIGITS_RE = re.compile(r"\d+")
_DAY_END = r" ?[日号]"
_CN_YMD_RE = re.compile(
    rf"(?P<y>\d{{4}}|[〇零一二三四五六七八九]{{4}}) ?年"
    rf" ?(?P<m>{_NUM}) ?月 ?(?P<d>{_NUM})(?:{_DAY_END})?"
)
_CN_MD_RE = re.compile(rf"(?P<m>{_NUM}) ?月 ?(?P<d>{_NUM})(?:{_DAY_END})?")
_REL_YEAR_RE = re.compile(
    rf"(?P<w>今年|明年|去年|前年|后年) ?(?P<m>{_NUM}) ?月 ?(?P<d>{_NUM})(?:{_DAY_END})?"
)
_REL_MONTH_RE = re.compile(
    r"(?P<w>本月|这个月|这月|下个月|下月|上个月|上月)?"
    rf" ?(?:(?P<d>{_NUM}){_DAY_END}|(?P<end>月?[底末]))"
)
_YEAR_WORDS = {"今年": 0, "明年": 1, "去年": -1, "前年": -2, "后年": 2}
_MONTH_WORDS = {
    None: 0,
    "本月": 0,
    "这个月": 0,
    "这月": 0,
    "下个月": 1,
    "下月": 1,
    "上个月": -1,
    "上月": -1,
}


def _absolute(s: str, today: date, text: str) -> date | None:
    """Read an absolute date or day word from cleaned ``s``; ``None`` when no form matches.

    Raises :class:`DateParseError` for a recognised but impossible or ambiguous date.
    """
    s = _MIDNIGHT_RE.sub("", s)
    word = _DAY_WORDS.get(s.lower())
    if word is not None:
        return _shift(today, text, days=word)

    if m := _SEP3_RE.fullmatch(s):
        a, _sep, b, c = m.groups()
        if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
            return _make_date(int(a), int(b), int(c), text)
        if len(c) == 4 or (len(a) <= 2 and len(c) <= 2):
            raise _err_ambiguous(text)
        return None

    if m := _SEP2_RE.fullmatch(s):
        return _make_date(today.year, int(m.group(1)), int(m.group(2)), text)

    if _DIGITS_RE.fullmatch(s):
        if len(s) == 8:
            return _make_date(int(s[:4]), int(s[4:6]), int(s[6:]), text)
        if len(s) == 6:
            raise _err_ambiguous(text)  # YYMMDD or YYYYMM?
        return None

    if m := _CN_YMD_RE.fullmatch(s):
        y, mo, d = _cn_year(m["y"]), chinese_number(m["m"]), chinese_number(m["d"])
        if y is None or mo is None or d is None:
            return None
        return _make_date(y, mo, d, text)

    if m := _REL_YEAR_RE.fullmatch(s):
        mo, d = chinese_number(m["m"]), chinese_number(m["d"])
        if mo is None or d is None:
            return None
        return _make_date(today.year + _YEAR_WORDS[m["w"]], mo, d, text)

    if m := _CN_MD_RE.fullmatch(s):
        mo, d = chinese_number(m["m"]), chinese_number(m["d"])
        if mo is None or d is None:
            return None
        return _make_date(today.year, mo, d, text)

    if m := _REL_MONTH_RE.fullmatch(s):
        if m["w"] is None and m["end"] in ("底", "末"):  # a bare 底/末 is not 月底
            return None
        first = _shift(today.replace(day=1), text, months=_MONTH_WORDS[m["w"]])
        if m["end"]:
            return first.replace(day=calendar.monthrange(first.year, first.month)[1])
        d = chinese_number(m["d"])
        if d is None:
            return None
        return _make_date(first.year, first.month, d, text)

    return None


def _as_date(today: date) -> date:
    return today.date() if isinstance(today, datetime) else today


def parse_date(text: str, today: date) -> date:
    """Read an absolute date (or a day word) typed by a clerk.

    Accepted (after :func:`normalize_digits`, surrounding spaces ignored):

    * day words: ``今天``/``今日``/``today``, ``昨天``/``昨日``/``yesterday``, ``前天``, ``大前天``,
      ``明天``/``明日``/``tomorrow``, ``后天``, ``大后天``;
    * year first: ``2026-11-03``, ``2026/11/3``, ``2026.11.03`` (one separator throughout),
      ``20261103``, ``2026年11月3日``/``号`` (``日`` optional), Chinese numerals
      ``二〇二六年十一月三日``;
    * no year (= today's year): ``11月3日``, ``十一月三号``, ``11-03``, ``11/3``, ``11.3``;
      ``今年``/``去年``/``明年``/``前年``/``后年`` + ``11月3日``;
    * no month (= today's month): ``3日``, ``3号``; ``本月5日``, ``上个月5号``, ``下月5日``;
      month end: ``月底``/``月末``, ``本月底``, ``下月底``, ``上个月末``;
    * a trailing midnight as spreadsheets export date cells (``1985/3/12 0:00``,
      ``1985-03-12T00:00:00``) is ignored; any other time is refused (use
      :func:`parse_datetime`).

    ``today`` anchors the relative forms (a datetime is reduced to its date). Returns a
    :class:`datetime.date`. Raises :class:`DateParseError` (translated) for anything else,
    for year-last or two-digit-year forms (ambiguous), and for impossible dates.
    Source: DESIGN §7.4, §10 (roster dates).
    """
    today = _as_date(today)
    s = _clean(text)
    if not s:
        raise _err_empty_date(text)
    if len(s) > _MAX_INPUT:
        raise _err_date(text)
    result = _absolute(s, today, text)
    if result is None:
        raise _err_date(text)
    return result


# --------------------------------------------------------------------------- relative dates

_UNIT_ALIASES: dict[str, str] = {
    "d": "days",
    "day": "days",
    "days": "days",
    "天": "days",
    "日": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "周": "weeks",
    "星期": "weeks",
    "个星期": "weeks",
    "礼拜": "weeks",
    "个礼拜": "weeks",
    "个周": "weeks",
    "m": "months",
    "month": "months",
    "months": "months",
    "月": "months",
    "个月": "months",
    "y": "years",
    "year": "years",
    "years": "years",
    "年": "years",
}
_SIGNED_RE = re.compile(
    rf"(?P<sign>[+-]) ?(?P<n>{_NUM}) ?"
    r"(?P<unit>days?|weeks?|months?|years?|[dwmy]|天|日|个?周|个?星期|个?礼拜|个?月|年)",
    re.IGNORECASE,
)
_CN_OFFSET_RE = re.compile(
    rf"(?P<n>{_NUM}|半) ?(?P<unit>天|日|个?周|个?星期|个?礼拜|个月|年)"
    r" ?(?P<dir>以后|之后|后|以前|之前|前)"
)
_WEEKDAY_CHARS = "一二三四五六日天七1234567"
_WEEK_RE = re.compile(
    rf"(?P<which>下下|本|这|下|上) ?个? ?(?:周|星期|礼拜) ?(?P<wd>[{_WEEKDAY_CHARS}])"
)
_WEEK_OFFSETS = {"本": 0, "这": 0, "下": 1, "下下": 2, "上": -1}
_BARE_WEEKDAY_RE = re.compile(rf"(?:周|星期|礼拜) ?[{_WEEKDAY_CHARS}]")
_VAGUE_RE = re.compile(
    r"(?:下下|本|这|下|上) ?个? ?(?:周|星期|礼拜|月)"
    r"|今年|明年|去年|后年|前年|next (?:week|month|year)"
)


def _weekday_index(c: str) -> int:
    """Monday = 0 ... Sunday = 6 from ``一``..``六``/``日``/``天``/``七`` or ``1``..``7``."""
    if c.isdigit():
        return int(c) - 1
    return "一二三四五六".find(c) if c in "一二三四五六" else 6


def _offset(s: str, today: date, text: str) -> date | None:
    """Signed offsets (``+7d``, ``-2w``, ``+1m``, ``+1y``) and Chinese ones (``3天后``)."""
    if m := _SIGNED_RE.fullmatch(s):
        n = chinese_number(m["n"])
        if n is None:
            return None
        unit = _UNIT_ALIASES[m["unit"].lower()]
        return _shift_unit(today, text, unit, n if m["sign"] == "+" else -n)
    if m := _CN_OFFSET_RE.fullmatch(s):
        unit = _UNIT_ALIASES[m["unit"]]
        if m["n"] == "半":
            if unit != "years":
                return None
            n, unit = 6, "months"
        else:
            parsed = chinese_number(m["n"])
            if parsed is None:
                return None
            n = parsed
        sign = -1 if m["dir"].endswith("前") else 1
        return _shift_unit(today, text, unit, sign * n)
    return None


def _shift_unit(today: date, text: str, unit: str, n: int) -> date:
    if unit == "years":
        return _shift(today, text, years=n)
    if unit == "months":
        return _shift(today, text, months=n)
    if unit == "weeks":
        return _shift(today, text, weeks=n)
    return _shift(today, text, days=n)


def _week(s: str, today: date, text: str) -> date | None:
    """``本周五``/``这周五``, ``下周一``..``下周日``/``下周天``, ``上周三``, ``下下周二``."""
    if m := _WEEK_RE.fullmatch(s):
        monday = today - timedelta(days=today.weekday())
        weeks = _WEEK_OFFSETS[m["which"]]
        return _shift(monday, text, weeks=weeks, days=_weekday_index(m["wd"]))
    return None


def _relative(s: str, today: date, text: str) -> date | None:
    for reader in (_absolute, _offset, _week):
        result = reader(s, today, text)
        if result is not None:
            return result
    return None


def _refuse_vague(s: str, text: str) -> None:
    """Raise a specific message for forms that name no single day."""
    if _BARE_WEEKDAY_RE.fullmatch(s):
        raise DateParseError(
            _(
                "“{text}” is ambiguous: type 本{text} for this week's day or 下{text} "
                "for next week's."
            ).format(text=_shown(text)),
            text,
        )
    if _VAGUE_RE.fullmatch(s.lower()):
        raise DateParseError(
            _(
                "“{text}” is not a single day. Type e.g. +1m (one month from today), "
                "下周一 or 下个月5日."
            ).format(text=_shown(text)),
            text,
        )


def parse_relative(text: str, today: date) -> date:
    """Read a date field: every form of :func:`parse_date` plus offsets and weeks.

    Offsets from ``today`` (N in digits or Chinese numerals ``一``..``九十九``, ``两``):
    ``+7d``, ``+2w``, ``+1m``, ``+1y`` (``-`` for the past; also ``+7天``, ``+1个月``,
    ``+7 days``), ``7天后``/``7日后``/``7天以后``/``7天之后``, ``两周后``/``2个星期后``,
    ``1个月后``/``一个月后``, ``1年后``, ``半年后`` (= 6 months), ``3天前``, ``2周前``.
    Months and years use :class:`~dateutil.relativedelta.relativedelta`, so they clamp to
    the month end: 2026-01-31 + ``1个月后`` = 2026-02-28.

    Weeks (Monday first, ISO 8601): ``本周五``/``这周五``/``这个星期五``, ``下周一``..``下周日``/
    ``下周天``/``下礼拜天``, ``上周三``, ``下下周二``.

    Raises :class:`DateParseError` for anything else, with a specific message for a bare
    weekday (``周五``: this week or next?) and for forms naming no single day (``下个月``,
    ``下周``, ``明年``). Source: DESIGN §7.4.
    """
    today = _as_date(today)
    s = _clean(text)
    if not s:
        raise _err_empty_date(text)
    if len(s) > _MAX_INPUT:
        raise _err_relative(text)
    result = _relative(s, today, text)
    if result is None:
        _refuse_vague(s, text)
        raise _err_relative(text)
    return result


#: The one entry point for date fields in the UI (session date, follow-up, review date ...).
parse_date_input: Callable[[str, date], date] = parse_relative
#: Follow-up dates read the same way as every other date field.
parse_follow_up: Callable[[str, date], date] = parse_relative


# --------------------------------------------------------------------------- times

_MARKERS = "凌晨|清晨|早上|早晨|上午|中午|下午|傍晚|晚上|晚间|早|晚"
_TIME_RE = re.compile(
    rf"""
    (?:T\ ?)?
    (?:(?P<marker>{_MARKERS})\ ?)?
    (?:
        (?P<h1>\d{{1,2}}):(?P<m1>\d{{2}})(?::(?P<s1>\d{{2}}))?(?:\ ?(?P<ampm1>am|pm))?
      | (?P<h2>{_NUM})\ ?[点时]
        (?:\ ?(?:
            (?P<half>半)
          | (?P<quarter>一刻|三刻)
          | 整 | 钟
          | (?P<m2>{_NUM})(?:\ ?分(?:\ ?(?P<s2>{_NUM})\ ?秒)?)?
        ))?
      | (?P<h3>\d{{1,2}})\ ?(?P<ampm3>am|pm)
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)

# hour as typed (0-23) -> hour of day under a period-of-day word, or None when it does not fit
_MARKER_RULES: dict[str, Callable[[int], int | None]] = {
    "凌晨": lambda h: 0 if h == 12 else (h if h <= 6 else None),
    "清晨": lambda h: h if 4 <= h <= 11 else None,
    "早上": lambda h: h if 4 <= h <= 11 else None,
    "早晨": lambda h: h if 4 <= h <= 11 else None,
    "早": lambda h: h if 4 <= h <= 11 else None,
    "上午": lambda h: h if h <= 12 else None,
    "中午": lambda h: h + 12 if 1 <= h <= 2 else (h if 11 <= h <= 14 else None),
    "下午": lambda h: h + 12 if 1 <= h <= 11 else (h if 12 <= h <= 23 else None),
    "傍晚": lambda h: h + 12 if 4 <= h <= 8 else (h if 16 <= h <= 20 else None),
    "晚上": lambda h: h + 12 if 6 <= h <= 11 else (h if 18 <= h <= 23 else None),
    "晚间": lambda h: h + 12 if 6 <= h <= 11 else (h if 18 <= h <= 23 else None),
    "晚": lambda h: h + 12 if 6 <= h <= 11 else (h if 18 <= h <= 23 else None),
    "am": lambda h: 0 if h == 12 else (h if 1 <= h <= 11 else None),
    "pm": lambda h: 12 if h == 12 else (h + 12 if 1 <= h <= 11 else None),
}
# "今晚8点", "明早9点", "昨晚": a one-character day before 早/晚
_SHORT_DAYS = {"今": 0, "明": 1, "昨": -1}


def _err_time(text: str) -> DateParseError:
    return DateParseError(
        _(
            "“{text}” is not a valid time of day: hours run from 0 to 23 and minutes "
            "from 0 to 59, like 14:30."
        ).format(text=_shown(text)),
        text,
    )


def _read_time(m: re.Match[str], text: str) -> time | None:
    """The time of a :data:`_TIME_RE` match; ``None`` for malformed numerals.

    Raises :class:`DateParseError` for an hour/minute out of range or not fitting the
    period-of-day word.
    """
    second: int | None = 0
    if m["h1"] is not None:
        hour: int | None = int(m["h1"])
        minute: int | None = int(m["m1"])
        second = int(m["s1"]) if m["s1"] else 0
    elif m["h2"] is not None:
        hour = chinese_number(m["h2"])
        if m["half"]:
            minute = 30
        elif m["quarter"]:
            minute = 15 if m["quarter"] == "一刻" else 45
        elif m["m2"]:
            minute = chinese_number(m["m2"])
            second = chinese_number(m["s2"]) if m["s2"] else 0
        else:
            minute = 0
    else:
        hour, minute = int(m["h3"]), 0
    if hour is None or minute is None or second is None:
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise _err_time(text)
    marker = m["marker"]
    ampm = (m["ampm1"] or m["ampm3"] or "").lower()
    if marker and ampm:
        return None
    word = marker or ampm
    if word:
        fitted = _MARKER_RULES[word](hour)
        if fitted is None:
            raise DateParseError(
                _(
                    "In “{text}”, {hour} o'clock does not fit “{word}”. Type the time on the "
                    "24-hour clock, like 14:30."
                ).format(text=_shown(text), hour=hour, word=word),
                text,
            )
        hour = fitted
    return time(hour, minute, second)


def _date_part(prefix: str, marker: str | None, today: date, text: str) -> date | None:
    if not prefix:
        return today
    if marker in ("早", "晚") and prefix in _SHORT_DAYS:
        return _shift(today, text, days=_SHORT_DAYS[prefix])
    if len(prefix) >= 2 and prefix[-1] in "Tt" and prefix[-2].isdigit():
        prefix = prefix[:-1]
    result = _relative(prefix, today, text)
    if result is None:
        _refuse_vague(prefix, text)
    return result


def _is_ascii_digit(c: str) -> bool:
    return "0" <= c <= "9"


def parse_datetime(text: str, now: datetime) -> datetime:
    """Read a date-and-time field: a date as in :func:`parse_relative` plus an optional time.

    Times: ``14:30``, ``9:05``, ``14:30:15``, ``14点``, ``14时30分``, ``9点05``, ``九点零五``,
    ``8点半``, ``3点一刻``, ``3点整``, ``３点钟``, ``2pm``/``2:30 pm``; with a period-of-day word
    ``凌晨``/``早上``/``上午``/``中午``/``下午``/``傍晚``/``晚上`` (``下午2点`` = 14:00,
    ``晚上8点半`` = 20:30, ``中午1点`` = 13:00, ``下午14:30`` = 14:30; ``晚上3点`` is refused);
    ``今晚8点``, ``明早9点``, ``昨晚10点``. Date and time may be joined by a space, by ``T``
    (ISO 8601) or directly after a Chinese date (``11月3日下午2点``).

    No time = midnight; no date = the date of ``now``. Seconds default to 0. The result
    carries ``now.tzinfo`` (aware in, aware out; naive in, naive out). Raises
    :class:`DateParseError` for anything else, for ``24:00``/``25:00``/``14:61`` and for a
    date refused by :func:`parse_relative`. Source: DESIGN §7.4.
    """
    today = now.date()
    s = _clean(text)
    if not s:
        raise DateParseError(_("Please type a date and time, like 2026-11-03 14:30."), text)
    if len(s) > _MAX_INPUT:
        raise _err_datetime(text)

    found: list[datetime] = []
    first_error: DateParseError | None = None
    for i in range(len(s)):
        if i > 0 and _is_ascii_digit(s[i]) and _is_ascii_digit(s[i - 1]):
            continue  # never split inside a run of digits
        m = _TIME_RE.fullmatch(s, i)
        if m is None:
            continue
        try:
            t = _read_time(m, text)
            d = None if t is None else _date_part(s[:i].strip(), m["marker"], today, text)
        except DateParseError as exc:
            first_error = first_error or exc
            continue
        if t is not None and d is not None:
            found.append(datetime.combine(d, t, tzinfo=now.tzinfo))
    if found:
        if any(candidate != found[0] for candidate in found):
            raise _err_datetime(text)
        return found[0]
    if first_error is not None:
        raise first_error

    d = _relative(s, today, text)
    if d is None:
        _refuse_vague(s, text)
        raise _err_datetime(text)
    return datetime.combine(d, time(), tzinfo=now.tzinfo)


#: The one entry point for date-and-time fields in the UI.
parse_datetime_input: Callable[[str, datetime], datetime] = parse_datetime


# --------------------------------------------------------------------------- formatting


def format_date(d: date) -> str:
    """``YYYY-MM-DD`` (ISO 8601 calendar date); a datetime is shown by its own wall date."""
    return (d.date() if isinstance(d, datetime) else d).isoformat()


def format_datetime(dt: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in ``dt``'s own wall-clock time (convert to the bureau zone first)."""
    return f"{format_date(dt)} {dt.hour:02d}:{dt.minute:02d}"


def relative_hint(d: date, today: date, *, due: bool = True) -> str:
    """A short translated hint of how far ``d`` is from ``today``.

    With ``due=True`` (a due date): ``今天``/today, ``明天``/tomorrow, ``3天后到期``/in 3 days,
    ``已逾期1天``/1 day overdue, ``已逾期2天``/2 days overdue. With ``due=False`` (any date):
    the same for today and the future, and ``昨天``/yesterday, ``3天前``/3 days ago for the past.
    """
    days = (_as_date(d) - _as_date(today)).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days > 1:
        return _("in {n} days").format(n=days) if due else _("{n} days from now").format(n=days)
    if not due:
        if days == -1:
            return _("yesterday")
        return _("{n} days ago").format(n=-days)
    if days == -1:
        return _("1 day overdue")
    return _("{n} days overdue").format(n=-days)


# --------------------------------------------------------------------------- calendar arithmetic


def monthly_repeat(start: date, n: int) -> date:
    """The ``n``-th monthly repeat of ``start`` (``n=0`` is ``start``; negative goes back).

    Computed from ``start`` each time with :class:`~dateutil.relativedelta.relativedelta`,
    so a start on the 29th-31st lands on the last day of shorter months and does not drift:
    2026-01-31 -> 02-28 -> 03-31 -> 04-30. Raises ``ValueError``/``OverflowError`` outside
    years 1-9999. Source: DESIGN §7.4.
    """
    return start + relativedelta(months=n)


# --------------------------------------------------------------------------- storage and zones


def to_storage(dt: datetime) -> str:
    """ISO 8601 with an explicit offset and whole seconds: ``2026-11-03T14:30:00+08:00``.

    The offset is ``dt``'s own (store bureau-local times so strings sort chronologically);
    microseconds are dropped (truncated). Raises :class:`NaiveDatetimeError` for a naive
    datetime. Source: ISO 8601 / RFC 3339.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise NaiveDatetimeError("to_storage needs an aware datetime (with a UTC offset)")
    return dt.replace(microsecond=0).isoformat(timespec="seconds")


def from_storage(s: str) -> datetime:
    """Read a :func:`to_storage` string back (any ISO 8601 timestamp with an offset or ``Z``).

    Returns an aware datetime with a fixed-offset tzinfo; use ``.astimezone(bureau_tz())``
    to show it. Raises ``ValueError`` for malformed text and :class:`NaiveDatetimeError`
    when the offset is missing.
    """
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {s[:40]!r}") from None
    if dt.tzinfo is None:
        raise NaiveDatetimeError(f"stored timestamp has no UTC offset: {s[:40]!r}")
    return dt


def bureau_tz(name: str = DEFAULT_TZ) -> tzinfo:
    """The bureau's time zone from an IANA name (default ``Asia/Shanghai``), via ``zoneinfo``.

    Raises :class:`TimeZoneError` (translated) for an unknown or malformed name.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise TimeZoneError(
            _("Unknown time zone “{name}”: use an IANA name such as Asia/Shanghai.").format(
                name=str(name)[:40]
            )
        ) from None

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
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from counselor_tui.domain.date_input import (
    MAX_INPUT,
    NUM,
    DateParseError,
    NaiveDatetimeError,
    TimeZoneError,
    as_date,
    chinese_number,
    clean,
    cn_year,
    err_ambiguous,
    err_date,
    err_datetime,
    err_empty_date,
    err_relative,
    make_date,
    normalize_digits,
    shift,
    shown,
)
from counselor_tui.domain.date_storage import (
    bureau_tz,
    format_date,
    format_datetime,
    from_storage,
    monthly_repeat,
    relative_hint,
    to_storage,
)
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
    rf" ?(?P<m>{NUM}) ?月 ?(?P<d>{NUM})(?:{_DAY_END})?"
)
_CN_MD_RE = re.compile(rf"(?P<m>{NUM}) ?月 ?(?P<d>{NUM})(?:{_DAY_END})?")
_REL_YEAR_RE = re.compile(
    rf"(?P<w>今年|明年|去年|前年|后年) ?(?P<m>{NUM}) ?月 ?(?P<d>{NUM})(?:{_DAY_END})?"
)
_REL_MONTH_RE = re.compile(
    r"(?P<w>本月|这个月|这月|下个月|下月|上个月|上月)?"
    rf" ?(?:(?P<d>{NUM}){_DAY_END}|(?P<end>月?[底末]))"
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
        return shift(today, text, days=word)

    if m := _SEP3_RE.fullmatch(s):
        a, _sep, b, c = m.groups()
        if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
            return make_date(int(a), int(b), int(c), text)
        if len(c) == 4 or (len(a) <= 2 and len(c) <= 2):
            raise err_ambiguous(text)
        return None

    if m := _SEP2_RE.fullmatch(s):
        return make_date(today.year, int(m.group(1)), int(m.group(2)), text)

    if _DIGITS_RE.fullmatch(s):
        if len(s) == 8:
            return make_date(int(s[:4]), int(s[4:6]), int(s[6:]), text)
        if len(s) == 6:
            raise err_ambiguous(text)  # YYMMDD or YYYYMM?
        return None

    if m := _CN_YMD_RE.fullmatch(s):
        y, mo, d = cn_year(m["y"]), chinese_number(m["m"]), chinese_number(m["d"])
        if y is None or mo is None or d is None:
            return None
        return make_date(y, mo, d, text)

    if m := _REL_YEAR_RE.fullmatch(s):
        mo, d = chinese_number(m["m"]), chinese_number(m["d"])
        if mo is None or d is None:
            return None
        return make_date(today.year + _YEAR_WORDS[m["w"]], mo, d, text)

    if m := _CN_MD_RE.fullmatch(s):
        mo, d = chinese_number(m["m"]), chinese_number(m["d"])
        if mo is None or d is None:
            return None
        return make_date(today.year, mo, d, text)

    if m := _REL_MONTH_RE.fullmatch(s):
        if m["w"] is None and m["end"] in ("底", "末"):  # a bare 底/末 is not 月底
            return None
        first = shift(today.replace(day=1), text, months=_MONTH_WORDS[m["w"]])
        if m["end"]:
            return first.replace(day=calendar.monthrange(first.year, first.month)[1])
        d = chinese_number(m["d"])
        if d is None:
            return None
        return make_date(first.year, first.month, d, text)

    return None


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
    today = as_date(today)
    s = clean(text)
    if not s:
        raise err_empty_date(text)
    if len(s) > MAX_INPUT:
        raise err_date(text)
    result = _absolute(s, today, text)
    if result is None:
        raise err_date(text)
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
    rf"(?P<sign>[+-]) ?(?P<n>{NUM}) ?"
    r"(?P<unit>days?|weeks?|months?|years?|[dwmy]|天|日|个?周|个?星期|个?礼拜|个?月|年)",
    re.IGNORECASE,
)
_CN_OFFSET_RE = re.compile(
    rf"(?P<n>{NUM}|半) ?(?P<unit>天|日|个?周|个?星期|个?礼拜|个月|年)"
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
        return shift(today, text, years=n)
    if unit == "months":
        return shift(today, text, months=n)
    if unit == "weeks":
        return shift(today, text, weeks=n)
    return shift(today, text, days=n)


def _week(s: str, today: date, text: str) -> date | None:
    """``本周五``/``这周五``, ``下周一``..``下周日``/``下周天``, ``上周三``, ``下下周二``."""
    if m := _WEEK_RE.fullmatch(s):
        monday = today - timedelta(days=today.weekday())
        weeks = _WEEK_OFFSETS[m["which"]]
        return shift(monday, text, weeks=weeks, days=_weekday_index(m["wd"]))
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
            ).format(text=shown(text)),
            text,
        )
    if _VAGUE_RE.fullmatch(s.lower()):
        raise DateParseError(
            _(
                "“{text}” is not a single day. Type e.g. +1m (one month from today), "
                "下周一 or 下个月5日."
            ).format(text=shown(text)),
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
    today = as_date(today)
    s = clean(text)
    if not s:
        raise err_empty_date(text)
    if len(s) > MAX_INPUT:
        raise err_relative(text)
    result = _relative(s, today, text)
    if result is None:
        _refuse_vague(s, text)
        raise err_relative(text)
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
      | (?P<h2>{NUM})\ ?[点时]
        (?:\ ?(?:
            (?P<half>半)
          | (?P<quarter>一刻|三刻)
          | 整 | 钟
          | (?P<m2>{NUM})(?:\ ?分(?:\ ?(?P<s2>{NUM})\ ?秒)?)?
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
        ).format(text=shown(text)),
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
                ).format(text=shown(text), hour=hour, word=word),
                text,
            )
        hour = fitted
    return time(hour, minute, second)


def _date_part(prefix: str, marker: str | None, today: date, text: str) -> date | None:
    if not prefix:
        return today
    if marker in ("早", "晚") and prefix in _SHORT_DAYS:
        return shift(today, text, days=_SHORT_DAYS[prefix])
    if len(prefix) >= 2 and prefix[-1] in "Tt" and prefix[-2].isdigit():
        prefix = prefix[:-1]
    result = _relative(prefix, today, text)
    if result is None:
        _refuse_vague(prefix, text)
    return result


def _is_ascii_digit(c: str) -> bool:
    return "0" <= c <= "9"


#: Words for the present moment in a date-and-time field (after :func:`clean`, lower case).
_NOW_WORDS = frozenset({"现在", "此刻", "now"})


def parse_datetime(text: str, now: datetime) -> datetime:
    """Read a date-and-time field: a date as in :func:`parse_relative` plus an optional time.

    Times: ``14:30``, ``9:05``, ``14:30:15``, ``14点``, ``14时30分``, ``9点05``, ``九点零五``,
    ``8点半``, ``3点一刻``, ``3点整``, ``３点钟``, ``2pm``/``2:30 pm``; with a period-of-day word
    ``凌晨``/``早上``/``上午``/``中午``/``下午``/``傍晚``/``晚上`` (``下午2点`` = 14:00,
    ``晚上8点半`` = 20:30, ``中午1点`` = 13:00, ``下午14:30`` = 14:30; ``晚上3点`` is refused);
    ``今晚8点``, ``明早9点``, ``昨晚10点``. Date and time may be joined by a space, by ``T``
    (ISO 8601) or directly after a Chinese date (``11月3日下午2点``).

    ``现在``/``now`` is ``now`` to the minute. No time = midnight; no date = the date of
    ``now``. Seconds default to 0. The result
    carries ``now.tzinfo`` (aware in, aware out; naive in, naive out). Raises
    :class:`DateParseError` for anything else, for ``24:00``/``25:00``/``14:61`` and for a
    date refused by :func:`parse_relative`. Source: DESIGN §7.4.
    """
    today = now.date()
    s = clean(text)
    if not s:
        raise DateParseError(_("Please type a date and time, like 2026-11-03 14:30."), text)
    if len(s) > MAX_INPUT:
        raise err_datetime(text)

    if s.lower() in _NOW_WORDS:
        return now.replace(second=0, microsecond=0)
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
            raise err_datetime(text)
        return found[0]
    if first_error is not None:
        raise first_error

    d = _relative(s, today, text)
    if d is None:
        _refuse_vague(s, text)
        raise err_datetime(text)
    return datetime.combine(d, time(), tzinfo=now.tzinfo)


#: The one entry point for date-and-time fields in the UI.
parse_datetime_input: Callable[[str, datetime], datetime] = parse_datetime


# --------------------------------------------------------------------------- storage and zones



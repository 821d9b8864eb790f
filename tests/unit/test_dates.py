"""Typed dates and times (counselor_tui.domain.dates, DESIGN §7.4): worked examples + properties."""

from __future__ import annotations

import ast
import calendar
import string
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui import i18n
from counselor_tui.domain import dates
from counselor_tui.domain.dates import (
    DateParseError,
    NaiveDatetimeError,
    TimeZoneError,
    bureau_tz,
    chinese_number,
    format_date,
    format_datetime,
    from_storage,
    monthly_repeat,
    normalize_digits,
    parse_date,
    parse_date_input,
    parse_datetime,
    parse_datetime_input,
    parse_relative,
    relative_hint,
    to_storage,
)

TODAY = date(2026, 11, 8)  # a Sunday
CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 8, 10, 15, tzinfo=CST)
D = date
_T = TypeVar("_T")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English (the msgids), whatever catalog is compiled; restore afterwards."""
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


# --------------------------------------------------------------------------- normalize_digits


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("２０２６－１１－０３", "2026-11-03"),
        ("１４：３０", "14:30"),
        ("２０２６／１１／３", "2026/11/3"),
        ("２０２６．１１．０３", "2026.11.03"),
        ("2026。11。03", "2026.11.03"),
        ("14∶30", "14:30"),
        ("2026–11—03", "2026-11-03"),
        ("１１月３日", "11月3日"),
        ("\u3000今天\u3000", " 今天 "),
        ("＋７ｄ", "+7d"),
    ],
)
def test_normalize_digits_folds_full_width(typed: str, folded: str) -> None:
    assert normalize_digits(typed) == folded


# --------------------------------------------------------------------------- chinese_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("两", 2),
        ("二", 2),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十一", 21),
        ("三十一", 31),
        ("九十九", 99),
        ("零", 0),
        ("零五", 5),
        ("一百", 100),
        ("一百零五", 105),
        ("一百一十", 110),
        ("一百十", 110),
        ("两百", 200),
        ("42", 42),
    ],
)
def test_chinese_number_reads(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["", "百", "十两", "两十", "二两", "一百五", "一二", "1十", "abc"])
def test_chinese_number_refuses_malformed(text: str) -> None:
    assert chinese_number(text) is None


def cn(n: int) -> str:
    """Reference rendering of 1..99 in Chinese numerals (independent of the parser)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[units] if units else "")


@given(st.integers(min_value=1, max_value=99))
def test_chinese_number_round_trips_1_to_99(n: int) -> None:
    assert chinese_number(cn(n)) == n


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("今天", TODAY),
        ("今日", TODAY),
        ("today", TODAY),
        ("Today", TODAY),
        ("昨天", D(2026, 11, 7)),
        ("yesterday", D(2026, 11, 7)),
        ("前天", D(2026, 11, 6)),
        ("大前天", D(2026, 11, 5)),
        ("明天", D(2026, 11, 9)),
        ("后天", D(2026, 11, 10)),
        ("大后天", D(2026, 11, 11)),
        ("2026-11-03", D(2026, 11, 3)),
        ("2026-11-3", D(2026, 11, 3)),
        ("2026/11/3", D(2026, 11, 3)),
        ("2026/11/03", D(2026, 11, 3)),
        ("2026.11.03", D(2026, 11, 3)),
        ("2026 - 11 - 03", D(2026, 11, 3)),
        ("20261103", D(2026, 11, 3)),
        ("2026年11月3日", D(2026, 11, 3)),
        ("2026年11月3号", D(2026, 11, 3)),
        ("2026 年 11 月 3 日", D(2026, 11, 3)),
        ("2026年11月3", D(2026, 11, 3)),
        ("二〇二六年十一月三日", D(2026, 11, 3)),
        ("二零二六年十一月三十日", D(2026, 11, 30)),
        ("11月3日", D(2026, 11, 3)),
        ("11月3号", D(2026, 11, 3)),
        ("十一月三日", D(2026, 11, 3)),
        ("十二月二十五日", D(2026, 12, 25)),
        ("1月1日", D(2026, 1, 1)),  # today's year, even though it is past
        ("11-03", D(2026, 11, 3)),
        ("11/3", D(2026, 11, 3)),
        ("3/15", D(2026, 3, 15)),
        ("11.3", D(2026, 11, 3)),
        ("3日", D(2026, 11, 3)),
        ("3号", D(2026, 11, 3)),
        ("三号", D(2026, 11, 3)),
        ("30号", D(2026, 11, 30)),
        ("今年3月5日", D(2026, 3, 5)),
        ("去年12月31日", D(2025, 12, 31)),
        ("明年1月5日", D(2027, 1, 5)),
        ("本月5日", D(2026, 11, 5)),
        ("上个月5号", D(2026, 10, 5)),
        ("下月5日", D(2026, 12, 5)),
        ("月底", D(2026, 11, 30)),
        ("本月底", D(2026, 11, 30)),
        ("下月底", D(2026, 12, 31)),
        ("上个月末", D(2026, 10, 31)),
        # full-width and surrounding spaces
        ("２０２６－１１－０３", D(2026, 11, 3)),
        ("２０２６／１１／３", D(2026, 11, 3)),
        ("２０２６年１１月３日", D(2026, 11, 3)),
        ("１１月３日", D(2026, 11, 3)),
        ("２０２６１１０３", D(2026, 11, 3)),
        ("  2026-11-03\t", D(2026, 11, 3)),
        ("\u30002026-11-03\u3000", D(2026, 11, 3)),
        ("2026。11。03", D(2026, 11, 3)),
        # roster birth dates (DESIGN §10)
        ("1985.03.12", D(1985, 3, 12)),
        ("1985年3月12日", D(1985, 3, 12)),
        ("19850312", D(1985, 3, 12)),
        ("1985/3/12", D(1985, 3, 12)),
        ("１９８５．０３．１２ ", D(1985, 3, 12)),
        ("1985/3/12 0:00", D(1985, 3, 12)),  # spreadsheet export of a date cell
        ("1985-03-12 00:00:00", D(1985, 3, 12)),
        ("1985-03-12T00:00:00", D(1985, 3, 12)),
        # leap years
        ("2024-02-29", D(2024, 2, 29)),
        ("2000-02-29", D(2000, 2, 29)),
    ],
)
def test_parse_date_reads(typed: str, expected: date) -> None:
    assert parse_date(typed, TODAY) == expected


def test_parse_date_month_day_uses_todays_year_in_a_leap_year() -> None:
    assert parse_date("2月29日", D(2024, 6, 1)) == D(2024, 2, 29)


def test_parse_date_accepts_datetime_as_today() -> None:
    assert parse_date("昨天", datetime(2026, 11, 8, 23, 59)) == D(2026, 11, 7)
    assert type(parse_date("昨天", datetime(2026, 11, 8, 23, 59))) is date


def test_day_words_cross_month_and_year() -> None:
    assert parse_date("昨天", D(2026, 1, 1)) == D(2025, 12, 31)
    assert parse_date("明天", D(2024, 2, 28)) == D(2024, 2, 29)
    assert parse_date("下月底", D(2024, 1, 31)) == D(2024, 2, 29)


@pytest.mark.parametrize(
    "typed",
    [
        "03/11/2026",  # day-first or month-first: never guessed
        "3/11/2026",
        "13/11/2026",  # only one reading is possible, but the habit is ambiguous: refused too
        "11-03-2026",
        "03.11.2026",
        "26-11-03",  # two-digit year
        "26/11/3",
        "261103",  # YYMMDD or YYYYMM?
    ],
)
def test_parse_date_refuses_ambiguous_forms(typed: str) -> None:
    with pytest.raises(DateParseError, match="ambiguous") as info:
        parse_date(typed, TODAY)
    assert "2026-11-03" in str(info.value)  # the message shows an accepted form
    assert info.value.text == typed


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("2026-02-30", "no day 30 in 2026-02, which has 28 days"),
        ("2026-02-29", "no day 29 in 2026-02, which has 28 days"),
        ("1900-02-29", "no day 29 in 1900-02, which has 28 days"),
        ("2026-04-31", "no day 31 in 2026-04, which has 30 days"),
        ("2026-11-00", "no day 0 in 2026-11"),
        ("2026-13-01", "no month 13"),
        ("2026-00-10", "no month 0"),
        ("20261301", "no month 13"),
        ("2026年2月30日", "no day 30 in 2026-02"),
        ("2月29日", "no day 29 in 2026-02"),
        ("13/1", "no month 13"),  # a day-first 13 January is not guessed
        ("31号", "no day 31 in 2026-11"),
        ("下月32日", "no day 32 in 2026-12"),
        ("0000-01-01", "outside the range"),
    ],
)
def test_parse_date_refuses_impossible_dates(typed: str, reason: str) -> None:
    with pytest.raises(DateParseError, match=reason):
        parse_date(typed, TODAY)


@pytest.mark.parametrize(
    "typed",
    [
        "3",  # a bare number
        "2026-11",  # no day
        "11/2026",
        "2026",
        "abc",
        "2026-11/03",  # mixed separators
        "2026年11月",
        "3 日 后",
        "+7d",  # offsets are parse_relative's
        "下周一",
        "2026-11-03 14:30",
        "2026-11-03 00:01",
        "2026-11-03 0:00 下午",
        "底",
        "末",
        "2026-11-03T00:00:00+08:00",
        "1" * 200,
    ],
)
def test_parse_date_refuses_what_it_does_not_read(typed: str) -> None:
    with pytest.raises(DateParseError, match="Cannot read") as info:
        parse_date(typed, TODAY)
    assert "2026-11-03" in str(info.value)


@pytest.mark.parametrize("typed", ["", "   ", "\u3000"])
def test_parse_date_empty_asks_for_a_date(typed: str) -> None:
    with pytest.raises(DateParseError, match="Please type a date"):
        parse_date(typed, TODAY)


def test_error_message_quotes_long_input_shortened() -> None:
    typed = "这不是日期" * 10
    with pytest.raises(DateParseError) as info:
        parse_date(typed, TODAY)
    assert "这不是日期这不是日期" in str(info.value)
    assert typed not in str(info.value)
    assert "…" in str(info.value)


def test_date_parse_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Cannot read"):
        parse_date("nonsense", TODAY)


# --------------------------------------------------------------------------- parse_relative


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+7d", D(2026, 11, 15)),
        ("+7D", D(2026, 11, 15)),
        ("+0d", TODAY),
        ("+2w", D(2026, 11, 22)),
        ("+1m", D(2026, 12, 8)),
        ("+1y", D(2027, 11, 8)),
        ("+7 days", D(2026, 11, 15)),
        ("+1 month", D(2026, 12, 8)),
        ("+7天", D(2026, 11, 15)),
        ("+1个月", D(2026, 12, 8)),
        ("-3d", D(2026, 11, 5)),
        ("＋７ｄ", D(2026, 11, 15)),
        ("7天后", D(2026, 11, 15)),
        ("3天后", D(2026, 11, 11)),
        ("3日后", D(2026, 11, 11)),
        ("3天以后", D(2026, 11, 11)),
        ("3天之后", D(2026, 11, 11)),
        ("七天后", D(2026, 11, 15)),
        ("十天后", D(2026, 11, 18)),
        ("二十一天后", D(2026, 11, 29)),
        ("九十九天后", D(2027, 2, 15)),
        ("两周后", D(2026, 11, 22)),
        ("2周后", D(2026, 11, 22)),
        ("一周后", D(2026, 11, 15)),
        ("两个星期后", D(2026, 11, 22)),
        ("1个月后", D(2026, 12, 8)),
        ("一个月后", D(2026, 12, 8)),
        ("3个月后", D(2027, 2, 8)),
        ("三个月后", D(2027, 2, 8)),
        ("半年后", D(2027, 5, 8)),
        ("1年后", D(2027, 11, 8)),
        ("3天前", D(2026, 11, 5)),
        ("2周前", D(2026, 10, 25)),
        ("1个月前", D(2026, 10, 8)),
        # weeks start on Monday; TODAY is Sunday 2026-11-08
        ("下周一", D(2026, 11, 9)),
        ("下周二", D(2026, 11, 10)),
        ("下周三", D(2026, 11, 11)),
        ("下周四", D(2026, 11, 12)),
        ("下周五", D(2026, 11, 13)),
        ("下周六", D(2026, 11, 14)),
        ("下周日", D(2026, 11, 15)),
        ("下周天", D(2026, 11, 15)),
        ("下星期一", D(2026, 11, 9)),
        ("下个礼拜天", D(2026, 11, 15)),
        ("本周五", D(2026, 11, 6)),  # this week's Friday, already past
        ("这周五", D(2026, 11, 6)),
        ("这个星期五", D(2026, 11, 6)),
        ("本周日", D(2026, 11, 8)),
        ("上周三", D(2026, 10, 28)),
        ("下下周二", D(2026, 11, 17)),
        # every absolute form of parse_date too
        ("2026-11-03", D(2026, 11, 3)),
        ("11月3日", D(2026, 11, 3)),
        ("昨天", D(2026, 11, 7)),
        ("下月5日", D(2026, 12, 5)),
    ],
)
def test_parse_relative_reads(typed: str, expected: date) -> None:
    assert parse_relative(typed, TODAY) == expected


def test_week_words_from_a_monday() -> None:
    monday = D(2026, 11, 2)
    assert parse_relative("下周一", monday) == D(2026, 11, 9)
    assert parse_relative("本周一", monday) == monday
    assert parse_relative("本周五", monday) == D(2026, 11, 6)


@pytest.mark.parametrize(
    ("start", "typed", "expected"),
    [
        (D(2026, 1, 31), "1个月后", D(2026, 2, 28)),  # clamps to month end
        (D(2024, 1, 31), "1个月后", D(2024, 2, 29)),  # leap year
        (D(2026, 1, 31), "+1m", D(2026, 2, 28)),
        (D(2026, 3, 31), "1个月前", D(2026, 2, 28)),
        (D(2026, 8, 31), "半年后", D(2027, 2, 28)),
        (D(2024, 2, 29), "1年后", D(2025, 2, 28)),
        (D(2024, 2, 29), "+4y", D(2028, 2, 29)),
        (D(2026, 10, 31), "3个月后", D(2027, 1, 31)),
    ],
)
def test_month_arithmetic_clamps_to_month_end(start: date, typed: str, expected: date) -> None:
    assert parse_relative(typed, start) == expected


@pytest.mark.parametrize("typed", ["周五", "星期五", "礼拜一", "周日"])
def test_bare_weekday_is_refused_as_ambiguous(typed: str) -> None:
    with pytest.raises(DateParseError, match="ambiguous") as info:
        parse_relative(typed, TODAY)
    assert f"本{typed}" in str(info.value)
    assert f"下{typed}" in str(info.value)


@pytest.mark.parametrize(
    "typed", ["下个月", "下月", "下周", "下星期", "本周", "明年", "next month"]
)
def test_vague_spans_are_refused(typed: str) -> None:
    with pytest.raises(DateParseError, match="not a single day"):
        parse_relative(typed, TODAY)


@pytest.mark.parametrize(
    "typed",
    [
        "+7",  # no unit: never guessed
        "7",
        "3月后",  # reads as "after March"; 3个月后 is accepted
        "三月后",
        "半个月后",
        "半天后",
        "+1x",
        "一百五天后",
        "下周八",
    ],
)
def test_parse_relative_refuses_unclear_offsets(typed: str) -> None:
    with pytest.raises(DateParseError, match="Cannot read"):
        parse_relative(typed, TODAY)


@pytest.mark.parametrize("typed", ["+99999y", "+99999m", "-99999y", "-99999m", "+8000y"])
def test_offsets_beyond_the_calendar_are_refused(typed: str) -> None:
    with pytest.raises(DateParseError, match="outside the range"):
        parse_relative(typed, TODAY)


def test_ui_entry_points_are_the_documented_functions() -> None:
    assert parse_date_input is parse_relative
    assert parse_datetime_input is parse_datetime
    assert dates.parse_follow_up is parse_relative


# --------------------------------------------------------------------------- parse_datetime


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("今天 14:30", datetime(2026, 11, 8, 14, 30)),
        ("今天14:30", datetime(2026, 11, 8, 14, 30)),
        ("昨天 9:05", datetime(2026, 11, 7, 9, 5)),
        ("14:30", datetime(2026, 11, 8, 14, 30)),
        ("9:05", datetime(2026, 11, 8, 9, 5)),
        ("0:00", datetime(2026, 11, 8, 0, 0)),
        ("23:59", datetime(2026, 11, 8, 23, 59)),
        ("14:30:15", datetime(2026, 11, 8, 14, 30, 15)),
        ("2026-11-03 14:30", datetime(2026, 11, 3, 14, 30)),
        ("2026-11-03T14:30", datetime(2026, 11, 3, 14, 30)),
        ("2026-11-03T14:30:00", datetime(2026, 11, 3, 14, 30)),
        ("2026/11/3 8:00", datetime(2026, 11, 3, 8, 0)),
        ("11月3日 下午2点", datetime(2026, 11, 3, 14, 0)),
        ("11月3日下午2点", datetime(2026, 11, 3, 14, 0)),
        ("2026年11月3日14时30分", datetime(2026, 11, 3, 14, 30)),
        ("下午2点30分", datetime(2026, 11, 8, 14, 30)),
        ("下午2:30", datetime(2026, 11, 8, 14, 30)),
        ("下午14:30", datetime(2026, 11, 8, 14, 30)),
        ("上午9时", datetime(2026, 11, 8, 9, 0)),
        ("上午十点", datetime(2026, 11, 8, 10, 0)),
        ("晚上8点半", datetime(2026, 11, 8, 20, 30)),
        ("晚上八点半", datetime(2026, 11, 8, 20, 30)),
        ("中午12点", datetime(2026, 11, 8, 12, 0)),
        ("中午1点", datetime(2026, 11, 8, 13, 0)),
        ("凌晨3点", datetime(2026, 11, 8, 3, 0)),
        ("凌晨12点", datetime(2026, 11, 8, 0, 0)),
        ("早上7点", datetime(2026, 11, 8, 7, 0)),
        ("傍晚6点", datetime(2026, 11, 8, 18, 0)),
        ("下午两点", datetime(2026, 11, 8, 14, 0)),
        ("下午三点一刻", datetime(2026, 11, 8, 15, 15)),
        ("下午3点三刻", datetime(2026, 11, 8, 15, 45)),
        ("下午3点整", datetime(2026, 11, 8, 15, 0)),
        ("下午3点钟", datetime(2026, 11, 8, 15, 0)),
        ("14点", datetime(2026, 11, 8, 14, 0)),
        ("14时", datetime(2026, 11, 8, 14, 0)),
        ("14时30分", datetime(2026, 11, 8, 14, 30)),
        ("14点30", datetime(2026, 11, 8, 14, 30)),
        ("14点05分", datetime(2026, 11, 8, 14, 5)),
        ("9点5分", datetime(2026, 11, 8, 9, 5)),
        ("九点零五", datetime(2026, 11, 8, 9, 5)),
        ("十四点三十分", datetime(2026, 11, 8, 14, 30)),
        ("14点30分15秒", datetime(2026, 11, 8, 14, 30, 15)),
        ("3点", datetime(2026, 11, 8, 3, 0)),  # no period-of-day word: 24-hour clock
        ("１４：３０", datetime(2026, 11, 8, 14, 30)),
        ("２０２６－１１－０３　１４：３０", datetime(2026, 11, 3, 14, 30)),
        ("今天 １４点３０分", datetime(2026, 11, 8, 14, 30)),
        ("今晚8点", datetime(2026, 11, 8, 20, 0)),
        ("明早9点", datetime(2026, 11, 9, 9, 0)),
        ("昨晚10点", datetime(2026, 11, 7, 22, 0)),
        ("明天上午9点", datetime(2026, 11, 9, 9, 0)),
        ("下周一下午3点", datetime(2026, 11, 9, 15, 0)),
        ("下周一 15:00", datetime(2026, 11, 9, 15, 0)),
        ("下周一十点", datetime(2026, 11, 9, 10, 0)),
        ("3天后 9:00", datetime(2026, 11, 11, 9, 0)),
        ("2pm", datetime(2026, 11, 8, 14, 0)),
        ("2:30 PM", datetime(2026, 11, 8, 14, 30)),
        ("12am", datetime(2026, 11, 8, 0, 0)),
        ("today 9:05", datetime(2026, 11, 8, 9, 5)),
        # the present moment (NOW is 10:15)
        ("现在", datetime(2026, 11, 8, 10, 15)),
        (" Now ", datetime(2026, 11, 8, 10, 15)),
        # a date alone is midnight
        ("今天", datetime(2026, 11, 8, 0, 0)),
        ("2026-11-03", datetime(2026, 11, 3, 0, 0)),
        ("下周五", datetime(2026, 11, 13, 0, 0)),
    ],
)
def test_parse_datetime_reads(typed: str, expected: datetime) -> None:
    result = parse_datetime(typed, NOW)
    assert result == expected.replace(tzinfo=CST)
    assert result.tzinfo is CST


def test_now_is_read_to_the_minute() -> None:
    assert parse_datetime("现在", NOW.replace(second=42, microsecond=7)) == NOW


def test_parse_datetime_keeps_the_zone_of_now() -> None:
    shanghai = bureau_tz()
    now = datetime(2026, 11, 8, 10, 0, tzinfo=shanghai)
    result = parse_datetime("昨天 9:05", now)
    assert result.tzinfo is shanghai
    assert result.utcoffset() == timedelta(hours=8)
    assert to_storage(result) == "2026-11-07T09:05:00+08:00"


def test_parse_datetime_naive_in_naive_out() -> None:
    assert parse_datetime("14:30", datetime(2026, 11, 8, 1, 2)) == datetime(2026, 11, 8, 14, 30)
    assert parse_datetime("14:30", datetime(2026, 11, 8, 1, 2)).tzinfo is None


@pytest.mark.parametrize(
    "typed", ["25:00", "24:00", "14:61", "14:30:60", "今天 25:00", "25点", "14点61分", "99:99"]
)
def test_parse_datetime_refuses_impossible_times(typed: str) -> None:
    with pytest.raises(DateParseError, match="not a valid time of day"):
        parse_datetime(typed, NOW)


@pytest.mark.parametrize("typed", ["晚上3点", "晚上12点", "下午0点", "上午13点", "早上2点", "13pm"])
def test_parse_datetime_refuses_hours_that_do_not_fit_the_period_word(typed: str) -> None:
    with pytest.raises(DateParseError, match=r"does not fit|Cannot read"):
        parse_datetime(typed, NOW)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("2026-02-30 14:30", "no day 30 in 2026-02"),
        ("03/11/2026 14:30", "ambiguous"),
        ("周五 14:30", "ambiguous"),
        ("下周 3点", "not a single day"),
        ("下个月", "not a single day"),
        ("今天 下午", "Cannot read"),
        ("2026-11-0314:30", "Cannot read"),  # no separator between date and time digits
        ("14:3", "Cannot read"),
        ("1430", "Cannot read"),
        ("2026-11-03T14:30+08:00", "Cannot read"),  # offsets are not typed
        ("abc", "Cannot read"),
    ],
)
def test_parse_datetime_refuses(typed: str, reason: str) -> None:
    with pytest.raises(DateParseError, match=reason):
        parse_datetime(typed, NOW)


def test_parse_datetime_empty() -> None:
    with pytest.raises(DateParseError, match="Please type a date and time"):
        parse_datetime("  ", NOW)


# --------------------------------------------------------------------------- formatting and hints


def test_format_date_and_datetime() -> None:
    assert format_date(D(2026, 11, 3)) == "2026-11-03"
    assert format_date(D(985, 1, 2)) == "0985-01-02"
    assert format_date(datetime(2026, 11, 3, 23, 0)) == "2026-11-03"
    assert format_datetime(datetime(2026, 11, 3, 9, 5, 59, tzinfo=CST)) == "2026-11-03 09:05"


@pytest.mark.parametrize(
    ("offset", "due_hint", "plain_hint"),
    [
        (0, "today", "today"),
        (1, "tomorrow", "tomorrow"),
        (3, "in 3 days", "3 days from now"),
        (30, "in 30 days", "30 days from now"),
        (-1, "1 day overdue", "yesterday"),
        (-2, "2 days overdue", "2 days ago"),
        (-45, "45 days overdue", "45 days ago"),
    ],
)
def test_relative_hint(offset: int, due_hint: str, plain_hint: str) -> None:
    d = TODAY + timedelta(days=offset)
    assert relative_hint(d, TODAY) == due_hint
    assert relative_hint(d, TODAY, due=False) == plain_hint


def test_relative_hint_across_month_end() -> None:
    assert relative_hint(D(2026, 3, 1), D(2026, 2, 27)) == "in 2 days"


# --------------------------------------------------------------------------- monthly_repeat


def test_monthly_repeat_does_not_drift() -> None:
    start = D(2026, 1, 31)
    assert [monthly_repeat(start, n) for n in range(6)] == [
        D(2026, 1, 31),
        D(2026, 2, 28),
        D(2026, 3, 31),
        D(2026, 4, 30),
        D(2026, 5, 31),
        D(2026, 6, 30),
    ]


def test_monthly_repeat_leap_february_and_year_end() -> None:
    assert monthly_repeat(D(2024, 1, 30), 1) == D(2024, 2, 29)
    assert monthly_repeat(D(2024, 1, 29), 1) == D(2024, 2, 29)
    assert monthly_repeat(D(2025, 1, 29), 1) == D(2025, 2, 28)
    assert monthly_repeat(D(2026, 11, 15), 3) == D(2027, 2, 15)
    assert monthly_repeat(D(2026, 3, 31), -1) == D(2026, 2, 28)


# --------------------------------------------------------------------------- storage and zones


def test_to_storage_iso_with_offset_and_seconds() -> None:
    dt = datetime(2026, 11, 3, 14, 30, 0, 987654, tzinfo=bureau_tz())
    assert to_storage(dt) == "2026-11-03T14:30:00+08:00"
    assert to_storage(datetime(2026, 11, 3, 6, 30, tzinfo=UTC)) == ("2026-11-03T06:30:00+00:00")


def test_to_storage_refuses_naive() -> None:
    with pytest.raises(NaiveDatetimeError):
        to_storage(datetime(2026, 11, 3, 14, 30))


def test_from_storage() -> None:
    dt = from_storage("2026-11-03T14:30:00+08:00")
    assert dt == datetime(2026, 11, 3, 6, 30, tzinfo=UTC)
    assert dt.utcoffset() == timedelta(hours=8)
    assert from_storage("2026-11-03T06:30:00Z") == dt
    with pytest.raises(NaiveDatetimeError):
        from_storage("2026-11-03T14:30:00")
    with pytest.raises(ValueError, match="not an ISO 8601 timestamp"):
        from_storage("03/11/2026 14:30")


def test_bureau_tz() -> None:
    tz = bureau_tz()
    assert datetime(2026, 7, 1, 12, tzinfo=tz).utcoffset() == timedelta(hours=8)
    assert datetime(2026, 7, 1, 12, tzinfo=bureau_tz("Asia/Urumqi")).utcoffset() == timedelta(
        hours=6
    )
    for bad in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(TimeZoneError, match="Unknown time zone"):
            bureau_tz(bad)


# --------------------------------------------------------------------------- properties

any_date = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31))
any_today = st.dates(min_value=D(1950, 1, 1), max_value=D(2099, 12, 31))
FULL_WIDTH = str.maketrans("0123456789-/.:", "０１２３４５６７８９－／．：")


@given(any_date, any_today)
def test_property_format_then_parse_is_identity(d: date, today: date) -> None:
    assert parse_date(format_date(d), today) == d


@given(any_date, any_today, st.booleans())
def test_property_chinese_year_month_day(d: date, today: date, hao: bool) -> None:
    typed = f"{d.year}年{d.month}月{d.day}{'号' if hao else '日'}"
    assert parse_date(typed, today) == d


@given(any_date, any_today, st.sampled_from("-/."), st.booleans())
def test_property_full_width_and_separators(d: date, today: date, sep: str, pad: bool) -> None:
    typed = (
        f"{d.year}{sep}{d.month:02d}{sep}{d.day:02d}"
        if pad
        else f"{d.year}{sep}{d.month}{sep}{d.day}"
    )
    assert parse_date(typed, today) == d
    assert parse_date(typed.translate(FULL_WIDTH), today) == d


@given(any_date, any_today)
def test_property_compact_form(d: date, today: date) -> None:
    assert parse_date(f"{d.year:04d}{d.month:02d}{d.day:02d}", today) == d


@given(any_date, any_today)
def test_property_chinese_numeral_month_day_is_in_todays_year(d: date, today: date) -> None:
    typed = f"{cn(d.month)}月{cn(d.day)}日"
    if d.month == 2 and d.day == 29 and not calendar.isleap(today.year):
        with pytest.raises(DateParseError, match="no day 29"):
            parse_date(typed, today)
    else:
        assert parse_date(typed, today) == d.replace(year=today.year)


@given(any_date, any_today)
def test_property_year_last_is_always_refused(d: date, today: date) -> None:
    with pytest.raises(DateParseError, match="ambiguous"):
        parse_date(f"{d.day:02d}/{d.month:02d}/{d.year}", today)


@given(any_date, st.integers(min_value=-1200, max_value=1200))
def test_property_monthly_repeat(start: date, n: int) -> None:
    result = monthly_repeat(start, n)
    months = start.year * 12 + start.month - 1 + n
    assert (result.year, result.month) == (months // 12, months % 12 + 1)
    length = calendar.monthrange(result.year, result.month)[1]
    assert result.day <= length
    assert result.day == min(start.day, length)


@given(any_today, st.integers(min_value=0, max_value=3650))
def test_property_plus_n_days(today: date, n: int) -> None:
    assert parse_relative(f"+{n}d", today) == today + timedelta(days=n)
    assert parse_relative(f"{n}天后", today) == today + timedelta(days=n)


@given(any_today, st.integers(min_value=1, max_value=99))
def test_property_chinese_numeral_offsets(today: date, n: int) -> None:
    assert parse_relative(f"{cn(n)}天后", today) == today + timedelta(days=n)
    assert parse_relative(f"{cn(n)}周后", today) == today + timedelta(weeks=n)


@given(any_today, st.integers(min_value=0, max_value=120))
def test_property_month_offsets_agree_with_monthly_repeat(today: date, n: int) -> None:
    assert parse_relative(f"{n}个月后", today) == monthly_repeat(today, n)
    assert parse_relative(f"+{n}m", today) == monthly_repeat(today, n)


@given(any_today, st.sampled_from("一二三四五六日"), st.sampled_from(["本", "下", "上"]))
def test_property_week_words(today: date, wd: str, which: str) -> None:
    result = parse_relative(f"{which}周{wd}", today)
    assert result.weekday() == "一二三四五六日".index(wd)
    weeks = {"本": 0, "下": 1, "上": -1}[which]
    this_monday = today - timedelta(days=today.weekday())
    assert result - timedelta(days=result.weekday()) == this_monday + timedelta(weeks=weeks)


@given(
    any_date,
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
)
def test_property_datetime_forms(d: date, hour: int, minute: int) -> None:
    expected = datetime.combine(d, time(hour, minute), tzinfo=CST)
    assert parse_datetime(f"{format_date(d)} {hour}:{minute:02d}", NOW) == expected
    assert parse_datetime(f"{d.year}年{d.month}月{d.day}日{hour}点{minute}分", NOW) == expected
    assert parse_datetime(f"{hour:02d}:{minute:02d}".translate(FULL_WIDTH), NOW) == (
        datetime.combine(NOW.date(), time(hour, minute), tzinfo=CST)
    )


@given(
    st.datetimes(
        min_value=datetime(1950, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([CST, UTC, timezone(timedelta(hours=-5, minutes=-30))]),
    )
)
def test_property_storage_round_trip(dt: datetime) -> None:
    back = from_storage(to_storage(dt))
    assert back == dt.replace(microsecond=0)
    assert back.utcoffset() == dt.utcoffset()


def outcome(parse: Callable[[str, _T], object], text: str, anchor: _T) -> object:
    """The parser's result, or the DateParseError it raised (any other exception escapes)."""
    try:
        return parse(text, anchor)
    except DateParseError as exc:
        return exc


DATE_LIKE = "0123456789０１-/.:：年月日号点时分半天后前周个下本上今明昨午晚早 +dwmyT一二两三十"


@given(st.one_of(st.text(max_size=40), st.text(alphabet=DATE_LIKE, max_size=16)), any_today)
def test_property_any_text_parses_or_is_refused_cleanly(text: str, today: date) -> None:
    now = datetime.combine(today, time(12), tzinfo=CST)
    for result in (outcome(parse_date, text, today), outcome(parse_relative, text, today)):
        assert type(result) is date or (isinstance(result, DateParseError) and str(result))
    result = outcome(parse_datetime, text, now)
    if isinstance(result, datetime):
        assert result.tzinfo is CST
    else:
        assert isinstance(result, DateParseError)
        assert str(result)


# --------------------------------------------------------------------------- translations

LOCALE = Path(dates.__file__).parents[1] / "locale"
SOURCES = [Path(dates.__file__), *(Path(dates.__file__).with_name(f"{name}.py")
                                   for name in ("date_input", "date_storage", "periods"))]


def source_msgids() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"_", "N_"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    with (LOCALE / lang / "dates.po").open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if isinstance(m.string, str)}
    msgids = source_msgids()
    assert len(msgids) > 20
    for msgid in msgids:
        translated = catalog.get(msgid)
        assert translated, f"{lang}: no translation for {msgid!r}"
        assert isinstance(translated, str)
        assert fields(translated) == fields(msgid), msgid
        values = {name: 7 for name in fields(msgid)}
        assert translated.format(**values)  # formats with the placeholders the code passes
        if lang == "en":
            assert translated == msgid


def test_chinese_hints_read_as_specified() -> None:
    with (LOCALE / "zh" / "dates.po").open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if isinstance(m.string, str)}
    assert catalog["today"] == "今天"
    assert catalog["in {n} days"].format(n=3) == "3天后到期"
    assert catalog["{n} days overdue"].format(n=2) == "已逾期2天"
    assert catalog["yesterday"] == "昨天"

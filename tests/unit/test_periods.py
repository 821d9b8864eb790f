"""Reporting periods (counselor_tui.domain.periods, DESIGN §7.4, §8; policy.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui import i18n
from counselor_tui.domain.dates import bureau_tz
from counselor_tui.domain.periods import (
    DEFAULT_DUE_DAY,
    KINDS,
    Period,
    PeriodKind,
    PeriodParseError,
    datetime_bounds,
    due_date,
    following,
    parse_period,
    period_of,
    previous,
)

D = date


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


@pytest.mark.parametrize(
    ("typed", "kind", "start", "end", "label"),
    [
        ("2026-11", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("2026-12", "month", D(2026, 12, 1), D(2027, 1, 1), "2026-12"),
        ("2026-3", "month", D(2026, 3, 1), D(2026, 4, 1), "2026-03"),
        ("2026/11", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("2026.11", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("202611", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("2026年11月", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("2026年11月份", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("2026年十一月", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("２０２６－１１", "month", D(2026, 11, 1), D(2026, 12, 1), "2026-11"),
        ("2026-Q4", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026-Q1", "quarter", D(2026, 1, 1), D(2026, 4, 1), "2026-Q1"),
        ("2026-q2", "quarter", D(2026, 4, 1), D(2026, 7, 1), "2026-Q2"),
        ("2026Q3", "quarter", D(2026, 7, 1), D(2026, 10, 1), "2026-Q3"),
        ("2026 Q4", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("Q4 2026", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026年Q4", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026年第4季度", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026年第四季度", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026年四季度", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026年第一季", "quarter", D(2026, 1, 1), D(2026, 4, 1), "2026-Q1"),
        ("２０２６－Ｑ４", "quarter", D(2026, 10, 1), D(2027, 1, 1), "2026-Q4"),
        ("2026", "year", D(2026, 1, 1), D(2027, 1, 1), "2026"),
        ("2026年", "year", D(2026, 1, 1), D(2027, 1, 1), "2026"),
        ("2026年度", "year", D(2026, 1, 1), D(2027, 1, 1), "2026"),
        (" 2026 ", "year", D(2026, 1, 1), D(2027, 1, 1), "2026"),
    ],
)
def test_parse_period(typed: str, kind: str, start: date, end: date, label: str) -> None:
    period = parse_period(typed)
    assert (period.kind, period.start, period.end, period.label) == (kind, start, end, label)
    assert str(period) == label


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("2026-13", "no month 13"),
        ("2026-00", "no month 0"),
        ("2026年13月", "no month 13"),
        ("2026-Q5", "no quarter 5"),
        ("2026-Q0", "no quarter 0"),
        ("2026年第五季度", "no quarter 5"),
        ("26-11", "Cannot read"),
        ("11/2026", "Cannot read"),
        ("2026-11-03", "Cannot read"),  # a date is not a period
        ("2026-H1", "Cannot read"),
        ("2026年上半年", "Cannot read"),
        ("0000", "Cannot read"),
        ("9999", "Cannot read"),  # its end would be outside the calendar
        ("", "Cannot read"),
        ("本月", "Cannot read"),
    ],
)
def test_parse_period_refuses(typed: str, reason: str) -> None:
    with pytest.raises(PeriodParseError, match=reason) as info:
        parse_period(typed)
    if reason == "Cannot read":
        assert "2026-Q4" in str(info.value)


def test_period_of_and_contains() -> None:
    nov = period_of("month", D(2026, 11, 17))
    assert nov == Period("month", D(2026, 11, 1), D(2026, 12, 1))
    assert nov.contains(D(2026, 11, 1))
    assert nov.contains(D(2026, 11, 30))
    assert not nov.contains(D(2026, 12, 1))  # end is exclusive
    assert not nov.contains(D(2026, 10, 31))
    q = period_of("quarter", D(2026, 2, 28))
    assert (q.label, q.start, q.end) == ("2026-Q1", D(2026, 1, 1), D(2026, 4, 1))
    assert period_of("year", D(2024, 2, 29)).label == "2024"


def test_properties_of_a_period() -> None:
    q4 = parse_period("2026-Q4")
    assert (q4.year, q4.quarter, q4.month) == (2026, 4, 10)


def test_contains_refuses_datetimes() -> None:
    nov = parse_period("2026-11")
    with pytest.raises(TypeError, match="calendar dates"):
        nov.contains(datetime(2026, 11, 3, 12, 0))
    with pytest.raises(TypeError):
        period_of("month", datetime(2026, 11, 3, 12, 0))


def test_inconsistent_period_is_refused() -> None:
    with pytest.raises(ValueError, match="not a calendar month"):
        Period("month", D(2026, 11, 2), D(2026, 12, 2))
    with pytest.raises(ValueError, match="not a calendar quarter"):
        Period("quarter", D(2026, 11, 1), D(2027, 2, 1))
    with pytest.raises(ValueError, match="unknown period kind"):
        period_of("week", D(2026, 11, 1))  # type: ignore[arg-type]


def test_previous_and_following() -> None:
    assert previous(parse_period("2026-01")).label == "2025-12"
    assert previous(parse_period("2026-Q1")).label == "2025-Q4"
    assert previous(parse_period("2026")).label == "2025"
    assert following(parse_period("2026-12")).label == "2027-01"
    assert following(parse_period("2026-Q4")).label == "2027-Q1"
    assert following(parse_period("2026")).label == "2027"


@pytest.mark.parametrize(
    ("label", "due_day", "due"),
    [
        ("2026-11", DEFAULT_DUE_DAY, D(2026, 12, 5)),  # policy.md: the 5th of the next month
        ("2026-12", 5, D(2027, 1, 5)),
        ("2026-10", 31, D(2026, 11, 30)),  # clamped
        ("2027-01", 31, D(2027, 2, 28)),
        ("2027-01", 29, D(2027, 2, 28)),
        ("2028-01", 30, D(2028, 2, 29)),  # leap year
        ("2026-Q4", 5, D(2027, 1, 5)),
        ("2026-Q1", 15, D(2026, 4, 15)),
        ("2026", 10, D(2027, 1, 10)),
        ("2026-11", 1, D(2026, 12, 1)),
    ],
)
def test_due_date(label: str, due_day: int, due: date) -> None:
    assert due_date(parse_period(label), due_day) == due


def test_default_due_day_is_the_fifth() -> None:
    assert DEFAULT_DUE_DAY == 5
    assert due_date(parse_period("2026-11")) == D(2026, 12, 5)


@pytest.mark.parametrize("bad", [0, 32, -1])
def test_due_day_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="due day must be 1 to 31"):
        due_date(parse_period("2026-11"), bad)


def test_datetime_bounds_in_the_bureau_zone() -> None:
    tz = bureau_tz()
    start, end = datetime_bounds(parse_period("2026-11"), tz)
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert start.tzinfo is tz
    late_utc = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 01:00 on 12-01 in Beijing
    assert not start <= late_utc < end


def test_display_labels_in_english() -> None:
    assert parse_period("2026-11").display() == "2026-11"
    assert parse_period("2026-Q4").display() == "2026 Q4"
    assert parse_period("2026").display() == "Year 2026"


def test_chinese_display_translations() -> None:
    from pathlib import Path

    from babel.messages.pofile import read_po

    import counselor_tui

    po = Path(counselor_tui.__file__).parent / "locale" / "zh" / "dates.po"
    with po.open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if isinstance(m.string, str)}
    assert catalog["{year}-{month:02d}"].format(year=2026, month=3) == "2026年3月"
    assert catalog["{year} Q{quarter}"].format(year=2026, quarter=4) == "2026年第4季度"
    assert catalog["Year {year}"].format(year=2026) == "2026年"


# --------------------------------------------------------------------------- properties

any_date = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31))
any_kind: st.SearchStrategy[PeriodKind] = st.sampled_from(KINDS)


@given(any_kind, any_date)
def test_property_period_of_contains_its_date(kind: PeriodKind, d: date) -> None:
    period = period_of(kind, d)
    assert period.contains(d)
    assert period.contains(period.start)
    assert not period.contains(period.end)
    assert not period.contains(period.start - timedelta(days=1))
    assert period_of(kind, period.end - timedelta(days=1)) == period


@given(any_kind, any_date)
def test_property_label_round_trips(kind: PeriodKind, d: date) -> None:
    period = period_of(kind, d)
    assert parse_period(period.label) == period


@given(any_kind, any_date)
def test_property_previous_and_following_tile_the_calendar(kind: PeriodKind, d: date) -> None:
    period = period_of(kind, d)
    assert previous(period).end == period.start
    assert following(period).start == period.end
    assert previous(following(period)) == period


@given(any_kind, any_date, st.integers(min_value=1, max_value=31))
def test_property_due_date_is_in_the_month_after(kind: PeriodKind, d: date, day: int) -> None:
    period = period_of(kind, d)
    due = due_date(period, day)
    assert (due.year, due.month) == (period.end.year, period.end.month)
    assert due.day == day or (due.day < day and (due + timedelta(days=1)).day == 1)


@given(st.text(max_size=20))
def test_property_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        result: object = parse_period(text)
    except PeriodParseError as exc:
        result = exc
    assert isinstance(result, Period) or (isinstance(result, PeriodParseError) and str(result))

"""Reporting periods: calendar month, quarter and year (DESIGN §7.4, §8; policy.md).

A :class:`Period` is a half-open range of calendar dates ``[start, end)`` in the bureau's
time zone. Labels are the stable machine form used by the command line and the submission
JSON (``2026-11``, ``2026-Q4``, ``2026``); :meth:`Period.display` is the translated form for
people (``2026年11月``, ``2026年第4季度``, ``2026年``).

The monthly submission is due on a settable day of the month after the period (default the
5th, ``domain/policy.md``); :func:`due_date` clamps that day to the month's length.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Literal, get_args

from dateutil.relativedelta import relativedelta

from counselor_tui.domain.dates import chinese_number, normalize_digits
from counselor_tui.i18n import _

__all__ = [
    "DEFAULT_DUE_DAY",
    "KINDS",
    "Period",
    "PeriodKind",
    "PeriodParseError",
    "datetime_bounds",
    "due_date",
    "following",
    "parse_period",
    "period_of",
    "previous",
]

PeriodKind = Literal["month", "quarter", "year"]
KINDS: tuple[PeriodKind, ...] = get_args(PeriodKind)
#: Day of the following month on which a submission is due (domain/policy.md: "the 5th").
DEFAULT_DUE_DAY = 5
_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}


class PeriodParseError(ValueError):
    """Typed text is not a reporting period; ``str(error)`` is translated and shows examples."""

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text


def _check_date(d: date) -> date:
    if isinstance(d, datetime):
        raise TypeError(
            "periods work on calendar dates: pass dt.astimezone(bureau_tz()).date(), "
            "or compare datetimes with datetime_bounds()"
        )
    return d


def _bounds(kind: str, d: date) -> tuple[date, date]:
    if kind not in _MONTHS:
        raise ValueError(f"unknown period kind {kind!r}: use one of {', '.join(KINDS)}")
    if kind == "year":
        start = date(d.year, 1, 1)
    elif kind == "quarter":
        start = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    else:
        start = date(d.year, d.month, 1)
    return start, start + relativedelta(months=_MONTHS[kind])


@dataclass(frozen=True)
class Period:
    """One calendar month, quarter or year: dates ``start <= d < end``.

    ``kind`` is ``"month"``, ``"quarter"`` or ``"year"``; ``start`` is the first day;
    ``end`` the first day of the next period (exclusive). Construction checks that the
    three agree (``ValueError`` otherwise); build periods with :func:`period_of` or
    :func:`parse_period`. Years 1-9998 (the end must exist).
    """

    kind: PeriodKind
    start: date
    end: date

    def __post_init__(self) -> None:
        _check_date(self.start)
        if (self.start, self.end) != _bounds(self.kind, self.start):
            raise ValueError(
                f"not a calendar {self.kind}: {self.start.isoformat()}..{self.end.isoformat()}"
            )

    @property
    def year(self) -> int:
        """The calendar year the period lies in."""
        return self.start.year

    @property
    def quarter(self) -> int:
        """Quarter 1-4 of the period's start (for a year: 1)."""
        return (self.start.month - 1) // 3 + 1

    @property
    def month(self) -> int:
        """Month 1-12 of the period's start (for a quarter: its first month)."""
        return self.start.month

    @property
    def label(self) -> str:
        """Machine label: ``2026-11`` (month), ``2026-Q4`` (quarter), ``2026`` (year).

        :func:`parse_period` reads it back; used by ``submission compile --period``.
        """
        if self.kind == "month":
            return f"{self.year:04d}-{self.month:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.quarter}"
        return f"{self.year:04d}"

    def display(self) -> str:
        """Translated label: zh ``2026年11月``, ``2026年第4季度``, ``2026年``; en ``2026-11``."""
        if self.kind == "month":
            return _("{year}-{month:02d}").format(year=self.year, month=self.month)
        if self.kind == "quarter":
            return _("{year} Q{quarter}").format(year=self.year, quarter=self.quarter)
        return _("Year {year}").format(year=self.year)

    def contains(self, d: date) -> bool:
        """Whether calendar date ``d`` lies in the period (``start <= d < end``).

        Raises ``TypeError`` for a datetime: convert it to the bureau zone's date first, or
        compare with :func:`datetime_bounds`.
        """
        return self.start <= _check_date(d) < self.end

    def __str__(self) -> str:
        return self.label


def period_of(kind: PeriodKind, d: date) -> Period:
    """The ``kind`` period (``"month"``/``"quarter"``/``"year"``) containing date ``d``.

    Raises ``ValueError`` for an unknown kind and ``TypeError`` for a datetime (see
    :meth:`Period.contains`).
    """
    start, end = _bounds(kind, _check_date(d))
    return Period(kind, start, end)


def previous(period: Period) -> Period:
    """The period of the same kind just before ``period`` (2026-01 -> 2025-12)."""
    return period_of(period.kind, period.start - relativedelta(days=1))


def following(period: Period) -> Period:
    """The period of the same kind just after ``period`` (2026-Q4 -> 2027-Q1)."""
    return period_of(period.kind, period.end)


def due_date(period: Period, due_day: int = DEFAULT_DUE_DAY) -> date:
    """Day ``due_day`` of the month after ``period`` ends: 2026-11 -> 2026-12-05.

    A ``due_day`` beyond that month's length is clamped to its last day (31 after 2027-01
    -> 2027-02-28). Raises ``ValueError`` unless ``1 <= due_day <= 31``. Source: DESIGN §7.4
    ("due on a settable day of the next month, default the 5th"), ``domain/policy.md``.
    """
    if not 1 <= due_day <= 31:
        raise ValueError(f"due day must be 1 to 31, not {due_day}")
    month_end = calendar.monthrange(period.end.year, period.end.month)[1]
    return period.end.replace(day=min(due_day, month_end))


def datetime_bounds(period: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """Aware ``(start, end)`` instants of ``period`` in zone ``tz``: midnight to midnight.

    Half-open: an instant ``t`` is in the period when ``start <= t < end``. Compare aware
    datetimes (any offset) with these, not ISO strings of mixed offsets.
    """
    return (
        datetime.combine(period.start, time(), tzinfo=tz),
        datetime.combine(period.end, time(), tzinfo=tz),
    )


# --------------------------------------------------------------------------- parsing

_NUM = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_YEAR_RE = re.compile(r"(?P<y>\d{4}) ?(?:年度?)?")
_MONTH_RE = re.compile(r"(?P<y>\d{4}) ?[-/.] ?(?P<m>\d{1,2})|(?P<y2>\d{4})(?P<m2>\d{2})")
_CN_MONTH_RE = re.compile(rf"(?P<y>\d{{4}}) ?年 ?(?P<m>{_NUM}) ?月份?")
_QUARTER_RE = re.compile(
    r"(?P<y>\d{4}) ?(?:[-/.] ?|年 ?)?Q ?(?P<q>\d{1,2})|Q ?(?P<q2>\d{1,2}) ?[-/]? ?(?P<y2>\d{4})",
    re.IGNORECASE,
)
_CN_QUARTER_RE = re.compile(rf"(?P<y>\d{{4}}) ?年 ?(?:第 ?)?(?P<q>{_NUM}) ?季度?")


def _err_period(text: str) -> PeriodParseError:
    shown = " ".join(text.split())[:30]
    return PeriodParseError(
        _(
            "Cannot read “{text}” as a reporting period. Type a month like 2026-11, "
            "a quarter like 2026-Q4, or a year like 2026."
        ).format(text=shown),
        text,
    )


def _make(kind: PeriodKind, year: int, month: int, text: str) -> Period:
    if not 1 <= year <= 9998:
        raise _err_period(text)
    return period_of(kind, date(year, month, 1))


def parse_period(text: str) -> Period:
    """Read a reporting period typed or passed on the command line.

    Months: ``2026-11``, ``2026/11``, ``2026.11``, ``202611``, ``2026年11月``, ``2026年十一月份``.
    Quarters: ``2026-Q4``, ``2026Q4``, ``2026 q4``, ``Q4 2026``, ``2026年Q4``, ``2026年第4季度``,
    ``2026年四季度``, ``2026年第四季``. Years: ``2026``, ``2026年``, ``2026年度``.
    Full-width digits are accepted. Raises :class:`PeriodParseError` (translated) for
    anything else, with a specific message for a month outside 1-12 or a quarter outside 1-4.
    Source: DESIGN §8, §9 (``--period YYYY-MM|YYYY-Qn|YYYY``).
    """
    s = " ".join(normalize_digits(text).split())
    if m := _YEAR_RE.fullmatch(s):
        return _make("year", int(m["y"]), 1, text)
    month_match = _MONTH_RE.fullmatch(s) or _CN_MONTH_RE.fullmatch(s)
    if month_match:
        groups = month_match.groupdict()
        year = int(groups.get("y") or groups["y2"])
        month = chinese_number(groups.get("m") or groups["m2"])
        if month is None:
            raise _err_period(text)
        if not 1 <= month <= 12:
            raise PeriodParseError(
                _("There is no month {month} (“{text}”): months run from 1 to 12.").format(
                    month=month, text=" ".join(text.split())[:30]
                ),
                text,
            )
        return _make("month", year, month, text)
    quarter_match = _QUARTER_RE.fullmatch(s) or _CN_QUARTER_RE.fullmatch(s)
    if quarter_match:
        groups = quarter_match.groupdict()
        year = int(groups.get("y") or groups["y2"])
        quarter = chinese_number(groups.get("q") or groups["q2"])
        if quarter is None:
            raise _err_period(text)
        if not 1 <= quarter <= 4:
            raise PeriodParseError(
                _("There is no quarter {quarter} (“{text}”): quarters run from 1 to 4.").format(
                    quarter=quarter, text=" ".join(text.split())[:30]
                ),
                text,
            )
        return _make("quarter", year, 3 * quarter - 2, text)
    raise _err_period(text)

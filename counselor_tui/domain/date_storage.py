"""Dates shown and stored (DESIGN §4): display formats, the due-date hint, monthly
repetition, the storage form of an instant (bureau-local ISO-8601 with offset) and the bureau
time zone. Re-exported by :mod:`counselor_tui.domain.dates`."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from counselor_tui.domain.date_input import (
    DEFAULT_TZ,
    NaiveDatetimeError,
    TimeZoneError,
    as_date,
)
from counselor_tui.i18n import _


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
    days = (as_date(d) - as_date(today)).days
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


def monthly_repeat(start: date, n: int) -> date:
    """The ``n``-th monthly repeat of ``start`` (``n=0`` is ``start``; negative goes back).

    Computed from ``start`` each time with :class:`~dateutil.relativedelta.relativedelta`,
    so a start on the 29th-31st lands on the last day of shorter months and does not drift:
    2026-01-31 -> 02-28 -> 03-31 -> 04-30. Raises ``ValueError``/``OverflowError`` outside
    years 1-9999. Source: DESIGN §7.4.
    """
    return start + relativedelta(months=n)


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

"""Reading a personnel roster (人员花名册) row by row: pure rules, no files, no database.

DESIGN §10. The service :mod:`counselor_tui.services.roster` reads the XLSX/CSV file and hands
the cell values here; this module finds the header row, normalises every cell and says, per
row, what is wrong with it. What needs the vault (unknown units, badge numbers already
stored) is decided by the service.

Rules (each one tested in ``tests/unit/test_roster_parse.py``):

* **Encoding** of CSV files (:func:`decode_csv`): UTF-8 (with or without BOM), then GB18030
  (a superset of GBK and GB2312), in that order; nothing else is guessed.
* **Header row** (:func:`find_header`): the first row among the first
  :data:`HEADER_SCAN_ROWS` whose cells name at least the badge number and the name column
  (title rows such as ``某县公安局民警花名册`` and ``填报单位：…`` above it are skipped).
  Header cells are matched by name after folding full-width characters, removing spaces,
  ``*`` marks and bracketed hints (``出生日期（年月日）`` → ``出生日期``); the accepted
  wordings are :data:`HEADER_ALIASES`. The badge number, name and unit columns are required.
* **Text cells**: trimmed, runs of spaces collapsed. Names, units and posts are stored as
  typed (NFC only: full-width brackets and middle dots stay); codes (badge numbers, phone
  numbers, dates, gender, police type) are read after Unicode NFKC (full-width digits and
  letters → ASCII). A name made only of Chinese characters (any plane) and middle dots
  loses its inner spaces (``王　伟`` → ``王伟``, the alignment habit of Chinese documents).
* **Badge and phone numbers**: badge numbers letters and digits (and ``-``) only, letters
  upper-cased; a whole-number cell ``330700`` reads as ``330700``. A number the spreadsheet
  made of the digits — a decimal number cell (``13812345678.0``) or text in scientific
  notation or with a decimal tail (``1.38123E+10``, ``330700.0``) — rejects the row: its
  digits (leading zeros, the last of 16+) may be lost, and nothing is guessed back.
* **Totals rows** (a cell ``合计``, ``总计``, ``小计：`` …) are rejected as such, by name.
* **Dates** (:func:`parse_roster_date`): date cells; Excel serial numbers (number cells, or
  5-digit text as CSV exports write them), 1900 date system unless the workbook uses 1904;
  number cells holding ``19850312``; every absolute form of
  :func:`counselor_tui.domain.dates.parse_date` (``1985.03.12``, ``1985年3月12日``,
  ``19850312``, ``1985/3/12``, ``1985-03-12 00:00:00`` …); a year and month without a day
  (``1985.03``, ``1985年3月`` — the 出生年月 habit) is the first of that month, and the row
  gets a warning saying so in the dry run (never silently the 1st, issue 16). A date
  **must have a four-digit year**: ``3月12日`` or ``今天`` is refused (it would silently
  take this year). An unreadable or impossible date rejects the row.
* **Plausibility** (:func:`check_birth`, :func:`check_hire`): a birth date from 1940-01-01 to
  today minus 16 years; a hire date not in the future and not before the 16th birthday (or
  1956-01-01 when the birth date is unknown). A readable but implausible date does **not**
  reject the row: the officer is imported without that date and the row gets a warning
  (a roster names real officers; dropping one for a doubtful hire date would lose more
  than it protects).
* **Gender** ``男``/``女`` (also ``男性``, ``M``, ``male`` …); **police type** through
  :func:`counselor_tui.domain.vocab.canonical_police_type` (aliases such as ``刑警`` →
  ``刑侦``); unknown values reject the row rather than being guessed.
* **Badge numbers repeated in the file**: the first row keeps it, every later row is
  rejected naming the first row (never an update of the first row's officer).
* **Two columns for one field** (two ``警号`` columns, or ``单位`` and ``部门``): the file is
  refused, naming the header (:func:`find_header`); which column is meant is never guessed.
* **Control characters** (Unicode categories Cc and Cf — ESC, NUL, zero-width and
  direction marks …) in a cell that is read rejects the row: such text would reach the
  terminal and the vault. Tab and line breaks count as ordinary spaces (a line break typed
  with Alt+Enter in Excel is collapsed like any run of spaces).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from counselor_tui.domain.dates import DateParseError, parse_date
from counselor_tui.domain.roster_cells import (
    ALIASES,
    FIELD_LABELS,
    HEADER_ALIASES,
    RosterFormatError,
    RosterValueError,
    decode_csv,
    field_label,
    has_control_chars,
    header_field,
    keep_text,
    normalize_badge,
    normalize_gender,
    normalize_name,
    normalize_phone,
    normalize_police_type,
    normalize_text,
    strip_control_chars,
)
from counselor_tui.domain.text import is_totals_cell
from counselor_tui.i18n import _, language

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "HEADER_ALIASES",
    "HEADER_SCAN_ROWS",
    "REQUIRED_FIELDS",
    "HeaderMap",
    "ParsedRow",
    "RosterFormatError",
    "RosterValueError",
    "check_birth",
    "check_hire",
    "decode_csv",
    "excel_serial_to_date",
    "field_label",
    "find_header",
    "fold_unit_name",
    "has_control_chars",
    "header_field",
    "is_month_only",
    "is_totals_row",
    "keep_text",
    "normalize_badge",
    "normalize_gender",
    "normalize_name",
    "normalize_phone",
    "normalize_police_type",
    "normalize_text",
    "parse_roster_date",
    "parse_row",
    "parse_rows",
    "strip_control_chars",
]

#: The roster fields, in the order of a Person's profile.
FIELDS: tuple[str, ...] = (
    "badge_no", "name", "gender", "birth_date", "unit", "police_type", "post", "hire_date",
    "phone",
)
#: Columns a roster must have.
REQUIRED_FIELDS: tuple[str, ...] = ("badge_no", "name", "unit")
#: How many rows from the top are searched for the header row.
HEADER_SCAN_ROWS = 30


_YEAR_MONTH_RE = re.compile(r"(\d{4}) ?(?:年 ?(\d{1,2}) ?月?|[-/.] ?(\d{1,2}))")
_HAS_YEAR_RE = re.compile(r"(?<!\d)\d{4}(?!\d)|\A\d{8}\Z|[〇零一二三四五六七八九]{4} ?年")
_SERIAL_TEXT_RE = re.compile(r"\d{5}(?:\.0+)?")
_EXCEL_EPOCH_1900 = date(1899, 12, 30)  # serial 1 = 1900-01-01 with Lotus' leap-year bug
_EXCEL_EPOCH_1904 = date(1904, 1, 1)
_MAX_SERIAL = 2_958_465  # 9999-12-31
BIRTH_EARLIEST = date(1940, 1, 1)
MIN_WORKING_AGE_YEARS = 16


# --------------------------------------------------------------------------- dates


def excel_serial_to_date(serial: float, *, epoch_1904: bool = False) -> date:
    """The date of an Excel serial number (the time of day is dropped).

    1900 date system (Windows Excel, WPS): serial 1 = 1900-01-01 and serial 61 =
    1900-03-01 (Excel counts a 1900-02-29 that never existed, so serials below 61 are
    refused). 1904 system: serial 0 = 1904-01-01. Raises :class:`RosterValueError` outside
    the range Excel supports. Source: ECMA-376 Part 1, §18.17.4.1 (date systems).
    """
    whole = int(serial)
    if epoch_1904:
        if not 0 <= whole <= _MAX_SERIAL - 1462:
            raise RosterValueError(_("The spreadsheet date number {n} is out of range.")
                                   .format(n=whole))
        return _EXCEL_EPOCH_1904 + timedelta(days=whole)
    if not 61 <= whole <= _MAX_SERIAL:
        raise RosterValueError(_("The spreadsheet date number {n} is out of range.")
                               .format(n=whole))
    return _EXCEL_EPOCH_1900 + timedelta(days=whole)


def parse_roster_date(value: object, today: date, *, epoch_1904: bool = False) -> date | None:
    """Read a roster date cell (birth date, hire date); None for an empty cell.

    Accepts date/datetime cells, Excel serial numbers (number cells, or 5-digit text),
    number cells like ``19850312``, every absolute form of ``dates.parse_date`` with a
    four-digit year, and year-month forms (``1985.03``, ``1985年3月``) as the month's first
    day. Raises :class:`RosterValueError` (translated, quoting the cell) for anything else,
    for impossible dates and for dates without a year. Source: DESIGN §10.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise RosterValueError(_("Cannot read “{text}” as a date.").format(text=value))
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer() and value < 1_000_000:
            return excel_serial_to_date(value, epoch_1904=epoch_1904)
        number = int(value)
        if 10_000_000 <= number <= 99_999_999:
            return _parse_text(str(number), today)
        return excel_serial_to_date(number, epoch_1904=epoch_1904)
    text = normalize_text(value)
    if not text:
        return None
    if _SERIAL_TEXT_RE.fullmatch(text):
        return excel_serial_to_date(float(text), epoch_1904=epoch_1904)
    return _parse_text(text, today)


def _parse_text(text: str, today: date) -> date:
    if m := _YEAR_MONTH_RE.fullmatch(text):
        month = int(m.group(2) or m.group(3))
        if not 1 <= month <= 12:
            raise RosterValueError(_("There is no month {month} in “{text}”.").format(
                month=month, text=text[:30]))
        return date(int(m.group(1)), month, 1)
    if not _HAS_YEAR_RE.search(text):
        raise RosterValueError(
            _("The date “{text}” has no year: write it with the four-digit year, like "
              "1985-03-12.").format(text=text[:30])
        )
    try:
        return parse_date(text, today)
    except DateParseError as exc:
        raise RosterValueError(str(exc)) from None


def is_month_only(value: object) -> bool:
    """True when a date cell gives a year and month but no day (``1985.03``, ``1985年3月``):
    :func:`parse_roster_date` reads it as the month's first day, and the import says so."""
    if not isinstance(value, str):
        return False
    return _YEAR_MONTH_RE.fullmatch(normalize_text(value)) is not None


def is_totals_row(cells: Sequence[object]) -> bool:
    """True when a cell of the row heads a totals row (``合计``, ``总计``, ``小计：``, …;
    :func:`counselor_tui.domain.text.is_totals_cell`)."""
    return any(is_totals_cell(cell) for cell in cells)


def check_birth(birth: date, today: date) -> str | None:
    """A translated reason when ``birth`` is implausible for a serving officer, else None.

    Plausible: from :data:`BIRTH_EARLIEST` (1940-01-01) to today minus 16 years (the
    minimum working age of the PRC Labour Law, art. 15).
    """
    latest = today - relativedelta(years=MIN_WORKING_AGE_YEARS)
    if birth < BIRTH_EARLIEST or birth > latest:
        return _("birth date {date} is implausible (expected {earliest} to {latest})").format(
            date=birth.isoformat(), earliest=BIRTH_EARLIEST.isoformat(),
            latest=latest.isoformat())
    return None


def check_hire(hire: date, birth: date | None, today: date) -> str | None:
    """A translated reason when ``hire`` is implausible, else None.

    Plausible: not after ``today``, and not before the 16th birthday (or before 1956-01-01,
    the 16th birthday of the earliest plausible birth, when the birth date is unknown).
    """
    if hire > today:
        return _("hire date {date} is in the future").format(date=hire.isoformat())
    earliest = (birth or BIRTH_EARLIEST) + relativedelta(years=MIN_WORKING_AGE_YEARS)
    if hire < earliest:
        return _("hire date {date} is before the age of 16").format(date=hire.isoformat())
    return None


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class HeaderMap:
    """Where the header row is (1-based ``row``) and which column (0-based) holds each
    field."""

    row: int
    columns: Mapping[str, int]


@dataclass(frozen=True)
class ParsedRow:
    """One data row after normalisation.

    ``row`` is the spreadsheet row number (1-based, as Excel shows it; for CSV the record
    number). ``problems`` are translated reasons that reject the row; ``warnings`` are
    translated notes about values left out (implausible dates). Dates are ``YYYY-MM-DD``.
    """

    row: int
    badge_no: str
    name: str
    gender: str | None
    birth_date: str | None
    unit: str
    police_type: str | None
    post: str
    hire_date: str | None
    phone: str | None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def find_header(rows: Sequence[Sequence[object]]) -> HeaderMap:
    """Find the header row among the first :data:`HEADER_SCAN_ROWS` rows.

    The header is the first row naming both the badge number and the name column. Raises
    :class:`RosterFormatError` when there is none, when it lacks the unit column, or when
    two of its columns name the same field (two ``警号`` columns, or ``单位`` beside
    ``部门``): the message names the header(s), and which column is meant is not guessed.
    """
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        repeated: list[tuple[int, int]] = []
        for col, cell in enumerate(cells):
            found = header_field(cell)
            if found is None:
                continue
            if found in columns:
                repeated.append((columns[found], col))
            else:
                columns[found] = col
        if "badge_no" in columns and "name" in columns:
            if repeated:
                first, again = repeated[0]
                names = [normalize_text(strip_control_chars(cells[c]))[:30]
                         for c in (first, again)]
                if names[0] == names[1]:
                    raise RosterFormatError(
                        _("The header row (row {row}) has two columns named “{header}”: "
                          "delete or rename one of them, then import again.").format(
                            row=index + 1, header=names[0]))
                raise RosterFormatError(
                    _("The header row (row {row}) has two columns for the same field: "
                      "“{first}” and “{second}”. Delete or rename one of them, then import "
                      "again.").format(row=index + 1, first=names[0], second=names[1]))
            missing = [f for f in REQUIRED_FIELDS if f not in columns]
            if missing:
                raise RosterFormatError(
                    _("The header row (row {row}) has no {column} column.").format(
                        row=index + 1, column=ALIASES[missing[0]][0])
                )
            return HeaderMap(index + 1, columns)
    raise RosterFormatError(
        _("No header row found in the first {n} rows: the roster needs columns named "
          "警号, 姓名 and 单位.").format(n=HEADER_SCAN_ROWS)
    )


def _cell(cells: Sequence[object], header: HeaderMap, field: str) -> object:
    col = header.columns.get(field)
    if col is None or col >= len(cells):
        return None
    return cells[col]


#: First characters of a spreadsheet formula (OWASP CSV injection): no name or unit starts
#: with one, and one that did would run as a formula in a spreadsheet export.
FORMULA_STARTS = ("=", "+", "@")


def parse_row(row: int, cells: Sequence[object], header: HeaderMap, today: date, *,
              epoch_1904: bool = False) -> ParsedRow | None:
    """Normalise one data row; None when it is not a person row (badge number, name and
    unit all empty: blank lines, footers such as ``填表人：…`` in the first column).

    Every problem of the row is collected (not just the first), in column order. A row with
    a control character in a cell that is read is rejected for that alone (its other cells
    are not read, so no message quotes the character); its badge number and name are kept
    without the control characters, for display.
    """
    dirty = [f for f in FIELDS if has_control_chars(_cell(cells, header, f))]
    if dirty:
        badge_text = normalize_text(strip_control_chars(_cell(cells, header, "badge_no")))
        name_text = normalize_name(strip_control_chars(_cell(cells, header, "name")))
        unit_text = keep_text(strip_control_chars(_cell(cells, header, "unit")))
        reason = _("contains control characters ({columns})").format(
            columns=("、" if language() == "zh" else ", ").join(field_label(f) for f in dirty))
        return ParsedRow(
            row=row, badge_no=badge_text.replace(" ", "").upper(), name=name_text,
            gender=None, birth_date=None, unit=unit_text, police_type=None, post="",
            hire_date=None, phone=None, problems=(reason,))
    problems: list[str] = []
    warnings: list[str] = []
    badge = ""
    try:
        badge = normalize_badge(_cell(cells, header, "badge_no"))
    except RosterValueError as exc:
        problems.append(str(exc))
        badge = normalize_text(_cell(cells, header, "badge_no"))
    name = normalize_name(_cell(cells, header, "name"))
    unit = keep_text(_cell(cells, header, "unit"))
    if not (badge or name or unit):
        return None
    if is_totals_row(cells):
        return ParsedRow(
            row=row, badge_no="", name=name, gender=None, birth_date=None, unit=unit,
            police_type=None, post="", hire_date=None, phone=None,
            problems=(_("a totals row (合计/总计), not an officer: nothing is imported from "
                        "it"),))
    if not badge and not problems:
        problems.append(_("missing badge number"))
    if not name:
        problems.append(_("missing name"))
    formulas = [f for f, text in (("name", name), ("unit", unit))
                if text.startswith(FORMULA_STARTS)]
    if formulas:  # a spreadsheet formula, not a name: it would run in exported reports
        problems.append(_("looks like a spreadsheet formula ({columns}): type the text "
                          "itself").format(columns=("、" if language() == "zh" else ", ").join(
                              field_label(f) for f in formulas)))
    gender: str | None = None
    try:
        gender = normalize_gender(_cell(cells, header, "gender"))
    except RosterValueError as exc:
        problems.append(str(exc))
    birth: date | None = None
    try:
        birth = parse_roster_date(_cell(cells, header, "birth_date"), today,
                                  epoch_1904=epoch_1904)
    except RosterValueError as exc:
        problems.append(_("birth date: {reason}").format(reason=str(exc)))
    if birth is not None and (why := check_birth(birth, today)):
        warnings.append(_("{reason}: imported without a birth date").format(reason=why))
        birth = None
    elif birth is not None and is_month_only(_cell(cells, header, "birth_date")):
        warnings.append(_month_only(_("birth date"), _cell(cells, header, "birth_date"),
                                    birth))
    if not unit:
        problems.append(_("missing unit"))
    police_type: str | None = None
    try:
        police_type = normalize_police_type(_cell(cells, header, "police_type"))
    except RosterValueError as exc:
        problems.append(str(exc))
    post = keep_text(_cell(cells, header, "post"))
    hire: date | None = None
    try:
        hire = parse_roster_date(_cell(cells, header, "hire_date"), today,
                                 epoch_1904=epoch_1904)
    except RosterValueError as exc:
        problems.append(_("hire date: {reason}").format(reason=str(exc)))
    if hire is not None and (why := check_hire(hire, birth, today)):
        warnings.append(_("{reason}: imported without a hire date").format(reason=why))
        hire = None
    elif hire is not None and is_month_only(_cell(cells, header, "hire_date")):
        warnings.append(_month_only(_("hire date"), _cell(cells, header, "hire_date"), hire))
    phone: str | None = None
    try:
        phone = normalize_phone(_cell(cells, header, "phone"))
    except RosterValueError as exc:
        problems.append(str(exc))
    return ParsedRow(
        row=row, badge_no=badge, name=name, gender=gender,
        birth_date=birth.isoformat() if birth else None, unit=unit, police_type=police_type,
        post=post, hire_date=hire.isoformat() if hire else None, phone=phone,
        problems=tuple(problems), warnings=tuple(warnings),
    )


def _month_only(what: str, cell: object, day: date) -> str:
    return _("{what} “{text}” gives only the month: it is stored as {day}, the month's "
             "first day; type the whole date if the day matters").format(
        what=what, text=normalize_text(cell)[:20], day=day.isoformat())


def parse_rows(rows: Sequence[Sequence[object]], today: date, *,
               epoch_1904: bool = False) -> tuple[HeaderMap, list[ParsedRow]]:
    """Find the header and parse every row below it (see :func:`parse_row`).

    A badge number seen in an earlier row rejects the later row (the reason names the
    first row). Raises :class:`RosterFormatError` from :func:`find_header`.
    """
    header = find_header(rows)
    parsed: list[ParsedRow] = []
    first_row: dict[str, int] = {}
    for index in range(header.row, len(rows)):
        item = parse_row(index + 1, rows[index], header, today, epoch_1904=epoch_1904)
        if item is None:
            continue
        if item.badge_no:
            seen = first_row.get(item.badge_no)
            if seen is not None:
                reason = _("badge number {badge} repeats row {row}").format(
                    badge=item.badge_no, row=seen)
                item = ParsedRow(**{**item.__dict__, "problems": (reason, *item.problems)})
            else:
                first_row[item.badge_no] = item.row
        parsed.append(item)
    return header, parsed


def fold_unit_name(name: str) -> str:
    """The key units are matched by: NFKC, no spaces (``城西 派出所`` = ``城西派出所``)."""
    return unicodedata.normalize("NFKC", name).replace(" ", "").replace("\u3000", "")

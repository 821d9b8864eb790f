"""Read a survey platform's export of one instrument (DESIGN §10 "Responses"), purely.

Input: the sheet as rows of cell values (``str``, ``int``, ``float``, ``datetime``,
``date`` or ``None``), as :mod:`counselor_tui.services.responses_import` reads them from
XLSX or CSV (UTF-8, UTF-8-BOM or GBK). Output: one :class:`Respondent` per answered row with
identity fields and responses, and a :class:`RowProblem` for every row that cannot be read.
Matching respondents to persons is the service's job; nothing here guesses an identity.

The header row is found by name within the first 30 rows (title rows above it are allowed):

* identity — badge number (``警号``, ``工号``, ``警员编号``, ``badge``), name (``姓名``,
  ``name``), unit (``单位``, ``部门``, ``unit``, ``department``);
* administration date — the submission time (``提交答卷时间``, ``提交时间``, ``完成时间``,
  ``填写时间``, ``答题时间``, ``日期``, ``date``, ``submitted``), never a duration column
  (``所用时间``);
* the platform's own total (``总分``, ``得分``, ``total``, ``score``) is never used for
  scoring: it is read (``Respondent.platform_total``) only so that the import can warn when
  it differs from the total computed from the items. When several columns look like a
  total, the one naming this instrument (``PHQ9总分``) is taken, columns naming another
  instrument are skipped, and with no single candidate no total is read;
* item columns by header: the platform's running question number is dropped (``4、``), then
  the instrument code (``PHQ9``), then an item number is read (``第1题``, ``Q1``, ``1``,
  ``item 1``, ``_1``) — or the header holds the item's text (zh or en). A column naming
  another built-in instrument (``GAD7第1题`` when importing PHQ-9) is not an item, so one
  export holding several instruments imports each by its own columns; an export whose item
  columns all name another instrument, or that numbers items beyond the instrument's count,
  is refused rather than read as the wrong instrument. When the headers name
  no items at all, and exactly ``item_count`` unnamed columns follow the identity columns,
  those columns are taken in order (``ColumnMap.by == "position"``; the dry run shows the
  mapping so the user can check it).

Answers are scores (``2``, ``２``, ``2.0``, ``2分``) or option labels of the definition in
Chinese or English, compared without case, spaces (also full-width), a leading option letter
(``A.``, ``B、``) or a trailing score (``(0分)``). Empty cells and ``(跳过)``/``-`` are
missing items (the engine's missing rule then applies). Anything else makes the row a
problem naming the item; a value out of range is never shifted or clipped.

A totals row (a cell ``合计``, ``总计``, ``小计：`` …) is a problem row named as such, never a
respondent; a badge number in scientific notation (``3.307E+05``, a spreadsheet's doing) is
refused with that reason, never matched.

A :class:`RowProblem` says whether the row cannot be *identified* (no badge number and no
name: ``identity=True``, an unmatched respondent) or cannot be *read* (an unreadable date, an
answer out of range or unknown, no item answered: the import reports it with that reason as
rejected, not as unmatched).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from counselor_tui.domain.instruments import InstrumentDefinition, builtin_codes
from counselor_tui.domain.text import is_totals_cell, without_middle_dots
from counselor_tui.i18n import _

__all__ = [
    "AnswerError",
    "ColumnMap",
    "ParsedResponses",
    "Respondent",
    "ResponsesFormatError",
    "RowProblem",
    "answer_value",
    "cell_date",
    "normalize_badge",
    "normalize_name",
    "parse_table",
    "total_value",
]

_HEADER_SCAN_ROWS: Final = 30
_BADGE_WORDS: Final = ("警号", "工号", "警员编号", "警员号", "badge")
_NAME_WORDS: Final = ("姓名", "名字", "name")
_UNIT_WORDS: Final = ("单位", "部门", "unit", "department")
_DATE_WORDS: Final = ("提交答卷时间", "提交时间", "完成时间", "填写时间", "答题时间", "作答时间",
                      "提交日期", "日期", "date", "submitted", "submit", "completed")
_NOT_DATE_WORDS: Final = ("所用", "用时", "duration", "耗时")
_TOTAL_WORDS: Final = ("总分", "得分", "total", "score", "合计")
_META_WORDS: Final = ("序号", "来源", "所用时间", "用时", "耗时", "渠道", "编号", "开始时间",
                      "starttime", "source")
_META_EXACT: Final = ("ip", "id", "no", "no.", "#", "start")
_MISSING: Final = frozenset({"", "-", "--", "—", "——", "n/a", "na", "(跳过)", "跳过", "(空)",
                             "空", "未作答", "(未作答)"})
_RUNNING_NUMBER: Final = re.compile(r"^(?:q)?\d+\s*[、.:)\]]\s*(?=\D)", re.IGNORECASE)
_ITEM_PATTERNS: Final = (
    re.compile(r"第(\d+)题"),
    re.compile(r"^(?:q|item|题目|条目|题|第)?[\s_\-#.]*(\d+)\s*(?:题)?$", re.IGNORECASE),
)
_LETTER_PREFIX: Final = re.compile(r"^[a-z][.、:)\s]\s*", re.IGNORECASE)
_SCORE_SUFFIX: Final = re.compile(r"[(\[]?\s*(-?\d+)\s*分\s*[)\]]?$")
_DATE_TEXT: Final = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_COMPACT_DATE: Final = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\D|$)")
_EXCEL_EPOCH: Final = date(1899, 12, 30)

Cell = str | int | float | date | datetime | None


class ResponsesFormatError(ValueError):
    """The sheet cannot be read as an export of this instrument (no header, no items)."""


class AnswerError(ValueError):
    """One answer cannot be read: an unknown label or a score out of the response range."""


@dataclass(frozen=True)
class ColumnMap:
    """Where things are: ``header_row`` (1-based row number), 0-based column indexes of the
    identity and date columns (``None`` when absent), ``items`` (column of item 1, 2, …),
    ``by`` ``"header"`` or ``"position"``, the item columns' header texts, and ``total``:
    the column of the platform's own total (``None`` when absent or ambiguous)."""

    header_row: int
    badge: int | None
    name: int | None
    unit: int | None
    date: int | None
    items: tuple[int, ...]
    by: str
    item_headers: tuple[str, ...]
    total: int | None = None


@dataclass(frozen=True)
class Respondent:
    """One readable row: 1-based ``row`` number, normalized identity fields (``None`` when
    empty), the administration day, the answers (``None`` = missing item) and the
    platform's own total as written (``None`` when there is no total column or the cell is
    not a number) — never used for scoring."""

    row: int
    badge_no: str | None
    name: str | None
    unit: str | None
    administered_on: date
    responses: tuple[int | None, ...]
    platform_total: float | None = None


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be imported, with its 1-based number and a translated reason;
    ``identity`` when the row names nobody (no badge number and no name), else the row's
    content cannot be read (date, answers)."""

    row: int
    reason: str
    identity: bool = False


@dataclass(frozen=True)
class ParsedResponses:
    """The column mapping, the readable rows and the problem rows (in sheet order)."""

    columns: ColumnMap
    respondents: tuple[Respondent, ...]
    problems: tuple[RowProblem, ...]


# -- normalization --------------------------------------------------------------------------------


_SCIENTIFIC: Final = re.compile(r"'?[0-9]+(?:\.[0-9]*)?e[+-][0-9]+")


def _squash(text: str) -> str:
    """NFKC (full-width → ASCII, U+3000 → space), case-folded, without whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _cell_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def normalize_badge(cell: Cell) -> str | None:
    """A badge number as stored: NFKC (full-width digits), no spaces, no Excel text mark
    (leading ``'``), ``330700.0`` → ``330700``; ``None`` when empty."""
    text = _squash(_cell_text(cell)).lstrip("'")
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text.upper() or None


def normalize_name(cell: Cell) -> str | None:
    """A person or unit name for comparison: NFKC, without any whitespace (also full-width
    and trailing spaces) and without middle dots or their look-alikes (阿依古丽·买买提 =
    阿依古丽买买提); ``None`` when empty."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", _cell_text(cell)))
    text = without_middle_dots(text)
    return text or None


def cell_date(cell: Cell) -> date | None:
    """The day of a date cell: ``datetime``/``date``, an Excel serial number (1955–2119),
    text ``2026/11/19 18:10:27``, ``2026-11-19``, ``2026年11月19日``, ``20261119``.
    ``None`` when empty or unreadable."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float):
        if 20000 <= cell < 80000:
            return _EXCEL_EPOCH + timedelta(days=int(cell))
        return None
    text = unicodedata.normalize("NFKC", cell).strip()
    match = _DATE_TEXT.search(text) or _COMPACT_DATE.match(text)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def total_value(cell: Cell) -> float | None:
    """The number in a platform's total cell (``12``, ``12.0``, ``１２``, ``12分``), or
    ``None`` when the cell is empty or holds anything else."""
    if cell is None or isinstance(cell, bool | date | datetime):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    text = _squash(cell).removesuffix("分")
    try:
        return float(text)
    except ValueError:
        return None


def answer_value(defn: InstrumentDefinition, cell: Cell) -> int | None:
    """The response value of one answer cell (module docstring), ``None`` when missing.

    Raises :class:`AnswerError` with a translated message for an unknown label, a fraction,
    or a score outside ``defn``'s response range.
    """
    if isinstance(cell, bool | date | datetime):
        raise AnswerError(_("unreadable answer '{text}'").format(text=_cell_text(cell)))
    if isinstance(cell, int | float):
        if not float(cell).is_integer():
            raise AnswerError(_("answer {value} is not a whole number").format(value=cell))
        return _in_range(defn, int(cell))
    text = _squash(_cell_text(cell))
    if text in _MISSING:
        return None
    if re.fullmatch(r"-?\d+(?:\.0+)?", text):
        return _in_range(defn, int(float(text)))
    core = _SCORE_SUFFIX.sub("", text)
    if not core and (m := _SCORE_SUFFIX.fullmatch(text)):
        return _in_range(defn, int(m.group(1)))
    labels = _label_index(defn)
    for candidate in (core, _LETTER_PREFIX.sub("", core)):
        value = labels.get(_bare(candidate))
        if value is not None:
            return value
    raise AnswerError(_("unknown answer '{text}'").format(text=_cell_text(cell).strip()))


def _bare(text: str) -> str:
    return text.strip(".。,，;；:：!！、")


def _label_index(defn: InstrumentDefinition) -> dict[str, int]:
    index: dict[str, int] = {}
    for labels in (defn.response_labels_zh, defn.response_labels_en):
        for offset, label in enumerate(labels):
            index.setdefault(_bare(_squash(label)), defn.response_min + offset)
    return index


def _in_range(defn: InstrumentDefinition, value: int) -> int:
    if not defn.response_min <= value <= defn.response_max:
        raise AnswerError(_("answer {value} is outside {low}–{high}").format(
            value=value, low=defn.response_min, high=defn.response_max))
    return value


# -- columns --------------------------------------------------------------------------------------


def _header_key(cell: Cell) -> str:
    return _squash(_cell_text(cell))


def _has(key: str, words: Sequence[str]) -> bool:
    return any(word in key for word in words)


def _strip_running_number(key: str) -> str:
    return _RUNNING_NUMBER.sub("", key, count=1)


def _code_variants(code: str) -> list[str]:
    """Spellings of an instrument code in headers: ``phq9``, ``phq-9``, ``phq_9``."""
    code = code.casefold()
    letters = re.match(r"[a-z]+", code)
    variants = {code}
    if letters:
        head, tail = letters.group(0), code[letters.end():]
        variants |= {f"{head}-{tail}", f"{head}_{tail}", f"{head}{tail}"}
    return sorted(variants, key=len, reverse=True)


def _header_item(defn: InstrumentDefinition, header: str,
                 texts: dict[str, int]) -> tuple[int | None, str | None]:
    """``(item number, other instrument)`` a header names (module docstring).

    The number is returned as written (the caller checks the range); ``other instrument`` is
    the code of another built-in instrument the header names instead of ``defn`` (such a
    column is never an item of ``defn``).
    """
    key = _strip_running_number(_header_key(header))
    if not key:
        return None, None
    own = [v for v in _code_variants(defn.code) if v in key]
    if not own:
        for code in builtin_codes():
            if code != defn.code and any(v in key for v in _code_variants(code)):
                return None, code
    for variant in own:
        key = key.replace(variant, "")
    for pattern in _ITEM_PATTERNS:
        match = pattern.search(key)
        if match:
            return int(match.group(1)), None
    bare = re.sub(r"[\W_]+", "", key)
    if len(bare) >= 4:
        for text, number in texts.items():
            if text == bare or text in bare or (len(bare) >= 8 and bare in text):
                return number, None
    return None, None


def _item_texts(defn: InstrumentDefinition) -> dict[str, int]:
    texts: dict[str, int] = {}
    for item in defn.items:
        for text in (item.text_zh, item.text_en):
            if text:
                texts[re.sub(r"[\W_]+", "", _squash(text))] = item.number
    return texts


def _columns(defn: InstrumentDefinition, header: Sequence[Cell],
             header_row: int) -> ColumnMap | None:
    keys = [_header_key(c) for c in header]
    stripped = [_strip_running_number(k) for k in keys]

    def first(words: Sequence[str], exclude: Sequence[str] = ()) -> int | None:
        for i, key in enumerate(stripped):
            if key and _has(key, words) and not _has(key, exclude):
                return i
        return None

    badge = first(_BADGE_WORDS)
    name = first(_NAME_WORDS, ("单位", "unit"))
    unit = first(_UNIT_WORDS)
    when = first(_DATE_WORDS, _NOT_DATE_WORDS)
    if badge is None and name is None:
        return None
    taken = {i for i in (badge, name, unit, when) if i is not None}
    texts = _item_texts(defn)
    found: dict[int, int] = {}
    others: set[str] = set()
    beyond: list[int] = []
    for i, key in enumerate(keys):
        if i in taken or not key or _has(stripped[i], _TOTAL_WORDS):
            continue
        number, other = _header_item(defn, _cell_text(header[i]), texts)
        if other is not None:
            others.add(other)
            taken.add(i)
        elif number is not None and not 1 <= number <= defn.item_count:
            beyond.append(number)
        elif number is not None and number not in found:
            found[number] = i
    if beyond and found:
        raise ResponsesFormatError(
            _("Row {row}: the headers name item {item}, but {instrument} has {count} items: "
              "is this an export of another instrument?").format(
                row=header_row, item=max(beyond), instrument=defn.code,
                count=defn.item_count))
    if others and not found:
        raise ResponsesFormatError(
            _("Row {row}: the item columns belong to {others}, not {instrument}: choose "
              "the instrument of this export.").format(
                row=header_row, others=", ".join(sorted(others)), instrument=defn.code))
    if len(found) == defn.item_count:
        items = tuple(found[n] for n in range(1, defn.item_count + 1))
        by = "header"
    elif found:
        missing = [n for n in range(1, defn.item_count + 1) if n not in found]
        raise ResponsesFormatError(
            _("Row {row}: the headers name {found} of the {count} items of {instrument}; "
              "missing items: {missing}.").format(
                row=header_row, found=len(found), count=defn.item_count,
                instrument=defn.code, missing=", ".join(map(str, missing))))
    else:
        last_identity = max(taken)
        rest = [i for i in range(last_identity + 1, len(keys))
                if keys[i] and i not in taken
                and not _has(stripped[i], _TOTAL_WORDS) and not _has(stripped[i], _META_WORDS)
                and stripped[i] not in _META_EXACT and not _has(stripped[i], _NOT_DATE_WORDS)]
        if len(rest) != defn.item_count:
            return None
        items = tuple(rest)
        by = "position"
    return ColumnMap(header_row, badge, name, unit, when, items, by,
                     tuple(_cell_text(header[i]) for i in items),
                     _total_column(defn, stripped, set(items) | taken))


def _total_column(defn: InstrumentDefinition, keys: Sequence[str],
                  used: set[int]) -> int | None:
    """The column of the platform's total for ``defn`` (module docstring), or None."""
    candidates: list[tuple[int, bool]] = []
    for i, key in enumerate(keys):
        if i in used or not key or not _has(key, _TOTAL_WORDS):
            continue
        own = any(v in key for v in _code_variants(defn.code))
        other = not own and any(any(v in key for v in _code_variants(code))
                                for code in builtin_codes() if code != defn.code)
        if not other:
            candidates.append((i, own))
    named = [i for i, own in candidates if own]
    if len(named) == 1:
        return named[0]
    if len(candidates) == 1:
        return candidates[0][0]
    return None


# -- rows -----------------------------------------------------------------------------------------


def parse_table(
    rows: Sequence[Sequence[Cell]],
    defn: InstrumentDefinition,
    *,
    default_date: date | None = None,
) -> ParsedResponses:
    """Read the export ``rows`` of instrument ``defn`` (module docstring).

    ``default_date`` (the ``--date`` option) is the administration day of every row; without
    it each row's date column is read, and a row without a readable date is a problem.
    Raises :class:`ResponsesFormatError` when no header row with an identity column and the
    items of ``defn`` is found, or when there is neither a date column nor ``default_date``.
    """
    columns: ColumnMap | None = None
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        columns = _columns(defn, row, index + 1)
        if columns is not None:
            break
    if columns is None:
        raise ResponsesFormatError(
            _("No header row with a badge number or name column and the {count} items of "
              "{instrument} was found in the first {rows} rows.").format(
                count=defn.item_count, instrument=defn.code, rows=_HEADER_SCAN_ROWS))
    if columns.date is None and default_date is None:
        raise ResponsesFormatError(
            _("The file has no submission-date column: give the administration date "
              "(--date YYYY-MM-DD)."))
    respondents: list[Respondent] = []
    problems: list[RowProblem] = []
    for index in range(columns.header_row, len(rows)):
        row = rows[index]
        number = index + 1
        if all(_cell_text(c).strip() == "" for c in row):
            continue
        outcome = _read_row(defn, columns, row, number, default_date)
        if isinstance(outcome, RowProblem):
            problems.append(outcome)
        else:
            respondents.append(outcome)
    return ParsedResponses(columns, tuple(respondents), tuple(problems))


def _at(row: Sequence[Cell], index: int | None) -> Cell:
    if index is None or index >= len(row):
        return None
    return row[index]


def _read_row(defn: InstrumentDefinition, columns: ColumnMap, row: Sequence[Cell],
              number: int, default_date: date | None) -> Respondent | RowProblem:
    if any(is_totals_cell(cell) for cell in row):
        return RowProblem(number, _("a totals row (合计/总计), not a respondent: nothing is "
                                    "imported from it"))
    badge_cell = _at(row, columns.badge)
    if isinstance(badge_cell, str) and _SCIENTIFIC.fullmatch(_squash(badge_cell)):
        return RowProblem(number, _(
            "the badge number “{text}” is in scientific notation (the spreadsheet converted "
            "it and digits are lost): format the column as text and export again").format(
                text=badge_cell.strip()[:30]))
    badge = normalize_badge(badge_cell)
    name = normalize_name(_at(row, columns.name))
    unit = normalize_name(_at(row, columns.unit))
    if badge is None and name is None:
        return RowProblem(number, _("no badge number and no name"), identity=True)
    when = default_date
    if when is None:
        when = cell_date(_at(row, columns.date))
        if when is None:
            return RowProblem(number, _("unreadable submission date '{text}'").format(
                text=_cell_text(_at(row, columns.date)).strip()))
    responses: list[int | None] = []
    for item, column in enumerate(columns.items, start=1):
        try:
            responses.append(answer_value(defn, _at(row, column)))
        except AnswerError as exc:
            return RowProblem(number, _("item {item}: {problem}").format(
                item=item, problem=str(exc)))
    if all(v is None for v in responses):
        return RowProblem(number, _("no item is answered"))
    platform = total_value(_at(row, columns.total)) if columns.total is not None else None
    return Respondent(number, badge, name, unit, when, tuple(responses), platform)

"""The submission as an Excel workbook that prints (DESIGN §8; issue 17).

Sheets: ``报告`` first (title, issuing body, 发文字号, classification, period, the narrative
and the legend of the markers, wrapped, and the integrity record in small type), then one
sheet per table, ``附件N …`` — numbered as the DOCX numbers its attachments —, in the order
of the documents: its heading and a line naming the
issuer, period and classification (rows 1–2), the header row (row 3), the rows, the total
row and the note (merged across the table and wrapped).

Printing: A4, each sheet fitted to one page wide (as many pages down as it needs), landscape
when the table is wider than a portrait page holds, rows 1–3 repeated at the top of every
page and frozen on screen with the label column. Published counts are stored as numbers
(``0``), hours and other decimals with one decimal (``0.0``), rates as fractions with a percent
format (``0.0%``); the markers ``<k`` and ``x`` and all labels as text. Column widths count
East Asian wide and full-width characters as two (Unicode East Asian Width ``W``/``F``), as
Excel displays them.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from counselor_tui.i18n import _
from counselor_tui.reports.docx_out import cn_number
from counselor_tui.reports.docx_parts import FONT_BODY, FONT_HEADING
from counselor_tui.reports.view import (
    DocumentView,
    SectionView,
    TableView,
    attachment_caption,
    table_heading,
)
from counselor_tui.reports.zipnorm import normalize_zip

_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")
_PERCENT = re.compile(r"^(-?\d+(?:\.\d+)?)%$")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60
#: Column-width units (characters of the default font) a portrait A4 page holds across
#: between its margins; a wider table prints landscape (and is scaled to the page's width).
PORTRAIT_WIDTH = 72
TEXT_WIDTH = 70  # the report sheet's one wide column: fits a portrait page unscaled
HEAD_ROWS = 3  # heading, issuer line, header row: repeated and frozen


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: 2 per wide/full-width character, else 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def cell_value(text: str) -> int | float | str:
    """A published number as a number (``43.2%`` as 0.432); markers and labels stay text."""
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    percent = _PERCENT.match(text)
    if percent:
        return round(float(percent.group(1)) / 100, 6)
    return text


def number_format(text: str) -> str:
    """The display format of a cell typed as ``text``: percent, one decimal, or general."""
    if _PERCENT.match(text):
        return "0.0%"
    if _FLOAT.match(text):
        return "0.0"
    return "General"


def as_text(cell: Any) -> None:
    """Store a text cell as text: openpyxl makes any string starting with ``=`` a formula,
    and a unit name or narrative line must never run as one in the receiving office's
    spreadsheet (OWASP, "CSV Injection"). Numbers keep their type."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def sheet_title(text: str, taken: set[str]) -> str:
    """``text`` cut to Excel's 31 characters, without ``[]:*?/\\``, unique in ``taken``."""
    title = _BAD_TITLE.sub(" ", text)[:31].strip()
    n = 2
    base = title
    while title in taken:
        suffix = f"~{n}"
        title = base[:31 - len(suffix)] + suffix
        n += 1
    taken.add(title)
    return title


def _print_setup(ws: Any, *, landscape: bool, title_rows: int) -> None:
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    if title_rows:
        ws.print_title_rows = f"1:{title_rows}"
    ws.oddFooter.center.text = "&P / &N"


def _wrapped(ws: Any, row: int, text: str, last_col: int, width: float, *,
             size: float = 11, bold: bool = False) -> None:
    """``text`` in row ``row`` merged across columns 1…``last_col`` (``width`` characters),
    wrapped, the row made tall enough for its lines."""
    from openpyxl.styles import Alignment, Font

    cell = ws.cell(row=row, column=1, value=text)
    as_text(cell)
    cell.font = Font(name=FONT_HEADING if bold else FONT_BODY, size=size, bold=bold)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if last_col > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    lines = sum(max(1, math.ceil(display_width(part) / max(1.0, width)))
                for part in text.split("\n"))
    ws.row_dimensions[row].height = max(1, lines) * size * 1.45


def _report_sheet(ws: Any, view: DocumentView) -> None:
    f = view.filing
    ws.column_dimensions["A"].width = TEXT_WIDTH
    row = 1
    _wrapped(ws, row, view.title, 1, TEXT_WIDTH, size=14, bold=True)
    for line in (view.issuer, "　".join(x for x in (f.number, f.classification) if x),
                 f"{view.period} · {view.scope}", f.date):
        if line:
            row += 1
            _wrapped(ws, row, line, 1, TEXT_WIDTH)
    narrative = next((s for s in view.sections if s.key == "narrative"), None)
    for i, (label, text) in enumerate(narrative.paragraphs if narrative else (), start=1):
        row += 2
        _wrapped(ws, row, f"{cn_number(i)}、{label}", 1, TEXT_WIDTH, bold=True)
        row += 1
        _wrapped(ws, row, text, 1, TEXT_WIDTH)
    if view.footnote:
        row += 2
        _wrapped(ws, row, view.footnote, 1, TEXT_WIDTH)
    integrity = next((s for s in view.sections if s.key == "integrity"), None)
    if integrity is not None:
        row += 2
        _wrapped(ws, row, integrity.title, 1, TEXT_WIDTH, size=9, bold=True)
        for label, text in integrity.paragraphs:
            row += 1
            _wrapped(ws, row, f"{label}：{text}", 1, TEXT_WIDTH, size=9)
    _print_setup(ws, landscape=False, title_rows=0)


def _table_sheet(ws: Any, view: DocumentView, section: SectionView, table: TableView) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    rows = table.all_rows()
    n_cols = len(table.header)
    widths = [min(MAX_WIDTH, max(display_width(r[j]) for r in rows) + 2) for j in range(n_cols)]
    widths[0] = max(widths[0], 12)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    total_width = float(sum(widths))
    # heading and issuer line wrapped within the table's width: text running past the
    # table would widen what is printed and shrink the table on the page
    _wrapped(ws, 1, attachment_caption(table.number, table_heading(section, table)), n_cols,
             total_width, size=12, bold=True)
    _wrapped(ws, 2, " · ".join(
        x for x in (view.issuer, view.period, view.filing.number, view.marking) if x),
        n_cols, total_width, size=9)
    last = len(rows) - 1
    for i, values in enumerate(rows):
        r = HEAD_ROWS + i
        bold = i == 0 or (table.total is not None and i == last)
        for j, text in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j, value=cell_value(text) if i and j > 1 else text)
            as_text(cell)
            cell.number_format = number_format(text) if i and j > 1 else "@"
            cell.font = Font(name=FONT_HEADING if bold else FONT_BODY, size=11, bold=bold)
            cell.border = box
            cell.alignment = Alignment(
                horizontal="center" if i == 0 else "right" if j > 1 else "left",
                vertical="center", wrap_text=True)
    if table.note:
        _wrapped(ws, HEAD_ROWS + len(rows) + 1, table.note, n_cols, total_width)
    ws.freeze_panes = ws.cell(row=HEAD_ROWS + 1, column=2)
    _print_setup(ws, landscape=total_width > PORTRAIT_WIDTH, title_rows=HEAD_ROWS)


def render_xlsx(view: DocumentView, when: datetime) -> bytes:
    """The XLSX bytes of ``view``: the report sheet, then one sheet per table; dated ``when``
    (the compile time) in its properties and ZIP members, so the same submission gives the
    same bytes."""
    # openpyxl (and numpy, which it loads when present) on the first workbook, not at
    # start-up (issue 18)
    from openpyxl import Workbook

    wb = Workbook()
    taken: set[str] = set()
    report = wb.active
    report.title = sheet_title(_("Report"), taken)
    _report_sheet(report, view)
    for section in view.sections:
        for table in section.tables:
            ws = wb.create_sheet(sheet_title(
                attachment_caption(table.number, table_heading(section, table)), taken))
            _table_sheet(ws, view, section, table)
    wb.properties.title = view.title
    wb.properties.creator = view.issuer
    wb.properties.lastModifiedBy = view.issuer
    wb.properties.created = when.astimezone(UTC).replace(tzinfo=None)
    wb.properties.modified = when.astimezone(UTC).replace(tzinfo=None)
    buf = io.BytesIO()
    wb.save(buf)
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")

    def fixed_modified(xml: bytes) -> bytes:  # openpyxl stamps the save time there
        return _MODIFIED.sub(lambda m: m.group(1) + stamp + m.group(2), xml)

    return normalize_zip(buf.getvalue(), when, {"docProps/core.xml": fixed_modified})

"""The submission as an Excel workbook: one sheet per section (DESIGN §8).

Each sheet starts with the document title, issuing body, period and scope, then the section's
tables (caption, header, rows, total, note). Published counts are stored as numbers, the
markers ``<k`` and ``x`` as text. Column widths count East Asian wide and full-width
characters as two (Unicode East Asian Width ``W``/``F``), as Excel displays them.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from counselor_tui.reports.docx_out import cn_number
from counselor_tui.reports.docx_parts import FONT_BODY, FONT_HEADING
from counselor_tui.reports.view import DocumentView, SectionView
from counselor_tui.reports.zipnorm import normalize_zip

_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: 2 per wide/full-width character, else 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def cell_value(text: str) -> int | float | str:
    """A published number as a number; markers and labels stay text."""
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def as_text(cell: Any) -> None:
    """Store a text cell as text: openpyxl makes any string starting with ``=`` a formula,
    and a unit name or narrative line must never run as one in the receiving office's
    spreadsheet (OWASP, "CSV Injection"). Numbers keep their type."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def sheet_title(section: SectionView) -> str:
    """``1 心理咨询辅导情况`` cut to Excel's 31 characters, without ``[]:*?/\\``."""
    return _BAD_TITLE.sub(" ", f"{section.number} {section.title}")[:31]


def _write_section(ws: Any, view: DocumentView, section: SectionView) -> None:
    widths: dict[int, int] = {}

    def put(row: int, col: int, text: str, *, bold: bool = False, box: bool = False,
            right: bool = False) -> None:
        cell = ws.cell(row=row, column=col, value=cell_value(text) if box else text)
        as_text(cell)
        cell.font = Font(name=FONT_HEADING if bold else FONT_BODY, bold=bold, size=11)
        if box:
            cell.border = BOX
            cell.alignment = Alignment(horizontal="right" if right else "left",
                                       vertical="center", wrap_text=False)
        if box:
            widths[col] = max(widths.get(col, 0), display_width(text))

    row = 1
    put(row, 1, view.title, bold=True)
    row += 1
    put(row, 1, " · ".join(x for x in (view.issuer, view.scope, view.version_line) if x))
    row += 1
    put(row, 1, view.marking)
    row += 2
    put(row, 1, f"{cn_number(section.number)}、{section.title}", bold=True)
    row += 1
    for label, text in section.paragraphs:
        put(row, 1, label, bold=True)
        for line in [x for x in text.splitlines() if x.strip()] or [text]:
            as_text(ws.cell(row=row, column=2, value=line))
            row += 1
    for table in section.tables:
        row += 1
        put(row, 1, table.caption, bold=True)
        row += 1
        for i, values in enumerate(table.all_rows()):
            header = i == 0 or (table.total is not None and i == len(table.all_rows()) - 1)
            for j, text in enumerate(values, start=1):
                put(row, j, text, bold=header, box=True, right=j > 1 and i > 0)
            row += 1
        if table.note:
            put(row, 1, table.note)
            row += 1
    if view.footnote and section.tables:
        row += 1
        put(row, 1, view.footnote)
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(MAX_WIDTH, width + 2)
    if section.paragraphs and 2 not in widths:
        ws.column_dimensions["A"].width = max(widths.get(1, 0) + 2, 24)
        ws.column_dimensions["B"].width = MAX_WIDTH + 20


def render_xlsx(view: DocumentView, when: datetime) -> bytes:
    """The XLSX bytes of ``view``: one sheet per section; dated ``when`` (the compile time)
    in its properties and ZIP members, so the same submission gives the same bytes."""
    wb = Workbook()
    first = True
    for section in view.sections:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = sheet_title(section)
        _write_section(ws, view, section)
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



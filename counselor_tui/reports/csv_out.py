"""The submission as one CSV file: UTF-8 *with* BOM (so Excel on Chinese Windows reads it),
CRLF line ends, every section's tables stacked (DESIGN §8).

Layout: the title, issuing body, scope and marking lines; then per section a heading line
(``一、心理咨询辅导情况``), and per table a caption line (``表1. …``), the header row, the
rows, the total row, the note line and an empty line. Narrative and integrity sections are
``label,text`` rows. Cells hold the same text as the documents (``<3``, ``x`` for hidden
counts), except that a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'`` (:func:`neutralise`): a unit name or a narrative line
typed as ``=HYPERLINK(…)`` must never become a live formula when the office opens the file
in Excel or LibreOffice (OWASP, "CSV Injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from counselor_tui.reports.docx_out import cn_number
from counselor_tui.reports.view import DocumentView

BOM = "\ufeff"
#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    """``cell`` itself, or for text that a spreadsheet would run as a formula the same
    text after a ``'`` (shown as text by Excel and LibreOffice). Numbers are kept."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class _SafeWriter:
    """A :func:`csv.writer` whose every cell passes through :func:`neutralise`."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: Sequence[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Sequence[object]]) -> None:
        for row in rows:
            self.writerow(row)


def render_csv(view: DocumentView) -> bytes:
    """The CSV bytes of ``view`` (UTF-8 with BOM, CRLF)."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow([view.title])
    writer.writerow([view.issuer])
    writer.writerow([view.scope])
    if view.version_line:
        writer.writerow([view.version_line])
    writer.writerow([view.marking])
    writer.writerow([])
    for section in view.sections:
        writer.writerow([f"{cn_number(section.number)}、{section.title}"])
        for label, text in section.paragraphs:
            writer.writerow([label, text])
        for table in section.tables:
            writer.writerow([table.caption])
            writer.writerows(table.all_rows())
            if table.note:
                writer.writerow([table.note])
            writer.writerow([])
        if section.paragraphs:
            writer.writerow([])
    if view.footnote:
        writer.writerow([view.footnote])
    return (BOM + out.getvalue()).encode("utf-8")

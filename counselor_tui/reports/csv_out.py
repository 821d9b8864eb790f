"""The submission as CSV: UTF-8 *with* BOM (so Excel on Chinese Windows reads it), CRLF line
ends (DESIGN §8) — one readable file with every section's tables stacked, and one file per
table for loading (issue 17).

Per table (:func:`render_table_csvs`, ``tables/附件NN-<table id>.csv`` in the package, NN
the number of the attachment that prints it): the header row, then one row per record —
each row of the table as printed, the total row last, labelled as in the documents — each
led by its row type (``明细`` or ``合计``), nothing else (no caption, note or blank line), so
a receiving office can sort, filter, pivot or load it.

Layout: the title, issuing body, scope and marking lines and the legend of the markers
(before any table uses one); then per section a heading line
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

from counselor_tui.i18n import _
from counselor_tui.reports.docx_out import cn_number
from counselor_tui.reports.view import DocumentView, TableView, attachment_label

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


TABLES_DIR = "tables"


def table_csv_name(table: TableView) -> str:
    """``tables/附件02-counseling.by_channel.csv``: the attachment that prints the table
    (``附件2`` in the DOCX, the XLSX sheet ``附件2 …``; two digits so the files sort in
    order) and the table id."""
    label = attachment_label(table.number).replace(str(table.number), f"{table.number:02d}")
    return f"{TABLES_DIR}/{label.replace(' ', '')}-{table.id}.csv"


def row_type_column(table: TableView) -> list[str]:
    """The first column of a table's CSV: ``行类型`` (row type) over ``明细`` for each record
    and ``合计`` for the total row, so a clerk filtering or summing the records leaves the
    total out by one filter (``docs/receiving-checklist.md``)."""
    kinds = [_("record")] * len(table.rows)
    if table.total is not None:
        kinds.append(_("total"))
    return [_("Row type"), *kinds]


def render_table_csv(table: TableView) -> bytes:
    """One table as CSV (UTF-8 with BOM, CRLF): the header row, one row per table row, the
    total row last, each row led by its row type (:func:`row_type_column`); cells as in the
    documents (``<3``, ``x`` for hidden counts)."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    for kind, row in zip(row_type_column(table), table.all_rows(), strict=True):
        writer.writerow([kind, *row])
    return (BOM + out.getvalue()).encode("utf-8")


def render_table_csvs(view: DocumentView) -> dict[str, bytes]:
    """``{tables/附件NN-<id>.csv: bytes}`` for every table of ``view``."""
    return {table_csv_name(t): render_table_csv(t)
            for section in view.sections for t in section.tables}


def render_csv(view: DocumentView) -> bytes:
    """The CSV bytes of ``view`` (UTF-8 with BOM, CRLF)."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow([view.title])
    writer.writerow([view.issuer])
    writer.writerow([view.scope])
    if view.version_line:
        writer.writerow([view.version_line])
    if view.marking:  # the classification, when the document is classified
        writer.writerow([view.marking])
    if view.footnote:  # the legend of the markers, before the first table that uses one
        writer.writerow([view.footnote])
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
    return (BOM + out.getvalue()).encode("utf-8")

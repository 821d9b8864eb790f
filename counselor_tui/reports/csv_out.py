"""The submission as one CSV file: UTF-8 *with* BOM (so Excel on Chinese Windows reads it),
CRLF line ends, every section's tables stacked (DESIGN §8).

Layout: the title, issuing body, scope and marking lines; then per section a heading line
(``一、心理咨询辅导情况``), and per table a caption line (``表1. …``), the header row, the
rows, the total row, the note line and an empty line. Narrative and integrity sections are
``label,text`` rows. Cells hold the same text as the documents (``<3``, ``x`` for hidden
counts).
"""

from __future__ import annotations

import csv
import io

from counselor_tui.reports.docx_out import cn_number
from counselor_tui.reports.view import DocumentView

BOM = "\ufeff"


def render_csv(view: DocumentView) -> bytes:
    """The CSV bytes of ``view`` (UTF-8 with BOM, CRLF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
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

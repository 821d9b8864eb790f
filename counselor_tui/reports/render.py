"""All four files of a submission from its document (DESIGN §8 "Formats").

``submission.json`` carries the exact counts; the DOCX, XLSX and CSV carry the tables after
disclosure control, in the current interface language (Chinese by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from counselor_tui.reports.content import compiled_now
from counselor_tui.reports.csv_out import render_csv, render_table_csvs
from counselor_tui.reports.document import canonical_bytes
from counselor_tui.reports.docx_out import render_docx
from counselor_tui.reports.package import CSV_NAME, DOCX_NAME, JSON_NAME, XLSX_NAME
from counselor_tui.reports.view import build
from counselor_tui.reports.xlsx_out import render_xlsx


def render_files(document: Mapping[str, Any]) -> dict[str, bytes]:
    """``{"submission.json", "submission.docx", "submission.xlsx", "submission.csv",
    "tables/附件NN-<table id>.csv", …}`` → bytes (one CSV per table besides the readable one).
    The JSON is the canonical document; the others are dated with its compile time, so the
    same document always renders to the same bytes."""
    view = build(document)
    when = compiled_now(document)
    return {
        JSON_NAME: canonical_bytes(document),
        DOCX_NAME: render_docx(view, when),
        XLSX_NAME: render_xlsx(view, when),
        CSV_NAME: render_csv(view),
        **render_table_csvs(view),
    }

"""The legend of the markers (issue 13 point 4): every marker a document prints is explained
before the first table that uses it — ``…`` (withheld by linked suppression or group
disclosure) included."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import docx

from counselor_tui.reports.csv_out import render_csv
from counselor_tui.reports.docx_out import render_docx
from counselor_tui.reports.linking import Doc, secure_document
from counselor_tui.reports.view import build

K = 3
OCT = {"kind": "month", "label": "2026-10", "start": "2026-10-01", "end": "2026-11-01"}
TIERS = ["green", "yellow", "red", "none"]


def document(archive: dict[str, dict[str, int]]) -> dict[str, Any]:
    """A bureau document whose only figures are the officers by unit and tier, protected
    with the linked rules (group disclosure withholds a unit row all in one sensitive tier)."""
    rows = list(archive)
    doc: dict[str, Any] = {
        "period": dict(OCT), "scope": {"kind": "bureau", "code": "bureau"},
        "issuer": {"bureau": "测试县公安局", "unit_name": None},
        "units": {"U01": "城关派出所", "U02": "交警大队", "U03": "刑侦大队"},
        "integrity": {"compiled_at": "2026-11-02T09:00:00+08:00", "audit_head": "0" * 64},
        "sections": {"archive": {
            "figures": {"serving": sum(map(sum, (r.values() for r in archive.values())))},
            "tables": {"tiers_by_unit": {
                "type": "table", "rows": rows, "cols": TIERS,
                "counts": [[archive[r][c] for c in TIERS] for r in rows]}}}},
    }
    doc["disclosure"] = secure_document(Doc(doc, False, "now"), [], K)
    return doc


def cell_texts(view: Any) -> set[str]:
    return {cell for section in view.sections for table in section.tables
            for row in table.all_rows() for cell in row}


def test_the_withheld_marker_is_explained_before_the_first_table_that_prints_it() -> None:
    withheld = document({"U01": {"green": 0, "yellow": 0, "red": 6, "none": 0},  # all red
                         "U02": {"green": 16, "yellow": 14, "red": 13, "none": 3},
                         "U03": {"green": 17, "yellow": 13, "red": 4, "none": 5}})
    view = build(withheld)
    assert "…" in cell_texts(view)
    assert "“…” marks a figure withheld" in view.footnote
    assert "“<3” stands for a count from 1 to 2" in view.footnote
    # DOCX: the legend is in the body, before the attachments that hold the tables
    paragraphs = [p.text for p in docx.Document(io.BytesIO(
        render_docx(view, datetime(2026, 11, 2, tzinfo=UTC)))).paragraphs]
    legend_at = next(i for i, t in enumerate(paragraphs) if "“…” marks a figure" in t)
    first_table_at = next(i for i, t in enumerate(paragraphs) if t.startswith("Attachment 1"))
    assert legend_at < first_table_at
    # CSV: the legend comes before the first table's rows
    lines = list(csv.reader(io.StringIO(render_csv(view).decode("utf-8-sig"))))
    legend_line = next(i for i, r in enumerate(lines) if r and "“…” marks a figure" in r[0])
    first_marker = next(i for i, r in enumerate(lines) if "…" in r[1:])
    assert legend_line < first_marker


def test_a_document_without_withheld_cells_does_not_explain_the_marker() -> None:
    plain = document({"U01": {"green": 6, "yellow": 5, "red": 1, "none": 0},
                      "U02": {"green": 16, "yellow": 14, "red": 13, "none": 3},
                      "U03": {"green": 17, "yellow": 13, "red": 4, "none": 5}})
    view = build(plain)
    assert "…" not in cell_texts(view)
    assert "“…”" not in view.footnote and "“x”" in view.footnote

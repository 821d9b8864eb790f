"""The workbook prints and the tables load (issue 17): the XLSX as openpyxl and LibreOffice
see it, and one CSV per table checked against the exact JSON after suppression — derived
from the JSON's own disclosure record, not from the code that printed the tables."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import openpyxl
import pytest
from docx import Document

from counselor_tui.reports.spec import SECTIONS, section_spec
from counselor_tui.reports.xlsx_out import PORTRAIT_WIDTH
from tests.integration.layout_support import MM, Printed, open_pdf, page_lines, printed_once

pytestmark = pytest.mark.slow  # one LibreOffice print of a demo month for the module


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    return printed_once(tmp_path_factory)


def test_every_table_sheet_freezes_repeats_and_fits_one_page_wide(printed: Printed) -> None:
    book = openpyxl.load_workbook(io.BytesIO(printed.files["submission.xlsx"]))
    assert book.sheetnames[0] == "报告"
    tables = book.sheetnames[1:]
    assert len(tables) >= 15 and all(name.startswith("附件") for name in tables)
    landscape = 0
    for name in tables:
        ws = book[name]
        assert ws.freeze_panes == "B4", name  # heading, issuer line, header row; labels
        assert ws.print_title_rows == "$1:$3", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), name
        assert int(ws.page_setup.paperSize) == 9  # A4
        width = sum(ws.column_dimensions[c].width for c in ws.column_dimensions)
        wide = width > PORTRAIT_WIDTH
        landscape += wide
        assert ws.page_setup.orientation == ("landscape" if wide else "portrait"), name
    assert landscape >= 1
    campaigns = next(book[n] for n in tables if "普查进度" in n)
    header = [c.value for c in campaigns[3]]
    rate = campaigns.cell(row=4, column=header.index("完成率") + 1)
    assert isinstance(rate.value, float) and 0 < rate.value <= 1 and rate.number_format == "0.0%"
    team = next(book[n] for n in tables if "队伍建设" in n)
    hours = next(row[1] for row in team.iter_rows(min_row=4) if row[0].value == "辅导员参训学时")
    assert isinstance(hours.value, int | float) and hours.number_format == "0.0"
    notes = [c for n in tables for row in book[n].iter_rows() for c in row
             if isinstance(c.value, str) and len(c.value) > 30]
    assert notes and all(c.alignment.wrap_text for c in notes)
    report = book["报告"]
    narrative = next(c for row in report.iter_rows() for c in row
                     if isinstance(c.value, str) and c.value.startswith("本月组织"))
    assert narrative.alignment.wrap_text


def test_libreoffice_prints_each_sheet_one_page_wide(printed: Printed) -> None:
    book = openpyxl.load_workbook(io.BytesIO(printed.files["submission.xlsx"]))
    headings = [str(book[n]["A1"].value) for n in book.sheetnames]
    with open_pdf(printed.xlsx_pdf) as pdf:
        assert len(pdf.pages) == len(headings)  # nothing spills onto a page of its own
        for page, heading in zip(pdf.pages, headings, strict=True):
            width = page.width * MM
            assert all(c["x0"] * MM >= 0 and c["x1"] * MM <= width for c in page.chars)
            top = "".join(ln.text for ln in page_lines(page)[:3]).replace(" ", "")
            assert top.startswith(heading.replace(" ", ""))  # the sheet's own page


def _expected(document: dict[str, Any], tid: str) -> list[list[str]] | None:
    """The body and total rows of count table ``tid`` as the documents must show them,
    worked out from the exact counts and the JSON's record of suppressed cells; None for a
    table the disclosure record withheld or demoted, and for measure tables."""
    disclosure = document["disclosure"]
    if tid in disclosure.get("withheld", []) or tid in disclosure.get("demoted", []):
        return None
    section, key = tid.split(".", 1)
    data = document["sections"][section]["tables"][key]
    markers = disclosure["markers"]
    hidden = {(e["row"], e["col"]): markers[e["status"]]
              for e in disclosure["suppressed"].get(tid, [])}
    if data["type"] == "series":
        rows = [[hidden.get((r, None), str(v))] for r, v in zip(data["rows"], data["counts"],
                                                                strict=True)]
        return [*rows, [hidden.get((None, None), str(sum(data["counts"])))]]
    if data["type"] != "table":
        return None
    out = []
    for r, counts in zip(data["rows"], data["counts"], strict=True):
        cells = [hidden.get((r, c), str(v)) for c, v in zip(data["cols"], counts, strict=True)]
        out.append([*cells, hidden.get((r, None), str(sum(counts)))])
    totals = [sum(row[j] for row in data["counts"]) for j in range(len(data["cols"]))]
    out.append([*(hidden.get((None, c), str(v)) for c, v in zip(data["cols"], totals,
                                                                 strict=True)),
                hidden.get((None, None), str(sum(totals)))])
    return out


def test_one_csv_per_table_loads_and_agrees_with_the_json(printed: Printed) -> None:
    document = json.loads(printed.files["submission.json"])
    names = sorted(n for n in printed.files if n.startswith("tables/"))
    assert len(names) >= 15
    checked = 0
    for name in names:
        data = printed.files[name]
        assert data.startswith("\ufeff".encode()), name  # UTF-8 with BOM
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert rows[0][0] == "行类型", name  # the row type leads every row
        rows = [r[1:] for r in rows]
        header, body = rows[0], rows[1:]
        assert body and all(len(r) == len(header) for r in body), name
        assert all(r[0] for r in body), name  # every record has its label
        tid = re.fullmatch(r"tables/附件\d\d-(.+)\.csv", name).group(1)  # type: ignore[union-attr]
        if tid.endswith(".figures"):
            section = tid.split(".")[0]
            spec = section_spec(section)
            figures = document["sections"][section]["figures"]
            hidden = {e["row"] for e in document["disclosure"]["suppressed"].get(tid, [])}
            shown = [f for f in spec.figures if not f.optional or f.key in figures]
            for fig, (_label, value) in zip(shown, body, strict=True):
                if fig.key in hidden:
                    assert value in ("<3", "x"), (tid, fig.key)
                elif fig.unit == "count":
                    assert value == str(figures[fig.key]), (tid, fig.key)
            checked += 1
            continue
        if tid == "census.campaigns":
            campaign = document["sections"]["census"]["campaigns"][0]
            assert body[0][0] == campaign["name"]
            assert body[0][header.index("应测人数")] == str(campaign["target"])
            checked += 1
            continue
        expected = _expected(document, tid)
        if expected is None:
            continue
        assert [r[1:] for r in body] == expected, tid
        checked += 1
    assert checked >= 14
    assert any(v in ("<3", "x") for n in names for v in printed.files[n].decode("utf-8-sig")
               .replace("\r\n", ",").split(","))
    assert {s.key for s in SECTIONS} >= {n.split("-", 1)[1].split(".")[0] for n in names}


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_total_rows_are_marked_by_their_row_type(printed: Printed) -> None:
    """A clerk summing or pivoting the records filters 行类型 = 明细: the total row — and only
    it — is 合计, the last row, labelled 合计 as in the documents."""
    document = json.loads(printed.files["submission.json"])
    names = sorted(n for n in printed.files if n.startswith("tables/"))
    with_totals = 0
    for name in names:
        rows = _csv_rows(printed.files[name])
        kinds = [r[0] for r in rows[1:]]
        assert set(kinds) <= {"明细", "合计"}, name
        if "合计" in kinds:
            with_totals += 1
            assert kinds.index("合计") == len(kinds) - 1, name  # only the last row
            assert rows[-1][1] == "合计", name
            records = [r for r in rows[1:] if r[0] == "明细"]
            tid = name.split("-", 1)[1].removesuffix(".csv")
            section, key = tid.split(".", 1)
            data = document["sections"][section].get("tables", {}).get(key)
            if data and data["type"] in ("series", "table") and \
                    tid not in document["disclosure"].get("withheld", []):
                assert len(records) == len(data["rows"]), name
        else:
            assert all(r[1] != "合计" for r in rows[1:]), name
    assert with_totals >= 10


def test_one_numbering_across_docx_xlsx_and_csv(printed: Printed) -> None:
    """附件N of the DOCX is the XLSX sheet 附件N … and the CSV tables/附件NN-…: same table,
    same title, so a clerk matches them at a glance."""
    doc = Document(io.BytesIO(printed.files["submission.docx"]))
    paragraphs = [p.text for p in doc.paragraphs]
    docx_titles: dict[int, str] = {}
    for i, text in enumerate(paragraphs):
        match = re.fullmatch(r"附件(\d+)", text)
        if match:
            title = next(t for t in paragraphs[i + 1:] if t.strip())
            docx_titles[int(match.group(1))] = title.replace("\n", "")
    book = openpyxl.load_workbook(io.BytesIO(printed.files["submission.xlsx"]))
    sheets = {int(m.group(1)): (name, str(book[name]["A1"].value)) for name in book.sheetnames
              if (m := re.match(r"附件(\d+) ", name))}
    csvs = {int(m.group(1)): name for name in printed.files
            if (m := re.fullmatch(r"tables/附件(\d\d)-.+\.csv", name))}
    assert len(sheets) >= 15 and sorted(sheets) == sorted(csvs) == list(range(1, len(csvs) + 1))
    assert set(sheets) < set(docx_titles)  # the DOCX also has the integrity attachment
    for n, (_sheet, heading) in sheets.items():
        assert heading == f"附件{n} {docx_titles[n]}", (n, heading, docx_titles[n])
    assert "表1" not in printed.files["submission.csv"].decode("utf-8-sig")
    assert "附件1 " in printed.files["submission.csv"].decode("utf-8-sig")

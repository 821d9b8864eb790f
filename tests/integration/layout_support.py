"""A finalized demo month rendered and printed through LibreOffice once per test session,
as the receiving office prints it (issue 17): the DOCX and the XLSX to PDF, read back with
pdfplumber. Skipped, with the reason shown, where LibreOffice (``.ci/system-deps``) is
missing. :func:`printed_once` shares the one print between every module and every xdist
worker of a run (a print costs ~10 s of CPU, and the modules reading it were printing it
once per module and per worker they ran on)."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from counselor_tui import demo
from counselor_tui.i18n import set_language
from counselor_tui.reports.docx_out import render_docx
from counselor_tui.reports.render import render_files
from counselor_tui.reports.view import build
from counselor_tui.services import lifecycle, settings, submissions
from counselor_tui.services.context import FixedClock
from tests.conftest import PASSPHRASE, TZ

MM = 25.4 / 72
SETTINGS = {
    "doc_recipient": "市公安局政治部",
    "doc_signer": "王建国",
    "doc_cc": "市公安局警务保障部，市公安局督察支队",
    "doc_note": "联系人：李明，电话：12345678",
    "doc_number_pattern": "东公政〔{年}〕{号}号",
}
#: LibreOffice's PDF filter keeping automatically inserted blank pages (LibreOffice ≥ 7.4).
WRITER_PDF = ('pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}')
NARRATIVE = {
    "highlights": "本月组织心理健康讲座两场，覆盖民警一百二十人次；完成年度心理普查的数据汇总"
                  "和重点人员的回访工作，各单位兼职心理辅导员均按时报送了辅导记录，资料齐全。",
    "problems": "部分单位辅导场所不足。",
    "plan": "下月开展新警心理调适培训。",
}


@dataclass(frozen=True)
class Printed:
    """The rendered files (name → bytes), the document, and the PDFs LibreOffice made."""

    files: dict[str, bytes]
    document: dict[str, Any]
    docx_pdf: Path
    xlsx_pdf: Path
    long_table_pdf: Path


def soffice() -> str:
    """The LibreOffice binary, or skip with the reason."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.skip("LibreOffice is not installed (.ci/system-deps installs "
                    "libreoffice-writer-nogui and libreoffice-calc-nogui): the printed layout "
                    "is not checked here")
    return found


def print_month(root: Path) -> Printed:
    """Build the tiny demo, finalize 2026-11 as 秘密★1年 with the document settings, render its
    files in Chinese, and print the DOCX, the XLSX and a DOCX whose table runs over pages."""
    binary = soffice()
    clock = FixedClock(datetime(2026, 12, 7, 9, 0, tzinfo=TZ))
    path = root / "demo" / "demo.db"
    demo.build_demo(path, "tiny", 1, PASSPHRASE, clock, kdf_seconds=0, state_dir=root / "s")
    admin = lifecycle.unlock(path, demo.ADMIN_USER, PASSPHRASE, clock=clock,
                             state_dir=root / "s")
    try:
        settings.save_settings(admin, SETTINGS)
    finally:
        admin.close()
    vs = lifecycle.unlock(path, demo.DEMO_USER, PASSPHRASE, clock=clock, state_dir=root / "s")
    try:  # the coordinator compiles and finalizes (DESIGN §5)
        draft = submissions.compile_draft(vs, "2026-11")
        submissions.save_narrative(vs, draft.info.id, NARRATIVE)
        # 密级 and 保密期限 chosen at finalize (the settings say 秘密, statutory term)
        submissions.finalize(vs, draft.info.id, classification="秘密", classification_years=1)
        document = submissions.get(vs, draft.info.id).document
    finally:
        vs.close()
    set_language("zh")
    try:
        files = render_files(document)
        view = build(document)
        long_rows = tuple((f"单位{i:02d}", *("1" for _ in view.sections[0].tables[1].header[1:]))
                          for i in range(70))
        sections = list(view.sections)
        first = sections[0]
        tables = list(first.tables)
        tables[1] = replace(tables[1], rows=long_rows)
        sections[0] = replace(first, tables=tuple(tables))
        long_docx = render_docx(replace(view, sections=tuple(sections)),
                                datetime(2026, 12, 7, 9, 0, tzinfo=TZ))
    finally:
        set_language("en")
    out = root / "printed"
    out.mkdir(parents=True)
    (out / "submission.docx").write_bytes(files["submission.docx"])
    (out / "workbook.xlsx").write_bytes(files["submission.xlsx"])
    (out / "long.docx").write_bytes(long_docx)
    # the DOCX as printed on both sides: with the blank page LibreOffice inserts before an
    # even-page section (the 版记), which its PDF export leaves out unless told not to
    profile = f"-env:UserInstallation=file://{root / 'lo'}"
    subprocess.run([binary, "--headless", profile, "--convert-to", WRITER_PDF, "--outdir",
                    str(out), str(out / "submission.docx"), str(out / "long.docx")],
                   check=True, capture_output=True, timeout=600)
    subprocess.run([binary, "--headless", profile, "--convert-to", "pdf", "--outdir", str(out),
                    str(out / "workbook.xlsx")], check=True, capture_output=True, timeout=600)
    return Printed(files, document, out / "submission.pdf", out / "workbook.pdf",
                   out / "long.pdf")


def printed_once(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    """:func:`print_month` made once per test run and shared: under xdist in the run's own
    temporary folder, the parent of every worker's (a lock makes the other workers wait for
    the first one's print and then read it); without xdist in this session's folder."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # pytest-N: this run's, shared by its workers (pytest-xdist docs)
    shared = root / "printed-month"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released as the file is closed
        done = shared / "printed.pickle"
        if done.exists():
            loaded: Printed = pickle.loads(done.read_bytes())
            return loaded
        (shared / "print").mkdir(exist_ok=True)
        made = print_month(shared / "print")
        done.write_bytes(pickle.dumps(made))
        return made


@dataclass(frozen=True)
class Line:
    """One printed line: text, box in mm from the page's top left, size, characters."""

    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    size: float
    chars: tuple[dict[str, Any], ...]


def page_lines(page: Any) -> list[Line]:
    """The text lines of a pdfplumber page, top to bottom, in mm."""
    return [Line(ln["text"], ln["top"] * MM, ln["bottom"] * MM, ln["x0"] * MM, ln["x1"] * MM,
                 round(ln["chars"][0]["size"], 1), tuple(ln["chars"]))
            for ln in page.extract_text_lines()]


def open_pdf(path: Path) -> Any:
    """The PDF opened with pdfplumber (a context manager)."""
    return pdfplumber.open(str(path))

"""Regenerate the page images of ``docs/receiving-checklist.md``.

Builds the tiny demo, finalizes 2026-11 with the document settings of the layout tests,
prints the DOCX (and a DOCX whose table runs over a page) and the XLSX through LibreOffice
exactly as ``tests/integration/layout_support.py`` does, and cuts each element out of the
printed pages with ``pdftoppm`` (100 dpi)::

    .venv/bin/python docs/tools/checklist_images.py
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.integration.layout_support import open_pdf, page_lines, print_month  # noqa: E402

OUT = ROOT / "docs" / "images" / "receiving"
DPI = 100
#: image name → (PDF: "docx" / "long" / "xlsx", the line the element is found by (regex; the
#: n-th match when a number follows "@"), mm above that line, mm below it)
CROPS: dict[str, tuple[str, str, float, float]] = {
    "01-head": ("docx", r"^000001$", 8, 85),
    "02-title-recipient-body": ("docx", r"^关于", 8, 120),
    "03-page-number-odd": ("docx", r"^— 1 —$", 15, 8),
    "04-legend-attachment-list": ("docx", r"“<3”表示", 25, 90),
    "05-page-number-even": ("docx", r"^— 2 —$", 15, 8),
    "06-signature-date-note": ("docx", r"联系人", 60, 8),
    "07-attachment": ("docx", r"^附件 ?1$", 8, 90),
    "08-header-repeated": ("long", r"^单位\d\d @2", 60, 20),
    "09-integrity-annex": ("docx", r"^附件 ?19$", 8, 70),
    "10-imprint": ("docx", r"^抄送", 30, 30),
    "11-xlsx-table-page": ("xlsx", r"普查进度", 8, 60),
    "12-campaign-table": ("docx", r"^本期普查进度$", 8, 40),
}


def locate(pdf_path: Path, pattern: str) -> tuple[int, float, float]:
    """(page number, top mm, bottom mm) of the line matching ``pattern``; ``@n`` picks the
    first line on the n-th page that has one."""
    wanted = 1
    if " @" in pattern:
        pattern, nth = pattern.rsplit(" @", 1)
        wanted = int(nth)
    seen = 0
    with open_pdf(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            found = [ln for ln in page_lines(page) if re.search(pattern, ln.text)]
            if found:
                seen += 1
                if seen == wanted:
                    return number, found[0].top, found[0].bottom
    raise LookupError(pattern)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        printed = print_month(Path(tmp))
        pdfs = {"docx": printed.docx_pdf, "long": printed.long_table_pdf,
                "xlsx": printed.xlsx_pdf}
        OUT.mkdir(parents=True, exist_ok=True)
        px = DPI / 25.4
        for name, (which, pattern, above, below) in CROPS.items():
            number, top, bottom = locate(pdfs[which], pattern)
            y0 = max(0.0, top - above)
            subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(number), "-l",
                            str(number), "-singlefile", "-y", str(round(y0 * px)), "-H",
                            str(round((bottom + below - y0) * px)), "-x", "0", "-W",
                            str(round(297 * px)), str(pdfs[which]), str(OUT / name)],
                           check=True)
            print(OUT / f"{name}.png", "page", number)


if __name__ == "__main__":
    main()

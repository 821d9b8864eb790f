"""The submission as a Word document in the layout of official documents (DESIGN §8).

Layout after GB/T 9704-2012 《党政机关公文格式》: A4 with margins 37/35/28/26 mm (top, bottom,
left, right); a confidentiality marking at the top left in 黑体; the issuing body in red
方正小标宋简体 over a red rule; the title in 方正小标宋简体 二号 (22 pt); body text in
仿宋_GB2312 三号 (16 pt) on a fixed 28 pt line with a two-character first-line indent;
section headings numbered 一、二、… in 黑体 三号 and sub-headings （一）… in 楷体_GB2312;
tables in 仿宋_GB2312 小四/五号 with a 黑体 caption ``表1 …``; page numbers ``— 1 —`` in
宋体 四号 at the foot; the issuing body and date at the end.

Fonts are *named* in each run's ``w:rFonts`` (``w:eastAsia`` for Chinese, Times New Roman for
Latin text), and the font table lists each Chinese font with ``w:altName`` = the Windows
font that ships everywhere (仿宋, 楷体, 宋体) so that Word falls back sensibly when the
GB2312 fonts are not installed.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from counselor_tui.i18n import _
from counselor_tui.reports.view import DocumentView, SectionView, TableView
from counselor_tui.reports.zipnorm import normalize_zip

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEADING = "黑体"
FONT_SUBHEADING = "楷体_GB2312"
FONT_PAGE = "宋体"
FONT_LATIN = "Times New Roman"
#: Fallbacks written to the font table (w:altName): fonts every Chinese Windows has.
FONT_FALLBACKS: dict[str, str] = {
    FONT_TITLE: "宋体",
    FONT_BODY: "仿宋",
    FONT_SUBHEADING: "楷体",
    FONT_HEADING: "SimHei",
    FONT_PAGE: "SimSun",
}
RED = RGBColor(0xC0, 0x00, 0x00)
CN_NUMERALS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """Chinese numeral for 1–99 as used in headings (一, 十, 十一, 二十三)."""
    if n < 1 or n > 99:
        return str(n)
    tens, ones = divmod(n, 10)
    text = ""
    if tens:
        text = ("" if tens == 1 else CN_NUMERALS[tens - 1]) + "十"
    if ones:
        text += CN_NUMERALS[ones - 1]
    return text


def _fonts(run: Any, east_asian: str, size: float, *, bold: bool = False,
           color: RGBColor | None = None) -> None:
    run.font.name = FONT_LATIN
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:ascii"), FONT_LATIN)
    rfonts.set(qn("w:hAnsi"), FONT_LATIN)
    rfonts.set(qn("w:eastAsia"), east_asian)
    rfonts.set(qn("w:cs"), FONT_LATIN)


def _paragraph(doc: Any, text: str, font: str, size: float, *, align: Any = None,
               bold: bool = False, indent: bool = False, color: RGBColor | None = None,
               line: float | None = 28, space_after: float = 0) -> Any:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        _fonts(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _bottom_rule(paragraph: Any, color: str = "C00000", size: int = 18) -> None:
    ppr = paragraph._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size))
    bottom.set(qn("w:space"), "4")
    bottom.set(qn("w:color"), color)
    borders.append(bottom)
    ppr.append(borders)


def _page_number_footer(section: Any) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), FONT_PAGE, 14)
    run = p.add_run()
    _fonts(run, FONT_PAGE, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)
    _fonts(p.add_run(" —"), FONT_PAGE, 14)


def _set_cell(cell: Any, text: str, *, header: bool, numeric: bool, size: float) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    p.alignment = (WD_ALIGN_PARAGRAPH.CENTER if header else
                   WD_ALIGN_PARAGRAPH.RIGHT if numeric else WD_ALIGN_PARAGRAPH.LEFT)
    fmt = p.paragraph_format
    fmt.space_before = Pt(1)
    fmt.space_after = Pt(1)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    _fonts(p.add_run(text), FONT_HEADING if header else FONT_BODY, size)


def _table(doc: Any, view: TableView, width_mm: float) -> None:
    caption = _paragraph(doc, view.caption, FONT_HEADING, 12, align=WD_ALIGN_PARAGRAPH.CENTER,
                         line=22, space_after=2)
    caption.paragraph_format.keep_with_next = True
    rows = view.all_rows()
    n_cols = len(view.header)
    size = 12 if n_cols <= 4 else 10.5
    table = doc.add_table(rows=len(rows), cols=n_cols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    first = (width_mm * 0.6 if n_cols == 2 else width_mm * 0.45 if n_cols <= 4
             else min(50.0, width_mm * 0.3))
    other = (width_mm - first) / max(1, n_cols - 1)
    for j, column in enumerate(table.columns):
        column.width = Mm(first if j == 0 else other)
    for i, row in enumerate(rows):
        is_header = i == 0
        is_total = view.total is not None and i == len(rows) - 1
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.width = Mm(first if j == 0 else other)
            _set_cell(cell, text, header=is_header or (is_total and j == 0),
                      numeric=j > 0 and not is_header, size=size)
    if view.note:
        _paragraph(doc, view.note, FONT_BODY, 10.5, line=18, space_after=0)
    _paragraph(doc, "", FONT_BODY, 10.5, line=12)


def _section(doc: Any, section: SectionView, width_mm: float) -> None:
    heading = _paragraph(doc, f"{cn_number(section.number)}、{section.title}", FONT_HEADING, 16,
                         indent=True)
    heading.paragraph_format.keep_with_next = True
    for i, (label, text) in enumerate(section.paragraphs, start=1):
        if section.key == "narrative":
            sub = _paragraph(doc, f"（{cn_number(i)}）{label}", FONT_SUBHEADING, 16, indent=True)
            sub.paragraph_format.keep_with_next = True
            for line in [x for x in re.split(r"\r?\n", text) if x.strip()] or [text]:
                _paragraph(doc, line.strip(), FONT_BODY, 16, indent=True)
        else:
            _paragraph(doc, f"{label}：{text}", FONT_BODY, 14, indent=True)
    for view in section.tables:
        _table(doc, view, width_mm)


def _font_table(doc: Any) -> None:
    """Declare the Chinese fonts with their fallbacks in ``word/fontTable.xml``."""
    for part in doc.part.package.iter_parts():
        if str(part.partname) != "/word/fontTable.xml":
            continue
        xml = part.blob.decode("utf-8")
        entries = "".join(
            f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
            '<w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'
            for name, alt in FONT_FALLBACKS.items() if f'w:name="{name}"' not in xml)
        part._blob = xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def render_docx(view: DocumentView, when: datetime) -> bytes:
    """The DOCX bytes of ``view``; ``when`` (the compile time) dates the document and its ZIP
    members so the same submission always gives the same bytes."""
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.footer_distance = Mm(20)
    width_mm = 210 - 28 - 26
    normal = doc.styles["Normal"]
    normal.font.name = FONT_LATIN
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_BODY)
    props = doc.core_properties
    props.title = view.title
    props.author = view.issuer
    props.created = when.astimezone(UTC).replace(tzinfo=None)
    props.modified = when.astimezone(UTC).replace(tzinfo=None)
    props.last_modified_by = view.issuer
    props.revision = 1
    _paragraph(doc, view.marking, FONT_HEADING, 16, line=28)
    issuer = _paragraph(doc, view.issuer, FONT_TITLE, 26, align=WD_ALIGN_PARAGRAPH.CENTER,
                        color=RED, line=40, space_after=6)
    _bottom_rule(issuer)
    _paragraph(doc, "", FONT_BODY, 16)
    _paragraph(doc, view.title, FONT_TITLE, 22, align=WD_ALIGN_PARAGRAPH.CENTER, line=36)
    for line in (view.scope, view.version_line):
        if line:
            _paragraph(doc, f"（{line}）", FONT_SUBHEADING, 16, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, "", FONT_BODY, 16)
    for section in view.sections:
        _section(doc, section, width_mm)
    if view.footnote:
        _paragraph(doc, _("Note: {text}").format(text=view.footnote), FONT_BODY, 12, line=20,
                   indent=True)
    _paragraph(doc, "", FONT_BODY, 16)
    _paragraph(doc, view.issuer, FONT_BODY, 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, _("Dated {year}-{month:02d}-{day:02d}").format(
        year=when.year, month=when.month, day=when.day), FONT_BODY, 16,
        align=WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number_footer(sec)
    _font_table(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue(), when)

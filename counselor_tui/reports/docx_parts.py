"""Building blocks of the GB/T 9704-2012 page (python-docx and raw WordprocessingML).

Measures of GB/T 9704-2012 《党政机关公文格式》 used here (§5.2, §7):

* A4; 天头 (top margin) 37 mm, 订口 (left) 28 mm; 版心 (text block) 156 × 225 mm, so the
  bottom margin is 35 mm and the right 26 mm;
* 22 lines of 28 characters of 3号 (16 pt) 仿宋 per page: a line pitch of 225 mm / 22 =
  28.95 pt (579 twips) and a character pitch of 156 mm / 28 = 15.79 pt, written as the
  document grid ``w:docGrid w:type="linesAndChars" w:linePitch="579" w:charSpace="-849"``
  (Word's charSpace: the pitch minus the 16 pt font size in 1/4096 pt) — what Word and a
  clerk's new paragraphs use — while this program's own paragraphs do not snap to it
  (``w:snapToGrid w:val="0"``: LibreOffice gives a 16 pt character two cells of a 15.79 pt
  grid, and narrows the text area to whole grid cells) and set 28 characters by a
  character spacing of −0.3 pt on the body text (28 × 15.7 pt) and an exact line of
  28.95 pt;
* page numbers in 4号 (14 pt) 半角宋体, ``— 1 —``, the 一字线 7 mm below the text block, odd
  pages right and even pages left, one character in (§7.5).
"""

from __future__ import annotations

import re
from typing import Any

from counselor_tui.reports.lazy_names import LazyName

# python-docx (and lxml) load with the first document written, not with the interface
# (issue 18: about 15 MB at every start); every document writer takes these names from here
Document = LazyName("docx", "Document")
WD_SECTION = LazyName("docx.enum.section", "WD_SECTION")
WD_TABLE_ALIGNMENT = LazyName("docx.enum.table", "WD_TABLE_ALIGNMENT")
WD_ALIGN_PARAGRAPH = LazyName("docx.enum.text", "WD_ALIGN_PARAGRAPH")
WD_BREAK = LazyName("docx.enum.text", "WD_BREAK")
WD_LINE_SPACING = LazyName("docx.enum.text", "WD_LINE_SPACING")
OxmlElement = LazyName("docx.oxml", "OxmlElement")
qn = LazyName("docx.oxml.ns", "qn")
Mm = LazyName("docx.shared", "Mm")
Pt = LazyName("docx.shared", "Pt")
RGBColor = LazyName("docx.shared", "RGBColor")
Twips = LazyName("docx.shared", "Twips")


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
RED = (0xC0, 0x00, 0x00)  #: red of the masthead, (r, g, b)
PAGE_W, PAGE_H = 210.0, 297.0
TOP, BOTTOM, LEFT, RIGHT = 37.0, 35.0, 28.0, 26.0
TEXT_W = PAGE_W - LEFT - RIGHT  # 156 mm
TEXT_H = PAGE_H - TOP - BOTTOM  # 225 mm
LINES, CHARS = 22, 28
LINE_TWIPS = 579  # 225 mm / 22 lines, in twentieths of a point
LINE_PT = LINE_TWIPS / 20  #: one grid line in points (28.95 pt)
BODY = 16.0  # 3号
PAGE_NO = 14.0  # 4号
CHAR_SPACING = -0.3  # pt: 28 × 15.7 = 439.6 pt ≤ 156 mm = 442.2 pt < 29 × 15.7
GRID_CHAR_SPACE = -849
NOBREAK = "\u2011"  # non-breaking hyphen, written as w:noBreakHyphen


#: Schema order of the children Word insists on (ECMA-376 Part 1, §17.3.1.26, §17.3.2.28,
#: §17.4.60): an element goes before the first of its successors present.
_ORDER: dict[str, tuple[str, ...]] = {
    "w:pPr": ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
              "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd",
              "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
              "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
              "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
              "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
              "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"),
    "w:rPr": ("w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps",
              "w:smallCaps", "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss",
              "w:imprint", "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden",
              "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
              "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText",
              "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
              "w:specVanish", "w:oMath"),
    "w:tblPr": ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual",
                "w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc",
                "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout",
                "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"),
    "w:tcPr": ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders",
               "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
               "w:vAlign", "w:hideMark"),
}


def put(parent: Any, child: Any) -> Any:
    """Insert ``child`` into ``parent`` (a pPr/rPr/tblPr/tcPr) at its schema place,
    replacing an element of the same tag; returns ``child``."""
    old = parent.find(child.tag)
    if old is not None:
        parent.remove(old)
    for prefix_tag, order in _ORDER.items():
        if parent.tag == qn(prefix_tag):
            tag_names = list(order)
            index = next(i for i, t in enumerate(tag_names) if qn(t) == child.tag)
            parent.insert_element_before(child, *tag_names[index + 1:])
            return child
    parent.append(child)
    return child


def set_fonts(run: Any, east_asian: str, size: float, *, bold: bool = False,
              color: tuple[int, int, int] | None = None, latin: str = FONT_LATIN,
              spacing: float | None = None) -> None:
    """Name ``east_asian`` for Chinese and ``latin`` for the rest of ``run``, at ``size`` pt;
    ``spacing`` (pt) condenses or expands the characters."""
    run.font.name = latin
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = RGBColor(*color)
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asian)
    rfonts.set(qn("w:cs"), latin)
    if spacing is not None:
        el = OxmlElement("w:spacing")
        el.set(qn("w:val"), str(round(spacing * 20)))
        put(rpr, el)


def add_text(paragraph: Any, text: str, font: str, size: float, **kw: Any) -> Any:
    """Append ``text`` as one run; a ``-`` between letters or digits becomes Word's
    non-breaking hyphen (``w:noBreakHyphen``; read back as ``-``), so ``GAD-7`` and
    ``2026-10-08`` never break across lines."""
    run = paragraph.add_run(nobreak(text))
    for t in list(run._r.findall(qn("w:t"))):
        if NOBREAK not in (t.text or ""):
            continue
        pieces = (t.text or "").split(NOBREAK)
        t.text = pieces[0]
        t.set(qn("xml:space"), "preserve")
        anchor = t
        for piece in pieces[1:]:
            hyphen = OxmlElement("w:noBreakHyphen")
            anchor.addnext(hyphen)
            anchor = hyphen
            if piece:
                more = OxmlElement("w:t")
                more.text = piece
                more.set(qn("xml:space"), "preserve")
                anchor.addnext(more)
                anchor = more
    set_fonts(run, font, size, **kw)
    return run


#: A range of dates or numbers, ``2026-11-16 – 2027-01-06``: kept on one line.
_RANGE = re.compile(r"(?<=\w) – (?=\w)")
#: Non-breaking space, en dash, word joiner (no break after the dash, UAX #14 LB11), NBSP.
RANGE_DASH = "\u00a0\u2013\u2060\u00a0"


def nobreak(text: str) -> str:
    """``text`` with each ASCII hyphen between two letters or digits made non-breaking and
    the spaces around the dash of a range (``2026-11-16 – 2027-01-06``) non-breaking, so
    neither an instrument name nor a date range ever breaks across lines in Word (LibreOffice
    may still break after a non-breaking hyphen in East Asian text: table cells are broken
    into lines beforehand, :func:`counselor_tui.reports.docx_out.pack`)."""
    out = list(text)
    for i in range(1, len(out) - 1):
        if out[i] == "-" and out[i - 1].isalnum() and out[i + 1].isalnum():
            out[i] = NOBREAK
    return _RANGE.sub(RANGE_DASH, "".join(out))


def paragraph(doc: Any, text: str = "", font: str = FONT_BODY, size: float = BODY, *,
              align: Any = None, bold: bool = False, color: tuple[int, int, int] | None = None,
              first_indent: float = 0, left_indent: float = 0, right_indent: float = 0,
              line: Any = None, before: float = 0, spacing: float | None = None,
              keep_next: bool = False, page_break: bool = False,
              latin: str = FONT_LATIN) -> Any:
    """A paragraph on an exact line of ``line`` (default one grid line, 28.95 pt); indents
    in characters of ``size`` plus ``spacing``; ``before`` in points."""
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(LINE_TWIPS) if line is None else line
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(0)
    fmt.widow_control = False
    no_snap(p)
    char = size + (spacing or 0)
    if first_indent:
        fmt.first_line_indent = Pt(char * first_indent)
    if left_indent:
        fmt.left_indent = Pt(char * left_indent)
    if right_indent:
        fmt.right_indent = Pt(char * right_indent)
    fmt.keep_with_next = keep_next or None
    fmt.page_break_before = page_break or None
    if text:
        add_text(p, text, font, size, bold=bold, color=color, spacing=spacing, latin=latin)
    return p


def no_snap(paragraph: Any) -> None:
    """Keep ``paragraph`` off the document grid (its own exact lines and spacing hold)."""
    el = OxmlElement("w:snapToGrid")
    el.set(qn("w:val"), "0")
    put(paragraph._element.get_or_add_pPr(), el)


def border(paragraph_or_cell_pr: Any, side: str, *, size_eighths: int, color: str = "auto",
           space: int = 0) -> None:
    """Add a single line on ``side`` (top/bottom) to a ``w:pPr`` or ``w:tcPr`` element:
    ``size_eighths`` of a point thick, ``space`` points from the text."""
    tag = "w:pBdr" if paragraph_or_cell_pr.tag == qn("w:pPr") else "w:tcBorders"
    box = paragraph_or_cell_pr.find(qn(tag))
    if box is None:
        box = put(paragraph_or_cell_pr, OxmlElement(tag))
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), str(space))
    line.set(qn("w:color"), color)
    box.append(line)


def right_tab(paragraph: Any, position_pt: float) -> None:
    """A right-aligned tab stop at ``position_pt`` from the left indent."""
    ppr = paragraph._element.get_or_add_pPr()
    tabs = OxmlElement("w:tabs")
    tab = OxmlElement("w:tab")
    tab.set(qn("w:val"), "right")
    tab.set(qn("w:pos"), str(round(position_pt * 20)))
    tabs.append(tab)
    put(ppr, tabs)


def page_setup(section: Any) -> None:
    """A4 portrait with the GB/T 9704 margins, the 22 × 28 document grid and the footer
    placed so that the page number's 一字线 sits 7 mm below the text block."""
    section.page_width, section.page_height = Mm(PAGE_W), Mm(PAGE_H)
    section.top_margin, section.bottom_margin = Mm(TOP), Mm(BOTTOM)
    section.left_margin, section.right_margin = Mm(LEFT), Mm(RIGHT)
    section.header_distance = Mm(15)
    # the footer's line (exactly 14 pt) centred 7 mm under the text block: there the 一字线
    # and the figures sit (LibreOffice draws a 14 pt line's glyphs 1.15 mm above its middle)
    section.footer_distance = Mm(BOTTOM - 7 - 1.15) - Pt(PAGE_NO / 2)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_TWIPS))
    grid.set(qn("w:charSpace"), str(GRID_CHAR_SPACE))


def _field(run: Any, instr: str) -> None:
    for kind, text in (("begin", None), (None, instr), ("separate", None), (None, "1"),
                       ("end", None)):
        if kind is not None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == instr:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)


def _page_number(p: Any, *, odd: bool) -> None:
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    no_snap(p)
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(PAGE_NO)
    fmt.space_before = fmt.space_after = Pt(0)
    if odd:
        fmt.right_indent = Pt(PAGE_NO)
    else:
        fmt.left_indent = Pt(PAGE_NO)
    set_fonts(p.add_run("— "), FONT_PAGE, PAGE_NO, latin=FONT_PAGE)
    run = p.add_run()
    set_fonts(run, FONT_PAGE, PAGE_NO, latin=FONT_PAGE)
    _field(run, "PAGE")
    set_fonts(p.add_run(" —"), FONT_PAGE, PAGE_NO, latin=FONT_PAGE)


def page_numbers(doc: Any, section: Any) -> None:
    """``— N —`` at the foot: odd pages right, even pages left, one character in (§7.5)."""
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], odd=True)
    _page_number(section.even_page_footer.paragraphs[0], odd=False)


def repeat_header(row: Any) -> None:
    """Mark ``row`` as a header row repeated at the top of each page the table runs onto,
    and keep every row from splitting across pages."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def cant_split(row: Any) -> None:
    """Keep ``row`` on one page."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def exact_row_height(row: Any, twips: int) -> None:
    """Fix ``row`` at ``twips`` high."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:trHeight")
    el.set(qn("w:val"), str(twips))
    el.set(qn("w:hRule"), "exact")
    trpr.append(el)


def no_borders(table: Any) -> None:
    """Remove every border of ``table`` (its style's included)."""
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    put(tblpr, borders)


def cell_margins(table: Any, left_pt: float, right_pt: float) -> None:
    """Default left/right cell margins of ``table``."""
    tblpr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side, value in (("left", left_pt), ("right", right_pt)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(value * 20)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    put(tblpr, mar)


def font_table(doc: Any) -> None:
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

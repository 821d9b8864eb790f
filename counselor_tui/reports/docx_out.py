"""The submission as a Word document in the layout of an upward report (上行文) after
GB/T 9704-2012 《党政机关公文格式》 (DESIGN §8; page measures in :mod:`docx_parts`).

Order of the elements (§7; ``docs/receiving-checklist.md`` shows each as produced):

* 版头: 份号 (first line, flush left, only when classified) and 密级★保密期限 (second line,
  黑体); the 发文机关标志 in red 小标宋, centred, its top 35 mm below the top of the text
  block; two lines below it the 发文字号 (one character in from the left) and 签发人 (one
  character in from the right) on one line, and 4 mm under them the red rule as wide as the
  text block;
* 主体: the title in 2号 小标宋 two empty lines below the rule's line (a long title in two
  lines, the first the shorter); one line below it the 主送机关 flush left with a
  full-width colon; the body (3号 仿宋, two characters indented; headings 一、 in 黑体)
  ending with the legend of the markers of hidden counts — so it comes before the tables
  use them — and 特此报告;
  one line below, the 附件说明 (``附件：1. …``, continuation lines aligned on the names);
  the 发文机关署名 centred over the 成文日期, which stands four characters in from the
  right (the layout for a sealed document: the 印章 is pressed over both, its top within a
  line of the text above, so two lines are left free); the 附注 in brackets below;
* 附件: each table on its own pages, ``附件N`` in 黑体 on the first line, its title centred
  on the third, the header row repeated on each page the table runs onto; the last
  attachment is the integrity record (compile time, audit-chain head, version) in 五号;
* 版记 on the last page, its last line on the last line of the text block: a thick rule,
  抄送 (4号 仿宋, one character in), a thin rule, 印发机关 and 印发日期, a thick rule.

Fonts are *named* in each run's ``w:rFonts`` (``w:eastAsia`` for Chinese, Times New Roman for
Latin text), and the font table lists each Chinese font with ``w:altName`` = the Windows font
that ships everywhere (仿宋, 楷体, 宋体) so that Word falls back sensibly.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from counselor_tui.i18n import _
from counselor_tui.reports import docx_parts as dp
from counselor_tui.reports.docx_parts import (
    BODY,
    FONT_BODY,
    FONT_HEADING,
    FONT_LATIN,
    FONT_SUBHEADING,
    FONT_TITLE,
    LINE_PT,
    RED,
    TEXT_W,
    WD_ALIGN_PARAGRAPH,
    WD_BREAK,
    WD_LINE_SPACING,
    WD_SECTION,
    WD_TABLE_ALIGNMENT,
    Document,
    Mm,
    Pt,
)
from counselor_tui.reports.view import (
    DocumentView,
    SectionView,
    TableView,
    attachment_label,
    table_heading,
)
from counselor_tui.reports.zipnorm import normalize_zip

CN_NUMERALS = "一二三四五六七八九十"
TITLE = 22.0  # 2号
SMALL = 10.5  # 五号
MARK_MAX = 42.0  # pt, largest 发文机关标志
MARK_TOP_MM = 35.0  # its top below the top of the text block (§7.2.4)
TEXT_W_PT = TEXT_W / 25.4 * 72
#: Points between the 发文字号 line and the red rule: with the glyphs' foot 1.7 mm above the
#: bottom of their 28.95 pt line, 5 pt puts the rule 4 mm under the characters (§7.2.5).
RULE_SPACE = 5
RULE_WIDTH = 1.5  # pt (w:sz 12 eighths)
#: A title line holds fewer characters than the text width: LibreOffice and Word put a
#: quarter space between Chinese and Latin text (the year, the month).
TITLE_FILL = 0.88


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


def char_width(text: str) -> float:
    """Width of ``text`` in characters of its size: 1 per full-width character, ½ else."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5 for ch in text)


#: Characters after which a title may break (words stay whole, §7.3.1): 关于…年…月 | 的 …
BREAK_AFTER = "于年月度的、和）"


def title_lines(title: str, per_line: float) -> list[str]:
    """``title`` as one line, or two when wider than ``per_line`` characters: broken after
    a word (:data:`BREAK_AFTER`, or at a space) nearest the middle with the first line not
    the longer — the 梯形 of §7.3.1 — else at the middle."""
    if char_width(title) <= per_line:
        return [title]
    best: tuple[float, int] | None = None
    for i in range(1, len(title)):
        if title[i - 1] not in BREAK_AFTER and title[i] != " ":
            continue
        first, second = char_width(title[:i]), char_width(title[i:].strip())
        if first > second or second > per_line:
            continue
        if best is None or second - first < best[0]:
            best = (second - first, i)
    cut = best[1] if best else len(title) // 2
    return [title[:cut].strip(), title[cut:].strip()]


# --------------------------------------------------------------------------- 版头


def _head(doc: Any, view: DocumentView) -> None:
    f = view.filing
    dp.paragraph(doc, f.copy_no, FONT_BODY, BODY)
    dp.paragraph(doc, f.classification, FONT_HEADING, BODY)
    size = min(MARK_MAX, TEXT_W_PT * 0.92 / max(1.0, char_width(view.issuer)))
    # two grid lines above; the mark's line starts where its glyphs' top is 35 mm down
    # (LibreOffice sets the glyphs' top 2.5 % of the size under the top of an exact line)
    before = MARK_TOP_MM / 25.4 * 72 - 2 * LINE_PT - size * 0.025
    height = size * 1.25
    dp.paragraph(doc, view.issuer, FONT_TITLE, size, align=WD_ALIGN_PARAGRAPH.CENTER,
                 color=RED, line=Pt(height), before=before)
    # the first blank line below ends on the grid again, so the lines below stay on it
    lines = 3 if 3 * LINE_PT - before - height >= 0 else 4
    dp.paragraph(doc, line=Pt(LINE_PT + lines * LINE_PT - before - height))
    dp.paragraph(doc)
    p = dp.paragraph(doc, "\u3000" + (f.number or "\u3000" * 6), FONT_BODY, BODY)
    dp.right_tab(p, TEXT_W_PT - BODY)
    if f.signer:  # no empty "签发人：" label when finalized without one (--allow-incomplete)
        dp.add_text(p, "\t" + _("Signed off by: "), FONT_BODY, BODY)
        dp.add_text(p, f.signer, FONT_SUBHEADING, BODY)
    # the red rule 4 mm under the line of the 发文字号
    dp.border(p._element.get_or_add_pPr(), "bottom", size_eighths=12, color="C00000",
              space=RULE_SPACE)
    # the rule adds its spacing and width to that line: the next line, which holds the
    # rule, gives them back; the title comes two empty lines below (§7.3.1)
    dp.paragraph(doc, line=Pt(LINE_PT - RULE_SPACE - RULE_WIDTH))
    dp.paragraph(doc)


# --------------------------------------------------------------------------- 主体


def _body_paragraph(doc: Any, text: str, *, font: str = FONT_BODY, keep_next: bool = False,
                    ) -> Any:
    return dp.paragraph(doc, text, font, BODY, first_indent=2, spacing=dp.CHAR_SPACING,
                        align=WD_ALIGN_PARAGRAPH.JUSTIFY, keep_next=keep_next)


def _attachments(view: DocumentView) -> list[tuple[str, TableView | None, SectionView]]:
    """(title, table or None, section) per attachment, in order: attachment N holds the
    table numbered N (:meth:`TableView.caption`, the XLSX sheets, the CSV files); the
    integrity record comes last."""
    out: list[tuple[str, TableView | None, SectionView]] = []
    for section in view.sections:
        for table in section.tables:
            out.append((table_heading(section, table), table, section))
        if section.key == "integrity":
            out.append((section.title, None, section))
    numbers = [t.number for _title, t, _s in out if t is not None]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError("tables must be numbered 1, 2, … in document order")
    return out


def _main(doc: Any, view: DocumentView, attachments: list[Any]) -> None:
    f = view.filing
    dp.paragraph(doc)
    lines = title_lines(view.title, TEXT_W_PT / TITLE * TITLE_FILL)
    p = dp.paragraph(doc, lines[0], FONT_TITLE, TITLE, align=WD_ALIGN_PARAGRAPH.CENTER)
    for rest in lines[1:]:
        p.runs[-1].add_break(WD_BREAK.LINE)
        dp.add_text(p, rest, FONT_TITLE, TITLE)
    dp.paragraph(doc)
    if f.recipient:
        dp.paragraph(doc, f.recipient + "：", FONT_BODY, BODY)
    _body_paragraph(doc, _("Herewith the report on the officers' mental-health work in "
                           "{period} ({scope}).").format(period=view.period, scope=view.scope))
    narrative = next((s for s in view.sections if s.key == "narrative"), None)
    for i, (label, text) in enumerate(narrative.paragraphs if narrative else (), start=1):
        _body_paragraph(doc, f"{cn_number(i)}、{label}", font=FONT_HEADING, keep_next=True)
        for line in [x for x in re.split(r"\r?\n", text) if x.strip()] or [text]:
            _body_paragraph(doc, line.strip())
    figures = _("The figures of the period are in attachments 1 to {n}.").format(
        n=len(attachments) - 1)
    sep = "" if figures.endswith("。") or not view.footnote else " "
    _body_paragraph(doc, figures + sep + view.footnote)
    _body_paragraph(doc, _("This report is submitted for your review."))
    dp.paragraph(doc)
    label = _("Attachments: ")
    indent = 2 + char_width(label)
    for i, (title, _table, _section) in enumerate(attachments, start=1):
        text = f"{i}. {title}"
        if i == 1:
            dp.paragraph(doc, label + text, FONT_BODY, BODY, first_indent=2 - indent,
                         left_indent=indent)
        else:
            dp.paragraph(doc, text, FONT_BODY, BODY, left_indent=indent)
    _signature(doc, view)


def _signature(doc: Any, view: DocumentView) -> None:
    f = view.filing
    dp.paragraph(doc)
    dp.paragraph(doc)
    offset = 4 + (char_width(f.date) - char_width(view.issuer)) / 2
    dp.paragraph(doc, view.issuer, FONT_BODY, BODY, align=WD_ALIGN_PARAGRAPH.RIGHT,
                 right_indent=max(0.0, offset), keep_next=True)
    dp.paragraph(doc, f.date, FONT_BODY, BODY, align=WD_ALIGN_PARAGRAPH.RIGHT,
                 right_indent=4)
    for note in f.notes:
        dp.paragraph(doc, f"（{note.strip('（）()')}）", FONT_BODY, BODY, first_indent=2)


# --------------------------------------------------------------------------- 附件


#: A run that never breaks across lines: Latin letters, digits and what joins them (the
#: non-breaking hyphen and space, the word joiner, ``.%<>/:``), with a trailing ideographic
#: comma or full stop — ``PSS‑10、``, ``2026‑11‑16 –⁠ 2027‑01‑06``, ``44.9%``; any other
#: character (Chinese) is a break opportunity of its own.
_UNIT = re.compile(r"[0-9A-Za-z\-\u2011\u00a0\u2060\u2013.%<>/:（）()]+[、，。]?|\S")
#: Short header cells (``应测人数``, ``完成率``) are kept on one line as a whole.
SHORT_HEADER = 6


#: mm a cell needs besides its text: Table Grid's cell margins (0.19 cm each side) and slack.
CELL_MARGINS = 3.9
CELL_PAD = 4.2


def print_width(text: str) -> float:
    """Width of ``text`` in em as printed in a table cell: 1 per full-width character,
    0.72 per Latin capital (Times New Roman's are wider than its digits), ½ else."""
    return sum(0.72 if "A" <= ch <= "Z" else char_width(ch) for ch in text)


def units(text: str) -> list[str]:
    """The pieces of ``text`` that stay on one line (:data:`_UNIT`), after :func:`dp.nobreak`."""
    return _UNIT.findall(dp.nobreak(text))


#: Characters a line never starts with (closing punctuation, 避头点).
_NO_START = "、，。；：！？）》」』】%"


def pack(text: str, width: float) -> str:
    """``text`` broken into lines (``\n``) of at most ``width`` em (:func:`print_width`)
    between the pieces of :func:`units` — never inside an instrument name, a number or a
    date range, never before closing punctuation — or ``text`` unchanged when it fits.
    LibreOffice breaks East Asian text after a non-breaking hyphen (``PHQ-`` | ``9``) when
    that fills a line better; lines that already fit leave it nothing to break."""
    text = dp.nobreak(text)
    if print_width(text) <= width:
        return text
    pieces: list[str] = []
    for token in re.findall(_UNIT.pattern + r"|\s+", text):
        if pieces and (token[0] in _NO_START or token.isspace()):
            pieces[-1] += token
        else:
            pieces.append(token)
    lines = [""]
    for piece in pieces:
        if lines[-1] and print_width((lines[-1] + piece).rstrip()) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.strip() for line in lines)


def _widths(table: TableView, size: float) -> list[float]:
    """Column widths in mm: each column at least its longest unbreakable piece (a Latin word
    with its hyphens, a date range, an instrument name with its 、; a short header cell as a
    whole), the rest of the text width shared in proportion to each column's longest cell;
    where the pieces alone are wider than the text block, the columns shrink in proportion
    (LibreOffice would else break a piece at its non-breaking hyphen)."""
    rows = table.all_rows()
    n = len(table.header)
    mm_per_char = size / 72 * 25.4
    pad = CELL_PAD

    def widest_piece(text: str, header: bool) -> float:
        if header and len(text) <= SHORT_HEADER:
            return print_width(dp.nobreak(text))
        return max((print_width(u) for u in units(text)), default=0.0)

    longest = [max(print_width(dp.nobreak(r[j])) for r in rows) * mm_per_char + pad
               for j in range(n)]
    word = [max(widest_piece(r[j], i == 0) for i, r in enumerate(rows)) * mm_per_char + pad
            for j in range(n)]
    longest = [max(a, b) for a, b in zip(longest, word, strict=True)]
    if sum(longest) <= TEXT_W:
        extra = (TEXT_W - sum(longest)) / n
        return [w + extra for w in longest]
    need = sum(word)
    if need > TEXT_W:
        return [w * TEXT_W / need for w in word]
    spare = TEXT_W - need
    grow = [max(0.0, longest[j] - word[j]) for j in range(n)]
    total = sum(grow) or 1.0
    return [word[j] + spare * grow[j] / total for j in range(n)]


def _cell(cell: Any, text: str, *, header: bool, numeric: bool, size: float) -> None:
    cell.text = ""
    p = cell.paragraphs[0]
    dp.no_snap(p)
    p.alignment = (WD_ALIGN_PARAGRAPH.CENTER if header else
                   WD_ALIGN_PARAGRAPH.RIGHT if numeric else WD_ALIGN_PARAGRAPH.LEFT)
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(1.5)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(size * 1.35)
    dp.add_text(p, text, FONT_HEADING if header else FONT_BODY, size)


def _table(doc: Any, view: TableView) -> None:
    rows = view.all_rows()
    n_cols = len(view.header)
    size = 12.0 if n_cols <= 5 else SMALL
    widths = _widths(view, size)
    table = doc.add_table(rows=len(rows), cols=n_cols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for j, column in enumerate(table.columns):
        column.width = Mm(widths[j])
    for i, row in enumerate(rows):
        is_total = view.total is not None and i == len(rows) - 1
        dp.cant_split(table.rows[i])
        if i == 0:
            dp.repeat_header(table.rows[i])
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.width = Mm(widths[j])
            room = (widths[j] - CELL_MARGINS) / (size / 72 * 25.4)
            _cell(cell, pack(text, room), header=i == 0 or (is_total and j == 0),
                  numeric=j > 0 and i > 0, size=size)
    if view.note:
        dp.paragraph(doc, view.note, FONT_BODY, 12, line=Pt(18), first_indent=2,
                     before=4)


def _attachment(doc: Any, n: int, title: str, table: TableView | None,
                section: SectionView) -> None:
    dp.paragraph(doc, attachment_label(n), FONT_HEADING, BODY, page_break=True)
    dp.paragraph(doc)
    lines = title_lines(title, TEXT_W_PT / TITLE * TITLE_FILL)
    p = dp.paragraph(doc, lines[0], FONT_TITLE, TITLE, align=WD_ALIGN_PARAGRAPH.CENTER)
    for rest in lines[1:]:
        p.runs[-1].add_break(WD_BREAK.LINE)
        dp.add_text(p, rest, FONT_TITLE, TITLE)
    dp.paragraph(doc)
    if table is not None:
        _table(doc, table)
        return
    for label, text in section.paragraphs:  # the integrity record, in small type
        dp.paragraph(doc, f"{label}：{text}", FONT_BODY, SMALL, line=Pt(SMALL * 1.6),
                     latin=FONT_LATIN)


# --------------------------------------------------------------------------- 版记


def _imprint(doc: Any, view: DocumentView, *, even_page: bool = True) -> None:
    """The 版记 alone on the last page, its last line on the last line of the text block:
    empty grid lines above it; each rule is a paragraph border (thick 0.35 mm above the
    抄送 and below the 印发 line, thin 0.25 mm between, §7.4.1), whose width the line it
    borders gives back so that the lines stay on the grid.

    The last page of a document printed on both sides is an even page (§7.4: the 版记 on
    the back of the last sheet): the 版记 opens a section that starts on an even page
    (``w:type="evenPage"``), so Word and LibreOffice insert a blank page before it when the
    attachments end on an even page; the inserted page carries no page number (§7.5).
    ``even_page=False``: the 版记 on the next page whatever its number, for a document read
    as a file rather than printed on both sides (the referral archive: a PDF made from it
    leaves the inserted page out, and its last page read "— 8 —" after "— 6 —")."""
    doc.add_section(WD_SECTION.EVEN_PAGE if even_page else WD_SECTION.NEW_PAGE)
    f = view.filing
    thick, thin = 8, 6  # eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.26 mm
    rows = ([("cc", f.cc)] if f.cc else []) + [("printer", f.printer)]
    for _line in range(dp.LINES - len(rows)):
        dp.paragraph(doc, line=Pt(LINE_PT - 0.1))
    for i, (kind, text) in enumerate(rows):
        top = thick if i == 0 else 0
        bottom = thin if kind == "cc" else thick
        p = dp.paragraph(doc, line=Pt(LINE_PT - (top + bottom) / 8))
        ppr = p._element.get_or_add_pPr()
        if top:
            dp.border(ppr, "top", size_eighths=top)
        dp.border(ppr, "bottom", size_eighths=bottom)
        if kind == "cc":
            dp.add_text(p, "\u3000" + _("Copies to: ") + text.rstrip("。.") + _("."),
                        FONT_BODY, dp.PAGE_NO)
        else:
            dp.right_tab(p, TEXT_W_PT - dp.PAGE_NO)
            dp.add_text(p, "\u3000" + text + "\t" + _("printed {date}").format(date=f.date),
                        FONT_BODY, dp.PAGE_NO)


def new_document(title: str, author: str, when: datetime) -> Any:
    """An empty official document (GB/T 9704 page, body font 3号仿宋 with its Latin
    fallback) whose properties carry ``title``, ``author`` and ``when`` as created and
    modified (UTC, so the same input gives the same bytes)."""
    doc = Document()
    dp.page_setup(doc.sections[0])
    normal = doc.styles["Normal"]
    normal.font.name = FONT_LATIN
    normal.font.size = Pt(BODY)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT_BODY)
    props = doc.core_properties
    props.title = title
    props.author = author
    props.created = props.modified = when.astimezone(UTC).replace(tzinfo=None)
    props.last_modified_by = author
    props.revision = 1
    return doc


def render_docx(view: DocumentView, when: datetime) -> bytes:
    """The DOCX bytes of ``view``; ``when`` (the compile time) dates the document and its ZIP
    members so the same submission always gives the same bytes."""
    doc = new_document(view.title, view.issuer, when)
    sec = doc.sections[0]
    attachments = _attachments(view)
    _head(doc, view)
    _main(doc, view, attachments)
    for n, (title, table, section) in enumerate(attachments, start=1):
        _attachment(doc, n, title, table, section)
    _imprint(doc, view)
    dp.page_numbers(doc, sec)
    dp.font_table(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue(), when)

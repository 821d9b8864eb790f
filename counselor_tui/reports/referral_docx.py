"""One person's archive as a document for a referral or a transfer (转介/移交; issue 15,
point 4), in the official layout of the submission (GB/T 9704-2012, :mod:`docx_out`).

The same writer parts as the submission: the 版头 (issuing body in red, the red rule), the
title in 小标宋, the 主送机关 (the recipient), the body in 仿宋 with 黑体 headings, the
附件说明, the 发文机关署名 over the 成文日期, the 附注; each table an attachment on its own
pages with its header row repeated; the 版记 on the last page. The content is plain data
(:class:`ReferralContent`), compiled by :mod:`counselor_tui.services.referral`; this module
reads no database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from counselor_tui.domain.filing import cn_date
from counselor_tui.i18n import _
from counselor_tui.reports import docx_out
from counselor_tui.reports import docx_parts as dp
from counselor_tui.reports.docx_parts import (
    BODY,
    FONT_BODY,
    FONT_HEADING,
    FONT_TITLE,
    WD_ALIGN_PARAGRAPH,
    WD_BREAK,
    WD_TABLE_ALIGNMENT,
    Mm,
)
from counselor_tui.reports.view import DocumentView, FilingView, SectionView, TableView
from counselor_tui.reports.zipnorm import normalize_zip


@dataclass(frozen=True)
class ReferralContent:
    """What the document says, all text: ``issuer`` (the bureau), ``recipient`` (主送),
    ``purpose_label`` (转介 / 移交), ``person_name`` (in the title), ``person_line`` (name
    and badge, in the text), ``consent_line``
    (the consent on record, or that none is), ``sealed_line`` (whether sealed notes are
    included), the four tables (profile, tier history, assessments, sessions: header row
    first, every cell text), ``exported_by`` and the export ``day``."""

    issuer: str
    recipient: str
    purpose_label: str
    person_name: str
    person_line: str
    consent_line: str
    sealed_line: str
    profile: tuple[tuple[str, str], ...]
    tier_history: tuple[tuple[str, ...], ...]
    assessments: tuple[tuple[str, ...], ...]
    sessions: tuple[tuple[str, ...], ...]
    exported_by: str
    day: datetime


#: The columns holding numbers, per attachment (right-aligned; every other column is text,
#: left-aligned): only the assessments' total.
NUMERIC_COLUMNS: dict[int, frozenset[int]] = {3: frozenset({2})}


def _table(number: int, title: str, rows: tuple[tuple[str, ...], ...],
           empty: str) -> TableView:
    header, body = rows[0], rows[1:]
    if not body:
        body = ((empty,) + ("",) * (len(header) - 1),)
    return TableView(id=f"referral-{number}", number=number, title=title, header=header,
                     rows=body)


def tables(content: ReferralContent) -> list[TableView]:
    """The four attachments, numbered 1–4 (attachment 4 a list of sessions, titled as a
    record, not as a count)."""
    none = _("none")
    return [
        _table(1, _("Profile"), ((_("Item"), _("Content")), *content.profile), none),
        _table(2, _("Tier history"), content.tier_history, none),
        _table(3, _("Assessments"), content.assessments, none),
        _table(4, _("Counseling session records"), content.sessions, none),
    ]


def _write_table(doc: Any, view: TableView) -> None:
    """The attachment's table in the submission's cell style, but text as it is: no line
    breaks inserted (Word and LibreOffice wrap the cells themselves) and only the
    :data:`NUMERIC_COLUMNS` right-aligned (the submission's writer right-aligns every
    column after the first, all numbers there)."""
    rows = view.all_rows()
    numeric = NUMERIC_COLUMNS.get(view.number, frozenset())
    size = 12.0
    widths = docx_out._widths(view, size)
    table = doc.add_table(rows=len(rows), cols=len(view.header))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for j, column in enumerate(table.columns):
        column.width = Mm(widths[j])
    for i, row in enumerate(rows):
        dp.cant_split(table.rows[i])
        if i == 0:
            dp.repeat_header(table.rows[i])
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.width = Mm(widths[j])
            docx_out._cell(cell, text, header=i == 0, numeric=i > 0 and j in numeric,
                           size=size)


def render_referral_docx(content: ReferralContent) -> bytes:
    """The DOCX bytes of ``content`` (deterministic for the same content and day)."""
    when = content.day
    date = cn_date(when.date())
    title = _("Mental-health archive of {person} ({purpose})").format(
        person=content.person_name, purpose=content.purpose_label)
    filing = FilingView(recipient=content.recipient, printer=content.issuer, date=date,
                        notes=(_("This archive holds personal mental-health information: "
                                 "for the {purpose} named here only; keep it confidential.")
                               .format(purpose=content.purpose_label),))
    view = DocumentView(title=title, issuer=content.issuer, period="", scope="", marking="",
                        version_line="", sections=(), footnote="", exact=True,
                        filing=filing)
    doc = docx_out.new_document(
        _("Mental-health archive ({purpose})").format(purpose=content.purpose_label),
        content.issuer, when)
    sec = doc.sections[0]
    attachments = tables(content)
    docx_out._head(doc, view)
    dp.paragraph(doc)
    lines = docx_out.title_lines(title, docx_out.TEXT_W_PT / docx_out.TITLE
                                 * docx_out.TITLE_FILL)
    p = dp.paragraph(doc, lines[0], FONT_TITLE, docx_out.TITLE,
                     align=WD_ALIGN_PARAGRAPH.CENTER)
    for rest in lines[1:]:
        p.runs[-1].add_break(WD_BREAK.LINE)
        dp.add_text(p, rest, FONT_TITLE, docx_out.TITLE)
    dp.paragraph(doc)
    dp.paragraph(doc, content.recipient + "：", FONT_BODY, BODY)
    body = [
        _("For the {purpose} of {person}, we send the mental-health archive kept by our "
          "counselors: profile, tier history, assessments and counseling sessions.").format(
            purpose=content.purpose_label, person=content.person_line),
        content.consent_line, content.sealed_line,
        _("Exported by {who}.").format(who=content.exported_by),
    ]
    docx_out._body_paragraph(doc, _("What is sent"), font=FONT_HEADING, keep_next=True)
    for text in body:
        docx_out._body_paragraph(doc, text)
    dp.paragraph(doc)
    label = _("Attachments: ")
    indent = 2 + docx_out.char_width(label)
    for i, table in enumerate(attachments, start=1):
        text = f"{i}. {table.title}"
        dp.paragraph(doc, (label + text) if i == 1 else text, FONT_BODY, BODY,
                     first_indent=(2 - indent) if i == 1 else 0.0, left_indent=indent)
    docx_out._signature(doc, view)
    for n, table in enumerate(attachments, start=1):
        docx_out._attachment(doc, n, table.title, None,  # the heading; the table below
                             SectionView(number=n, key=table.id, title=table.title))
        _write_table(doc, table)
    docx_out._imprint(doc, view, even_page=False)
    dp.page_numbers(doc, sec)
    dp.font_table(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return normalize_zip(buf.getvalue(), when)

"""The printable form of a submission: numbered sections of titled text tables.

:func:`build` turns a submission document (the JSON of ``docs/submission-json.md``) into a
:class:`DocumentView` whose cells are already text — suppressed (``<k``/``x``) unless
``exact`` — so the DOCX, XLSX and CSV writers and the TUI preview all print the same tables.
Labels are translated in the current language (:mod:`counselor_tui.i18n`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from counselor_tui.domain import filing as gbt
from counselor_tui.domain.disclosure import (
    DEFAULT_K,
    CellStatus,
    SuppressedSeries,
    SuppressedTable,
)
from counselor_tui.domain.periods import Period
from counselor_tui.i18n import N_, _
from counselor_tui.reports.content import period_from_json
from counselor_tui.reports.linking import protection_of
from counselor_tui.reports.protect import Protection, Shown, marker
from counselor_tui.reports.spec import (
    CAMPAIGN_COLUMNS,
    INTEGRITY_TITLE,
    NARRATIVE_FIELDS,
    NARRATIVE_TITLE,
    SECTIONS,
    FigureSpec,
    SectionSpec,
    TableSpec,
    instrument_short_label,
    table_id,
)

TOTAL = N_("Totals")


@dataclass(frozen=True)
class TableView:
    """A printable table: ``header`` (first column = the row labels), body ``rows``, an
    optional ``total`` row, a ``note`` printed below. Every cell is text."""

    id: str
    number: int
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...] | None = None
    note: str = ""

    @property
    def caption(self) -> str:
        """``附件2 按咨询方式统计`` — the numbered title: tables are numbered as the DOCX
        numbers its attachments, so the DOCX, the XLSX sheets and the CSV files agree."""
        return attachment_caption(self.number, self.title)

    def all_rows(self) -> tuple[tuple[str, ...], ...]:
        """Header, body and total row."""
        tail = (self.total,) if self.total is not None else ()
        return (self.header, *self.rows, *tail)


@dataclass(frozen=True)
class SectionView:
    """A numbered section (1–8) with its tables and paragraphs (narrative, integrity)."""

    number: int
    key: str
    title: str
    tables: tuple[TableView, ...] = ()
    paragraphs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FilingView:
    """The GB/T 9704-2012 elements of the document as printed (all text, ``""`` = not
    printed): 份号 ``000001`` (only when classified), 密级·保密期限 ``秘密★1年``, 发文字号
    (empty on a draft), 签发人, 主送机关, 抄送, 印发机关, 附注 lines, 成文日期
    ``2026年12月7日`` (also the 印发日期)."""

    copy_no: str = ""
    classification: str = ""
    number: str = ""
    signer: str = ""
    recipient: str = ""
    cc: str = ""
    printer: str = ""
    notes: tuple[str, ...] = ()
    date: str = ""


@dataclass(frozen=True)
class DocumentView:
    """The whole submission as printed: title lines, sections, and the footnote on markers."""

    title: str
    issuer: str
    period: str
    scope: str
    marking: str
    version_line: str
    sections: tuple[SectionView, ...]
    footnote: str
    exact: bool
    running: bool = False
    filing: FilingView = FilingView()


def attachment_label(number: int) -> str:
    """``附件2`` — the attachment that holds table ``number`` (the DOCX heading, the XLSX
    sheet, the CSV file name: one numbering, issue 17)."""
    return _("Attachment {n}").format(n=number)


def attachment_caption(number: int, title: str) -> str:
    """``附件2 按咨询方式统计``."""
    return _("{attachment} {title}").format(attachment=attachment_label(number), title=title)


def scope_label(code: str) -> str:
    """A scope as a reader sees it: ``bureau`` → 全局, ``consolidated`` → 汇总, a unit's code
    as it is (the command-line values stay ``bureau``/``consolidated``)."""
    if code == "bureau":
        return _("whole bureau")
    if code == "consolidated":
        return _("consolidated")
    return code


def table_heading(section: SectionView, table: TableView) -> str:
    """The heading a table is printed under on its own page or sheet: its title, or for a
    section's key figures ``心理咨询辅导情况主要数据`` (the title alone would repeat)."""
    if table.id.endswith(".figures"):
        return _("{section}: key figures").format(section=section.title)
    return table.title


def fmt_number(value: float | int | None, hours: bool = False) -> str:
    """Integers as they are; hours with one decimal."""
    if value is None:
        return ""
    if hours or isinstance(value, float):
        return f"{float(value):.1f}"
    return str(value)


def _shown(shown: Shown, k: int, *, hours: bool = False) -> str:
    if shown.hidden:
        return marker(shown.status, k)
    return fmt_number(shown.value, hours)


def _cell_text(cell: Any, k: int) -> str:
    if cell.status is CellStatus.PUBLISHED:
        return str(cell.value)
    return marker(cell.status, k)


def _figure_value(fig: FigureSpec, value: Any) -> float | int:
    if fig.unit == "hours_from_minutes":
        return round(int(value) / 60, 1)
    return value  # type: ignore[no-any-return]


def _figures_view(spec: SectionSpec, data: Mapping[str, Any], protection: Protection | None,
                  k: int, number: int) -> TableView:
    figures = data.get("figures", {})
    rows = []
    for fig in spec.figures:
        if fig.optional and fig.key not in figures:
            continue
        value = _figure_value(fig, figures.get(fig.key, 0))
        hours = fig.unit != "count"
        if protection is None:
            text = fmt_number(value, hours)
        else:
            shown = protection.figures[spec.key][fig.key]
            text = _shown(Shown(value if not shown.hidden else None, shown.status), k,
                          hours=hours)
        rows.append((_(fig.label), text))
    return TableView(f"{spec.key}.figures", number, _("Key figures"),
                     (_("Item"), _("Figure")), tuple(rows))


def _labels(codes: Sequence[str], labeler: Any, content: Mapping[str, Any]) -> list[str]:
    return [labeler(code, content) for code in codes]


def _count_view(tspec: TableSpec, tid: str, data: Mapping[str, Any], content: Mapping[str, Any],
                protection: Protection | None, k: int, number: int) -> TableView:
    title = _(tspec.title)
    note = _(tspec.note) if tspec.note else ""
    rows_l = _labels(data["rows"], tspec.rows, content)
    suppressed = protection.tables.get(tid) if protection is not None else None
    demoted = protection is not None and tid in protection.demoted
    if protection is not None and tid in protection.withheld:
        grand = (sum(data["counts"]) if data["type"] == "series"
                 else sum(sum(r) for r in data["counts"]))
        shown = marker(CellStatus.PRIMARY, k) if 1 <= grand < k else str(grand)
        if tid in protection.withheld_totals:  # hidden too by linked suppression
            shown = marker(protection.withheld_totals[tid], k)
        note = " ".join(x for x in (note, _(
            "Breakdown withheld: the counts are too small to show without revealing "
            "individual cases.")) if x)
        return TableView(tid, number, title, (_(tspec.row_header), _(tspec.value_header)), (),
                         (_(TOTAL), shown), note)
    header: tuple[str, ...]
    body: tuple[tuple[str, ...], ...]
    total: tuple[str, ...]
    if data["type"] == "series" or demoted:
        header = (_(tspec.row_header), _(tspec.value_header))
        if isinstance(suppressed, SuppressedSeries):
            body = tuple((label, _cell_text(cell, k))
                         for label, cell in zip(rows_l, suppressed.cells, strict=True))
            total = (_(TOTAL), _cell_text(suppressed.total, k))
        else:
            values = (data["counts"] if data["type"] == "series"
                      else [sum(r) for r in data["counts"]])
            body = tuple((label, str(v)) for label, v in zip(rows_l, values, strict=True))
            total = (_(TOTAL), str(sum(values)))
        if not tspec.total:
            return TableView(tid, number, title, header, body, None, note)
        if demoted:
            note = " ".join(x for x in (note, _(
                "Shown by row totals only: the full table would have revealed a hidden "
                "total.")) if x)
        return TableView(tid, number, title, header, body, total, note)
    cols_l = _labels(data["cols"], tspec.cols, content)
    header = (_(tspec.row_header), *cols_l, _(TOTAL))
    if isinstance(suppressed, SuppressedTable):
        grid = [[_cell_text(c, k) for c in row] for row in suppressed.grid()]
    else:
        counts = data["counts"]
        grid = [[str(v) for v in row] + [str(sum(row))] for row in counts]
        col_totals = [sum(row[j] for row in counts) for j in range(len(data["cols"]))]
        grid.append([str(v) for v in col_totals] + [str(sum(col_totals))])
    body = tuple((label, *cells) for label, cells in zip(rows_l, grid[:-1], strict=True))
    total = (_(TOTAL), *grid[-1])
    return TableView(tid, number, title, header, body, total, note)


def _measures_view(tspec: TableSpec, tid: str, data: Mapping[str, Any],
                   content: Mapping[str, Any], number: int) -> TableView:
    rows_l = _labels(data["rows"], tspec.rows, content)
    cols_l = _labels(data["cols"], tspec.cols, content)
    body = tuple((label, *(fmt_number(v) for v in values))
                 for label, values in zip(rows_l, data["values"], strict=True))
    sums = [sum(values[j] for values in data["values"]) for j in range(len(data["cols"]))]
    total = (_(TOTAL), *(fmt_number(round(v, 2) if isinstance(v, float) else v) for v in sums))
    return TableView(tid, number, _(tspec.title), (_(tspec.row_header), *cols_l), body, total,
                     _(tspec.note) if tspec.note else "")


def _campaigns_view(content: Mapping[str, Any], campaigns: Sequence[Mapping[str, Any]],
                    protection: Protection | None, k: int, number: int) -> TableView:
    header = (_("Campaign"), _("Window"), _("Instruments"),
              *(_(label) for _key, label in CAMPAIGN_COLUMNS), _("Completion"))
    body = []
    for i, c in enumerate(campaigns):
        cells: list[str] = []
        hidden = False
        for key, _label in CAMPAIGN_COLUMNS:
            if protection is None:
                cells.append(str(c[key]))
            else:
                shown = protection.campaigns[i][key]
                hidden = hidden or shown.hidden
                cells.append(_shown(Shown(c[key] if not shown.hidden else None, shown.status),
                                    k))
        target, done = int(c["target"]), int(c["completed"])
        rate = "" if target == 0 else f"{100 * done / target:.1f}%"
        body.append((str(c["name"]), f"{c['starts_on']} – {c['ends_on']}",
                     "、".join(instrument_short_label(x, content) for x in c["instruments"]),
                     *cells, marker(CellStatus.COMPLEMENTARY, k) if hidden else rate))
    return TableView("census.campaigns", number, _("Census campaigns in the period"), header,
                     tuple(body), None,
                     _("Officers targeted: serving officers of the campaign's units; completed: "
                       "those with a complete assessment of every instrument."))


#: Sections whose tables count rows of the bureau level (no unit) in practice — the
#: coordinators, trainings and activities not attributed to a unit: a document consolidated
#: from unit packages only says so under each of their tables (issue 13 point 6).
NOT_COVERED_SECTIONS = frozenset({"team"})
NOT_COVERED_NOTE = N_("Consolidated from unit packages only: coordinators, trainings and "
                      "activities of the bureau level (attributed to no unit) are not "
                      "included.")


def _unit_packages_only(content: Mapping[str, Any]) -> bool:
    source = content.get("source") or {}
    return source.get("kind") == "consolidated" and bool(source.get("not_covered"))


def _scope_text(content: Mapping[str, Any]) -> str:
    scope = content.get("scope", {})
    if scope.get("kind") == "unit":
        name = content.get("issuer", {}).get("unit_name") or scope.get("code", "")
        return _("Scope: {unit}").format(unit=name)
    if content.get("source", {}).get("kind") == "consolidated":
        text = _("Scope: consolidated from {n} packages").format(
            n=len(content["source"].get("inputs", [])))
        if content["source"].get("not_covered"):
            # no parentheses: the body prints the scope inside its own (…)
            text += _("; unit packages only, so figures that belong to no unit are not "
                      "covered: bureau-level coordinators, trainings, activities and interest "
                      "groups, sessions and officers of no unit")
        return text
    return _("Scope: whole bureau")


def _inputs_paragraphs(document: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """One line per input package of a consolidated document: scope, version, signer
    fingerprint and content SHA-256 (issue 13: the reader can check each one)."""
    source = document.get("source") or {}
    if source.get("kind") != "consolidated":
        return ()
    lines = []
    for n, item in enumerate(source.get("inputs", []), start=1):
        scope = item.get("scope") or {}
        issuer = item.get("issuer") or {}
        name = (issuer.get("unit_name") if scope.get("kind") == "unit" else None) \
            or issuer.get("bureau") or ""
        code = str(scope.get("code", ""))
        lines.append((_("Input {n}").format(n=n), _(
            "{name} ({scope}), version {version}; signer {fingerprint}; content SHA-256 "
            "{sha256}").format(name=name or code, scope=code, version=item.get("version"),
                               fingerprint=item.get("signer_fingerprint", ""),
                               sha256=item.get("content_sha256", ""))))
    return tuple(lines)


_RUNNING = {
    "month": N_("running month: figures up to {date}"),
    "quarter": N_("running quarter: figures up to {date}"),
    "year": N_("running year: figures up to {date}"),
}


def running_note(document: Mapping[str, Any]) -> str:
    """``running month: figures up to 2026-11-29`` when the document was compiled before its
    period ended (a draft of the current month: a preview of figures so far), else ``""``.
    Read from the document itself (``integrity.compiled_at`` against the period's end), so
    a final document — compiled after the period ended — never carries it."""
    compiled = str(document.get("integrity", {}).get("compiled_at", ""))[:10]
    period = period_of_document(document)
    if not compiled or compiled >= period.end.isoformat():
        return ""
    return _(_RUNNING[period.kind]).format(date=date_text(date.fromisoformat(compiled)))


def date_text(day: date) -> str:
    """A date as documents print it: ``2026年12月7日`` in Chinese (GB/T 9704 §7.3.5)."""
    return _("{year}-{month:02d}-{day:02d}").format(year=day.year, month=day.month,
                                                   day=day.day)


def time_text(stamp: str) -> str:
    """An ISO 8601 time (``2026-12-07T17:17:20+08:00``) as documents print it, in the time
    zone it was written in and to the minute: ``2026年12月7日 17:17``; text that is not such
    a time is returned as it is."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{date_text(moment.date())} {moment.hour}:{moment.minute:02d}"


def filing_view(document: Mapping[str, Any], issuer: str, version_line: str) -> FilingView:
    """The :class:`FilingView` of ``document``'s ``filing`` record (set at compile and frozen
    at finalize, :mod:`counselor_tui.services.filing`); a document without one (older
    versions) gets the compile date and no filing elements. The version line goes into the
    附注, as does the configured note."""
    record = document.get("filing") or {}
    compiled = str(document.get("integrity", {}).get("compiled_at", ""))[:10]
    day = date.fromisoformat(str(record.get("date") or compiled))
    level = str(record.get("classification") or "")
    years = int(record.get("classification_years") or 0) or None
    notes = tuple(x for x in (str(record.get("note") or "").strip(),
                              version_line and _("This is {version}.").format(
                                  version=version_line)) if x)
    return FilingView(
        copy_no=gbt.copy_number(int(record.get("copy_no") or 1)) if level else "",
        classification=gbt.classification_mark(level, years),
        number=str(record.get("number") or ""),
        signer=str(record.get("signer") or ""),
        recipient=str(record.get("recipient") or ""),
        cc=str(record.get("cc") or ""),
        printer=str(record.get("printer") or "") or issuer,
        notes=notes,
        date=date_text(day),
    )


def period_of_document(document: Mapping[str, Any]) -> Period:
    """The :class:`Period` of a document."""
    return period_from_json(document["period"])


def _statuses(protection: Protection) -> set[CellStatus]:
    """Every status of a hidden cell the documents print under ``protection``."""
    used: set[CellStatus] = set(protection.withheld_totals.values())
    for result in protection.tables.values():
        cells = ((*result.cells, result.total) if isinstance(result, SuppressedSeries)
                 else tuple(c for row in result.grid() for c in row))
        used.update(c.status for c in cells)
    for figures in protection.figures.values():
        used.update(shown.status for shown in figures.values())
    for campaign in protection.campaigns:
        used.update(shown.status for shown in campaign.values())
    if protection.withheld:
        used.add(CellStatus.PRIMARY)  # a withheld table's small total prints as <k
    return used


def legend(protection: Protection) -> str:
    """The legend of the markers the documents print (issue 13 point 4): ``<k`` and ``x``
    always, ``…`` when any cell is withheld by linked suppression — printed before the
    first table (DOCX body, XLSX first sheet, top of the CSV)."""
    k = protection.k
    text = _("In the tables, “{primary}” stands for a count from 1 to {k_minus}; “{other}” "
             "marks a count hidden so that no small count can be worked out from the totals; "
             "0 is shown as it is.").format(primary=marker(CellStatus.PRIMARY, k),
                                            k_minus=k - 1,
                                            other=marker(CellStatus.COMPLEMENTARY, k))
    if CellStatus.WITHHELD in _statuses(protection):
        text += " " + _("“{withheld}” marks a figure withheld because it could be worked out "
                        "together with this bureau's other documents (other scopes, earlier "
                        "periods); it may stand for any count, 0 included.").format(
                            withheld=marker(CellStatus.WITHHELD, k))
    return text


def build(document: Mapping[str, Any], *, exact: bool = False) -> DocumentView:
    """The printable view of ``document`` (content + ``narrative`` + ``disclosure``).

    ``exact=False`` (the documents): protected cells suppressed with the document's ``k``.
    ``exact=True`` (the coordinator's preview only): every count as compiled.
    """
    k = int(document.get("disclosure", {}).get("k", DEFAULT_K))
    protection = None if exact else protection_of(document, k)
    sections_data = document["sections"]
    views: list[SectionView] = []
    number = 0
    for index, spec in enumerate(SECTIONS, start=1):
        data = sections_data.get(spec.key, {})
        tables: list[TableView] = []
        if spec.figures:
            number += 1
            tables.append(_figures_view(spec, data, protection, k, number))
        if spec.key == "census":
            number += 1
            tables.append(_campaigns_view(document, data.get("campaigns", []), protection, k,
                                          number))
        for tspec in spec.tables:
            if tspec.key not in data.get("tables", {}):
                continue
            number += 1
            tid = table_id(spec.key, tspec.key)
            tdata = data["tables"][tspec.key]
            if tdata["type"] == "measures":
                tables.append(_measures_view(tspec, tid, tdata, document, number))
            else:
                tables.append(_count_view(tspec, tid, tdata, document,
                                          protection if tspec.protected else None, k, number))
        if spec.key in NOT_COVERED_SECTIONS and _unit_packages_only(document):
            tables = [replace(t, note=" ".join(x for x in (t.note, _(NOT_COVERED_NOTE)) if x))
                      for t in tables]
        views.append(SectionView(index, spec.key, _(spec.title), tuple(tables)))
    narrative = document.get("narrative") or {}
    views.append(SectionView(
        len(SECTIONS) + 1, "narrative", _(NARRATIVE_TITLE),
        paragraphs=tuple((_(label), str(narrative.get(key, "") or "").strip() or _("(none)"))
                         for key, label in NARRATIVE_FIELDS)))
    integrity = document.get("integrity", {})
    views.append(SectionView(
        len(SECTIONS) + 2, "integrity", _(INTEGRITY_TITLE),
        paragraphs=(
            (_("Audit-chain head"), str(integrity.get("audit_head", ""))),
            (_("Compiled at"), time_text(str(integrity.get("compiled_at", "")))),
            (_("Software version"), str(integrity.get("software_version", ""))),
            (_("Disclosure threshold"), _("k = {k}").format(k=k)),
            *_inputs_paragraphs(document),
        )))
    period = period_of_document(document)
    running = running_note(document)
    issuer = str(document.get("issuer", {}).get("bureau", ""))
    unit_name = document.get("issuer", {}).get("unit_name")
    if unit_name:
        issuer = f"{issuer} {unit_name}".strip()
    version = document.get("submission", {}).get("version")
    replaces = document.get("submission", {}).get("replaces_version")
    version_line = "" if version is None else _("Version {version}").format(version=version)
    if replaces is not None:
        version_line = _("version {version}, replacing version {old}").format(
            version=version, old=replaces)
    filing = filing_view(document, issuer, version_line if replaces is not None else "")
    return DocumentView(
        title=_("Report on the officers' mental-health work in {period}").format(
            period=period.display()) + (f" ({running})" if running else ""),
        issuer=issuer,
        period=period.display(),
        scope=_scope_text(document),
        marking=filing.classification,
        version_line=version_line,
        sections=tuple(views),
        footnote="" if protection is None else legend(protection),
        exact=exact,
        running=bool(running),
        filing=filing,
    )

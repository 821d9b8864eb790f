"""The notice of one firearm decision for the personnel department (DESIGN §7.3; issue 19).

A notice states exactly **one** decision of a restriction's history — the decision, review
or reinstatement chosen (default: the latest) — with its own decision-maker, date and the
review date it set; never another decision's maker or date. It carries only the fields of
:class:`counselor_tui.domain.firearms.Notice`: name, badge number, unit, decision, dates,
decision-maker — never a diagnosis, score, note or incident summary. Coordinators only.

Files (:func:`export_notice`) are written to a temporary file in the target folder and
renamed into place; names hold the register number, the decision and the date — never a
name. Building a notice is audited ``view firearm_notice``, writing it ``export``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from counselor_tui.domain import firearms as rules
from counselor_tui.i18n import _
from counselor_tui.reports.docx_parts import Document, qn
from counselor_tui.services import audit, firearms
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from counselor_tui.services.firearm_events import FirearmEventRow
from counselor_tui.services.settings import get_setting
from db.models import Unit

__all__ = ["NOTICE_FORMATS", "export_notice", "notice", "notice_text", "write_notice_docx",
           "write_notice_text"]

NOTICE_FORMATS: tuple[str, ...] = ("docx", "txt")


def _choose(events: tuple[FirearmEventRow, ...], event_id: int | None) -> FirearmEventRow:
    decisions = [e for e in events if e.kind != "recommended"]
    if event_id is None:
        if not decisions:
            raise Conflict(_("No decision is recorded yet: a notice states a decision."))
        chosen = decisions[-1]
    else:
        found = next((e for e in events if e.id == event_id), None)
        if found is None:
            raise NotFound(_("No such decision of this restriction."))
        chosen = found
    if chosen.decision is None:
        raise Conflict(_("A recommendation is no decision: choose a decision, review or "
                         "reinstatement."))
    if "on_date" in chosen.not_kept or "decided_by_name" in chosen.not_kept \
            or "outcome" in chosen.not_kept:
        raise Conflict(_("The old register did not keep this decision's date or "
                         "decision-maker: no notice can state it."))
    return chosen


def notice(vs: VaultSession, restriction_id: int, event_id: int | None = None) -> rules.Notice:
    """The notice of one decision event of a restriction (coordinator only): ``event_id``
    (default: the latest decision). Audited ``view`` of ``firearm_notice``.

    Raises :class:`PermissionDenied` (every role but coordinator), :class:`NotFound`,
    :class:`Conflict` (no decision yet, a recommendation chosen, or a migrated decision
    whose date or decision-maker the old register did not keep).
    """
    return _build(vs, restriction_id, event_id)[0]


def _build(vs: VaultSession, restriction_id: int,
           event_id: int | None) -> tuple[rules.Notice, int]:
    firearms.require_coordinator(vs)
    bureau = str(get_setting(vs, "bureau_name", "") or "")
    with vs.transaction():
        row = firearms.get(vs, restriction_id)
        chosen = _choose(row.events, event_id)
        unit = None
        person_unit = vs.execute("SELECT unit_id FROM person WHERE id = ?",
                                 (row.person_id,)).fetchone()
        if person_unit is not None and person_unit[0] is not None:
            unit = Unit.get_or_none(Unit.id == person_unit[0])
        decision = chosen.decision or ""
        result = rules.Notice(
            reference=f"FR-{row.id:05d}-{chosen.seq}",
            bureau=bureau,
            issued_on=vs.today().isoformat(),
            person_name=row.person_name,
            badge_no=row.badge_no or "",
            unit_name=unit.name if unit is not None else "",
            decision=decision,
            decided_on=chosen.on_date or "",
            decided_by_name=chosen.decided_by_name or "",
            review_on=chosen.next_review_on or "",
        )
        audit.record(vs, "view", "firearm_notice", row.id,
                     {"decision": decision, "event_id": chosen.id})
    return result, chosen.id


def notice_text(n: rules.Notice) -> str:
    """The notice as plain text (UTF-8 when written): title, addressee, the allowed fields,
    issuing body and date."""
    lines = [rules.notice_title(n), "", _("To: the personnel department"), ""]
    lines += [f"{label}: {value}" for label, value in rules.notice_lines(n)]
    lines += ["", n.bureau, _("Date: {date}").format(date=n.issued_on)]
    return "\n".join(lines).rstrip() + "\n"


def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in ``path``'s folder, fsync, then rename into place."""
    folder = path.parent
    if not folder.is_dir():
        raise InvalidInput(_("The folder does not exist."))
    fd, tmp_name = tempfile.mkstemp(prefix=".notice-", suffix=".part", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def write_notice_text(n: rules.Notice, path: Path) -> Path:
    """Write :func:`notice_text` to ``path`` (UTF-8 with BOM for Windows editors) atomically."""
    data = notice_text(n).encode("utf-8-sig")

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return _atomic_write(Path(path), write)


def write_notice_docx(n: rules.Notice, path: Path) -> Path:
    """Write the notice as a DOCX (python-docx) to ``path`` atomically: title, addressee,
    a two-column table of the allowed fields, issuing body and date; Chinese text in SimSun.
    Document properties hold only the title and the issuing body."""

    def build(tmp: Path) -> None:
        doc = Document()
        normal = doc.styles["Normal"]
        normal.font.name = "SimSun"
        r_pr = normal.element.get_or_add_rPr()
        r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
        doc.add_heading(rules.notice_title(n), level=1)
        doc.add_paragraph(_("To: the personnel department"))
        body = rules.notice_lines(n)
        table = doc.add_table(rows=len(body), cols=2)
        table.style = "Table Grid"
        for i, (label, value) in enumerate(body):
            table.cell(i, 0).text = label
            table.cell(i, 1).text = value
        doc.add_paragraph("")
        doc.add_paragraph(n.bureau)
        doc.add_paragraph(_("Date: {date}").format(date=n.issued_on))
        props = doc.core_properties
        props.title = rules.notice_title(n)
        props.author = n.bureau
        props.last_modified_by = n.bureau
        props.comments = ""
        props.subject = ""
        props.keywords = ""
        doc.save(str(tmp))

    return _atomic_write(Path(path), build)


def export_notice(vs: VaultSession, restriction_id: int, folder: Path,
                  formats: tuple[str, ...] = NOTICE_FORMATS,
                  event_id: int | None = None) -> list[Path]:
    """Build the notice of one decision (``event_id``, default the latest) and write it to
    ``folder`` in ``formats`` (``docx``, ``txt``); file names hold the reference (register
    number and decision number), the decision and the date — never a name. Audited as
    ``export`` of ``firearm_notice`` (decision, event, formats, file count). Coordinator
    only; raises as :func:`notice`, :class:`InvalidInput` (no such folder, bad format)."""
    if not formats or any(f not in NOTICE_FORMATS for f in formats):
        raise InvalidInput(_("Choose DOCX or text."))
    n, chosen = _build(vs, restriction_id, event_id)
    stem = f"firearm-notice-{n.reference}-{n.decision}-{n.issued_on}"
    written: list[Path] = []
    with vs.transaction():
        for fmt in dict.fromkeys(formats):
            target = Path(folder) / f"{stem}.{fmt}"
            if fmt == "docx":
                written.append(write_notice_docx(n, target))
            else:
                written.append(write_notice_text(n, target))
        audit.record(vs, "export", "firearm_notice", restriction_id,
                     {"formats": list(dict.fromkeys(formats)), "files": len(written),
                      "decision": n.decision, "event_id": chosen})
    return written

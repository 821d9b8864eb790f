"""Firearm restriction register 配枪管理 (DESIGN §6, §7.3; shared/domain/policy.md).

Lifecycle (rules in :mod:`counselor_tui.domain.firearms`): a counselor or coordinator
*recommends* a restriction with a non-clinical reason code; only a **coordinator** records
the decision of the named personnel-department decision-maker (suspended / revoked /
declined), the review (continue, revoke, reinstate) and the reinstatement — every other role
gets :class:`PermissionDenied` from the service itself.

Storage of :class:`db.models.FirearmRestriction`: ``decided_at`` is the date of the
restricting (or declining) decision and ``ended_at`` the date of the reinstatement, both as
bureau-midnight timestamps (``2026-11-30T00:00:00+08:00``; the date is the first ten
characters); ``review_on`` a date; ``decided_by_name`` the named decision-maker of the
*latest* decision; ``recorded_by`` the coordinator who entered it.

The notice for the personnel department (:func:`notice`, :func:`notice_text`,
:func:`write_notice_docx`, :func:`export_notice`) carries only the fields of
:class:`counselor_tui.domain.firearms.Notice`: name, badge number, unit, decision, dates,
decision-maker — never a diagnosis, score, note or incident summary. Files are written to a
temporary file in the target folder and renamed into place; the export is audited.

Visibility: coordinators see the whole register; a counselor sees restrictions of persons of
their unit and those they recommended (all, without a unit). Auditors and admins see none.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from counselor_tui.domain import firearms as rules
from counselor_tui.domain.dates import relative_hint, to_storage
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.domain.vocab import FIREARM_STATUSES
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db.models import FirearmRestriction, Person, Unit

__all__ = [
    "NOTICE_FORMATS",
    "ArmoryRow",
    "RestrictionRow",
    "active_status",
    "current_restrictions",
    "dashboard_section",
    "export_notice",
    "notice",
    "notice_text",
    "recommend",
    "record_decision",
    "register",
    "reinstate",
    "review",
    "review_due",
    "should_prompt_recommendation",
    "write_notice_docx",
    "write_notice_text",
]

NOTICE_FORMATS: tuple[str, ...] = ("docx", "txt")
MAX_NOTE = 2000
#: Reviews due within this many days are listed on the dashboard.
REVIEW_SOON_DAYS = 7


@dataclass(frozen=True)
class RestrictionRow:
    """One restriction of the register. Dates ``YYYY-MM-DD`` ("" / None when not yet);
    ``note`` is the recommendation note (never printed on a notice)."""

    id: int
    person_id: int
    person_name: str
    badge_no: str | None
    unit_name: str | None
    status: str
    reason_code: str
    recommended_by: str
    recommended_at: str
    decided_by_name: str | None
    decided_on: str | None
    review_on: str | None
    ended_on: str | None
    note: str


@dataclass(frozen=True)
class ArmoryRow:
    """An officer who may not draw a firearm now (for the armory): no reason, no note."""

    restriction_id: int
    person_id: int
    name: str
    badge_no: str | None
    unit_name: str | None
    status: str
    decided_on: str | None
    review_on: str | None


# --------------------------------------------------------------------------- helpers


def _tracked(vs: VaultSession) -> dict[str, Any]:
    now = vs.now_iso()
    return {"created_at": now, "created_by": vs.actor.id, "updated_at": now,
            "updated_by": vs.actor.id}


def _midnight(vs: VaultSession, day: date) -> str:
    return to_storage(datetime.combine(day, time(), tzinfo=vs.now().tzinfo))


def _day(stamp: str | None) -> str | None:
    return stamp[:10] if stamp else None


def _review_days(vs: VaultSession) -> int:
    try:
        from counselor_tui.services.incidents import policy

        return policy(vs).firearm_review_days
    except InvalidInput:
        return rules.DEFAULT_REVIEW_DAYS


def _require_reader(vs: VaultSession) -> None:
    if vs.actor.role not in WRITES_RECORDS:
        raise PermissionDenied(
            _("Your role ({role}) may not do this.").format(role=vs.actor.role.label))


def _require_coordinator(vs: VaultSession) -> None:
    if vs.actor.role is not Role.COORDINATOR:
        raise PermissionDenied(_(
            "Only a coordinator records firearm decisions (your role: {role})."
        ).format(role=vs.actor.role.label))


def _visible(vs: VaultSession, row: FirearmRestriction, person: Person) -> bool:
    if vs.actor.role is Role.COORDINATOR or vs.actor.unit_id is None:
        return True
    return person.unit_id == vs.actor.unit_id or row.recommended_by_id == vs.actor.id


def _get(vs: VaultSession, restriction_id: int) -> tuple[FirearmRestriction, Person]:
    row = FirearmRestriction.get_or_none(FirearmRestriction.id == restriction_id)
    person = Person.get_or_none(Person.id == row.person_id) if row is not None else None
    if row is None or person is None or not _visible(vs, row, person):
        raise NotFound(_("Firearm restriction {id} was not found.").format(id=restriction_id))
    return row, person


def _check_date(day: date, today: date, what: str) -> None:
    if day > today:
        raise InvalidInput(_("The {what} cannot lie in the future.").format(what=what))


def _decision_maker(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise InvalidInput(_("Name the decision-maker of the personnel department."))
    if len(text) > 60:
        raise InvalidInput(_("The decision-maker's name is too long."))
    return text


def _status_label(code: str) -> str:
    msgid = FIREARM_STATUSES.get(code)
    return _(msgid) if msgid else code


def _transition(current: str, target: str) -> None:
    try:
        rules.next_status(current, target)
    except rules.FirearmRuleError as exc:
        raise Conflict(str(exc)) from None


def _rows(vs: VaultSession, where: str, params: tuple[Any, ...]) -> list[RestrictionRow]:
    cursor = vs.execute(
        "SELECT f.id, p.id, p.name, p.badge_no, un.name, f.status, f.reason_code,"
        " us.display_name, f.recommended_at, f.decided_by_name, f.decided_at, f.review_on,"
        " f.ended_at, f.note, p.unit_id, f.recommended_by_id"
        " FROM firearm_restriction f JOIN person p ON p.id = f.person_id"
        " LEFT JOIN unit un ON un.id = p.unit_id JOIN user us ON us.id = f.recommended_by_id"
        f" WHERE {where} ORDER BY f.review_on IS NULL, f.review_on, f.recommended_at, f.id",
        params)
    rows = []
    scoped = vs.actor.role is not Role.COORDINATOR and vs.actor.unit_id is not None
    for r in cursor:
        if scoped and r[14] != vs.actor.unit_id and r[15] != vs.actor.id:
            continue
        rows.append(RestrictionRow(
            id=int(r[0]), person_id=int(r[1]), person_name=r[2], badge_no=r[3],
            unit_name=r[4], status=r[5], reason_code=r[6], recommended_by=r[7],
            recommended_at=r[8], decided_by_name=r[9], decided_on=_day(r[10]),
            review_on=r[11], ended_on=_day(r[12]), note=r[13] or ""))
    return rows


# --------------------------------------------------------------------------- lifecycle


def recommend(vs: VaultSession, person_id: int, reason_code: str, note: str = "") -> int:
    """Recommend a firearm restriction for an officer (counselor or coordinator).

    ``reason_code`` one of :data:`counselor_tui.domain.firearms.REASON_CODES` (non-clinical);
    ``note`` free text kept in the register, never on a notice. Returns the restriction id.
    Raises :class:`InvalidInput` (unknown reason, not an officer), :class:`NotFound`,
    :class:`Conflict` (an active restriction exists), :class:`PermissionDenied`.
    """
    vs.require(Role.COUNSELOR, Role.COORDINATOR)
    if reason_code not in rules.REASON_CODES:
        raise InvalidInput(_("Choose a reason code."))
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput(_("The note is too long (at most {n} characters).").format(n=MAX_NOTE))
    with vs.transaction():
        person = Person.get_or_none((Person.id == person_id) & Person.voided_at.is_null())
        if person is None:
            raise NotFound(_("Person {id} was not found.").format(id=person_id))
        if person.kind != "officer":
            raise InvalidInput(_("Only an officer's firearm qualification can be restricted."))
        active = FirearmRestriction.get_or_none(
            (FirearmRestriction.person == person_id)
            & FirearmRestriction.status.in_(sorted(rules.ACTIVE)))
        if active is not None:
            raise Conflict(_("This officer already has a restriction that is “{status}”.")
                           .format(status=_status_label(active.status)))
        row = FirearmRestriction.create(
            person=person_id, status="recommended", reason_code=reason_code,
            recommended_by=vs.actor.id, recommended_at=vs.now_iso(), note=text,
            **_tracked(vs))
        audit.record(vs, "create", "firearm_restriction", row.id,
                     {"status": "recommended", "reason_code": reason_code,
                      "person_id": person_id})
    return int(row.id)


def record_decision(
    vs: VaultSession,
    restriction_id: int,
    decision: str,
    decided_by_name: str,
    decided_on: date,
    review_on: date | None = None,
) -> None:
    """Record the personnel department's decision on a recommendation (coordinator only).

    ``decision`` suspended / revoked / declined; ``decided_by_name`` the named
    decision-maker; ``decided_on`` not in the future; ``review_on`` (suspended / revoked)
    defaults to ``decided_on`` + the policy's review days (90) and must follow
    ``decided_on``. A declined recommendation ends on ``decided_on``. Raises
    :class:`PermissionDenied` for every role but coordinator, :class:`InvalidInput`,
    :class:`NotFound`, :class:`Conflict` (not a pending recommendation).
    """
    _require_coordinator(vs)
    if decision not in rules.DECISIONS:
        raise InvalidInput(_("Choose the decision: suspended, revoked or declined."))
    name = _decision_maker(decided_by_name)
    _check_date(decided_on, vs.today(), _("decision date"))
    if decision == "declined":
        review = None
    else:
        review = review_on or rules.default_review_on(decided_on, _review_days(vs))
        if review <= decided_on:
            raise InvalidInput(_("The review date must come after the decision date."))
    with vs.transaction():
        row, _person = _get(vs, restriction_id)
        _transition(row.status, decision)
        before = row.status
        row.status = decision
        row.decided_by_name = name
        row.decided_at = _midnight(vs, decided_on)
        row.recorded_by_id = vs.actor.id
        row.review_on = review.isoformat() if review else None
        row.ended_at = _midnight(vs, decided_on) if decision == "declined" else None
        row.updated_at, row.updated_by_id = vs.now_iso(), vs.actor.id
        row.save()
        audit.record(vs, "update", "firearm_restriction", row.id,
                     {"change": "decision", "from": before, "to": decision})


def review(
    vs: VaultSession,
    restriction_id: int,
    outcome: str,
    decided_by_name: str,
    decided_on: date,
    next_review_on: date | None = None,
) -> None:
    """Record the review of a suspension or revocation (coordinator only).

    ``outcome``: ``continue`` (same status, next review on ``next_review_on``, default
    ``decided_on`` + 90 days), ``revoked`` (a suspension becomes a revocation, next review
    likewise) or ``reinstated`` (see :func:`reinstate`). Raises as
    :func:`record_decision`; :class:`Conflict` when the restriction is not in force.
    """
    _require_coordinator(vs)
    if outcome not in rules.REVIEW_OUTCOMES:
        raise InvalidInput(_("Choose the outcome of the review."))
    if outcome == "reinstated":
        reinstate(vs, restriction_id, decided_by_name, decided_on)
        return
    name = _decision_maker(decided_by_name)
    _check_date(decided_on, vs.today(), _("review date"))
    following = next_review_on or rules.default_review_on(decided_on, _review_days(vs))
    if following <= decided_on:
        raise InvalidInput(_("The next review date must come after the review."))
    with vs.transaction():
        row, _person = _get(vs, restriction_id)
        before = row.status
        target = before if outcome == "continue" else outcome
        if before not in rules.RESTRICTED:
            raise Conflict(_("Only a suspension or revocation in force can be reviewed."))
        _transition(before, target)
        row.status = target
        row.decided_by_name = name
        if target != before:
            row.decided_at = _midnight(vs, decided_on)
        row.recorded_by_id = vs.actor.id
        row.review_on = following.isoformat()
        row.updated_at, row.updated_by_id = vs.now_iso(), vs.actor.id
        row.save()
        audit.record(vs, "update", "firearm_restriction", row.id,
                     {"change": "review", "from": before, "to": target})


def reinstate(vs: VaultSession, restriction_id: int, decided_by_name: str,
              decided_on: date) -> None:
    """Reinstate the firearm qualification (coordinator only): status ``reinstated``,
    ended on ``decided_on``, ``decided_by_name`` the reinstating decision-maker (the
    restricting decision's date stays in ``decided_at``). Raises as :func:`record_decision`.
    """
    _require_coordinator(vs)
    name = _decision_maker(decided_by_name)
    _check_date(decided_on, vs.today(), _("decision date"))
    with vs.transaction():
        row, _person = _get(vs, restriction_id)
        before = row.status
        _transition(before, "reinstated")
        if row.decided_at and decided_on.isoformat() < row.decided_at[:10]:
            raise InvalidInput(_("Reinstatement cannot come before the restriction."))
        row.status = "reinstated"
        row.decided_by_name = name
        row.ended_at = _midnight(vs, decided_on)
        row.review_on = None
        row.recorded_by_id = vs.actor.id
        row.updated_at, row.updated_by_id = vs.now_iso(), vs.actor.id
        row.save()
        audit.record(vs, "update", "firearm_restriction", row.id,
                     {"change": "reinstated", "from": before, "to": "reinstated"})


# --------------------------------------------------------------------------- reading


def register(vs: VaultSession, include_ended: bool = False) -> list[RestrictionRow]:
    """The register: restrictions in force or pending (recommended / suspended / revoked),
    plus ended ones (declined / reinstated) with ``include_ended``; by review date."""
    _require_reader(vs)
    statuses = sorted(FIREARM_STATUSES if include_ended else rules.ACTIVE)
    marks = ",".join("?" * len(statuses))
    with vs.reading():
        return _rows(vs, f"f.status IN ({marks})", tuple(statuses))


def current_restrictions(vs: VaultSession) -> list[ArmoryRow]:
    """Officers currently restricted (suspended or revoked), for the armory, by unit and
    name: no reason code, no note."""
    _require_reader(vs)
    with vs.reading():
        rows = _rows(vs, "f.status IN ('revoked', 'suspended')", ())
    rows.sort(key=lambda r: (r.unit_name or "", r.person_name, r.id))
    return [ArmoryRow(r.id, r.person_id, r.person_name, r.badge_no, r.unit_name, r.status,
                      r.decided_on, r.review_on) for r in rows]


def review_due(vs: VaultSession, within_days: int = REVIEW_SOON_DAYS) -> list[RestrictionRow]:
    """Suspensions and revocations whose review date is today + ``within_days`` or earlier."""
    _require_reader(vs)
    limit = (vs.today() + timedelta(days=within_days)).isoformat()
    with vs.reading():
        return _rows(vs, "f.status IN ('revoked', 'suspended') AND f.review_on <= ?",
                     (limit,))


def active_status(vs: VaultSession, person_id: int) -> str | None:
    """The status of the person's restriction in force or pending, else None (for the
    person record's firearm status and the prompt)."""
    _require_reader(vs)
    with vs.reading():
        row = (FirearmRestriction.select(FirearmRestriction.status)
               .where((FirearmRestriction.person == person_id)
                      & FirearmRestriction.status.in_(sorted(rules.ACTIVE)))
               .first())
    return None if row is None else str(row.status)


def should_prompt_recommendation(
    vs: VaultSession,
    person_id: int,
    *,
    tier: str | None = None,
    risk: str | None = None,
    critical_item: bool = False,
) -> bool:
    """Whether to offer the recommendation modal for ``person_id`` after a red tier, an
    ``imminent`` risk or a critical item (:func:`counselor_tui.domain.firearms.
    should_prompt_recommendation`): only for officers without an active restriction, and
    only to counselors/coordinators. Never changes anything."""
    if vs.actor.role not in WRITES_RECORDS:
        return False
    with vs.reading():
        person = Person.get_or_none(Person.id == person_id)
    if person is None or person.kind != "officer":
        return False
    return rules.should_prompt_recommendation(
        tier=tier, risk=risk, critical_item=critical_item,
        active_status=active_status(vs, person_id))


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """Firearm block of the dashboard: recommendations awaiting a decision, and reviews
    due within 7 days (overdue reviews ``urgent``). None when there is nothing, or for
    auditors/admins."""
    if vs.actor.role not in WRITES_RECORDS:
        return None
    today = vs.today().isoformat()
    with vs.reading():
        pending = _rows(vs, "f.status = 'recommended'", ())
    due = review_due(vs)
    items: list[DashboardItem] = []
    for r in due:
        overdue = (r.review_on or "") < today
        hint = relative_hint(date.fromisoformat(r.review_on), vs.today()) if r.review_on else ""
        items.append(DashboardItem(
            text=_("Firearm review · {name} · {status} · review {date} ({hint})").format(
                name=r.person_name, status=_status_label(r.status), date=r.review_on,
                hint=hint),
            person_id=r.person_id, due=r.review_on, level="urgent" if overdue else "warning",
            ref=f"firearms:{r.id}"))
    for r in pending:
        items.append(DashboardItem(
            text=_("Firearm recommendation awaiting decision · {name}").format(
                name=r.person_name),
            person_id=r.person_id, due=None, level="warning", ref=f"firearms:{r.id}"))
    if not items:
        return None
    reviews = _("{n} review due") if len(due) == 1 else _("{n} reviews due")
    summary = _("{n} awaiting decision").format(n=len(pending)) + " · " + reviews.format(
        n=len(due))
    level = "urgent" if any(i.level == "urgent" for i in items) else "warning"
    return DashboardSection(id="firearms", title=_("Firearms"), items=tuple(items),
                            summary=summary, level=level)


# --------------------------------------------------------------------------- notice


def notice(vs: VaultSession, restriction_id: int) -> rules.Notice:
    """The notice of the latest decision on a restriction (coordinator only), built from
    the allowed fields only; audited ``view`` of ``firearm_notice``. Raises
    :class:`Conflict` while no decision is recorded."""
    _require_coordinator(vs)
    from counselor_tui.services.vault import get_setting

    bureau = str(get_setting(vs, "bureau_name", "") or "")
    with vs.transaction():
        row, person = _get(vs, restriction_id)
        if row.status == "recommended" or not row.decided_by_name:
            raise Conflict(_("No decision is recorded yet: a notice states a decision."))
        unit = Unit.get_or_none(Unit.id == person.unit_id) if person.unit_id else None
        reinstated = row.status == "reinstated"
        result = rules.Notice(
            reference=f"FR-{int(row.id):05d}",
            bureau=bureau,
            issued_on=vs.today().isoformat(),
            person_name=person.name,
            badge_no=person.badge_no or "",
            unit_name=unit.name if unit is not None else "",
            decision=row.status,
            decided_on=_day(row.ended_at if reinstated else row.decided_at) or "",
            decided_by_name=row.decided_by_name or "",
            review_on=(row.review_on or "") if row.status in rules.RESTRICTED else "",
            restricted_since=(_day(row.decided_at) or "") if reinstated else "",
        )
        audit.record(vs, "view", "firearm_notice", row.id, {"decision": row.status})
    return result


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
    from docx import Document
    from docx.oxml.ns import qn

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
                  formats: tuple[str, ...] = NOTICE_FORMATS) -> list[Path]:
    """Build the notice and write it to ``folder`` in ``formats`` (``docx``, ``txt``);
    file names hold the register number, decision and date — never a name. Audited as
    ``export`` of ``firearm_notice`` (formats, file count). Coordinator only."""
    if not formats or any(f not in NOTICE_FORMATS for f in formats):
        raise InvalidInput(_("Choose DOCX or text."))
    n = notice(vs, restriction_id)
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
                      "decision": n.decision})
    return written

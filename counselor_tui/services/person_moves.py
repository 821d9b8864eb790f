"""People who move or leave (issue 15 point 2): edit a person's details with a history of
what changed, transfer an officer to another unit from a date, and record leaving service.

* :func:`edit_person` writes the profile like
  :func:`counselor_tui.services.persons.update_person` and keeps a :class:`PersonVersion`
  (each changed field with its old and new value). A new unit is not an edit: it is a
  dated :func:`transfer`, so period figures count the person under the unit of the time.
* :func:`transfer` records a ``transfer`` :class:`PersonMove` (``from_unit`` →
  ``to_unit`` from ``on_date``) and moves the officer (and family members who had the old
  unit). The submission counts sessions and the serving officers under the unit on the
  day (:mod:`counselor_tui.services.submission_compile`).
* :func:`leave` records the date and the reason (:data:`LEAVE_REASONS`): the person stays in
  the archive as *former* (``archived_at`` = the day they left, ``left_reason``), is no
  longer serving from that day and counts as archived in that day's period.

* :func:`correct_leave` / :func:`withdraw_leave` — a coordinator corrects the date or the
  reason of a leaving recorded wrongly, or withdraws it (the officer serves again); both are
  refused once the record was de-identified (:mod:`counselor_tui.services.retention`).
  Audited ``update person`` with ``leave`` ``corrected``/``withdrawn`` and the old and new
  date and reason codes (a withdrawn leaving's row is deleted: the audit event keeps its
  date and reason).

Dates are ``YYYY-MM-DD`` (bureau-local), never in the future, never before the person's
latest move. A leaving is never dated before the officer's hire date nor before their
latest session, assessment or move: a back-dated leaving would make a serving officer's
record due for de-identification at once (attacker finding, issue 15). Counselors (persons
they see) and coordinators; corrections of a leaving are the coordinator's. A former
officer's details are not edited (:class:`Conflict`). Every step is audited with ids and
codes only (``update person`` with the field names, ``transfer person``, ``leave person``),
never names or values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from counselor_tui.domain.date_storage import from_storage
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import audit, persons
from counselor_tui.services.access import require_visible
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from counselor_tui.services.persons import PersonDraft, PersonInvalid
from db.models import Person, PersonMove, PersonVersion, Unit

#: Why an officer left service (code → English msgid).
LEAVE_REASONS: Mapping[str, str] = {
    "retired": N_("retired"), "transferred_out": N_("transferred out of the bureau"),
    "resigned": N_("resigned"), "deceased": N_("deceased"),
}
MAX_NOTE = 500
_FIELDS = ("kind", "name", "badge_no", "gender", "birth_date", "police_type", "post",
           "hire_date", "phone")


@dataclass(frozen=True)
class MoveRow:
    """One dated move: ``kind`` ``transfer`` or ``leave``, the date, the units' names
    (transfer), the reason code (leave), the note, who recorded it and when."""

    id: int
    person_id: int
    kind: str
    on_date: str
    from_unit: str | None
    to_unit: str | None
    reason: str | None
    note: str
    by: str
    at: str


@dataclass(frozen=True)
class VersionRow:
    """One edit of a person's details: field → ``(old, new)``, who and when."""

    id: int
    person_id: int
    changed: Mapping[str, tuple[str | None, str | None]]
    by: str
    at: str


def _require(vs: VaultSession) -> None:
    vs.require(*sorted(WRITES_RECORDS))


def _day(vs: VaultSession, text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(_("Write the date as YYYY-MM-DD.")) from None
    if day > vs.today():
        raise InvalidInput(_("The date is in the future."))
    return day


def _note(text: str) -> str:
    value = text.strip()
    if len(value) > MAX_NOTE:
        raise InvalidInput(_("The note is too long (at most {n} characters).").format(
            n=MAX_NOTE))
    return value


def _serving_officer(vs: VaultSession, person_id: int) -> Person:
    require_visible(vs, person_id)
    person = Person.get_by_id(person_id)
    if person.kind != "officer":
        raise InvalidInput(_("Only officers transfer or leave service."))
    if person.archived_at:
        raise Conflict(_("This person has left service already."))
    return person


def _after_latest_move(person_id: int, day: date) -> None:
    latest = (PersonMove.select(PersonMove.on_date).where(PersonMove.person == person_id)
              .order_by(PersonMove.on_date.desc()).first())
    if latest is not None and day.isoformat() < str(latest.on_date):
        raise InvalidInput(_("The date is before the person's latest move ({date}).").format(
            date=latest.on_date))


def _latest_activity(vs: VaultSession, person_id: int) -> date | None:
    """The bureau-local day of the person's latest non-voided session or assessment."""
    days: list[date] = []
    row = vs.execute("SELECT started_at FROM counseling_session WHERE person_id = ? "
                     "AND voided_at IS NULL ORDER BY started_at DESC LIMIT 1",
                     (person_id,)).fetchone()
    if row is not None and row[0]:
        days.append(from_storage(str(row[0])).astimezone(vs.now().tzinfo).date())
    row = vs.execute("SELECT MAX(administered_on) FROM assessment WHERE person_id = ? "
                     "AND voided_at IS NULL", (person_id,)).fetchone()
    if row is not None and row[0]:
        days.append(date.fromisoformat(str(row[0])[:10]))
    return max(days) if days else None


def _check_leave_day(vs: VaultSession, person: Person, day: date,
                     except_move: int | None = None) -> None:
    """Refuse a leaving dated before the hire date or the latest session, assessment or
    move (``except_move``: the leaving being corrected)."""
    if person.hire_date and day.isoformat() < str(person.hire_date)[:10]:
        raise InvalidInput(_("The date is before the officer's hire date ({date}).").format(
            date=str(person.hire_date)[:10]))
    latest = _latest_activity(vs, int(person.id))
    if latest is not None and day < latest:
        raise InvalidInput(_("The officer has a session or assessment on {date}, after this "
                             "date: check the date they left.").format(date=latest.isoformat()))
    query = PersonMove.select(PersonMove.on_date).where(PersonMove.person == person.id)
    if except_move is not None:
        query = query.where(PersonMove.id != except_move)
    move = query.order_by(PersonMove.on_date.desc()).first()
    if move is not None and day.isoformat() < str(move.on_date):
        raise InvalidInput(_("The date is before the person's latest move ({date}).").format(
            date=move.on_date))


def _record_move(vs: VaultSession, person_id: int, kind: str, day: date,
                 from_unit: int | None, to_unit: int | None, reason: str | None,
                 note: str) -> int:
    move = PersonMove.create(person=person_id, kind=kind, on_date=day.isoformat(),
                             from_unit=from_unit, to_unit=to_unit, reason=reason, note=note,
                             by=vs.actor.id, at=vs.now_iso())
    return int(move.id)


def edit_person(vs: VaultSession, person_id: int, draft: PersonDraft) -> list[str]:
    """Change a visible person's details; returns the changed field names (empty: nothing
    written). Keeps a :class:`PersonVersion` of old and new values. Raises
    :class:`PersonInvalid` (field → message; a new unit is refused: use :func:`transfer`),
    :class:`Conflict` (badge number in use, person left service), :class:`NotFound`,
    :class:`PermissionDenied`."""
    _require(vs)
    errors = persons.validate_person(draft, vs.today())
    if errors:
        raise PersonInvalid(errors)
    profile = persons.profile_of(draft)
    with vs.transaction():
        require_visible(vs, person_id)
        person = Person.get_by_id(person_id)
        if person.deidentified_at:
            raise Conflict(_("This record was de-identified: its details cannot be edited."))
        if person.archived_at:
            raise Conflict(_("This person has left service: their details are no longer "
                             "edited. A coordinator can correct or withdraw the leaving."))
        if (profile["unit"] or None) != (person.unit_id or None):
            raise PersonInvalid({"unit_id": _(
                "A new unit is a transfer (dated): use Transfer instead of Edit.")})
        old = {f: getattr(person, f) for f in _FIELDS}
        changed = persons.update_person_in_transaction(vs, person_id, profile)
        if changed:
            PersonVersion.create(
                person=person_id, by=vs.actor.id, at=vs.now_iso(),
                changed={f: [old[f], profile[f]] for f in changed if f in old})
    return changed


def transfer(vs: VaultSession, person_id: int, unit_id: int, on_date: str,
             note: str = "") -> MoveRow:
    """Move a serving officer to unit ``unit_id`` from ``on_date`` (``YYYY-MM-DD``); family
    members who had the old unit follow. Raises :class:`InvalidInput` (bad or future date,
    before the latest move, same unit, unknown unit, not an officer), :class:`Conflict`
    (left service), :class:`NotFound`, :class:`PermissionDenied`."""
    _require(vs)
    day = _day(vs, on_date)
    text = _note(note)
    with vs.transaction():
        person = _serving_officer(vs, person_id)
        if Unit.get_or_none(Unit.id == unit_id) is None:
            raise InvalidInput(_("Unknown unit."))
        if person.unit_id == unit_id:
            raise InvalidInput(_("The officer is in that unit already."))
        _after_latest_move(person_id, day)
        old_unit = person.unit_id
        profile = {f: getattr(person, f) for f in _FIELDS}
        profile.update(unit=unit_id, name_pinyin=person.name_pinyin,
                       name_initials=person.name_initials, name_sort=person.name_sort)
        persons.update_person_in_transaction(vs, person_id, profile)
        move_id = _record_move(vs, person_id, "transfer", day, old_unit, unit_id, None, text)
        audit.record(vs, "transfer", "person", person_id,
                     {"move": move_id, "from_unit": old_unit, "to_unit": unit_id,
                      "on": day.isoformat()})
    return moves(vs, person_id)[0]


def leave(vs: VaultSession, person_id: int, on_date: str, reason: str,
          note: str = "") -> MoveRow:
    """Record that a serving officer left service on ``on_date`` for ``reason`` (a code of
    :data:`LEAVE_REASONS`). The record stays, as former; the tier is no longer reviewed.
    Raises :class:`InvalidInput` (bad reason; date in the future, before the hire date or
    before the latest session, assessment or move), :class:`Conflict` (left already),
    :class:`NotFound`, :class:`PermissionDenied`."""
    _require(vs)
    if reason not in LEAVE_REASONS:
        raise InvalidInput(_("Choose why the officer left: {codes}.").format(
            codes=", ".join(LEAVE_REASONS)))
    day = _day(vs, on_date)
    text = _note(note)
    with vs.transaction():
        person = _serving_officer(vs, person_id)
        _check_leave_day(vs, person, day)
        Person.update(archived_at=day.isoformat(), left_reason=reason,
                      updated_at=vs.now_iso(), updated_by=vs.actor.id).where(
            Person.id == person_id).execute()
        move_id = _record_move(vs, person_id, "leave", day, person.unit_id, None, reason,
                               text)
        audit.record(vs, "leave", "person", person_id,
                     {"move": move_id, "reason": reason, "on": day.isoformat()})
    return moves(vs, person_id)[0]


def _recorded_leave(vs: VaultSession, person_id: int) -> tuple[Person, PersonMove]:
    require_visible(vs, person_id)
    person = Person.get_by_id(person_id)
    if person.deidentified_at:
        raise Conflict(_("This record was de-identified: its leaving cannot be changed."))
    move = (PersonMove.select().where((PersonMove.person == person_id)
                                      & (PersonMove.kind == "leave"))
            .order_by(PersonMove.on_date.desc(),
                      PersonMove.id.desc()).first())  # type: ignore[attr-defined]
    if not person.archived_at or move is None:
        raise Conflict(_("This person has not left service."))
    return person, move


def correct_leave(vs: VaultSession, person_id: int, on_date: str, reason: str,
                  note: str | None = None) -> MoveRow:
    """Correct the date (``YYYY-MM-DD``) and reason code of a recorded leaving; ``note``
    replaces the note unless ``None``. Coordinator only; the same date rules as
    :func:`leave`. Audited ``update person`` (``leave: corrected``, old and new date and
    reason). Raises :class:`InvalidInput`, :class:`Conflict` (not left, de-identified),
    :class:`NotFound`, :class:`PermissionDenied`."""
    vs.require(Role.COORDINATOR)
    if reason not in LEAVE_REASONS:
        raise InvalidInput(_("Choose why the officer left: {codes}.").format(
            codes=", ".join(LEAVE_REASONS)))
    day = _day(vs, on_date)
    text = None if note is None else _note(note)
    with vs.transaction():
        person, move = _recorded_leave(vs, person_id)
        _check_leave_day(vs, person, day, except_move=int(move.id))
        old_day, old_reason = str(move.on_date), move.reason
        Person.update(archived_at=day.isoformat(), left_reason=reason,
                      updated_at=vs.now_iso(), updated_by=vs.actor.id).where(
            Person.id == person_id).execute()
        changes: dict[str, object] = {"on_date": day.isoformat(), "reason": reason}
        if text is not None:
            changes["note"] = text
        PersonMove.update(**changes).where(PersonMove.id == move.id).execute()
        audit.record(vs, "update", "person", person_id, {
            "leave": "corrected", "move": int(move.id), "from": old_day,
            "on": day.isoformat(), "reason_from": old_reason, "reason": reason})
    return moves(vs, person_id)[0]


def withdraw_leave(vs: VaultSession, person_id: int) -> None:
    """Withdraw a leaving recorded by mistake: the officer serves again (no
    ``archived_at``), the leaving's row is deleted. Coordinator only. Audited ``update
    person`` (``leave: withdrawn`` with the withdrawn date and reason). Raises
    :class:`Conflict` (not left, de-identified), :class:`NotFound`,
    :class:`PermissionDenied`."""
    vs.require(Role.COORDINATOR)
    with vs.transaction():
        _person, move = _recorded_leave(vs, person_id)
        Person.update(archived_at=None, left_reason=None, updated_at=vs.now_iso(),
                      updated_by=vs.actor.id).where(Person.id == person_id).execute()
        PersonMove.delete().where(PersonMove.id == move.id).execute()
        audit.record(vs, "update", "person", person_id, {
            "leave": "withdrawn", "move": int(move.id), "from": str(move.on_date),
            "reason_from": move.reason})


def moves(vs: VaultSession, person_id: int) -> list[MoveRow]:
    """The person's transfers and leaving, newest first. Raises :class:`NotFound`."""
    with vs.reading():
        require_visible(vs, person_id)
        return [MoveRow(int(r[0]), int(r[1]), str(r[2]), str(r[3]), r[4], r[5], r[6],
                        str(r[7]), str(r[8] or ""), str(r[9]))
                for r in vs.execute(
                    "SELECT m.id, m.person_id, m.kind, m.on_date, fu.name, tu.name, m.reason, "
                    "m.note, u.display_name, m.at FROM person_move m "
                    "LEFT JOIN unit fu ON fu.id = m.from_unit_id "
                    "LEFT JOIN unit tu ON tu.id = m.to_unit_id "
                    "LEFT JOIN user u ON u.id = m.by_id WHERE m.person_id = ? "
                    "ORDER BY m.on_date DESC, m.id DESC", (person_id,))]


def versions(vs: VaultSession, person_id: int) -> list[VersionRow]:
    """What each edit of the person's details changed, newest first."""
    with vs.reading():
        require_visible(vs, person_id)
        out = []
        for r in vs.execute(
                "SELECT v.id, v.person_id, v.changed, u.display_name, v.at "
                "FROM person_version v LEFT JOIN user u ON u.id = v.by_id "
                "WHERE v.person_id = ? ORDER BY v.at DESC, v.id DESC", (person_id,)):
            changed = json.loads(r[2]) if r[2] else {}
            out.append(VersionRow(int(r[0]), int(r[1]),
                                  {k: (v[0], v[1]) for k, v in changed.items()},
                                  str(r[3] or ""), str(r[4])))
        return out


def person_id_by_badge(vs: VaultSession, badge: str) -> int:
    """The id of the visible person with badge number ``badge`` (CLI). Raises
    :class:`NotFound`."""
    with vs.reading():
        row = Person.get_or_none((Person.badge_no == badge.strip().upper())
                                 & Person.voided_at.is_null())
        if row is None:
            raise NotFound(_("No such person, or not visible to your account."))
        require_visible(vs, int(row.id))
        return int(row.id)

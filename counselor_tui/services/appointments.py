"""Appointments 预约 (issue 15, point 5): schedule a session, the agenda, missed appointments.

An appointment names a person (or an anonymous caller, with an optional caller label —
never a real name), the counselor, the start time, the duration and the channel. Logging the
session from it (:func:`mark_kept`) links the two; cancelling asks for a reason. A scheduled
appointment whose end has passed without a session is **missed**: it stays on the dashboard
(for :data:`MISSED_DAYS` days) until it is logged or cancelled.

Roles (DESIGN §5): counselors schedule for themselves and see their own appointments;
coordinators schedule for any active counselor or coordinator and see all; admins and
auditors see none (:class:`PermissionDenied`) — an appointment names a person. The person is
one the actor sees (:mod:`counselor_tui.services.access`) or a *serving* officer of another
unit — exactly the persons the person picker offers
(:func:`counselor_tui.services.person_search.find_persons`: an officer of any unit may call;
the picker shows their identity only). An officer who left or was archived, a family member
or another person the actor does not see is refused as "not visible", so an appointment
never names someone the actor could not find. A person of the actor's own archive who left
service (``archived_at`` set: a former officer) is refused with a plain
:class:`~counselor_tui.services.errors.Conflict` ("this person has left service"), as
leaving and transferring say (fix15, finding B). The session linked to an appointment
(:func:`mark_kept`) must be one the actor wrote, for the appointment's person. Every
change is an audit event (``create`` / ``update`` ``appointment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import format_datetime, from_storage, relative_hint, to_storage
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.i18n import N_, _
from counselor_tui.services import audit
from counselor_tui.services.access import can_see_person
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db.models import CounselingSession, Person, User
from db.models_care import Appointment

#: Missed appointments older than this many days leave the dashboard (they stay listed).
MISSED_DAYS = 30
#: The agenda of the dashboard: today and the next days up to this many.
WEEK_DAYS = 7
MIN_DURATION, MAX_DURATION = 5, 480
#: Status code → label msgid.
STATUSES = {"scheduled": N_("scheduled"), "kept": N_("logged"), "cancelled": N_("cancelled")}


class AppointmentInvalid(InvalidInput):
    """A draft failed :func:`validate`; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


@dataclass(frozen=True)
class AppointmentDraft:
    """What :func:`schedule` needs. ``person_id`` None = an anonymous caller;
    ``counselor_id`` None = the acting user; ``starts_at`` aware datetime; ``duration_min``
    minutes (5–480); ``channel`` a code of :data:`counselor_tui.domain.vocab.CHANNELS`;
    ``note`` the purpose in a few words (not a clinical note)."""

    person_id: int | None
    starts_at: datetime
    channel: str = "face_to_face"
    duration_min: int = 50
    counselor_id: int | None = None
    note: str = ""
    caller_label: str | None = None


@dataclass(frozen=True)
class AppointmentRow:
    """One appointment as shown: ``starts_at`` ISO with offset; ``who`` the person's name or
    the caller label / "anonymous caller"; ``missed`` True for a scheduled one whose end has
    passed."""

    id: int
    person_id: int | None
    who: str
    counselor_id: int
    counselor: str
    starts_at: str
    duration_min: int
    channel: str
    note: str
    status: str
    session_id: int | None
    caller_label: str | None
    missed: bool

    def line(self, today: date) -> str:
        """``今天 14:30 · 张三 · 面谈 · 50分钟 (李老师)`` (translated)."""
        start = from_storage(self.starts_at)
        return _("{day} {time} · {who} · {channel} · {minutes} min ({counselor})").format(
            day=relative_hint(start.date(), today, due=False) if abs(
                (start.date() - today).days) <= 1 else start.date().isoformat(),
            time=start.strftime("%H:%M"), who=self.who,
            channel=vocab.label(vocab.CHANNELS, self.channel), minutes=self.duration_min,
            counselor=self.counselor) + (
                " · " + _("logged") if self.status == "kept" else "")


@dataclass(frozen=True)
class Agenda:
    """The dashboard's appointments: ``today``, the ``week`` after today, ``missed``."""

    today: tuple[AppointmentRow, ...]
    week: tuple[AppointmentRow, ...]
    missed: tuple[AppointmentRow, ...]


def _require_reader(vs: VaultSession) -> None:
    if vs.actor.role not in WRITES_RECORDS:
        raise PermissionDenied(
            _("Your role ({role}) may not do this.").format(role=vs.actor.role.label))


def validate(draft: AppointmentDraft) -> dict[str, str]:
    """Field → message for what does not read (empty when the draft is fine)."""
    errors: dict[str, str] = {}
    if draft.starts_at.tzinfo is None:
        errors["starts_at"] = _("Give the time with its time zone.")
    if draft.channel not in vocab.CHANNELS:
        errors["channel"] = _("Choose a channel.")
    if not MIN_DURATION <= draft.duration_min <= MAX_DURATION:
        errors["duration_min"] = _("The duration is {low} to {high} minutes.").format(
            low=MIN_DURATION, high=MAX_DURATION)
    if len(draft.note) > 200:
        errors["note"] = _("Keep the purpose under 200 characters (no clinical notes here).")
    if draft.person_id is not None and draft.caller_label:
        errors["caller_label"] = _("A caller label is only for anonymous callers.")
    return errors


def schedule(vs: VaultSession, draft: AppointmentDraft) -> AppointmentRow:
    """Schedule an appointment in one transaction (one ``create appointment`` event).

    Raises :class:`AppointmentInvalid` (field → message; a start before today, a clash with
    another appointment of the same counselor), :class:`PermissionDenied` (admin, auditor; a
    counselor scheduling for someone else), :class:`NotFound` (person not visible, unknown
    counselor)."""
    _require_reader(vs)
    errors = validate(draft)
    if not errors and draft.starts_at.date() < vs.today():
        errors["starts_at"] = _("An appointment cannot start before today.")
    if errors:
        raise AppointmentInvalid(errors)
    counselor_id = draft.counselor_id or vs.actor.id
    if counselor_id != vs.actor.id and vs.actor.role is not Role.COORDINATOR:
        raise PermissionDenied(_("Only a coordinator schedules for another counselor."))
    start = to_storage(draft.starts_at)
    end = to_storage(draft.starts_at + timedelta(minutes=draft.duration_min))
    with vs.transaction():
        counselor = User.get_or_none(User.id == counselor_id)
        if counselor is None or not counselor.active or counselor.role not in (
                Role.COUNSELOR.value, Role.COORDINATOR.value):
            raise NotFound(_("No active counselor with that account."))
        _check_person(vs, draft.person_id)
        clash = _clash(vs, counselor_id, draft.starts_at, end)
        if clash is not None:
            raise AppointmentInvalid({"starts_at": _(
                "{counselor} has another appointment at {time}.").format(
                    counselor=counselor.display_name,
                    time=format_datetime(from_storage(clash)))})
        now = vs.now_iso()
        row = Appointment.create(
            person=draft.person_id, caller_label=(draft.caller_label or "").strip() or None,
            counselor=counselor_id, starts_at=start, duration_min=draft.duration_min,
            channel=draft.channel, note=draft.note.strip(), status="scheduled",
            created_at=now, created_by=vs.actor.id, updated_at=now, updated_by=vs.actor.id)
        audit.record(vs, "create", "appointment", row.id, {
            "person_id": draft.person_id, "counselor_id": counselor_id, "starts_at": start})
        return _rows(vs, "a.id = ?", [row.id])[0]


def _check_person(vs: VaultSession, person_id: int | None) -> None:
    """A person the actor sees, or a serving officer of another unit (see the module doc);
    :class:`NotFound` otherwise — the same answer whether the person exists or not."""
    if person_id is None:
        return
    person = Person.get_or_none(Person.id == person_id)
    if person is None or person.voided_at is not None or not (
            can_see_person(vs, person_id) or (
                person.kind == "officer" and person.archived_at is None)):
        raise NotFound(_("No such person, or not visible to your account."))
    if person.archived_at is not None:
        raise Conflict(_("This person has left service: no appointment can be made."))


def _clash(vs: VaultSession, counselor_id: int, start: datetime, end: str) -> str | None:
    """The start of a scheduled appointment of the counselor overlapping ``start``–``end``."""
    for other_start, minutes in vs.execute(
            "SELECT starts_at, duration_min FROM appointment WHERE counselor_id = ? "
            "AND status = 'scheduled' AND starts_at < ? AND starts_at >= ?",
            (counselor_id, end, to_storage(start - timedelta(minutes=MAX_DURATION)))):
        if from_storage(other_start) + timedelta(minutes=int(minutes)) > start:
            return str(other_start)
    return None


def _scope(vs: VaultSession) -> tuple[str, list[Any]]:
    if vs.actor.role is Role.COORDINATOR:
        return "1", []
    return "a.counselor_id = ?", [vs.actor.id]


def _rows(vs: VaultSession, cond: str, params: list[Any]) -> list[AppointmentRow]:
    now = vs.now()
    out = []
    for r in vs.execute(
            "SELECT a.id, a.person_id, p.name, a.caller_label, a.counselor_id, u.display_name,"
            " a.starts_at, a.duration_min, a.channel, a.note, a.status, a.session_id "
            "FROM appointment a JOIN user u ON u.id = a.counselor_id "
            f"LEFT JOIN person p ON p.id = a.person_id WHERE {cond} "
            "ORDER BY a.starts_at, a.id", tuple(params)):
        who = r[2] if r[1] is not None else (r[3] or _("anonymous caller"))
        end = from_storage(r[6]) + timedelta(minutes=int(r[7]))
        out.append(AppointmentRow(
            int(r[0]), r[1], who, int(r[4]), r[5], r[6], int(r[7]), r[8], r[9], r[10], r[11],
            r[3], r[10] == "scheduled" and end < now))
    return out


def get(vs: VaultSession, appointment_id: int) -> AppointmentRow:
    """One appointment the actor may see, or :class:`NotFound`."""
    _require_reader(vs)
    cond, params = _scope(vs)
    with vs.reading():
        rows = _rows(vs, f"a.id = ? AND {cond}", [appointment_id, *params])
    if not rows:
        raise NotFound(_("No such appointment, or not yours."))
    return rows[0]


def upcoming(vs: VaultSession, start: date, days: int) -> list[AppointmentRow]:
    """Scheduled and kept appointments from ``start`` for ``days`` days (local dates),
    missed ones included, by start time."""
    _require_reader(vs)
    cond, params = _scope(vs)
    low = to_storage(datetime.combine(start, datetime.min.time(), vs.now().tzinfo))
    high = to_storage(datetime.combine(start + timedelta(days=days), datetime.min.time(),
                                       vs.now().tzinfo))
    with vs.reading():
        return _rows(vs, f"a.starts_at >= ? AND a.starts_at < ? AND a.status != 'cancelled' "
                         f"AND {cond}", [low, high, *params])


def missed(vs: VaultSession, days: int = MISSED_DAYS) -> list[AppointmentRow]:
    """Scheduled appointments whose end has passed (in the last ``days`` days)."""
    _require_reader(vs)
    cond, params = _scope(vs)
    now = vs.now()
    with vs.reading():
        rows = _rows(vs, f"a.status = 'scheduled' AND a.starts_at < ? AND a.starts_at >= ? "
                         f"AND {cond}",
                     [to_storage(now), to_storage(now - timedelta(days=days)), *params])
    return [r for r in rows if r.missed]


def agenda(vs: VaultSession) -> Agenda:
    """Today's appointments, those of the next :data:`WEEK_DAYS` days, and missed ones."""
    today = vs.today()
    rows = upcoming(vs, today, WEEK_DAYS + 1)
    return Agenda(
        tuple(r for r in rows if from_storage(r.starts_at).date() == today and not r.missed),
        tuple(r for r in rows if from_storage(r.starts_at).date() > today),
        tuple(missed(vs)))


def _editable(vs: VaultSession, appointment_id: int) -> Appointment:
    cond, params = _scope(vs)
    found = vs.execute(f"SELECT a.id FROM appointment a WHERE a.id = ? AND {cond}",
                       (appointment_id, *params)).fetchone()
    row = Appointment.get_or_none(Appointment.id == appointment_id) if found else None
    if row is None:
        raise NotFound(_("No such appointment, or not yours."))
    if row.status != "scheduled":
        raise Conflict(_("This appointment is already {status}.").format(
            status=vocab.label(STATUSES, row.status)))
    return row


def cancel(vs: VaultSession, appointment_id: int, reason: str) -> None:
    """Cancel a scheduled appointment with a written reason (``update appointment``).
    Raises :class:`InvalidInput` (no reason), :class:`NotFound`, :class:`Conflict`."""
    _require_reader(vs)
    if not reason.strip():
        raise InvalidInput(_("Write why the appointment is cancelled."))
    with vs.transaction():
        row = _editable(vs, appointment_id)
        row.status, row.cancel_reason = "cancelled", reason.strip()
        row.updated_at, row.updated_by = vs.now_iso(), vs.actor.id
        row.save()
        audit.record(vs, "update", "appointment", appointment_id, {"status": "cancelled"})


def mark_kept(vs: VaultSession, appointment_id: int, session_id: int) -> None:
    """Link the session logged from an appointment (``update appointment``). The session
    must be one the actor wrote (not voided) and name the appointment's person (both
    anonymous, or the same person). Raises :class:`NotFound` (appointment not the actor's;
    session unknown, voided or another counselor's — one answer, so ids are not probed),
    :class:`Conflict` (already kept or cancelled; the session is for another person)."""
    _require_reader(vs)
    with vs.transaction():
        row = _editable(vs, appointment_id)
        session = CounselingSession.get_or_none(CounselingSession.id == session_id)
        if session is None or session.voided_at is not None or (
                session.counselor_id != vs.actor.id):
            raise NotFound(_("No such session of yours."))
        if session.person_id != row.person_id:
            raise Conflict(_("That session is not for the appointment's person."))
        row.status, row.session = "kept", session_id
        row.updated_at, row.updated_by = vs.now_iso(), vs.actor.id
        row.save()
        audit.record(vs, "update", "appointment", appointment_id,
                     {"status": "kept", "session_id": session_id})


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard's agenda: missed appointments first (``warning``), today's, then those
    of the next :data:`WEEK_DAYS` days (``info``; the summary says "in the next 7 days", not
    "this week", which on the tier reviews means up to Sunday); ``ref``
    ``appointments:<id>``. None for admins and auditors."""
    if vs.actor.role not in WRITES_RECORDS:
        return None
    plan = agenda(vs)
    today = vs.today()
    items = [DashboardItem(text=_("Missed: {line}").format(line=r.line(today)),
                           person_id=r.person_id, due=r.starts_at, level="warning",
                           ref=f"appointments:{r.id}") for r in plan.missed]
    items += [DashboardItem(text=r.line(today), person_id=r.person_id, due=r.starts_at,
                            level="info", ref=f"appointments:{r.id}")
              for r in (*plan.today, *plan.week)]
    summary = _("{today} today, {week} in the next 7 days, {missed} missed").format(
        today=len(plan.today), week=len(plan.week), missed=len(plan.missed))
    return DashboardSection(
        id="appointments", title=_("Appointments"), items=tuple(items), summary=summary,
        level="warning" if plan.missed else "info",
        extra={"today": len(plan.today), "week": len(plan.week),
               "missed": len(plan.missed)})


@dataclass(frozen=True)
class CounselorChoice:
    """An active account that may hold appointments: id, display name, role code."""

    id: int
    name: str
    role: str


def counselors(vs: VaultSession) -> list[CounselorChoice]:
    """Active counselors and coordinators, by display name (for the schedule dialog)."""
    _require_reader(vs)
    with vs.reading():
        return [CounselorChoice(int(r[0]), r[1], r[2]) for r in vs.execute(
            "SELECT id, display_name, role FROM user WHERE active = 1 AND role IN (?, ?) "
            "ORDER BY display_name, id", (Role.COUNSELOR.value, Role.COORDINATOR.value))]

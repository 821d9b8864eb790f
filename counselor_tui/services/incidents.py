"""Incidents 应激事件: flag an emergency, the response clock, steps, closing, timeliness.

Use cases of issue 5 (DESIGN §6 "Incidents", §7.3; shared/domain/policy.md). The step plan
and its due times come from :mod:`counselor_tui.domain.incidents` (packaged
``settings/incident_policy.toml`` plus the bureau's vault setting ``incident_policy``).

Times are data: every step stores its ``due_at`` (ISO-8601 with offset), and urgency is
computed from it against ``vs.now()`` on every call, so the clock survives restarts and
follows a controlled clock in tests.

Roles (DESIGN §5): counselors and coordinators flag, record, waive and close. Coordinators
see every incident; a counselor sees the incidents of their unit, those with a step handed
to them (issue 15), those with an exposed
person of their unit, those they created and those where they recorded a step (a counselor
without a unit sees all). Auditors and admins get :class:`PermissionDenied` for the lists
and ``None`` for the dashboard section and the banner; :func:`timeliness` returns counts
only and is open to every role.

Reading (the lists, the banner, the dashboard block, timeliness) and the helpers both sides
share live in :mod:`counselor_tui.services.incident_reads`; this module writes and re-exports
them.

Links to other areas (plain imports; each keeps its own validation and audit):

* new persons go through :func:`counselor_tui.services.persons.create_person`;
* a step recorded with ``log_session=True`` logs a ``post_incident`` session through
  :func:`counselor_tui.services.sessions.log_session`;
* every exposure calls :func:`counselor_tui.services.tier_policy.suggest_for_exposure`
  inside the same transaction (the tier policy decides which roles suggest red: policy.md,
  involved or injured).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from counselor_tui.domain import incidents as rules
from counselor_tui.domain.dates import from_storage
from counselor_tui.domain.roles import Role
from counselor_tui.domain.vocab import CHANNELS, EXPOSURE_ROLES, RISKS, TOPICS
from counselor_tui.i18n import _
from counselor_tui.services import audit, persons, sessions, tier_policy
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from counselor_tui.services.incident_reads import (
    ExposureRow,
    IncidentRow,
    IncidentTimeliness,
    PersonChoice,
    PersonIncidentRow,
    Responder,
    StepRow,
    UnitChoice,
    bureau_zone,
    check_visible,
    dashboard_section,
    get_incident,
    incidents_for_person,
    open_incidents,
    person_choice,
    policy,
    require_writer,
    responders,
    search_persons,
    store_time,
    timeliness,
    tracked,
    units,
    urgent_banner,
)
from db.models import (
    Incident,
    IncidentExposure,
    IncidentStep,
    Person,
    Unit,
    User,
)

__all__ = [
    "FORM_CHANNELS",
    "ExposureDraft",
    "ExposureRow",
    "IncidentDraft",
    "IncidentRow",
    "IncidentTimeliness",
    "PersonChoice",
    "PersonIncidentRow",
    "Responder",
    "StepRecord",
    "StepRecorded",
    "StepRow",
    "UnitChoice",
    "add_exposure",
    "close_incident",
    "dashboard_section",
    "flag_emergency",
    "get_incident",
    "incidents_for_person",
    "open_incidents",
    "person_choice",
    "policy",
    "record_step",
    "responders",
    "search_persons",
    "timeliness",
    "units",
    "urgent_banner",
    "validate_draft",
    "waive_step",
]

#: How far in the future a reported or recorded time may lie (clock skew between machines).
FUTURE_SLACK = timedelta(minutes=5)
#: The session channel a step form implies when a post-incident session is logged.
FORM_CHANNELS: dict[str, str] = {
    "pfa": "on_scene",
    "individual_session": "face_to_face",
    "group_session": "group",
    "phone_contact": "hotline",
}
MAX_TITLE = 120
MAX_SUMMARY = 4000


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class ExposureDraft:
    """A person exposed to a new incident, with their ``role`` (involved / witness / injured
    / family). Either ``person_id`` of an existing person, or a new person added on the
    spot: ``name``, ``kind`` officer / other, ``unit_id`` and ``badge_no`` (both required
    for an officer — the archive's rule — so a person whose badge number is not known yet
    is added as ``other`` with their unit and completed in the archive later)."""

    role: str
    person_id: int | None = None
    name: str = ""
    unit_id: int | None = None
    kind: str = "officer"
    badge_no: str | None = None


@dataclass(frozen=True)
class IncidentDraft:
    """The F9 form. ``occurred_at``/``reported_at`` are aware datetimes (``reported_at`` None
    = now); ``kind`` a code of :data:`counselor_tui.domain.incidents.INCIDENT_KINDS`;
    ``severity`` of ``SEVERITIES``; ``title`` may be empty (then kind + date);
    ``unit_id`` None = the unit of the first exposed person with one, else the actor's."""

    kind: str
    occurred_at: datetime
    reported_at: datetime | None = None
    severity: str = "serious"
    summary: str = ""
    title: str = ""
    location: str | None = None
    persons: tuple[ExposureDraft, ...] = ()
    unit_id: int | None = None


@dataclass(frozen=True)
class StepRecord:
    """How a step was done (the F6 "record step" form).

    ``form`` a code of ``STEP_FORMS``; ``when`` aware (None = now); ``who`` the user id of
    the counselor who did it (None = the acting user); ``note`` short text. With
    ``log_session`` a counseling session of kind ``post_incident`` is logged for
    ``person_id`` (default: the step's person, else the incident's only exposed person)
    with ``channel`` (default from the form, :data:`FORM_CHANNELS`), ``duration_min``,
    ``topics``, ``risk``, ``follow_up_on`` and ``sealed``; the note then goes into the
    session (where sealing protects it), not into the step.
    """

    form: str
    when: datetime | None = None
    who: int | None = None
    note: str = ""
    log_session: bool = False
    person_id: int | None = None
    channel: str | None = None
    duration_min: int = 50
    topics: tuple[str, ...] = ("trauma",)
    risk: str = "none"
    follow_up_on: date | None = None
    sealed: bool = False


@dataclass(frozen=True)
class StepRecorded:
    """Result of :func:`record_step`: the step, the session logged (or None), whether the
    step was late, and whether the session service asks to offer an emergency/risk prompt."""

    step_id: int
    session_id: int | None
    late: bool
    risk_prompt: bool = False


def validate_draft(draft: IncidentDraft, now: datetime) -> dict[str, str]:
    """Field → translated message for every problem of ``draft``; ``{}`` when it can be
    saved. Fields: ``kind``, ``severity``, ``occurred_at``, ``reported_at``, ``title``,
    ``summary``, ``persons``."""
    errors: dict[str, str] = {}
    if draft.kind not in rules.INCIDENT_KINDS:
        errors["kind"] = _("Choose the kind of incident.")
    if draft.severity not in rules.SEVERITIES:
        errors["severity"] = _("Choose a severity.")
    reported = draft.reported_at or now
    if draft.occurred_at.tzinfo is None or reported.tzinfo is None:
        errors["occurred_at"] = _("A time without a time zone cannot be stored.")
        return errors
    if reported > now + FUTURE_SLACK:
        errors["reported_at"] = _("The report time lies in the future.")
    if draft.occurred_at > reported:
        errors["occurred_at"] = _("The incident cannot have occurred after it was reported.")
    if len(draft.title) > MAX_TITLE:
        errors["title"] = _("The title is too long (at most {n} characters).").format(
            n=MAX_TITLE)
    if len(draft.summary) > MAX_SUMMARY:
        errors["summary"] = _("The summary is too long (at most {n} characters).").format(
            n=MAX_SUMMARY)
    seen: set[int] = set()
    for number, person in enumerate(draft.persons, start=1):
        problem = _exposure_problem(person)
        if problem is None and person.person_id is not None:
            if person.person_id in seen:
                problem = _("Person {n} is listed twice.").format(n=number)
            seen.add(person.person_id)
        if problem is not None:
            errors["persons"] = problem
            break
    return errors


def _exposure_problem(person: ExposureDraft) -> str | None:
    if person.role not in EXPOSURE_ROLES:
        return _("Choose how each person was exposed.")
    if person.person_id is None:
        if not person.name.strip():
            return _("A new person needs a name.")
        if person.kind not in ("officer", "other"):
            return _("A person added here is an officer or other.")
        if person.kind == "other" and (person.badge_no or "").strip():
            return _("Only officers have a badge number.")
        if person.kind == "officer" and (person.unit_id is None
                                         or not (person.badge_no or "").strip()):
            return _("A new officer needs a unit and a badge number; without a badge "
                     "number add the person as “other” and complete the record later.")
    return None


def _create_person(vs: VaultSession, person: ExposureDraft) -> int:
    """A person added on the spot (inside the caller's transaction)."""
    name = person.name.strip()
    unit = None
    if person.unit_id is not None:
        unit = Unit.get_or_none(Unit.id == person.unit_id)
        if unit is None:
            raise InvalidInput(_("Unknown unit."))
    badge = (person.badge_no or "").strip() or None
    return persons.create_person(vs, persons.PersonDraft(
        kind=person.kind, name=name, badge_no=badge, unit_id=person.unit_id,
        police_type=unit.police_type if unit is not None and person.kind == "officer"
        else None))


def _suggest_tier(vs: VaultSession, person_id: int, incident_id: int, role: str) -> None:
    tier_policy.suggest_for_exposure(vs, person_id, incident_id, role)


def _add_exposure_rows(vs: VaultSession, incident: Incident, person_id: int, role: str,
                       pol: rules.IncidentPolicy) -> int:
    """Insert one exposure and its per-person steps; returns the number of steps added."""
    if Person.get_or_none((Person.id == person_id) & Person.voided_at.is_null()) is None:
        raise InvalidInput(_("Unknown person."))
    if IncidentExposure.get_or_none((IncidentExposure.incident == incident.id)
                                    & (IncidentExposure.person == person_id)) is not None:
        raise Conflict(_("This person is already linked to the incident."))
    IncidentExposure.create(incident=incident.id, person=person_id, role=role, **tracked(vs))
    reported = from_storage(incident.reported_at)
    added = 0
    for spec in pol.plan_for(incident.kind):
        if role not in spec.per_person:
            continue
        placeholder = IncidentStep.get_or_none(
            (IncidentStep.incident == incident.id) & (IncidentStep.step == spec.step)
            & IncidentStep.person.is_null() & IncidentStep.done_at.is_null())
        if placeholder is not None:
            placeholder.person_id = person_id
            placeholder.updated_at, placeholder.updated_by_id = vs.now_iso(), vs.actor.id
            placeholder.save()
            continue
        IncidentStep.create(incident=incident.id, person=person_id, step=spec.step,
                            due_at=store_time(vs, reported + spec.due), note="", **tracked(vs))
        added += 1
    return added


# --------------------------------------------------------------------------- flagging


def flag_emergency(vs: VaultSession, draft: IncidentDraft) -> int:
    """Create an incident (F9 紧急上报) with its exposures and step plan; returns its id.

    In one transaction: new persons (see module doc), the :class:`Incident` (status
    ``open``), one :class:`IncidentExposure` per person, the steps of the policy's plan for
    the kind with ``due_at = reported_at + offset`` (per-person steps once per involved or
    injured person), a tier suggestion per exposure (when the tier policy module exists)
    and an audit ``create`` event. Raises :class:`InvalidInput` (first problem of
    :func:`validate_draft`), :class:`PermissionDenied` (not counselor/coordinator),
    :class:`Conflict` (a badge number already taken).
    """
    require_writer(vs)
    now = vs.now()
    errors = validate_draft(draft, now)
    if errors:
        raise InvalidInput(next(iter(errors.values())))
    pol = policy(vs)
    reported = draft.reported_at or now
    with vs.transaction():
        exposures: list[tuple[int, str]] = []
        created = 0
        for person in draft.persons:
            if person.person_id is None:
                pid = _create_person(vs, person)
                created += 1
            else:
                pid = person.person_id
                if Person.get_or_none((Person.id == pid) & Person.voided_at.is_null()) is None:
                    raise InvalidInput(_("Unknown person."))
            exposures.append((pid, person.role))
        unit_id = draft.unit_id
        if unit_id is None:
            for pid, _role in exposures:
                unit_id = Person.get_by_id(pid).unit_id
                if unit_id is not None:
                    break
        if unit_id is None:
            unit_id = vs.actor.unit_id
        title = draft.title.strip() or "{kind} {at}".format(
            kind=rules.kind_label(draft.kind),
            at=reported.astimezone(bureau_zone(vs)).strftime("%Y-%m-%d %H:%M"))
        incident = Incident.create(
            kind=draft.kind, title=title, occurred_at=store_time(vs, draft.occurred_at),
            reported_at=store_time(vs, reported), location=(draft.location or "").strip() or None,
            severity=draft.severity, status="open", summary=draft.summary.strip(),
            unit=unit_id, **tracked(vs))
        for pid, role in exposures:
            IncidentExposure.create(incident=incident.id, person=pid, role=role, **tracked(vs))
        planned = rules.plan_steps(pol, draft.kind, reported, exposures)
        for step in planned:
            IncidentStep.create(incident=incident.id, person=step.person_id, step=step.step,
                                due_at=store_time(vs, step.due_at), note="", **tracked(vs))
        audit.record(vs, "create", "incident", incident.id, {
            "kind": draft.kind, "severity": draft.severity, "exposures": len(exposures),
            "new_persons": created, "steps": len(planned)})
        for pid, role in exposures:
            _suggest_tier(vs, pid, int(incident.id), role)
    return int(incident.id)


def add_exposure(vs: VaultSession, incident_id: int, person: ExposureDraft) -> int:
    """Link one more person to an open incident; returns the person id.

    A per-person step (first contact) is added for them, due from the incident's
    ``reported_at`` (so it may be overdue at once), or the incident's unassigned first
    contact takes them. Calls the tier suggestion hook. Raises :class:`InvalidInput`,
    :class:`NotFound`, :class:`Conflict` (closed incident, person already linked).
    """
    require_writer(vs)
    problem = _exposure_problem(person)
    if problem is not None:
        raise InvalidInput(problem)
    pol = policy(vs)
    with vs.transaction():
        incident = check_visible(vs, incident_id)
        if incident.status != "open":
            raise Conflict(_("The incident is closed."))
        pid = person.person_id if person.person_id is not None else _create_person(vs, person)
        steps = _add_exposure_rows(vs, incident, pid, person.role, pol)
        audit.record(vs, "create", "incident_exposure", incident.id,
                     {"person_id": pid, "role": person.role, "steps": steps})
        _suggest_tier(vs, pid, incident_id, person.role)
    return pid


# --------------------------------------------------------------------------- steps


def _open_step(vs: VaultSession, step_id: int) -> tuple[IncidentStep, Incident]:
    step = IncidentStep.get_or_none(IncidentStep.id == step_id)
    if step is None:
        raise NotFound(_("Step {id} was not found.").format(id=step_id))
    incident = check_visible(vs, step.incident_id)
    if incident.status != "open":
        raise Conflict(_("The incident is closed."))
    if step.done_at is not None:
        raise Conflict(_("This step is already done or waived."))
    return step, incident


def _session_person(step: IncidentStep, incident: Incident, wanted: int | None) -> int:
    if wanted is not None:
        return wanted
    if step.person_id is not None:
        return int(step.person_id)
    exposed = [e.person_id for e in IncidentExposure.select(IncidentExposure.person)
               .where(IncidentExposure.incident == incident.id)]
    if len(exposed) == 1:
        return int(exposed[0])
    raise InvalidInput(_("Choose the person the session was with."))


def _log_session(vs: VaultSession, incident: Incident, person_id: int, when: datetime,
                 rec: StepRecord, channel: str) -> tuple[int, bool]:
    saved = sessions.log_session(vs, sessions.SessionDraft(
        person_id=person_id, started_at=when, channel=channel, kind="post_incident",
        topics=tuple(rec.topics), duration_min=rec.duration_min, note=rec.note,
        risk=rec.risk, follow_up_on=rec.follow_up_on, sealed=rec.sealed,
        incident_id=int(incident.id)))
    return int(saved.id), saved.risk_prompt


def _check_record(rec: StepRecord) -> str:
    if rec.form not in rules.STEP_FORMS:
        raise InvalidInput(_("Choose how the step was done."))
    if not rec.log_session:
        return ""
    channel = rec.channel or FORM_CHANNELS[rec.form]
    if channel not in CHANNELS:
        raise InvalidInput(_("Choose a channel."))
    if not 1 <= rec.duration_min <= 24 * 60:
        raise InvalidInput(_("The duration must be between 1 and 1440 minutes."))
    if not rec.topics or any(t not in TOPICS for t in rec.topics):
        raise InvalidInput(_("Choose at least one topic."))
    if rec.risk not in RISKS:
        raise InvalidInput(_("Choose a risk level."))
    return channel


def record_step(vs: VaultSession, step_id: int, rec: StepRecord) -> StepRecorded:
    """Mark a step done: who, when, form, note; optionally log the post-incident session.

    ``done_at`` = ``rec.when`` (default now; not in the future, not before the incident
    occurred). Audited ``update incident_step`` with ``change=done``. Raises
    :class:`InvalidInput`, :class:`NotFound`, :class:`Conflict` (step already closed or
    incident closed), :class:`PermissionDenied`.
    """
    require_writer(vs)
    channel = _check_record(rec)
    now = vs.now()
    when = rec.when or now
    if when.tzinfo is None:
        raise InvalidInput(_("A time without a time zone cannot be stored."))
    if when > now + FUTURE_SLACK:
        raise InvalidInput(_("The time of a step cannot lie in the future."))
    with vs.transaction():
        step, incident = _open_step(vs, step_id)
        if when < from_storage(incident.occurred_at):
            raise InvalidInput(_("A step cannot be done before the incident occurred."))
        who = rec.who if rec.who is not None else vs.actor.id
        user = User.get_or_none((User.id == who) & (User.active == True))  # noqa: E712
        if user is None or user.role not in (Role.COUNSELOR.value, Role.COORDINATOR.value):
            raise InvalidInput(_("Choose the counselor who did the step."))
        session_id: int | None = None
        risk_prompt = False
        if rec.log_session:
            person_id = _session_person(step, incident, rec.person_id)
            session_id, risk_prompt = _log_session(vs, incident, person_id, when, rec, channel)
        due = from_storage(step.due_at)
        step.done_at = store_time(vs, when)
        step.form = rec.form
        step.by_id = who
        step.note = "" if rec.log_session else rec.note.strip()
        step.session_id = session_id
        step.updated_at, step.updated_by_id = vs.now_iso(), vs.actor.id
        step.save()
        late = when > due
        audit.record(vs, "update", "incident_step", step.id, {
            "change": "done", "step": step.step, "form": rec.form, "late": late,
            "session_id": session_id, "incident_id": int(incident.id)})
    return StepRecorded(int(step.id), session_id, late, risk_prompt)


def waive_step(vs: VaultSession, step_id: int, reason: str) -> None:
    """Waive an open step with a written reason (e.g. the officer declined contact).

    Stored as ``waived_reason`` with ``done_at`` = now (the time it was closed). Audited
    ``update incident_step`` with ``change=waived``. Raises :class:`InvalidInput` for an
    empty reason, :class:`NotFound`, :class:`Conflict`.
    """
    require_writer(vs)
    text = reason.strip()
    if not text:
        raise InvalidInput(_("Give the reason for waiving the step."))
    with vs.transaction():
        step, incident = _open_step(vs, step_id)
        step.waived_reason = text[:500]
        step.done_at = vs.now_iso()
        step.by_id = vs.actor.id
        step.updated_at, step.updated_by_id = vs.now_iso(), vs.actor.id
        step.save()
        audit.record(vs, "update", "incident_step", step.id, {
            "change": "waived", "step": step.step, "incident_id": int(incident.id)})


def close_incident(vs: VaultSession, incident_id: int) -> None:
    """Close an incident whose every step is done or waived (status ``closed``).

    Raises :class:`Conflict` naming how many steps are still open, or when already closed.
    """
    require_writer(vs)
    with vs.transaction():
        incident = check_visible(vs, incident_id)
        if incident.status != "open":
            raise Conflict(_("The incident is closed."))
        still = (IncidentStep.select().where((IncidentStep.incident == incident_id)
                                             & IncidentStep.done_at.is_null()).count())
        if still:
            message = (
                _("{n} step is still open: record it or waive it with a reason first.")
                if still == 1 else
                _("{n} steps are still open: record them or waive them with a reason first."))
            raise Conflict(message.format(n=still))
        incident.status = "closed"
        incident.closed_at = vs.now_iso()
        incident.updated_at, incident.updated_by_id = vs.now_iso(), vs.actor.id
        incident.save()
        audit.record(vs, "update", "incident", incident.id, {"change": "closed"})



"""Incidents 应激事件: flag an emergency, the response clock, steps, closing, timeliness.

Use cases of issue 5 (DESIGN §6 "Incidents", §7.3; shared/domain/policy.md). The step plan
and its due times come from :mod:`counselor_tui.domain.incidents` (packaged
``settings/incident_policy.toml`` plus the bureau's vault setting ``incident_policy``).

Times are data: every step stores its ``due_at`` (ISO-8601 with offset), and urgency is
computed from it against ``vs.now()`` on every call, so the clock survives restarts and
follows a controlled clock in tests.

Roles (DESIGN §5): counselors and coordinators flag, record, waive and close. Coordinators
see every incident; a counselor sees the incidents of their unit, those with an exposed
person of their unit, those they created and those where they recorded a step (a counselor
without a unit sees all). Auditors and admins get :class:`PermissionDenied` for the lists
and ``None`` for the dashboard section and the banner; :func:`timeliness` returns counts
only and is open to every role.

Links to other areas (plain imports; each keeps its own validation and audit):

* new persons go through :func:`counselor_tui.services.persons.create_person`;
* a step recorded with ``log_session=True`` logs a ``post_incident`` session through
  :func:`counselor_tui.services.sessions.log_session`;
* every exposure calls :func:`counselor_tui.services.tier_policy.suggest_for_exposure`
  inside the same transaction (the tier policy decides which roles suggest red: policy.md,
  involved or injured).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from counselor_tui.domain import incidents as rules
from counselor_tui.domain.dates import bureau_tz, from_storage, to_storage
from counselor_tui.domain.periods import Period, datetime_bounds
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.domain.vocab import CHANNELS, EXPOSURE_ROLES, RISKS, TOPICS
from counselor_tui.i18n import _
from counselor_tui.services import audit, persons, sessions, tier_policy
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.settings import get_setting
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
class ExposureRow:
    """An exposed person as the incident screen shows them."""

    person_id: int
    name: str
    badge_no: str | None
    unit_name: str | None
    kind: str
    role: str


@dataclass(frozen=True)
class StepRow:
    """One step of an incident. Times ISO-8601 with offset; ``state`` a
    :class:`~counselor_tui.domain.incidents.StepState` value as of the call (the UI
    recomputes countdowns from ``due_at``); ``by_name`` the recording user's display name."""

    id: int
    incident_id: int
    step: str
    label: str
    person_id: int | None
    person_name: str | None
    due_at: str
    done_at: str | None
    waived_reason: str | None
    form: str | None
    by_name: str | None
    note: str
    session_id: int | None
    state: str


@dataclass(frozen=True)
class IncidentRow:
    """An incident with its exposures and steps (steps most urgent first).

    ``state`` is the state of the most urgent open step (``overdue`` / ``due_soon`` /
    ``open``), ``ready`` when every step is done or waived, ``closed`` once closed;
    ``next_due`` the due time of that step (None when none is open).
    """

    id: int
    kind: str
    category: str
    title: str
    occurred_at: str
    reported_at: str
    severity: str
    status: str
    summary: str
    location: str | None
    unit_name: str | None
    closed_at: str | None
    exposures: tuple[ExposureRow, ...]
    steps: tuple[StepRow, ...]
    state: str
    next_due: str | None


@dataclass(frozen=True)
class PersonIncidentRow:
    """An incident in a person's record (ISSUE3 ``IncidentRow`` shape)."""

    id: int
    kind: str
    title: str
    occurred_at: str
    role: str
    status: str


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


@dataclass(frozen=True)
class Responder:
    """A user who can do a step (active counselor or coordinator)."""

    id: int
    username: str
    display_name: str


@dataclass(frozen=True)
class UnitChoice:
    """A unit for the on-the-spot person form."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class PersonChoice:
    """A search hit of the emergency form's person picker."""

    id: int
    kind: str
    name: str
    badge_no: str | None
    unit_name: str | None


@dataclass(frozen=True)
class IncidentTimeliness:
    """What :func:`timeliness` returns for a reporting period (all counts, no names).

    * ``period``: the period label (``2026-11``, ``2026-Q4``, ``2026``);
    * ``start``/``end``: the period's instants in the bureau zone (ISO, end exclusive);
      ``as_of``: the cut-off, ``min(now, end)``;
    * ``steps``: one :class:`~counselor_tui.domain.incidents.StepTimeliness` per step code
      with a step *due* in the period, in plan order — fields ``step``, ``due``,
      ``on_time``, ``late``, ``open_overdue``, ``waived``, ``pending``;
    * ``total``: the same counts over every step code (``step`` = ``"*"``);
    * ``reported_by_kind``: ``{kind code: incidents reported in the period}``;
    * ``open_at_end``: incidents reported before the cut-off and not closed by it.
    Voided incidents are left out.
    """

    period: str
    start: str
    end: str
    as_of: str
    steps: tuple[rules.StepTimeliness, ...]
    total: rules.StepTimeliness
    reported_by_kind: dict[str, int] = field(default_factory=dict)
    open_at_end: int = 0


# --------------------------------------------------------------------------- helpers


def policy(vs: VaultSession) -> rules.IncidentPolicy:
    """The incident policy in force: packaged defaults plus the vault setting
    ``incident_policy``. Raises :class:`InvalidInput` when the setting is malformed."""
    override = get_setting(vs, "incident_policy", None)
    try:
        return rules.load_policy(override if isinstance(override, dict) else None)
    except rules.IncidentPolicyError as exc:
        raise InvalidInput(str(exc)) from None


def _tz(vs: VaultSession) -> Any:
    tz = vs.now().tzinfo
    return tz if tz is not None else bureau_tz()


def _store(vs: VaultSession, moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidInput(_("A time without a time zone cannot be stored."))
    return to_storage(moment.astimezone(_tz(vs)))


def _tracked(vs: VaultSession) -> dict[str, Any]:
    now = vs.now_iso()
    return {"created_at": now, "created_by": vs.actor.id, "updated_at": now,
            "updated_by": vs.actor.id}


def _require_writer(vs: VaultSession) -> None:
    vs.require(Role.COUNSELOR, Role.COORDINATOR)


def _visible_ids(vs: VaultSession) -> set[int] | None:
    """Ids of incidents the actor may see (None = all). Call inside ``reading``."""
    if vs.actor.role not in WRITES_RECORDS:
        raise PermissionDenied(
            _("Your role ({role}) may not do this.").format(role=vs.actor.role.label))
    if vs.actor.role is Role.COORDINATOR or vs.actor.unit_id is None:
        return None
    unit, me = vs.actor.unit_id, vs.actor.id
    cursor = vs.execute(
        "SELECT i.id FROM incident i WHERE i.unit_id = ? OR i.created_by_id = ?"
        " OR EXISTS (SELECT 1 FROM incident_exposure e JOIN person p ON p.id = e.person_id"
        "            WHERE e.incident_id = i.id AND p.unit_id = ?)"
        " OR EXISTS (SELECT 1 FROM incident_step s WHERE s.incident_id = i.id AND s.by_id = ?)",
        (unit, me, unit, me),
    )
    return {int(r[0]) for r in cursor}


def _check_visible(vs: VaultSession, incident_id: int) -> Incident:
    visible = _visible_ids(vs)
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or incident.voided_at is not None or (
            visible is not None and incident_id not in visible):
        raise NotFound(_("Incident {id} was not found.").format(id=incident_id))
    return incident


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
    IncidentExposure.create(incident=incident.id, person=person_id, role=role, **_tracked(vs))
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
                            due_at=_store(vs, reported + spec.due), note="", **_tracked(vs))
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
    _require_writer(vs)
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
            at=reported.astimezone(_tz(vs)).strftime("%Y-%m-%d %H:%M"))
        incident = Incident.create(
            kind=draft.kind, title=title, occurred_at=_store(vs, draft.occurred_at),
            reported_at=_store(vs, reported), location=(draft.location or "").strip() or None,
            severity=draft.severity, status="open", summary=draft.summary.strip(),
            unit=unit_id, **_tracked(vs))
        for pid, role in exposures:
            IncidentExposure.create(incident=incident.id, person=pid, role=role, **_tracked(vs))
        planned = rules.plan_steps(pol, draft.kind, reported, exposures)
        for step in planned:
            IncidentStep.create(incident=incident.id, person=step.person_id, step=step.step,
                                due_at=_store(vs, step.due_at), note="", **_tracked(vs))
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
    _require_writer(vs)
    problem = _exposure_problem(person)
    if problem is not None:
        raise InvalidInput(problem)
    pol = policy(vs)
    with vs.transaction():
        incident = _check_visible(vs, incident_id)
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
    incident = _check_visible(vs, step.incident_id)
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
    _require_writer(vs)
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
        step.done_at = _store(vs, when)
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
    _require_writer(vs)
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
    _require_writer(vs)
    with vs.transaction():
        incident = _check_visible(vs, incident_id)
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


# --------------------------------------------------------------------------- reading


def _step_rows(vs: VaultSession, incident_ids: Iterable[int], now: datetime,
               pol: rules.IncidentPolicy) -> dict[int, list[StepRow]]:
    ids = list(incident_ids)
    out: dict[int, list[StepRow]] = {i: [] for i in ids}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    cursor = vs.execute(
        "SELECT s.id, s.incident_id, s.step, s.person_id, p.name, s.due_at, s.done_at,"
        " s.waived_reason, s.form, u.display_name, s.note, s.session_id"
        " FROM incident_step s LEFT JOIN person p ON p.id = s.person_id"
        " LEFT JOIN user u ON u.id = s.by_id"
        f" WHERE s.incident_id IN ({marks})", tuple(ids))
    for (sid, iid, code, pid, pname, due, done, waived, form, by_name, note,
         session_id) in cursor:
        state = rules.step_state(from_storage(due), from_storage(done) if done else None,
                                 waived is not None, now, pol.warn_before)
        out[int(iid)].append(StepRow(
            id=int(sid), incident_id=int(iid), step=code, label=rules.step_label(code),
            person_id=pid, person_name=pname, due_at=due, done_at=done, waived_reason=waived,
            form=form, by_name=by_name, note=note or "", session_id=session_id,
            state=state.value))
    for rows in out.values():
        rows.sort(key=lambda r: (rules.urgency_key(rules.StepState(r.state),
                                                   from_storage(r.due_at)), r.id))
    return out


def _exposure_rows(vs: VaultSession, incident_ids: Iterable[int]) -> dict[int, list[ExposureRow]]:
    ids = list(incident_ids)
    out: dict[int, list[ExposureRow]] = {i: [] for i in ids}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    cursor = vs.execute(
        "SELECT e.incident_id, p.id, p.name, p.badge_no, u.name, p.kind, e.role"
        " FROM incident_exposure e JOIN person p ON p.id = e.person_id"
        " LEFT JOIN unit u ON u.id = p.unit_id"
        f" WHERE e.incident_id IN ({marks}) ORDER BY e.id", tuple(ids))
    for iid, pid, name, badge, unit_name, kind, role in cursor:
        out[int(iid)].append(ExposureRow(int(pid), name, badge, unit_name, kind, role))
    return out


def _incident_rows(vs: VaultSession, incidents: list[Incident],
                   now: datetime) -> list[IncidentRow]:
    pol = policy(vs)
    ids = [int(i.id) for i in incidents]
    steps = _step_rows(vs, ids, now, pol)
    exposures = _exposure_rows(vs, ids)
    unit_names = {u.id: u.name for u in Unit.select(Unit.id, Unit.name)}
    rows = []
    for inc in incidents:
        own = steps[int(inc.id)]
        first_open = next((s for s in own if rules.StepState(s.state).is_open), None)
        if inc.status != "open":
            state = "closed"
        else:
            state = first_open.state if first_open is not None else "ready"
        category = rules.INCIDENT_KINDS[inc.kind].category \
            if inc.kind in rules.INCIDENT_KINDS else ""
        rows.append(IncidentRow(
            id=int(inc.id), kind=inc.kind, category=category, title=inc.title,
            occurred_at=inc.occurred_at, reported_at=inc.reported_at, severity=inc.severity,
            status=inc.status, summary=inc.summary, location=inc.location,
            unit_name=unit_names.get(inc.unit_id) if inc.unit_id is not None else None,
            closed_at=inc.closed_at,
            exposures=tuple(exposures[int(inc.id)]), steps=tuple(own), state=state,
            next_due=first_open.due_at if first_open is not None else None))
    return rows


_STATE_RANK = {"overdue": 0, "due_soon": 1, "open": 2, "ready": 3, "closed": 4}


def open_incidents(vs: VaultSession) -> list[IncidentRow]:
    """Open incidents the actor may see, most urgent step first (overdue, due soon, open,
    each by due time; incidents whose steps are all closed — ready to close — last)."""
    now = vs.now()
    with vs.reading():
        visible = _visible_ids(vs)
        query = Incident.select().where((Incident.status == "open")
                                        & Incident.voided_at.is_null())
        incidents = [i for i in query if visible is None or int(i.id) in visible]
        rows = _incident_rows(vs, incidents, now)
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (_STATE_RANK[r.state],
                             from_storage(r.next_due) if r.next_due else far, r.id))
    return rows


def get_incident(vs: VaultSession, incident_id: int) -> IncidentRow:
    """One incident (open or closed) with exposures and steps; audited as ``view``.

    Raises :class:`NotFound` when it does not exist or is not visible to the actor.
    """
    now = vs.now()
    with vs.transaction():
        incident = _check_visible(vs, incident_id)
        row = _incident_rows(vs, [incident], now)[0]
        audit.record(vs, "view", "incident", incident_id, {})
    return row


def incidents_for_person(vs: VaultSession, person_id: int) -> list[PersonIncidentRow]:
    """The incidents a person was exposed to (newest first), for the person record.

    Voided incidents are left out; visibility of the record itself is the caller's check
    (persons.get_person). Counselors and coordinators only.
    """
    if vs.actor.role not in WRITES_RECORDS:
        raise PermissionDenied(
            _("Your role ({role}) may not do this.").format(role=vs.actor.role.label))
    with vs.reading():
        cursor = vs.execute(
            "SELECT i.id, i.kind, i.title, i.occurred_at, e.role, i.status"
            " FROM incident_exposure e JOIN incident i ON i.id = e.incident_id"
            " WHERE e.person_id = ? AND i.voided_at IS NULL ORDER BY i.occurred_at DESC, i.id",
            (person_id,))
        return [PersonIncidentRow(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in cursor]


def responders(vs: VaultSession) -> list[Responder]:
    """Active counselors and coordinators (who may have done a step), by display name."""
    _require_writer(vs)
    with vs.reading():
        query = (User.select(User.id, User.username, User.display_name)
                 .where((User.active == True)  # noqa: E712
                        & User.role.in_([Role.COUNSELOR.value, Role.COORDINATOR.value]))
                 .order_by(User.display_name))
        return [Responder(int(u.id), u.username, u.display_name) for u in query]


def units(vs: VaultSession) -> list[UnitChoice]:
    """Active units by code (for a person added on the spot)."""
    _require_writer(vs)
    with vs.reading():
        query = Unit.select().where(Unit.active == True).order_by(Unit.code)  # noqa: E712
        return [UnitChoice(int(u.id), u.code, u.name) for u in query]


def person_choice(vs: VaultSession, person_id: int) -> PersonChoice:
    """One person as the picker shows them (to prefill the emergency form from a record).

    Raises :class:`NotFound` for an unknown or voided person.
    """
    _require_writer(vs)
    with vs.reading():
        row = vs.execute(
            "SELECT p.id, p.kind, p.name, p.badge_no, u.name FROM person p"
            " LEFT JOIN unit u ON u.id = p.unit_id WHERE p.id = ? AND p.voided_at IS NULL",
            (person_id,)).fetchone()
    if row is None:
        raise NotFound(_("Person {id} was not found.").format(id=person_id))
    return PersonChoice(int(row[0]), row[1], row[2], row[3], row[4])


def search_persons(vs: VaultSession, text: str, limit: int = 20) -> list[PersonChoice]:
    """Persons matching ``text`` (name, pinyin, initials, badge number) for the picker.

    Uses :func:`counselor_tui.services.persons.find_persons` (the archive's search and
    visibility).
    """
    _require_writer(vs)
    text = text.strip()
    if not text:
        return []
    return [PersonChoice(int(p.id), p.kind, p.name, p.badge_no, p.unit_name)
            for p in persons.find_persons(vs, text, limit)]


# --------------------------------------------------------------------------- urgency


@dataclass(frozen=True)
class _Urgent:
    step_id: int
    incident_id: int
    step: str
    title: str
    person_id: int | None
    person_name: str | None
    due_at: datetime
    state: rules.StepState


def _urgent_steps(vs: VaultSession, now: datetime,
                  pol: rules.IncidentPolicy) -> list[_Urgent]:
    """Open steps of open, visible incidents that are overdue or due soon, most urgent
    first. Call inside ``reading``."""
    visible = _visible_ids(vs)
    limit = _store(vs, now + pol.warn_before + timedelta(days=1))  # margin for odd offsets
    cursor = vs.execute(
        "SELECT s.id, s.incident_id, s.step, i.title, s.person_id, p.name, s.due_at"
        " FROM incident_step s JOIN incident i ON i.id = s.incident_id"
        " LEFT JOIN person p ON p.id = s.person_id"
        " WHERE s.done_at IS NULL AND i.status = 'open' AND i.voided_at IS NULL"
        " AND s.due_at <= ?", (limit,))
    found = []
    for sid, iid, code, title, pid, pname, due in cursor:
        if visible is not None and int(iid) not in visible:
            continue
        due_at = from_storage(due)
        state = rules.step_state(due_at, None, False, now, pol.warn_before)
        if state.urgent:
            found.append(_Urgent(int(sid), int(iid), code, title, pid, pname, due_at, state))
    found.sort(key=lambda u: (rules.urgency_key(u.state, u.due_at), u.step_id))
    return found


def urgent_banner(vs: VaultSession) -> str | None:
    """The one-line banner shown on every screen, or None.

    Shown while any open step of an open incident the actor may see is overdue or due
    within the warning lead time (policy: one hour). Computed from the stored ``due_at``
    against ``vs.now()`` on each call (survives restarts). Text, translated, no names:
    "Incident steps: 2 overdue, 1 due soon — most urgent: acknowledge, overdue by 5 min 0 s
    (F6)". None for auditors and admins.
    """
    if vs.actor.role not in WRITES_RECORDS:
        return None
    now = vs.now()
    pol = policy(vs)
    with vs.reading():
        urgent = _urgent_steps(vs, now, pol)
    if not urgent:
        return None
    overdue = sum(1 for u in urgent if u.state is rules.StepState.OVERDUE)
    first = urgent[0]
    return _("Incident steps: {overdue} overdue, {soon} due soon — most urgent: {step}, "
             "{countdown} (F6)").format(overdue=overdue, soon=len(urgent) - overdue,
                                        step=rules.step_label(first.step),
                                        countdown=rules.countdown(first.due_at, now))


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard's incident block: overdue steps first (level ``urgent``, red), then
    steps due soon (``warning``), then each other open incident with its next step
    (``info``). ``ref`` is ``incidents:<id>`` (area id, incident id): Enter on a line opens
    the incidents screen (no ``person_id``, so the dashboard does not open a record instead).
    None for auditors/admins and when no incident is open."""
    if vs.actor.role not in WRITES_RECORDS:
        return None
    now = vs.now()
    incidents = open_incidents(vs)
    if not incidents:
        return None
    pol = policy(vs)
    with vs.reading():
        urgent = _urgent_steps(vs, now, pol)
    items: list[DashboardItem] = []
    for u in urgent:
        who = f" · {u.person_name}" if u.person_name else ""
        items.append(DashboardItem(
            text=f"{rules.step_label(u.step)} · {u.title}{who} · "
                 f"{rules.countdown(u.due_at, now)}",
            due=to_storage(u.due_at),
            level="urgent" if u.state is rules.StepState.OVERDUE else "warning",
            ref=f"incidents:{u.incident_id}"))
    listed = {u.incident_id for u in urgent}
    for row in incidents:
        if row.id in listed:
            continue
        if row.next_due is None:
            text = _("{title} · every step closed: ready to close").format(title=row.title)
        else:
            step = next(s for s in row.steps if s.due_at == row.next_due
                        and rules.StepState(s.state).is_open)
            text = f"{step.label} · {row.title} · " \
                   f"{rules.countdown(from_storage(row.next_due), now)}"
        items.append(DashboardItem(text=text, due=row.next_due, level="info",
                                   ref=f"incidents:{row.id}"))
    overdue = sum(1 for u in urgent if u.state is rules.StepState.OVERDUE)
    # one msgid per number form (the catalogs carry no plural forms; Chinese has none)
    summary = (_("{n} open incident") if len(incidents) == 1
               else _("{n} open incidents")).format(n=len(incidents))
    if overdue:
        summary += " · " + (_("{n} step overdue") if overdue == 1
                            else _("{n} steps overdue")).format(n=overdue)
    level = "urgent" if overdue else ("warning" if urgent else "info")
    return DashboardSection(id="incidents", title=_("Incidents"), items=tuple(items),
                            summary=summary, level=level)


# --------------------------------------------------------------------------- timeliness


def timeliness(vs: VaultSession, period: Period) -> IncidentTimeliness:
    """Step timeliness of ``period`` for the submission (DESIGN §8 item 4): see
    :class:`IncidentTimeliness` for the shape and
    :func:`counselor_tui.domain.incidents.timeliness` for the rules (steps due in the
    period; cut-off ``min(now, period end)``; a step done after the cut-off counts as open
    overdue). Counts only; any role. Bounds are midnight to midnight in the bureau zone
    (vault setting ``timezone``)."""
    tz = bureau_tz(str(get_setting(vs, "timezone", "Asia/Shanghai")))
    start, end = datetime_bounds(period, tz)
    now = vs.now()
    cutoff = min(now, end)
    pol = policy(vs)
    with vs.reading():
        facts = [
            rules.StepFact(code, from_storage(due), from_storage(done) if done else None,
                           waived is not None)
            for code, due, done, waived in vs.execute(
                "SELECT s.step, s.due_at, s.done_at, s.waived_reason FROM incident_step s"
                " JOIN incident i ON i.id = s.incident_id WHERE i.voided_at IS NULL")
        ]
        incidents = list(vs.execute(
            "SELECT kind, reported_at, closed_at FROM incident WHERE voided_at IS NULL"))
    steps = rules.timeliness(facts, start, end, now, pol.step_order)
    total = rules.StepTimeliness(
        step="*", due=sum(s.due for s in steps), on_time=sum(s.on_time for s in steps),
        late=sum(s.late for s in steps), open_overdue=sum(s.open_overdue for s in steps),
        waived=sum(s.waived for s in steps), pending=sum(s.pending for s in steps))
    by_kind: dict[str, int] = {}
    open_at_end = 0
    for kind, reported, closed in incidents:
        reported_at = from_storage(reported)
        if start <= reported_at < end:
            by_kind[kind] = by_kind.get(kind, 0) + 1
        if reported_at < cutoff and (closed is None or from_storage(closed) > cutoff):
            open_at_end += 1
    order = list(rules.INCIDENT_KINDS)
    by_kind = dict(sorted(by_kind.items(),
                          key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])))
    return IncidentTimeliness(period=period.label, start=to_storage(start), end=to_storage(end),
                              as_of=to_storage(cutoff), steps=steps, total=total,
                              reported_by_kind=by_kind, open_at_end=open_at_end)

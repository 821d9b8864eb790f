"""The person record 个人档案 (DESIGN §6 "person record"): profile, family links, tier and
its history, sessions, assessments, incidents and firearm status of one visible person, in
one read, audited ``view person``."""

from __future__ import annotations

from dataclasses import dataclass

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.reports.spec import instrument_short_label
from counselor_tui.services import audit, firearm_events
from counselor_tui.services import instruments as instrument_defs
from counselor_tui.services.access import require_archive_reader, require_visible
from counselor_tui.services.context import VaultSession
from counselor_tui.services.firearm_events import PersonRestriction
from counselor_tui.services.person_search import PersonRow, person_rows
from counselor_tui.services.session_reads import SessionSummary, sessions_of_person
from db.models import Person, TierChange


@dataclass(frozen=True)
class FamilyRow:
    """A family link seen from the record's person: for an officer, a family member and
    its relation to the officer; for a family member, the officer (same relation code)."""

    person_id: int
    name: str
    relation: str
    kind: str


@dataclass(frozen=True)
class TierRow:
    """The current tier, since when (``YYYY-MM-DD``), next review (or None)."""

    tier: str
    since: str
    review_due: str | None


@dataclass(frozen=True)
class TierChangeRow:
    """One tier change: when, from (None for the first), to, reason, suggested by the
    policy or not, the display name of the counselor who made it, and ``evidence``: the
    records it rests on, each a short label (``PHQ-9 2026-11-20``, ``咨询 2026-12-04``, an
    incident's title; no note text), as the change dialog offered them (fix15 E)."""

    at: str
    from_tier: str | None
    to_tier: str
    reason: str
    suggested: bool
    by: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssessmentRow:
    """An assessment in the record: instrument, date, total, band, screen-positive."""

    id: int
    instrument_code: str
    administered_on: str
    total: float | None
    band: str | None
    positive: bool | None
    band_label: str = ""


@dataclass(frozen=True)
class IncidentRow:
    """An incident the person was exposed to, with their role and the incident status."""

    id: int
    kind: str
    title: str
    occurred_at: str
    role: str
    status: str


@dataclass(frozen=True)
class PersonRecord:
    """The person record screen: profile (``person`` plus the fields below), family links,
    tier and history, sessions (newest first), assessments, incidents, firearm status and
    ``firearm_history`` (the person's restrictions, newest first, each with its events in
    order — for counselors and coordinators only, empty for other roles).
    ``notes_hidden`` is True when the actor may read no session text at all (admin)."""

    person: PersonRow
    birth_date: str | None
    hire_date: str | None
    phone: str | None
    consent_on: str | None
    archived_at: str | None
    family: tuple[FamilyRow, ...]
    tier: TierRow | None
    tier_history: tuple[TierChangeRow, ...]
    sessions: tuple[SessionSummary, ...]
    assessments: tuple[AssessmentRow, ...]
    incidents: tuple[IncidentRow, ...]
    firearm_status: str | None
    notes_hidden: bool = False
    firearm_history: tuple[PersonRestriction, ...] = ()



def get_person(vs: VaultSession, person_id: int) -> PersonRecord:
    """The whole record of a visible person; writes a ``view person`` audit event.

    Raises :class:`PermissionDenied` for auditors, :class:`NotFound` when the person does
    not exist, is voided or is not visible to the actor.
    """
    require_archive_reader(vs)
    with vs.snapshot():  # read without the write lock; the view event is written after
        require_visible(vs, person_id)
        person = Person.get_by_id(person_id)
        row = person_rows(vs, [person_id])[0]
        family = _family(vs, person_id)
        tier = _tier(vs, person_id)
        changes = vs.execute(
            "SELECT c.at, c.from_tier, c.to_tier, c.reason, c.suggested, u.display_name, "
            "c.evidence FROM tier_change c LEFT JOIN user u ON u.id = c.by_id "
            "WHERE c.person_id = ? ORDER BY c.at DESC, c.id DESC", (person_id,)).fetchall()
        sessions = tuple(sessions_of_person(vs, person_id))
        assessments = tuple(
            AssessmentRow(int(r[0]), r[1], r[2], r[3], r[4], None if r[5] is None else bool(r[5]),
                          instrument_defs.band_label(vs, r[1], r[6], r[4]))
            for r in vs.execute(
                "SELECT id, instrument_code, administered_on, total, band, positive, "
                "instrument_version "
                "FROM assessment WHERE person_id = ? AND voided_at IS NULL "
                "ORDER BY administered_on DESC, id DESC", (person_id,))
        )
        incidents = tuple(
            IncidentRow(int(r[0]), r[1], r[2], r[3], r[4], r[5])
            for r in vs.execute(
                "SELECT i.id, i.kind, i.title, i.occurred_at, e.role, i.status "
                "FROM incident_exposure e JOIN incident i ON i.id = e.incident_id "
                "WHERE e.person_id = ? AND i.voided_at IS NULL "
                "ORDER BY i.occurred_at DESC, i.id DESC", (person_id,))
        )
        labels = _evidence_labels(assessments, sessions, incidents)
        history = tuple(
            TierChangeRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5] or "",
                          _evidence(TierChange.evidence.python_value(r[6]), labels))
            for r in changes)
        firearm = vs.execute(
            "SELECT status FROM firearm_restriction WHERE person_id = ? "
            "ORDER BY recommended_at DESC, id DESC LIMIT 1", (person_id,)).fetchone()
        firearm_history = (firearm_events.person_history(vs, person_id)
                           if vs.actor.role in (Role.COUNSELOR, Role.COORDINATOR) else ())
    with vs.transaction():  # nothing is returned unless the view is recorded
        audit.record(vs, "view", "person", person_id, {})
    return PersonRecord(
        person=row, birth_date=person.birth_date, hire_date=person.hire_date,
        phone=person.phone, consent_on=person.consent_on, archived_at=person.archived_at,
        family=family, tier=tier, tier_history=history, sessions=sessions,
        assessments=assessments, incidents=incidents,
        firearm_status=firearm[0] if firearm else None,
        notes_hidden=vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR),
        firearm_history=firearm_history,
    )


def _evidence_labels(assessments: tuple[AssessmentRow, ...],
                     sessions: tuple[SessionSummary, ...],
                     incidents: tuple[IncidentRow, ...]) -> dict[tuple[str, int], str]:
    """(evidence kind, id) → short label, from the records already read."""
    labels = {("assessments", a.id): f"{instrument_short_label(a.instrument_code, {})} "
              f"{a.administered_on}" for a in assessments}
    labels.update({("sessions", s.id): _("session {date}").format(date=s.started_at[:10])
                   for s in sessions})
    labels.update({("incidents", i.id): i.title for i in incidents})
    return labels


def _evidence(stored: object, labels: dict[tuple[str, int], str]) -> tuple[str, ...]:
    """The labels of a change's stored evidence (``{"assessments": [ids], …}``; the policy's
    single ``assessment`` id too), in kind order; records voided since are left out."""
    if not isinstance(stored, dict):
        return ()
    out = []
    for key, kind in (("assessments", "assessments"), ("assessment", "assessments"),
                      ("sessions", "sessions"), ("incidents", "incidents")):
        value = stored.get(key)
        ids = value if isinstance(value, list) else [value] if isinstance(value, int) else []
        out += [labels[(kind, i)] for i in ids
                if isinstance(i, int) and (kind, i) in labels]
    return tuple(dict.fromkeys(out))


def _family(vs: VaultSession, person_id: int) -> tuple[FamilyRow, ...]:
    rows = vs.execute(
        "SELECT p.id, p.name, f.relation, p.kind FROM family_link f "
        "JOIN person p ON p.id = f.person_id WHERE f.officer_id = ? AND p.voided_at IS NULL "
        "UNION ALL "
        "SELECT p.id, p.name, f.relation, p.kind FROM family_link f "
        "JOIN person p ON p.id = f.officer_id WHERE f.person_id = ? AND p.voided_at IS NULL "
        "ORDER BY 1", (person_id, person_id))
    return tuple(FamilyRow(int(r[0]), r[1], r[2], r[3]) for r in rows)


def _tier(vs: VaultSession, person_id: int) -> TierRow | None:
    r = vs.execute("SELECT tier, since, review_due FROM tier_state WHERE person_id = ?",
                   (person_id,)).fetchone()
    return TierRow(r[0], r[1], r[2]) if r else None

"""Counseling sessions 咨询记录: log, edit (then lock), addenda, read, search, follow-ups.

DESIGN §2, §4 (CounselingSession, SessionTopic, SessionAddendum), §5 (roles, sealed
sessions), §6 (log session, dashboard), §11 (save ≤ 20 ms: one transaction with the audit
event; the note's search index is kept by the FTS triggers of migration 2).

Rules decided here (tested in ``tests/integration/test_sessions.py``):

* **Who logs**: counselors and coordinators (``roles.WRITES_RECORDS``). A counselor may log
  a session for any serving officer (the hotline takes calls from every unit: the officer
  then counts as "served" and becomes visible) and for family members/others they see.
* **Anonymous callers** (``person_id=None``) only by hotline, online or e-mail; they are
  visible to their author and coordinators.
* **Editing**: the author or a coordinator may change a session for ``session_lock_days``
  (setting, default 7) counted from when it was *recorded* (``created_at``), so a session
  entered late is still correctable for a week. After that :func:`update_session` raises
  :class:`Conflict` and sets ``locked_at``; corrections are addenda (:func:`add_addendum`,
  author or coordinator, allowed at any time).
* **Reading** (see :mod:`counselor_tui.services.access` for persons; the reading functions
  live in :mod:`counselor_tui.services.session_reads`, re-exported here): a counselor sees
  their own sessions and every session of persons they see; the free text (note, intervention,
  addenda) of a *sealed* session only when they wrote it. Coordinators read everything.
  Admins see the session list without any free text (``note_hidden``). Auditors: refused.
* **Follow-ups**: a session's ``follow_up_on`` is open until closed. Logging a session for a
  person closes the open follow-ups of that person's *earlier* sessions (``started_at``
  before the new one) dated up to the end (Sunday) of the new session's week — a
  follow-up planned for a later week stays open. Closing sets ``follow_up_closed_at`` and
  ``follow_up_closed_by`` (the new session) and is named in the new session's audit event.
* **Follow-up lists** (:func:`follow_ups`, dashboard): open follow-ups of non-voided sessions
  with a person, overdue (before today), due today, due in the next 7 days (bureau time
  zone; a window, not the calendar week, so that on a Sunday the coming days still show).
  A counselor gets those of their own sessions and of persons of their unit; a coordinator
  all; admins and auditors none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import from_storage
from counselor_tui.domain.permissions import Action
from counselor_tui.i18n import _
from counselor_tui.services import audit, tier_policy
from counselor_tui.services import sealed as sealed_notes
from counselor_tui.services.access import can_see_person
from counselor_tui.services.context import VaultSession, iso
from counselor_tui.services.edit_conflicts import check_unchanged
from counselor_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from counselor_tui.services.session_reads import (
    DEFAULT_LOCK_DAYS,
    UPCOMING_DAYS,
    FollowUpRow,
    FollowUps,
    SessionSummary,
    anonymous_contacts,
    dashboard_section,
    follow_ups,
    get_session,
    is_locked,
    lock_days,
    may_edit,
    may_see_session,
    search_notes,
    sessions_of_person,
)
from db.models import (
    CounselingSession,
    Incident,
    Person,
    SessionAddendum,
    SessionTopic,
)

__all__ = [
    "ANONYMOUS_CHANNELS",
    "DEFAULT_LOCK_DAYS",
    "EARLIEST_YEAR",
    "FUTURE_TOLERANCE",
    "MAX_DURATION_MIN",
    "PROMPT_RISKS",
    "UPCOMING_DAYS",
    "FollowUpRow",
    "FollowUps",
    "SessionDraft",
    "SessionInvalid",
    "SessionSaved",
    "SessionSummary",
    "add_addendum",
    "anonymous_contacts",
    "dashboard_section",
    "follow_ups",
    "get_session",
    "log_session",
    "search_notes",
    "sessions_of_person",
    "update_session",
    "validate",
]

#: Risks that offer to flag an emergency at once (DESIGN §6, issue 3 item 5).
PROMPT_RISKS = frozenset({"high", "imminent"})
#: Channels an anonymous caller may use.
ANONYMOUS_CHANNELS = frozenset({"hotline", "online", "email"})
MAX_DURATION_MIN = 600
FUTURE_TOLERANCE = timedelta(minutes=5)


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class SessionDraft:
    """A session as typed in the form. ``person_id`` None = anonymous caller;
    ``started_at`` aware; codes from ``domain.vocab``; ``note`` is kept exactly (every line,
    every space)."""

    person_id: int | None
    started_at: datetime
    channel: str
    kind: str
    topics: tuple[str, ...]
    duration_min: int
    note: str = ""
    risk: str = "none"
    intervention: str = ""
    referral: str = "none"
    follow_up_on: date | None = None
    sealed: bool = False
    incident_id: int | None = None
    caller_label: str | None = None
    #: An anonymous caller's category (``vocab.CALLER_KINDS``); None with a person, and
    #: stored as ``unknown`` for an anonymous caller when not given.
    caller_kind: str | None = None
    #: User ids of the co-counselors besides the author (active counselors or
    #: coordinators); each counts the session in their workload.
    co_counselor_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SessionSaved:
    """Result of :func:`log_session`: the new id, how many earlier follow-ups it closed,
    whether to offer flagging an emergency (risk high/imminent), and the tier the policy
    now suggests for the person because of the recorded risk (``None`` when none is higher
    than the current tier; the counselor confirms it on the person's record)."""

    id: int
    closed_follow_ups: int
    risk_prompt: bool
    suggested_tier: str | None = None


class SessionInvalid(InvalidInput):
    """A :class:`SessionDraft` failed :func:`validate`; ``errors`` maps field → message
    (the message of the exception is the first one)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# --------------------------------------------------------------------------- validation


def validate(draft: SessionDraft, today: date, *, now: datetime | None = None) -> dict[str, str]:
    """Field name → translated message for each problem of ``draft``; ``{}`` when valid.

    Used on blur and on save. Rules: ``started_at`` aware, not more than 5 minutes
    ahead of ``now`` (without ``now``: not after ``today``) and not before
    :data:`EARLIEST_YEAR`; ``duration_min`` 1–600;
    ``channel``, ``kind``, ``risk``, ``referral`` and every topic from ``domain.vocab``;
    at least one topic; ``follow_up_on`` not before the session's date; an anonymous
    caller only by hotline, online or e-mail; the note may be anything (any length, any
    lines). Keys are the :class:`SessionDraft` field names.
    """
    errors: dict[str, str] = {}
    start = draft.started_at
    if start.tzinfo is None or start.utcoffset() is None:
        errors["started_at"] = _("The date and time have no time zone.")
    elif (start > now + FUTURE_TOLERANCE) if now is not None else (start.date() > today):
        errors["started_at"] = _("The session cannot start in the future.")
    elif start.year < EARLIEST_YEAR:
        errors["started_at"] = _("A session before {year} is surely a typing slip: check the "
                                 "year.").format(year=EARLIEST_YEAR)
    if not isinstance(draft.duration_min, int) or not (
            1 <= draft.duration_min <= MAX_DURATION_MIN):
        errors["duration_min"] = _("The duration must be 1 to {max} minutes.").format(
            max=MAX_DURATION_MIN)
    if draft.channel not in vocab.CHANNELS:
        errors["channel"] = _("Choose how the contact took place.")
    if draft.kind not in vocab.SESSION_KINDS:
        errors["kind"] = _("Choose the kind of session.")
    if not draft.topics:
        errors["topics"] = _("Choose at least one topic.")
    elif any(t not in vocab.TOPICS for t in draft.topics):
        errors["topics"] = _("Unknown topic.")
    if draft.risk not in vocab.RISKS:
        errors["risk"] = _("Choose the risk level.")
    if draft.referral not in vocab.REFERRALS:
        errors["referral"] = _("Choose a referral (or none).")
    if draft.follow_up_on is not None and "started_at" not in errors \
            and draft.follow_up_on < start.date():
        errors["follow_up_on"] = _("The follow-up cannot be before the session.")
    if draft.person_id is None and draft.channel in vocab.CHANNELS \
            and draft.channel not in ANONYMOUS_CHANNELS:
        errors["person_id"] = _(
            "Choose the person: anonymous callers only by hotline, online or e-mail.")
    if draft.person_id is not None and draft.caller_label:
        errors["caller_label"] = _("A caller label is for anonymous callers only.")
    if draft.caller_kind is not None and (draft.person_id is not None
                                          or draft.caller_kind not in vocab.CALLER_KINDS):
        errors["caller_kind"] = _("Choose who the anonymous caller is: an officer, a family "
                                  "member, someone else, or unknown.")
    return errors


# --------------------------------------------------------------------------- helpers


def _require_logger(vs: VaultSession) -> None:
    vs.require_to(Action.LOG_SESSION)


#: Sessions dated before this year are refused as typing slips (1900-01-01, 0026 …).
EARLIEST_YEAR = 2000


def _week_end(day: date) -> date:
    return day + timedelta(days=6 - day.weekday())


def _local(vs: VaultSession, moment: datetime) -> str:
    return iso(moment.astimezone(vs.now().tzinfo))


def _check_person(vs: VaultSession, person_id: int | None) -> None:
    if person_id is None:
        return
    person = Person.get_or_none(Person.id == person_id)
    if person is None or person.voided_at is not None:
        raise NotFound(_("No such person, or not visible to your account."))
    if person.kind != "officer" and not can_see_person(vs, person_id):
        raise NotFound(_("No such person, or not visible to your account."))


def _check_incident(incident_id: int | None) -> None:
    if incident_id is not None and Incident.get_or_none(Incident.id == incident_id) is None:
        raise SessionInvalid({"incident_id": _("Unknown incident.")})


def _fields(vs: VaultSession, draft: SessionDraft) -> dict[str, Any]:
    return {
        "person": draft.person_id, "started_at": _local(vs, draft.started_at),
        "duration_min": draft.duration_min, "channel": draft.channel, "kind": draft.kind,
        "note": "" if draft.sealed else draft.note, "risk": draft.risk,
        "intervention": "" if draft.sealed else draft.intervention,
        "referral": draft.referral,
        "follow_up_on": draft.follow_up_on.isoformat() if draft.follow_up_on else None,
        "incident": draft.incident_id, "sealed": bool(draft.sealed),
        "caller_label": (draft.caller_label or "").strip() or None,
        "caller_kind": None if draft.person_id is not None else (
            draft.caller_kind or "unknown"),
    }


def _store_co_counselors(vs: VaultSession, session_id: int, author_id: int,
                         draft: SessionDraft) -> list[int]:
    """Replace the co-counselors of a session (inside a transaction); returns their ids.
    Raises :class:`SessionInvalid` for an id that is not an active counselor or
    coordinator, or is the author."""
    ids = list(dict.fromkeys(int(i) for i in draft.co_counselor_ids))
    if ids:
        marks = ",".join("?" * len(ids))
        found = {int(r[0]) for r in vs.execute(
            f'SELECT id FROM "user" WHERE id IN ({marks}) AND active = 1 '
            "AND role IN ('counselor', 'coordinator')", tuple(ids))}
        if author_id in ids or found != set(ids):
            raise SessionInvalid({"co_counselor_ids": _(
                "Co-counselors are other active counselors or coordinators.")})
    vs.execute("DELETE FROM session_counselor WHERE session_id = ?", (session_id,))
    for uid in ids:
        vs.execute("INSERT INTO session_counselor(session_id, user_id) VALUES (?, ?)",
                   (session_id, uid))
    return ids


def _topics(draft: SessionDraft) -> list[str]:
    return list(dict.fromkeys(draft.topics))


# --------------------------------------------------------------------------- writes


def log_session(vs: VaultSession, draft: SessionDraft) -> SessionSaved:
    """Save a new session in one transaction (session, topics, follow-up closing, one
    ``create counseling_session`` audit event naming the closed follow-ups).

    Raises :class:`SessionInvalid` (field → message), :class:`PermissionDenied` (auditor,
    admin), :class:`NotFound` (person not found or not visible).
    """
    _require_logger(vs)
    errors = validate(draft, vs.today(), now=vs.now())
    if errors:
        raise SessionInvalid(errors)
    fields = _fields(vs, draft)
    with vs.transaction():
        _check_person(vs, draft.person_id)
        _check_incident(draft.incident_id)
        now = vs.now_iso()
        session = CounselingSession.create(
            **fields, counselor=vs.actor.id, created_at=now, created_by=vs.actor.id,
            updated_at=now, updated_by=vs.actor.id)
        SessionTopic.insert_many(
            [{"session": session.id, "topic": t} for t in _topics(draft)]).execute()
        if draft.sealed:  # the text only ever stored encrypted to its readers
            sealed_notes.store(vs, int(session.id), draft.note, draft.intervention)
        co = _store_co_counselors(vs, int(session.id), int(vs.actor.id), draft)
        closed: list[int] = []
        if draft.person_id is not None:
            week_end = _week_end(from_storage(fields["started_at"]).date()).isoformat()
            closed = [int(r[0]) for r in vs.execute(
                "SELECT id FROM counseling_session WHERE person_id = ? AND id != ? "
                "AND voided_at IS NULL AND follow_up_on IS NOT NULL "
                "AND follow_up_closed_at IS NULL AND follow_up_on <= ? AND started_at < ?",
                (draft.person_id, session.id, week_end, fields["started_at"]))]
            if closed:
                (CounselingSession
                 .update(follow_up_closed_at=now, follow_up_closed_by=session.id)
                 .where(CounselingSession.id.in_(closed))  # type: ignore[attr-defined]
                 .execute())
        audit.record(vs, "create", "counseling_session", session.id, {
            "person_id": draft.person_id, "closed_follow_ups": closed,
            "sealed": bool(draft.sealed), **({"co_counselors": co} if co else {})})
        suggested = None
        if draft.person_id is not None and draft.risk != "none":
            # policy.md: a session risk moderate → yellow, high/imminent → red (suggested)
            row = tier_policy.suggest_for_session_risk(vs, draft.person_id, int(session.id),
                                                       draft.risk)
            suggested = row.tier if row is not None else None
    return SessionSaved(int(session.id), len(closed), draft.risk in PROMPT_RISKS, suggested)


def _editable_session(vs: VaultSession, session_id: int) -> CounselingSession:
    """The session row if this actor may still change it; else raise (after recording
    ``locked_at`` when the window is over)."""
    row = CounselingSession.get_or_none(CounselingSession.id == session_id)
    if row is None or row.voided_at is not None or not may_see_session(vs, row):
        raise NotFound(_("No such session, or not visible to your account."))
    if not may_edit(vs, row.counselor_id):
        raise PermissionDenied(_("Only the author or a coordinator may change a session."))
    return row


def _lock_now(vs: VaultSession, row: CounselingSession, days: int) -> None:
    """Record when the window closed (``created_at`` + days) in its own transaction."""
    if row.locked_at is None:
        at = iso(from_storage(row.created_at) + timedelta(days=days))
        with vs.transaction():
            CounselingSession.update(locked_at=at).where(
                CounselingSession.id == row.id, CounselingSession.locked_at.is_null()).execute()
            audit.record(vs, "lock", "counseling_session", row.id, {"days": days})


def update_session(vs: VaultSession, session_id: int, draft: SessionDraft,
                   expected_version: int | None = None) -> None:
    """Change a session during its edit window (author or coordinator); audited
    ``update counseling_session`` with the changed field names; the row's ``version`` goes
    up by one.

    ``expected_version`` is the version the form started from
    (:attr:`SessionSummary.version`): when the session changed since, nothing is written
    and :class:`~counselor_tui.services.edit_conflicts.EditedMeanwhile` says who changed
    what (issue 14). Raises :class:`Conflict` once the window (``session_lock_days``) is
    over — add an addendum instead — plus the errors of :func:`log_session`.
    """
    _require_logger(vs)
    errors = validate(draft, vs.today(), now=vs.now())
    if errors:
        raise SessionInvalid(errors)
    fields = _fields(vs, draft)
    with vs.reading():
        row = _editable_session(vs, session_id)
        days = lock_days(vs)
    if is_locked(vs, row.created_at, row.locked_at, days):
        _lock_now(vs, row, days)
        raise Conflict(
            _("This session is locked ({days} days after it was recorded): add an addendum "
              "instead.").format(days=days))
    with vs.transaction():
        row = _editable_session(vs, session_id)
        if is_locked(vs, row.created_at, row.locked_at, lock_days(vs)):
            raise Conflict(_("This session is locked: add an addendum instead."))
        check_unchanged(vs, "counseling_session", session_id, expected_version,
                        int(row.version), str(row.updated_at))
        _check_person(vs, draft.person_id)
        _check_incident(draft.incident_id)
        old = {name: getattr(row, f"{name}_id" if name in ("person", "incident") else name)
               for name in fields}
        if row.sealed:
            text = sealed_notes.current_text(vs, session_id)
            old["note"], old["intervention"] = text.note, text.intervention
        new = {**fields, "note": draft.note, "intervention": draft.intervention}
        changed = [name for name, value in new.items() if old[name] != value]
        old_topics = sorted(t.topic for t in SessionTopic.select().where(
            SessionTopic.session == session_id))
        new_topics = _topics(draft)
        old_co = sorted(int(r[0]) for r in vs.execute(
            "SELECT user_id FROM session_counselor WHERE session_id = ?", (session_id,)))
        if sorted(set(draft.co_counselor_ids)) != old_co:
            changed.append("co_counselors")
            _store_co_counselors(vs, session_id, int(row.counselor_id), draft)
        if sorted(new_topics) != old_topics:
            changed.append("topics")
            SessionTopic.delete().where(SessionTopic.session == session_id).execute()
            SessionTopic.insert_many(
                [{"session": session_id, "topic": t} for t in new_topics]).execute()
        if not changed:
            return
        if row.sealed and not draft.sealed:
            sealed_notes.unseal(vs, session_id)
        CounselingSession.update(**fields, updated_at=vs.now_iso(), updated_by=vs.actor.id,
                                 version=CounselingSession.version + 1).where(
            CounselingSession.id == session_id).execute()
        if draft.sealed:
            sealed_notes.store(vs, session_id, draft.note, draft.intervention)
        audit.record(vs, "update", "counseling_session", session_id,
                     {"fields": ["person_id" if c == "person" else
                                 "incident_id" if c == "incident" else c for c in changed]})


def add_addendum(vs: VaultSession, session_id: int, text: str) -> None:
    """Append a correction to a session (author or coordinator, at any time); the text is
    kept exactly. Audited ``create session_addendum``. Raises :class:`InvalidInput` for
    blank text, :class:`NotFound`, :class:`PermissionDenied`."""
    _require_logger(vs)
    if not text.strip():
        raise InvalidInput(_("The addendum is empty."))
    with vs.transaction():
        row = _editable_session(vs, session_id)
        days = lock_days(vs)
        if row.locked_at is None and is_locked(vs, row.created_at, None, days):
            CounselingSession.update(
                locked_at=iso(from_storage(row.created_at) + timedelta(days=days))).where(
                CounselingSession.id == session_id).execute()
        add = SessionAddendum.create(session=session_id, text="" if row.sealed else text,
                                     by=vs.actor.id, at=vs.now_iso())
        if row.sealed:
            sealed_notes.add_addendum_text(vs, session_id, int(add.id), text)
        audit.record(vs, "create", "session_addendum", add.id, {"session_id": session_id})


# --------------------------------------------------------------------------- reads


# --------------------------------------------------------------------------- follow-ups



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
* **Reading** (see :mod:`counselor_tui.services.persons` for persons): a counselor sees their
  own sessions and every session of persons they see; the free text (note, intervention,
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

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import from_storage, relative_hint
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession, iso
from counselor_tui.services.dashboard import DashboardItem, DashboardSection
from counselor_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from counselor_tui.services.persons import can_see_person, visibility_sql
from db.models import (
    CounselingSession,
    Incident,
    Person,
    SessionAddendum,
    SessionTopic,
    Setting,
)

#: Risks that offer to flag an emergency at once (DESIGN §6, issue 3 item 5).
PROMPT_RISKS = frozenset({"high", "imminent"})
#: Channels an anonymous caller may use.
ANONYMOUS_CHANNELS = frozenset({"hotline", "online", "email"})
MAX_DURATION_MIN = 600
FUTURE_TOLERANCE = timedelta(minutes=5)
DEFAULT_LOCK_DAYS = 7


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


@dataclass(frozen=True)
class SessionSummary:
    """A session as listed and shown. ``started_at`` in storage form (ISO with offset);
    ``counselor`` is the author's display name; ``note``/``intervention``/``addenda`` are
    empty and ``note_hidden`` True when the actor may not read them; ``locked`` once the
    edit window is over; ``editable`` when this actor may still change it."""

    id: int
    person_id: int | None
    person_name: str | None
    started_at: str
    channel: str
    kind: str
    topics: tuple[str, ...]
    duration_min: int
    risk: str
    follow_up_on: str | None
    sealed: bool
    locked: bool
    counselor: str
    note: str
    addenda: tuple[str, ...]
    note_hidden: bool = False
    intervention: str = ""
    referral: str = "none"
    incident_id: int | None = None
    caller_label: str | None = None
    counselor_id: int = 0
    follow_up_closed_at: str | None = None
    editable: bool = False


@dataclass(frozen=True)
class FollowUpRow:
    """An open follow-up: the session that planned it, the person, the due date
    (``YYYY-MM-DD``) and the author's display name."""

    session_id: int
    person_id: int
    person_name: str
    due: str
    counselor: str
    badge_no: str | None = None
    kind: str = "officer"

    @property
    def who(self) -> str:
        """The person as the dashboard names them: name and badge number for an officer,
        name and kind otherwise, so that namesakes (an officer and a family member both
        called 李晨东) are told apart."""
        if self.badge_no:
            return _("{name} (badge {badge})").format(name=self.person_name,
                                                      badge=self.badge_no)
        return _("{name} ({kind})").format(name=self.person_name,
                                           kind=vocab.label(vocab.PERSON_KINDS, self.kind))


@dataclass(frozen=True)
class FollowUps:
    """Open follow-ups: overdue (before today), today, in the next 7 days
    (``this_week``: tomorrow to today + 7)."""

    overdue: tuple[FollowUpRow, ...]
    today: tuple[FollowUpRow, ...]
    this_week: tuple[FollowUpRow, ...]


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
    return errors


# --------------------------------------------------------------------------- helpers


def _lock_days(vs: VaultSession) -> int:
    row = Setting.get_or_none(Setting.key == "session_lock_days")
    try:
        return int(row.value) if row is not None else DEFAULT_LOCK_DAYS
    except (TypeError, ValueError):
        return DEFAULT_LOCK_DAYS


def _is_locked(vs: VaultSession, created_at: str, locked_at: str | None, days: int) -> bool:
    return locked_at is not None or from_storage(created_at) + timedelta(days=days) <= vs.now()


def _require_logger(vs: VaultSession) -> None:
    vs.require(Role.COUNSELOR, Role.COORDINATOR)


def _may_edit(vs: VaultSession, counselor_id: int) -> bool:
    return vs.actor.role == Role.COORDINATOR or (
        vs.actor.role == Role.COUNSELOR and counselor_id == vs.actor.id)


def _reads_text(vs: VaultSession, counselor_id: int, sealed: bool) -> bool:
    if vs.actor.role == Role.COORDINATOR:
        return True
    if vs.actor.role == Role.COUNSELOR:
        return counselor_id == vs.actor.id or not sealed
    return False


#: Sessions dated before this year are refused as typing slips (1900-01-01, 0026 …).
EARLIEST_YEAR = 2000
#: Days ahead that the dashboard lists upcoming follow-ups for.
UPCOMING_DAYS = 7


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
        "note": draft.note, "risk": draft.risk, "intervention": draft.intervention,
        "referral": draft.referral,
        "follow_up_on": draft.follow_up_on.isoformat() if draft.follow_up_on else None,
        "incident": draft.incident_id, "sealed": bool(draft.sealed),
        "caller_label": (draft.caller_label or "").strip() or None,
    }


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
            "sealed": bool(draft.sealed)})
        suggested = None
        if draft.person_id is not None and draft.risk != "none":
            # policy.md: a session risk moderate → yellow, high/imminent → red (suggested)
            from counselor_tui.services import tier_policy

            row = tier_policy.suggest_for_session_risk(vs, draft.person_id, int(session.id),
                                                       draft.risk)
            suggested = row.tier if row is not None else None
    return SessionSaved(int(session.id), len(closed), draft.risk in PROMPT_RISKS, suggested)


def _editable_session(vs: VaultSession, session_id: int) -> CounselingSession:
    """The session row if this actor may still change it; else raise (after recording
    ``locked_at`` when the window is over)."""
    row = CounselingSession.get_or_none(CounselingSession.id == session_id)
    if row is None or row.voided_at is not None or not _may_see_session(vs, row):
        raise NotFound(_("No such session, or not visible to your account."))
    if not _may_edit(vs, row.counselor_id):
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


def update_session(vs: VaultSession, session_id: int, draft: SessionDraft) -> None:
    """Change a session during its edit window (author or coordinator); audited
    ``update counseling_session`` with the changed field names.

    Raises :class:`Conflict` once the window (``session_lock_days``) is over — add an
    addendum instead — plus the errors of :func:`log_session`.
    """
    _require_logger(vs)
    errors = validate(draft, vs.today(), now=vs.now())
    if errors:
        raise SessionInvalid(errors)
    fields = _fields(vs, draft)
    with vs.reading():
        row = _editable_session(vs, session_id)
        days = _lock_days(vs)
    if _is_locked(vs, row.created_at, row.locked_at, days):
        _lock_now(vs, row, days)
        raise Conflict(
            _("This session is locked ({days} days after it was recorded): add an addendum "
              "instead.").format(days=days))
    with vs.transaction():
        row = _editable_session(vs, session_id)
        if _is_locked(vs, row.created_at, row.locked_at, _lock_days(vs)):
            raise Conflict(_("This session is locked: add an addendum instead."))
        _check_person(vs, draft.person_id)
        _check_incident(draft.incident_id)
        changed = [name for name, value in fields.items()
                   if getattr(row, f"{name}_id" if name in ("person", "incident") else name)
                   != value]
        old_topics = sorted(t.topic for t in SessionTopic.select().where(
            SessionTopic.session == session_id))
        new_topics = _topics(draft)
        if sorted(new_topics) != old_topics:
            changed.append("topics")
            SessionTopic.delete().where(SessionTopic.session == session_id).execute()
            SessionTopic.insert_many(
                [{"session": session_id, "topic": t} for t in new_topics]).execute()
        if not changed:
            return
        CounselingSession.update(**fields, updated_at=vs.now_iso(),
                                 updated_by=vs.actor.id).where(
            CounselingSession.id == session_id).execute()
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
        days = _lock_days(vs)
        if row.locked_at is None and _is_locked(vs, row.created_at, None, days):
            CounselingSession.update(
                locked_at=iso(from_storage(row.created_at) + timedelta(days=days))).where(
                CounselingSession.id == session_id).execute()
        add = SessionAddendum.create(session=session_id, text=text, by=vs.actor.id,
                                     at=vs.now_iso())
        audit.record(vs, "create", "session_addendum", add.id, {"session_id": session_id})


# --------------------------------------------------------------------------- reads


def _may_see_session(vs: VaultSession, row: CounselingSession) -> bool:
    role = vs.actor.role
    if role == Role.AUDITOR:
        return False
    if role in (Role.COORDINATOR, Role.ADMIN):
        return True
    if row.counselor_id == vs.actor.id:
        return True
    return row.person_id is not None and can_see_person(vs, row.person_id)


_SUMMARY_SQL = (
    "SELECT s.id, s.person_id, p.name, s.started_at, s.channel, s.kind, s.duration_min, "
    "s.risk, s.follow_up_on, s.sealed, s.locked_at, s.created_at, u.display_name, s.note, "
    "s.intervention, s.referral, s.incident_id, s.caller_label, s.counselor_id, "
    "s.follow_up_closed_at FROM counseling_session s "
    "LEFT JOIN person p ON p.id = s.person_id JOIN user u ON u.id = s.counselor_id "
)


def _summaries(vs: VaultSession, rows: Sequence[Sequence[Any]]) -> list[SessionSummary]:
    """Build summaries (inside ``reading``/``transaction``) applying the text rules."""
    if not rows:
        return []
    ids = [int(r[0]) for r in rows]
    marks = ",".join("?" * len(ids))
    topics: dict[int, list[str]] = defaultdict(list)
    for sid, topic in vs.execute(
            f"SELECT session_id, topic FROM session_topic WHERE session_id IN ({marks})",
            tuple(ids)):
        topics[int(sid)].append(topic)
    addenda: dict[int, list[str]] = defaultdict(list)
    for sid, text in vs.execute(
            f"SELECT session_id, text FROM session_addendum WHERE session_id IN ({marks}) "
            "ORDER BY at, id", tuple(ids)):
        addenda[int(sid)].append(text)
    days = _lock_days(vs)
    order = list(vocab.TOPICS)
    out = []
    for r in rows:
        sid, counselor_id, sealed = int(r[0]), int(r[18]), bool(r[9])
        readable = _reads_text(vs, counselor_id, sealed)
        locked = _is_locked(vs, r[11], r[10], days)
        out.append(SessionSummary(
            id=sid, person_id=r[1], person_name=r[2], started_at=r[3], channel=r[4],
            kind=r[5], topics=tuple(sorted(topics[sid], key=lambda t: (
                order.index(t) if t in order else len(order), t))),
            duration_min=int(r[6]), risk=r[7], follow_up_on=r[8], sealed=sealed,
            locked=locked, counselor=r[12], note=r[13] if readable else "",
            addenda=tuple(addenda[sid]) if readable else (), note_hidden=not readable,
            intervention=r[14] if readable else "", referral=r[15], incident_id=r[16],
            caller_label=r[17], counselor_id=counselor_id, follow_up_closed_at=r[19],
            editable=not locked and _may_edit(vs, counselor_id),
        ))
    return out


def sessions_of_person(vs: VaultSession, person_id: int) -> list[SessionSummary]:
    """Every non-voided session of a person, newest first (inside ``reading`` or a
    transaction; the caller checked that the person is visible)."""
    rows = list(vs.execute(
        _SUMMARY_SQL + "WHERE s.person_id = ? AND s.voided_at IS NULL "
        "ORDER BY s.started_at DESC, s.id DESC", (person_id,)))
    return _summaries(vs, rows)


def get_session(vs: VaultSession, session_id: int) -> SessionSummary:
    """One session as this actor may see it; writes a ``view counseling_session`` audit
    event. Raises :class:`PermissionDenied` (auditor), :class:`NotFound`."""
    if vs.actor.role == Role.AUDITOR:
        raise PermissionDenied(_("Auditors do not read counseling sessions."))
    with vs.transaction():
        row = CounselingSession.get_or_none(CounselingSession.id == session_id)
        if row is None or row.voided_at is not None or not _may_see_session(vs, row):
            raise NotFound(_("No such session, or not visible to your account."))
        summary = _summaries(vs, list(vs.execute(_SUMMARY_SQL + "WHERE s.id = ?",
                                                 (session_id,))))[0]
        audit.record(vs, "view", "counseling_session", session_id, {})
    return summary


def _note_visibility(vs: VaultSession) -> tuple[str, list[Any]]:
    """SQL condition (alias ``s``) for sessions whose note this actor may read."""
    if vs.actor.role == Role.COORDINATOR:
        return "1", []
    if vs.actor.role != Role.COUNSELOR:
        raise PermissionDenied(_("Your role may not read session notes."))
    cond, params = visibility_sql(vs)
    return (f"(s.counselor_id = ? OR (s.sealed = 0 AND s.person_id IN "
            f"(SELECT p.id FROM person p WHERE p.voided_at IS NULL AND {cond})))",
            [vs.actor.id, *params])


def _fts_rows(vs: VaultSession, needle: str, cond: str, params: list[Any],
              limit: int) -> list[Sequence[Any]]:
    """Matches of the trigram index newest-entered first (FTS5 walks rowids backwards and
    stops early), filtered by ``cond`` in batches, at most ``limit``."""
    phrase = '"' + needle.replace('"', '""') + '"'
    cursor = vs.db.cursor()
    cursor.execute("SELECT rowid FROM session_note_fts WHERE session_note_fts MATCH ? "
                   "ORDER BY rowid DESC", (phrase,))
    found: list[Sequence[Any]] = []
    try:
        while len(found) < limit:
            batch = [int(r[0]) for r in cursor.fetchmany(200)]
            if not batch:
                break
            marks = ",".join("?" * len(batch))
            found.extend(vs.execute(
                _SUMMARY_SQL + f"WHERE s.id IN ({marks}) AND s.voided_at IS NULL AND {cond} "
                "ORDER BY s.id DESC", (*batch, *params)))
    finally:
        cursor.close()
    return found[:limit]


def search_notes(vs: VaultSession, text: str, limit: int = 50) -> list[SessionSummary]:
    """Sessions whose note contains ``text`` (most recently entered first, at most
    ``limit``), among the notes this actor may read. Three or more characters use the
    trigram index (``session_note_fts``); shorter text a scan by session start, newest
    first. Matching ignores Latin case. Raises
    :class:`PermissionDenied` for admins and auditors."""
    cond, params = _note_visibility(vs)
    needle = unicodedata.normalize("NFC", text).strip()
    if not needle:
        return []
    limit = max(1, min(int(limit), 500))
    with vs.reading():
        if len(needle) >= 3:
            rows = _fts_rows(vs, needle, cond, params, limit)
        else:
            rows = list(vs.execute(
                _SUMMARY_SQL + f"WHERE instr(lower(s.note), lower(?)) > 0 "
                f"AND s.voided_at IS NULL AND {cond} "
                "ORDER BY s.started_at DESC, s.id DESC LIMIT ?", (needle, *params, limit)))
        return _summaries(vs, rows)


# --------------------------------------------------------------------------- follow-ups


def follow_ups(vs: VaultSession) -> FollowUps:
    """Open follow-ups due within the next 7 days, split overdue / today / next 7 days,
    each by due date then person (see the module doc for whose)."""
    today = vs.today()
    if vs.actor.role == Role.COORDINATOR:
        cond, params = "1", []
    elif vs.actor.role == Role.COUNSELOR:
        cond = "(s.counselor_id = ?" + (" OR p.unit_id = ?)" if vs.actor.unit_id else ")")
        params = [vs.actor.id] + ([vs.actor.unit_id] if vs.actor.unit_id else [])
    else:
        return FollowUps((), (), ())
    with vs.reading():
        rows = list(vs.execute(
            "SELECT s.id, s.person_id, p.name, s.follow_up_on, u.display_name, "
            "p.badge_no, p.kind FROM counseling_session s JOIN person p ON p.id = s.person_id "
            "JOIN user u ON u.id = s.counselor_id "
            "WHERE s.follow_up_on <= ? AND s.follow_up_closed_at IS NULL "
            f"AND s.voided_at IS NULL AND p.voided_at IS NULL AND {cond} "
            "ORDER BY s.follow_up_on, p.name_pinyin, s.id",
            ((today + timedelta(days=UPCOMING_DAYS)).isoformat(), *params)))
    overdue: list[FollowUpRow] = []
    due_today: list[FollowUpRow] = []
    week: list[FollowUpRow] = []
    for r in rows:
        item = FollowUpRow(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6])
        due = date.fromisoformat(r[3])
        (overdue if due < today else due_today if due == today else week).append(item)
    return FollowUps(tuple(overdue), tuple(due_today), tuple(week))


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard's follow-up block (overdue first); None for admins and auditors."""
    if vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR):
        return None
    due = follow_ups(vs)
    today = vs.today()
    items = []
    for rows, level in ((due.overdue, "warning"), (due.today, "warning"),
                        (due.this_week, "info")):
        for f in rows:
            hint = relative_hint(date.fromisoformat(f.due), today)
            items.append(DashboardItem(
                text=_("{name} · follow-up {hint} ({counselor})").format(
                    name=f.who, hint=hint, counselor=f.counselor),
                person_id=f.person_id, due=f.due, level=level, ref=f"session:{f.session_id}"))
    summary = _("{overdue} overdue, {today} today, {week} in the next 7 days").format(
        overdue=len(due.overdue), today=len(due.today), week=len(due.this_week))
    return DashboardSection(
        id="follow_ups", title=_("Follow-ups"), items=tuple(items), summary=summary,
        level="warning" if due.overdue else "info",
        extra={"overdue": len(due.overdue), "today": len(due.today),
               "this_week": len(due.this_week)})

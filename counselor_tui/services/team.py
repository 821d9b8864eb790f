"""The counselor team 辅导员队伍: roster, training records, per-counselor figures
(DESIGN §1 "training of counselors", §2 ``Counselor``, §4 ``TrainingRecord``, §6, §8.6).

The team is every account with role ``counselor`` or ``coordinator`` (the programme office's
members counsel too). A :class:`~db.models.TrainingRecord` is one training a counselor
attended: date, title, hours (more than 0, at most 24 — one day; a counselor's records of one
date add up to 24 hours at most), provider.

A record is never deleted (issue 19): a coordinator may **correct** one
(:func:`correct_training`: the replaced version is kept, see
:mod:`counselor_tui.services.record_versions`; audited ``update training_record`` naming the
changed fields) or **void** one that should not exist (:func:`void_training`, with a reason;
audited ``void training_record``) — a voided record stays stored and listed (marked) but
leaves every total: the team's hours here and the submission's section 6.

Roles (DESIGN §5): coordinators add and correct anyone's training and read everything;
counselors add their own training and read the team summary (other counselors' session
counts are hidden: ``None``); auditors read the team summary (aggregates) but not the
training records themselves; admins read the roster (:func:`list_counselors`) only.

Figures agree with the submission's team section (``services.submission_team.team_section``):
non-voided training records count by ``date`` in the period; sessions count non-voided
sessions (of non-voided persons, or anonymous) by ``started_at`` in the period's
bureau-local bounds; activities
count non-voided activities the counselor ran (``ActivityCounselor``) by ``date``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from counselor_tui.domain.dates import bureau_tz, to_storage
from counselor_tui.domain.periods import Period, datetime_bounds, period_of
from counselor_tui.domain.pinyin import name_keys
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit, record_versions
from counselor_tui.services.activities import MAX_HOURS, TEAM_ROLES
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.settings import get_setting
from db.models import TrainingRecord

MAX_TITLE = 100
MAX_PROVIDER = 100
MAX_REASON = 2000


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class CounselorRow:
    """A team member's account: id, user name, display name, role code, unit, active."""

    user_id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    active: bool


@dataclass(frozen=True)
class TrainingDraft:
    """A training as typed: the counselor's ``user_id``, ``date``, ``title``, ``hours``
    (more than 0, at most 24) and ``provider`` (who gave it; may be empty)."""

    user_id: int
    date: date
    title: str
    hours: float
    provider: str = ""


@dataclass(frozen=True)
class TrainingRow:
    """A stored training record with the counselor's names; ``date`` ISO ``YYYY-MM-DD``;
    ``version`` (1 + corrections); ``voided`` with ``void_reason`` for a voided record."""

    id: int
    user_id: int
    username: str
    display_name: str
    date: str
    title: str
    hours: float
    provider: str
    created_by_id: int
    version: int = 1
    voided: bool = False
    void_reason: str | None = None

    def draft(self) -> TrainingDraft:
        """The record as a draft (to correct it)."""
        return TrainingDraft(self.user_id, date.fromisoformat(self.date), self.title,
                             self.hours, self.provider)


@dataclass(frozen=True)
class TeamMember:
    """One counselor's figures: training hours and records in the period and in its
    calendar year, sessions logged (``None`` when the actor may not see them), and
    activities run (non-voided, as one of its counselors)."""

    user_id: int
    username: str
    display_name: str
    role: str
    unit_name: str | None
    active: bool
    training_hours: float
    training_hours_year: float
    trainings: int
    trainings_year: int
    sessions: int | None
    sessions_year: int | None
    activities: int
    activities_year: int


@dataclass(frozen=True)
class TeamSummary:
    """:func:`team_summary`: the ``period``, its calendar ``year``, one :class:`TeamMember`
    per counselor (active ones, and disabled ones with figures in the year), and totals:
    training hours and records in the period and the year, counselors trained in the period,
    active counselors and coordinators."""

    period: Period
    year: Period
    members: tuple[TeamMember, ...]
    training_hours: float
    training_hours_year: float
    trainings: int
    trainings_year: int
    counselors_trained: int
    active_members: int


class TrainingInvalid(InvalidInput):
    """A :class:`TrainingDraft` failed validation; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# --------------------------------------------------------------------------- roster


def list_counselors(vs: VaultSession, *, include_inactive: bool = False) -> list[CounselorRow]:
    """The team's accounts (roles counselor and coordinator), active first, by display
    name in the name order (pinyin syllables, :func:`counselor_tui.domain.pinyin.name_keys`),
    then username. Every role may read it (no clinical data)."""
    where = "" if include_inactive else " AND u.active = 1"
    marks = ", ".join("?" for _r in TEAM_ROLES)
    with vs.reading():
        rows = [CounselorRow(int(i), str(n), str(d), str(r), None if ui is None else int(ui),
                             uc, un, bool(a))
                for i, n, d, r, ui, uc, un, a in vs.execute(
                    "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, un.code, "
                    'un.name, u.active FROM "user" u LEFT JOIN unit un ON un.id = u.unit_id '
                    f"WHERE u.role IN ({marks}){where}", TEAM_ROLES)]
    return sorted(rows, key=lambda c: (not c.active, name_keys(c.display_name).sort,
                                       c.username))


# --------------------------------------------------------------------------- training


def validate_training(draft: TrainingDraft, today: date) -> dict[str, str]:
    """Field name → translated message for each problem of ``draft`` (``{}`` when valid):
    title 1–100 characters, date not after ``today``, hours more than 0 and at most 24,
    provider at most 100 characters. Pure (the per-day total is checked on save)."""
    errors: dict[str, str] = {}
    title = draft.title.strip()
    if not title:
        errors["title"] = _("Give the training a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("The title is too long (at most {n} characters).").format(
            n=MAX_TITLE)
    if draft.date > today:
        errors["date"] = _("The date cannot be after today ({today}).").format(
            today=today.isoformat())
    hours = draft.hours
    if (not isinstance(hours, (int, float)) or isinstance(hours, bool)
            or not math.isfinite(hours) or not 0 < hours <= MAX_HOURS):
        errors["hours"] = _("Hours: more than 0 and at most 24 (one day).")
    if len(draft.provider.strip()) > MAX_PROVIDER:
        errors["provider"] = _("The provider is too long (at most {n} characters).").format(
            n=MAX_PROVIDER)
    return errors


def _check_member(vs: VaultSession, user_id: int, *, allow_inactive: bool) -> None:
    row = vs.execute('SELECT role, active FROM "user" WHERE id = ?', (user_id,)).fetchone()
    if row is None or str(row[0]) not in TEAM_ROLES:
        raise TrainingInvalid({"user_id": _("Choose a counselor or coordinator account.")})
    if not row[1] and not allow_inactive:
        raise TrainingInvalid({"user_id": _("This account is disabled.")})


def _check_day_total(vs: VaultSession, draft: TrainingDraft, exclude: int | None) -> None:
    (already,) = vs.execute(
        "SELECT COALESCE(SUM(hours), 0) FROM training_record WHERE user_id = ? AND date = ? "
        "AND id IS NOT ? AND voided_at IS NULL",
        (draft.user_id, draft.date.isoformat(), exclude)).fetchone()
    if float(already) + float(draft.hours) > MAX_HOURS + 1e-9:
        raise TrainingInvalid({"hours": _(
            "This counselor already has {n} hours of training on {date}: at most 24 hours "
            "in one day.").format(n=_fmt_hours(float(already)), date=draft.date.isoformat())})


def _fmt_hours(value: float) -> str:
    return f"{value:g}"


def add_training(vs: VaultSession, draft: TrainingDraft) -> int:
    """Record a training of ``draft.user_id``; returns the record's id. Coordinators for any
    active counselor or coordinator, counselors for themselves. Audited ``create
    training_record`` (the counselor's id).

    Raises :class:`PermissionDenied`, :class:`TrainingInvalid` (fields, a disabled or
    non-team account, more than 24 hours on one day).
    """
    role = vs.actor.role
    if role is Role.COUNSELOR:
        if draft.user_id != vs.actor.id:
            raise PermissionDenied(_("Counselors record their own training only."))
    elif role is not Role.COORDINATOR:
        raise PermissionDenied(_("Your role ({role}) does not record training.").format(
            role=role.label))
    errors = validate_training(draft, vs.today())
    if errors:
        raise TrainingInvalid(errors)
    now = vs.now_iso()
    with vs.transaction():
        _check_member(vs, draft.user_id, allow_inactive=False)
        _check_day_total(vs, draft, None)
        row = TrainingRecord.create(
            user=draft.user_id, date=draft.date.isoformat(), title=draft.title.strip(),
            hours=float(draft.hours), provider=draft.provider.strip(), created_at=now,
            created_by=vs.actor.id, updated_at=now, updated_by=vs.actor.id)
        audit.record(vs, "create", "training_record", row.id, {"user_id": draft.user_id})
    return int(row.id)


def correct_training(vs: VaultSession, training_id: int, draft: TrainingDraft) -> list[str]:
    """Correct a training record (coordinators only): the replaced version is kept
    (:func:`counselor_tui.services.record_versions.keep_training`) and the record's
    ``version`` goes up by one. Returns the changed field names (``[]``: nothing written).
    Audited ``update training_record`` with those names and the new version.

    Raises :class:`PermissionDenied`, :class:`NotFound`, :class:`Conflict` (voided),
    :class:`TrainingInvalid`.
    """
    vs.require(Role.COORDINATOR)
    errors = validate_training(draft, vs.today())
    if errors:
        raise TrainingInvalid(errors)
    new: dict[str, Any] = {"user": draft.user_id, "date": draft.date.isoformat(),
                           "title": draft.title.strip(), "hours": float(draft.hours),
                           "provider": draft.provider.strip()}
    with vs.transaction():
        row = TrainingRecord.get_or_none(TrainingRecord.id == training_id)
        if row is None:
            raise NotFound(_("No such training record."))
        if row.voided_at is not None:
            raise Conflict(_("This training record was voided; it cannot be corrected."))
        _check_member(vs, draft.user_id, allow_inactive=draft.user_id == row.user_id)
        _check_day_total(vs, draft, training_id)
        current = {"user": row.user_id, "date": row.date, "title": row.title,
                   "hours": float(row.hours), "provider": row.provider}
        changed = [("user_id" if k == "user" else k) for k in new if new[k] != current[k]]
        if changed:
            version = record_versions.keep_training(vs, row)
            TrainingRecord.update(**new, version=version, updated_at=vs.now_iso(),
                                  updated_by=vs.actor.id).where(
                TrainingRecord.id == training_id).execute()
            audit.record(vs, "update", "training_record", training_id,
                         {"fields": changed, "version": version})
    return changed


def void_training(vs: VaultSession, training_id: int, reason: str) -> None:
    """Void a training record that should not exist, with a reason: it stays stored and
    listed (marked) but leaves every total (team hours, submission section 6).
    Coordinators void any record, counselors their own records they entered themselves.
    Audited ``void training_record`` (the counselor's id; never the reason).

    Raises :class:`InvalidInput` (no reason, or longer than 2,000 characters),
    :class:`NotFound`, :class:`PermissionDenied`, :class:`Conflict` (already voided).
    """
    role = vs.actor.role
    if role not in (Role.COUNSELOR, Role.COORDINATOR):
        raise PermissionDenied(_("Your role ({role}) does not record training.").format(
            role=role.label))
    text = reason.strip()
    if not text:
        raise InvalidInput(_("Give the reason for voiding."))
    if len(text) > MAX_REASON:
        raise InvalidInput(_("The reason is too long (at most {n} characters).").format(
            n=MAX_REASON))
    with vs.transaction():
        row = TrainingRecord.get_or_none(TrainingRecord.id == training_id)
        if row is None:
            raise NotFound(_("No such training record."))
        if role is Role.COUNSELOR and (row.user_id != vs.actor.id
                                       or row.created_by_id != vs.actor.id):
            raise PermissionDenied(_("Only a coordinator or the counselor who entered it may "
                                     "void this training record."))
        if row.voided_at is not None:
            raise Conflict(_("This training record is already voided."))
        now = vs.now_iso()
        TrainingRecord.update(voided_at=now, voided_by=vs.actor.id, void_reason=text,
                              updated_at=now, updated_by=vs.actor.id).where(
            TrainingRecord.id == training_id).execute()
        audit.record(vs, "void", "training_record", training_id, {"user_id": row.user_id})


def list_trainings(vs: VaultSession, user_id: int | None = None,
                   period: Period | None = None, *,
                   include_voided: bool = True) -> list[TrainingRow]:
    """Training records, newest first: of ``user_id`` (None: coordinators everyone's,
    counselors their own), dated in ``period`` when given; voided ones (marked) unless
    ``include_voided`` is False. Counselors read their own only; auditors and admins are
    refused (they read :func:`team_summary`)."""
    role = vs.actor.role
    if role is Role.COUNSELOR:
        if user_id not in (None, vs.actor.id):
            raise PermissionDenied(_("Counselors see their own training records only."))
        user_id = vs.actor.id
    elif role is not Role.COORDINATOR:
        raise PermissionDenied(_("Your role ({role}) does not see training records.").format(
            role=role.label))
    conds: list[str] = []
    params: list[Any] = []
    if user_id is not None:
        conds.append("t.user_id = ?")
        params.append(user_id)
    if period is not None:
        conds.append("t.date >= ? AND t.date < ?")
        params += [period.start.isoformat(), period.end.isoformat()]
    if not include_voided:
        conds.append("t.voided_at IS NULL")
    where = " AND ".join(conds) or "1"
    with vs.reading():
        return [TrainingRow(int(i), int(u), str(n), str(d), str(day), str(t), float(h),
                            str(p or ""), int(c), int(ver), va is not None, vr)
                for i, u, n, d, day, t, h, p, c, ver, va, vr in vs.execute(
                    "SELECT t.id, t.user_id, u.username, u.display_name, t.date, t.title, "
                    "t.hours, t.provider, t.created_by_id, t.version, t.voided_at, "
                    't.void_reason FROM training_record t JOIN "user" u '
                    f"ON u.id = t.user_id WHERE {where} ORDER BY t.date DESC, t.id DESC",
                    tuple(params))]


# --------------------------------------------------------------------------- figures


def _per_user(vs: VaultSession, sql: str, params: tuple[Any, ...]) -> dict[int, tuple[Any, ...]]:
    return {int(r[0]): tuple(r[1:]) for r in vs.execute(sql, params)}


def team_summary(vs: VaultSession, period: Period | None = None) -> TeamSummary:
    """Per counselor: training hours and records in ``period`` (default: this month) and in
    its calendar year, sessions logged, activities run; with the team's totals.

    Coordinators and auditors see every figure; counselors see everyone's training and
    activities but only their own session counts (others ``None``); admins are refused
    (:class:`PermissionDenied`). Source: DESIGN §6 "Team (training hours per counselor)",
    §8 item 6.
    """
    role = vs.actor.role
    if role not in (Role.COUNSELOR, Role.COORDINATOR, Role.AUDITOR):
        raise PermissionDenied(_("Your role ({role}) does not see the team's figures.").format(
            role=role.label))
    period = period or period_of("month", vs.today())
    year = period_of("year", period.start)
    tz = bureau_tz(str(get_setting(vs, "timezone", "Asia/Shanghai")))

    def instants(p: Period) -> tuple[str, str]:
        start, end = datetime_bounds(p, tz)
        return to_storage(start), to_storage(end)

    def days(p: Period) -> tuple[str, str]:
        return p.start.isoformat(), p.end.isoformat()

    training_sql = ("SELECT user_id, COALESCE(SUM(hours), 0), COUNT(*) FROM training_record "
                    "WHERE voided_at IS NULL AND date >= ? AND date < ? GROUP BY user_id")
    # the author and every co-counselor count the session (issue 15 item 6; an author is
    # never their own co-counselor, so UNION ALL counts each session once per person)
    kept = ("LEFT JOIN person p ON p.id = s.person_id WHERE s.voided_at IS NULL "
            "AND (s.person_id IS NULL OR p.voided_at IS NULL) "
            "AND s.started_at >= ? AND s.started_at < ?")
    session_sql = ("SELECT uid, COUNT(*) FROM (SELECT s.counselor_id AS uid FROM "
                   f"counseling_session s {kept} UNION ALL SELECT c.user_id FROM "
                   "session_counselor c JOIN counseling_session s ON s.id = c.session_id "
                   f"{kept}) GROUP BY uid")
    activity_sql = ("SELECT c.user_id, COUNT(*) FROM activity_counselor c JOIN activity a "
                    "ON a.id = c.activity_id WHERE a.voided_at IS NULL AND a.date >= ? "
                    "AND a.date < ? GROUP BY c.user_id")
    roster = list_counselors(vs, include_inactive=True)
    with vs.reading():
        train = _per_user(vs, training_sql, days(period))
        train_y = _per_user(vs, training_sql, days(year))
        sess = _per_user(vs, session_sql, instants(period) * 2)
        sess_y = _per_user(vs, session_sql, instants(year) * 2)
        act = _per_user(vs, activity_sql, days(period))
        act_y = _per_user(vs, activity_sql, days(year))

    def shown(uid: int, counts: dict[int, tuple[Any, ...]]) -> int | None:
        if role is Role.COUNSELOR and uid != vs.actor.id:
            return None
        return int(counts.get(uid, (0,))[0])

    members: list[TeamMember] = []
    for c in roster:
        uid = c.user_id
        hours, records = train.get(uid, (0.0, 0))
        hours_y, records_y = train_y.get(uid, (0.0, 0))
        member = TeamMember(
            uid, c.username, c.display_name, c.role, c.unit_name, c.active,
            round(float(hours), 2), round(float(hours_y), 2), int(records), int(records_y),
            shown(uid, sess), shown(uid, sess_y), int(act.get(uid, (0,))[0]),
            int(act_y.get(uid, (0,))[0]))
        busy = (records_y or uid in sess_y or uid in act_y)
        if c.active or busy:
            members.append(member)
    return TeamSummary(
        period, year, tuple(members),
        training_hours=round(sum(float(v[0]) for v in train.values()), 2),
        training_hours_year=round(sum(float(v[0]) for v in train_y.values()), 2),
        trainings=sum(int(v[1]) for v in train.values()),
        trainings_year=sum(int(v[1]) for v in train_y.values()),
        counselors_trained=len(train),
        active_members=sum(1 for c in roster if c.active))

"""Activities 活动培训 (DESIGN §1, §2 ``Activity``, §4, §6, §8.6); interest groups 兴趣小组 are
:mod:`counselor_tui.services.interest_groups`.

An :class:`~db.models.Activity` is a training 培训, drill 演练, lecture 讲座/宣传,
interest-group meeting 兴趣小组 or group session 团体辅导 (codes of
:data:`counselor_tui.domain.vocab.ACTIVITY_KINDS`) held on one date, with the number of
participants, its length in hours, the unit it was held for (optional), the interest group
(meetings only) and the counselors who ran it (several accounts, ``ActivityCounselor``).
A wrongly entered activity is voided with a reason, never deleted (DESIGN §4); voided rows are
left out of every figure here and in the submission's team section
(:func:`counselor_tui.services.submission_team.team_section` counts ``voided_at IS NULL`` rows
by ``date``).
A correction keeps the replaced version (issue 19; :mod:`counselor_tui.services.
record_versions`).

Roles (DESIGN §5): coordinators manage everything; counselors record the activities they ran
(they must be among its counselors) and correct or void what they recorded; counselors and
coordinators list activities and groups; auditors read :func:`activity_summary` only
(aggregates); admins nothing here.

Validation (:func:`validate`, messages per field, translated): kind from the vocabulary;
title 1–100 characters; date not after today; participants a whole number 0–10,000; hours
0–24 (one day); an interest-group meeting names an active group and other kinds none;
counselors are active counselor/coordinator accounts; note at most 2,000 characters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.periods import Period
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit, record_versions
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db.models import Activity, ActivityCounselor

MAX_TITLE = 100
MAX_NOTE = 2000
MAX_PARTICIPANTS = 10_000
#: Hours of one activity or training: at most one day (the brief's "hours 0–24 per day").
MAX_HOURS = 24.0
#: Account roles that run activities and keep training records (DESIGN §2 ``Counselor``).
TEAM_ROLES: tuple[str, ...] = (Role.COUNSELOR.value, Role.COORDINATOR.value)
GROUP_KIND = "interest_group"


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class ActivityDraft:
    """An activity as typed: ``kind`` (vocab code), ``title``, ``date``, ``unit_id`` (or
    None), ``group_id`` (interest-group meetings only), ``participants`` (people),
    ``hours`` (length, 0–24), ``counselor_ids`` (accounts who ran it), ``note``."""

    kind: str
    title: str
    date: date
    unit_id: int | None = None
    group_id: int | None = None
    participants: int = 0
    hours: float = 0.0
    counselor_ids: tuple[int, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ActivityRow:
    """One stored activity as listed: ids and display names resolved; ``date`` ISO
    ``YYYY-MM-DD``; ``counselors`` the display names in ``counselor_ids`` order;
    ``voided`` with ``void_reason`` for a voided row; ``created_by_id`` the recording
    account."""

    id: int
    kind: str
    title: str
    date: str
    unit_id: int | None
    unit_name: str | None
    group_id: int | None
    group_name: str | None
    participants: int
    hours: float
    counselor_ids: tuple[int, ...]
    counselors: tuple[str, ...]
    note: str
    created_by_id: int
    voided: bool = False
    void_reason: str | None = None

    def draft(self) -> ActivityDraft:
        """The row as a draft (to correct it)."""
        return ActivityDraft(self.kind, self.title, date.fromisoformat(self.date),
                             self.unit_id, self.group_id, self.participants, self.hours,
                             self.counselor_ids, self.note)


@dataclass(frozen=True)
class ActivityQuery:
    """Filters of :func:`list_activities`: ``period`` (dates ``start <= d < end``), ``kind``,
    ``unit_id``, ``group_id``, ``counselor_id`` (ran by), ``include_voided``."""

    period: Period | None = None
    kind: str | None = None
    unit_id: int | None = None
    group_id: int | None = None
    counselor_id: int | None = None
    include_voided: bool = False


@dataclass(frozen=True)
class KindSummary:
    """Activities of one kind in a period: ``count``, ``participants`` (sum, person-times),
    ``hours`` (sum of the activities' lengths, rounded to 2 decimals)."""

    kind: str
    count: int
    participants: int
    hours: float


@dataclass(frozen=True)
class ActivitySummary:
    """:func:`activity_summary`: one :class:`KindSummary` per vocabulary kind (zeros
    included, vocabulary order) and the totals."""

    period: Period
    kinds: tuple[KindSummary, ...]
    count: int
    participants: int
    hours: float


class ActivityInvalid(InvalidInput):
    """An :class:`ActivityDraft` failed :func:`validate`; ``errors`` maps field → message
    (the exception's message is the first one)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


# --------------------------------------------------------------------------- roles


def require_reader(vs: VaultSession) -> None:
    """Raise :class:`PermissionDenied` unless a counselor or coordinator (who list
    activities and interest groups)."""
    if vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR):
        raise PermissionDenied(_("Your role ({role}) does not see the list of activities.")
                               .format(role=vs.actor.role.label))


def _require_writer(vs: VaultSession) -> None:
    if vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR):
        raise PermissionDenied(_("Your role ({role}) does not record activities.")
                               .format(role=vs.actor.role.label))


def _require_summary_reader(vs: VaultSession) -> None:
    if vs.actor.role not in (Role.COUNSELOR, Role.COORDINATOR, Role.AUDITOR):
        raise PermissionDenied(_("Your role ({role}) does not see activity figures.")
                               .format(role=vs.actor.role.label))


# --------------------------------------------------------------------------- validation


def _valid_hours(hours: Any) -> bool:
    return (isinstance(hours, (int, float)) and not isinstance(hours, bool)
            and math.isfinite(hours) and 0 <= hours <= MAX_HOURS)


def validate(draft: ActivityDraft, today: date) -> dict[str, str]:
    """Field name → translated message for each problem of ``draft`` (``{}`` when valid).

    Pure checks only (no database): see the module doc for the rules. References (unit,
    group, counselors) are checked again by :func:`add_activity`/:func:`update_activity`.
    """
    errors: dict[str, str] = {}
    if draft.kind not in vocab.ACTIVITY_KINDS:
        errors["kind"] = _("Choose the kind of activity.")
    title = draft.title.strip()
    if not title:
        errors["title"] = _("Give the activity a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("The title is too long (at most {n} characters).").format(
            n=MAX_TITLE)
    if draft.date > today:
        errors["date"] = _("The date cannot be after today ({today}).").format(
            today=today.isoformat())
    if (not isinstance(draft.participants, int) or isinstance(draft.participants, bool)
            or not 0 <= draft.participants <= MAX_PARTICIPANTS):
        errors["participants"] = _("Participants: a whole number from 0 to {n}.").format(
            n=MAX_PARTICIPANTS)
    if not _valid_hours(draft.hours):
        errors["hours"] = _("Hours: a number from 0 to 24 (one day at most).")
    if draft.kind == GROUP_KIND and draft.group_id is None:
        errors["group_id"] = _("Choose the interest group that met.")
    elif draft.kind != GROUP_KIND and draft.group_id is not None:
        errors["group_id"] = _("Only an interest-group meeting belongs to a group.")
    if len(set(draft.counselor_ids)) != len(draft.counselor_ids):
        errors["counselor_ids"] = _("A counselor is listed twice.")
    if len(draft.note) > MAX_NOTE:
        errors["note"] = _("The note is too long (at most {n} characters).").format(n=MAX_NOTE)
    return errors


def _check_refs(vs: VaultSession, draft: ActivityDraft, *, old_group: int | None,
                old_counselors: Sequence[int] = ()) -> None:
    """Check unit, group and counselors against the vault (inside the transaction);
    raises :class:`ActivityInvalid`. A group paused since the row was entered, or a counselor
    disabled since, may stay on a corrected row but not be newly chosen."""
    errors: dict[str, str] = {}
    if draft.unit_id is not None and vs.execute(
            "SELECT 1 FROM unit WHERE id = ?", (draft.unit_id,)).fetchone() is None:
        errors["unit_id"] = _("Unknown unit.")
    if draft.group_id is not None:
        row = vs.execute("SELECT active FROM interest_group WHERE id = ?",
                         (draft.group_id,)).fetchone()
        if row is None:
            errors["group_id"] = _("Unknown interest group.")
        elif not row[0] and draft.group_id != old_group:
            errors["group_id"] = _("This interest group is paused: resume it first.")
    if draft.counselor_ids:
        marks = ", ".join("?" for _c in draft.counselor_ids)
        found = {int(r[0]): (str(r[1]), bool(r[2])) for r in vs.execute(
            f'SELECT id, role, active FROM "user" WHERE id IN ({marks})',
            tuple(draft.counselor_ids))}
        for uid in draft.counselor_ids:
            role, active = found.get(uid, ("", False))
            if role not in TEAM_ROLES:
                errors["counselor_ids"] = _("Only counselor and coordinator accounts run "
                                            "activities.")
                break
            if not active and uid not in old_counselors:
                errors["counselor_ids"] = _("A disabled account cannot be added.")
                break
    if vs.actor.role is Role.COUNSELOR and vs.actor.id not in draft.counselor_ids:
        errors["counselor_ids"] = _("Include yourself: counselors record the activities "
                                    "they ran.")
    if errors:
        raise ActivityInvalid(errors)


# --------------------------------------------------------------------------- activities


def tracked(vs: VaultSession) -> dict[str, Any]:
    """The created/updated columns of a new row written now by the acting account."""
    now = vs.now_iso()
    return {"created_at": now, "created_by": vs.actor.id, "updated_at": now,
            "updated_by": vs.actor.id}


def _fields(draft: ActivityDraft) -> dict[str, Any]:
    return {"kind": draft.kind, "title": draft.title.strip(), "date": draft.date.isoformat(),
            "unit": draft.unit_id, "group": draft.group_id,
            "participants": draft.participants, "hours": float(draft.hours),
            "note": draft.note.strip()}


def add_activity(vs: VaultSession, draft: ActivityDraft) -> int:
    """Record an activity; returns its id. Audited ``create activity`` (kind, number of
    counselors). Counselors must list themselves among the counselors.

    Raises :class:`PermissionDenied` (auditor, admin), :class:`ActivityInvalid`.
    """
    _require_writer(vs)
    errors = validate(draft, vs.today())
    if errors:
        raise ActivityInvalid(errors)
    with vs.transaction():
        _check_refs(vs, draft, old_group=None)
        row = Activity.create(**_fields(draft), **tracked(vs))
        for uid in draft.counselor_ids:
            ActivityCounselor.insert(activity=row.id, user=uid).execute()
        audit.record(vs, "create", "activity", row.id,
                     {"kind": draft.kind, "counselors": len(draft.counselor_ids)})
    return int(row.id)


def _load(vs: VaultSession, activity_id: int) -> tuple[Activity, list[int]]:
    row = Activity.get_or_none(Activity.id == activity_id)
    if row is None:
        raise NotFound(_("No such activity."))
    counselors = [int(r[0]) for r in vs.execute(
        "SELECT user_id FROM activity_counselor WHERE activity_id = ? ORDER BY user_id",
        (activity_id,))]
    return row, counselors


def _may_change(vs: VaultSession, row: Activity, counselors: Sequence[int]) -> bool:
    if vs.actor.role is Role.COORDINATOR:
        return True
    return row.created_by_id == vs.actor.id or vs.actor.id in counselors


def update_activity(vs: VaultSession, activity_id: int, draft: ActivityDraft) -> list[str]:
    """Correct an activity: the replaced version is kept
    (:func:`counselor_tui.services.record_versions.keep_activity`) and its ``version`` goes
    up by one; returns the changed field names (``[]``: nothing written). Audited ``update
    activity`` with those names and the new version. Coordinators correct any activity,
    counselors those they recorded or ran (and stay among its counselors).

    Raises :class:`NotFound`, :class:`PermissionDenied`, :class:`Conflict` (voided),
    :class:`ActivityInvalid`.
    """
    _require_writer(vs)
    errors = validate(draft, vs.today())
    if errors:
        raise ActivityInvalid(errors)
    with vs.transaction():
        row, counselors = _load(vs, activity_id)
        if not _may_change(vs, row, counselors):
            raise PermissionDenied(_("Only a coordinator or the counselors who ran it may "
                                     "correct this activity."))
        if row.voided_at is not None:
            raise Conflict(_("This activity was voided; it cannot be corrected."))
        _check_refs(vs, draft, old_group=row.group_id, old_counselors=counselors)
        new = _fields(draft)
        current = {"kind": row.kind, "title": row.title, "date": row.date,
                   "unit": row.unit_id, "group": row.group_id,
                   "participants": row.participants, "hours": float(row.hours),
                   "note": row.note}
        changed = [("unit_id" if k == "unit" else "group_id" if k == "group" else k)
                   for k in new if new[k] != current[k]]
        if sorted(set(draft.counselor_ids)) != sorted(counselors):
            changed.append("counselor_ids")
        if not changed:
            return []
        version = record_versions.keep_activity(vs, row, counselors)
        if "counselor_ids" in changed:
            ActivityCounselor.delete().where(ActivityCounselor.activity == activity_id).execute()
            for uid in draft.counselor_ids:
                ActivityCounselor.insert(activity=activity_id, user=uid).execute()
        Activity.update(**new, version=version, updated_at=vs.now_iso(),
                        updated_by=vs.actor.id).where(Activity.id == activity_id).execute()
        audit.record(vs, "update", "activity", activity_id,
                     {"fields": changed, "version": version})
    return changed


def void_activity(vs: VaultSession, activity_id: int, reason: str) -> None:
    """Void (tombstone) a wrongly entered activity with a reason; it stays stored and
    visible with ``include_voided`` but leaves every figure. Coordinators void any
    activity, counselors those they recorded. Audited ``void activity``.

    Raises :class:`InvalidInput` (no reason), :class:`NotFound`, :class:`PermissionDenied`,
    :class:`Conflict` (already voided).
    """
    _require_writer(vs)
    text = reason.strip()
    if not text:
        raise InvalidInput(_("Give the reason for voiding."))
    if len(text) > MAX_NOTE:
        raise InvalidInput(_("The reason is too long (at most {n} characters).").format(
            n=MAX_NOTE))
    with vs.transaction():
        row, _counselors = _load(vs, activity_id)
        if vs.actor.role is not Role.COORDINATOR and row.created_by_id != vs.actor.id:
            raise PermissionDenied(_("Only a coordinator or the account that recorded it may "
                                     "void this activity."))
        if row.voided_at is not None:
            raise Conflict(_("This activity is already voided."))
        now = vs.now_iso()
        Activity.update(voided_at=now, voided_by=vs.actor.id, void_reason=text,
                        updated_at=now, updated_by=vs.actor.id).where(
            Activity.id == activity_id).execute()
        audit.record(vs, "void", "activity", activity_id, {"kind": row.kind})


def _where(q: ActivityQuery) -> tuple[str, list[Any]]:
    conds: list[str] = []
    params: list[Any] = []
    if not q.include_voided:
        conds.append("a.voided_at IS NULL")
    if q.period is not None:
        conds.append("a.date >= ? AND a.date < ?")
        params += [q.period.start.isoformat(), q.period.end.isoformat()]
    if q.kind:
        conds.append("a.kind = ?")
        params.append(q.kind)
    if q.unit_id is not None:
        conds.append("a.unit_id = ?")
        params.append(q.unit_id)
    if q.group_id is not None:
        conds.append("a.group_id = ?")
        params.append(q.group_id)
    if q.counselor_id is not None:
        conds.append("EXISTS (SELECT 1 FROM activity_counselor c WHERE c.activity_id = a.id "
                     "AND c.user_id = ?)")
        params.append(q.counselor_id)
    return (" AND ".join(conds) or "1"), params


def count_activities(vs: VaultSession, query: ActivityQuery) -> int:
    """How many activities match ``query`` (counselors and coordinators)."""
    require_reader(vs)
    where, params = _where(query)
    with vs.reading():
        return int(vs.execute(f"SELECT COUNT(*) FROM activity a WHERE {where}",
                              tuple(params)).fetchone()[0])


def list_activities(vs: VaultSession, query: ActivityQuery | None = None, offset: int = 0,
                    limit: int = 100) -> list[ActivityRow]:
    """Activities matching ``query``, newest date first (then newest entry), rows
    ``offset`` … ``offset+limit-1``. Counselors and coordinators; raises
    :class:`PermissionDenied` for auditors and admins (they see :func:`activity_summary`)."""
    require_reader(vs)
    where, params = _where(query or ActivityQuery())
    with vs.reading():
        rows = list(vs.execute(
            "SELECT a.id, a.kind, a.title, a.date, a.unit_id, un.name, a.group_id, g.name, "
            "a.participants, a.hours, a.note, a.created_by_id, a.voided_at, a.void_reason "
            "FROM activity a LEFT JOIN unit un ON un.id = a.unit_id "
            "LEFT JOIN interest_group g ON g.id = a.group_id "
            f"WHERE {where} ORDER BY a.date DESC, a.id DESC LIMIT ? OFFSET ?",
            (*params, max(0, limit), max(0, offset))))
        return _with_counselors(vs, rows)


def get_activity(vs: VaultSession, activity_id: int) -> ActivityRow:
    """One activity (voided ones too); raises :class:`NotFound`, :class:`PermissionDenied`."""
    require_reader(vs)
    with vs.reading():
        rows = list(vs.execute(
            "SELECT a.id, a.kind, a.title, a.date, a.unit_id, un.name, a.group_id, g.name, "
            "a.participants, a.hours, a.note, a.created_by_id, a.voided_at, a.void_reason "
            "FROM activity a LEFT JOIN unit un ON un.id = a.unit_id "
            "LEFT JOIN interest_group g ON g.id = a.group_id WHERE a.id = ?", (activity_id,)))
        if not rows:
            raise NotFound(_("No such activity."))
        return _with_counselors(vs, rows)[0]


def _with_counselors(vs: VaultSession, rows: list[Any]) -> list[ActivityRow]:
    ids = [int(r[0]) for r in rows]
    names: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    if ids:
        marks = ", ".join("?" for _i in ids)
        for aid, uid, name in vs.execute(
                "SELECT c.activity_id, c.user_id, u.display_name FROM activity_counselor c "
                f'JOIN "user" u ON u.id = c.user_id WHERE c.activity_id IN ({marks}) '
                "ORDER BY c.activity_id, u.display_name, u.id", tuple(ids)):
            names[int(aid)].append((int(uid), str(name)))
    return [
        ActivityRow(
            id=int(r[0]), kind=str(r[1]), title=str(r[2]), date=str(r[3]),
            unit_id=None if r[4] is None else int(r[4]), unit_name=r[5],
            group_id=None if r[6] is None else int(r[6]), group_name=r[7],
            participants=int(r[8]), hours=float(r[9]),
            counselor_ids=tuple(u for u, _n in names[int(r[0])]),
            counselors=tuple(n for _u, n in names[int(r[0])]),
            note=str(r[10] or ""), created_by_id=int(r[11]), voided=r[12] is not None,
            void_reason=r[13])
        for r in rows
    ]


def activity_summary(vs: VaultSession, period: Period,
                     unit_id: int | None = None) -> ActivitySummary:
    """Non-voided activities dated in ``period`` by kind: count, participants, hours.

    With ``unit_id`` only the activities held for that unit (the submission's unit scope).
    The same figures as the ``activities`` table of the submission's team section
    (DESIGN §8 item 6; ``services.submission_team.team_section``). Counselors, coordinators
    and auditors.
    """
    _require_summary_reader(vs)
    sql = ("SELECT a.kind, COUNT(*), COALESCE(SUM(a.participants), 0), "
           "COALESCE(SUM(a.hours), 0) FROM activity a WHERE a.voided_at IS NULL "
           "AND a.date >= ? AND a.date < ?")
    params: list[Any] = [period.start.isoformat(), period.end.isoformat()]
    if unit_id is not None:
        sql += " AND a.unit_id = ?"
        params.append(unit_id)
    with vs.reading():
        found = {str(k): (int(n), int(p), float(h)) for k, n, p, h in vs.execute(
            sql + " GROUP BY a.kind", tuple(params))}
    kinds = [*vocab.ACTIVITY_KINDS, *sorted(k for k in found if k not in vocab.ACTIVITY_KINDS)]
    rows = tuple(KindSummary(k, *found.get(k, (0, 0, 0.0))[:2],
                             round(found.get(k, (0, 0, 0.0))[2], 2)) for k in kinds)
    return ActivitySummary(period, rows, sum(r.count for r in rows),
                           sum(r.participants for r in rows),
                           round(sum(v[2] for v in found.values()), 2))

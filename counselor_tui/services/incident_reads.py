"""Reading incidents 应激事件: the open list, one incident, a person's incidents, the
pickers, the banner and dashboard block, timeliness; and the helpers the writing side shares
(policy, time storage, who sees which incident). The rules are in the module doc of
:mod:`counselor_tui.services.incidents`, which re-exports every public name here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from counselor_tui.domain import incidents as rules
from counselor_tui.domain.dates import bureau_tz, from_storage, to_storage
from counselor_tui.domain.periods import Period, datetime_bounds
from counselor_tui.domain.permissions import Action
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.i18n import _
from counselor_tui.services import audit, persons
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.settings import get_setting
from db.models import (
    Incident,
    Unit,
    User,
)

# --------------------------------------------------------------------------- helpers


def policy(vs: VaultSession) -> rules.IncidentPolicy:
    """The incident policy in force: packaged defaults plus the vault setting
    ``incident_policy``. Raises :class:`InvalidInput` when the setting is malformed."""
    override = get_setting(vs, "incident_policy", None)
    try:
        return rules.load_policy(override if isinstance(override, dict) else None)
    except rules.IncidentPolicyError as exc:
        raise InvalidInput(str(exc)) from None


def bureau_zone(vs: VaultSession) -> Any:
    """The bureau time zone of the session clock."""
    tz = vs.now().tzinfo
    return tz if tz is not None else bureau_tz()


def store_time(vs: VaultSession, moment: datetime) -> str:
    """``moment`` as stored (bureau-local ISO with offset); refuses a naive time."""
    if moment.tzinfo is None:
        raise InvalidInput(_("A time without a time zone cannot be stored."))
    return to_storage(moment.astimezone(bureau_zone(vs)))


def tracked(vs: VaultSession) -> dict[str, Any]:
    """The created/updated columns of a new row by the actor, now."""
    now = vs.now_iso()
    return {"created_at": now, "created_by": vs.actor.id, "updated_at": now,
            "updated_by": vs.actor.id}


def require_writer(vs: VaultSession) -> None:
    """Refuse roles that may not flag or record (not counselor or coordinator)."""
    vs.require_to(Action.RECORD_INCIDENT)


def visible_ids(vs: VaultSession) -> set[int] | None:
    """Ids of incidents the actor may see (None = all: a coordinator). A counselor sees the
    incidents of their unit or exposing a person of it, and those they flagged, recorded a
    step of or hold a step of; a counselor of no unit only the latter (DESIGN §5 "Roles":
    a counselor's own work plus their unit's). Call inside ``reading``. Raises
    :class:`PermissionDenied` for roles that do not record incidents."""
    if vs.actor.role not in WRITES_RECORDS:
        raise PermissionDenied(
            _("Your role ({role}) may not do this.").format(role=vs.actor.role.label))
    if vs.actor.role is Role.COORDINATOR:
        return None
    unit, me = vs.actor.unit_id, vs.actor.id
    # each clause a set gathered once by its index (a correlated probe per incident read
    # every step of the actor per incident: 0.4 s at province, issue 18)
    own = (" i.created_by_id = ?"
           " OR i.id IN (SELECT s.incident_id FROM incident_step s WHERE s.by_id = ?)"
           " OR i.id IN (SELECT s.incident_id FROM step_holder h"
           "             JOIN incident_step s ON s.id = h.step_id WHERE h.user_id = ?)")  # issue 15
    if unit is None:  # a counselor of no unit has no unit's incidents (DESIGN §5 "Roles")
        cursor = vs.execute(f"SELECT i.id FROM incident i WHERE{own}", (me, me, me))
    else:
        cursor = vs.execute(
            "SELECT i.id FROM incident i WHERE i.unit_id = ?"
            " OR i.id IN (SELECT e.incident_id FROM person p"
            "             JOIN incident_exposure e ON e.person_id = p.id WHERE p.unit_id = ?)"
            f" OR{own}",
            (unit, unit, me, me, me),
        )
    return {int(r[0]) for r in cursor}


def check_visible(vs: VaultSession, incident_id: int) -> Incident:
    """The visible, non-voided incident ``incident_id`` or :class:`NotFound`."""
    visible = visible_ids(vs)
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None or incident.voided_at is not None or (
            visible is not None and incident_id not in visible):
        raise NotFound(_("Incident {id} was not found.").format(id=incident_id))
    return incident


# --------------------------------------------------------------------------- shapes


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
        visible = visible_ids(vs)
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
    with vs.snapshot():  # read without the write lock; the view event is written after
        incident = check_visible(vs, incident_id)
        row = _incident_rows(vs, [incident], now)[0]
    with vs.transaction():  # nothing is returned unless the view is recorded
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
    require_writer(vs)
    with vs.reading():
        query = (User.select(User.id, User.username, User.display_name)
                 .where((User.active == True)  # noqa: E712
                        & User.role.in_([Role.COUNSELOR.value, Role.COORDINATOR.value]))
                 .order_by(User.display_name))
        return [Responder(int(u.id), u.username, u.display_name) for u in query]


def units(vs: VaultSession) -> list[UnitChoice]:
    """Active units by code (for a person added on the spot)."""
    require_writer(vs)
    with vs.reading():
        query = Unit.select().where(Unit.active == True).order_by(Unit.code)  # noqa: E712
        return [UnitChoice(int(u.id), u.code, u.name) for u in query]


def person_choice(vs: VaultSession, person_id: int) -> PersonChoice:
    """One person as the picker shows them (to prefill the emergency form from a record).

    Raises :class:`NotFound` for an unknown or voided person.
    """
    require_writer(vs)
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
    require_writer(vs)
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
    visible = visible_ids(vs)
    limit = store_time(vs, now + pol.warn_before + timedelta(days=1))  # margin for odd offsets
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

"""Firearm restriction register 配枪管理 (DESIGN §6, §7.3; shared/domain/policy.md; issue 19).

Lifecycle (rules in :mod:`counselor_tui.domain.firearms`): a counselor or coordinator
*recommends* a restriction with a non-clinical reason code; only a **coordinator** records
the decision of the named personnel-department decision-maker (suspended / revoked /
declined), each review (no change, revoke) and the reinstatement — every other role gets
:class:`PermissionDenied` from the service itself.

Storage: every step is an event of its own (:mod:`counselor_tui.services.firearm_events`,
never overwritten), with its own decision-maker, date and next review; the
:class:`db.models.FirearmRestriction` row holds the recommendation and, as a summary of the
events, the current ``status`` and next ``review_on`` (a date). Dates of events are
``YYYY-MM-DD``; no event may be dated in the future or before the decision it follows.

The notice of one decision for the personnel department is
:mod:`counselor_tui.services.firearm_notice`.

Visibility: coordinators see the whole register; a counselor sees restrictions of persons of
their unit and those they recommended (all, without a unit). Auditors and admins see none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from counselor_tui.domain import firearms as rules
from counselor_tui.domain.dates import relative_hint
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.domain.vocab import FIREARM_STATUSES
from counselor_tui.i18n import _
from counselor_tui.services import audit, firearm_events
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.firearm_events import FirearmEventRow
from counselor_tui.services.incidents import policy
from db.models import FirearmRestriction, Person

__all__ = [
    "ArmoryRow",
    "RestrictionRow",
    "active_status",
    "current_restrictions",
    "dashboard_section",
    "get",
    "recommend",
    "record_decision",
    "register",
    "reinstate",
    "require_coordinator",
    "review",
    "review_due",
    "should_prompt_recommendation",
]

MAX_NOTE = 2000
#: Reviews due within this many days are listed on the dashboard.
REVIEW_SOON_DAYS = 7


@dataclass(frozen=True)
class RestrictionRow:
    """One restriction of the register with its history. Dates ``YYYY-MM-DD`` (None when
    not yet); ``note`` is the recommendation note (never printed on a notice).

    ``events`` is the full sequence (recommended, decided, each review, reinstated) in the
    order recorded; ``decided_on`` / ``decided_by_name`` are those of the *latest* decision
    event (None before a decision), ``restricted_on`` the date of the decision that
    restricted the firearm, ``ended_on`` the date of the declining or reinstating decision.
    """

    id: int
    person_id: int
    person_name: str
    badge_no: str | None
    unit_name: str | None
    status: str
    reason_code: str
    recommended_by: str
    recommended_at: str
    review_on: str | None
    note: str
    events: tuple[FirearmEventRow, ...] = ()

    @property
    def decisions(self) -> tuple[FirearmEventRow, ...]:
        """The decision events (decided, reviewed, reinstated), in order."""
        return tuple(e for e in self.events if e.kind != "recommended")

    @property
    def latest_decision(self) -> FirearmEventRow | None:
        """The latest decision event, or None while only recommended."""
        decisions = self.decisions
        return decisions[-1] if decisions else None

    @property
    def decided_on(self) -> str | None:
        """The date of the latest decision (None before one, or when not kept)."""
        last = self.latest_decision
        return last.on_date if last is not None else None

    @property
    def decided_by_name(self) -> str | None:
        """The decision-maker of the latest decision."""
        last = self.latest_decision
        return last.decided_by_name if last is not None else None

    @property
    def restricted_on(self) -> str | None:
        """The date of the decision that restricted the firearm (the first restricting
        decision or review with a known date)."""
        return _restricted_on(self.events)

    @property
    def ended_on(self) -> str | None:
        """The date of the declining or reinstating decision, if the restriction ended."""
        for e in reversed(self.events):
            if e.kind == "reinstated" or (e.kind == "decided" and e.outcome == "declined"):
                return e.on_date
        return None


@dataclass(frozen=True)
class ArmoryRow:
    """An officer who may not draw a firearm now (for the armory): no reason, no note;
    ``decided_on`` the date the firearm was restricted."""

    restriction_id: int
    person_id: int
    name: str
    badge_no: str | None
    unit_name: str | None
    status: str
    decided_on: str | None
    review_on: str | None


# --------------------------------------------------------------------------- helpers


def _restricted_on(events: tuple[FirearmEventRow, ...]) -> str | None:
    dates = [e.on_date for e in events if e.on_date and (
        (e.kind == "decided" and (e.outcome in rules.RESTRICTED or e.outcome is None))
        or (e.kind == "reviewed" and e.outcome == "revoked"))]
    return min(dates) if dates else None


def _tracked(vs: VaultSession) -> dict[str, Any]:
    now = vs.now_iso()
    return {"created_at": now, "created_by": vs.actor.id, "updated_at": now,
            "updated_by": vs.actor.id}


def _review_days(vs: VaultSession) -> int:
    try:
        return policy(vs).firearm_review_days
    except InvalidInput:
        return rules.DEFAULT_REVIEW_DAYS


def _require_reader(vs: VaultSession) -> None:
    if vs.actor.role not in WRITES_RECORDS:
        raise PermissionDenied(
            _("Your role ({role}) may not do this.").format(role=vs.actor.role.label))


def require_coordinator(vs: VaultSession) -> None:
    """Raise :class:`PermissionDenied` unless the acting account is a coordinator (only
    coordinators record firearm decisions and write notices)."""
    if vs.actor.role is not Role.COORDINATOR:
        raise PermissionDenied(_(
            "Only a coordinator records firearm decisions (your role: {role})."
        ).format(role=vs.actor.role.label))


def _visible(vs: VaultSession, row: FirearmRestriction, person: Person) -> bool:
    if vs.actor.role is Role.COORDINATOR:
        return True
    # a counselor: their unit's officers and what they recommended; of no unit, only the latter
    return ((vs.actor.unit_id is not None and person.unit_id == vs.actor.unit_id)
            or row.recommended_by_id == vs.actor.id)


def _get(vs: VaultSession, restriction_id: int) -> tuple[FirearmRestriction, Person]:
    row = FirearmRestriction.get_or_none(FirearmRestriction.id == restriction_id)
    person = Person.get_or_none(Person.id == row.person_id) if row is not None else None
    if row is None or person is None or not _visible(vs, row, person):
        raise NotFound(_("Firearm restriction {id} was not found.").format(id=restriction_id))
    return row, person


def _check_date(day: date, today: date, what: str) -> None:
    if day > today:
        raise InvalidInput(_("The {what} cannot lie in the future.").format(what=what))


def _after_last_decision(vs: VaultSession, restriction_id: int, day: date) -> None:
    """Refuse a decision dated before the latest decision of the restriction."""
    last = vs.execute(
        "SELECT max(on_date) FROM firearm_event WHERE restriction_id = ? "
        "AND kind != 'recommended'", (restriction_id,)).fetchone()[0]
    if last and day.isoformat() < str(last):
        raise InvalidInput(_("This decision cannot come before the previous one ({date}).")
                           .format(date=last))


def _decision_maker(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise InvalidInput(_("Name the decision-maker of the personnel department."))
    if len(text) > 60:
        raise InvalidInput(_("The decision-maker's name is too long."))
    return text


def _status_label(code: str) -> str:
    msgid = FIREARM_STATUSES.get(code)
    return _(msgid) if msgid else code


def _transition(current: str, target: str) -> None:
    try:
        rules.next_status(current, target)
    except rules.FirearmRuleError as exc:
        raise Conflict(str(exc)) from None


def _set_head(vs: VaultSession, row: FirearmRestriction, status: str,
              review_on: date | None) -> None:
    """Update the restriction's summary of its events: current status and next review."""
    row.status = status
    row.review_on = review_on.isoformat() if review_on else None
    row.updated_at, row.updated_by_id = vs.now_iso(), vs.actor.id
    row.save()


def _rows(vs: VaultSession, where: str, params: tuple[Any, ...]) -> list[RestrictionRow]:
    cursor = vs.execute(
        "SELECT f.id, p.id, p.name, p.badge_no, un.name, f.status, f.reason_code,"
        " us.display_name, f.recommended_at, f.review_on, f.note, p.unit_id,"
        " f.recommended_by_id"
        " FROM firearm_restriction f JOIN person p ON p.id = f.person_id"
        " LEFT JOIN unit un ON un.id = p.unit_id JOIN user us ON us.id = f.recommended_by_id"
        f" WHERE {where} ORDER BY f.review_on IS NULL, f.review_on, f.recommended_at, f.id",
        params)
    found = []
    scoped = vs.actor.role is not Role.COORDINATOR
    unit = vs.actor.unit_id  # a counselor of no unit: only what they recommended
    for r in cursor:
        if scoped and not ((unit is not None and r[11] == unit) or r[12] == vs.actor.id):
            continue
        found.append(r)
    events = firearm_events.events_of(vs, [int(r[0]) for r in found])
    return [RestrictionRow(
        id=int(r[0]), person_id=int(r[1]), person_name=r[2], badge_no=r[3],
        unit_name=r[4], status=r[5], reason_code=r[6], recommended_by=r[7],
        recommended_at=r[8], review_on=r[9], note=r[10] or "", events=events[int(r[0])])
        for r in found]


# --------------------------------------------------------------------------- lifecycle


def recommend(vs: VaultSession, person_id: int, reason_code: str, note: str = "") -> int:
    """Recommend a firearm restriction for an officer (counselor or coordinator).

    ``reason_code`` one of :data:`counselor_tui.domain.firearms.REASON_CODES` (non-clinical);
    ``note`` free text kept in the register, never on a notice. Appends the ``recommended``
    event. Returns the restriction id. Raises :class:`InvalidInput` (unknown reason, not an
    officer), :class:`NotFound`, :class:`Conflict` (an active restriction exists),
    :class:`PermissionDenied`.
    """
    vs.require(Role.COUNSELOR, Role.COORDINATOR)
    if reason_code not in rules.REASON_CODES:
        raise InvalidInput(_("Choose a reason code."))
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput(_("The note is too long (at most {n} characters).").format(n=MAX_NOTE))
    with vs.transaction():
        person = Person.get_or_none((Person.id == person_id) & Person.voided_at.is_null())
        if person is None:
            raise NotFound(_("Person {id} was not found.").format(id=person_id))
        if person.kind != "officer":
            raise InvalidInput(_("Only an officer's firearm qualification can be restricted."))
        active = FirearmRestriction.get_or_none(
            (FirearmRestriction.person == person_id)
            & FirearmRestriction.status.in_(sorted(rules.ACTIVE)))
        if active is not None:
            raise Conflict(_("This officer already has a restriction that is “{status}”.")
                           .format(status=_status_label(active.status)))
        row = FirearmRestriction.create(
            person=person_id, status="recommended", reason_code=reason_code,
            recommended_by=vs.actor.id, recommended_at=vs.now_iso(), note=text,
            **_tracked(vs))
        event = firearm_events.append(vs, row.id, "recommended",
                                      on_date=vs.today().isoformat(), reason_code=reason_code)
        audit.record(vs, "create", "firearm_restriction", row.id,
                     {"status": "recommended", "reason_code": reason_code,
                      "person_id": person_id, "event_id": event})
    return int(row.id)


def record_decision(
    vs: VaultSession,
    restriction_id: int,
    decision: str,
    decided_by_name: str,
    decided_on: date,
    review_on: date | None = None,
) -> int:
    """Record the personnel department's decision on a recommendation (coordinator only);
    appends a ``decided`` event and returns its id.

    ``decision`` suspended / revoked / declined; ``decided_by_name`` the named
    decision-maker; ``decided_on`` not in the future; ``review_on`` (suspended / revoked)
    defaults to ``decided_on`` + the policy's review days (90) and must follow
    ``decided_on``. A declined recommendation ends on ``decided_on``. Raises
    :class:`PermissionDenied` for every role but coordinator, :class:`InvalidInput`,
    :class:`NotFound`, :class:`Conflict` (not a pending recommendation); a decision dated
    before the recommendation is :class:`InvalidInput`.
    """
    require_coordinator(vs)
    if decision not in rules.DECISIONS:
        raise InvalidInput(_("Choose the decision: suspended, revoked or declined."))
    name = _decision_maker(decided_by_name)
    _check_date(decided_on, vs.today(), _("decision date"))
    if decision == "declined":
        review = None
    else:
        review = review_on or rules.default_review_on(decided_on, _review_days(vs))
        if review <= decided_on:
            raise InvalidInput(_("The review date must come after the decision date."))
    with vs.transaction():
        row, _person = _get(vs, restriction_id)
        _transition(row.status, decision)
        recommended_on = str(row.recommended_at)[:10]
        if decided_on.isoformat() < recommended_on:
            raise InvalidInput(_("The decision cannot come before the recommendation "
                                 "({date}).").format(date=recommended_on))
        before = row.status
        event = firearm_events.append(
            vs, row.id, "decided", outcome=decision, on_date=decided_on.isoformat(),
            decided_by_name=name, next_review_on=review.isoformat() if review else None)
        _set_head(vs, row, decision, review)
        audit.record(vs, "update", "firearm_restriction", row.id,
                     {"change": "decision", "from": before, "to": decision,
                      "event_id": event})
    return event


def review(
    vs: VaultSession,
    restriction_id: int,
    outcome: str,
    decided_by_name: str,
    decided_on: date,
    next_review_on: date | None = None,
) -> int:
    """Record the review of a suspension or revocation (coordinator only); appends a
    ``reviewed`` event and returns its id.

    ``outcome``: ``no_change`` (same status, next review on ``next_review_on``, default
    ``decided_on`` + 90 days), ``revoked`` (a suspension becomes a revocation, next review
    likewise) or ``reinstated`` (recorded as the ``reinstated`` event of :func:`reinstate`).
    Raises as :func:`record_decision`; :class:`Conflict` when the restriction is not in
    force; :class:`InvalidInput` for a review dated before the previous decision.
    """
    require_coordinator(vs)
    if outcome not in rules.REVIEW_OUTCOMES:
        raise InvalidInput(_("Choose the outcome of the review."))
    if outcome == "reinstated":
        return reinstate(vs, restriction_id, decided_by_name, decided_on)
    name = _decision_maker(decided_by_name)
    _check_date(decided_on, vs.today(), _("review date"))
    following = next_review_on or rules.default_review_on(decided_on, _review_days(vs))
    if following <= decided_on:
        raise InvalidInput(_("The next review date must come after the review."))
    with vs.transaction():
        row, _person = _get(vs, restriction_id)
        before = row.status
        target = before if outcome == "no_change" else outcome
        if before not in rules.RESTRICTED:
            raise Conflict(_("Only a suspension or revocation in force can be reviewed."))
        _transition(before, target)
        _after_last_decision(vs, row.id, decided_on)
        event = firearm_events.append(
            vs, row.id, "reviewed", outcome=outcome, on_date=decided_on.isoformat(),
            decided_by_name=name, next_review_on=following.isoformat())
        _set_head(vs, row, target, following)
        audit.record(vs, "update", "firearm_restriction", row.id,
                     {"change": "review", "from": before, "to": target, "event_id": event})
    return event


def reinstate(vs: VaultSession, restriction_id: int, decided_by_name: str,
              decided_on: date) -> int:
    """Reinstate the firearm qualification (coordinator only): appends a ``reinstated``
    event with its own decision-maker and date (the earlier decisions keep theirs); status
    ``reinstated``, no further review. Returns the event id. Raises as
    :func:`record_decision`; :class:`InvalidInput` before the previous decision.
    """
    require_coordinator(vs)
    name = _decision_maker(decided_by_name)
    _check_date(decided_on, vs.today(), _("decision date"))
    with vs.transaction():
        row, _person = _get(vs, restriction_id)
        before = row.status
        _transition(before, "reinstated")
        _after_last_decision(vs, row.id, decided_on)
        event = firearm_events.append(vs, row.id, "reinstated", outcome="reinstated",
                                      on_date=decided_on.isoformat(), decided_by_name=name)
        _set_head(vs, row, "reinstated", None)
        audit.record(vs, "update", "firearm_restriction", row.id,
                     {"change": "reinstated", "from": before, "to": "reinstated",
                      "event_id": event})
    return event


# --------------------------------------------------------------------------- reading


def register(vs: VaultSession, include_ended: bool = False) -> list[RestrictionRow]:
    """The register: restrictions in force or pending (recommended / suspended / revoked),
    plus ended ones (declined / reinstated) with ``include_ended``; by review date."""
    _require_reader(vs)
    statuses = sorted(FIREARM_STATUSES if include_ended else rules.ACTIVE)
    marks = ",".join("?" * len(statuses))
    with vs.reading():
        return _rows(vs, f"f.status IN ({marks})", tuple(statuses))


def current_restrictions(vs: VaultSession) -> list[ArmoryRow]:
    """Officers currently restricted (suspended or revoked), for the armory, by unit and
    name: no reason code, no note."""
    _require_reader(vs)
    with vs.reading():
        rows = _rows(vs, "f.status IN ('revoked', 'suspended')", ())
    rows.sort(key=lambda r: (r.unit_name or "", r.person_name, r.id))
    return [ArmoryRow(r.id, r.person_id, r.person_name, r.badge_no, r.unit_name, r.status,
                      r.restricted_on, r.review_on) for r in rows]


def get(vs: VaultSession, restriction_id: int) -> RestrictionRow:
    """One restriction with its events (any status). Raises :class:`NotFound` (also for a
    restriction this account may not see), :class:`PermissionDenied`."""
    _require_reader(vs)
    with vs.reading():
        rows = _rows(vs, "f.id = ?", (restriction_id,))
    if not rows:
        raise NotFound(_("Firearm restriction {id} was not found.").format(id=restriction_id))
    return rows[0]


def review_due(vs: VaultSession, within_days: int = REVIEW_SOON_DAYS) -> list[RestrictionRow]:
    """Suspensions and revocations whose review date is today + ``within_days`` or earlier."""
    _require_reader(vs)
    limit = (vs.today() + timedelta(days=within_days)).isoformat()
    with vs.reading():
        return _rows(vs, "f.status IN ('revoked', 'suspended') AND f.review_on <= ?",
                     (limit,))


def active_status(vs: VaultSession, person_id: int) -> str | None:
    """The status of the person's restriction in force or pending, else None (for the
    person record's firearm status and the prompt)."""
    _require_reader(vs)
    with vs.reading():
        row = (FirearmRestriction.select(FirearmRestriction.status)
               .where((FirearmRestriction.person == person_id)
                      & FirearmRestriction.status.in_(sorted(rules.ACTIVE)))
               .first())
    return None if row is None else str(row.status)


def should_prompt_recommendation(
    vs: VaultSession,
    person_id: int,
    *,
    tier: str | None = None,
    risk: str | None = None,
    critical_item: bool = False,
) -> bool:
    """Whether to offer the recommendation modal for ``person_id`` after a red tier, an
    ``imminent`` risk or a critical item (:func:`counselor_tui.domain.firearms.
    should_prompt_recommendation`): only for officers without an active restriction, and
    only to counselors/coordinators. Never changes anything."""
    if vs.actor.role not in WRITES_RECORDS:
        return False
    with vs.reading():
        person = Person.get_or_none(Person.id == person_id)
    if person is None or person.kind != "officer":
        return False
    return rules.should_prompt_recommendation(
        tier=tier, risk=risk, critical_item=critical_item,
        active_status=active_status(vs, person_id))


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """Firearm block of the dashboard: recommendations awaiting a decision, and reviews
    due within 7 days (overdue reviews ``urgent``). None when there is nothing, or for
    auditors/admins."""
    if vs.actor.role not in WRITES_RECORDS:
        return None
    today = vs.today().isoformat()
    with vs.reading():
        pending = _rows(vs, "f.status = 'recommended'", ())
    due = review_due(vs)
    items: list[DashboardItem] = []
    for r in due:
        overdue = (r.review_on or "") < today
        hint = relative_hint(date.fromisoformat(r.review_on), vs.today()) if r.review_on else ""
        items.append(DashboardItem(
            text=_("Firearm review · {name} · {status} · review {date} ({hint})").format(
                name=r.person_name, status=_status_label(r.status), date=r.review_on,
                hint=hint),
            person_id=r.person_id, due=r.review_on, level="urgent" if overdue else "warning",
            ref=f"firearms:{r.id}"))
    for r in pending:
        items.append(DashboardItem(
            text=_("Firearm recommendation awaiting decision · {name}").format(
                name=r.person_name),
            person_id=r.person_id, due=None, level="warning", ref=f"firearms:{r.id}"))
    if not items:
        return None
    reviews = _("{n} review due") if len(due) == 1 else _("{n} reviews due")
    summary = _("{n} awaiting decision").format(n=len(pending)) + " · " + reviews.format(
        n=len(due))
    level = "urgent" if any(i.level == "urgent" for i in items) else "warning"
    return DashboardSection(id="firearms", title=_("Firearms"), items=tuple(items),
                            summary=summary, level=level)

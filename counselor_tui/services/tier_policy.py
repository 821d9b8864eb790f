"""Tier suggestions and decisions (DESIGN §7.2, ``shared/domain/policy.md``).

The policy in force is the packaged default (``counselor_tui/settings/policy.toml``) unless
the vault setting ``tier_policy`` holds a bureau's own policy text (:func:`set_policy`).

Flow:

1. an event — a new assessment (:mod:`counselor_tui.services.assessments`), a session risk
   (:func:`suggest_for_session_risk`, for the sessions service), an incident exposure
   (:func:`suggest_for_exposure`, called by the incidents service) — is evaluated by
   :func:`counselor_tui.domain.policy.suggest_tier`; when it gives a tier *higher* than the
   person's current one a pending :class:`TierSuggestion` row is stored (never lower);
2. a counselor or coordinator :func:`confirm`\\ s it, :func:`override`\\ s it with another
   tier and a written reason, or changes a tier by hand with :func:`set_tier` (lowering at a
   review needs a written reason);
3. each decision writes a :class:`TierChange` (``from_tier`` → ``to_tier``, reason, evidence =
   the suggestion's evidence ids plus ``suggestion``), upserts :class:`TierState` (``since`` =
   today when the tier changed; ``review_due`` = today + the tier's interval, see
   :func:`counselor_tui.domain.policy.review_due`) and marks other pending suggestions of the
   person at or below the new tier ``superseded``. A decision that keeps the current tier is a
   review: it is recorded too (``from_tier == to_tier``) and restarts the review interval.

Roles: decisions by counselors (persons they see, DESIGN §5) and coordinators; the pending
list follows the same visibility. Audit details carry ids only (never tiers, names or
reasons: the audit log is read by auditors, who see no clinical data).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from counselor_tui.domain import policy as rules
from counselor_tui.domain import vocab
from counselor_tui.domain.dates import from_storage
from counselor_tui.domain.permissions import Action
from counselor_tui.domain.roles import WRITES_RECORDS
from counselor_tui.i18n import _
from counselor_tui.services import audit
from counselor_tui.services.access import can_see_person, visibility_sql
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from counselor_tui.services.settings import get_setting, set_setting
from db.models import Incident, Person, TierChange, TierState, TierSuggestion

POLICY_SETTING = "tier_policy"
MAX_REASON = 2000


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class TierStateRow:
    """A person's current tier, since when (``YYYY-MM-DD``) and the next review date."""

    person_id: int
    tier: str
    since: str
    review_due: str | None


@dataclass(frozen=True)
class SuggestionRow:
    """One tier suggestion. ``rule_label`` is translated; ``evidence`` holds ids and codes
    (``assessment``/``session``/``incident``, ``instrument``, ``rules``, ``critical_items``).
    ``current_tier`` is the person's tier now (``None`` when untiered)."""

    id: int
    person_id: int
    person_name: str
    badge_no: str | None
    unit_name: str | None
    tier: str
    current_tier: str | None
    rule: str
    rule_label: str
    evidence: Mapping[str, Any]
    status: str
    created_at: str


@dataclass(frozen=True)
class TierChangeRow:
    """One entry of a person's tier history (newest first in :func:`history`)."""

    id: int
    person_id: int
    from_tier: str | None
    to_tier: str
    reason: str
    evidence: Mapping[str, Any]
    suggested: bool
    by: str
    at: str


@dataclass(frozen=True)
class Decision:
    """What a decision wrote: the change, the new state and how many other pending
    suggestions it superseded."""

    change: TierChangeRow
    state: TierStateRow
    superseded: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- policy


def policy(vs: VaultSession) -> rules.TierPolicy:
    """The policy in force: the vault setting ``tier_policy`` (TOML text) or the packaged
    default. Raises :class:`InvalidInput` when the stored text no longer validates."""
    text = get_setting(vs, POLICY_SETTING, None)
    if not isinstance(text, str) or not text.strip():
        return rules.default_policy()
    try:
        return rules.load_policy(text)
    except rules.PolicyError as exc:
        raise InvalidInput(_("The stored tier policy is invalid: {fault}").format(
            fault=str(exc))) from None


def set_policy(vs: VaultSession, text: str | None) -> rules.TierPolicy:
    """Store a bureau's policy (TOML text; ``None`` or blank restores the default) after
    validating it; admin or coordinator; audited ``settings_change``. Raises
    :class:`InvalidInput` naming the line of a fault, :class:`PermissionDenied`."""
    vs.require_to(Action.SET_TIER_POLICY)
    if text is None or not text.strip():
        set_setting(vs, POLICY_SETTING, None)
        return rules.default_policy()
    try:
        parsed = rules.load_policy(text)
    except rules.PolicyError as exc:
        raise InvalidInput(str(exc)) from None
    set_setting(vs, POLICY_SETTING, text)
    return parsed


def census_windows(vs: VaultSession) -> list[tuple[date, date]]:
    """``(starts_on, ends_on)`` of every census (for the green review date); inside a
    reading or a transaction."""
    return [(date.fromisoformat(str(r[0])), date.fromisoformat(str(r[1])))
            for r in vs.execute("SELECT starts_on, ends_on FROM census")]


# --------------------------------------------------------------------------- access


def _require_decider(vs: VaultSession) -> None:
    vs.require_to(Action.RECORD_ASSESSMENT)


def _visible(vs: VaultSession, person_id: int) -> bool:
    return can_see_person(vs, person_id)


def visible_person(vs: VaultSession, person_id: int) -> Person:
    """The non-voided person ``person_id`` if the actor sees it, else :class:`NotFound`
    (inside a reading or a transaction)."""
    person = Person.get_or_none((Person.id == person_id) & Person.voided_at.is_null())
    if person is None or not _visible(vs, person_id):
        raise NotFound(_("No such person, or not visible to your account."))
    return person


#: Evidence a hand decision may rest on (:func:`set_tier`,
#: :func:`counselor_tui.services.tier_review.change`): kind → the person's own ids.
EVIDENCE_KINDS = ("assessments", "sessions", "incidents")
#: The one-id form the assessment screen stores (``{"assessment": id}``).
EVIDENCE_SINGLE = {"assessment": "assessments"}
_EVIDENCE_SQL = {
    "assessments": "SELECT id FROM assessment WHERE person_id = ? AND voided_at IS NULL",
    "sessions": "SELECT id FROM counseling_session WHERE person_id = ? AND voided_at IS NULL",
    "incidents": "SELECT i.id FROM incident_exposure e JOIN incident i ON i.id = e.incident_id "
                 "WHERE e.person_id = ? AND i.voided_at IS NULL",
}


def serving_person(vs: VaultSession, person_id: int) -> Person:
    """:func:`visible_person`, refused with :class:`Conflict` when the person left service
    (a former officer has no tier work). Inside a reading or a transaction."""
    person = visible_person(vs, person_id)
    if person.archived_at:
        raise Conflict(_("This person has left service: their tier is no longer reviewed."))
    return person


def checked_evidence(vs: VaultSession, person_id: int,
                     evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence of a hand decision, checked: keys of :data:`EVIDENCE_KINDS` (lists of
    ids, returned sorted and unique; empty lists dropped) or :data:`EVIDENCE_SINGLE` (one
    id), each id an existing non-voided record of this person. Raises
    :class:`InvalidInput` for an unknown key, a non-integer id or a record that is not
    the person's (issue 15 attacker finding: forged evidence stored unchecked)."""
    clean: dict[str, Any] = {}
    for key, value in evidence.items():
        kind = EVIDENCE_SINGLE.get(key, key)
        if kind not in EVIDENCE_KINDS:
            raise InvalidInput(_("Unknown kind of evidence '{kind}'.").format(kind=key))
        single = key in EVIDENCE_SINGLE
        raw = [value] if single else value
        if not isinstance(raw, (list, tuple)) or any(
                isinstance(i, bool) or not isinstance(i, int) for i in raw):
            raise InvalidInput(_("Evidence is given as record ids."))
        wanted = sorted({int(i) for i in raw})
        if not wanted:
            continue
        own = {int(r[0]) for r in vs.execute(_EVIDENCE_SQL[kind], (person_id,))}
        if any(i not in own for i in wanted):
            raise InvalidInput(_("The evidence names a record that is not this person's."))
        clean[key] = wanted[0] if single else wanted
    return clean


# --------------------------------------------------------------------------- reading


def state_of(person_id: int) -> TierState | None:
    """The person's :class:`TierState` row or ``None`` (inside a reading/transaction)."""
    return TierState.get_or_none(TierState.person == person_id)


def current_tier(vs: VaultSession, person_id: int) -> TierStateRow | None:
    """The person's tier now, or ``None`` when untiered. Raises :class:`NotFound` when the
    person is not visible to the actor."""
    with vs.reading():
        visible_person(vs, person_id)
        state = state_of(person_id)
    return None if state is None else _state_row(state)


def _state_row(state: TierState) -> TierStateRow:
    return TierStateRow(int(state.person_id), str(state.tier), str(state.since),
                        state.review_due)


def _suggestion_rows(vs: VaultSession, where: str, params: tuple[Any, ...],
                     limit: int | None = None) -> list[SuggestionRow]:
    cond, vparams = visibility_sql(vs)
    pol = policy(vs)
    cursor = vs.execute(
        "SELECT s.id, s.person_id, p.name, p.badge_no, u.name, s.tier, t.tier, s.rule, "
        "s.evidence, s.status, s.created_at FROM tier_suggestion s "
        "JOIN person p ON p.id = s.person_id LEFT JOIN unit u ON u.id = p.unit_id "
        "LEFT JOIN tier_state t ON t.person_id = s.person_id "
        f"WHERE p.voided_at IS NULL AND {cond} AND {where} "
        "ORDER BY CASE s.tier WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, "
        "s.created_at DESC, s.id DESC" + ("" if limit is None else " LIMIT ?"),
        (*vparams, *params, *(() if limit is None else (limit,))))
    rows = []
    for r in cursor:
        evidence = json.loads(r[8]) if r[8] else {}
        rows.append(SuggestionRow(
            id=int(r[0]), person_id=int(r[1]), person_name=str(r[2]), badge_no=r[3],
            unit_name=r[4], tier=str(r[5]), current_tier=r[6], rule=str(r[7]),
            rule_label=pol.rule_label(str(r[7])), evidence=evidence, status=str(r[9]),
            created_at=str(r[10])))
    return rows


def pending(vs: VaultSession, person_id: int | None = None) -> list[SuggestionRow]:
    """Pending suggestions of persons the actor sees (red first, newest first), optionally
    of one person. Auditors get :class:`PermissionDenied` (person data)."""
    with vs.reading():
        if person_id is None:
            return _suggestion_rows(vs, "s.status = 'pending'", ())
        return _suggestion_rows(vs, "s.status = 'pending' AND s.person_id = ?", (person_id,))


def get_suggestion(vs: VaultSession, suggestion_id: int) -> SuggestionRow:
    """One suggestion (any status); :class:`NotFound` when missing or not visible."""
    with vs.reading():
        rows = _suggestion_rows(vs, "s.id = ?", (suggestion_id,))
    if not rows:
        raise NotFound(_("No such tier suggestion, or not visible to your account."))
    return rows[0]


def history(vs: VaultSession, person_id: int) -> list[TierChangeRow]:
    """Every tier change of a visible person, newest first, with evidence ids."""
    with vs.reading():
        visible_person(vs, person_id)
        cursor = vs.execute(
            "SELECT c.id, c.person_id, c.from_tier, c.to_tier, c.reason, c.evidence, "
            "c.suggested, u.display_name, c.at FROM tier_change c JOIN user u ON u.id = c.by_id "
            "WHERE c.person_id = ? ORDER BY c.at DESC, c.id DESC", (person_id,))
        return [_change_row_from(r) for r in cursor]


def _change_row_from(r: Any) -> TierChangeRow:
    return TierChangeRow(id=int(r[0]), person_id=int(r[1]), from_tier=r[2], to_tier=str(r[3]),
                         reason=str(r[4]), evidence=json.loads(r[5]) if r[5] else {},
                         suggested=bool(r[6]), by=str(r[7]), at=str(r[8]))


# --------------------------------------------------------------------------- suggesting


def suggest(vs: VaultSession, person_id: int, event: rules.Event) -> SuggestionRow | None:
    """Evaluate ``event`` for ``person_id`` and store a pending suggestion when it is higher
    than the current tier; returns it, or ``None`` (nothing higher to suggest).

    Runs in the caller's transaction when there is one (services call it while writing the
    assessment, session or exposure), else in its own. No role check: the calling service
    has checked the actor. Audited ``create tier_suggestion``.
    """
    pol = policy(vs)
    with vs.transaction():
        person = Person.get_or_none((Person.id == person_id) & Person.voided_at.is_null())
        if person is None:
            raise NotFound(_("No such person, or not visible to your account."))
        state = state_of(person_id)
        current = None if state is None else str(state.tier)
        suggestion = rules.suggest_tier(pol, event, current, vs.today())
        if suggestion is None:
            return None
        row = TierSuggestion.create(
            person=person_id, tier=suggestion.tier, rule=suggestion.rule,
            evidence=dict(suggestion.evidence), status="pending", created_at=vs.now_iso())
        audit.record(vs, "create", "tier_suggestion", row.id,
                     {"person_id": person_id, "rules": list(suggestion.rules)})
        unit = person.unit
        return SuggestionRow(
            id=int(row.id), person_id=person_id, person_name=str(person.name),
            badge_no=person.badge_no, unit_name=None if unit is None else str(unit.name),
            tier=suggestion.tier, current_tier=current, rule=suggestion.rule,
            rule_label=pol.rule_label(suggestion.rule), evidence=dict(suggestion.evidence),
            status="pending", created_at=str(row.created_at))


def suggest_for_session_risk(vs: VaultSession, person_id: int | None, session_id: int,
                             risk: str) -> SuggestionRow | None:
    """The suggestion for a session's recorded ``risk`` (policy: high/imminent → red,
    moderate → yellow); ``None`` for an anonymous caller or nothing higher. For the
    sessions service, inside or outside its transaction."""
    if person_id is None:
        return None
    return suggest(vs, person_id, rules.SessionRiskFacts(risk, session_id))


def suggest_for_exposure(vs: VaultSession, person_id: int, incident_id: int,
                         role: str) -> SuggestionRow | None:
    """The suggestion for a person's exposure to incident ``incident_id`` in ``role``
    (policy: involved/injured within 30 days of the incident's ``occurred_at`` → red). For
    the incidents service, inside or outside its transaction. Raises :class:`NotFound` for
    an unknown incident."""
    with vs.transaction():
        incident = Incident.get_or_none(Incident.id == incident_id)
        if incident is None:
            raise NotFound(_("No such incident."))
        occurred = from_storage(str(incident.occurred_at)).astimezone(vs.now().tzinfo).date()
        return suggest(vs, person_id, rules.ExposureFacts(role, occurred, incident_id))


# --------------------------------------------------------------------------- deciding


def _clean_reason(reason: str, *, required: bool) -> str:
    text = reason.strip()
    if required and not text:
        raise InvalidInput(_("Write the reason for this decision."))
    if len(text) > MAX_REASON:
        raise InvalidInput(_("The reason is too long (at most {n} characters).").format(
            n=MAX_REASON))
    return text


def decide_in_transaction(vs: VaultSession, person_id: int, tier: str, reason: str,
                          evidence: Mapping[str, Any], suggested: bool,
                          suggestion: TierSuggestion | None, status: str) -> Decision:
    """Write the change and the state (inside the caller's transaction). A decision that
    keeps the tier is a review (``from_tier == to_tier``); its audit detail says so."""
    if tier not in vocab.TIER_ORDER:
        raise InvalidInput(_("Unknown tier '{tier}'.").format(tier=tier))
    pol = policy(vs)
    today = vs.today()
    now = vs.now_iso()
    state = state_of(person_id)
    before = None if state is None else str(state.tier)
    change = TierChange.create(person=person_id, from_tier=before, to_tier=tier, reason=reason,
                               evidence=dict(evidence), suggested=suggested, by=vs.actor.id,
                               at=now)
    due = rules.review_due(pol, tier, today, census_windows(vs)).isoformat()
    who = {"updated_at": now, "updated_by": vs.actor.id}
    if state is None:
        state = TierState.create(person=person_id, tier=tier, since=today.isoformat(),
                                 review_due=due, created_at=now, created_by=vs.actor.id, **who)
    else:
        if before != tier:
            state.since = today.isoformat()
        state.tier = tier
        state.review_due = due
        state.updated_at, state.updated_by_id = now, vs.actor.id
        state.save()
    if suggestion is not None:
        suggestion.status = status
        suggestion.resolved_at = now
        suggestion.resolved_by_id = vs.actor.id
        suggestion.change_id = int(change.id)
        suggestion.save()
    lower_or_equal = [t for t in vocab.TIER_ORDER if rules.rank(t) <= rules.rank(tier)]
    query = TierSuggestion.update(status="superseded", resolved_at=now,
                                  resolved_by=vs.actor.id, change=change.id).where(
        (TierSuggestion.person == person_id) & (TierSuggestion.status == "pending")
        & TierSuggestion.tier.in_(lower_or_equal))
    superseded = int(query.execute())
    audit.record(vs, "create", "tier_change", change.id, {
        "person_id": person_id, "suggestion": None if suggestion is None else suggestion.id,
        "suggested": suggested, "superseded": superseded, "review": before == tier})
    row = vs.execute(
        "SELECT c.id, c.person_id, c.from_tier, c.to_tier, c.reason, c.evidence, c.suggested, "
        "u.display_name, c.at FROM tier_change c JOIN user u ON u.id = c.by_id WHERE c.id = ?",
        (change.id,)).fetchone()
    return Decision(_change_row_from(row), _state_row(state), superseded)


def refuse_unchanged(person_id: int, tier: str) -> None:
    """Raise :class:`Conflict` when ``tier`` is already the person's tier (inside a
    transaction): a change must change something; a review keeps the tier."""
    state = state_of(person_id)
    if state is not None and str(state.tier) == tier:
        raise Conflict(_("The tier is already {tier}: this would not change it. Record a "
                         "review to keep it.").format(tier=vocab.label(vocab.TIERS, tier)))


def _pending_suggestion(vs: VaultSession, suggestion_id: int) -> TierSuggestion:
    suggestion = TierSuggestion.get_or_none(TierSuggestion.id == suggestion_id)
    if suggestion is None:
        raise NotFound(_("No such tier suggestion, or not visible to your account."))
    visible_person(vs, int(suggestion.person_id))
    if suggestion.status != "pending":
        raise Conflict(_("This suggestion was already decided."))
    return suggestion


def confirm(vs: VaultSession, suggestion_id: int, reason: str = "") -> Decision:
    """Accept a pending suggestion: the person's tier becomes the suggested one.

    ``reason`` is optional (default: the rule's label). The change's evidence is the
    suggestion's (e.g. ``{"assessment": 12, "rules": [...]}``) plus ``"suggestion"``.
    Raises :class:`Conflict` when the suggestion is decided already or no longer higher
    than the current tier (then use :func:`override` or :func:`set_tier`),
    :class:`NotFound`, :class:`PermissionDenied`.
    """
    _require_decider(vs)
    text = _clean_reason(reason, required=False)
    with vs.transaction():
        suggestion = _pending_suggestion(vs, suggestion_id)
        state = state_of(int(suggestion.person_id))
        current = None if state is None else str(state.tier)
        if not rules.is_higher(str(suggestion.tier), current):
            raise Conflict(_("The person's tier is already {tier}: confirming would not raise "
                             "it. Override it with a reason instead.").format(
                                 tier=vocab.label(vocab.TIERS, current)))
        evidence = {**dict(suggestion.evidence or {}), "suggestion": int(suggestion.id)}
        label = policy(vs).rule_label(str(suggestion.rule))
        return decide_in_transaction(vs, int(suggestion.person_id), str(suggestion.tier),
                                     text or label, evidence, True, suggestion, "confirmed")


def override(vs: VaultSession, suggestion_id: int, tier: str, reason: str) -> Decision:
    """Decide a pending suggestion differently: set ``tier`` (lower, equal to the current
    tier — a review that keeps it — or other) with a written ``reason`` (required).

    The change records ``suggested = False`` and evidence with ``suggestion`` and
    ``suggested_tier``. Raises :class:`InvalidInput` (no reason, unknown tier),
    :class:`Conflict`, :class:`NotFound`, :class:`PermissionDenied`.
    """
    _require_decider(vs)
    text = _clean_reason(reason, required=True)
    with vs.transaction():
        suggestion = _pending_suggestion(vs, suggestion_id)
        evidence = {**dict(suggestion.evidence or {}), "suggestion": int(suggestion.id),
                    "suggested_tier": str(suggestion.tier)}
        return decide_in_transaction(vs, int(suggestion.person_id), tier, text, evidence,
                                     False, suggestion, "overridden")


def set_tier(vs: VaultSession, person_id: int, tier: str, reason: str,
             evidence: Mapping[str, Any] | None = None) -> Decision:
    """Change a person's tier by hand (e.g. lowering it at a review) with a written
    ``reason`` (required) and optional evidence ids (checked by :func:`checked_evidence`,
    as :func:`counselor_tui.services.tier_review.change` does). Keeping the tier is a review
    (:func:`counselor_tui.services.tier_review.review`), not a change: raises
    :class:`Conflict` when ``tier`` is the current tier (issue 15: an unchanged tier saved
    as a change) or the person left service. Raises :class:`InvalidInput` (no reason,
    unknown tier, unknown or foreign evidence), :class:`NotFound`, :class:`PermissionDenied`."""
    _require_decider(vs)
    text = _clean_reason(reason, required=True)
    if tier not in vocab.TIER_ORDER:
        raise InvalidInput(_("Unknown tier '{tier}'.").format(tier=tier))
    with vs.transaction():
        serving_person(vs, person_id)
        refuse_unchanged(person_id, tier)
        checked = checked_evidence(vs, person_id, dict(evidence or {}))
        return decide_in_transaction(vs, person_id, tier, text, checked, False, None, "")


# --------------------------------------------------------------------------- dashboard


#: Suggestions listed on the dashboard (the summary counts them all).
_SHOWN = 20


def dashboard_section(vs: VaultSession) -> DashboardSection | None:
    """The dashboard block "tier suggestions to decide" (red first; policy.md: the
    coordinator is notified of red suggestions on the dashboard). ``None`` for roles that do
    not decide tiers."""
    if vs.actor.role not in WRITES_RECORDS:
        return None
    cond, vparams = visibility_sql(vs)
    with vs.reading():  # the counts, then only the 20 lines shown (not every evidence)
        total, red = (int(n or 0) for n in vs.execute(
            "SELECT COUNT(*), SUM(s.tier = 'red') FROM tier_suggestion s "
            "JOIN person p ON p.id = s.person_id "
            f"WHERE p.voided_at IS NULL AND {cond} AND s.status = 'pending'",
            tuple(vparams)).fetchone())
        rows = _suggestion_rows(vs, "s.status = 'pending'", (), limit=_SHOWN)
    items = tuple(
        DashboardItem(
            text=_("{name} · suggested {tier} · {rule}").format(
                name=r.person_name, tier=vocab.label(vocab.TIERS, r.tier), rule=r.rule_label),
            person_id=r.person_id, level="urgent" if r.tier == "red" else "info",
            ref=f"tier_suggestion:{r.id}")
        for r in rows)
    summary = _("{n} to decide").format(n=total)
    if red:
        summary += " · " + _("{n} red").format(n=red)
    return DashboardSection(id="tier_suggestions", title=_("Tier suggestions"), items=items,
                            summary=summary, level="urgent" if red else "info",
                            extra={"pending": total, "red": red})

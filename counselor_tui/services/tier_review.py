"""Tier on the record (issue 15 point 1): *review* a person's tier or *change* it by hand.

* :func:`review` confirms the current tier: a :class:`TierChange` with ``from_tier ==
  to_tier`` (a review event on the record's history), the next review date set by the
  policy (:func:`counselor_tui.domain.policy.review_due`, DESIGN §7.2: red 7 days, yellow
  30, green the next census), an optional note.
* :func:`change` sets another tier, picked explicitly, with a written reason (required) and
  the evidence it rests on: ids of the person's own assessments, sessions and incidents
  (:func:`evidence_choices` lists them). Setting the tier the person has already is refused
  (:class:`Conflict`): keeping a tier is a review, never a change.
* :func:`preview` tells a dialog what a review or change would set (current tier, the next
  review date per tier) without writing anything.

Both write through :func:`counselor_tui.services.tier_policy.decide_in_transaction`, so
pending suggestions at or below the tier are superseded as for any decision, and each is
audited ``create tier_change`` with ``review`` true or false (ids only, never tiers or
reasons: auditors read the log). Counselors (persons they see) and coordinators only; a
former officer (left service) has no tier work: refused with :class:`Conflict`.
"""

from __future__ import annotations

from dataclasses import dataclass

from counselor_tui.domain import policy as rules
from counselor_tui.domain import vocab
from counselor_tui.domain.roles import WRITES_RECORDS
from counselor_tui.i18n import _
from counselor_tui.reports.spec import instrument_short_label
from counselor_tui.services import tier_policy
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput
from counselor_tui.services.tier_policy import Decision

MAX_NOTE = tier_policy.MAX_REASON
#: How many of each kind of evidence :func:`evidence_choices` offers (newest first).
EVIDENCE_LIMIT = 15
#: Evidence kinds, as stored in ``TierChange.evidence`` (lists of ids).
EVIDENCE_KINDS = tier_policy.EVIDENCE_KINDS


@dataclass(frozen=True)
class EvidenceChoice:
    """One record a change may rest on: ``kind`` (one of :data:`EVIDENCE_KINDS`), its id,
    its date (``YYYY-MM-DD``) and a short label without notes (instrument and band,
    session channel and risk, incident title)."""

    kind: str
    id: int
    on: str
    label: str


@dataclass(frozen=True)
class TierPreview:
    """What a review or change of person ``person_id`` would set: the current tier (None
    when untiered) and, per tier code, the next review date (``YYYY-MM-DD``) the policy
    gives when decided today."""

    person_id: int
    name: str
    current: str | None
    review_due: str | None
    next_review: dict[str, str]


def _require(vs: VaultSession) -> None:
    vs.require(*sorted(WRITES_RECORDS))


def _serving(vs: VaultSession, person_id: int) -> None:
    tier_policy.serving_person(vs, person_id)


def preview(vs: VaultSession, person_id: int) -> TierPreview:
    """The current tier and the review date each tier would get today. Raises
    :class:`NotFound`, :class:`PermissionDenied`."""
    _require(vs)
    pol = tier_policy.policy(vs)
    today = vs.today()
    with vs.reading():
        person = tier_policy.visible_person(vs, person_id)
        state = tier_policy.state_of(person_id)
        windows = tier_policy.census_windows(vs)
    return TierPreview(
        person_id=person_id, name=str(person.name),
        current=None if state is None else str(state.tier),
        review_due=None if state is None else state.review_due,
        next_review={t: rules.review_due(pol, t, today, windows).isoformat()
                     for t in vocab.TIER_ORDER})


def evidence_choices(vs: VaultSession, person_id: int) -> list[EvidenceChoice]:
    """The person's latest assessments, sessions and incidents (each newest first, at most
    :data:`EVIDENCE_LIMIT` of a kind), for the change dialog. Labels carry no note text.
    Raises :class:`NotFound`, :class:`PermissionDenied`."""
    _require(vs)
    with vs.reading():
        tier_policy.visible_person(vs, person_id)
        out = [EvidenceChoice("assessments", int(r[0]), str(r[1]),
                              f"{instrument_short_label(str(r[2]), {})} "
                              f"{'' if r[3] is None else f'{r[3]:g}'}"
                              .strip())
               for r in vs.execute(
                   "SELECT id, administered_on, instrument_code, total FROM assessment "
                   "WHERE person_id = ? AND voided_at IS NULL "
                   "ORDER BY administered_on DESC, id DESC LIMIT ?",
                   (person_id, EVIDENCE_LIMIT))]
        out += [EvidenceChoice("sessions", int(r[0]), str(r[1])[:10], " · ".join((
                    vocab.label(vocab.CHANNELS, r[2]),
                    _("risk: {risk}").format(risk=vocab.label(vocab.RISKS, r[3])))))
                for r in vs.execute(
                    "SELECT id, started_at, channel, risk FROM counseling_session "
                    "WHERE person_id = ? AND voided_at IS NULL "
                    "ORDER BY started_at DESC, id DESC LIMIT ?", (person_id, EVIDENCE_LIMIT))]
        out += [EvidenceChoice("incidents", int(r[0]), str(r[1])[:10], str(r[2]))
                for r in vs.execute(
                    "SELECT i.id, i.occurred_at, i.title FROM incident_exposure e "
                    "JOIN incident i ON i.id = e.incident_id "
                    "WHERE e.person_id = ? AND i.voided_at IS NULL "
                    "ORDER BY i.occurred_at DESC, i.id DESC LIMIT ?",
                    (person_id, EVIDENCE_LIMIT))]
    return out


def _clean(text: str, *, required: bool) -> str:
    value = text.strip()
    if required and not value:
        raise InvalidInput(_("Write the reason for the change."))
    if len(value) > MAX_NOTE:
        raise InvalidInput(_("The text is too long (at most {n} characters).").format(
            n=MAX_NOTE))
    return value


def review(vs: VaultSession, person_id: int, note: str = "") -> Decision:
    """Review a person's tier and keep it: the next review date comes from the policy;
    ``note`` is optional. Recorded as a review (``from_tier == to_tier``, evidence
    ``{"review": true}``). Raises :class:`Conflict` for an untiered person (set a tier with
    :func:`change`) or a former officer, :class:`InvalidInput`, :class:`NotFound`,
    :class:`PermissionDenied`."""
    _require(vs)
    text = _clean(note, required=False)
    with vs.transaction():
        _serving(vs, person_id)
        state = tier_policy.state_of(person_id)
        if state is None:
            raise Conflict(_("This person has no tier yet: set one with a change."))
        return tier_policy.decide_in_transaction(
            vs, person_id, str(state.tier), text, {"review": True}, False, None, "")


def change(vs: VaultSession, person_id: int, tier: str, reason: str,
           evidence: dict[str, list[int]] | None = None, *,
           without_evidence: bool = False) -> Decision:
    """Change a person's tier to ``tier`` (a code of ``vocab.TIER_ORDER``) with a written
    ``reason`` and the evidence it rests on (``{"assessments": [ids], "sessions": [ids],
    "incidents": [ids]}``, each the person's own record).

    Evidence rule (issue 15 point 1: a change rests on "a written reason and the evidence it
    rests on"; fix15 E): when the person has any record to rest on (an assessment, a session
    or an incident exposure, what :func:`evidence_choices` offers), the change names at least
    one of them — unless the counselor states that it rests on none of them
    (``without_evidence``: information from outside the archive, e.g. the unit's report, which
    the reason must then say). A person without any record has nothing to pick: the reason
    alone carries the change.

    Raises :class:`Conflict` when ``tier`` is the current tier (a review keeps a tier; a
    change must change it) or the person left service, :class:`InvalidInput` (no reason,
    unknown tier, foreign evidence, no evidence named although there is some),
    :class:`NotFound`, :class:`PermissionDenied`."""
    _require(vs)
    if tier not in vocab.TIER_ORDER:
        raise InvalidInput(_("Unknown tier '{tier}'.").format(tier=tier))
    text = _clean(reason, required=True)
    with vs.transaction():
        _serving(vs, person_id)
        tier_policy.refuse_unchanged(person_id, tier)
        checked = tier_policy.checked_evidence(vs, person_id, dict(evidence or {}))
        if not checked and not without_evidence and _has_records(vs, person_id):
            raise InvalidInput(_(
                "Mark the records this change rests on (an assessment, a session or an "
                "incident), or say that it rests on none of them and write why in the "
                "reason."))
        return tier_policy.decide_in_transaction(vs, person_id, tier, text, checked, False,
                                                 None, "")


def _has_records(vs: VaultSession, person_id: int) -> bool:
    """True when the person has an assessment, a session or an incident exposure that a
    change could rest on (the kinds of :func:`evidence_choices`)."""
    row = vs.execute(
        "SELECT EXISTS (SELECT 1 FROM assessment WHERE person_id = ? AND voided_at IS NULL) "
        "OR EXISTS (SELECT 1 FROM counseling_session WHERE person_id = ? "
        "AND voided_at IS NULL) "
        "OR EXISTS (SELECT 1 FROM incident_exposure e JOIN incident i ON i.id = e.incident_id "
        "WHERE e.person_id = ? AND i.voided_at IS NULL)",
        (person_id, person_id, person_id)).fetchone()
    return bool(row[0])

"""Firearm restriction (配枪限制): lifecycle, reason codes, notice content, prompts.

Pure rules (DESIGN §7.3; shared/domain/policy.md "Firearm restriction"):

* Lifecycle: ``recommended`` (by a counselor, with a non-clinical reason code) →
  ``suspended`` / ``revoked`` (decision by the named personnel-department decision-maker, on
  a date) or ``declined``; a suspension or revocation is reviewed on a date (default 90 days
  after the decision) → ``reinstated`` (decision, date), or no change (new review date), or
  a suspension is turned into a revocation. ``declined`` and ``reinstated`` are final.
* History (issue 19): every step is an event of its own (:data:`EVENT_KINDS`: recommended,
  decided, reviewed, reinstated), never overwritten; each decision event has its own
  decision-maker and date, and a notice states exactly one of them.
* Reason codes (non-clinical): ``mh_assessment_pending``, ``mh_treatment``,
  ``post_incident``, ``other`` (labels in :data:`counselor_tui.domain.vocab.FIREARM_REASONS`).
* The notice for the personnel department (:class:`Notice`) can only carry the person's
  name, badge number and unit, the decision, its dates and the decision-maker (plus the
  issuing body, the notice date and a reference number) — never a diagnosis, score, note or
  incident summary: the class has no field that could hold one.
* Prompts (:func:`should_prompt_recommendation`): a red tier, an ``imminent`` session risk or
  a critical item prompts a recommendation; it never changes a status by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta

from counselor_tui.domain.vocab import FIREARM_REASONS, FIREARM_STATUSES
from counselor_tui.i18n import N_, _

__all__ = [
    "ACTIVE",
    "DECISIONS",
    "DEFAULT_REVIEW_DAYS",
    "EVENT_KINDS",
    "NOTICE_FIELDS",
    "REASON_CODES",
    "RESTRICTED",
    "REVIEW_OUTCOMES",
    "TRANSITIONS",
    "FirearmRuleError",
    "Notice",
    "default_review_on",
    "event_label",
    "next_status",
    "notice_decision",
    "notice_lines",
    "notice_title",
    "should_prompt_recommendation",
]

#: policy.md: "review on a date (default 90 days)".
DEFAULT_REVIEW_DAYS = 90
#: Non-clinical reason codes of a recommendation (policy.md).
REASON_CODES: tuple[str, ...] = tuple(FIREARM_REASONS)
#: Statuses of a restriction still in force or pending (one per person at a time).
ACTIVE: frozenset[str] = frozenset({"recommended", "suspended", "revoked"})
#: Statuses under which the officer may not carry a firearm (the armory list).
RESTRICTED: frozenset[str] = frozenset({"suspended", "revoked"})
#: The decisions on a recommendation.
DECISIONS: tuple[str, ...] = ("suspended", "revoked", "declined")
#: Review outcomes: no change (the restriction continues to a new review date), revoke a
#: suspension, reinstate (recorded as a ``reinstated`` event, not a review).
REVIEW_OUTCOMES: Mapping[str, str] = {
    "no_change": N_("no change (the restriction continues)"),
    "revoked": N_("revoke"),
    "reinstated": N_("reinstate"),
}
#: status → statuses a decision may lead to (a status to itself = review continued).
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "recommended": frozenset({"suspended", "revoked", "declined"}),
    "suspended": frozenset({"suspended", "revoked", "reinstated"}),
    "revoked": frozenset({"revoked", "reinstated"}),
    "declined": frozenset(),
    "reinstated": frozenset(),
}


#: The events of a restriction's history, in the order they can happen.
EVENT_KINDS: Mapping[str, str] = {
    "recommended": N_("recommended"),
    "decided": N_("decision"),
    "reviewed": N_("review"),
    "reinstated": N_("reinstatement"),
}
_OUTCOMES: Mapping[str, str] = {
    "suspended": N_("suspended"),
    "revoked": N_("revoked"),
    "declined": N_("declined"),
    "no_change": N_("no change"),
    "reinstated": N_("reinstated"),
}


def event_label(kind: str, outcome: str | None) -> str:
    """The translated label of an event, e.g. ``决定：暂停`` / ``复核：无变化`` / ``恢复``;
    an outcome the old form did not keep reads "not kept by the old register"."""
    what = _(EVENT_KINDS[kind]) if kind in EVENT_KINDS else kind
    if kind in ("recommended", "reinstated"):
        return what
    if outcome is None:
        return _("{event}: {outcome}").format(event=what,
                                               outcome=_("not kept by the old register"))
    msgid = _OUTCOMES.get(outcome)
    return _("{event}: {outcome}").format(event=what, outcome=_(msgid) if msgid else outcome)


def notice_decision(kind: str, outcome: str | None) -> str | None:
    """The decision a notice of this event states (a :class:`Notice` ``decision`` code:
    suspended / revoked / declined / continued / reinstated), or None for an event that is
    no decision (a recommendation) or whose outcome the old register did not keep."""
    if kind == "decided" and outcome in DECISIONS:
        return outcome
    if kind == "reviewed" and outcome == "no_change":
        return "continued"
    if kind == "reviewed" and outcome == "revoked":
        return "revoked"
    if kind == "reinstated":
        return "reinstated"
    return None


class FirearmRuleError(ValueError):
    """A step the lifecycle does not allow; the message is translated and safe to show."""


def _status(code: str) -> str:
    msgid = FIREARM_STATUSES.get(code)
    return _(msgid) if msgid else code


def next_status(current: str, target: str) -> str:
    """``target`` when the lifecycle allows ``current → target``; otherwise raise
    :class:`FirearmRuleError` naming both statuses."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise FirearmRuleError(
            _("A restriction that is “{current}” cannot become “{target}”.").format(
                current=_status(current), target=_status(target)))
    return target


def default_review_on(decided_on: date, days: int = DEFAULT_REVIEW_DAYS) -> date:
    """The default review date of a suspension or revocation: ``days`` after the decision."""
    return decided_on + timedelta(days=days)


def should_prompt_recommendation(
    *,
    tier: str | None = None,
    risk: str | None = None,
    critical_item: bool = False,
    active_status: str | None = None,
) -> bool:
    """Whether to prompt a counselor to recommend a firearm restriction.

    True when a red ``tier``, an ``imminent`` session ``risk`` or a ``critical_item`` is
    present and the person has no active restriction (``active_status`` in :data:`ACTIVE`).
    Source: DESIGN §7.3, policy.md tier actions ("prompt a firearm-suspension
    recommendation"). A prompt never changes a status.
    """
    if active_status in ACTIVE:
        return False
    return tier == "red" or risk == "imminent" or critical_item


# --------------------------------------------------------------------------- notice


@dataclass(frozen=True)
class Notice:
    """The content of a notice to the personnel department — the allowed fields only.

    A notice states exactly one decision of the restriction's history (issue 19): never
    another decision's maker or date. ``decision`` is a decision code (suspended / revoked /
    declined / continued — a review without change — / reinstated); ``decided_on`` the date
    of that decision and ``decided_by_name`` its named decision-maker; ``review_on`` the
    review date that decision set (suspension, revocation, review); dates ``YYYY-MM-DD``,
    "" when not applicable. ``bureau`` is the issuing body, ``issued_on`` the notice date
    and ``reference`` the register number of the decision (restriction/decision).
    """

    reference: str
    bureau: str
    issued_on: str
    person_name: str
    badge_no: str
    unit_name: str
    decision: str
    decided_on: str
    decided_by_name: str
    review_on: str = ""


#: The names of the only fields a notice may carry (policy.md; tests pin this list).
NOTICE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Notice))

_TITLES: Mapping[str, str] = {
    "suspended": N_("Notice of suspension of firearm qualification"),
    "revoked": N_("Notice of revocation of firearm qualification"),
    "declined": N_("Notice on a firearm restriction recommendation"),
    "continued": N_("Notice of review of firearm restriction"),
    "reinstated": N_("Notice of reinstatement of firearm qualification"),
}
_DECISIONS: Mapping[str, str] = {
    "suspended": N_("firearm qualification suspended"),
    "revoked": N_("firearm qualification revoked"),
    "declined": N_("no restriction (recommendation declined)"),
    "continued": N_("restriction continues unchanged after review"),
    "reinstated": N_("firearm qualification reinstated"),
}


def notice_title(notice: Notice) -> str:
    """The translated title of the notice for its decision."""
    return _(_TITLES.get(notice.decision, _TITLES["suspended"]))


def notice_lines(notice: Notice) -> list[tuple[str, str]]:
    """The notice body as ``(translated label, value)`` pairs, in reading order.

    Only :data:`NOTICE_FIELDS` are read; empty optional dates are left out.
    """
    msgid = _DECISIONS.get(notice.decision)
    lines = [
        (_("Reference"), notice.reference),
        (_("Name"), notice.person_name),
        (_("Badge number"), notice.badge_no),
        (_("Unit"), notice.unit_name),
        (_("Decision"), _(msgid) if msgid else notice.decision),
        (_("Decision date"), notice.decided_on),
    ]
    if notice.review_on:
        lines.append((_("Review date"), notice.review_on))
    lines.append((_("Decision-maker"), notice.decided_by_name))
    return lines

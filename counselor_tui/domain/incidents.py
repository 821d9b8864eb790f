"""Incident kinds, step plans, urgency and timeliness (DESIGN §7.3; shared/domain/policy.md).

Pure rules: no database, no UI. The only file read is the packaged default policy
``counselor_tui/settings/incident_policy.toml``; a bureau changes it through the vault setting
``incident_policy`` (same shape, passed to :func:`load_policy` as ``override``).

* Kinds (:data:`INCIDENT_KINDS`): the *critical incident* types and the *individual crisis*
  types of policy.md; each kind belongs to one category (``critical`` / ``crisis``) whose step
  plan applies.
* Step plans (:class:`StepSpec`): a step code (``acknowledge``, ``first_contact``, ``session``,
  ``follow_up_7d`` …) with its due offset from ``reported_at``. Defaults, exactly as policy.md:
  critical — acknowledge 2 h · first_contact 12 h (per involved/injured person) · session 48 h
  · follow_up_7d 7 d · follow_up_30d 30 d · review_90d 90 d; crisis — acknowledge 1 h ·
  safety_contact 4 h · session 24 h · follow_up_3d 3 d · follow_up_14d 14 d.
* Forms (:data:`STEP_FORMS`): how a step was done — psychological first aid, individual
  session, group session, phone contact. WHO (2013) and NICE (NG116) advise against routine
  single-session group debriefing, so the plan only names a "session" and the counselor
  records its form.
* Urgency (:func:`step_state`, :func:`urgency_key`, :func:`countdown`) from stored due times
  and a given ``now``: times are data, so the clock survives restarts.
* Timeliness (:func:`timeliness`) for a reporting period: per step code, done on time, done
  late, open overdue (DESIGN §8 item 4).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from counselor_tui.i18n import N_, _

__all__ = [
    "CATEGORIES",
    "INCIDENT_KINDS",
    "SEVERITIES",
    "STATE_LABELS",
    "STEP_FORMS",
    "STEP_LABELS",
    "IncidentKind",
    "IncidentPolicy",
    "IncidentPolicyError",
    "PlannedStep",
    "StepFact",
    "StepSpec",
    "StepState",
    "StepTimeliness",
    "category_of",
    "countdown",
    "default_policy",
    "form_label",
    "format_span",
    "kind_label",
    "load_policy",
    "parse_offset",
    "plan_steps",
    "severity_label",
    "state_label",
    "step_label",
    "step_state",
    "timeliness",
    "urgency_key",
]

#: Policy categories and their labels: 重大应激事件 / 个体心理危机.
CATEGORIES: Mapping[str, str] = {
    "critical": N_("critical incident"),
    "crisis": N_("individual crisis"),
}


@dataclass(frozen=True)
class IncidentKind:
    """One incident kind: stored ``code``, policy ``category`` and English label msgid."""

    code: str
    category: str
    label: str


#: Every incident kind of policy.md, critical incidents first (the order of the F9 form).
INCIDENT_KINDS: Mapping[str, IncidentKind] = {
    k.code: k
    for k in (
        IncidentKind("shooting", "critical", N_("shooting / use of weapon with casualties")),
        IncidentKind("attack_on_officers", "critical", N_("violent attack on officers")),
        IncidentKind("officer_casualty", "critical", N_("officer killed or injured")),
        IncidentKind("major_rescue", "critical", N_("major rescue or disaster")),
        IncidentKind("colleague_death", "critical", N_("death of a colleague")),
        IncidentKind("suicidal_ideation", "crisis", N_("suicidal ideation")),
        IncidentKind("self_harm", "crisis", N_("self-harm")),
        IncidentKind("violence_risk", "crisis", N_("violence risk")),
        IncidentKind("acute_stress", "crisis", N_("acute stress reaction")),
    )
}

#: Severity grades (the four grades of emergencies in Chinese practice: 一般/较大/重大/特别重大).
SEVERITIES: Mapping[str, str] = {
    "general": N_("general"),
    "serious": N_("serious"),
    "major": N_("major"),
    "extreme": N_("especially major"),
}

#: How a step was carried out (issue 5, "form").
STEP_FORMS: Mapping[str, str] = {
    "pfa": N_("psychological first aid"),
    "individual_session": N_("individual session"),
    "group_session": N_("group session"),
    "phone_contact": N_("phone contact"),
}

#: Labels of the step codes of the default plans. A bureau's own step code shows as itself.
STEP_LABELS: Mapping[str, str] = {
    "acknowledge": N_("acknowledge"),
    "first_contact": N_("first contact"),
    "safety_contact": N_("safety contact"),
    "session": N_("session"),
    "follow_up_3d": N_("follow-up (3 days)"),
    "follow_up_7d": N_("follow-up (7 days)"),
    "follow_up_14d": N_("follow-up (14 days)"),
    "follow_up_30d": N_("follow-up (30 days)"),
    "review_90d": N_("review (90 days)"),
}


def _vocab_label(vocab: Mapping[str, str], code: str | None) -> str:
    if code is None:
        return ""
    msgid = vocab.get(code)
    return _(msgid) if msgid else code


def kind_label(code: str) -> str:
    """The translated label of incident kind ``code`` (the code itself when unknown)."""
    kind = INCIDENT_KINDS.get(code)
    return _(kind.label) if kind else code


def form_label(code: str | None) -> str:
    """The translated label of a step form code ("" for None)."""
    return _vocab_label(STEP_FORMS, code)


def severity_label(code: str | None) -> str:
    """The translated label of a severity code ("" for None, the code when unknown)."""
    return _vocab_label(SEVERITIES, code)


def step_label(code: str) -> str:
    """The translated label of a step code (the code itself for a bureau's own step)."""
    return _vocab_label(STEP_LABELS, code)


def category_of(kind: str) -> str:
    """The policy category (``critical`` / ``crisis``) of incident kind ``kind``.

    Raises :class:`KeyError` for an unknown kind.
    """
    return INCIDENT_KINDS[kind].category


# --------------------------------------------------------------------------- policy


class IncidentPolicyError(ValueError):
    """The incident policy (packaged file or bureau override) is malformed; translated."""


@dataclass(frozen=True)
class StepSpec:
    """One step of a plan: ``step`` code, ``due`` offset from ``reported_at``, and
    ``per_person`` — the exposure roles for which the step is planned once per person
    (empty: once per incident)."""

    step: str
    due: timedelta
    per_person: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentPolicy:
    """Step plans by category, the "due soon" warning lead time, and the firearm review
    interval in days (policy.md: 90)."""

    plans: Mapping[str, tuple[StepSpec, ...]]
    warn_before: timedelta = timedelta(hours=1)
    firearm_review_days: int = 90
    step_order: tuple[str, ...] = field(default=())

    def plan_for(self, kind: str) -> tuple[StepSpec, ...]:
        """The steps of incident kind ``kind`` (raises :class:`KeyError` for an unknown kind)."""
        return self.plans[category_of(kind)]


_OFFSET_RE = re.compile(r"^\s*(\d{1,5})\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_offset(text: str) -> timedelta:
    """A due offset ``"2h"``, ``"90d"``, ``"30m"`` as a :class:`timedelta`.

    Raises :class:`IncidentPolicyError` for anything else (also for zero).
    """
    m = _OFFSET_RE.match(str(text))
    if m is None or int(m.group(1)) == 0:
        raise IncidentPolicyError(
            _("Incident policy: “{text}” is not a duration like 2h, 7d or 30m.").format(
                text=str(text)[:20])
        )
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def _parse_plan(category: str, raw: Any) -> tuple[StepSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise IncidentPolicyError(
            _("Incident policy: the plan “{category}” must be a non-empty list of steps.")
            .format(category=category))
    steps: list[StepSpec] = []
    seen: set[str] = set()
    for entry in raw:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("step"), str):
            raise IncidentPolicyError(
                _("Incident policy: every step of “{category}” needs a step name and a due time.")
                .format(category=category))
        code = entry["step"].strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", code) or code in seen:
            raise IncidentPolicyError(
                _("Incident policy: step name “{step}” is invalid or repeated.").format(
                    step=code[:40]))
        seen.add(code)
        roles = entry.get("per_person", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise IncidentPolicyError(
                _("Incident policy: per_person of step “{step}” must be a list of roles.")
                .format(step=code))
        steps.append(StepSpec(code, parse_offset(entry.get("due", "")), tuple(roles)))
    return tuple(steps)


def _build(data: Mapping[str, Any]) -> IncidentPolicy:
    raw_plans = data.get("plans")
    if not isinstance(raw_plans, Mapping):
        raise IncidentPolicyError(_("Incident policy: the plans are missing."))
    plans = {}
    for category in CATEGORIES:
        if category not in raw_plans:
            raise IncidentPolicyError(
                _("Incident policy: the plan “{category}” is missing.").format(category=category))
        plans[category] = _parse_plan(category, raw_plans[category])
    firearm = data.get("firearm", {})
    review_days = firearm.get("review_days", 90) if isinstance(firearm, Mapping) else None
    if not isinstance(review_days, int) or isinstance(review_days, bool) or review_days < 1:
        raise IncidentPolicyError(
            _("Incident policy: firearm review_days must be a whole number of days."))
    order: list[str] = []
    for category in CATEGORIES:
        for spec in plans[category]:
            if spec.step not in order:
                order.append(spec.step)
    return IncidentPolicy(plans=plans, warn_before=parse_offset(data.get("warn_before", "60m")),
                          firearm_review_days=review_days, step_order=tuple(order))


@cache
def _packaged() -> dict[str, Any]:
    text = (resources.files("counselor_tui") / "settings" / "incident_policy.toml").read_text(
        encoding="utf-8")
    return tomllib.loads(text)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_policy(override: Mapping[str, Any] | None = None) -> IncidentPolicy:
    """The packaged default policy, with a bureau's ``override`` applied.

    ``override`` has the shape of ``incident_policy.toml`` (e.g. ``{"warn_before": "30m",
    "plans": {"crisis": [{"step": "acknowledge", "due": "30m"}, …]}}``); tables merge key by
    key, a plan (a list) replaces the default plan of its category whole. Raises
    :class:`IncidentPolicyError` when the result is malformed.
    """
    data = _packaged()
    if override:
        if not isinstance(override, Mapping):
            raise IncidentPolicyError(_("Incident policy: the setting must be a table."))
        data = _merge(data, override)
    return _build(data)


def default_policy() -> IncidentPolicy:
    """The packaged policy without a bureau override (policy.md defaults)."""
    return load_policy(None)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class PlannedStep:
    """A step to create: code, the person it concerns (None: the incident as a whole) and
    its due time (aware)."""

    step: str
    person_id: int | None
    due_at: datetime


def plan_steps(
    policy: IncidentPolicy,
    kind: str,
    reported_at: datetime,
    exposures: Sequence[tuple[int, str]],
) -> list[PlannedStep]:
    """The step plan of a new incident: ``exposures`` are ``(person_id, role)`` pairs.

    Each :class:`StepSpec` becomes one step due ``reported_at + due``; a ``per_person`` spec
    becomes one step per exposed person whose role is listed (in the given order), or a
    single unassigned step when nobody has such a role yet. Raises :class:`KeyError` for
    an unknown kind and ``ValueError`` for a naive ``reported_at``.
    """
    if reported_at.tzinfo is None:
        raise ValueError("reported_at must be aware")
    planned: list[PlannedStep] = []
    for spec in policy.plan_for(kind):
        due = reported_at + spec.due
        if spec.per_person:
            people = [pid for pid, role in exposures if role in spec.per_person]
            if people:
                planned.extend(PlannedStep(spec.step, pid, due) for pid in dict.fromkeys(people))
                continue
        planned.append(PlannedStep(spec.step, None, due))
    return planned


# --------------------------------------------------------------------------- urgency


class StepState(StrEnum):
    """Where a step stands at a given moment."""

    OVERDUE = "overdue"  # open, due time passed
    DUE_SOON = "due_soon"  # open, due within the warning lead time (1 hour)
    OPEN = "open"  # open, due later
    DONE = "done"  # done on or before its due time
    LATE = "late"  # done after its due time
    WAIVED = "waived"  # waived with a reason

    @property
    def is_open(self) -> bool:
        """True for overdue, due soon and open."""
        return self in (StepState.OVERDUE, StepState.DUE_SOON, StepState.OPEN)

    @property
    def urgent(self) -> bool:
        """True for overdue and due soon (what the banner shows)."""
        return self in (StepState.OVERDUE, StepState.DUE_SOON)


_RANK = {StepState.OVERDUE: 0, StepState.DUE_SOON: 1, StepState.OPEN: 2, StepState.LATE: 3,
         StepState.DONE: 3, StepState.WAIVED: 3}

STATE_LABELS: Mapping[StepState, str] = {
    StepState.OVERDUE: N_("overdue"),
    StepState.DUE_SOON: N_("due soon"),
    StepState.OPEN: N_("open"),
    StepState.DONE: N_("done"),
    StepState.LATE: N_("done late"),
    StepState.WAIVED: N_("waived"),
}


def state_label(state: StepState) -> str:
    """The translated label of a step state."""
    return _(STATE_LABELS[state])


def step_state(
    due_at: datetime,
    done_at: datetime | None,
    waived: bool,
    now: datetime,
    warn_before: timedelta = timedelta(hours=1),
) -> StepState:
    """The state of a step at ``now`` (aware datetimes, any offsets).

    Waived beats done; an open step is overdue when ``now > due_at``, due soon when
    ``due_at - now <= warn_before`` (policy: within the hour), otherwise open.
    """
    if waived:
        return StepState.WAIVED
    if done_at is not None:
        return StepState.DONE if done_at <= due_at else StepState.LATE
    if now > due_at:
        return StepState.OVERDUE
    if due_at - now <= warn_before:
        return StepState.DUE_SOON
    return StepState.OPEN


def urgency_key(state: StepState, due_at: datetime) -> tuple[int, datetime]:
    """Sort key, most urgent first: overdue, due soon, open (each by due time), then closed."""
    return _RANK[state], due_at


def format_span(delta: timedelta) -> str:
    """A duration for countdowns: ``2天3小时`` / ``2 d 3 h``, ``1小时20分`` / ``1 h 20 min``,
    ``42分15秒`` / ``42 min 15 s`` (under an hour, with seconds). Negative values use their
    absolute value."""
    total = abs(int(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return _("{d} d {h} h").format(d=days, h=hours)
    if hours:
        return _("{h} h {m} min").format(h=hours, m=minutes)
    return _("{m} min {s} s").format(m=minutes, s=seconds)


def countdown(due_at: datetime, now: datetime) -> str:
    """Time left until ``due_at`` (``剩余1小时20分``) or past it (``已逾期5分0秒``)."""
    delta = due_at - now
    if delta.total_seconds() < 0:
        return _("overdue by {span}").format(span=format_span(delta))
    return _("{span} left").format(span=format_span(delta))


# --------------------------------------------------------------------------- timeliness


@dataclass(frozen=True)
class StepFact:
    """What timeliness needs of one stored step: code, due time, when it was closed
    (done or waived; None while open) and whether it was waived."""

    step: str
    due_at: datetime
    closed_at: datetime | None
    waived: bool = False


@dataclass(frozen=True)
class StepTimeliness:
    """Counts of one step code for a period (steps *due* in the period).

    ``due`` = on_time + late + open_overdue + waived + pending.
    ``on_time``: done at or before the due time; ``late``: done after the due time (by the
    cut-off); ``open_overdue``: not done by the cut-off although due before it; ``waived``:
    waived with a reason by the cut-off; ``pending``: not yet due at the cut-off.
    """

    step: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    waived: int = 0
    pending: int = 0


def timeliness(
    facts: Iterable[StepFact],
    start: datetime,
    end: datetime,
    as_of: datetime,
    order: Sequence[str] = (),
) -> tuple[StepTimeliness, ...]:
    """Per step code, how the steps due in ``[start, end)`` were handled.

    The cut-off is ``min(as_of, end)``: figures compiled after the period ends are the same
    whenever they are compiled (a step done after the period's end counts as open overdue).
    Rows follow ``order`` (the plan order), then other codes alphabetically; codes with no
    step due in the period are left out. Source: DESIGN §8 item 4 ("steps done on time vs
    late"), issue 5 item 7.
    """
    cutoff = min(as_of, end)
    counts: dict[str, dict[str, int]] = {}
    for fact in facts:
        if not start <= fact.due_at < end:
            continue
        row = counts.setdefault(fact.step, {"due": 0, "on_time": 0, "late": 0,
                                            "open_overdue": 0, "waived": 0, "pending": 0})
        row["due"] += 1
        closed = fact.closed_at is not None and fact.closed_at <= cutoff
        if closed and fact.waived:
            row["waived"] += 1
        elif closed and fact.closed_at is not None:
            row["on_time" if fact.closed_at <= fact.due_at else "late"] += 1
        elif fact.due_at < cutoff:
            row["open_overdue"] += 1
        else:
            row["pending"] += 1
    position = {code: i for i, code in enumerate(order)}
    codes = sorted(counts, key=lambda c: (position.get(c, len(position)), c))
    return tuple(StepTimeliness(step=c, **counts[c]) for c in codes)

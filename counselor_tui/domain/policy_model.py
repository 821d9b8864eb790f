"""The tier policy model (DESIGN §7.2, ``shared/domain/policy.md``): rules, review intervals,
early-warning rules, the events they are evaluated against and the matches they give.
Evaluation and loading are in :mod:`counselor_tui.domain.policy`, which re-exports these
names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Literal

from counselor_tui.domain.instruments import (
    ScoreResult,
)
from counselor_tui.domain.vocab import TIER_ORDER
from counselor_tui.i18n import _, language

#: Tier codes, lowest first (DESIGN §2: green 一般, yellow 关注, red 重点).
TIERS: Final[tuple[str, ...]] = tuple(sorted(TIER_ORDER, key=TIER_ORDER.__getitem__))


#: Rule id of an assessment that matched no rule (policy.md: green "otherwise").
OTHERWISE: Final = "otherwise"


Op = Literal[">=", ">", "<=", "<", "=="]


class PolicyError(ValueError):
    """A policy file is refused; ``line`` is the 1-based TOML line of the fault when known."""

    def __init__(self, fault: str, line: int | None = None) -> None:
        self.fault = fault
        self.line = line
        text = _("line {line}: {fault}").format(line=line, fault=fault) if line else fault
        super().__init__(text)


@dataclass(frozen=True)
class Labelled:
    rule: str
    tier: str
    label_zh: str
    label_en: str

    def label(self, lang: str | None = None) -> str:
        """The rule's label in ``lang`` (``zh``/``en``; default the interface language)."""
        return self.label_en if (lang or language()) == "en" else self.label_zh


@dataclass(frozen=True)
class AssessmentRule(Labelled):
    """Suggest ``tier`` when ``metric op value`` holds for an assessment of ``instrument``
    (``"*"`` = any instrument). ``value`` is a number, a band code (metric ``band``), a
    boolean (boolean metrics) or the name of an instrument scoring setting (``"cutoff"``)."""

    instrument: str = "*"
    metric: str = "total"
    op: Op = "=="
    value: float | str | bool = True


@dataclass(frozen=True)
class SessionRiskRule(Labelled):
    """Suggest ``tier`` when a session records one of ``risks``."""

    risks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExposureRule(Labelled):
    """Suggest ``tier`` for exposure in one of ``roles`` to an incident that occurred at most
    ``within_days`` days before the day of evaluation."""

    roles: frozenset[str] = frozenset()
    within_days: int = 30


@dataclass(frozen=True)
class ReviewIntervals:
    """Days until the next review per tier; ``green_days`` ``None`` means "next census"."""

    red: int = 7
    yellow: int = 30
    green_days: int | None = None
    next_census_fallback_days: int = 365


@dataclass(frozen=True)
class EarlyWarningRules:
    """Parameters of the analysis early-warning list (issue 4 §8)."""

    rise: float = 5
    rise_instruments: frozenset[str] = frozenset({"phq9", "gad7"})
    band_crossing: bool = True
    overdue_tiers: frozenset[str] = frozenset({"red", "yellow"})


@dataclass(frozen=True)
class TierPolicy:
    """A validated tier policy. Build it with :func:`load_policy` / :func:`default_policy`."""

    version: str
    review: ReviewIntervals
    assessment_rules: tuple[AssessmentRule, ...]
    session_risk_rules: tuple[SessionRiskRule, ...]
    exposure_rules: tuple[ExposureRule, ...]
    early_warning: EarlyWarningRules = field(default_factory=EarlyWarningRules)

    def rule(self, rule_id: str) -> Labelled | None:
        """The rule with id ``rule_id``, or ``None``."""
        for rule in (*self.assessment_rules, *self.session_risk_rules, *self.exposure_rules):
            if rule.rule == rule_id:
                return rule
        return None

    def rule_label(self, rule_id: str, lang: str | None = None) -> str:
        """The label of ``rule_id`` in ``lang``; the id itself when the rule is unknown."""
        if rule_id == OTHERWISE:
            return _("no rule matched")
        rule = self.rule(rule_id)
        return rule.label(lang) if rule is not None else rule_id


@dataclass(frozen=True)
class AssessmentFacts:
    """An assessment's scores (``result``), its raw answers (needed for ``item:N`` rules) and
    its stored id (``None`` before saving: evidence then carries no id)."""

    result: ScoreResult
    responses: tuple[int | None, ...] = ()
    assessment_id: int | None = None


@dataclass(frozen=True)
class SessionRiskFacts:
    """The risk recorded on a counseling session (vocab ``RISKS``) and the session id."""

    risk: str
    session_id: int | None = None


@dataclass(frozen=True)
class ExposureFacts:
    """A person's exposure to an incident: role (vocab ``EXPOSURE_ROLES``), the day the
    incident occurred, the incident id."""

    role: str
    occurred_on: date
    incident_id: int | None = None


Event = AssessmentFacts | SessionRiskFacts | ExposureFacts


@dataclass(frozen=True)
class Match:
    """The highest tier the rules give for one event.

    ``rules`` are the ids of every rule that fired at that tier (policy order; ``otherwise``
    when an assessment matched none). ``evidence`` is JSON-ready: ``{"assessment": id,
    "instrument": code}`` / ``{"session": id, "risk": code}`` / ``{"incident": id, "role":
    code}`` plus ``"rules"`` and, for critical items, ``"critical_items": [item numbers]``.
    It holds ids and codes only, never scores or names.
    """

    tier: str
    rules: tuple[str, ...]
    evidence: Mapping[str, Any]

    @property
    def rule(self) -> str:
        """The first rule that fired (stored as ``TierSuggestion.rule``)."""
        return self.rules[0]


@dataclass(frozen=True)
class Suggestion(Match):
    """A :class:`Match` higher than ``from_tier`` (the current tier, ``None`` when untiered)."""

    from_tier: str | None = None

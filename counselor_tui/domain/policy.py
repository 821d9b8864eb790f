"""The tier policy (档案等级策略) as data, and the pure rules that apply it.

Source of the rules: ``shared/domain/policy.md`` (default policy) and DESIGN §7.2. The
default policy ships as ``counselor_tui/settings/policy.toml``; every value in it is a
setting a bureau may change (:func:`load_policy` validates a changed copy and names the line
of any fault).

What the policy decides:

* :func:`evaluate` maps one *event* — an assessment result (:class:`AssessmentFacts`), a
  session's recorded risk (:class:`SessionRiskFacts`) or an incident exposure
  (:class:`ExposureFacts`) — to the highest tier any rule matches, with the rules that fired
  and the evidence ids. An assessment that matches no rule yields green (policy.md:
  "otherwise"); a session or an exposure that matches no rule yields nothing.
* :func:`suggest_tier` turns that into a :class:`Suggestion` only when it is *higher* than
  the person's current tier: a suggestion never lowers a tier (policy.md). A person without
  a tier ranks below green, so a first screening suggests green.
* :func:`review_due` gives the next review date of a tier: red +7 days, yellow +30 days,
  green "next census" = the end of the earliest census campaign starting after the change
  date, else the change date + ``next_census_fallback_days`` (365 by default).

Everything here is pure: no database, no I/O except reading the packaged default file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, Final

from counselor_tui.domain.instruments import (
    UnknownInstrumentError,
    builtin,
    builtin_codes,
)
from counselor_tui.domain.instruments._toml_lines import KeyPath, TomlLines
from counselor_tui.domain.policy_model import (
    OTHERWISE,
    TIERS,
    AssessmentFacts,
    AssessmentRule,
    EarlyWarningRules,
    Event,
    ExposureFacts,
    ExposureRule,
    Labelled,
    Match,
    PolicyError,
    ReviewIntervals,
    SessionRiskFacts,
    SessionRiskRule,
    Suggestion,
    TierPolicy,
)
from counselor_tui.domain.vocab import EXPOSURE_ROLES, RISKS, TIER_ORDER
from counselor_tui.i18n import _

__all__ = [
    "OTHERWISE",
    "TIERS",
    "AssessmentFacts",
    "AssessmentRule",
    "EarlyWarningRules",
    "Event",
    "ExposureFacts",
    "ExposureRule",
    "Match",
    "PolicyError",
    "ReviewIntervals",
    "SessionRiskFacts",
    "SessionRiskRule",
    "Suggestion",
    "TierPolicy",
    "default_policy",
    "default_policy_text",
    "evaluate",
    "is_higher",
    "load_policy",
    "next_census_end",
    "rank",
    "review_due",
    "suggest_tier",
]


_BOOL_METRICS: Final = ("critical_item", "screen_positive", "provisional_diagnosis")
_NUMBER_METRICS: Final = ("total", "positive_count")
_PREFIX_METRICS: Final = ("item", "subscale", "derived")
_OPS: Final = (">=", ">", "<=", "<", "==")
_PACKAGE: Final = "counselor_tui.settings"
_FILE: Final = "policy.toml"


# -- the policy model ---------------------------------------------------------------------------


# -- events and results -------------------------------------------------------------------------


# -- tier order -----------------------------------------------------------------------------------


def rank(tier: str | None) -> int:
    """Order of a tier: ``None`` (no tier yet) -1, green 0, yellow 1, red 2.

    Raises ``ValueError`` for an unknown tier code.
    """
    if tier is None:
        return -1
    try:
        return TIER_ORDER[tier]
    except KeyError:
        raise ValueError(f"unknown tier {tier!r}") from None


def is_higher(tier: str, current: str | None) -> bool:
    """True when ``tier`` ranks strictly above ``current`` (policy.md: never lower)."""
    return rank(tier) > rank(current)


# -- evaluation ------------------------------------------------------------------------------------


def evaluate(policy: TierPolicy, event: Event, today: date) -> Match | None:
    """The highest tier the policy gives ``event`` on day ``today``, or ``None``.

    Assessments: every rule whose instrument matches is tested; with none firing the result
    is green (rule ``otherwise``) if the assessment is complete, ``None`` if it is incomplete
    (no basis for a tier). Sessions and exposures: ``None`` when no rule fires.
    """
    if isinstance(event, AssessmentFacts):
        return _evaluate_assessment(policy, event)
    if isinstance(event, SessionRiskFacts):
        fired_risk = [r for r in policy.session_risk_rules if event.risk in r.risks]
        evidence: dict[str, Any] = {"risk": event.risk}
        if event.session_id is not None:
            evidence["session"] = event.session_id
        return _best(fired_risk, evidence)
    age = (today - event.occurred_on).days
    fired_exp = [r for r in policy.exposure_rules
                 if event.role in r.roles and age <= r.within_days]
    evidence = {"role": event.role}
    if event.incident_id is not None:
        evidence["incident"] = event.incident_id
    return _best(fired_exp, evidence)


def suggest_tier(
    policy: TierPolicy, event: Event, current: str | None, today: date
) -> Suggestion | None:
    """The suggestion for ``event`` given the person's ``current`` tier, or ``None`` when
    the event gives no tier or one that is not higher than ``current`` (never lower)."""
    match = evaluate(policy, event, today)
    if match is None or not is_higher(match.tier, current):
        return None
    return Suggestion(match.tier, match.rules, match.evidence, from_tier=current)


def _best(fired: Sequence[Labelled], evidence: dict[str, Any]) -> Match | None:
    if not fired:
        return None
    top = max(rank(r.tier) for r in fired)
    rules = tuple(r.rule for r in fired if rank(r.tier) == top)
    return Match(TIERS[top], rules, {**evidence, "rules": list(rules)})


def _evaluate_assessment(policy: TierPolicy, facts: AssessmentFacts) -> Match | None:
    result = facts.result
    fired = [
        rule for rule in policy.assessment_rules
        if rule.instrument in ("*", result.instrument) and _fires(rule, facts)
    ]
    evidence: dict[str, Any] = {"instrument": result.instrument}
    if facts.assessment_id is not None:
        evidence["assessment"] = facts.assessment_id
    match = _best(fired, evidence)
    if match is None:
        if not result.complete:
            return None
        return Match("green", (OTHERWISE,), {**evidence, "rules": [OTHERWISE]})
    critical = {r.rule for r in policy.assessment_rules if r.metric == "critical_item"}
    if critical.intersection(match.rules):
        match = Match(match.tier, match.rules,
                      {**match.evidence, "critical_items": list(result.critical_items)})
    return match


def _metric_value(rule: AssessmentRule, facts: AssessmentFacts) -> float | str | bool | None:
    result = facts.result
    metric = rule.metric
    prefix, _sep, rest = metric.partition(":")
    if metric == "critical_item":
        return bool(result.critical_items)
    if metric == "screen_positive":
        return result.screen_positive
    if metric == "provisional_diagnosis":
        return result.provisional_diagnosis
    if metric == "total":
        return result.total
    if metric == "positive_count":
        return result.positive_count
    if metric == "band":
        return result.band
    if prefix == "item":
        index = int(rest) - 1
        return facts.responses[index] if 0 <= index < len(facts.responses) else None
    if prefix == "subscale":
        return result.subscales.get(rest)
    if prefix == "derived":
        return result.derived.get(rest)
    return None


def _fires(rule: AssessmentRule, facts: AssessmentFacts) -> bool:
    value = _metric_value(rule, facts)
    if value is None:
        return False
    if isinstance(rule.value, bool) or isinstance(value, bool):
        return value is rule.value
    if rule.metric == "band":
        return value == rule.value
    threshold: float | None
    if isinstance(rule.value, str):
        threshold = facts.result.settings.get(rule.value)
        if threshold is None:
            return False
    else:
        threshold = rule.value
    number = float(value)
    return {
        ">=": number >= threshold,
        ">": number > threshold,
        "<=": number <= threshold,
        "<": number < threshold,
        "==": number == threshold,
    }[rule.op]


# -- review dates ----------------------------------------------------------------------------------


def next_census_end(changed_on: date, censuses: Iterable[tuple[date, date]]) -> date | None:
    """End date of the earliest census (``(starts_on, ends_on)``) starting after
    ``changed_on``; ``None`` when none is planned."""
    upcoming = sorted((start, end) for start, end in censuses if start > changed_on)
    return upcoming[0][1] if upcoming else None


def review_due(
    policy: TierPolicy,
    tier: str,
    changed_on: date,
    censuses: Iterable[tuple[date, date]] = (),
) -> date:
    """Next review date of ``tier`` set on ``changed_on`` (policy.md review intervals).

    red: + ``review.red`` days (7); yellow: + ``review.yellow`` days (30); green: +
    ``review.green_days`` when set, else the end of the next census (:func:`next_census_end`
    over ``censuses``) or, with none planned, + ``next_census_fallback_days`` (365).
    Raises ``ValueError`` for an unknown tier.
    """
    intervals = policy.review
    if tier == "red":
        return changed_on + timedelta(days=intervals.red)
    if tier == "yellow":
        return changed_on + timedelta(days=intervals.yellow)
    if tier == "green":
        if intervals.green_days is not None:
            return changed_on + timedelta(days=intervals.green_days)
        end = next_census_end(changed_on, censuses)
        return end if end is not None else changed_on + timedelta(
            days=intervals.next_census_fallback_days)
    raise ValueError(f"unknown tier {tier!r}")


# -- loading ------------------------------------------------------------------------------------


def default_policy_text() -> str:
    """The packaged default policy file ``counselor_tui/settings/policy.toml``."""
    return (resources.files(_PACKAGE) / _FILE).read_text(encoding="utf-8")


@cache
def default_policy() -> TierPolicy:
    """The default policy of ``shared/domain/policy.md`` (packaged, validated once)."""
    return load_policy(default_policy_text())


def load_policy(text: str) -> TierPolicy:
    """Parse and validate a policy file (TOML text; format: the comments of the default file).

    Raises :class:`PolicyError` naming the line and the fault: TOML syntax, an unknown or
    missing key, an unknown tier, risk, exposure role, metric or operator, a duplicate rule
    id, a negative interval, an item number or setting an instrument does not have.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(_("TOML syntax error: {detail}").format(detail=str(exc))) from exc
    return _Reader(data, TomlLines(text)).build()


class _Reader:
    def __init__(self, data: dict[str, Any], lines: TomlLines) -> None:
        self.data = data
        self.lines = lines
        self.rule_ids: set[str] = set()

    def fail(self, fault: str, path: KeyPath) -> PolicyError:
        return PolicyError(fault, self.lines.line_of(path))

    def table(self, data: Mapping[str, Any], key: str, path: KeyPath) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(_("'{key}' must be a table.").format(key=key), (*path, key))
        return value

    def only(self, data: Mapping[str, Any], allowed: Iterable[str], path: KeyPath) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(_("Unknown key '{key}'.").format(key=key), (*path, key))

    def whole(self, data: Mapping[str, Any], key: str, path: KeyPath, default: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(_("'{key}' must be a whole number of 0 or more.").format(key=key),
                            (*path, key))
        return value

    def text(self, data: Mapping[str, Any], key: str, path: KeyPath,
             default: str | None = None) -> str:
        value = data.get(key, default)
        if value is None:
            raise self.fail(_("'{key}' is missing.").format(key=key), path)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_("'{key}' must be a non-empty text.").format(key=key),
                            (*path, key))
        return value

    def codes(self, data: Mapping[str, Any], key: str, path: KeyPath,
              known: Iterable[str] | None) -> frozenset[str]:
        value = data.get(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(_("'{key}' must be a non-empty list of codes.").format(key=key),
                            (*path, key))
        allowed = set(known) if known is not None else None
        for index, code in enumerate(value):
            if allowed is not None and code not in allowed:
                raise PolicyError(
                    _("Unknown code '{code}' in '{key}' (known: {known}).").format(
                        code=code, key=key, known=", ".join(sorted(allowed))),
                    self.lines.line_of((*path, key), index))
        return frozenset(value)

    def labelled(self, data: Mapping[str, Any], path: KeyPath) -> dict[str, str]:
        rule_id = self.text(data, "rule", path)
        if rule_id in self.rule_ids or rule_id == OTHERWISE:
            raise self.fail(_("Rule id '{rule}' is used twice or reserved.").format(
                rule=rule_id), (*path, "rule"))
        self.rule_ids.add(rule_id)
        tier = self.text(data, "tier", path)
        if tier not in TIER_ORDER:
            raise self.fail(_("Unknown tier '{tier}' (use green, yellow or red).").format(
                tier=tier), (*path, "tier"))
        return {
            "rule": rule_id,
            "tier": tier,
            "label_zh": self.text(data, "label_zh", path, rule_id),
            "label_en": self.text(data, "label_en", path, rule_id),
        }

    def rules(self, key: str) -> list[tuple[dict[str, Any], KeyPath]]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(_("'{key}' must be written as [[{key}]] tables.").format(key=key),
                            (key,))
        return [(v, (key, i)) for i, v in enumerate(value)]

    def build(self) -> TierPolicy:
        self.only(self.data, ("version", "review", "assessment", "session_risk", "exposure",
                              "early_warning"), ())
        version = self.text(self.data, "version", (), "custom")
        return TierPolicy(
            version=version,
            review=self.review(),
            assessment_rules=tuple(self.assessment(d, p) for d, p in self.rules("assessment")),
            session_risk_rules=tuple(self.session(d, p) for d, p in self.rules("session_risk")),
            exposure_rules=tuple(self.exposure(d, p) for d, p in self.rules("exposure")),
            early_warning=self.early_warning(),
        )

    def review(self) -> ReviewIntervals:
        path: KeyPath = ("review",)
        data = self.table(self.data, "review", ())
        self.only(data, ("red", "yellow", "green", "next_census_fallback_days"), path)
        green = data.get("green", "next_census")
        if green == "next_census":
            green_days = None
        elif isinstance(green, int) and not isinstance(green, bool) and green >= 0:
            green_days = green
        else:
            raise self.fail(_("'green' must be \"next_census\" or a whole number of days."),
                            (*path, "green"))
        return ReviewIntervals(
            red=self.whole(data, "red", path, 7),
            yellow=self.whole(data, "yellow", path, 30),
            green_days=green_days,
            next_census_fallback_days=self.whole(data, "next_census_fallback_days", path, 365),
        )

    def assessment(self, data: dict[str, Any], path: KeyPath) -> AssessmentRule:
        self.only(data, ("rule", "tier", "instrument", "metric", "op", "value", "label_zh",
                         "label_en"), path)
        base = self.labelled(data, path)
        instrument = self.text(data, "instrument", path, "*")
        metric = self.text(data, "metric", path)
        prefix, sep, rest = metric.partition(":")
        op = data.get("op", "==")
        if op not in _OPS:
            raise self.fail(_("Unknown operator '{op}' (use >=, >, <=, < or ==).").format(
                op=op), (*path, "op"))
        value: Any
        if metric in _BOOL_METRICS:
            value = data.get("value", True)
            if not isinstance(value, bool) or op != "==":
                raise self.fail(_("Metric '{metric}' is true or false: use op \"==\" and "
                                  "value true or false (or leave both out).").format(
                                      metric=metric), (*path, "value"))
        elif metric == "band":
            value = data.get("value")
            if not isinstance(value, str) or op != "==":
                raise self.fail(_("Metric 'band' needs op \"==\" and a band code as value."),
                                (*path, "value"))
        elif metric in _NUMBER_METRICS or (sep and prefix in _PREFIX_METRICS and rest):
            value = data.get("value")
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise self.fail(_("Metric '{metric}' needs a number (or an instrument setting "
                                  "name) as value.").format(metric=metric), (*path, "value"))
            if prefix == "item" and not rest.isdigit():
                raise self.fail(_("Write an item metric as item:N."), (*path, "metric"))
        else:
            raise self.fail(_("Unknown metric '{metric}'.").format(metric=metric),
                            (*path, "metric"))
        self.check_against_instrument(instrument, metric, value, path)
        return AssessmentRule(**base, instrument=instrument, metric=metric, op=op, value=value)

    def check_against_instrument(self, instrument: str, metric: str, value: Any,
                                 path: KeyPath) -> None:
        """Refuse references a built-in instrument cannot satisfy (a bureau's own
        instrument is checked when its assessments are scored: the rule simply never fires)."""
        if instrument == "*" or instrument not in builtin_codes():
            return
        try:
            defn = builtin(instrument)
        except UnknownInstrumentError:  # pragma: no cover - listed by builtin_codes
            return
        prefix, _sep, rest = metric.partition(":")
        if prefix == "item" and not 1 <= int(rest) <= defn.item_count:
            raise self.fail(_("{instrument} has no item {item}.").format(
                instrument=instrument, item=rest), (*path, "metric"))
        if prefix == "subscale" and rest not in {s.name for s in defn.subscales}:
            raise self.fail(_("{instrument} has no subscale '{name}'.").format(
                instrument=instrument, name=rest), (*path, "metric"))
        if prefix == "derived" and rest not in {d.name for d in defn.derived}:
            raise self.fail(_("{instrument} has no derived value '{name}'.").format(
                instrument=instrument, name=rest), (*path, "metric"))
        if metric == "band" and value not in {b.code for b in defn.bands}:
            raise self.fail(_("{instrument} has no band '{name}'.").format(
                instrument=instrument, name=value), (*path, "value"))
        if (metric != "band" and isinstance(value, str)
                and value not in {s.name for s in defn.settings}):
            raise self.fail(_("{instrument} has no setting '{name}'.").format(
                instrument=instrument, name=value), (*path, "value"))

    def session(self, data: dict[str, Any], path: KeyPath) -> SessionRiskRule:
        self.only(data, ("rule", "tier", "risks", "label_zh", "label_en"), path)
        base = self.labelled(data, path)
        return SessionRiskRule(**base, risks=self.codes(data, "risks", path, RISKS))

    def exposure(self, data: dict[str, Any], path: KeyPath) -> ExposureRule:
        self.only(data, ("rule", "tier", "roles", "within_days", "label_zh", "label_en"), path)
        base = self.labelled(data, path)
        return ExposureRule(**base, roles=self.codes(data, "roles", path, EXPOSURE_ROLES),
                            within_days=self.whole(data, "within_days", path, 30))

    def early_warning(self) -> EarlyWarningRules:
        path: KeyPath = ("early_warning",)
        data = self.table(self.data, "early_warning", ())
        self.only(data, ("rise", "rise_instruments", "band_crossing", "overdue_tiers"), path)
        rise = data.get("rise", 5)
        if isinstance(rise, bool) or not isinstance(rise, int | float) or rise <= 0:
            raise self.fail(_("'rise' must be a number above 0."), (*path, "rise"))
        crossing = data.get("band_crossing", True)
        if not isinstance(crossing, bool):
            raise self.fail(_("'band_crossing' must be true or false."),
                            (*path, "band_crossing"))
        defaults = EarlyWarningRules()
        return EarlyWarningRules(
            rise=rise,
            rise_instruments=(self.codes(data, "rise_instruments", path, None)
                              if "rise_instruments" in data else defaults.rise_instruments),
            band_crossing=crossing,
            overdue_tiers=(self.codes(data, "overdue_tiers", path, TIER_ORDER)
                           if "overdue_tiers" in data else defaults.overdue_tiers),
        )

"""The tier policy of shared/domain/policy.md: every rule, never lowering, review intervals."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui.domain.instruments import builtin, score
from counselor_tui.domain.policy import (
    OTHERWISE,
    TIERS,
    AssessmentFacts,
    ExposureFacts,
    PolicyError,
    SessionRiskFacts,
    default_policy,
    default_policy_text,
    evaluate,
    load_policy,
    next_census_end,
    rank,
    review_due,
    suggest_tier,
)

TODAY = date(2026, 11, 29)
POLICY = default_policy()


def facts(code: str, responses: list[int | None], settings: dict[str, float] | None = None,
          assessment_id: int | None = 7) -> AssessmentFacts:
    result = score(builtin(code), responses, settings)
    return AssessmentFacts(result, tuple(responses), assessment_id)


def tier_of(event: AssessmentFacts | SessionRiskFacts | ExposureFacts) -> str | None:
    match = evaluate(POLICY, event, TODAY)
    return None if match is None else match.tier


def responses_with_total(code: str, total: int) -> list[int | None]:
    """Responses of ``code`` (no reversed items) summing to ``total``, critical items low."""
    defn = builtin(code)
    values = [defn.response_min] * defn.item_count
    remaining = total - defn.response_min * defn.item_count
    critical = {c.item for c in defn.critical_items}
    for i in range(defn.item_count):
        if i + 1 in critical:
            continue
        step = min(defn.response_max - defn.response_min, remaining)
        values[i] += step
        remaining -= step
    assert remaining == 0, "total not reachable without critical items"
    return list(values)


# -- red ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_item9_at_or_above_1_is_red(item9: int) -> None:
    event = facts("phq9", [0] * 8 + [item9])
    match = evaluate(POLICY, event, TODAY)
    assert match is not None
    assert match.tier == "red"
    assert match.rule == "critical_item"
    assert match.evidence["assessment"] == 7
    assert match.evidence["critical_items"] == [9]


def test_phq9_item9_zero_and_low_total_is_green() -> None:
    match = evaluate(POLICY, facts("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0]), TODAY)
    assert match is not None
    assert (match.tier, match.rules) == ("green", (OTHERWISE,))


@pytest.mark.parametrize("item", [15, 59, 63])
def test_scl90_critical_items_at_3_are_red(item: int) -> None:
    answers: list[int | None] = [1] * 90
    answers[item - 1] = 3
    assert tier_of(facts("scl90", answers)) == "red"
    answers[item - 1] = 2
    assert tier_of(facts("scl90", answers)) == "green"


@pytest.mark.parametrize(("risk", "tier"), [("imminent", "red"), ("high", "red"),
                                            ("moderate", "yellow"), ("low", None),
                                            ("none", None)])
def test_session_risk_rules(risk: str, tier: str | None) -> None:
    match = evaluate(POLICY, SessionRiskFacts(risk, session_id=11), TODAY)
    assert (None if match is None else match.tier) == tier
    if match is not None:
        assert match.evidence["session"] == 11
        assert match.evidence["risk"] == risk


@pytest.mark.parametrize(("role", "days_ago", "tier"), [
    ("involved", 0, "red"), ("involved", 30, "red"), ("involved", 31, None),
    ("injured", 12, "red"), ("injured", 30, "red"), ("injured", 31, None),
    ("witness", 1, None), ("family", 1, None),
])
def test_incident_exposure_within_30_days(role: str, days_ago: int, tier: str | None) -> None:
    occurred = date.fromordinal(TODAY.toordinal() - days_ago)
    match = evaluate(POLICY, ExposureFacts(role, occurred, incident_id=5), TODAY)
    assert (None if match is None else match.tier) == tier
    if match is not None:
        assert match.evidence == {"role": role, "incident": 5, "rules": ["incident_exposure"]}


# -- yellow ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "edge"), [("phq9", 10), ("gad7", 10), ("k10", 30)])
def test_total_rules_turn_yellow_exactly_at_the_edge(code: str, edge: int) -> None:
    assert tier_of(facts(code, responses_with_total(code, edge))) == "yellow"
    assert tier_of(facts(code, responses_with_total(code, edge - 1))) == "green"


def test_pss10_yellow_at_27_after_reversal() -> None:
    # items 4, 5, 7, 8 are reversed (x -> 4 - x): answering 0 there scores 4 each (16)
    base = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert score(builtin("pss10"), base).total == 16
    answers: list[int | None] = [4, 4, 3, 0, 0, 0, 0, 0, 0, 0]  # 16 + 11 = 27
    assert score(builtin("pss10"), answers).total == 27
    assert tier_of(facts("pss10", answers)) == "yellow"
    answers[2] = 2  # 26
    assert tier_of(facts("pss10", answers)) == "green"


def test_pcl5_yellow_at_cutoff_and_follows_the_cutoff_setting() -> None:
    # 33 spread so that no provisional diagnosis (E items all 0)
    answers: list[int | None] = [4, 4, 4, 4, 4, 4, 4, 4, 1] + [0] * 11
    assert sum(a or 0 for a in answers) == 33
    event = facts("pcl5", answers)
    assert event.result.provisional_diagnosis is False
    match = evaluate(POLICY, event, TODAY)
    assert match is not None
    assert (match.tier, match.rules) == ("yellow", ("pcl5_total",))
    assert tier_of(facts("pcl5", answers, {"cutoff": 34})) == "green"
    answers[8] = 0  # 32
    assert tier_of(facts("pcl5", answers)) == "green"
    assert tier_of(facts("pcl5", answers, {"cutoff": 31})) == "yellow"


def test_pcl5_provisional_diagnosis_alone_is_yellow() -> None:
    # B1=2, C6=2, D8,D9=2, E15,E16=2 -> endorsed in every cluster, total 12 < 33
    answers: list[int | None] = [0] * 20
    for item in (1, 6, 8, 9, 15, 16):
        answers[item - 1] = 2
    event = facts("pcl5", answers)
    assert event.result.provisional_diagnosis is True
    match = evaluate(POLICY, event, TODAY)
    assert match is not None
    assert (match.tier, match.rules) == ("yellow", ("pcl5_diagnosis",))


def test_scl90_screen_positive_is_yellow() -> None:
    assert tier_of(facts("scl90", [2] * 90)) == "yellow"
    assert tier_of(facts("scl90", [1] * 90)) == "green"


def test_red_wins_over_yellow_and_lists_only_red_rules() -> None:
    match = evaluate(POLICY, facts("phq9", [3] * 9), TODAY)
    assert match is not None
    assert match.tier == "red"
    assert match.rules == ("critical_item",)


def test_incomplete_assessment_gives_no_green_but_still_red_on_critical_item() -> None:
    assert evaluate(POLICY, facts("phq9", [0, 0, None, None, 0, 0, 0, 0, 0]), TODAY) is None
    event = facts("phq9", [0, 0, None, None, 0, 0, 0, 0, 1])
    assert not event.result.complete
    assert tier_of(event) == "red"


# -- never lower -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "expected"), [
    (None, "green"), ("green", None), ("yellow", None), ("red", None)])
def test_green_result_suggests_only_for_an_untiered_person(current: str | None,
                                                          expected: str | None) -> None:
    suggestion = suggest_tier(POLICY, facts("phq9", [0] * 9), current, TODAY)
    assert (None if suggestion is None else suggestion.tier) == expected


@pytest.mark.parametrize(("current", "expected"), [
    (None, "red"), ("green", "red"), ("yellow", "red"), ("red", None)])
def test_red_result_suggests_unless_already_red(current: str | None,
                                                expected: str | None) -> None:
    suggestion = suggest_tier(POLICY, facts("phq9", [0] * 8 + [1]), current, TODAY)
    assert (None if suggestion is None else suggestion.tier) == expected
    if suggestion is not None:
        assert suggestion.from_tier == current


@st.composite
def events(draw: st.DrawFn) -> AssessmentFacts | SessionRiskFacts | ExposureFacts:
    kind = draw(st.sampled_from(["assessment", "risk", "exposure"]))
    if kind == "risk":
        return SessionRiskFacts(draw(st.sampled_from(["none", "low", "moderate", "high",
                                                      "imminent"])))
    if kind == "exposure":
        days = draw(st.integers(0, 90))
        return ExposureFacts(draw(st.sampled_from(["involved", "witness", "injured", "family"])),
                             date.fromordinal(TODAY.toordinal() - days))
    code = draw(st.sampled_from(["phq9", "gad7", "pcl5", "pss10", "k10", "scl90"]))
    defn = builtin(code)
    answers = draw(st.lists(st.integers(defn.response_min, defn.response_max),
                            min_size=defn.item_count, max_size=defn.item_count))
    return AssessmentFacts(score(defn, answers), tuple(answers))


@given(event=events(), current=st.sampled_from([None, *TIERS]))
def test_a_suggestion_never_lowers_or_repeats_the_current_tier(
        event: AssessmentFacts | SessionRiskFacts | ExposureFacts, current: str | None) -> None:
    suggestion = suggest_tier(POLICY, event, current, TODAY)
    match = evaluate(POLICY, event, TODAY)
    if suggestion is None:
        assert match is None or rank(match.tier) <= rank(current)
    else:
        assert rank(suggestion.tier) > rank(current)
        assert match is not None
        assert suggestion.tier == match.tier


# -- review intervals ---------------------------------------------------------------------------


def test_review_intervals_red_7_yellow_30() -> None:
    assert review_due(POLICY, "red", TODAY) == date(2026, 12, 6)
    assert review_due(POLICY, "yellow", TODAY) == date(2026, 12, 29)


def test_green_review_is_the_end_of_the_next_census_else_365_days() -> None:
    censuses = [(date(2026, 11, 1), date(2026, 11, 30)),   # running: not "next"
                (date(2027, 5, 1), date(2027, 5, 31)),
                (date(2027, 3, 1), date(2027, 3, 20))]
    assert next_census_end(TODAY, censuses) == date(2027, 3, 20)
    assert review_due(POLICY, "green", TODAY, censuses) == date(2027, 3, 20)
    assert review_due(POLICY, "green", TODAY, censuses[:1]) == date(2027, 11, 29)
    assert review_due(POLICY, "green", TODAY) == date(2027, 11, 29)


def test_every_value_is_changeable() -> None:
    text = (default_policy_text()
            .replace("red = 7", "red = 3")
            .replace('green = "next_census"', "green = 90")
            .replace("value = 10\nlabel_zh = \"PHQ-9", "value = 15\nlabel_zh = \"PHQ-9")
            .replace("within_days = 30", "within_days = 14"))
    policy = load_policy(text)
    assert review_due(policy, "red", TODAY) == date(2026, 12, 2)
    assert review_due(policy, "green", TODAY) == date(2027, 2, 27)
    event = facts("phq9", responses_with_total("phq9", 12))
    assert evaluate(policy, event, TODAY) is not None
    match = evaluate(policy, event, TODAY)
    assert match is not None and match.tier == "green"
    assert evaluate(policy, ExposureFacts("involved", date(2026, 11, 10)), TODAY) is None


@pytest.mark.parametrize(("change", "fault"), [
    (('tier = "red"', 'tier = "orange"'), "Unknown tier"),
    (('op = ">="', 'op = "=>"'), "Unknown operator"),
    (('metric = "total"', 'metric = "median"'), "Unknown metric"),
    (('risks = ["moderate"]', 'risks = ["medium"]'), "Unknown code 'medium'"),
    (('rule = "gad7_total"', 'rule = "phq9_total"'), "used twice"),
    (("yellow = 30", "yellow = -1"), "whole number"),
    (('value = "cutoff"', 'value = "cut"'), "no setting 'cut'"),
])
def test_a_faulty_policy_is_refused_with_its_line(change: tuple[str, str], fault: str) -> None:
    text = default_policy_text()
    old, new = change
    assert old in text
    at = text.index(old)
    changed = text[:at] + new + text[at + len(old):]
    line = text[:at].count("\n") + 1
    with pytest.raises(PolicyError) as info:
        load_policy(changed)
    assert fault in str(info.value)
    assert info.value.line == line


def test_item_rule_of_a_bureau() -> None:
    text = default_policy_text() + (
        '\n[[assessment]]\nrule = "gad7_item7"\ntier = "yellow"\ninstrument = "gad7"\n'
        'metric = "item:7"\nop = ">="\nvalue = 3\n')
    policy = load_policy(text)
    match = evaluate(policy, facts("gad7", [0, 0, 0, 0, 0, 0, 3]), TODAY)
    assert match is not None
    assert (match.tier, match.rules) == ("yellow", ("gad7_item7",))

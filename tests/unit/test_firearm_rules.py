"""Firearm restriction lifecycle, notice content rule and prompts — pure rules."""

from __future__ import annotations

from datetime import date

import pytest

from counselor_tui.domain import firearms as rules
from counselor_tui.domain.vocab import FIREARM_STATUSES


def test_lifecycle_of_policy_md() -> None:
    assert set(rules.TRANSITIONS) == set(FIREARM_STATUSES)
    assert rules.next_status("recommended", "suspended") == "suspended"
    assert rules.next_status("recommended", "revoked") == "revoked"
    assert rules.next_status("recommended", "declined") == "declined"
    assert rules.next_status("suspended", "reinstated") == "reinstated"
    assert rules.next_status("revoked", "reinstated") == "reinstated"
    assert rules.next_status("suspended", "revoked") == "revoked"


@pytest.mark.parametrize(("current", "target"), [
    ("recommended", "reinstated"), ("declined", "suspended"), ("reinstated", "suspended"),
    ("revoked", "suspended"), ("suspended", "declined"), ("recommended", "recommended"),
])
def test_forbidden_steps(current: str, target: str) -> None:
    with pytest.raises(rules.FirearmRuleError):
        rules.next_status(current, target)


def test_reason_codes_are_non_clinical_codes_of_policy_md() -> None:
    assert rules.REASON_CODES == ("mh_assessment_pending", "mh_treatment", "post_incident",
                                  "other")


def test_default_review_is_90_days() -> None:
    assert rules.default_review_on(date(2026, 11, 29)) == date(2027, 2, 27)


def test_notice_fields_are_only_the_allowed_ones() -> None:
    assert set(rules.NOTICE_FIELDS) == {
        "reference", "bureau", "issued_on", "person_name", "badge_no", "unit_name",
        "decision", "decided_on", "decided_by_name", "review_on"}


def test_notice_lines_show_the_values_and_nothing_else() -> None:
    n = rules.Notice(reference="FR-00001", bureau="测试县公安局", issued_on="2026-11-30",
                     person_name="张三", badge_no="012345", unit_name="城关派出所",
                     decision="suspended", decided_on="2026-11-30", decided_by_name="王主任",
                     review_on="2027-02-28")
    values = [v for _, v in rules.notice_lines(n)]
    assert values == ["FR-00001", "张三", "012345", "城关派出所",
                      "firearm qualification suspended", "2026-11-30", "2027-02-28", "王主任"]
    assert rules.notice_title(n) == "Notice of suspension of firearm qualification"


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"tier": "red"}, True),
    ({"risk": "imminent"}, True),
    ({"critical_item": True}, True),
    ({"tier": "yellow", "risk": "high"}, False),
    ({}, False),
    ({"tier": "red", "active_status": "recommended"}, False),
    ({"risk": "imminent", "active_status": "suspended"}, False),
    ({"tier": "red", "active_status": "reinstated"}, True),
])
def test_should_prompt_recommendation(kwargs: dict[str, object], expected: bool) -> None:
    assert rules.should_prompt_recommendation(**kwargs) is expected  # type: ignore[arg-type]

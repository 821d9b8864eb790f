"""Incident kinds, step plans (policy.md), urgency and timeliness — pure rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counselor_tui.domain import incidents as rules
from counselor_tui.domain.incidents import StepFact, StepState

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 29, 9, 0, tzinfo=TZ)
H = timedelta(hours=1)
D = timedelta(days=1)

# policy.md, "Incident step plans (应激事件), due from reported_at" — copied by hand.
CRITICAL = [("acknowledge", 2 * H), ("first_contact", 12 * H), ("session", 48 * H),
            ("follow_up_7d", 7 * D), ("follow_up_30d", 30 * D), ("review_90d", 90 * D)]
CRISIS = [("acknowledge", 1 * H), ("safety_contact", 4 * H), ("session", 24 * H),
          ("follow_up_3d", 3 * D), ("follow_up_14d", 14 * D)]


def test_default_plans_are_policy_md_exactly() -> None:
    policy = rules.default_policy()
    assert [(s.step, s.due) for s in policy.plans["critical"]] == CRITICAL
    assert [(s.step, s.due) for s in policy.plans["crisis"]] == CRISIS
    first_contact = policy.plans["critical"][1]
    assert first_contact.per_person == ("involved", "injured")
    assert all(not s.per_person for s in policy.plans["crisis"])
    assert policy.warn_before == H
    assert policy.firearm_review_days == 90


def test_kinds_of_policy_md_with_categories_and_labels() -> None:
    critical = [k for k, v in rules.INCIDENT_KINDS.items() if v.category == "critical"]
    crisis = [k for k, v in rules.INCIDENT_KINDS.items() if v.category == "crisis"]
    assert critical == ["shooting", "attack_on_officers", "officer_casualty", "major_rescue",
                        "colleague_death"]
    assert crisis == ["suicidal_ideation", "self_harm", "violence_risk", "acute_stress"]
    assert rules.kind_label("self_harm") == "self-harm"
    assert rules.kind_label("unknown_kind") == "unknown_kind"


def test_forms_are_the_four_of_the_issue() -> None:
    assert list(rules.STEP_FORMS) == ["pfa", "individual_session", "group_session",
                                      "phone_contact"]


def test_plan_has_one_first_contact_per_involved_or_injured_person() -> None:
    policy = rules.default_policy()
    steps = rules.plan_steps(policy, "shooting", T0,
                             [(11, "involved"), (12, "witness"), (13, "injured")])
    contacts = [(s.person_id, s.due_at) for s in steps if s.step == "first_contact"]
    assert contacts == [(11, T0 + 12 * H), (13, T0 + 12 * H)]
    others = [(s.step, s.due_at) for s in steps if s.step != "first_contact"]
    assert others == [(code, T0 + due) for code, due in CRITICAL if code != "first_contact"]
    assert all(s.person_id is None for s in steps if s.step != "first_contact")


def test_plan_without_involved_person_keeps_one_unassigned_first_contact() -> None:
    steps = rules.plan_steps(rules.default_policy(), "major_rescue", T0, [(5, "witness")])
    assert [(s.step, s.person_id) for s in steps if s.step == "first_contact"] == [
        ("first_contact", None)]
    assert len(steps) == 6


def test_crisis_plan_due_times() -> None:
    steps = rules.plan_steps(rules.default_policy(), "suicidal_ideation", T0, [(1, "involved")])
    assert [(s.step, s.due_at) for s in steps] == [(c, T0 + d) for c, d in CRISIS]


def test_bureau_override_replaces_a_plan_and_the_lead_time() -> None:
    policy = rules.load_policy({"warn_before": "30m",
                                "plans": {"crisis": [{"step": "acknowledge", "due": "30m"}]}})
    assert [(s.step, s.due) for s in policy.plans["crisis"]] == [
        ("acknowledge", timedelta(minutes=30))]
    assert [(s.step, s.due) for s in policy.plans["critical"]] == CRITICAL
    assert policy.warn_before == timedelta(minutes=30)


@pytest.mark.parametrize("override", [
    {"plans": {"crisis": []}},
    {"plans": {"crisis": [{"step": "acknowledge", "due": "soon"}]}},
    {"plans": {"crisis": [{"step": "a", "due": "1h"}, {"step": "a", "due": "2h"}]}},
    {"plans": {"crisis": [{"step": "Bad Name", "due": "1h"}]}},
    {"warn_before": "0m"},
    {"firearm": {"review_days": 0}},
])
def test_malformed_override_is_refused(override: dict[str, object]) -> None:
    with pytest.raises(rules.IncidentPolicyError):
        rules.load_policy(override)


def test_parse_offset() -> None:
    assert rules.parse_offset("2h") == 2 * H
    assert rules.parse_offset(" 90d ") == 90 * D
    assert rules.parse_offset("45m") == timedelta(minutes=45)
    with pytest.raises(rules.IncidentPolicyError):
        rules.parse_offset("2 weeks")


def test_step_state_boundaries() -> None:
    due = T0 + 2 * H
    assert rules.step_state(due, None, False, T0) is StepState.OPEN
    assert rules.step_state(due, None, False, due - H - timedelta(seconds=1)) is StepState.OPEN
    assert rules.step_state(due, None, False, due - H) is StepState.DUE_SOON
    assert rules.step_state(due, None, False, due) is StepState.DUE_SOON
    assert rules.step_state(due, None, False, due + timedelta(seconds=1)) is StepState.OVERDUE
    assert rules.step_state(due, due, False, due + D) is StepState.DONE
    assert rules.step_state(due, due + timedelta(seconds=1), False, due + D) is StepState.LATE
    assert rules.step_state(due, due + D, True, due + D) is StepState.WAIVED


def test_step_state_compares_instants_across_offsets() -> None:
    due = datetime(2026, 11, 29, 1, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Shanghai
    assert rules.step_state(due, None, False, T0 + timedelta(minutes=1)) is StepState.OVERDUE


def test_urgency_order() -> None:
    keys = sorted([
        ("open", rules.urgency_key(StepState.OPEN, T0)),
        ("late-overdue", rules.urgency_key(StepState.OVERDUE, T0 + H)),
        ("first-overdue", rules.urgency_key(StepState.OVERDUE, T0)),
        ("soon", rules.urgency_key(StepState.DUE_SOON, T0)),
        ("done", rules.urgency_key(StepState.DONE, T0 - D)),
    ], key=lambda kv: kv[1])
    assert [k for k, _ in keys] == ["first-overdue", "late-overdue", "soon", "open", "done"]


def test_countdown_text() -> None:
    assert rules.countdown(T0 + 80 * timedelta(minutes=1), T0) == "1 h 20 min left"
    assert rules.countdown(T0 + 2 * D + 3 * H, T0) == "2 d 3 h left"
    assert rules.countdown(T0 - timedelta(minutes=5), T0) == "overdue by 5 min 0 s"


def test_timeliness_counts_each_outcome() -> None:
    start, end = datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ)
    due = datetime(2026, 11, 10, 12, 0, tzinfo=TZ)
    facts = [
        StepFact("acknowledge", due, due - H),           # on time
        StepFact("acknowledge", due, due),               # on time (at the due time)
        StepFact("acknowledge", due, due + H),           # late
        StepFact("acknowledge", due, None),              # open overdue
        StepFact("acknowledge", due, due + 30 * D),      # done after the period: overdue
        StepFact("session", due, due + H, waived=True),  # waived
        StepFact("session", end - H, None),              # due in period, not yet due at as_of
        StepFact("session", end, None),                  # next period: left out
        StepFact("session", start - H, None),            # previous period: left out
    ]
    rows = rules.timeliness(facts, start, end, as_of=end - 2 * H,
                            order=rules.default_policy().step_order)
    assert rows == (
        rules.StepTimeliness("acknowledge", due=5, on_time=2, late=1, open_overdue=2),
        rules.StepTimeliness("session", due=2, waived=1, pending=1),
    )
    after = rules.timeliness(facts, start, end, as_of=end + 60 * D)
    assert after[0] == rules.StepTimeliness("acknowledge", due=5, on_time=2, late=1,
                                            open_overdue=2)
    assert after[1] == rules.StepTimeliness("session", due=2, waived=1, open_overdue=1)


_moments = st.integers(min_value=0, max_value=60 * 24 * 40).map(
    lambda m: datetime(2026, 10, 20, tzinfo=TZ) + timedelta(minutes=m))


@given(st.lists(st.tuples(_moments, st.none() | _moments, st.booleans()), max_size=40),
       _moments)
def test_timeliness_partitions_the_steps_due(
        raw: list[tuple[datetime, datetime | None, bool]], as_of: datetime) -> None:
    start, end = datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ)
    facts = [StepFact("session", due, closed, waived and closed is not None)
             for due, closed, waived in raw]
    rows = rules.timeliness(facts, start, end, as_of)
    expected = sum(1 for f in facts if start <= f.due_at < end)
    got = rows[0] if rows else rules.StepTimeliness("session")
    assert got.due == expected
    assert got.on_time + got.late + got.open_overdue + got.waived + got.pending == expected

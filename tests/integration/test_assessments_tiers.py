"""Assessments, tier suggestions and decisions on a real SQLCipher vault."""

from __future__ import annotations

from datetime import date

import pytest

from counselor_tui.domain.policy import default_policy_text
from counselor_tui.services import assessments, audit, census, tier_policy
from counselor_tui.services.assessments import AssessmentDraft
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from db.models import Assessment, TierChange, TierState, TierSuggestion
from tests.integration.census_world import World

TODAY = date(2026, 11, 29)


pytestmark = pytest.mark.world("census")


@pytest.fixture
def coord(world: World) -> VaultSession:
    return world.login("coord")


def phq9(person_id: int, answers: list[int | None], on: date = TODAY) -> AssessmentDraft:
    return AssessmentDraft(person_id, "phq9", tuple(answers), on)


def test_item9_stores_scores_alerts_and_a_red_suggestion(world: World,
                                                         coord: VaultSession) -> None:
    pid = world.badges["330701"]
    saved = assessments.record_assessment(coord, phq9(pid, [0, 0, 0, 1, 0, 2, 0, 0, 1]))
    assert saved.result.total == 4
    assert [(a.item, a.value, a.threshold) for a in saved.alerts] == [(9, 1, 1)]
    assert saved.alerts[0].topic == "Thoughts of death or self-harm"
    assert saved.suggestion is not None
    assert (saved.suggestion.tier, saved.suggestion.rule) == ("red", "critical_item")
    assert saved.suggestion.evidence["assessment"] == saved.id
    assert saved.current_tier is None
    with coord.reading():
        row = Assessment.get_by_id(saved.id)
        assert row.responses == [0, 0, 0, 1, 0, 2, 0, 0, 1]
        assert (row.total, row.band, row.positive, row.complete) == (4, "minimal", False, True)
        assert row.flags["critical_items"] == [9]
        assert row.instrument_version == "2001"
        assert row.source == "manual"
    assert [s.id for s in tier_policy.pending(coord, pid)] == [saved.suggestion.id]


def test_confirming_writes_the_change_with_the_assessment_as_evidence(
        world: World, coord: VaultSession) -> None:
    pid = world.badges["330701"]
    saved = assessments.record_assessment(coord, phq9(pid, [0] * 8 + [1]))
    assert saved.suggestion is not None
    decision = tier_policy.confirm(coord, saved.suggestion.id)
    assert decision.change.to_tier == "red"
    assert decision.change.from_tier is None
    assert decision.change.suggested is True
    assert decision.change.evidence["assessment"] == saved.id
    assert decision.change.evidence["suggestion"] == saved.suggestion.id
    assert decision.state.review_due == "2026-12-06"  # red: 7 days
    with coord.reading():
        change = TierChange.get(TierChange.person == pid)
        assert change.evidence["assessment"] == saved.id
        assert TierState.get(TierState.person == pid).tier == "red"
        assert TierSuggestion.get_by_id(saved.suggestion.id).status == "confirmed"
    assert tier_policy.pending(coord, pid) == []
    with pytest.raises(Conflict):
        tier_policy.confirm(coord, saved.suggestion.id)
    assert audit.verify_chain(coord).ok


def test_a_suggestion_never_lowers_and_lowering_needs_a_reason(world: World,
                                                               coord: VaultSession) -> None:
    pid = world.badges["330702"]
    first = assessments.record_assessment(coord, phq9(pid, [2, 2, 2, 2, 2, 0, 0, 0, 0]))
    assert first.suggestion is not None and first.suggestion.tier == "yellow"
    tier_policy.confirm(coord, first.suggestion.id)
    calm = assessments.record_assessment(coord, phq9(pid, [0] * 9))
    assert calm.suggestion is None
    assert calm.match is not None and calm.match.tier == "green"
    assert calm.current_tier == "yellow"
    with pytest.raises(InvalidInput):
        tier_policy.set_tier(coord, pid, "green", "   ")
    decision = tier_policy.set_tier(coord, pid, "green", "Reviewed: symptoms resolved.",
                                    {"assessment": calm.id})
    assert (decision.change.from_tier, decision.change.to_tier) == ("yellow", "green")
    assert decision.change.suggested is False
    assert decision.state.review_due == "2027-11-29"  # green, no census planned: 365 days
    history = tier_policy.history(coord, pid)
    assert [(h.from_tier, h.to_tier) for h in history] == [("yellow", "green"),
                                                          (None, "yellow")]


def test_override_needs_a_reason_and_records_the_suggested_tier(world: World,
                                                                coord: VaultSession) -> None:
    pid = world.badges["330703"]
    saved = assessments.record_assessment(coord, phq9(pid, [0] * 8 + [1]))
    assert saved.suggestion is not None
    with pytest.raises(InvalidInput):
        tier_policy.override(coord, saved.suggestion.id, "yellow", "")
    decision = tier_policy.override(coord, saved.suggestion.id, "yellow",
                                    "Passive thought, safety plan in place.")
    assert decision.change.to_tier == "yellow"
    assert decision.change.suggested is False
    assert decision.change.evidence["suggested_tier"] == "red"
    assert decision.change.reason == "Passive thought, safety plan in place."
    assert decision.state.review_due == "2026-12-29"


def test_green_review_is_the_end_of_the_next_census(world: World, coord: VaultSession) -> None:
    census.create_census(coord, census.CensusDraft(
        "2027 普查", date(2027, 3, 1), date(2027, 3, 31), ("phq9",),
        (world.units["城东派出所"],)))
    pid = world.badges["330709"]
    saved = assessments.record_assessment(coord, phq9(pid, [0] * 9))
    assert saved.suggestion is not None and saved.suggestion.tier == "green"
    decision = tier_policy.confirm(coord, saved.suggestion.id)
    assert decision.state.review_due == "2027-03-31"


def test_confirming_supersedes_lower_pending_suggestions(world: World,
                                                        coord: VaultSession) -> None:
    pid = world.badges["330704"]
    yellow = assessments.record_assessment(coord, phq9(pid, [2, 2, 2, 2, 2, 0, 0, 0, 0]))
    red = assessments.record_assessment(coord, phq9(pid, [0] * 8 + [2]))
    assert yellow.suggestion is not None and red.suggestion is not None
    decision = tier_policy.confirm(coord, red.suggestion.id)
    assert decision.superseded == 1
    assert tier_policy.get_suggestion(coord, yellow.suggestion.id).status == "superseded"


def test_session_risk_and_exposure_hooks(world: World, coord: VaultSession) -> None:
    pid = world.badges["330705"]
    moderate = tier_policy.suggest_for_session_risk(coord, pid, 0, "moderate")
    assert moderate is not None and moderate.tier == "yellow"
    assert moderate.evidence == {"risk": "moderate", "session": 0,
                                 "rules": ["session_risk_moderate"]}
    assert tier_policy.suggest_for_session_risk(coord, pid, 0, "low") is None
    assert tier_policy.suggest_for_session_risk(coord, None, 0, "imminent") is None
    with pytest.raises(NotFound):
        tier_policy.suggest_for_exposure(coord, pid, 999, "involved")


def test_roles_and_visibility(world: World) -> None:
    li = world.login("li")        # counselor of 城东派出所
    wang = world.login("wang")    # counselor of 交警大队
    auditor = world.login("audit")
    pid = world.badges["330701"]  # 城东派出所
    saved = assessments.record_assessment(li, phq9(pid, [0] * 8 + [1]))
    assert saved.suggestion is not None
    with pytest.raises(NotFound):
        assessments.record_assessment(wang, phq9(pid, [0] * 9))
    with pytest.raises(NotFound):
        tier_policy.confirm(wang, saved.suggestion.id)
    assert tier_policy.pending(wang) == []
    with pytest.raises(PermissionDenied):
        assessments.record_assessment(auditor, phq9(pid, [0] * 9))
    with pytest.raises(PermissionDenied):
        assessments.record_assessment(world.admin, phq9(pid, [0] * 9))
    tier_policy.confirm(li, saved.suggestion.id)


def test_bad_input_names_the_item(world: World, coord: VaultSession) -> None:
    pid = world.badges["330701"]
    with pytest.raises(InvalidInput, match="Item 3: response 4 is outside 0–3"):
        assessments.record_assessment(coord, phq9(pid, [0, 0, 4, 0, 0, 0, 0, 0, 0]))
    with pytest.raises(InvalidInput, match="needs 9 responses"):
        assessments.record_assessment(coord, phq9(pid, [0] * 8))
    with pytest.raises(InvalidInput, match="Unknown instrument"):
        assessments.record_assessment(coord, AssessmentDraft(pid, "bdi", (0,), TODAY))
    with pytest.raises(InvalidInput, match="future"):
        assessments.record_assessment(coord, phq9(pid, [0] * 9, date(2026, 11, 30)))


def test_void_removes_it_from_census_and_voids_its_suggestion(world: World,
                                                             coord: VaultSession) -> None:
    unit = world.units["城东派出所"]
    cid = census.create_census(coord, census.CensusDraft(
        "冬季普查", date(2026, 11, 1), date(2026, 11, 30), ("phq9",), (unit,)))
    pid = world.badges["330701"]
    saved = assessments.record_assessment(coord, phq9(pid, [0] * 8 + [1]))
    assert saved.census_id == cid  # linked: the one open census containing it
    assert census.figures(coord, cid).completed == 1
    with pytest.raises(InvalidInput):
        assessments.void_assessment(coord, saved.id, "")
    assessments.void_assessment(coord, saved.id, "entered for the wrong officer")
    assert census.figures(coord, cid).completed == 0
    assert saved.suggestion is not None
    assert tier_policy.get_suggestion(coord, saved.suggestion.id).status == "void"
    with pytest.raises(Conflict):
        assessments.void_assessment(coord, saved.id, "again")
    assert audit.verify_chain(coord).ok


def test_a_bureau_policy_is_validated_and_used(world: World, coord: VaultSession) -> None:
    with pytest.raises(InvalidInput, match="line"):
        tier_policy.set_policy(coord, default_policy_text().replace('tier = "red"',
                                                                   'tier = "purple"', 1))
    tier_policy.set_policy(coord, default_policy_text().replace("red = 7", "red = 3"))
    pid = world.badges["330706"]
    saved = assessments.record_assessment(coord, phq9(pid, [0] * 8 + [1]))
    assert saved.suggestion is not None
    decision = tier_policy.confirm(coord, saved.suggestion.id)
    assert decision.state.review_due == "2026-12-02"


def test_pcl5_cutoff_setting_moves_band_and_suggestion(world: World,
                                                       coord: VaultSession) -> None:
    from counselor_tui.services import settings

    answers: list[int | None] = [4, 4, 4, 4, 4, 4, 4, 4, 0] + [0] * 11  # 32
    pid = world.badges["330707"]
    low = assessments.record_assessment(coord, AssessmentDraft(pid, "pcl5", tuple(answers),
                                                               TODAY))
    assert low.result.band == "below_threshold"
    assert low.suggestion is not None and low.suggestion.tier == "green"
    settings.set_setting(coord, "pcl5_cutoff", 31)
    high = assessments.record_assessment(coord, AssessmentDraft(pid, "pcl5", tuple(answers),
                                                                TODAY))
    assert high.result.band == "probable_ptsd"
    assert high.suggestion is not None and high.suggestion.tier == "yellow"


def test_dashboard_section_lists_red_first(world: World, coord: VaultSession) -> None:
    assessments.record_assessment(coord, phq9(world.badges["330708"], [0] * 9))
    assessments.record_assessment(coord, phq9(world.badges["330710"], [0] * 8 + [3]))
    section = tier_policy.dashboard_section(coord)
    assert section is not None
    assert section.extra == {"pending": 2, "red": 1}
    assert section.items[0].level == "urgent"
    assert section.items[0].person_id == world.badges["330710"]
    assert tier_policy.dashboard_section(world.login("audit")) is None


def test_flagging_an_incident_suggests_red_for_involved_and_injured(
        world: World, coord: VaultSession, clock: FixedClock) -> None:
    from datetime import timedelta

    from counselor_tui.services import incidents
    from counselor_tui.services.incidents import ExposureDraft, IncidentDraft

    b = world.badges
    now = clock.now()
    incident_id = incidents.flag_emergency(coord, IncidentDraft(
        kind="shooting", occurred_at=now - timedelta(hours=2), severity="major",
        persons=(ExposureDraft("involved", b["330701"]), ExposureDraft("injured", b["330702"]),
                 ExposureDraft("witness", b["330709"]))))
    rows = {s.person_id: s for s in tier_policy.pending(coord)}
    assert set(rows) == {b["330701"], b["330702"]}
    assert rows[b["330701"]].tier == "red"
    assert rows[b["330701"]].evidence == {"incident": incident_id, "role": "involved",
                                          "rules": ["incident_exposure"]}
    decision = tier_policy.confirm(coord, rows[b["330702"]].id)
    assert decision.change.evidence["incident"] == incident_id
    assert audit.verify_chain(coord).ok

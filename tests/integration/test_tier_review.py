"""Tier on the record (issue 15 point 1): review keeps a tier, change must change it."""

from __future__ import annotations

import pytest

from counselor_tui.services import assessments, audit, persons, tier_policy, tier_review
from counselor_tui.services.assessments import AssessmentDraft
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied
from db.models import TierChange
from tests.integration.census_world import World

pytestmark = pytest.mark.world("census")


@pytest.fixture
def coord(world: World) -> VaultSession:
    return world.login("coord")


def _events(vs: VaultSession, entity: str) -> list[dict[str, object]]:
    with vs.reading():
        return [dict(e.detail) for e in audit.iter_events(vs) if e.entity == entity]


def test_review_keeps_the_tier_change_refuses_the_same_tier(world: World,
                                                            coord: VaultSession) -> None:
    pid = world.badges["330701"]
    with pytest.raises(Conflict):  # nothing to review yet: a first tier is a change
        tier_review.review(coord, pid)
    with pytest.raises(InvalidInput):
        tier_review.change(coord, pid, "yellow", "  ")
    first = tier_review.change(coord, pid, "yellow", "Sleep problems after the incident.")
    assert (first.change.from_tier, first.change.to_tier) == (None, "yellow")
    assert first.state.review_due == "2026-12-29"  # yellow: 30 days (policy)
    # the bug of issue 15: 一般 → 一般 saved as a change. Refused in the service, both ways.
    with pytest.raises(Conflict):
        tier_review.change(coord, pid, "yellow", "again")
    with pytest.raises(Conflict):
        tier_policy.set_tier(coord, pid, "yellow", "again")
    reviewed = tier_review.review(coord, pid, "Sleeping better; keep watching.")
    assert (reviewed.change.from_tier, reviewed.change.to_tier) == ("yellow", "yellow")
    assert reviewed.change.evidence == {"review": True}
    assert reviewed.state.since == first.state.since
    lower = tier_review.change(coord, pid, "green", "Two calm interviews.")
    assert lower.state.since == "2026-11-29"
    history = tier_policy.history(coord, pid)
    assert [(h.from_tier, h.to_tier) for h in history] == [
        ("yellow", "green"), ("yellow", "yellow"), (None, "yellow")]
    details = _events(coord, "tier_change")
    assert [d["review"] for d in details[-3:]] == [False, True, False]
    assert all("reason" not in str(d) and "Sleep" not in str(d) for d in details)


def test_change_evidence_must_be_the_persons_own(world: World, coord: VaultSession) -> None:
    pid, other = world.badges["330701"], world.badges["330703"]
    tier_review.change(coord, other, "yellow", "first")
    theirs = tier_review.evidence_choices(coord, other)
    assert theirs == []  # no assessments/sessions/incidents in this world yet
    assessments.record_assessment(coord, AssessmentDraft(
        other, "phq9", (1, 1, 1, 1, 1, 1, 0, 0, 0), coord.today()))
    # the instrument by the name it is known by, as the record and census show it
    assert [c.label for c in tier_review.evidence_choices(coord, other)] == ["PHQ-9 6"]
    with pytest.raises(InvalidInput):
        tier_review.change(coord, pid, "red", "because", {"sessions": [999_999]})
    with pytest.raises(InvalidInput):
        tier_review.change(coord, pid, "red", "because", {"rumours": [1]})
    with coord.reading():
        assert TierChange.select().where(TierChange.person == pid).count() == 0
    # fix15 E: with a record to rest on, a change names one, or says it rests on none
    aid = tier_review.evidence_choices(coord, other)[0].id
    with pytest.raises(InvalidInput, match="rests on"):
        tier_review.change(coord, other, "red", "the unit reported threats")
    tier_review.change(coord, other, "green", "the unit's report (not in the archive)",
                       without_evidence=True)
    # the evidence ticked is on the record's history line, short
    tier_review.change(coord, other, "red", "PHQ-9 worse", {"assessments": [aid]})
    history = persons.get_person(coord, other).tier_history
    assert [h.evidence for h in history] == [
        (f"PHQ-9 {coord.today().isoformat()}",), (), ()]


def test_roles_and_the_preview(world: World, coord: VaultSession) -> None:
    pid = world.badges["330701"]
    auditor = world.login("audit")
    with pytest.raises(PermissionDenied):
        tier_review.change(auditor, pid, "red", "no")
    with pytest.raises(PermissionDenied):
        tier_review.review(world.admin, pid)
    before = tier_review.preview(coord, pid)
    assert before.current is None
    assert before.next_review["red"] == "2026-12-06"
    assert before.next_review["yellow"] == "2026-12-29"

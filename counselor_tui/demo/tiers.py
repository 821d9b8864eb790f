"""Demo phase: tiers, their history and pending suggestions, consistent with the evidence."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from counselor_tui.demo.base import TRACKED, BuilderBase, Evidence, stored_json
from counselor_tui.demo.sizes import CURRENT_DAYS
from counselor_tui.domain import policy as policy_rules
from counselor_tui.services.context import iso
from db.models import (
    TierChange,
    TierState,
    TierSuggestion,
)

_TIERS = ("green", "yellow", "red")


#: The written reasons of a counselor lowering a tier back to green after a review.
_REASONS_DOWN = ("复评结果正常，经面谈评估调整为一般。", "随访三个月情绪稳定，调整为一般。",
                 "危机已解除，社会支持良好，调整为一般。")


class TiersPhase(BuilderBase):
    """Tiers, their history and pending suggestions, consistent with the evidence."""

    def tiers(self) -> None:
        """TierState for every officer, with the TierChange history and TierSuggestions
        that the collected evidence implies (policy.md: a suggestion only ever raises a tier;
        lowering is a counselor's decision with a written reason).

        Evidence older than :data:`CURRENT_DAYS` raised the tier back then and was lowered
        again two to five months later; the highest current evidence holds the tier now,
        except for a few recent ones still waiting as a pending suggestion.
        """
        window = self.now - timedelta(days=CURRENT_DAYS)
        recent = self.now - timedelta(days=14)
        # about a fifth of the officers with fresh evidence still wait for a decision
        fresh = [p for p, events in self.evidence.items() if any(e.at >= recent for e in events)]
        waiting = set(self.rng.sample(fresh, max(1, len(fresh) // 5))) if fresh else set()
        for o in range(self.spec.officers):
            person = self.first_officer + o
            by = self.unit_counselor[self.off_unit[o]]
            track = _TierTrack(self, person, by, self.off_since[o])
            events = sorted(self.evidence.get(person, []), key=lambda e: (e.at, -e.level))
            lower_at: datetime | None = None
            for ev in (e for e in events if e.at < window):
                if lower_at is not None and lower_at < ev.at:
                    track.change(0, lower_at, None)
                    lower_at = None
                if ev.level > track.tier:
                    track.change(ev.level, ev.at + timedelta(hours=self.rng.randint(4, 72)), ev)
                if track.tier:
                    lower_at = ev.at + timedelta(days=self.rng.randint(60, 150))
            if lower_at is not None and lower_at < window:
                track.change(0, lower_at, None)
            current = [e for e in events if e.at >= window]
            if current:
                top = max(current, key=lambda e: (e.level, -e.at.timestamp()))
                if top.level > track.tier:
                    if person in waiting and top.at >= recent:
                        track.suggest(top)
                    else:
                        track.change(top.level, top.at + timedelta(
                            hours=self.rng.randint(2, 48)), top)
            track.state()
            self._flush_if(TierState)
        self._commit()
        self._done("tier_state", self.spec.officers)


class _TierTrack:
    """One officer's tier as the evidence is replayed: writes TierChange and TierSuggestion
    rows the way :mod:`counselor_tui.services.tier_policy` does (a confirmed suggestion's
    change carries the suggestion's evidence plus its id and the rule's label as reason),
    then the TierState row."""

    CHANGE = ("id", "person", "from_tier", "to_tier", "reason", "evidence", "suggested", "by",
              "at")
    SUGGESTION = ("id", "person", "tier", "rule", "evidence", "status", "created_at",
                  "resolved_at", "resolved_by", "change")
    STATE = ("person", "tier", "since", "review_due", *TRACKED)

    def __init__(self, builder: BuilderBase, person: int, by: int, since: date) -> None:
        self.b = builder
        self.person = person
        self.by = by
        self.tier = 0
        self.since = self.entered = since
        self.changed_at: str | None = None

    def change(self, new: int, at: datetime, ev: Evidence | None) -> None:
        """Record a change to tier ``new`` at ``at``: a confirmed suggestion when ``ev`` is
        given, else a counselor's lowering with a written reason."""
        b = self.b
        stamp = iso(min(at, b.now - timedelta(minutes=10)))
        tid = b._id("tier_change")
        if ev is None:
            reason, evidence = b.rng.choice(_REASONS_DOWN), {}
        else:
            sid = b._id("tier_suggestion")
            reason = b.tier_policy.rule_label(ev.rule, "zh")
            evidence = {**ev.evidence, "suggestion": sid}
            b.w.add(TierSuggestion, self.SUGGESTION, [
                sid, self.person, _TIERS[new], ev.rule, stored_json(ev.evidence), "confirmed",
                iso(ev.at), stamp, self.by, tid])
        b.w.add(TierChange, self.CHANGE, [
            tid, self.person, _TIERS[self.tier], _TIERS[new], reason, stored_json(evidence),
            ev is not None, self.by, stamp])
        self.tier, self.since, self.changed_at = new, date.fromisoformat(stamp[:10]), stamp

    def suggest(self, ev: Evidence) -> None:
        """Leave ``ev`` as a pending suggestion (the counselor has not decided yet)."""
        self.b.w.add(TierSuggestion, self.SUGGESTION, [
            self.b._id("tier_suggestion"), self.person, _TIERS[ev.level], ev.rule,
            stored_json(ev.evidence), "pending", iso(ev.at), None, None, None])

    def state(self) -> None:
        """The TierState row. Review due (policy ``review_due``): red 7 / yellow 30 days
        after the tier was set, rolled forward by the reviews held since; green at the end
        of the next census."""
        b = self.b
        tier = _TIERS[self.tier]
        due = policy_rules.review_due(b.tier_policy, tier, self.since, b.census_windows)
        while due < b.today - timedelta(days=b.rng.randint(0, 5)):
            due = policy_rules.review_due(b.tier_policy, tier, due, b.census_windows)
        entered = iso(b._at(self.entered, 10 * 3600))  # with the person, from the roster
        b.w.add(TierState, self.STATE, [
            self.person, tier, self.since.isoformat(), due.isoformat(), entered,
            b.coordinator, self.changed_at or entered,
            self.by if self.changed_at else b.coordinator])

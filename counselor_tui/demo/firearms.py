"""Demo phase: firearm restrictions."""

from __future__ import annotations

from datetime import timedelta

from counselor_tui.demo.base import TRACKED, BuilderBase, Row
from counselor_tui.services.context import iso
from db.models import (
    FirearmEvent,
    FirearmRestriction,
)


class FirearmsPhase(BuilderBase):
    """Firearm restrictions."""

    def firearms(self) -> None:
        """A few restrictions in each status, for distinct officers: recommendations and
        suspensions for red-tier officers, reinstatements after incidents, the named
        decision-makers of the 政治处, review dates of the incident policy."""
        rng = self.rng
        n = max(1, min(40, round(self.spec.officers ** 0.5 / 12)))
        with self.vs.reading():
            red = [int(r[0]) for r in self.vs.execute(
                "SELECT person_id FROM tier_state WHERE tier = 'red' ORDER BY person_id")]
        used: set[int] = set()
        candidates = [self.first_officer + o for o in range(self.spec.officers)
                      if not self.off_archived[o]]

        def pick(prefer: list[int]) -> int:
            for source in (prefer, candidates):
                free = [p for p in source if p not in used]
                if free:
                    choice = rng.choice(free)
                    used.add(choice)
                    return choice
            raise RuntimeError("no officer left for a firearm restriction")

        review_days = self.incident_policy.firearm_review_days
        fields = ("id", "person", "status", "reason_code", "recommended_by", "recommended_at",
                  "review_on", "note", *TRACKED)
        event_fields = ("restriction", "kind", "outcome", "on_date", "decided_by_name",
                        "reason_code", "next_review_on", "by", "at", "not_kept")
        post_incident = [p for p, _at in self.exposed]
        for status in ("recommended", "suspended", "revoked", "reinstated", "declined"):
            for _i in range(n):
                person = pick(red if status in ("recommended", "suspended") else
                              post_incident if status == "reinstated" else [])
                o = person - self.first_officer
                by = self.unit_counselor[self.off_unit[o]]
                age = {"recommended": (1, 10), "suspended": (15, 120), "revoked": (60, 400),
                       "reinstated": (150, 600), "declined": (20, 300)}[status]
                recommended = self.now - timedelta(days=rng.randint(*age), hours=rng.randint(0, 8))
                reason = rng.choices(("mh_assessment_pending", "mh_treatment", "post_incident",
                                      "other"), weights=(40, 30, 20, 10))[0]
                rid = self._id("firearm_restriction")
                # as services.firearms stores them: one event per step, each with its own
                # decision-maker and date; the restriction keeps the status and next review
                events: list[Row] = [[rid, "recommended", None, recommended.date().isoformat(),
                                      None, reason, None, by, iso(recommended), "[]"]]
                decided = None if status == "recommended" else (
                    recommended + timedelta(days=rng.randint(1, 5))).date()
                review = None
                last_at = recommended
                if decided is not None:
                    outcome = status if status in ("suspended", "revoked", "declined") else \
                        rng.choice(("suspended", "revoked"))
                    due = decided + timedelta(days=review_days)
                    last_at = self._at(decided, 10 * 3600)
                    events.append([rid, "decided", outcome, decided.isoformat(),
                                   rng.choice(self.decision_makers), None,
                                   None if outcome == "declined" else due.isoformat(),
                                   self.coordinator, iso(last_at), "[]"])
                    if status in ("suspended", "revoked"):
                        # each review held so far changed nothing: a new review date
                        while due < self.today - timedelta(days=rng.randint(0, 10)):
                            held, due = due, due + timedelta(days=review_days)
                            last_at = self._at(held, 11 * 3600)
                            events.append([rid, "reviewed", "no_change", held.isoformat(),
                                           rng.choice(self.decision_makers), None,
                                           due.isoformat(), self.coordinator, iso(last_at),
                                           "[]"])
                        review = due.isoformat()
                    elif status == "reinstated":  # reinstated after the review
                        ended = min(self.today, decided + timedelta(days=rng.randint(60, 120)))
                        last_at = self._at(ended, 11 * 3600)
                        events.append([rid, "reinstated", "reinstated", ended.isoformat(),
                                       rng.choice(self.decision_makers), None, None,
                                       self.coordinator, iso(last_at), "[]"])
                note = {"recommended": "待政治处决定", "suspended": "暂停配枪资格，到期复核",
                        "revoked": "取消配枪资格", "reinstated": "复核通过，恢复配枪资格",
                        "declined": "经研究不予暂停，加强关注"}[status]
                self.w.add(FirearmRestriction, fields, [
                    rid, person, status, reason, by, iso(recommended), review, note,
                    iso(recommended), by, iso(last_at),
                    self.coordinator if decided else by])
                for event in events:
                    self.w.add(FirearmEvent, event_fields, event)
        self._commit()
        self._done("firearm_restriction", 5 * n)

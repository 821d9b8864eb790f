"""Demo phase: two years of counseling sessions, with follow-ups and the assessments they prompt."""

from __future__ import annotations

import heapq
from datetime import timedelta
from itertools import accumulate

from counselor_tui.demo.base import (
    DURATION,
    RISK_CRISIS,
    RISKS,
    S_CLOSED_AT,
    TOPICS,
    BuilderBase,
    Choice,
    between,
    pick,
)
from counselor_tui.demo.sizes import CHUNK, DAYS
from counselor_tui.domain import demo_names as names

_CHANNEL = Choice(("face_to_face", "hotline", "online", "visit", "email", "group", "on_scene"),
                   (40, 18, 14, 10, 5, 8, 5))


_TOPIC_OFFICER = Choice(TOPICS, (30, 14, 14, 8, 10, 14, 4, 3, 1, 2))


_TOPIC_FAMILY = Choice(TOPICS, (6, 8, 18, 24, 24, 10, 5, 1, 1, 3))


_TOPIC_COUNT = Choice((1, 2, 3), (50, 35, 15))


_RISK_BASE = Choice(RISKS, (74, 22.7, 3, 0.25, 0.05))


_RISK_DISTRESSED = Choice(RISKS, (40, 39.5, 17, 3, 0.5))


_RETURN_KIND = Choice(("routine", "follow_up", "crisis"), (81.5, 17, 1.5))


_S_CLOSED_BY = S_CLOSED_AT + 1


_CALLERS = ("匿名来电", "匿名来电（自称民警）", "匿名来电（自称家属）", "匿名来电（男）",
            "匿名来电（女）")


_FOLLOW_UP_DAYS = (7, 7, 14, 14, 21, 30)


class SessionsPhase(BuilderBase):
    """Two years of counseling sessions, with follow-ups and the assessments they prompt."""

    def sessions(self) -> None:
        """Two years of sessions, day by day, in the order they happened.

        Each day gets its share of the total (weekdays more, a slow upward trend, today
        only up to now); follow-ups planned by earlier sessions come back on their date and
        close what they follow up; three reserved officers carry follow-ups due today, due
        this week and overdue, so those dashboard lists are never empty.

        Days are day indexes from :attr:`start` (today is :data:`DAYS`) and moments seconds
        after their midnight: one ``random()`` per draw and per-day text pieces for the
        stamps (:class:`.base.Stamps`), not a ``datetime`` per session (issue 18).
        """
        rng, spec, r = self.rng, self.spec, self.r
        active = [o for o in range(spec.officers) if not self.off_archived[o]]
        reserved = sorted(rng.sample(active, min(3, len(active))))
        pool = [o for o in active if o not in reserved]
        frequent = [o for o in pool if self.off_level[o] >= 2 or r() < 0.25] or pool
        # (day index) -> (reserved officer, follow-up offset from today in days); "later
        # this week" lies before Sunday (on a Sunday there is no later day this week)
        later = max(1, min(3, 6 - self.today.weekday()))
        showcase = {d: plan for d, plan in ((DAYS - 12, (0, -3)), (DAYS - 5, (1, 0)),
                                            (DAYS - 2, (2, later))) if plan[0] < len(reserved)}
        quota = spec.sessions - self.incident_sessions - len(showcase)
        now_seconds = self.now_abs - DAYS * 86400
        today_share = max(0.0, min(1.0, (now_seconds - 8.5 * 3600) / (10 * 3600)))
        weights = []
        for d in range(DAYS + 1):
            day = self.start + timedelta(days=d)
            w = (1.0 if day.weekday() < 5 else 0.35) * (0.85 + 0.3 * d / DAYS)
            weights.append(w * today_share if d == DAYS else w)
        targets = list(accumulate(names.share_out(quota, weights)))  # running totals
        self.seen = bytearray(self.next_id["person"] + 1)
        self.pending: dict[int, list[tuple[int, int]]] = {}
        self.since_index = [(since - self.start).days for since in self.off_since]
        heap: list[tuple[int, int, int, int]] = []  # (day index, seq, person, origin session)
        seq = 0
        emitted = 0
        for d in range(DAYS + 1):
            remaining = quota - emitted
            fixed: list[tuple[int, int]] = []
            if d in showcase:
                who, offset = showcase[d]
                fixed.append((reserved[who], DAYS + offset))
            due: list[tuple[int, int]] = []
            while heap and heap[0][0] <= d:
                _when, _seq, returning, origin = heapq.heappop(heap)
                due.append((returning, origin))
            due = due[:remaining]
            # returning follow-ups come first; fresh sessions fill up to the running target
            fresh = max(0, targets[d] - emitted - len(due))
            for index, promised in fixed:
                self._fresh(d, self.first_officer + index, index, "intake", promised)
            made: list[tuple[int | None, int, int | None]] = []
            for returning, origin in due:
                made.append((returning, *self._fresh(
                    d, returning, self._officer_index(returning), "follow_up", None, origin)))
            for _i in range(fresh):
                person, o = self._pick(d, pool, frequent)
                kind = "intake"
                if person is not None and self.seen[person]:
                    kind = _RETURN_KIND.draw(rng)
                    if kind == "crisis" and (o is None or self.off_level[o] < 2):
                        kind = "routine"  # crises come from officers in distress
                made.append((person, *self._fresh(d, person, o, kind,
                                                  self._draw_follow_up(d, person, kind))))
            for client, sid, follow_up in made:
                # planned follow-ups happen (a few days late at most); about a third of those
                # due in the last three weeks are still open: the overdue list
                if client is None or follow_up is None or follow_up > DAYS:
                    continue
                if DAYS - follow_up > 21 or r() >= 0.35:
                    when = follow_up + between(self.bits, 0, 2)
                    if when <= DAYS:
                        seq += 1
                        heapq.heappush(heap, (when, seq, client, sid))
            emitted += len(due) + fresh
            if len(self.session_rows) >= CHUNK:
                self._commit()
        self._commit()
        self._done("counseling_session", spec.sessions)

    def _draw_follow_up(self, d: int, person: int | None, kind: str) -> int | None:
        """The planned follow-up day (index) of a fresh session on day ``d`` (None: none)."""
        r = self.r
        if person is None:
            return None
        if kind == "crisis":
            return d + between(self.bits, 1, 3)
        if r() < 0.25:
            return d + pick(self.bits, _FOLLOW_UP_DAYS)
        return None

    def _pick(self, d: int, pool: list[int], frequent: list[int]) -> tuple[int | None,
                                                                           int | None]:
        """Who comes to a fresh session on day ``d``: (person id or None for anonymous,
        officer index)."""
        r = self.r
        roll = r()
        if roll < 0.06:
            return None, None
        if roll < 0.14 and self.families:
            pid, o = pick(self.bits, self.families)
            return pid, o
        if roll < 0.15 and self.others:
            return pick(self.bits, self.others), None
        since = self.since_index
        for _try in range(6):
            o = pick(self.bits, frequent) if r() < 0.5 else pick(self.bits, pool)
            if since[o] <= d:
                break
        return self.first_officer + o, o

    def _fresh(self, d: int, person: int | None, o: int | None, kind: str,
               follow_up: int | None, origin: int | None = None
               ) -> tuple[int, int | None]:
        """Generate one session on day ``d`` for ``person`` (None: anonymous caller) and
        close the person's follow-ups that are due (and ``origin``, the one it follows up);
        returns its id and the follow-up day it plans."""
        rng, r, bits = self.rng, self.r, self.bits
        family = person is not None and o is not None and person != self.first_officer + o
        if person is None:
            channel = "hotline"
            caller: str | None = pick(bits, _CALLERS)
        else:
            channel = _CHANNEL.draw(rng)
            caller = None
        if kind == "follow_up" and channel in ("group", "on_scene"):
            channel = "face_to_face"
        lo, hi = (7 * 3600, 23 * 3600) if channel == "hotline" else (8 * 3600 + 1800, 20 * 3600)
        if d == DAYS:
            hi = min(hi, self.now_abs - DAYS * 86400 - 900)
            lo = min(lo, max(0, hi - 3600))
        sec = between(bits, lo, max(lo, hi))
        duration = between(bits, *DURATION[channel])
        topic_choice = _TOPIC_FAMILY if family else _TOPIC_OFFICER
        topics: list[str] = []
        for _n in range(_TOPIC_COUNT.draw(rng)):
            topic = topic_choice.draw(rng)
            if topic not in topics:
                topics.append(topic)
        if kind == "crisis":
            risk = RISK_CRISIS.draw(rng)
        elif o is not None and not family and self.off_level[o] >= 2:
            risk = _RISK_DISTRESSED.draw(rng)
        else:
            risk = _RISK_BASE.draw(rng)
        if person is not None and follow_up is None and risk in ("moderate", "high",
                                                                 "imminent") and r() < 0.9:
            follow_up = d + (7 if risk == "moderate" else between(bits, 1, 3))
        if person is None or o is None:
            counselor = pick(bits, self.counselors)
        else:
            counselor = (self.unit_counselor[self.off_unit[o]] if r() < 0.75
                         else pick(bits, self.counselors))
        sid = self._session_row(person, counselor, d, sec, duration, channel, kind, topics,
                                risk, follow_up, None, caller)
        if person is None:
            return sid, None
        self.seen[person] = 1
        waiting = self.pending.pop(person, None)
        if waiting:
            # as sessions.log_session: close the person's follow-ups due up to the end
            # (Sunday) of this session's week, at the moment the session was entered
            at = self.buffered[sid][1]
            week_end = d + 6 - (self.start + timedelta(days=d)).weekday()
            keep = []
            for pending_id, due in waiting:
                if due <= week_end or pending_id == origin:
                    self._close(pending_id, at, sid)
                else:
                    keep.append((pending_id, due))
            if keep:
                self.pending[person] = keep
        if follow_up is not None:
            self.pending.setdefault(person, []).append((sid, follow_up))
        if o is not None and not family and kind in ("intake", "routine") and r() < 0.006:
            self._assessment(person, "k10", self.off_level[o], self.start + timedelta(days=d),
                             counselor, None, "manual")
        return sid, follow_up

    def _close(self, origin: int, at: str, by: int) -> None:
        row = self.buffered.get(origin)
        if row is not None:
            row[S_CLOSED_AT], row[_S_CLOSED_BY] = at, by
            return
        self.w.update('UPDATE "counseling_session" SET "follow_up_closed_at" = ?, '
                      '"follow_up_closed_by_id" = ? WHERE "id" = ?', (at, by, origin))

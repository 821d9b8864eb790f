"""The events of firearm restrictions 配枪限制记录 (issue 19; DESIGN §4 ``FirearmRestriction``).

Each restriction keeps the full sequence of its events as rows of their own
(:class:`db.models.FirearmEvent`, append-only — the database refuses UPDATE and DELETE):
``recommended`` (by, reason code), ``decided`` (suspended / revoked / declined, the named
decision-maker, date, next review), each ``reviewed`` (date, outcome ``no_change`` /
``revoked``, decision-maker, next review) and ``reinstated`` (decision-maker, date). The
restriction row's ``status`` and ``review_on`` summarise the latest events.

This module appends and reads events; :mod:`counselor_tui.services.firearms` runs the
lifecycle, :mod:`counselor_tui.services.firearm_notice` writes the notice of one decision,
and the person record (:mod:`counselor_tui.services.persons`) shows a person's events.
Events migrated from the old single-decision form name in ``not_kept`` what that form could
not keep (those fields are None).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from counselor_tui.domain import firearms as rules
from counselor_tui.services.context import VaultSession
from db.models import FirearmEvent

__all__ = ["FirearmEventRow", "PersonRestriction", "append", "events_of", "person_history"]


@dataclass(frozen=True)
class FirearmEventRow:
    """One event of a restriction's history, in the order recorded (``seq`` 1, 2, …).

    ``kind`` recommended / decided / reviewed / reinstated; ``outcome`` (see
    :class:`db.models.FirearmEvent`); ``on_date`` ``YYYY-MM-DD`` (None: not kept by the old
    register); ``decided_by_name`` the named decision-maker (decisions) ; ``recorded_by``
    the display name of the account that recorded it (the recommending counselor for
    ``recommended``); ``at`` when it was recorded (ISO timestamp); ``not_kept`` the field
    names the old form did not keep; ``label`` the translated event label.
    """

    id: int
    restriction_id: int
    seq: int
    kind: str
    outcome: str | None
    on_date: str | None
    decided_by_name: str | None
    reason_code: str | None
    next_review_on: str | None
    recorded_by: str
    at: str
    not_kept: tuple[str, ...]

    @property
    def label(self) -> str:
        """The translated label of the event (``决定：暂停``, ``复核：无变化`` …)."""
        return rules.event_label(self.kind, self.outcome)

    @property
    def decision(self) -> str | None:
        """The decision a notice of this event states, or None (see
        :func:`counselor_tui.domain.firearms.notice_decision`)."""
        return rules.notice_decision(self.kind, self.outcome)


@dataclass(frozen=True)
class PersonRestriction:
    """One restriction of a person with its events, for the person record."""

    restriction_id: int
    status: str
    review_on: str | None
    events: tuple[FirearmEventRow, ...]


def append(vs: VaultSession, restriction_id: int, kind: str, *, on_date: str,
           outcome: str | None = None, decided_by_name: str | None = None,
           reason_code: str | None = None, next_review_on: str | None = None) -> int:
    """Append one event (inside the caller's transaction), recorded by the acting account
    now; returns its id. Raises ``ValueError`` for an unknown ``kind`` (a programming
    error: the lifecycle in :mod:`counselor_tui.services.firearms` checks its input)."""
    if kind not in rules.EVENT_KINDS:
        raise ValueError(kind)
    row = FirearmEvent.create(
        restriction=restriction_id, kind=kind, outcome=outcome, on_date=on_date,
        decided_by_name=decided_by_name, reason_code=reason_code,
        next_review_on=next_review_on, by=vs.actor.id, at=vs.now_iso(), not_kept=[])
    return int(row.id)


def events_of(vs: VaultSession, restriction_ids: Iterable[int]
              ) -> dict[int, tuple[FirearmEventRow, ...]]:
    """The events of each restriction in ``restriction_ids``, in recorded order (id order);
    every id is a key (an empty tuple when it has none). Runs inside the caller's read or
    transaction; no role check (callers check)."""
    ids = sorted(set(restriction_ids))
    found: dict[int, list[FirearmEventRow]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for r in vs.execute(
                "SELECT e.id, e.restriction_id, e.kind, e.outcome, e.on_date, "
                "e.decided_by_name, e.reason_code, e.next_review_on, u.display_name, e.at, "
                "e.not_kept FROM firearm_event e JOIN \"user\" u ON u.id = e.by_id "
                f"WHERE e.restriction_id IN ({marks}) ORDER BY e.restriction_id, e.id",
                tuple(chunk)):
            rid = int(r[1])
            events = found[rid]
            events.append(FirearmEventRow(
                id=int(r[0]), restriction_id=rid, seq=len(events) + 1, kind=str(r[2]),
                outcome=r[3], on_date=r[4], decided_by_name=r[5], reason_code=r[6],
                next_review_on=r[7], recorded_by=str(r[8]), at=str(r[9]),
                not_kept=tuple(json.loads(r[10] or "[]"))))
    return {rid: tuple(events) for rid, events in found.items()}


def person_history(vs: VaultSession, person_id: int) -> tuple[PersonRestriction, ...]:
    """The person's restrictions, newest first, each with its events in order (inside the
    caller's read; no role check)."""
    heads = [(int(r[0]), str(r[1]), r[2]) for r in vs.execute(
        "SELECT id, status, review_on FROM firearm_restriction WHERE person_id = ? "
        "ORDER BY recommended_at DESC, id DESC", (person_id,))]
    events = events_of(vs, [h[0] for h in heads])
    return tuple(PersonRestriction(rid, status, review, events[rid])
                 for rid, status, review in heads)

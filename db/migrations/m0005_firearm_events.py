"""Migration 5: firearm restrictions keep the full sequence of their events (issue 19).

Creates ``firearm_event`` (append-only: triggers refuse UPDATE and DELETE) and moves every
existing restriction into events, inside the runner's single transaction:

* a ``recommended`` event (by, when, reason code) for every restriction;
* the decisions the old single-decision form held. That form kept *one* decision-maker
  (``decided_by_name``, overwritten by every later review or reinstatement) and one
  ``decided_at`` (overwritten when a review changed the status), so the sequence is rebuilt
  from the restriction's own audit events (``update firearm_restriction`` with ``change``
  decision / review / reinstated, ``from``, ``to``): each change becomes an event with its
  outcome; the stored name, dates and review date go to the event they belong to, and
  every field the old form did not keep is left NULL and named in ``not_kept``.
* Without a consistent audit trail (rows written by the demo generator or an import), the
  stored status alone is used: one ``decided`` event (plus ``reinstated``); a reinstated
  restriction's first decision has no known outcome or decision-maker (``not_kept``), as the
  reinstatement overwrote them.

The old columns stay as they were (a frozen copy of the old form); nothing writes them any
more. The SQL and the rules here are frozen with this migration.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

NAME = "firearm events: the sequence of decisions and reviews of each restriction"

STATEMENTS = (
    """CREATE TABLE "firearm_event" ("id" INTEGER NOT NULL PRIMARY KEY,
        "restriction_id" INTEGER NOT NULL, "kind" TEXT NOT NULL, "outcome" TEXT,
        "on_date" TEXT, "decided_by_name" TEXT, "reason_code" TEXT, "next_review_on" TEXT,
        "by_id" INTEGER NOT NULL, "at" TEXT NOT NULL, "not_kept" TEXT NOT NULL,
        FOREIGN KEY ("restriction_id") REFERENCES "firearm_restriction" ("id"),
        FOREIGN KEY ("by_id") REFERENCES "user" ("id"))""",
    'CREATE INDEX "firearm_event_restriction_id" ON "firearm_event" ("restriction_id")',
    'CREATE INDEX "firearm_event_by_id" ON "firearm_event" ("by_id")',
    'CREATE INDEX "firearm_event_kind_on_date" ON "firearm_event" ("kind", "on_date")',
)

TRIGGERS = (
    """CREATE TRIGGER "firearm_event_no_update" BEFORE UPDATE ON "firearm_event" BEGIN
        SELECT RAISE(ABORT, 'firearm events are never changed');
    END""",
    """CREATE TRIGGER "firearm_event_no_delete" BEFORE DELETE ON "firearm_event" BEGIN
        SELECT RAISE(ABORT, 'firearm events are never deleted');
    END""",
)

_INSERT = (
    'INSERT INTO "firearm_event" (restriction_id, kind, outcome, on_date, decided_by_name, '
    "reason_code, next_review_on, by_id, at, not_kept) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

Event = dict[str, Any]


def _day(stamp: str | None) -> str | None:
    return stamp[:10] if stamp else None


def _changes(conn: Any, rid: int, users: dict[str, int]) -> list[tuple[str, str, str, str,
                                                                      int | None]]:
    """(change, from, to, recorded at, recorded by id) of the restriction's audit events."""
    found = []
    for at, user, detail in conn.execute(
            "SELECT at, user, detail FROM audit_event WHERE entity = 'firearm_restriction' "
            "AND entity_id = ? AND action = 'update' ORDER BY seq", (str(rid),)):
        try:
            d = json.loads(detail)
        except (TypeError, ValueError):
            continue
        if isinstance(d, dict) and d.get("change") in ("decision", "review", "reinstated"):
            found.append((str(d["change"]), str(d.get("from")), str(d.get("to")), str(at),
                          users.get(str(user))))
    return found


def _consistent(changes: list[tuple[str, str, str, str, int | None]], status: str) -> bool:
    if not changes or changes[0][0] != "decision" or changes[0][1] != "recommended":
        return False
    for before, after in itertools.pairwise(changes):
        if after[1] != before[2]:
            return False
    return changes[-1][2] == status


def _event(kind: str, outcome: str | None, on_date: str | None, name: str | None,
           review: str | None, by: int, at: str, wants: tuple[str, ...]) -> Event:
    values = {"on_date": on_date, "decided_by_name": name, "next_review_on": review}
    return {"kind": kind, "outcome": outcome, "on_date": on_date, "decided_by_name": name,
            "next_review_on": review, "by": by, "at": at,
            "not_kept": [f for f in wants if values[f] is None]}


def _from_audit(row: dict[str, Any], changes: list[tuple[str, str, str, str, int | None]]
                ) -> list[Event]:
    name, decided, ended, review = (row["decided_by_name"], _day(row["decided_at"]),
                                    _day(row["ended_at"]), row["review_on"])
    fallback_by = row["recorded_by_id"] or row["updated_by_id"]
    # decided_at was last written by the last change that altered the status (not reinstated)
    moved = [i for i, c in enumerate(changes) if c[0] != "reinstated" and c[1] != c[2]]
    dated = moved[-1] if moved else None
    last = len(changes) - 1
    events = []
    for i, (change, before, after, at, by) in enumerate(changes):
        who = by or fallback_by
        is_last = i == last
        if change == "reinstated":
            events.append(_event("reinstated", "reinstated", ended, name if is_last else None,
                                 None, who, at, ("on_date", "decided_by_name")))
            continue
        kind = "decided" if change == "decision" else "reviewed"
        outcome = after if kind == "decided" else ("no_change" if before == after else after)
        on = decided if i == dated else None
        restricting = outcome != "declined"
        wants = ("on_date", "decided_by_name", "next_review_on") if restricting else (
            "on_date", "decided_by_name")
        events.append(_event(kind, outcome, on, name if is_last else None,
                             review if is_last and restricting else None, who, at, wants))
    return events


def _from_status(row: dict[str, Any]) -> list[Event]:
    status, name = row["status"], row["decided_by_name"]
    decided, ended = _day(row["decided_at"]), _day(row["ended_at"])
    by = row["recorded_by_id"] or row["updated_by_id"]
    at = row["updated_at"]
    if status == "declined":
        return [_event("decided", "declined", decided or ended, name, None, by, at,
                       ("on_date", "decided_by_name"))]
    if status in ("suspended", "revoked"):
        return [_event("decided", status, decided, name, row["review_on"], by, at,
                       ("on_date", "decided_by_name", "next_review_on"))]
    if status == "reinstated":
        first = _event("decided", None, decided, None, None, by, at,
                       ("on_date", "decided_by_name", "next_review_on"))
        first["not_kept"] = ["outcome", *first["not_kept"]]
        return [first, _event("reinstated", "reinstated", ended, name, None, by, at,
                              ("on_date", "decided_by_name"))]
    return []


def up(conn: Any) -> None:
    """Create the event table and its triggers, and move every restriction into events."""
    for statement in STATEMENTS:
        conn.execute(statement)
    users = {str(u): int(i) for i, u in conn.execute('SELECT id, username FROM "user"')}
    columns = ("id", "status", "reason_code", "recommended_by_id", "recommended_at",
               "decided_by_name", "decided_at", "recorded_by_id", "review_on", "ended_at",
               "updated_at", "updated_by_id")
    rows = [dict(zip(columns, r, strict=True)) for r in conn.execute(
        f"SELECT {', '.join(columns)} FROM firearm_restriction ORDER BY id")]
    for row in rows:
        rid = int(row["id"])
        conn.execute(_INSERT, (rid, "recommended", None, _day(row["recommended_at"]), None,
                               row["reason_code"], None, row["recommended_by_id"],
                               row["recommended_at"], "[]"))
        if row["status"] == "recommended":
            continue
        changes = _changes(conn, rid, users)
        events = (_from_audit(row, changes) if _consistent(changes, row["status"])
                  else _from_status(row))
        for e in events:
            conn.execute(_INSERT, (rid, e["kind"], e["outcome"], e["on_date"],
                                   e["decided_by_name"], None, e["next_review_on"], e["by"],
                                   e["at"], json.dumps(e["not_kept"])))
    for statement in TRIGGERS:
        conn.execute(statement)

"""Migration 19: what the monthly compile and the dashboard read kept on write (issue 18).

A month's compile counted two figures over the whole population (1.5 s at province size):
the serving officers by unit and tier at the period's end (every officer, every tier change)
and the month's new persons (an earlier-session probe per person served, and every voided
session before the month). Both now read values kept by triggers, filled here for an existing
vault and by the demo builder's bulk path (:mod:`counselor_tui.demo.bulk`):

* ``person.first_session_at``: the ``started_at`` of the person's earliest non-voided session
  (NULL without one). A person served in a month is new when it is not before the month.
* ``person.tier_now``: the person's tier by the compile's rule with no end date
  (:mod:`counselor_tui.services.submission_compile`): the ``to_tier`` of the latest tier change
  (by ``at``, then id), else the tier state's tier (entered without a change row), else
  ``none``.
* ``serving_count(unit_key, tier, n)``: the officers serving now (not voided, not archived)
  by unit (``unit_key`` 0 for none) and ``tier_now``; rows may hold 0.

The compile takes the count now and recomputes only the persons touched since the period's
end (a tier change, an entry, a transfer, an arrival or an archiving dated after it), with the
indexes added here for those look-ups.
"""

from __future__ import annotations

from typing import Any

NAME = "compile aggregates: first session and current tier per person, serving officers"

_FIRST = ("(SELECT s.started_at FROM counseling_session s WHERE s.person_id = person.id "
          "AND s.voided_at IS NULL ORDER BY s.started_at LIMIT 1)")

#: The compile's tier rule without an end date, for the person row being updated.
TIER_NOW = ("COALESCE((SELECT c.to_tier FROM tier_change c WHERE c.person_id = person.id "
            "ORDER BY c.at DESC, c.id DESC LIMIT 1), (SELECT t.tier FROM tier_state t "
            "WHERE t.person_id = person.id AND t.since IS NOT NULL), 'none')")

_SERVING = "{p}.kind = 'officer' AND {p}.voided_at IS NULL AND {p}.archived_at IS NULL"

_ADD = ("INSERT INTO serving_count(unit_key, tier, n) VALUES "
        "(COALESCE(new.unit_id, 0), new.tier_now, 1) "
        "ON CONFLICT(unit_key, tier) DO UPDATE SET n = n + 1")
_REMOVE = ("UPDATE serving_count SET n = n - 1 "
           "WHERE unit_key = COALESCE(old.unit_id, 0) AND tier = old.tier_now")

#: Every kept value from what is stored (also run by the demo builder, which sets the
#: per-row triggers aside while it writes).
FILL = (
    f'UPDATE "person" SET "first_session_at" = {_FIRST}, "tier_now" = {TIER_NOW}',
    "DELETE FROM serving_count",
    "INSERT INTO serving_count(unit_key, tier, n) SELECT COALESCE(p.unit_id, 0), p.tier_now, "
    f"COUNT(*) FROM person p WHERE {_SERVING.format(p='p')} GROUP BY 1, 2",
)

#: Every trigger of this migration (the demo builder sets them aside while it writes, then
#: runs :data:`FILL`).
TRIGGERS = ("counseling_session_first_ai", "counseling_session_first_au",
            "counseling_session_first_ad", "tier_change_now_ai", "tier_change_now_au",
            "tier_change_now_ad", "tier_state_now_ai", "tier_state_now_au", "tier_state_now_ad",
            "person_serving_ai", "person_serving_au", "person_serving_ad")

STATEMENTS = (
    'ALTER TABLE "person" ADD COLUMN "first_session_at" TEXT',
    """ALTER TABLE "person" ADD COLUMN "tier_now" TEXT NOT NULL DEFAULT 'none'""",
    """CREATE TABLE "serving_count" ("unit_key" INTEGER NOT NULL, "tier" TEXT NOT NULL,
        "n" INTEGER NOT NULL, PRIMARY KEY ("unit_key", "tier")) WITHOUT ROWID""",
    *FILL,
    'CREATE INDEX "tier_change_at" ON "tier_change" ("at")',
    'CREATE INDEX "tier_state_since" ON "tier_state" ("since")',
    'CREATE INDEX "tier_state_created_at" ON "tier_state" ("created_at")',
    'CREATE INDEX "person_created_at" ON "person" ("created_at")',
    """CREATE INDEX "person_archived_at" ON "person" ("archived_at")
        WHERE "archived_at" IS NOT NULL""",
    # first session
    """CREATE TRIGGER "counseling_session_first_ai" AFTER INSERT ON "counseling_session"
    WHEN new.person_id IS NOT NULL AND new.voided_at IS NULL BEGIN
        UPDATE person SET first_session_at = new.started_at
        WHERE id = new.person_id
          AND (first_session_at IS NULL OR first_session_at > new.started_at);
    END""",
    f"""CREATE TRIGGER "counseling_session_first_au"
    AFTER UPDATE OF started_at, person_id, voided_at ON "counseling_session" BEGIN
        UPDATE person SET first_session_at = {_FIRST}
        WHERE id IN (old.person_id, new.person_id);
    END""",
    f"""CREATE TRIGGER "counseling_session_first_ad" AFTER DELETE ON "counseling_session"
    BEGIN
        UPDATE person SET first_session_at = {_FIRST} WHERE id = old.person_id;
    END""",
    # current tier
    f"""CREATE TRIGGER "tier_change_now_ai" AFTER INSERT ON "tier_change" BEGIN
        UPDATE person SET tier_now = {TIER_NOW} WHERE id = new.person_id;
    END""",
    f"""CREATE TRIGGER "tier_change_now_au" AFTER UPDATE ON "tier_change" BEGIN
        UPDATE person SET tier_now = {TIER_NOW} WHERE id IN (old.person_id, new.person_id);
    END""",
    f"""CREATE TRIGGER "tier_change_now_ad" AFTER DELETE ON "tier_change" BEGIN
        UPDATE person SET tier_now = {TIER_NOW} WHERE id = old.person_id;
    END""",
    f"""CREATE TRIGGER "tier_state_now_ai" AFTER INSERT ON "tier_state" BEGIN
        UPDATE person SET tier_now = {TIER_NOW} WHERE id = new.person_id;
    END""",
    f"""CREATE TRIGGER "tier_state_now_au" AFTER UPDATE OF tier, since, person_id
    ON "tier_state" BEGIN
        UPDATE person SET tier_now = {TIER_NOW} WHERE id IN (old.person_id, new.person_id);
    END""",
    f"""CREATE TRIGGER "tier_state_now_ad" AFTER DELETE ON "tier_state" BEGIN
        UPDATE person SET tier_now = {TIER_NOW} WHERE id = old.person_id;
    END""",
    # serving officers by unit and tier
    f"""CREATE TRIGGER "person_serving_ai" AFTER INSERT ON "person"
    WHEN {_SERVING.format(p='new')} BEGIN
        {_ADD};
    END""",
    f"""CREATE TRIGGER "person_serving_au"
    AFTER UPDATE OF kind, voided_at, archived_at, unit_id, tier_now ON "person" BEGIN
        {_REMOVE} AND {_SERVING.format(p='old')};
        INSERT INTO serving_count(unit_key, tier, n)
            SELECT COALESCE(new.unit_id, 0), new.tier_now, 1 WHERE {_SERVING.format(p='new')}
            ON CONFLICT(unit_key, tier) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER "person_serving_ad" AFTER DELETE ON "person"
    WHEN {_SERVING.format(p='old')} BEGIN
        {_REMOVE};
    END""",
)


def up(conn: Any) -> None:
    """Add the kept values (filled from the current data), their triggers and indexes."""
    for statement in STATEMENTS:
        conn.execute(statement)

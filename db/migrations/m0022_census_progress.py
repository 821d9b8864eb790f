"""Migration 22: each open census campaign's screened officers kept on write (issue 18).

The dashboard's census progress grouped every assessment of the open campaign's window per
officer (184,619 at province size: about half of the dashboard's time). Completion
(DESIGN §4, :mod:`counselor_tui.services.census`): an officer of a target unit (kind
``officer``, not voided, not archived) is screened when they hold a complete, non-voided
assessment of every instrument of the campaign administered within its window. Two tables,
kept for the **open** campaigns only (a closed campaign reads its frozen figures), by
triggers, filled here for an existing vault and by the demo builder's bulk path
(:mod:`counselor_tui.demo.bulk`):

* ``census_take(person_id, census_id, instrument_code, n)``: how many qualifying assessments
  the person holds of that instrument of that open campaign (rows with ``n = 0`` are
  removed, so a person's row count for a campaign is the instruments they completed);
* ``census_done(census_id, unit_key, n)``: the serving officers of each unit (``unit_key``
  0 for none) who completed every instrument of the campaign; rows may hold 0.

A campaign's screened officers are then the sum of ``census_done`` over its target units
(a handful of rows), its targets the sum of migration 19's ``serving_count`` over them.
"""

from __future__ import annotations

from typing import Any

NAME = "census progress: open campaigns' instruments taken and screened officers by unit"

_SERVING = "{p}.kind = 'officer' AND {p}.voided_at IS NULL AND {p}.archived_at IS NULL"

#: The assessment ``{a}`` counts for campaign ``c`` (open, in its window, one of its
#: instruments, complete and not voided).
_COUNTS = ("c.status = 'open' AND {a}.voided_at IS NULL AND {a}.complete = 1 "
           "AND {a}.administered_on BETWEEN c.starts_on AND c.ends_on "
           "AND EXISTS (SELECT 1 FROM json_each(c.instruments) j "
           "WHERE j.value = {a}.instrument_code)")

_TAKE_ADD = (
    "INSERT INTO census_take(person_id, census_id, instrument_code, n) "
    "SELECT {a}.person_id, c.id, {a}.instrument_code, 1 FROM census c "
    "WHERE " + _COUNTS + " "
    "ON CONFLICT(person_id, census_id, instrument_code) DO UPDATE SET n = n + 1")
_TAKE_REMOVE = (
    "UPDATE census_take SET n = n - 1 WHERE person_id = {a}.person_id "
    "AND instrument_code = {a}.instrument_code "
    "AND census_id IN (SELECT c.id FROM census c WHERE " + _COUNTS + "); "
    "DELETE FROM census_take WHERE person_id = {a}.person_id "
    "AND instrument_code = {a}.instrument_code AND n <= 0")

#: The open campaigns the person completed (every instrument), for ``{p}`` = old/new.
_COMPLETED_BY = (
    "SELECT t.census_id FROM census_take t JOIN census c ON c.id = t.census_id "
    "WHERE t.person_id = {p}.id GROUP BY t.census_id "
    "HAVING COUNT(*) = json_array_length(c.instruments)")

#: One campaign's instruments taken, from the stored assessments (``{c}``: its row).
_FILL_ONE = (
    "INSERT INTO census_take(person_id, census_id, instrument_code, n) "
    "SELECT a.person_id, {c}.id, a.instrument_code, COUNT(*) FROM assessment a "
    "WHERE {c}.status = 'open' AND a.voided_at IS NULL AND a.complete = 1 "
    "AND a.administered_on BETWEEN {c}.starts_on AND {c}.ends_on "
    "AND a.instrument_code IN (SELECT j.value FROM json_each({c}.instruments) j) "
    "GROUP BY a.person_id, a.instrument_code")

#: Every kept value from what is stored (also run by the demo builder, which sets the
#: per-row triggers aside while it writes; the same result with the triggers in place).
FILL = (
    "DELETE FROM census_take",
    "DELETE FROM census_done",
    "INSERT INTO census_take(person_id, census_id, instrument_code, n) "
    "SELECT a.person_id, c.id, a.instrument_code, COUNT(*) FROM census c "
    "JOIN json_each(c.instruments) j "
    "JOIN assessment a ON a.instrument_code = j.value "
    "AND a.administered_on BETWEEN c.starts_on AND c.ends_on "
    "AND a.voided_at IS NULL AND a.complete = 1 "
    "WHERE c.status = 'open' GROUP BY a.person_id, c.id, a.instrument_code",
    "INSERT INTO census_done(census_id, unit_key, n) "
    "SELECT done.census_id, COALESCE(p.unit_id, 0), COUNT(*) FROM ("
    "SELECT t.census_id AS census_id, t.person_id AS person_id FROM census_take t "
    "JOIN census c ON c.id = t.census_id GROUP BY t.census_id, t.person_id "
    "HAVING COUNT(*) = json_array_length(c.instruments)) AS done "
    f"JOIN person p ON p.id = done.person_id WHERE {_SERVING.format(p='p')} GROUP BY 1, 2 "
    "ON CONFLICT(census_id, unit_key) DO UPDATE SET n = excluded.n",  # triggers in place
)

#: Every trigger of this migration (the demo builder sets them aside while it writes, then
#: runs :data:`FILL`).
TRIGGERS = ("assessment_census_ai", "assessment_census_au", "assessment_census_ad",
            "census_take_done_ai", "census_take_done_ad", "person_census_au",
            "person_census_ad", "census_take_ai", "census_take_au", "census_take_ad")

_CHANGED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in (
    "voided_at", "complete", "administered_on", "instrument_code", "person_id"))
_MOVED = " OR ".join(f"old.{c} IS NOT new.{c}" for c in (
    "kind", "voided_at", "archived_at", "unit_id"))
_WINDOW = " OR ".join(f"old.{c} IS NOT new.{c}" for c in (
    "status", "starts_on", "ends_on", "instruments"))

STATEMENTS = (
    """CREATE TABLE "census_take" ("person_id" INTEGER NOT NULL,
        "census_id" INTEGER NOT NULL, "instrument_code" TEXT NOT NULL, "n" INTEGER NOT NULL,
        PRIMARY KEY ("person_id", "census_id", "instrument_code")) WITHOUT ROWID""",
    """CREATE TABLE "census_done" ("census_id" INTEGER NOT NULL, "unit_key" INTEGER NOT NULL,
        "n" INTEGER NOT NULL, PRIMARY KEY ("census_id", "unit_key")) WITHOUT ROWID""",
    *FILL,
    # an assessment entered, voided, corrected or deleted
    f"""CREATE TRIGGER "assessment_census_ai" AFTER INSERT ON "assessment"
    WHEN new.voided_at IS NULL AND new.complete = 1 BEGIN
        {_TAKE_ADD.format(a='new')};
    END""",
    f"""CREATE TRIGGER "assessment_census_au" AFTER UPDATE OF voided_at, complete,
    administered_on, instrument_code, person_id ON "assessment" WHEN {_CHANGED} BEGIN
        {_TAKE_REMOVE.format(a='old')};
        {_TAKE_ADD.format(a='new')};
    END""",
    f"""CREATE TRIGGER "assessment_census_ad" AFTER DELETE ON "assessment"
    WHEN old.voided_at IS NULL AND old.complete = 1 BEGIN
        {_TAKE_REMOVE.format(a='old')};
    END""",
    # a person completing (or no longer completing) a campaign's instruments
    f"""CREATE TRIGGER "census_take_done_ai" AFTER INSERT ON "census_take" BEGIN
        INSERT INTO census_done(census_id, unit_key, n)
        SELECT new.census_id, COALESCE(p.unit_id, 0), 1 FROM person p, census c
        WHERE p.id = new.person_id AND {_SERVING.format(p='p')} AND c.id = new.census_id
          AND (SELECT COUNT(*) FROM census_take t WHERE t.person_id = new.person_id
               AND t.census_id = new.census_id) = json_array_length(c.instruments)
        ON CONFLICT(census_id, unit_key) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER "census_take_done_ad" AFTER DELETE ON "census_take"
    WHEN (SELECT status FROM census WHERE id = old.census_id) = 'open' BEGIN
        UPDATE census_done SET n = n - 1 WHERE census_id = old.census_id
          AND unit_key = (SELECT COALESCE(p.unit_id, 0) FROM person p
                          WHERE p.id = old.person_id AND {_SERVING.format(p='p')})
          AND (SELECT COUNT(*) FROM census_take t WHERE t.person_id = old.person_id
               AND t.census_id = old.census_id)
              = (SELECT json_array_length(c.instruments) - 1 FROM census c
                 WHERE c.id = old.census_id);
    END""",
    # a screened officer transferred, archived, voided, restored
    f"""CREATE TRIGGER "person_census_au" AFTER UPDATE OF kind, voided_at, archived_at,
    unit_id ON "person" WHEN {_MOVED} BEGIN
        UPDATE census_done SET n = n - 1 WHERE unit_key = COALESCE(old.unit_id, 0)
          AND {_SERVING.format(p='old')}
          AND census_id IN ({_COMPLETED_BY.format(p='old')});
        INSERT INTO census_done(census_id, unit_key, n)
        SELECT done.census_id, COALESCE(new.unit_id, 0), 1
        FROM ({_COMPLETED_BY.format(p='new')}) AS done WHERE {_SERVING.format(p='new')}
        ON CONFLICT(census_id, unit_key) DO UPDATE SET n = n + 1;
    END""",
    f"""CREATE TRIGGER "person_census_ad" AFTER DELETE ON "person"
    WHEN {_SERVING.format(p='old')} BEGIN
        UPDATE census_done SET n = n - 1 WHERE unit_key = COALESCE(old.unit_id, 0)
          AND census_id IN ({_COMPLETED_BY.format(p='old')});
    END""",
    # a campaign opened, closed, its window or instruments changed, deleted
    f"""CREATE TRIGGER "census_take_ai" AFTER INSERT ON "census"
    WHEN new.status = 'open' BEGIN
        {_FILL_ONE.format(c='new')};
    END""",
    f"""CREATE TRIGGER "census_take_au" AFTER UPDATE OF status, starts_on, ends_on,
    instruments ON "census" WHEN {_WINDOW} BEGIN
        DELETE FROM census_take WHERE census_id = old.id;
        DELETE FROM census_done WHERE census_id = old.id;
        {_FILL_ONE.format(c='new')};
    END""",
    """CREATE TRIGGER "census_take_ad" AFTER DELETE ON "census" BEGIN
        DELETE FROM census_take WHERE census_id = old.id;
        DELETE FROM census_done WHERE census_id = old.id;
    END""",
)


def up(conn: Any) -> None:
    """Add the kept tables (filled from the current data) and their triggers."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 13: every archive sort served by an index (issue 18, DESIGN §11).

The archive sorts by name, badge number, unit, tier, review date and last session; the last
four were computed per query (a join and a ``CASE``), so a sorted page sorted every person
(148–171 ms at province size). The person row now keeps each computed sort key, filled now
and kept by triggers:

* ``sort_unit``: the unit's name (``unit.name``; on a person's insert or move, and on a
  unit's rename);
* ``sort_tier``: the tier's rank (green 0, yellow 1, red 2; ``tier_state``), which also serves
  the tier filter without a join;
* ``sort_review``: the next review date (``tier_state.review_due``).

One index per sort, ``(key, name_pinyin)`` (SQLite appends the row id): the archive's order
``key, pinyin, id`` in both directions, with the persons missing the key (last in either
direction) read through the pinyin index.
"""

from __future__ import annotations

from typing import Any

NAME = "archive sort keys: unit name, tier rank and review date kept on the person"

_RANK = "CASE {t} WHEN 'green' THEN 0 WHEN 'yellow' THEN 1 WHEN 'red' THEN 2 END"

#: Every person's sort keys from what is stored (also run by the demo builder, which sets
#: the insert triggers aside while it writes: :mod:`counselor_tui.demo.bulk`).
FILL = (
    'UPDATE "person" SET "sort_unit" = (SELECT name FROM unit WHERE unit.id = person.unit_id)',
    f'UPDATE "person" SET "sort_tier" = (SELECT {_RANK.format(t="t.tier")} FROM tier_state t '
    'WHERE t.person_id = person.id), "sort_review" = (SELECT t.review_due FROM tier_state t '
    "WHERE t.person_id = person.id)",
)

STATEMENTS = (
    'ALTER TABLE "person" ADD COLUMN "sort_unit" TEXT',
    'ALTER TABLE "person" ADD COLUMN "sort_tier" INTEGER',
    'ALTER TABLE "person" ADD COLUMN "sort_review" TEXT',
    *FILL,
    """CREATE TRIGGER "person_sort_unit_ai" AFTER INSERT ON "person"
    WHEN new.unit_id IS NOT NULL BEGIN
        UPDATE person SET sort_unit = (SELECT name FROM unit WHERE id = new.unit_id)
        WHERE id = new.id;
    END""",
    """CREATE TRIGGER "person_sort_unit_au" AFTER UPDATE OF unit_id ON "person" BEGIN
        UPDATE person SET sort_unit = (SELECT name FROM unit WHERE id = new.unit_id)
        WHERE id = new.id;
    END""",
    """CREATE TRIGGER "unit_sort_unit_au" AFTER UPDATE OF name ON "unit" BEGIN
        UPDATE person SET sort_unit = new.name WHERE unit_id = new.id;
    END""",
    f"""CREATE TRIGGER "tier_state_sort_ai" AFTER INSERT ON "tier_state" BEGIN
        UPDATE person SET sort_tier = {_RANK.format(t="new.tier")},
            sort_review = new.review_due WHERE id = new.person_id;
    END""",
    f"""CREATE TRIGGER "tier_state_sort_au"
    AFTER UPDATE OF tier, review_due, person_id ON "tier_state" BEGIN
        UPDATE person SET sort_tier = NULL, sort_review = NULL
        WHERE id = old.person_id AND old.person_id != new.person_id;
        UPDATE person SET sort_tier = {_RANK.format(t="new.tier")},
            sort_review = new.review_due WHERE id = new.person_id;
    END""",
    """CREATE TRIGGER "tier_state_sort_ad" AFTER DELETE ON "tier_state" BEGIN
        UPDATE person SET sort_tier = NULL, sort_review = NULL WHERE id = old.person_id;
    END""",
    'CREATE INDEX "person_sort_badge" ON "person" ("badge_no", "name_pinyin")',
    'CREATE INDEX "person_sort_unit" ON "person" ("sort_unit", "name_pinyin")',
    'CREATE INDEX "person_sort_tier" ON "person" ("sort_tier", "name_pinyin")',
    'CREATE INDEX "person_sort_review" ON "person" ("sort_review", "name_pinyin")',
    'CREATE INDEX "person_sort_last" ON "person" ("last_session_on", "name_pinyin")',
)


def up(conn: Any) -> None:
    """Add the sort keys (filled from the current data), their triggers and indexes."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 27: a search by badge number reads only the persons it finds (issue 18).

A search holding a digit matches the start of the badge number (``services.person_search``).
That was a range of the ``person_badge_no`` index — 11,000 of 114,000 province badges start
with ``1`` — each match fetched for its name sort key and sorted. ``person_badge_key`` keeps,
like ``person_search_key`` (migration 24), one row per prefix of the badge number (up to
:data:`KEY_LENGTH` characters) with the person's name sort key, in the archive's name order;
``archived`` (0/1) lets a count skip former officers. Voided persons and persons without a
badge number have none.

Triggers keep the table (a person inserted; a change of the badge number, the name sort
key, ``voided_at`` or ``archived_at``; a person deleted). De-identification (services
``retention``) empties the badge number, so its update removes every row of the person.
"""

from __future__ import annotations

from typing import Any

NAME = "badge number search keys (person_badge_key)"

#: The longest key kept; a longer search text looks up its first KEY_LENGTH characters and
#: checks the rest on the person (``services.person_search``).
KEY_LENGTH = 8

_LENGTHS = "(VALUES " + ", ".join(f"({n})" for n in range(1, KEY_LENGTH + 1)) + ")"


def _keys(row: str) -> str:
    """A SELECT of the ``prefix`` rows of ``row``'s badge number."""
    return (f"SELECT substr({row}.badge_no, 1, n.column1) AS prefix FROM {_LENGTHS} AS n "
            f"WHERE n.column1 <= length({row}.badge_no)")


def _insert(row: str) -> str:
    return ("INSERT OR IGNORE INTO person_badge_key (prefix, name_sort, person_id, archived) "
            f"SELECT k.prefix, coalesce({row}.name_sort, ''), {row}.id, "
            f"{row}.archived_at IS NOT NULL FROM ({_keys(row)}) AS k "
            f"WHERE {row}.voided_at IS NULL")


#: Every person's keys (the migration itself and the demo's bulk build, ``demo.bulk``).
FILL = (
    "DELETE FROM person_badge_key",
    "INSERT INTO person_badge_key (prefix, name_sort, person_id, archived) "
    "SELECT substr(p.badge_no, 1, n.column1), coalesce(p.name_sort, ''), p.id, "
    f"p.archived_at IS NOT NULL FROM person p, {_LENGTHS} AS n "
    "WHERE p.voided_at IS NULL AND p.badge_no IS NOT NULL "
    "AND n.column1 <= length(p.badge_no) ORDER BY 1, 2, 3",
)

#: The triggers keeping the table (the demo's bulk build sets them aside and runs FILL).
TRIGGERS = ("person_badge_key_ai", "person_badge_key_au", "person_badge_key_ad")

_DELETE_OLD = ("DELETE FROM person_badge_key WHERE person_id = old.id "
               f"AND name_sort = coalesce(old.name_sort, '') AND prefix IN ({_keys('old')});")

STATEMENTS = (
    """CREATE TABLE "person_badge_key" (
        "prefix" TEXT NOT NULL, "name_sort" TEXT NOT NULL,
        "person_id" INTEGER NOT NULL, "archived" INTEGER NOT NULL,
        PRIMARY KEY ("prefix", "name_sort", "person_id")) WITHOUT ROWID""",
    *FILL[1:],
    f"""CREATE TRIGGER "person_badge_key_ai" AFTER INSERT ON "person" BEGIN
        {_insert('new')};
    END""",
    f"""CREATE TRIGGER "person_badge_key_au"
    AFTER UPDATE OF badge_no, name_sort, voided_at, archived_at ON "person"
    WHEN old.badge_no IS NOT new.badge_no OR old.name_sort IS NOT new.name_sort
        OR old.voided_at IS NOT new.voided_at OR old.archived_at IS NOT new.archived_at BEGIN
        {_DELETE_OLD}
        {_insert('new')};
    END""",
    f"""CREATE TRIGGER "person_badge_key_ad" AFTER DELETE ON "person" BEGIN
        {_DELETE_OLD}
    END""",
)


def up(conn: Any) -> None:
    """Create the key table, fill it from every person, and create its triggers."""
    for statement in STATEMENTS:
        conn.execute(statement)

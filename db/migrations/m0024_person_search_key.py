"""Migration 24: pinyin search reads only the persons it finds (issue 18).

A Latin-letter search matches the start of a person's full pinyin (``zhang``) or of their
initials (``zxl``). On ``person.name_pinyin`` that was one index range per first letter
(19,000 of 114,000 persons start with ``z``), each row then fetched for its name order and
sorted. ``person_search_key`` keeps one row per prefix of the full pinyin and of the
initials (up to :data:`KEY_LENGTH` letters; a prefix both share is one row) with the
person's name sort key: the rows of one key are the persons that prefix finds, already in
the archive's name order (``name_sort``, ``person_id``), so a page reads its own rows and a
count reads its matches only. ``archived`` (0/1) lets the count skip former officers
without fetching the person. Voided persons have no keys (no search shows them).

Triggers keep the table: a person inserted, a change of the name keys, ``voided_at`` or
``archived_at``, a person deleted. De-identification (services ``retention``) empties the
pinyin keys, so its update removes every key row and its copy of the name sort key.
"""

from __future__ import annotations

from typing import Any

NAME = "pinyin search keys (person_search_key)"

#: The longest key kept; a longer search text looks up its first KEY_LENGTH letters and
#: checks the rest on the person (``services.person_search``).
KEY_LENGTH = 8

_LENGTHS = "(VALUES " + ", ".join(f"({n})" for n in range(1, KEY_LENGTH + 1)) + ")"


def _keys(row: str) -> str:
    """A SELECT of ``(prefix)`` rows: every prefix (≤ KEY_LENGTH) of ``row``'s pinyin and
    initials, without repeats."""
    return (f"SELECT DISTINCT substr(src.s, 1, n.column1) AS prefix FROM (SELECT {row}.name_pinyin AS s "
            f"UNION ALL SELECT {row}.name_initials) AS src, {_LENGTHS} AS n "
            "WHERE n.column1 <= length(src.s)")


def _insert(row: str) -> str:
    return ("INSERT OR IGNORE INTO person_search_key (prefix, name_sort, person_id, archived) "
            f"SELECT k.prefix, coalesce({row}.name_sort, ''), {row}.id, "
            f"{row}.archived_at IS NOT NULL FROM ({_keys(row)}) AS k "
            f"WHERE {row}.voided_at IS NULL")


#: Every person's keys (the migration itself and the demo's bulk build, ``demo.bulk``).
FILL = (
    "DELETE FROM person_search_key",
    "INSERT INTO person_search_key (prefix, name_sort, person_id, archived) "
    "SELECT DISTINCT substr(src.s, 1, n.column1), coalesce(src.name_sort, ''), src.id, "
    "src.archived_at IS NOT NULL FROM (SELECT id, name_sort, archived_at, name_pinyin AS s "
    "FROM person WHERE voided_at IS NULL UNION ALL SELECT id, name_sort, archived_at, "
    f"name_initials FROM person WHERE voided_at IS NULL) AS src, {_LENGTHS} AS n "
    "WHERE n.column1 <= length(src.s) ORDER BY 1, 2, 3",
)

#: The triggers keeping the table (the demo's bulk build sets them aside and runs FILL).
TRIGGERS = ("person_search_key_ai", "person_search_key_au", "person_search_key_ad")

_DELETE_OLD = ("DELETE FROM person_search_key WHERE person_id = old.id "
               f"AND name_sort = coalesce(old.name_sort, '') AND prefix IN ({_keys('old')});")

STATEMENTS = (
    """CREATE TABLE "person_search_key" (
        "prefix" TEXT NOT NULL, "name_sort" TEXT NOT NULL,
        "person_id" INTEGER NOT NULL, "archived" INTEGER NOT NULL,
        PRIMARY KEY ("prefix", "name_sort", "person_id")) WITHOUT ROWID""",
    *FILL[1:],
    f"""CREATE TRIGGER "person_search_key_ai" AFTER INSERT ON "person" BEGIN
        {_insert('new')};
    END""",
    f"""CREATE TRIGGER "person_search_key_au"
    AFTER UPDATE OF name_pinyin, name_initials, name_sort, voided_at, archived_at ON "person"
    WHEN old.name_pinyin IS NOT new.name_pinyin OR old.name_initials IS NOT new.name_initials
        OR old.name_sort IS NOT new.name_sort OR old.voided_at IS NOT new.voided_at
        OR old.archived_at IS NOT new.archived_at BEGIN
        {_DELETE_OLD}
        {_insert('new')};
    END""",
    f"""CREATE TRIGGER "person_search_key_ad" AFTER DELETE ON "person" BEGIN
        {_DELETE_OLD}
    END""",
)


def up(conn: Any) -> None:
    """Create the key table, fill it from every person, and create its triggers."""
    for statement in STATEMENTS:
        conn.execute(statement)

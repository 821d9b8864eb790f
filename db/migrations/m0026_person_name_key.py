"""Migration 26: a search by Chinese characters reads only the persons it finds (issue 18).

A search holding a Han character matches anywhere in the name, middle dots ignored on both
sides (``三`` finds 张三, ``古丽买`` finds 阿依古丽·买买提). That was ``instr`` over every
name of the ``person_name`` index (114,000 at province), each match then fetched and
sorted. ``person_name_key`` keeps, per non-voided person, each character of the name
without middle dots that is not ASCII (``gram`` of one character) and each pair of
neighbouring characters holding such a character (``gram`` of two), with the person's name
sort key, like ``person_search_key`` (migration 24): the rows of one gram are the persons
holding it, in the archive's name order. A search of one or two characters is one gram; a
longer one looks up a pair it holds and checks the whole text on the name
(``services.person_search``). ``archived`` (0/1) lets a count skip former officers.

Triggers keep the table (a person inserted; a change of the name, its sort key,
``voided_at`` or ``archived_at``; a person deleted). De-identification (services
``retention``) replaces the name, so its update replaces the grams and their copy of the
name sort key (by the placeholder's, the name sort key by ``''``).
"""

from __future__ import annotations

from typing import Any

NAME = "Chinese-character search keys (person_name_key)"

#: Names are at most 50 characters (services ``persons``); grams are kept up to here.
NAME_LENGTH = 64

#: Middle dots and look-alikes that a search ignores (``counselor_tui.domain.text``,
#: frozen here as of this migration).
DOTS = "·•‧・･﹒．.⋅∙ᐧ"

_POSITIONS = "(VALUES " + ", ".join(f"({n})" for n in range(1, NAME_LENGTH + 1)) + ")"


def undotted(column: str) -> str:
    """SQL of ``column`` without the middle dots of :data:`DOTS`."""
    for dot in DOTS:
        column = f"replace({column}, '{dot}', '')"
    return column


def _grams(row: str) -> str:
    """A SELECT of the ``gram`` rows of ``row``'s name (see the module doc), no repeats."""
    return (f"SELECT DISTINCT substr(src.u, n.column1, src.width) AS gram FROM "
            f"(SELECT {undotted(f'{row}.name')} AS u, 1 AS width UNION ALL "
            f"SELECT {undotted(f'{row}.name')}, 2) AS src, {_POSITIONS} AS n "
            "WHERE n.column1 + src.width - 1 <= length(src.u) AND ("
            "unicode(substr(src.u, n.column1, 1)) > 127 OR (src.width = 2 AND "
            "unicode(substr(src.u, n.column1 + 1, 1)) > 127))")


def _insert(row: str) -> str:
    return ("INSERT OR IGNORE INTO person_name_key (gram, name_sort, person_id, archived) "
            f"SELECT g.gram, coalesce({row}.name_sort, ''), {row}.id, "
            f"{row}.archived_at IS NOT NULL FROM ({_grams(row)}) AS g "
            f"WHERE {row}.voided_at IS NULL")


#: Every person's grams (the migration itself and the demo's bulk build, ``demo.bulk``).
FILL = (
    "DELETE FROM person_name_key",
    "INSERT INTO person_name_key (gram, name_sort, person_id, archived) "
    "SELECT DISTINCT substr(src.u, n.column1, src.width), coalesce(src.name_sort, ''), "
    "src.id, src.archived_at IS NOT NULL FROM ("
    f"SELECT id, name_sort, archived_at, {undotted('name')} AS u, 1 AS width FROM person "
    "WHERE voided_at IS NULL UNION ALL "
    f"SELECT id, name_sort, archived_at, {undotted('name')}, 2 FROM person "
    f"WHERE voided_at IS NULL) AS src, {_POSITIONS} AS n "
    "WHERE n.column1 + src.width - 1 <= length(src.u) AND ("
    "unicode(substr(src.u, n.column1, 1)) > 127 OR (src.width = 2 AND "
    "unicode(substr(src.u, n.column1 + 1, 1)) > 127)) ORDER BY 1, 2, 3",
)

#: The triggers keeping the table (the demo's bulk build sets them aside and runs FILL).
TRIGGERS = ("person_name_key_ai", "person_name_key_au", "person_name_key_ad")

_DELETE_OLD = ("DELETE FROM person_name_key WHERE person_id = old.id "
               f"AND name_sort = coalesce(old.name_sort, '') AND gram IN ({_grams('old')});")

STATEMENTS = (
    """CREATE TABLE "person_name_key" (
        "gram" TEXT NOT NULL, "name_sort" TEXT NOT NULL,
        "person_id" INTEGER NOT NULL, "archived" INTEGER NOT NULL,
        PRIMARY KEY ("gram", "name_sort", "person_id")) WITHOUT ROWID""",
    *FILL[1:],
    f"""CREATE TRIGGER "person_name_key_ai" AFTER INSERT ON "person" BEGIN
        {_insert('new')};
    END""",
    f"""CREATE TRIGGER "person_name_key_au"
    AFTER UPDATE OF name, name_sort, voided_at, archived_at ON "person"
    WHEN old.name IS NOT new.name OR old.name_sort IS NOT new.name_sort
        OR old.voided_at IS NOT new.voided_at OR old.archived_at IS NOT new.archived_at BEGIN
        {_DELETE_OLD}
        {_insert('new')};
    END""",
    f"""CREATE TRIGGER "person_name_key_ad" AFTER DELETE ON "person" BEGIN
        {_DELETE_OLD}
    END""",
)


def up(conn: Any) -> None:
    """Create the gram table, fill it from every person, and create its triggers."""
    for statement in STATEMENTS:
        conn.execute(statement)

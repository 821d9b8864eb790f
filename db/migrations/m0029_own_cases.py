"""Migration 29: the persons each user served or created, kept on write (issue 18).

A counselor sees the persons they served (a non-voided session of theirs names the person)
or created (:mod:`counselor_tui.services.access`). Every statement that filtered by that
rule gathered the persons from all of the counselor's sessions: at province size the demo's
``counselor1`` has 393k sessions (the rows carry the notes), so the archive's first page,
a search and the dashboard took seconds. The pairs are kept here instead:

* ``own_case(user_id, person_id, sessions, created)``: ``sessions`` is the number of
  non-voided sessions of counselor ``user_id`` naming ``person_id``; ``created`` is 1 when
  ``user_id`` created the person record (``person.created_by_id``). A row exists exactly
  when ``sessions > 0`` or ``created = 1`` (a pair whose last session is voided and which
  the user did not create goes).

Triggers on ``counseling_session`` (insert, delete, an update that changes the counselor,
the person or the void) and on ``person`` (insert, delete, a change of creator) keep it; a
session update that changes none of the three (a note edited, a follow-up closed) does no
work. :data:`FILL` computes it from what is stored: here for an existing vault, and in the
demo builder's bulk path (:mod:`counselor_tui.demo.bulk`), which sets :data:`TRIGGERS`
aside while it writes.
"""

from __future__ import annotations

from typing import Any

NAME = "own cases: the persons each user served or created"

#: A session row (``new`` or ``old``) that makes its counselor a server of its person.
_SERVES = "{r}.person_id IS NOT NULL AND {r}.voided_at IS NULL"

_ADD_SESSION = ("INSERT INTO own_case(user_id, person_id, sessions, created) "
                "SELECT new.counselor_id, new.person_id, 1, 0 WHERE {serves} "
                "ON CONFLICT(user_id, person_id) DO UPDATE SET sessions = sessions + 1")
_DROP_SESSION = ("UPDATE own_case SET sessions = sessions - 1 WHERE user_id = old.counselor_id "
                 "AND person_id = old.person_id AND {serves}")
_DROP_EMPTY = ("DELETE FROM own_case WHERE user_id = {user} AND person_id = {person} "
               "AND sessions = 0 AND created = 0")

#: Every pair from what is stored (also run by the demo builder, which sets the per-row
#: triggers aside while it writes). The sessions are read through migration 23's covering
#: index (counselor, person and void of every session) rather than the rows with their notes:
#: 3.9 s instead of 11.5 s at province (2M sessions).
FILL = (
    "DELETE FROM own_case",
    "INSERT INTO own_case(user_id, person_id, sessions, created) "
    "SELECT user_id, person_id, sum(sessions), max(created) FROM ("
    "SELECT counselor_id AS user_id, person_id, count(*) AS sessions, 0 AS created "
    "FROM counseling_session INDEXED BY counseling_session_month "
    "WHERE person_id IS NOT NULL AND voided_at IS NULL "
    "GROUP BY counselor_id, person_id "
    "UNION ALL SELECT created_by_id, id, 0, 1 FROM person) "
    "GROUP BY user_id, person_id",
)

#: Every trigger of this migration (the demo builder sets them aside while it writes, then
#: runs :data:`FILL`).
TRIGGERS = ("own_case_session_ai", "own_case_session_au", "own_case_session_ad",
            "own_case_person_ai", "own_case_person_au", "own_case_person_ad")

STATEMENTS = (
    """CREATE TABLE "own_case" ("user_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL,
        "sessions" INTEGER NOT NULL, "created" INTEGER NOT NULL,
        PRIMARY KEY ("user_id", "person_id")) WITHOUT ROWID""",
    *FILL,
    f"""CREATE TRIGGER "own_case_session_ai" AFTER INSERT ON "counseling_session"
    WHEN {_SERVES.format(r='new')} BEGIN
        {_ADD_SESSION.format(serves='1')};
    END""",
    f"""CREATE TRIGGER "own_case_session_au"
    AFTER UPDATE OF counselor_id, person_id, voided_at ON "counseling_session"
    WHEN old.counselor_id IS NOT new.counselor_id OR old.person_id IS NOT new.person_id
        OR old.voided_at IS NOT new.voided_at BEGIN
        {_DROP_SESSION.format(serves=_SERVES.format(r='old'))};
        {_DROP_EMPTY.format(user='old.counselor_id', person='old.person_id')};
        {_ADD_SESSION.format(serves=_SERVES.format(r='new'))};
    END""",
    f"""CREATE TRIGGER "own_case_session_ad" AFTER DELETE ON "counseling_session"
    WHEN {_SERVES.format(r='old')} BEGIN
        {_DROP_SESSION.format(serves='1')};
        {_DROP_EMPTY.format(user='old.counselor_id', person='old.person_id')};
    END""",
    """CREATE TRIGGER "own_case_person_ai" AFTER INSERT ON "person" BEGIN
        INSERT INTO own_case(user_id, person_id, sessions, created)
            VALUES (new.created_by_id, new.id, 0, 1)
            ON CONFLICT(user_id, person_id) DO UPDATE SET created = 1;
    END""",
    f"""CREATE TRIGGER "own_case_person_au" AFTER UPDATE OF created_by_id ON "person"
    WHEN old.created_by_id IS NOT new.created_by_id BEGIN
        UPDATE own_case SET created = 0
            WHERE user_id = old.created_by_id AND person_id = old.id;
        {_DROP_EMPTY.format(user='old.created_by_id', person='old.id')};
        INSERT INTO own_case(user_id, person_id, sessions, created)
            VALUES (new.created_by_id, new.id, 0, 1)
            ON CONFLICT(user_id, person_id) DO UPDATE SET created = 1;
    END""",
    f"""CREATE TRIGGER "own_case_person_ad" AFTER DELETE ON "person" BEGIN
        UPDATE own_case SET created = 0
            WHERE user_id = old.created_by_id AND person_id = old.id;
        {_DROP_EMPTY.format(user='old.created_by_id', person='old.id')};
    END""",
)


def up(conn: Any) -> None:
    """Create the table (filled from the current data) and its triggers."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Migration 3: archive and follow-up speed at 100,000 persons (DESIGN §11).

* ``person_live``: a partial index of the columns the archive filters and searches on,
  limited to live persons (not voided, not archived), so counting and prefix searches are
  index-only scans instead of reading (and decrypting) every row.
* ``counseling_session_open_follow_up``: a partial index of open follow-ups only.
* ``person.last_session_on`` (``YYYY-MM-DD``, the bureau-local date of the person's latest
  non-voided session), filled now and kept by triggers, so sorting by last session is an
  index scan instead of a correlated sub-query per person.
"""

from __future__ import annotations

from typing import Any

NAME = "archive speed: live-person and open-follow-up indexes, stored last session date"

_LATEST = (
    "(SELECT max(substr(s.started_at, 1, 10)) FROM counseling_session s "
    "WHERE s.person_id = person.id AND s.voided_at IS NULL)"
)

STATEMENTS = (
    """CREATE INDEX "person_live" ON "person"
        ("name_pinyin", "name_initials", "kind", "unit_id", "police_type", "badge_no")
        WHERE "voided_at" IS NULL AND "archived_at" IS NULL""",
    """CREATE INDEX "counseling_session_open_follow_up" ON "counseling_session"
        ("follow_up_on", "person_id", "counselor_id")
        WHERE "follow_up_on" IS NOT NULL AND "follow_up_closed_at" IS NULL
        AND "voided_at" IS NULL""",
    'ALTER TABLE "person" ADD COLUMN "last_session_on" TEXT',
    f'UPDATE "person" SET "last_session_on" = {_LATEST}',
    'CREATE INDEX "person_last_session_on" ON "person" ("last_session_on")',
    """CREATE TRIGGER "counseling_session_last_ai" AFTER INSERT ON "counseling_session"
    WHEN new.person_id IS NOT NULL AND new.voided_at IS NULL BEGIN
        UPDATE person SET last_session_on = substr(new.started_at, 1, 10)
        WHERE id = new.person_id
          AND (last_session_on IS NULL OR last_session_on < substr(new.started_at, 1, 10));
    END""",
    f"""CREATE TRIGGER "counseling_session_last_au"
    AFTER UPDATE OF started_at, person_id, voided_at ON "counseling_session" BEGIN
        UPDATE person SET last_session_on = {_LATEST}
        WHERE id IN (old.person_id, new.person_id);
    END""",
)


def up(conn: Any) -> None:
    """Create the indexes and the stored last-session date with its triggers."""
    for statement in STATEMENTS:
        conn.execute(statement)

"""Bulk loading: the session table's per-row triggers set aside while the demo writes, their
work done once by SQL when every session is written and sealed (issue 18).

The note index (migration 2: one FTS5 trigram insert per session, and with migration 10's
``secure-delete`` a block rewrite per note blanked by sealing), the stored last-session
date (migration 3: one ``UPDATE person`` per session) and the archive's sort keys (migration
13: one ``UPDATE person`` per person and per tier state) and the search keys (migration 24:
a row per prefix of each person's pinyin; 26: per character of the name; 27: per prefix of
the badge number), like the compile's kept values (migration 19), the open census
campaigns' progress (migration 22: filled before its triggers are back) and the pairs of
user and person served or created (migration 29), cost more than the rows themselves. One
``rebuild`` of the index from the stored notes and one grouped ``UPDATE`` give the same
content: the index holds every stored note (sealed ones are blank), and ``last_session_on``
is the latest bureau-local date of the person's non-voided sessions — what the triggers keep.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from counselor_tui.services import audit
from counselor_tui.services.context import VaultSession
from db.migrations import m0013_archive_sort_keys as archive_sort_keys
from db.migrations import m0019_compile_aggregates as compile_aggregates
from db.migrations import m0022_census_progress as census_progress
from db.migrations import m0024_person_search_key as search_keys
from db.migrations import m0026_person_name_key as name_keys
from db.migrations import m0027_person_badge_key as badge_keys
from db.migrations import m0029_own_cases as own_cases
from db.migrations import m0030_score_rise as score_rise

#: The triggers whose work is redone in bulk at the end (every other trigger stays).
DEFERRED = ("counseling_session_fts_ai", "counseling_session_fts_au",
            "counseling_session_last_ai", "person_sort_unit_ai", "tier_state_sort_ai",
            *compile_aggregates.TRIGGERS, *census_progress.TRIGGERS, *search_keys.TRIGGERS,
            *name_keys.TRIGGERS, *badge_keys.TRIGGERS, *own_cases.TRIGGERS,
            *score_rise.TRIGGERS)

#: Migration 3's stored last-session date, for every person at once (one pass, grouped).
_LAST_SESSION = (
    'UPDATE "person" SET "last_session_on" = latest.day FROM ('
    "SELECT person_id, max(substr(started_at, 1, 10)) AS day FROM counseling_session "
    "WHERE person_id IS NOT NULL AND voided_at IS NULL GROUP BY person_id) AS latest "
    'WHERE latest.person_id = "person"."id"')


#: The note index's in-memory term buffer during the one ``rebuild`` (bytes; FTS5's
#: ``hashsize``, 1 MiB by default): 64 MiB leaves a few large segments instead of
#: thousands of 1 MiB ones merged again and again (a third less CPU for the rebuild).
REBUILD_HASH_BYTES = 64 * 1024 * 1024

#: FTS5's own default ``hashsize`` (what a live vault's note index uses).
_DEFAULT_HASH_BYTES = 1024 * 1024


@contextlib.contextmanager
def deferred_triggers(vs: VaultSession) -> Iterator[None]:
    """Drop the :data:`DEFERRED` triggers for the body, then (on success) put them back as
    they were stored, fill ``person.last_session_on`` and the archive's sort keys and rebuild
    ``session_note_fts`` —
    in one transaction, recorded by one ``demo_generate`` audit event.

    Only for a vault being built: a failed body leaves the triggers out, and
    :func:`counselor_tui.demo.build_demo` removes such a vault.
    """
    marks = ", ".join("?" * len(DEFERRED))
    with vs.transaction():
        saved = [(str(name), str(sql)) for name, sql in vs.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks}) "
            "ORDER BY name", DEFERRED)]
        for name, _sql in saved:
            vs.execute(f'DROP TRIGGER "{name}"')
    yield
    with vs.transaction():
        for statement in census_progress.FILL:  # open campaigns' progress (migration 22),
            vs.execute(statement)  # before its per-row triggers are back
        for _name, sql in saved:
            vs.execute(sql)
        vs.execute(_LAST_SESSION)
        for statement in archive_sort_keys.FILL:  # the archive's sort keys (migration 13)
            vs.execute(statement)
        for statement in compile_aggregates.FILL:  # what the compile reads (migration 19)
            vs.execute(statement)
        for statement in (*search_keys.FILL, *name_keys.FILL, *badge_keys.FILL):  # 24, 26, 27
            vs.execute(statement)
        for statement in own_cases.FILL:  # who served or created whom (migration 29)
            vs.execute(statement)
        for statement in score_rise.FILL:  # the rising scores (migration 30)
            vs.execute(statement)
        _rebuild_note_index(vs)
        audit.record(vs, "demo_generate", "session_note_fts", "", {"rebuilt": True})


def _rebuild_note_index(vs: VaultSession) -> None:
    """Rebuild ``session_note_fts`` from the stored notes with a large term buffer, then put
    the index's configuration back as the migrations left it (no ``hashsize`` row)."""
    fts = "session_note_fts"
    vs.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', ?)", (REBUILD_HASH_BYTES,))
    vs.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    vs.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('hashsize', ?)", (_DEFAULT_HASH_BYTES,))
    vs.execute(f"DELETE FROM {fts}_config WHERE k = 'hashsize'")

"""Numbered schema migrations and their runner (``schema_version`` table).

Each migration is a module ``mNNNN_<name>.py`` with ``NAME`` and ``up(conn)`` holding frozen
SQL. :func:`migrate` applies the missing ones in order inside one ``BEGIN IMMEDIATE``
transaction, so an upgrade either completes or leaves the vault as it was; a vault whose
schema is newer than this program is refused (:class:`SchemaTooNewError`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db.migrations import (
    m0001_initial,
    m0002_search,
    m0003_archive_speed,
    m0004_screening_index,
    m0005_firearm_events,
    m0006_record_versions,
    m0007_sealed,
    m0008_session_version,
    m0009_trusted_signers,
    m0010_note_index_secure_delete,
    m0011_caseload,
    m0012_people_moves,
    m0013_archive_sort_keys,
    m0014_form_drafts,
    m0015_caller_kind,
    m0016_co_counselors,
    m0017_name_sort,
    m0018_bureau_instruments,
    m0019_compile_aggregates,
    m0020_organisation,
    m0021_name_sort_surname,
    m0022_census_progress,
    m0023_compile_month_index,
    m0024_person_search_key,
    m0025_compile_person_index,
    m0026_person_name_key,
    m0027_person_badge_key,
    m0028_pending_suggestions,
    m0029_own_cases,
    m0030_score_rise,
    m0031_tier_by_person,
)


@dataclass(frozen=True)
class Migration:
    """A numbered migration: version, name, and the function applying it to a connection."""

    version: int
    name: str
    up: Callable[[Any], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, m0001_initial.NAME, m0001_initial.up),
    Migration(2, m0002_search.NAME, m0002_search.up),
    Migration(3, m0003_archive_speed.NAME, m0003_archive_speed.up),
    Migration(4, m0004_screening_index.NAME, m0004_screening_index.up),
    Migration(5, m0005_firearm_events.NAME, m0005_firearm_events.up),
    Migration(6, m0006_record_versions.NAME, m0006_record_versions.up),
    Migration(7, m0007_sealed.NAME, m0007_sealed.up),
    Migration(8, m0008_session_version.NAME, m0008_session_version.up),
    Migration(9, m0009_trusted_signers.NAME, m0009_trusted_signers.up),
    Migration(10, m0010_note_index_secure_delete.NAME, m0010_note_index_secure_delete.up),
    Migration(11, m0011_caseload.NAME, m0011_caseload.up),
    Migration(12, m0012_people_moves.NAME, m0012_people_moves.up),
    Migration(13, m0013_archive_sort_keys.NAME, m0013_archive_sort_keys.up),
    Migration(14, m0014_form_drafts.NAME, m0014_form_drafts.up),
    Migration(15, m0015_caller_kind.NAME, m0015_caller_kind.up),
    Migration(16, m0016_co_counselors.NAME, m0016_co_counselors.up),
    Migration(17, m0017_name_sort.NAME, m0017_name_sort.up),
    Migration(18, m0018_bureau_instruments.NAME, m0018_bureau_instruments.up),
    Migration(19, m0019_compile_aggregates.NAME, m0019_compile_aggregates.up),
    Migration(20, m0020_organisation.NAME, m0020_organisation.up),
    Migration(21, m0021_name_sort_surname.NAME, m0021_name_sort_surname.up),
    Migration(22, m0022_census_progress.NAME, m0022_census_progress.up),
    Migration(23, m0023_compile_month_index.NAME, m0023_compile_month_index.up),
    Migration(24, m0024_person_search_key.NAME, m0024_person_search_key.up),
    Migration(25, m0025_compile_person_index.NAME, m0025_compile_person_index.up),
    Migration(26, m0026_person_name_key.NAME, m0026_person_name_key.up),
    Migration(27, m0027_person_badge_key.NAME, m0027_person_badge_key.up),
    Migration(28, m0028_pending_suggestions.NAME, m0028_pending_suggestions.up),
    Migration(29, m0029_own_cases.NAME, m0029_own_cases.up),
    Migration(30, m0030_score_rise.NAME, m0030_score_rise.up),
    Migration(31, m0031_tier_by_person.NAME, m0031_tier_by_person.up),
)
CURRENT_VERSION = MIGRATIONS[-1].version


class SchemaTooNewError(Exception):
    """The vault was written by a newer program (its schema version is higher than ours)."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(f"schema version {found} is newer than supported {supported}")
        self.found = found
        self.supported = supported


def schema_version(conn: Any) -> int:
    """The highest applied migration of the database on ``conn`` (0 for an empty database)."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).fetchone()
    if row is None:
        return 0
    value = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    return int(value or 0)


def migrate(conn: Any, applied_at: str, target: int | None = None,
            then: Callable[[Any], object] | None = None) -> list[int]:
    """Apply every missing migration up to ``target`` (default: all) in one transaction.

    ``conn`` is a DB-API connection in autocommit mode; ``applied_at`` the ISO timestamp
    recorded per migration; ``then(conn)``, when given, runs last in the same transaction
    (data moves that need more than SQL, e.g. sealing to the slots' keys). Returns the
    versions applied (empty when up to date). Raises :class:`SchemaTooNewError` for a
    newer vault; any error rolls the whole upgrade back.
    """
    goal = CURRENT_VERSION if target is None else target
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = schema_version(conn)
        if found > CURRENT_VERSION:
            raise SchemaTooNewError(found, CURRENT_VERSION)
        applied = []
        for migration in MIGRATIONS:
            if found < migration.version <= goal:
                migration.up(conn)
                conn.execute(
                    "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, applied_at),
                )
                applied.append(migration.version)
        if then is not None and goal == CURRENT_VERSION:
            then(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied

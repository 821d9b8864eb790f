"""The compile's kept values (db migration 19) on a real demo vault: the content is
byte-identical to the former whole-population query path (tests/integration/
compile_reference.py) for every month, quarter and scope, and the kept values stay equal to a
fresh computation after each write path that changes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from counselor_tui import demo
from counselor_tui.domain.dates import to_storage
from counselor_tui.domain.periods import parse_period
from counselor_tui.services import (
    census,
    lifecycle,
    person_moves,
    persons,
    sessions,
    submission_compile,
    tier_policy,
    tiers,
)
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.submission_compile import compile_content
from db.connection import open_connection
from db.migrations import (
    CURRENT_VERSION,
    m0019_compile_aggregates,
    m0022_census_progress,
    m0023_compile_month_index,
    m0024_person_search_key,
    m0026_person_name_key,
    m0027_person_badge_key,
    m0029_own_cases,
    m0030_score_rise,
    schema_version,
)
from db.models import Census
from tests.conftest import PASSPHRASE
from tests.integration import compile_reference

MONTHS = tuple(f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)
               if "2024-11" <= f"{y}-{m:02d}" <= "2026-11")
PERIODS = (*MONTHS, "2025-Q4", "2026-Q3", "2026")
RECENT = ("2026-08", "2026-09", "2026-10", "2026-11", "2026-Q4")


@pytest.fixture
def vs(tmp_path: Path, clock: FixedClock, state_dir: Path) -> Iterator[VaultSession]:
    path = tmp_path / "demo" / "demo.db"
    demo.build_demo(path, "tiny", 1, PASSPHRASE, clock, kdf_seconds=0, state_dir=state_dir)
    session = lifecycle.unlock(path, demo.DEMO_USER, PASSPHRASE, clock=clock,
                               state_dir=state_dir)
    yield session
    session.close()


def _compiled(vs: VaultSession, label: str, scope: str) -> str:
    return json.dumps(compile_content(vs, parse_period(label), scope), sort_keys=True,
                      ensure_ascii=False)


def _assert_same_content(vs: VaultSession, monkeypatch: pytest.MonkeyPatch,
                         labels: tuple[str, ...]) -> dict[tuple[str, str], Any]:
    """Compile every period of ``labels`` for the bureau and each unit by the new path and
    by the former one; the JSON texts must be equal. Returns the contents by (period,
    scope)."""
    with vs.reading():
        scopes = ["bureau", *(str(c) for (c,) in vs.execute("SELECT code FROM unit"))]
    new = {(label, scope): _compiled(vs, label, scope) for label in labels for scope in scopes}
    with monkeypatch.context() as patch:
        patch.setattr(submission_compile, "_counseling", compile_reference._counseling)
        patch.setattr(submission_compile, "_archive", compile_reference._archive)
        patch.setattr(submission_compile, "_census", compile_reference._census)
        old = {key: _compiled(vs, *key) for key in new}
    for key, text in new.items():
        assert text == old[key], key
    return {key: json.loads(text) for key, text in new.items()}


def _kept(vs: VaultSession) -> tuple[list[Any], list[Any]]:
    with vs.reading():
        people = [tuple(r) for r in vs.execute(
            "SELECT id, first_session_at, tier_now FROM person ORDER BY id")]
        counts = [tuple(r) for r in vs.execute(
            "SELECT unit_key, tier, n FROM serving_count WHERE n != 0 ORDER BY 1, 2")]
    return people, counts


def _fresh(vs: VaultSession) -> tuple[list[Any], list[Any]]:
    """The same values computed from the stored rows, written independently of the
    migration (aggregates and a window function instead of ordered look-ups)."""
    with vs.reading():
        people = [tuple(r) for r in vs.execute(
            "WITH latest AS (SELECT person_id, to_tier, ROW_NUMBER() OVER (PARTITION BY "
            "person_id ORDER BY at DESC, id DESC) AS rn FROM tier_change), "
            "first AS (SELECT person_id, MIN(started_at) AS at FROM counseling_session "
            "WHERE voided_at IS NULL GROUP BY person_id) "
            "SELECT p.id, first.at, CASE WHEN latest.to_tier IS NOT NULL THEN latest.to_tier "
            "WHEN ts.since IS NOT NULL THEN ts.tier ELSE 'none' END FROM person p "
            "LEFT JOIN first ON first.person_id = p.id "
            "LEFT JOIN latest ON latest.person_id = p.id AND latest.rn = 1 "
            "LEFT JOIN tier_state ts ON ts.person_id = p.id ORDER BY p.id")]
        tier_of = {pid: tier for pid, _first, tier in people}
        counts: dict[tuple[int, str], int] = {}
        for pid, unit in vs.execute(
                "SELECT id, COALESCE(unit_id, 0) FROM person WHERE kind = 'officer' "
                "AND voided_at IS NULL AND archived_at IS NULL"):
            key = (int(unit), str(tier_of[pid]))
            counts[key] = counts.get(key, 0) + 1
    return people, sorted((u, t, n) for (u, t), n in counts.items())


def _assert_kept(vs: VaultSession) -> None:
    assert _kept(vs) == _fresh(vs)


def _officer(vs: VaultSession, offset: int = 0) -> tuple[int, int, str]:
    """An officer with a tier and sessions: id, unit id, first session (stored text)."""
    with vs.reading():
        pid, unit, first = vs.execute(
            "SELECT p.id, p.unit_id, MIN(s.started_at) FROM person p "
            "JOIN counseling_session s ON s.person_id = p.id AND s.voided_at IS NULL "
            "JOIN tier_state t ON t.person_id = p.id WHERE p.kind = 'officer' "
            "AND p.archived_at IS NULL GROUP BY p.id ORDER BY p.id LIMIT 1 OFFSET ?",
            (offset,)).fetchone()
    return int(pid), int(unit), str(first)


def _draft(pid: int | None, started: datetime) -> sessions.SessionDraft:
    return sessions.SessionDraft(person_id=pid, started_at=started, channel="face_to_face",
                                 kind="routine", topics=("work_stress",), duration_min=50)


def test_compile_is_byte_identical_to_the_former_query_path(
        vs: VaultSession, monkeypatch: pytest.MonkeyPatch) -> None:
    contents = _assert_same_content(vs, monkeypatch, PERIODS)
    assert len(contents) >= 3 * len(PERIODS)
    _assert_kept(vs)
    # the compared contents hold what the rewritten queries produce
    sections = [c["sections"] for c in contents.values()]
    assert sum(s["counseling"]["figures"]["new_persons"] for s in sections) > 0
    assert sum(s["archive"]["figures"]["archived_in_period"] for s in sections) > 0
    assert any(sum(map(sum, s["archive"]["tables"]["transitions"]["counts"]))
               for s in sections)
    assert all(s["archive"]["figures"]["serving"] > 0 for s in sections)


def test_kept_values_follow_every_write_path(vs: VaultSession, clock: FixedClock,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_kept(vs)
    pid, unit, first = _officer(vs)
    with vs.reading():
        other_unit = int(vs.execute("SELECT id FROM unit WHERE id != ? ORDER BY id LIMIT 1",
                                    (unit,)).fetchone()[0])
    now = clock.now()

    # a session logged before the person's first one moves their first session back
    earlier = datetime.fromisoformat(first) - timedelta(days=3)
    saved = sessions.log_session(vs, _draft(pid, earlier))
    _assert_kept(vs)
    assert _kept(vs)[0][[r[0] for r in _kept(vs)[0]].index(pid)][1] == to_storage(earlier)
    # ... and editing its date forward leaves the former first session first again
    sessions.update_session(vs, saved.id, _draft(pid, now - timedelta(hours=2)))
    _assert_kept(vs)
    # a session voided (a raw write: the triggers hold for any writer) and deleted
    with vs.transaction():
        vs.execute("UPDATE counseling_session SET voided_at = ?, void_reason = 'test' "
                   "WHERE person_id = ? AND started_at = ?", (vs.now_iso(), pid, first))
    _assert_kept(vs)
    with vs.transaction():
        vs.execute("DELETE FROM counseling_session WHERE id = ?", (saved.id,))
    _assert_kept(vs)
    # a new person is first seen in November
    new_id = persons.create_person(vs, persons.PersonDraft(
        kind="officer", name="测试新人", badge_no="990001", unit_id=unit, gender="male"))
    _assert_kept(vs)
    sessions.log_session(vs, _draft(new_id, now - timedelta(days=1)))
    _assert_kept(vs)
    # tier changes, a transfer dated in October, leaving and its withdrawal
    tier = tier_policy.current_tier(vs, pid)
    tier_policy.set_tier(vs, pid, "red" if tier is None or tier.tier != "red" else "green",
                         "复核后调整")
    _assert_kept(vs)
    tier_policy.set_tier(vs, new_id, "yellow", "新建档")
    _assert_kept(vs)
    person_moves.transfer(vs, pid, other_unit, "2026-10-20")
    _assert_kept(vs)
    second, _unit2, _first2 = _officer(vs, 1)
    person_moves.leave(vs, second, "2026-11-02", next(iter(person_moves.LEAVE_REASONS)))
    _assert_kept(vs)
    third, _unit3, _first3 = _officer(vs, 2)
    person_moves.leave(vs, third, "2026-11-29", next(iter(person_moves.LEAVE_REASONS)))
    person_moves.withdraw_leave(vs, third)
    _assert_kept(vs)
    # a transfer is the only thing that changed for an officer since August
    with vs.reading():
        quiet, quiet_unit = vs.execute(
            "SELECT p.id, p.unit_id FROM person p WHERE p.kind = 'officer' "
            "AND p.archived_at IS NULL AND p.unit_id IS NOT NULL AND p.id NOT IN (?, ?, ?) "
            "AND NOT EXISTS (SELECT 1 FROM tier_change c WHERE c.person_id = p.id "
            "AND c.at >= '2026-08') AND NOT EXISTS (SELECT 1 FROM tier_state t "
            "WHERE t.person_id = p.id AND t.since >= '2026-08') ORDER BY p.id LIMIT 1",
            (pid, second, third)).fetchone()
    person_moves.transfer(vs, quiet, unit if quiet_unit != unit else other_unit, "2026-09-15")
    _assert_kept(vs)
    # the months around the writes still compile to the former path's bytes
    assert _assert_same_content(vs, monkeypatch, RECENT)
    _assert_census_figures(vs)
    _assert_reviews_due(vs, clock)


def _assert_reviews_due(vs: VaultSession, clock: FixedClock) -> None:
    """The dashboard's reviews due (read through the keys kept on the person) are the tier
    states due by the week's end, in the former order: date, red, yellow, then the rest."""
    today = clock.now().date()
    horizon = today + timedelta(days=6 - today.weekday())
    with vs.transaction():  # a few reviews falling due today, of every tier
        vs.execute("UPDATE tier_state SET review_due = ? WHERE id IN (SELECT MIN(id) "
                   "FROM tier_state GROUP BY tier)", (today.isoformat(),))
    with vs.reading():
        expected = [int(r[0]) for r in vs.execute(
            "SELECT p.id FROM tier_state t JOIN person p ON p.id = t.person_id "
            "WHERE t.review_due <= ? AND p.voided_at IS NULL AND p.archived_at IS NULL "
            "ORDER BY t.review_due, CASE t.tier WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 "
            "ELSE 2 END, p.name_sort, p.id", (horizon.isoformat(),))]
    assert [r.id for r in tiers.review_due(vs)] == expected
    assert len(expected) >= 2


def _assert_census_figures(vs: VaultSession) -> None:
    """Each campaign's live figures (targets from ``serving_count``) equal plain SQL over
    every target officer (DESIGN §4: screened = every instrument in the window)."""
    with vs.reading():
        rows = list(Census.select())
        assert rows
        for row in rows:
            live = census._live_figures(vs, row)
            codes = list(row.instruments or [])
            marks = ", ".join("?" for _c in codes)
            target, completed = vs.execute(
                "SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(DISTINCT a.instrument_code) "
                "FROM assessment a WHERE a.person_id = p.id AND a.voided_at IS NULL "
                "AND a.complete = 1 AND a.administered_on BETWEEN ? AND ? "
                f"AND a.instrument_code IN ({marks})) = ?), 0) FROM person p "
                "JOIN census_unit cu ON cu.unit_id = p.unit_id AND cu.census_id = ? "
                "WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL",
                (row.starts_on, row.ends_on, *codes, len(codes), row.id)).fetchone()
            assert (live.target, live.completed) == (target, completed) != (0, 0)
            listed = {r.id: (r.target, r.completed) for r in census.list_censuses(vs)}
            if row.status == "open":
                assert listed[row.id] == (target, completed)


def test_upgrade_fills_the_kept_values_of_a_schema_18_vault(
        vs: VaultSession, clock: FixedClock, state_dir: Path) -> None:
    """The demo vault taken back to schema 18 (migration 19's table, columns, indexes and
    triggers removed) and unlocked: the upgrade fills every kept value as computed afresh."""
    expected = _fresh(vs)
    path, key = vs.path, vs.db.key
    vs.close()
    conn = open_connection(path, key)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for name in m0019_compile_aggregates.TRIGGERS:
            conn.execute(f'DROP TRIGGER "{name}"')
        for name in ("tier_change_at", "tier_state_since", "tier_state_created_at",
                     "person_created_at", "person_archived_at"):
            conn.execute(f'DROP INDEX "{name}"')
        for name in ("person_compile", "tier_change_person_at", "tier_change_at_person",
                     "tier_state_since_person"):  # migration 25, on columns of 19
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("DROP TABLE serving_count")
        conn.execute("ALTER TABLE person DROP COLUMN first_session_at")
        conn.execute("ALTER TABLE person DROP COLUMN tier_now")
        for table in ("org_member", "cadre_training"):  # migration 20, after it
            conn.execute(f'DROP TABLE "{table}"')
        for name in m0022_census_progress.TRIGGERS:  # migration 22, after it
            conn.execute(f'DROP TRIGGER "{name}"')
        for table in ("census_take", "census_done"):
            conn.execute(f'DROP TABLE "{table}"')
        conn.execute(f'DROP INDEX "{m0023_compile_month_index.INDEX}"')  # migration 23
        for name in (*m0024_person_search_key.TRIGGERS,  # migrations 24, 26, 27
                     *m0026_person_name_key.TRIGGERS, *m0027_person_badge_key.TRIGGERS):
            conn.execute(f'DROP TRIGGER "{name}"')
        for table in ("person_search_key", "person_name_key", "person_badge_key"):
            conn.execute(f'DROP TABLE "{table}"')
        conn.execute('DROP INDEX "tier_suggestion_pending"')  # migration 28
        for name in m0029_own_cases.TRIGGERS:  # migration 29
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute('DROP TABLE "own_case"')
        for name in m0030_score_rise.TRIGGERS:  # migration 30
            conn.execute(f'DROP TRIGGER "{name}"')
        conn.execute('DROP TABLE "score_rise"')
        conn.execute('DROP INDEX "tier_state_person_tier"')  # migration 31
        conn.execute("DELETE FROM schema_version WHERE version >= 19")
        conn.execute("COMMIT")
        assert schema_version(conn) == 18
    finally:
        conn.close()
    again = lifecycle.unlock(path, demo.DEMO_USER, PASSPHRASE, clock=clock,
                             state_dir=state_dir)
    try:
        with again.reading():
            assert schema_version(again.db.raw()) == CURRENT_VERSION
        assert _kept(again) == _fresh(again) == expected
        assert any(first for _pid, first, _tier in expected[0])
        assert expected[1]
    finally:
        again.close()

"""Census progress kept on write (db migration 22) on a real tiny demo vault: the open
campaigns' screened officers by unit (``census_done``) and instruments taken
(``census_take``) equal a fresh computation from the stored assessments, and the census list
and the dashboard show the figures the former grouped query (``census._unit_progress``) and
the benchmark's hand-written SQL (``benchmarks/bench_dashboard.py``) give — before and after
every write path that moves them, and after the upgrade of a schema-21 vault. The other
dashboard blocks made cheaper for province size (follow-ups, tier reviews) give the items the
former per-row construction gave (a long block: its first lines, then how many more, with
the counts of all), and the tier suggestions block reads only the lines it shows."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks import bench_dashboard
from counselor_tui import demo
from counselor_tui.domain import vocab
from counselor_tui.domain.dates import relative_hint
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import (
    assessments,
    census,
    dashboard,
    lifecycle,
    person_moves,
    session_reads,
    tier_policy,
    tiers,
)
from counselor_tui.services.context import FixedClock, VaultSession
from db.connection import open_connection
from db.migrations import CURRENT_VERSION, schema_version
from db.models import Census
from tests.conftest import PASSPHRASE, TZ
from tests.helpers import as_schema

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=TZ)
#: Valid answers (all zero) for each instrument the open demo campaign uses.
ITEMS = {"phq9": 9, "gad7": 7, "pss10": 10}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("census-progress")
    demo.build_demo(root / "demo" / "demo.db", "tiny", 1, PASSPHRASE, FixedClock(NOW),
                    kdf_seconds=0, state_dir=root / "state")
    return root / "demo"


@pytest.fixture
def vs(template: Path, tmp_path: Path, state_dir: Path) -> Iterator[VaultSession]:
    shutil.copytree(template, tmp_path / "demo")
    session = lifecycle.unlock(tmp_path / "demo" / "demo.db", demo.DEMO_USER, PASSPHRASE,
                               clock=FixedClock(NOW), state_dir=state_dir)
    yield session
    session.close()


def _kept(vs: VaultSession) -> tuple[list[Any], list[Any]]:
    with vs.reading():
        take = [tuple(r) for r in vs.execute(
            "SELECT census_id, person_id, instrument_code, n FROM census_take ORDER BY 1, 2, 3")]
        done = [tuple(r) for r in vs.execute(
            "SELECT census_id, unit_key, n FROM census_done WHERE n != 0 ORDER BY 1, 2")]
    return take, done


def _fresh(vs: VaultSession) -> tuple[list[Any], list[Any]]:
    """The same values from the stored rows, written independently of the migration: per
    open campaign and person, the qualifying assessments of each instrument; per unit, the
    serving officers holding every instrument (DESIGN §4)."""
    take: list[Any] = []
    done: dict[tuple[int, int], int] = {}
    with vs.reading():
        for row in Census.select().where(Census.status == "open").order_by(Census.id):
            codes = list(row.instruments or [])
            marks = ", ".join("?" for _c in codes)
            counts = [tuple(r) for r in vs.execute(
                "SELECT ?, person_id, instrument_code, COUNT(*) FROM assessment "
                "WHERE voided_at IS NULL AND complete = 1 AND administered_on >= ? "
                f"AND administered_on <= ? AND instrument_code IN ({marks}) "
                "GROUP BY person_id, instrument_code ORDER BY person_id, instrument_code",
                (row.id, row.starts_on, row.ends_on, *codes))]
            take.extend(counts)
            held: dict[int, set[str]] = {}
            for _cid, pid, code, _n in counts:
                held.setdefault(int(pid), set()).add(str(code))
            for pid, unit in vs.execute(
                    "SELECT id, COALESCE(unit_id, 0) FROM person WHERE kind = 'officer' "
                    "AND voided_at IS NULL AND archived_at IS NULL"):
                if held.get(int(pid)) == set(codes):
                    key = (int(row.id), int(unit))
                    done[key] = done.get(key, 0) + 1
    return take, sorted((c, u, n) for (c, u), n in done.items())


def _by_hand(vs: VaultSession) -> dict[str, Any]:
    today = vs.today()
    params = {"today": today.isoformat(),
              "horizon": (today + timedelta(days=6 - today.weekday())).isoformat(),
              "week": (today + timedelta(days=7)).isoformat()}
    with vs.reading():
        return bench_dashboard.by_hand(vs.db.raw(), params)


def _assert_exact(vs: VaultSession) -> dict[int, tuple[int, int]]:
    """Kept == fresh; every open campaign's listed totals == the former grouped query's;
    the dashboard's census figures == the hand-written SQL's. Returns the listed totals."""
    assert _kept(vs) == _fresh(vs)
    listed = {r.id: (r.target, r.completed) for r in census.list_censuses(vs)
              if r.status == "open"}
    with vs.reading():
        for row in Census.select().where(Census.status == "open"):
            units = census._unit_progress(vs, row)
            former = (sum(u.target for u in units), sum(u.completed for u in units))
            assert listed[row.id] == former, row.id
    with vs.reading():
        campaigns = [int(r.id) for r in Census.select()]
    for cid in campaigns:  # open and closed: the not-screened list as written out plainly
        pending = [(p.person_id, p.unit_id, p.missing) for p in census.not_screened(vs, cid)]
        assert pending == _plain_pending(vs, cid), cid
        assert census.not_screened(vs, cid, limit=3) == census.not_screened(vs, cid)[:3]
    shown = bench_dashboard._shown(dashboard.gather(vs))
    assert shown == _by_hand(vs)
    assert shown["census"] == (len(listed), sum(d for _t, d in listed.values()),
                               sum(t for t, _d in listed.values()))
    return listed


def _plain_pending(vs: VaultSession, cid: int) -> list[tuple[int, int, tuple[str, ...]]]:
    """The officers of a campaign not screened, as written out plainly: every serving
    officer of a target unit (by unit code, pinyin, id) and the campaign's instruments they
    hold no complete, non-voided assessment of in the window (when any)."""
    with vs.reading():
        row = Census.get_by_id(cid)
        codes = list(row.instruments)
        out = []
        for pid, unit in vs.execute(
                "SELECT p.id, p.unit_id FROM person p JOIN unit u ON u.id = p.unit_id "
                "JOIN census_unit cu ON cu.unit_id = p.unit_id AND cu.census_id = ? "
                "WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL "
                "ORDER BY u.code, p.name_sort, p.id", (cid,)).fetchall():
            have = {str(r[0]) for r in vs.execute(
                "SELECT instrument_code FROM assessment WHERE person_id = ? "
                "AND voided_at IS NULL AND complete = 1 AND administered_on BETWEEN ? AND ?",
                (pid, row.starts_on, row.ends_on))}
            missing = tuple(c for c in codes if c not in have)
            if missing:
                out.append((int(pid), int(unit), missing))
    return out


def _record(vs: VaultSession, pid: int, code: str, on: date) -> int:
    return assessments.record_assessment(vs, assessments.AssessmentDraft(
        pid, code, (0,) * ITEMS[code], on)).id


def _not_screened(vs: VaultSession, cid: int) -> tuple[int, list[str]]:
    """A serving officer of a target unit missing some of the campaign's instruments
    (fewest missing first), and the codes they miss."""
    with vs.reading():
        row = Census.get_by_id(cid)
        codes = list(row.instruments)
        best: tuple[int, list[str]] | None = None
        for pid, taken in vs.execute(
                "SELECT p.id, (SELECT group_concat(DISTINCT a.instrument_code) "
                "FROM assessment a WHERE a.person_id = p.id AND a.voided_at IS NULL "
                "AND a.complete = 1 AND a.administered_on BETWEEN ? AND ?) FROM person p "
                "JOIN census_unit cu ON cu.unit_id = p.unit_id AND cu.census_id = ? "
                "WHERE p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL "
                "ORDER BY p.id", (row.starts_on, row.ends_on, cid)):
            have = set(str(taken or "").split(","))
            missing = [c for c in codes if c not in have]
            if missing and (best is None or len(missing) < len(best[1])):
                best = (int(pid), missing)
    assert best is not None, "every officer of the tiny demo is screened"
    return best


def test_kept_progress_follows_every_write_path(vs: VaultSession) -> None:
    listed = _assert_exact(vs)
    assert len(listed) == 1 and all(d > 0 for _t, d in listed.values())
    (cid,) = listed
    today = vs.today()
    screened_before = listed[cid][1]

    # an officer completes the campaign: their last missing instrument entered
    pid, missing = _not_screened(vs, cid)
    ids = []
    for code in missing:
        assert _assert_exact(vs)[cid][1] == screened_before
        ids.append(_record(vs, pid, code, today - timedelta(days=1)))
    assert _assert_exact(vs)[cid][1] == screened_before + 1
    # the same instrument twice, one voided: still screened; the other voided: not
    again = _record(vs, pid, missing[-1], today)
    assessments.void_assessment(vs, again, "重复录入")
    assert _assert_exact(vs)[cid][1] == screened_before + 1
    assessments.void_assessment(vs, ids[-1], "录错人")
    assert _assert_exact(vs)[cid][1] == screened_before
    # outside the window: not counted; a raw write moving it in, then deleting it
    outside = _record(vs, pid, missing[-1], date(2026, 1, 5))
    assert _assert_exact(vs)[cid][1] == screened_before
    with vs.transaction():
        vs.execute("UPDATE assessment SET administered_on = ? WHERE id = ?",
                   ((today - timedelta(days=2)).isoformat(), outside))
    assert _assert_exact(vs)[cid][1] == screened_before + 1
    with vs.transaction():
        vs.execute("UPDATE assessment SET complete = 0 WHERE id = ?", (outside,))
    assert _assert_exact(vs)[cid][1] == screened_before
    with vs.transaction():
        vs.execute("UPDATE assessment SET complete = 1 WHERE id = ?", (outside,))
    assert _assert_exact(vs)[cid][1] == screened_before + 1
    with vs.transaction():
        vs.execute("DELETE FROM assessment WHERE id = ?", (outside,))
    assert _assert_exact(vs)[cid][1] == screened_before

    # a second campaign over one unit and one instrument, opened on stored assessments
    with vs.reading():
        first_unit, second_unit = (int(r[0]) for r in vs.execute(
            "SELECT id FROM unit ORDER BY id LIMIT 2"))
        row = Census.get_by_id(cid)
        window = (date.fromisoformat(row.starts_on), date.fromisoformat(row.ends_on))
    small = census.create_census(vs, census.CensusDraft(
        "单位抽查", window[0], window[1], ("phq9",), (first_unit,)))
    listed = _assert_exact(vs)
    assert listed[small][1] > 0
    with vs.reading():
        mover = int(vs.execute(
            "SELECT t.person_id FROM census_take t JOIN person p ON p.id = t.person_id "
            "WHERE t.census_id = ? AND p.unit_id = ? AND p.kind = 'officer' "
            "AND p.archived_at IS NULL AND p.voided_at IS NULL ORDER BY 1 LIMIT 1",
            (small, first_unit)).fetchone()[0])
    # a screened officer transfers out of the target unit, and back
    person_moves.transfer(vs, mover, second_unit, (today - timedelta(days=1)).isoformat())
    assert _assert_exact(vs)[small][1] == listed[small][1] - 1
    person_moves.transfer(vs, mover, first_unit, today.isoformat())
    assert _assert_exact(vs)[small][1] == listed[small][1]
    # leaves service, and the leaving withdrawn
    person_moves.leave(vs, mover, today.isoformat(), next(iter(person_moves.LEAVE_REASONS)))
    assert _assert_exact(vs)[small][1] == listed[small][1] - 1
    person_moves.withdraw_leave(vs, mover)
    assert _assert_exact(vs)[small][1] == listed[small][1]
    # voided and restored; no longer an officer (raw writes: the triggers hold for any writer)
    for column, value in (("voided_at", vs.now_iso()), ("kind", "family")):
        with vs.transaction():
            before = vs.execute(f"SELECT {column} FROM person WHERE id = ?",
                                (mover,)).fetchone()[0]
            vs.execute(f"UPDATE person SET {column} = ? WHERE id = ?", (value, mover))
        assert _assert_exact(vs)[small][1] == listed[small][1] - 1
        with vs.transaction():
            vs.execute(f"UPDATE person SET {column} = ? WHERE id = ?", (before, mover))
        assert _assert_exact(vs)[small][1] == listed[small][1]
    # the window shortened to before every assessment, then its instruments widened
    with vs.transaction():
        vs.execute("UPDATE census SET ends_on = starts_on WHERE id = ?", (small,))
    narrow = _assert_exact(vs)[small][1]
    with vs.transaction():
        vs.execute("UPDATE census SET ends_on = ?, instruments = '[\"phq9\", \"gad7\"]' "
                   "WHERE id = ?", (window[1].isoformat(), small))
    assert narrow <= _assert_exact(vs)[small][1] <= listed[small][1]

    # closing freezes the kept figures and drops the kept rows; the other stays live
    totals = _assert_exact(vs)[small]
    frozen = census.close_census(vs, small)
    assert (frozen.target, frozen.completed) == totals
    listed = _assert_exact(vs)
    assert small not in listed and cid in listed
    with vs.reading():
        assert not vs.execute("SELECT 1 FROM census_take WHERE census_id = ? UNION ALL "
                              "SELECT 1 FROM census_done WHERE census_id = ?",
                              (small, small)).fetchall()
    assert census.get_census(vs, small).completed == totals[1]


def test_upgrade_fills_the_kept_progress_of_a_schema_21_vault(
        vs: VaultSession, state_dir: Path) -> None:
    """The demo vault taken back to schema 21 (migration 22's tables and triggers removed)
    and unlocked: the upgrade fills the kept progress as computed afresh, and its triggers
    then follow an assessment entered."""
    expected = _fresh(vs)
    assert expected[0] and expected[1]
    path, key = vs.path, vs.db.key
    vs.close()
    conn = open_connection(path, key)
    try:
        conn.execute("BEGIN IMMEDIATE")
        as_schema(conn, 21)
        conn.execute("COMMIT")
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name IN "
                                "('census_take', 'census_done')").fetchall()
        assert schema_version(conn) == 21
    finally:
        conn.close()
    again = lifecycle.unlock(path, demo.DEMO_USER, PASSPHRASE, clock=FixedClock(NOW),
                             state_dir=state_dir)
    try:
        with again.reading():
            assert schema_version(again.db.raw()) == CURRENT_VERSION
        assert _kept(again) == _fresh(again) == expected
        (cid,) = [r.id for r in census.list_censuses(again) if r.status == "open"]
        pid, missing = _not_screened(again, cid)
        before = _assert_exact(again)[cid][1]
        for code in missing:
            _record(again, pid, code, again.today())
        assert _assert_exact(again)[cid][1] == before + 1
    finally:
        again.close()


def test_follow_up_and_review_items_read_as_before(
        vs: VaultSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """The follow-up and tier review blocks (texts made once per template, reviews read
    in one query) give the items the former per-row construction gave: FollowUpRow.who,
    vocab labels and relative hints, PersonRows of ``tiers.review_due``."""
    today = vs.today()
    with vs.transaction():  # reviews falling due: overdue, today (two), later this week
        ids = [int(r[0]) for r in vs.execute(
            "SELECT t.id FROM tier_state t JOIN person p ON p.id = t.person_id "
            "WHERE p.archived_at IS NULL AND p.voided_at IS NULL AND t.review_due > ? "
            "ORDER BY t.tier, t.id LIMIT 4", ((today + timedelta(days=7)).isoformat(),))]
        for tid, offset in zip(ids, (-3, 0, 0, 1), strict=True):
            vs.execute("UPDATE tier_state SET review_due = ? WHERE id = ?",
                       ((today + timedelta(days=offset)).isoformat(), tid))
    due = session_reads.follow_ups(vs)
    expected = [(_("{name} · follow-up {hint} ({counselor})").format(
        name=f.who, hint=relative_hint(date.fromisoformat(f.due), today),
        counselor=f.counselor), f.person_id, f.due, level, f"session:{f.session_id}")
        for rows, level in ((due.overdue, "warning"), (due.today, "warning"),
                            (due.this_week, "info")) for f in rows]
    reviews = [(_("{name} · {tier} · review {hint}").format(
        name=p.name, tier=vocab.label(vocab.TIERS, p.tier),
        hint=relative_hint(date.fromisoformat(p.review_due or ""), today)), p.id,
        p.review_due, "warning" if (p.review_due or "") < today.isoformat() else "info",
        f"person:{p.id}") for p in tiers.review_due(vs)]
    with vs.transaction():  # more pending suggestions than the block lists, of each tier
        vs.execute("INSERT INTO tier_suggestion(person_id, tier, rule, evidence, status, "
                   "created_at) SELECT p.id, CASE p.id % 3 WHEN 0 THEN 'red' WHEN 1 THEN "
                   "'yellow' ELSE 'green' END, s.rule, s.evidence, 'pending', "
                   "printf('2026-11-%02d', 1 + p.id % 20) FROM person p, "
                   "(SELECT rule, evidence FROM tier_suggestion LIMIT 1) s "
                   "WHERE p.voided_at IS NULL ORDER BY p.id LIMIT 30")
    pending = tier_policy.pending(vs)
    suggestions = [(_("{name} · suggested {tier} · {rule}").format(
        name=r.person_name, tier=vocab.label(vocab.TIERS, r.tier), rule=r.rule_label),
        r.person_id, None, "urgent" if r.tier == "red" else "info",
        f"tier_suggestion:{r.id}") for r in pending[:20]]
    sections = {s.id: s for s in dashboard.gather(vs)}
    for ident, want in (("follow_ups", expected), ("tier_reviews", reviews),
                        ("tier_suggestions", suggestions)):
        got = [(i.text, i.person_id, i.due, i.level, i.ref) for i in sections[ident].items]
        assert got == want and len(want) >= 3, ident
    assert sections["tier_suggestions"].extra == {
        "pending": len(pending), "red": sum(r.tier == "red" for r in pending)}
    assert len(pending) > 20 and any(r.tier == "red" for r in pending)
    assert {f.kind for f in due.overdue + due.today + due.this_week if not f.badge_no}
    full = {ident: sections[ident].extra for ident in ("follow_ups", "tier_reviews")}
    assert full["follow_ups"] == {"overdue": len(due.overdue), "today": len(due.today),
                                  "this_week": len(due.this_week)}
    assert full["tier_reviews"]["due"] == len(reviews)

    # a counselor's block: the follow-ups they hold or of their unit, same lines and counts
    with vs.reading():
        uid, unit = vs.execute("SELECT id, unit_id FROM user WHERE role = 'counselor' "
                               "AND unit_id IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    mine = dataclasses.replace(vs, actor=dataclasses.replace(
        vs.actor, id=int(uid), role=Role.COUNSELOR, unit_id=int(unit)))
    held = session_reads.follow_ups(mine)
    block = next(s for s in dashboard.gather(mine) if s.id == "follow_ups")
    assert block.extra == {"overdue": len(held.overdue), "today": len(held.today),
                           "this_week": len(held.this_week)}
    assert [i.ref for i in block.items] == [
        f"session:{f.session_id}" for f in held.overdue + held.today + held.this_week]
    assert 0 < len(block.items) < len(expected)

    # a long block lists its first lines, then how many more; the counts cover them all
    monkeypatch.setattr(session_reads, "DASHBOARD_LINES", 2)
    monkeypatch.setattr(tiers, "DASHBOARD_LINES", 1)
    sections = {s.id: s for s in dashboard.gather(vs)}
    for ident, want, shown in (("follow_ups", expected, 2), ("tier_reviews", reviews, 1)):
        *lines, more = sections[ident].items
        assert [(i.text, i.person_id, i.due, i.level, i.ref) for i in lines] == want[:shown]
        assert str(len(want) - shown) in more.text and more.person_id is None
        assert (more.ref, more.level) == ("", "info")
        assert sections[ident].extra == full[ident]


def test_pending_suggestions_are_read_through_their_index(vs: VaultSession) -> None:
    """The tier suggestions block reads the pending suggestions through the partial index
    of migration 28, never every suggestion (41,004 at province size, 404 pending)."""
    seen: list[str] = []
    with vs.reading():
        conn: Any = vs.db.raw()
        conn.set_trace_callback(seen.append)
        try:
            tier_policy.dashboard_section(vs)
        finally:
            conn.set_trace_callback(None)
        plans = [str(r[3]) for sql in seen if "tier_suggestion" in sql
                 for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
    reads = [line for line in plans if line.startswith(("SCAN s", "SEARCH s"))]
    assert len(reads) == 2 and all("tier_suggestion_pending" in line for line in reads), plans


def test_not_screened_reads_officers_by_unit(vs: VaultSession,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every statement of the not-screened list (open and closed campaigns, whole and a
    page) reads the target units' officers through the unit index: never a scan of the
    persons or a walk of the name-order index (at province: every officer once per unit),
    and no statement per officer listed."""
    statements: list[tuple[str, tuple[Any, ...]]] = []
    real = vs.execute

    def spy(sql: str, params: tuple[Any, ...] = ()) -> Any:
        statements.append((sql, params))
        return real(sql, params)

    with vs.reading():
        campaigns = [(int(r.id), str(r.status)) for r in Census.select()]
    assert {status for _c, status in campaigns} == {"open", "closed"}
    monkeypatch.setattr(vs, "execute", spy)
    for cid, _status in campaigns:
        for limit in (None, 2):
            statements.clear()
            listed = census.not_screened(vs, cid, limit=limit)
            assert len(statements) <= 2 + 40, "a statement per unit at most, never per officer"
            assert len(statements) < len(listed) or len(listed) <= 2
            for sql, params in statements:
                with vs.reading():
                    plan = [str(r[3]) for r in real(f"EXPLAIN QUERY PLAN {sql}", params)]
                assert not any(line.startswith("SCAN p") or "name_sort" in line
                               for line in plan), plan

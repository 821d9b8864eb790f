"""The early-warning list through the kept rising scores (db migration 30, issue 18): after
any mix of assessments recorded, voided, restored, changed and deleted, tiers and review
dates set and officers archived, ``score_rise`` equals its definition and
:func:`counselor_tui.services.analysis.early_warnings` gives, for a coordinator and for
counselors, the same list as the former path (every assessment numbered by a window
function, every visible person loaded, the rule applied in Python), whole and by pages; the
upgrade of a vault of the former schema fills the kept rows; no statement of the list scans
the assessments or the persons."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselor_tui.domain import analysis as rules
from counselor_tui.domain import instruments as engine
from counselor_tui.services import analysis, lifecycle, person_moves, tier_policy
from counselor_tui.services.access import visibility_sql
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from db.migrations import CURRENT_VERSION, MIGRATIONS, m0030_score_rise, schema_version
from tests.conftest import TZ
from tests.helpers import vault_as_schema
from tests.integration.archive_world import World, officer

pytestmark = pytest.mark.world("archive")

INSTRUMENTS = ("phq9", "gad7", "scl90", "pss10")
USERS = ("coord", "li", "wang")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def _rows(vs: VaultSession, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with vs.reading():
        return [tuple(r) for r in vs.execute(sql, params)]


def _former(vs: VaultSession) -> list[analysis.EarlyWarning]:
    """The list as the former path computed it (before migration 30), kept here verbatim
    as the reference: every assessment numbered, every visible person loaded."""
    ew = tier_policy.policy(vs).early_warning
    today = vs.today()
    cond, params = visibility_sql(vs)
    with vs.reading():
        pairs: dict[tuple[int, str], list[Any]] = defaultdict(list)
        for r in vs.execute(
                "SELECT x.person_id, x.instrument_code, x.administered_on, x.total, x.band, "
                "x.positive FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.person_id, "
                "a.instrument_code ORDER BY a.administered_on DESC, a.id DESC) AS rn "
                "FROM assessment a WHERE a.voided_at IS NULL AND a.complete = 1) x "
                "JOIN person p ON p.id = x.person_id "
                f"WHERE x.rn <= 2 AND p.voided_at IS NULL AND p.archived_at IS NULL AND {cond} "
                "ORDER BY x.person_id, x.instrument_code, x.rn DESC", tuple(params)):
            pairs[(int(r[0]), str(r[1]))].append(r)
        info = {int(r[0]): r for r in vs.execute(
            "SELECT p.id, p.name, p.badge_no, u.name, t.tier, t.review_due FROM person p "
            "LEFT JOIN unit u ON u.id = p.unit_id LEFT JOIN tier_state t ON t.person_id = p.id "
            f"WHERE p.voided_at IS NULL AND p.archived_at IS NULL AND {cond}", tuple(params))}
    out: list[analysis.EarlyWarning] = []
    for (pid, code), rows in sorted(pairs.items()):
        if len(rows) < 2 or pid not in info:
            continue
        before, after = (rules.ScorePoint(date.fromisoformat(str(r[2])), r[3], r[4],
                                          None if r[5] is None else bool(r[5])) for r in rows)
        bands = [b.code for b in engine.builtin(code).bands]
        reasons = rules.score_warnings(ew, code, bands, before, after)
        if reasons:
            p = info[pid]
            out.append(analysis.EarlyWarning(
                pid, str(p[1]), p[2], p[3], p[4], p[5], code, before.total, after.total,
                after.on.isoformat(), reasons, tuple(rules.reason_label(x, ew) for x in reasons)))
    for pid, p in sorted(info.items()):
        due = date.fromisoformat(str(p[5])) if p[5] else None
        if rules.review_overdue(ew, p[4], due, today):
            out.append(analysis.EarlyWarning(pid, str(p[1]), p[2], p[3], p[4], p[5], None, None,
                                             None, None, ("review_overdue",),
                                             (rules.reason_label("review_overdue", ew),)))
    order = {"red": 0, "yellow": 1, "green": 2}
    out.sort(key=lambda w: (w.reasons == ("review_overdue",), order.get(w.tier or "", 3),
                            w.name))
    return out


def _plain_kept(vs: VaultSession) -> set[tuple[Any, ...]]:
    """``score_rise`` by its definition, from the stored assessments."""
    by_pair: dict[tuple[int, str], list[tuple[Any, ...]]] = defaultdict(list)
    for r in _rows(vs, "SELECT person_id, instrument_code, administered_on, id, total, band, "
                       "positive FROM assessment WHERE voided_at IS NULL AND complete = 1"):
        by_pair[(int(r[0]), str(r[1]))].append(r)
    out = set()
    for (pid, code), rows in by_pair.items():
        if len(rows) < 2:
            continue
        latest, previous = sorted(rows, key=lambda r: (r[2], r[3]), reverse=True)[:2]
        if previous[4] is None or latest[4] is None:
            continue
        if (latest[4] > previous[4] or latest[5] != previous[5]
                or (previous[6] == 0 and latest[6] == 1)):
            out.add((pid, code, latest[3], latest[2], latest[4], latest[5], latest[6],
                     previous[4], previous[5], previous[6]))
    return out


def _record(vs: VaultSession, person: int, code: str, day: date, total: float | None,
            band: str | None, positive: bool | None, complete: bool = True) -> int:
    """An assessment row as stored SQL would write it (the kept rows follow any write)."""
    now = vs.now().isoformat()
    with vs.transaction():
        return int(vs.execute(
            "INSERT INTO assessment(created_at, created_by_id, updated_at, updated_by_id, "
            "person_id, instrument_code, instrument_version, administered_on, responses, "
            "total, subscales, band, flags, positive, complete, source) "
            "VALUES (?, ?, ?, ?, ?, ?, '1', ?, '[]', ?, '{}', ?, '[]', ?, ?, 'manual')",
            (now, vs.actor.id, now, vs.actor.id, person, code, day.isoformat(), total, band,
             None if positive is None else int(positive), int(complete))).lastrowid)


def _bands_of(code: str) -> list[str]:
    return [b.code for b in engine.builtin(code).bands]


#: One change: (kind, person index, instrument index, day, total, band pick, positive, pick).
Step = tuple[str, int, int, int, int, int, int, int]
STEPS = st.lists(st.tuples(
    st.sampled_from(("add", "add", "add", "add", "void", "unvoid", "retotal", "redate",
                     "incomplete", "reperson", "recode", "delete", "tier", "leave")),
    st.integers(0, 4), st.integers(0, 3), st.integers(0, 6), st.integers(0, 30),
    st.integers(0, 6), st.integers(0, 2), st.integers(0, 50)), min_size=1, max_size=6)


def _apply(world: World, people: list[int], step: Step) -> None:
    kind, p, i, day, total, band, positive, pick = step
    coord = world.login("coord")
    code = INSTRUMENTS[i]
    bands = _bands_of(code)
    on = date(2026, 11, 1) + timedelta(days=day)
    if kind == "add":
        _record(world.login(("li", "wang", "coord")[pick % 3]), people[p], code, on,
                None if total == 30 else float(total),
                bands[band] if band < len(bands) else (None if band == 6 else "unknown"),
                (False, True, None)[positive])
        return
    ids = [int(r[0]) for r in _rows(coord, "SELECT id FROM assessment ORDER BY id")]
    target = ids[pick % len(ids)] if ids else None
    try:
        if kind == "tier":
            due = (coord.today() + timedelta(days=day - 3)).isoformat()
            now = coord.now().isoformat()
            with coord.transaction():
                coord.execute(
                    "INSERT INTO tier_state(created_at, created_by_id, updated_at, "
                    "updated_by_id, person_id, tier, since, review_due) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(person_id) DO UPDATE "
                    "SET tier = excluded.tier, review_due = excluded.review_due",
                    (now, coord.actor.id, now, coord.actor.id, people[p],
                     ("red", "yellow", "green")[positive], "2026-11-01",
                     None if band == 6 else due))
        elif kind == "leave":
            person_moves.leave(coord, people[4], coord.today().isoformat(), "retired")
        elif target is not None:
            sql = {"void": "UPDATE assessment SET voided_at = '2026-11-25T09:00:00' "
                           "WHERE id = ?",
                   "unvoid": "UPDATE assessment SET voided_at = NULL WHERE id = ?",
                   "retotal": f"UPDATE assessment SET total = {total} WHERE id = ?",
                   "redate": f"UPDATE assessment SET administered_on = '{on.isoformat()}' "
                             "WHERE id = ?",
                   "incomplete": "UPDATE assessment SET complete = 1 - complete WHERE id = ?",
                   "reperson": f"UPDATE assessment SET person_id = {people[p]} WHERE id = ?",
                   "recode": f"UPDATE assessment SET instrument_code = '{code}' WHERE id = ?",
                   "delete": "DELETE FROM assessment WHERE id = ?"}[kind]
            with coord.transaction():
                coord.execute(sql, (target,))
    except (Conflict, InvalidInput, NotFound):
        pass  # a step the services refuse changes nothing


def _check(world: World) -> set[str]:
    """Assert the property; returns the reasons on the coordinator's list."""
    coord = world.login("coord")
    assert set(_rows(coord, "SELECT * FROM score_rise")) == _plain_kept(coord)
    for name in USERS:
        vs = world.login(name)
        whole = analysis.early_warnings(vs)
        assert whole == _former(vs), name
        assert analysis.early_warning_count(vs) == len(whole), name
        assert analysis.warning_page(vs) == (whole, len(whole)), name
        for size in (0, 1, 3):
            assert analysis.warning_page(vs, size) == (whole[:size], len(whole)), (name, size)
    return {r for w in analysis.early_warnings(coord) for r in w.reasons}


def test_the_list_equals_the_former_path_after_any_change(world: World) -> None:
    """Hypothesis drives sequences of changes on one world (each example goes on from the
    last); after every step the kept rows equal their definition and each actor's list,
    whole and by pages, equals the former path's."""
    people = [officer(world, "张三", "330001"), officer(world, "李四", "330002"),
              officer(world, "王五", "330003", unit=world.unit2, police_type="交警"),
              officer(world, "赵六", "330004", unit=world.unit2, police_type="交警"),
              officer(world, "孙七", "330005")]
    coord = world.login("coord")
    for n, person in enumerate(people):  # every person starts with two phq9 totals
        _record(coord, person, "phq9", date(2026, 10, 1), 3.0, "minimal", False)
        _record(coord, person, "phq9", date(2026, 10, 2 + n), 3.0 + 4 * n,
                _bands_of("phq9")[min(n, 4)], n > 1)
    _record(coord, people[0], "scl90", date(2026, 10, 1), 100.0, None, False)
    _record(coord, people[0], "scl90", date(2026, 10, 9), 190.0, None, True)
    _record(coord, people[2], "gad7", date(2026, 10, 1), 6.0, "mild", False)
    _record(coord, people[2], "gad7", date(2026, 10, 9), 11.0, "mild", False)  # +5 exactly
    _apply(world, people, ("tier", 1, 0, 0, 0, 0, 0, 0))  # red, review three days ago
    seen: set[str] = set()

    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(STEPS)
    def run(steps: list[Step]) -> None:
        for step in steps:
            _apply(world, people, step)
            seen.update(_check(world))

    run()
    assert seen == set(rules.REASONS), "the examples should reach every reason"
    with pytest.raises(PermissionDenied):
        analysis.early_warning_count(world.login("audit"))


def test_upgrade_fills_the_kept_rows_of_a_vault_of_the_former_schema(world: World) -> None:
    """A vault with assessments (rising, falling, voided, incomplete), taken back to the
    schema before migration 30 and unlocked: the upgrade fills ``score_rise`` as its
    definition says, the list is the former path's, and the triggers follow a new one."""
    zhang, li_si = officer(world, "张三", "330001"), officer(world, "李四", "330002")
    coord = world.login("coord")
    _record(coord, zhang, "phq9", date(2026, 10, 1), 4.0, "minimal", False)
    _record(coord, zhang, "phq9", date(2026, 11, 1), 12.0, "moderate", True)
    _record(coord, li_si, "gad7", date(2026, 10, 1), 12.0, "moderate", True)
    _record(coord, li_si, "gad7", date(2026, 11, 1), 11.0, "moderate", True)
    voided = _record(coord, li_si, "phq9", date(2026, 10, 1), 1.0, "minimal", False)
    _record(coord, li_si, "phq9", date(2026, 11, 2), 20.0, "severe", True)
    _record(coord, li_si, "phq9", date(2026, 11, 3), 25.0, "severe", True, complete=False)
    _record(coord, li_si, "phq9", date(2026, 9, 3), 2.0, "minimal", False)
    with coord.transaction():
        coord.execute("UPDATE assessment SET voided_at = '2026-11-25T09:00:00' WHERE id = ?",
                      (voided,))
    expected = _plain_kept(coord)
    assert {(r[0], r[1]) for r in expected} == {(zhang, "phq9"), (li_si, "phq9")}
    key = world.admin.db.key
    world.close()
    world.admin.close()  # the upgrade needs the vault alone
    before = next(m.version for m in MIGRATIONS if m.up is m0030_score_rise.up) - 1
    assert "score_rise" not in vault_as_schema(world.path, key, before)
    again = lifecycle.unlock(world.path, "coord", "purple elephant typing quietly",
                             clock=world.clock, state_dir=world.state_dir)
    try:
        with again.reading():
            assert schema_version(again.db.raw()) == CURRENT_VERSION
        assert set(_rows(again, "SELECT * FROM score_rise")) == expected
        assert _rows(again, "SELECT 1 FROM sqlite_master WHERE name = "
                            "'tier_state_person_tier'") == [(1,)]  # migration 31
        assert analysis.early_warnings(again) == _former(again)
        assert [w.person_id for w in analysis.early_warnings(again)] == [zhang, li_si]  # by name
        _record(again, zhang, "phq9", date(2026, 11, 20), 5.0, "mild", False)
        assert set(_rows(again, "SELECT * FROM score_rise")) == _plain_kept(again)
        assert [w.person_id for w in analysis.early_warnings(again)] == [li_si]
    finally:
        again.close()


#: A plan line that reads a whole table: ``SCAN <table or alias>`` (``SCAN s`` of the kept
#: rows is their point).
_SCAN = re.compile(r"^SCAN (\w+)")


def test_no_statement_of_the_list_scans_the_assessments_or_the_persons(
        world: World) -> None:
    """``EXPLAIN QUERY PLAN`` of every statement of the list and its count, for the
    coordinator and a counselor: the assessments are not read at all, the persons only by
    id (never ``SCAN person``)."""
    officer(world, "张三", "330001")
    for name in ("coord", "li"):
        vs = world.login(name)
        ew = tier_policy.policy(vs).early_warning
        scores, overdue, params = analysis._warning_sql(vs, ew, vs.today())
        for sql, args in ((scores, params[0]), (overdue, params[1])):
            for select in (f"SELECT p.name {sql} ORDER BY p.name LIMIT 5",
                           f"SELECT count(*) {sql}"):
                plan = [str(r[3]) for r in _rows(vs, f"EXPLAIN QUERY PLAN {select}",
                                                 tuple(args))]
                assert not any("assessment" in line for line in plan), plan
                assert not any(line.startswith("SEARCH t USING INDEX tier_state_person_id")
                               for line in plan), plan  # the covering index of migration 31
                for line in plan:
                    found = _SCAN.match(line)
                    if found:
                        assert found.group(1) == "s", (name, select, plan)


def test_the_analysis_screen_reads_a_page_and_the_lists_length(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen's loader asks for the first page and the count, not every line; roles
    that see no persons get ``None``."""
    from types import SimpleNamespace

    from counselor_tui.ui.screens import analysis as screen

    coord = world.login("coord")
    for n, badge in enumerate(("330001", "330002", "330003")):
        person = officer(world, "张三", badge)
        _record(coord, person, "phq9", date(2026, 10, 1), 1.0, "minimal", False)
        _record(coord, person, "phq9", date(2026, 10, 9), 10.0 + n, "moderate", True)
    whole = analysis.early_warnings(coord)
    assert len(whole) == 3
    monkeypatch.setattr(screen, "WARNINGS_PAGE", 2)
    assert screen.load_warnings(SimpleNamespace(vs=coord)) == (whole[:2], 3)  # type: ignore[arg-type]
    assert screen.load_warnings(SimpleNamespace(vs=world.login("audit"))) is None  # type: ignore[arg-type]

"""Sorted archive pages served by indexes (issue 18): query plans without a sorting step for
every sort, direction and filter combination; keyset pages equal offset pages; the kept sort
keys follow unit renames, moves and tier changes."""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.services import persons
from counselor_tui.services.context import VaultSession
from counselor_tui.services.name_sort import fill_name_sort
from counselor_tui.services.person_search import page_queries
from counselor_tui.services.persons import ArchiveQuery, PersonDraft
from db.connection import open_connection
from db.migrations import migrate
from db.models import TierState, Unit
from tests.integration.archive_world import World, officer

pytestmark = pytest.mark.world("archive")


def _plan(vs: VaultSession, sql: str, params: list[Any]) -> list[str]:
    with vs.reading():
        return [str(r[-1]) for r in vs.execute(f"EXPLAIN QUERY PLAN {sql}",
                                               (*params, 100, 0))]


def _filters(world: World) -> list[dict[str, Any]]:
    """Every combination of the archive's filters (unit, police type, tier, kind, archived)."""
    choices = {"unit_id": (None, world.unit1), "police_type": (None, "交警"),
               "tier": (None, "red"), "kind": (None, "officer"),
               "include_archived": (False, True)}
    return [dict(zip(choices, combo, strict=True))
            for combo in itertools.product(*choices.values())]


def test_no_sorting_step_for_any_sort_direction_or_filter(world: World) -> None:
    """EXPLAIN QUERY PLAN of every page query (first page, within the keyed rows, within
    the rows missing the key) has no TEMP B-TREE, for a coordinator and a counselor."""
    officer(world, "张三", "330001")
    checked = 0
    for vs in (world.login("coord"), world.login("li")):
        for sort, descending, filters in itertools.product(
                persons.SORTS, (False, True), _filters(world)):
            q = ArchiveQuery(sort=sort, descending=descending, **filters)
            for after in (None, (0, "x", "a", 1), (1, None, "a", 1)):
                for _segment, sql, params in page_queries(vs, q, after):
                    plan = _plan(vs, sql, params)
                    assert not any("TEMP B-TREE" in step for step in plan), (q, after, plan)
                    checked += 1
    assert checked > 2 * 6 * 2 * 32 * 2


def _people(world: World) -> None:
    """Twenty persons: keys present and missing for every sort, ties on the key."""
    vs = world.office
    for i in range(16):
        pid = officer(world, f"测试{i % 7:02d}", f"55{i:04d}",
                      world.unit2 if i % 3 == 0 else world.unit1)
        if i % 4:
            now = vs.now_iso()
            with vs.transaction():
                TierState.create(person=pid, tier=("green", "yellow", "red")[i % 3],
                                 since="2026-01-01",
                                 review_due=f"2026-12-{1 + i % 4:02d}" if i % 2 else None,
                                 created_at=now, created_by=vs.actor.id, updated_at=now,
                                 updated_by=vs.actor.id)
    for name in ("家属甲", "家属乙", "家属丙", "家属丁"):
        persons.create_person(vs, PersonDraft(kind="family", name=name))


def test_keyset_pages_equal_offset_pages(world: World) -> None:
    """Reading on from the last row of each page (keyset) gives exactly the list read by
    offsets, for every sort in both directions, through both segments."""
    _people(world)
    vs = world.office
    for sort, descending in itertools.product(persons.SORTS, (False, True)):
        q = ArchiveQuery(sort=sort, descending=descending)
        total = persons.count_persons(vs, q)
        by_offset = [r.id for off in range(0, total, 3)
                     for r in persons.list_persons(vs, q, off, 3)]
        by_key: list[int] = []
        after = None
        while True:
            page = persons.list_persons(vs, q, 0, 3, after=after)
            if not page:
                break
            by_key += [r.id for r in page]
            after = page[-1].page_key
        whole = [r.id for r in persons.list_persons(vs, q, 0, 500)]
        assert by_offset == by_key == whole, (sort, descending)
        assert len(whole) == total == 20


def test_sort_keys_follow_renames_moves_and_tier_changes(world: World) -> None:
    """The kept sort keys (migration 13) change with what they copy: a unit renamed, a
    person moved to another unit, a tier changed and removed."""
    vs = world.office
    first = officer(world, "甲", "110001", world.unit1)
    second = officer(world, "乙", "110002", world.unit2)

    def order(sort: str, **kw: Any) -> list[int]:
        return [r.id for r in persons.list_persons(vs, ArchiveQuery(sort=sort, **kw), 0, 50)]

    assert order("unit") == [second, first]  # 城关派出所 > 交警大队 in code point order
    with vs.transaction():
        Unit.update(name="A所").where(Unit.id == world.unit1).execute()
    assert order("unit") == [first, second]
    persons.update_person(vs, second, PersonDraft(kind="officer", name="乙", badge_no="110002",
                                                  unit_id=world.unit1, police_type="派出所"))
    assert [r.unit_name for r in persons.list_persons(vs, ArchiveQuery(sort="unit"), 0, 9)] \
        == ["A所", "A所"]
    now = vs.now_iso()
    with vs.transaction():
        TierState.create(person=first, tier="yellow", since="2026-01-01",
                         review_due="2026-12-20", created_at=now, created_by=vs.actor.id,
                         updated_at=now, updated_by=vs.actor.id)
    assert order("tier", tier="yellow") == [first]
    with vs.transaction():
        TierState.update(tier="red", review_due="2026-12-03").where(
            TierState.person == first).execute()
    assert order("tier", tier="yellow") == []
    assert order("review_due")[0] == first
    assert order("tier", tier="red") == [first]
    with vs.transaction():
        TierState.delete().where(TierState.person == first).execute()
    assert order("tier", tier="red") == []
    assert order("review_due", descending=True) == order("name", descending=True)


def test_migration_13_fills_the_sort_keys_of_an_existing_vault(tmp_path: Path) -> None:
    """A vault of schema 12 with a unit, a tiered officer and a family member: the upgrade
    fills each person's unit name, tier rank and review date from what is stored."""
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, "2026-11-01T09:00:00+08:00", target=12)[-1] == 12
        conn.execute("PRAGMA foreign_keys = OFF")  # no accounts needed for this check
        who = "'x', 1, 'x', 1"
        conn.execute(f"INSERT INTO unit(id, created_at, created_by_id, updated_at, "
                     f"updated_by_id, code, name, police_type, active) VALUES "
                     f"(1, {who}, 'U1', '城关派出所', '派出所', 1)")
        for pid, kind, unit in ((1, "officer", 1), (2, "family", None)):
            conn.execute(f"INSERT INTO person(id, created_at, created_by_id, updated_at, "
                         f"updated_by_id, kind, name, name_pinyin, name_initials, post, "
                         f"unit_id) VALUES (?, {who}, ?, '张三', 'zhangsan', 'zs', '', ?)",
                         (pid, kind, unit))
        conn.execute(f"INSERT INTO tier_state(person_id, tier, since, review_due, created_at, "
                     f"created_by_id, updated_at, updated_by_id) VALUES "
                     f"(1, 'red', '2026-10-01', '2026-10-08', {who})")
        assert migrate(conn, "2026-12-01T09:00:00+08:00")[0] == 13
        rows = conn.execute("SELECT id, sort_unit, sort_tier, sort_review FROM person "
                            "ORDER BY id").fetchall()
        assert [tuple(r) for r in rows] == [(1, "城关派出所", 2, "2026-10-08"),
                                            (2, None, None, None)]
    finally:
        conn.close()


def test_names_sort_by_pinyin_syllable(world: World) -> None:
    """Issue 16 item 5: every 陈 (chen) before every 程 (cheng), whatever the given name, in
    both directions; a name that begins another comes first (陈立 before 陈立明)."""
    for i, name in enumerate(("程安", "陈子", "程波", "陈立明", "陈立")):
        officer(world, name, f"66{i:04d}")

    def names(**kw: Any) -> list[str]:
        return [r.name for r in persons.list_persons(
            world.office, ArchiveQuery(sort="name", **kw), 0, 50)]

    assert names() == ["陈立", "陈立明", "陈子", "程安", "程波"]
    assert names(descending=True) == ["程波", "程安", "陈子", "陈立明", "陈立"]
    assert names(text="ch") == names()  # a pinyin search keeps the syllable order


def test_migration_17_gives_an_existing_vault_name_sort_keys(tmp_path: Path) -> None:
    """A vault of schema 16 whose persons have only the old keys: the upgrade's last step
    (the same one unlocking runs) computes every person's key, and the order follows."""
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, "2026-11-01T09:00:00+08:00", target=16)[-1] == 16
        conn.execute("PRAGMA foreign_keys = OFF")  # no accounts needed for this check
        who = "'x', 1, 'x', 1"
        for pid, name, pinyin in ((1, "程安", "chengan"), (2, "陈子", "chenzi"),
                                  (3, "陈立", "chenli")):
            conn.execute(f"INSERT INTO person(id, created_at, created_by_id, updated_at, "
                         f"updated_by_id, kind, name, name_pinyin, name_initials, post) "
                         f"VALUES (?, {who}, 'officer', ?, ?, '', '')", (pid, name, pinyin))
        assert migrate(conn, "2026-12-01T09:00:00+08:00",
                       then=lambda c: fill_name_sort(c.execute))[0] == 17
        rows = conn.execute("SELECT name FROM person ORDER BY name_sort").fetchall()
        assert [r[0] for r in rows] == ["陈立", "陈子", "程安"]
        assert fill_name_sort(conn.execute) == 0  # nothing left to fill
    finally:
        conn.close()


def test_migration_21_groups_each_surname_character(tmp_path: Path) -> None:
    """张 and 章 (both zhāng) no longer interleave by given name: the upgrade recomputes every
    stored key (of the old form) so that each surname character is one group, a compound
    surname (欧阳) one surname; a de-identified person's empty key stays empty."""
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, "2026-11-01T09:00:00+08:00", target=20)[-1] == 20
        conn.execute("PRAGMA foreign_keys = OFF")  # no accounts needed for this check
        who = "'x', 1, 'x', 1"
        old = {"张成": "zhang cheng\x1f12", "章北": "zhang bei\x1f13", "张安": "zhang an\x1f11",
               "欧阳修": "ou yang xiu\x1f121", "区安": "ou an\x1f11", "已去标识": ""}
        for pid, (name, key) in enumerate(old.items(), start=1):
            conn.execute(f"INSERT INTO person(id, created_at, created_by_id, updated_at, "
                         f"updated_by_id, kind, name, name_pinyin, name_initials, post, "
                         f"name_sort) VALUES (?, {who}, 'officer', ?, '', '', '', ?)",
                         (pid, name, key and f"{key}\x1f{name}"))
        assert migrate(conn, "2026-12-01T09:00:00+08:00",
                       then=lambda c: fill_name_sort(c.execute))[:1] == [21]
        rows = conn.execute("SELECT name FROM person WHERE name_sort <> '' "
                            "ORDER BY name_sort").fetchall()
        assert [r[0] for r in rows] == ["区安", "欧阳修", "张安", "张成", "章北"]
        assert conn.execute("SELECT name_sort FROM person WHERE id = 6").fetchone() == ("",)
    finally:
        conn.close()

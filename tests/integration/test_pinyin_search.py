"""Search through ``person_search_key`` (pinyin, migration 24) and ``person_name_key``
(Chinese characters, migration 26; issue 18): the same persons in the same order as the
search they replaced, query plans that read only the key's rows, the keys kept by triggers
and by the demo's bulk build, and the upgrade of a schema-21 vault."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from counselor_tui import demo
from counselor_tui.domain.pinyin import name_keys
from counselor_tui.domain.text import MIDDLE_DOTS, without_middle_dots
from counselor_tui.services import lifecycle, person_moves, persons
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.person_search import clean_text, page_queries
from counselor_tui.services.persons import ArchiveQuery, PersonDraft
from db.connection import open_connection
from db.migrations import m0024_person_search_key as search_keys
from db.migrations import m0026_person_name_key as name_grams
from db.migrations import m0027_person_badge_key as badge_keys
from db.migrations import migrate
from tests.conftest import PASSPHRASE, TZ

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=TZ)
_TOP = "\U0010ffff"

#: initials, full syllables, mixed, longer than a key, upper case and spaces, Chinese,
#: one and two letters, a badge number, nothing found
QUERIES = ("zs", "zxl", "wj", "lm", "zhang", "wang", "li", "chen", "zhangw", "wangx", "liu y",
           "Zhang", "ouyangxiuming", "ouyangxiu", "oyxm", "annamaria", "anna", "z", "zh", "l",
           "w", "x", "张", "王伟", "李", "0", "qqqq", "ouyangxiumingx", "张小龙", "小龙",
           "阿依古丽买买提", "古丽买", "丽·买", "古丽•买买", "张An", "张 小", "欧阳", "阳修明",
           "作废", "已去", "龙x", "9", "99", "990", "9900", "990001", "9900011", "99000123456",
           "1", "a1", "9 9", "99-")


_UNDOTTED = "name"
for _dot in MIDDLE_DOTS:
    _UNDOTTED = f"replace({_UNDOTTED}, '{_dot}', '')"


def former_condition(text: str) -> tuple[str, list[Any]]:
    """The archive's search condition before migrations 24 and 26 (Latin letters: the first
    letter's range of ``name_pinyin``, then the pinyin or initials prefix; a Han character:
    ``instr`` over every name, middle dots ignored)."""
    t = clean_text(text)
    compact = t.replace(" ", "")
    if any("\u4e00" <= ch <= "\u9fff" for ch in t):
        needle = without_middle_dots(compact)
        return (f"p.id IN (SELECT id FROM person WHERE instr(name, ?) > 0 OR "
                f"(name GLOB '*[{MIDDLE_DOTS}]*' AND instr({_UNDOTTED}, ?) > 0))",
                [needle, needle])
    if t and compact.isascii() and compact.isalpha():
        low = compact.lower()
        return ("(p.name_pinyin >= ? AND p.name_pinyin < ? AND ((p.name_pinyin >= ? AND "
                "p.name_pinyin < ?) OR (p.name_initials >= ? AND p.name_initials < ?)))",
                [low[0], low[0] + _TOP, low, low + _TOP, low, low + _TOP])
    badge = compact.upper()  # a badge number: the range of its prefix
    return "(p.badge_no >= ? AND p.badge_no < ?)", [badge, badge + _TOP]


def former_list(vs: VaultSession, q: ArchiveQuery) -> list[int]:
    """Every id the former search listed for ``q`` (name order, no other filter than the
    archived one; the actor sees everyone)."""
    cond, params = former_condition(q.text)
    live = "" if q.include_archived else "AND p.archived_at IS NULL "
    kind = "AND p.kind = ? " if q.kind else ""
    unit = "AND p.unit_id = ? " if q.unit_id is not None else ""
    d = "DESC" if q.descending else "ASC"
    with vs.reading():
        return [int(r[0]) for r in vs.execute(
            f"SELECT p.id FROM person p WHERE p.voided_at IS NULL {live}{kind}{unit}AND {cond} "
            f"ORDER BY p.name_sort {d}, p.id {d}", (*([q.kind] if q.kind else []),
                                                  *([q.unit_id] if unit else []), *params))]


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultSession]:
    """The tiny demo (seed 7) plus names the demo lacks: a compound surname longer than a key,
    a Latin name, a former officer, a voided person."""
    folder = tmp_path_factory.mktemp("pinyin")
    clock = FixedClock(NOW)
    built = demo.build_demo(folder / "demo" / "vault.db", "tiny", 7, PASSPHRASE, clock,
                            kdf_seconds=0, state_dir=folder / "state")
    vs = lifecycle.unlock(built.path, demo.DEMO_USER, PASSPHRASE, clock=clock,
                          state_dir=folder / "state")
    unit = persons.units(vs)[0].id
    made = {}
    for name, badge in (("欧阳修明", "990001"), ("Anna Maria", "990002"), ("欧阳秀", "990003"),
                        ("张小龙", "990004"), ("张晓丽", "990005"), ("作废人", "990006"),
                        ("阿依古丽·买买提", "990007"), ("张Anna", "990008")):
        made[name] = persons.create_person(vs, PersonDraft(
            kind="officer", name=name, badge_no=badge, gender="female",
            birth_date="1980-01-02", unit_id=unit, police_type="派出所", post="民警"))
    person_moves.leave(vs, made["张晓丽"], "2026-10-01", "retired", "")
    with vs.transaction():
        vs.execute("UPDATE person SET voided_at = ?, void_reason = 'test' WHERE id = ?",
                   (NOW.isoformat(), made["作废人"]))
    yield vs
    vs.close()


def _pages(vs: VaultSession, q: ArchiveQuery, size: int) -> list[int]:
    """Every id of ``q``'s list, read page by page after the previous page's last row."""
    ids: list[int] = []
    after = None
    while True:
        page = persons.list_persons(vs, q, 0, size, after=after)
        ids += [r.id for r in page]
        if len(page) < size:
            return ids
        after = page[-1].page_key


@pytest.mark.parametrize("text", QUERIES)
def test_search_lists_and_counts_what_the_former_search_did(vault: VaultSession,
                                                            text: str) -> None:
    for include_archived in (False, True):
        for descending in (False, True):
            q = ArchiveQuery(text=text, include_archived=include_archived,
                             descending=descending)
            expected = former_list(vault, q)
            assert persons.count_persons(vault, q) == len(expected)
            assert [r.id for r in persons.list_persons(vault, q, 0, 500)] == expected
            assert _pages(vault, q, 3) == expected
            assert [r.id for r in persons.list_persons(vault, q, 2, 4)] == expected[2:6]
    family = ArchiveQuery(text=text, kind="family")
    assert [r.id for r in persons.list_persons(vault, family, 0, 500)] == former_list(
        vault, family)
    assert persons.count_persons(vault, family) == len(former_list(vault, family))
    by_unit = ArchiveQuery(text=text, sort="unit")
    assert sorted(r.id for r in persons.list_persons(vault, by_unit, 0, 500)) == sorted(
        former_list(vault, by_unit))
    for unit in persons.units(vault)[:2]:
        one = ArchiveQuery(text=text, unit_id=unit.id, include_archived=True)
        assert [r.id for r in persons.list_persons(vault, one, 0, 500)] == former_list(
            vault, one)
        assert persons.count_persons(vault, one) == len(former_list(vault, one))
    picked = [r.id for r in persons.find_persons(vault, text, limit=200)]
    assert picked == former_list(vault, ArchiveQuery(text=text))[:200]


def test_the_queries_find_what_they_should(vault: VaultSession) -> None:
    """The comparison above is not vacuous: each kind of query finds someone."""
    def names(text: str, **kw: Any) -> list[str]:
        return [r.name for r in persons.list_persons(vault, ArchiveQuery(text=text, **kw), 0,
                                                     500)]

    assert "张小龙" in names("zxl") and "张小龙" in names("zhangxiaolong")
    assert names("ouyangxiuming") == ["欧阳修明"]  # 13 letters: the key's 8, then the rest
    assert names("ouyangxiu") == ["欧阳秀", "欧阳修明"]  # xiu before xiu ming
    assert names("oyxm") == ["欧阳修明"] and names("annam") == ["Anna Maria"]
    assert "张晓丽" not in names("zxl") and "张晓丽" in names("zxl", include_archived=True)
    assert names("zfr") == [] and names("zuofei") == [] and names("作废") == []  # voided
    for text in ("古丽买", "丽·买", "阿依古丽买买提", "古丽•买买"):
        assert names(text) == ["阿依古丽·买买提"], text
    assert names("张An") == ["张Anna"] and "张小龙" in names("小龙")
    assert len(names("z")) > 5 and names("qqqq") == []


def test_a_pinyin_query_reads_only_its_key(vault: VaultSession) -> None:
    """The query plans of a 3+ letter search: the key's rows of ``person_search_key`` in name
    order — no index walked by first letter, no scan, no sorting step — and a count of the
    key's rows alone (the former plan read every ``z`` name and sorted them)."""
    with vault.reading():
        for text in ("zha", "zhang", "zxl", "ouyangxiuming", "张", "张小", "张小龙", "古丽·买",
                     "9", "990", "99000123456"):
            for q in (ArchiveQuery(text=text), ArchiveQuery(text=text, descending=True),
                      ArchiveQuery(text=text, include_archived=True)):
                for _segment, sql, args in page_queries(vault, q):
                    plan = " | ".join(str(r[3]) for r in vault.execute(
                        f"EXPLAIN QUERY PLAN {sql}", (*args, 50, 0)))
                    assert plan.startswith(("SEARCH k USING PRIMARY KEY (prefix=?)",
                                            "SEARCH k USING PRIMARY KEY (gram=?)")), plan
                    assert "badge" not in plan, plan
                    assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan
                    assert "name_pinyin" not in plan and "person_live" not in plan, plan
                    assert "person_name" not in plan.replace("person_name_key", ""), plan
            by_unit = ArchiveQuery(text=text, unit_id=persons.units(vault)[0].id)
            for _segment, sql, args in page_queries(vault, by_unit):
                plan = " | ".join(str(r[3]) for r in vault.execute(
                    f"EXPLAIN QUERY PLAN {sql}", (*args, 50, 0)))
                # the unit's few thousand persons, each row checked (no key probe each)
                assert plan == ("SEARCH p USING INDEX person_unit_id (unit_id=?) | "
                                "USE TEMP B-TREE FOR ORDER BY"), plan
        low = "zhang"
        plan = " | ".join(str(r[3]) for r in vault.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM person_search_key WHERE prefix = ? "
            "AND archived = 0", (low,)))
        assert plan == "SEARCH person_search_key USING PRIMARY KEY (prefix=?)", plan
        plan = " | ".join(str(r[3]) for r in vault.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM person_name_key WHERE gram = ?", ("张",)))
        assert plan == "SEARCH person_name_key USING PRIMARY KEY (gram=?)", plan


def _keys(execute: Any, pid: int) -> set[tuple[str, int]]:
    return {(str(r[0]), int(r[1])) for r in execute(
        "SELECT prefix, archived FROM person_search_key WHERE person_id = ?", (pid,))}


def _expected(name: str, archived: int = 0) -> set[tuple[str, int]]:
    keys = name_keys(name)
    return {(s[:n], archived) for s in (keys.full, keys.initials)
            for n in range(1, min(len(s), search_keys.KEY_LENGTH) + 1)}


def _badges(execute: Any, pid: int) -> set[str]:
    return {str(r[0]) for r in execute(
        "SELECT prefix FROM person_badge_key WHERE person_id = ?", (pid,))}


def _grams(execute: Any, pid: int) -> set[str]:
    return {str(r[0]) for r in execute("SELECT gram FROM person_name_key WHERE person_id = ?",
                                      (pid,))}


def test_the_dots_of_migration_26_are_the_searchs() -> None:
    """The grams drop the middle dots the search drops (a change needs a new migration)."""
    assert name_grams.DOTS == MIDDLE_DOTS


def test_the_keys_are_every_prefix_and_follow_the_person(vault: VaultSession) -> None:
    """Trigger-kept keys equal the bulk fill (the demo's build and the migration), and a
    rename, a departure and a voiding move them."""
    with vault.reading():
        kept = set(vault.execute("SELECT * FROM person_search_key"))
        grams = set(vault.execute("SELECT * FROM person_name_key"))
        badges = set(vault.execute("SELECT * FROM person_badge_key"))
        dotted = int(vault.execute("SELECT id FROM person WHERE name = '阿依古丽·买买提'"
                                   ).fetchone()[0])
        assert _grams(vault.execute, dotted) == set("阿依古丽买提") | {
            "阿依", "依古", "古丽", "丽买", "买买", "买提"}
        pid = int(vault.execute("SELECT id FROM person WHERE name = '张小龙'").fetchone()[0])
        assert _keys(vault.execute, pid) == _expected("张小龙")
        assert _badges(vault.execute, pid) == {"9", "99", "990", "9900", "99000", "990004"}
    with vault.transaction():
        for statement in (*search_keys.FILL, *name_grams.FILL, *badge_keys.FILL):
            vault.execute(statement)
        assert set(vault.execute("SELECT * FROM person_badge_key")) == badges
        assert set(vault.execute("SELECT * FROM person_search_key")) == kept
        assert set(vault.execute("SELECT * FROM person_name_key")) == grams
        keys = name_keys("赵小龙")
        vault.execute("UPDATE person SET name = '赵小龙', name_pinyin = ?, name_initials = ?, "
                      "name_sort = ? WHERE id = ?", (keys.full, keys.initials, keys.sort, pid))
        assert _keys(vault.execute, pid) == _expected("赵小龙")
        assert _grams(vault.execute, pid) == {"赵", "小", "龙", "赵小", "小龙"}
        assert vault.execute("SELECT DISTINCT name_sort FROM person_search_key "
                             "WHERE person_id = ?", (pid,)).fetchall() == [(keys.sort,)]
        vault.execute("UPDATE person SET archived_at = ? WHERE id = ?", (NOW.isoformat(), pid))
        assert _keys(vault.execute, pid) == _expected("赵小龙", archived=1)
        vault.execute("UPDATE person SET voided_at = ? WHERE id = ?", (NOW.isoformat(), pid))
        assert _keys(vault.execute, pid) == set() and _grams(vault.execute, pid) == set()
        assert _badges(vault.execute, pid) == set()
        vault.execute("UPDATE person SET voided_at = NULL, archived_at = NULL, name = '张小龙',"
                      " name_pinyin = 'zhangxiaolong', name_initials = 'zxl', name_sort = ? "
                      "WHERE id = ?", (name_keys("张小龙").sort, pid))
        assert set(vault.execute("SELECT * FROM person_search_key")) == kept
        assert set(vault.execute("SELECT * FROM person_name_key")) == grams
        assert set(vault.execute("SELECT * FROM person_badge_key")) == badges
        vault.execute("UPDATE person SET badge_no = NULL WHERE id = ?", (pid,))
        assert _badges(vault.execute, pid) == set()
        vault.execute("UPDATE person SET badge_no = '990004' WHERE id = ?", (pid,))
        assert set(vault.execute("SELECT * FROM person_badge_key")) == badges


def test_migration_24_fills_the_keys_of_a_schema_21_vault(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        assert migrate(conn, "2026-11-01T09:00:00+08:00", target=21)[-1] == 21
        conn.execute("PRAGMA foreign_keys = OFF")  # no accounts needed for this check
        people = {1: ("张三", None, None), 2: ("欧阳修明", None, None),
                  3: ("李四", "2026-01-01", None), 4: ("王五", None, "2026-01-01"),
                  5: ("已去标识", None, None)}
        for pid, (name, archived, voided) in people.items():
            keys = name_keys(name) if pid != 5 else name_keys("")
            conn.execute("INSERT INTO person(id, created_at, created_by_id, updated_at, "
                         "updated_by_id, kind, name, name_pinyin, name_initials, post, "
                         "name_sort, archived_at, voided_at) VALUES "
                         "(?, 'x', 1, 'x', 1, 'officer', ?, ?, ?, '', ?, ?, ?)",
                         (pid, name, keys.full, keys.initials, keys.sort, archived, voided))
        conn.execute("UPDATE person SET badge_no = 'A12345678' WHERE id = 2")
        assert {24, 26, 27} <= set(migrate(conn, "2026-12-01T09:00:00+08:00"))
        execute = conn.execute
        assert _badges(execute, 2) == {"A1234567"[:n] for n in range(1, 9)}
        assert _badges(execute, 1) == set()
        assert _keys(execute, 1) == _expected("张三")  # z zh … zhangsan, zs
        assert ("ouyangxi", 0) in _keys(execute, 2) and ("ouyangxiu", 0) not in _keys(execute, 2)
        assert _keys(execute, 2) == _expected("欧阳修明")
        assert _keys(execute, 3) == _expected("李四", archived=1)
        assert _keys(execute, 4) == set() and _keys(execute, 5) == set()
        assert _grams(execute, 1) == {"张", "三", "张三"}
        assert _grams(execute, 3) == {"李", "四", "李四"} and _grams(execute, 4) == set()
        assert _grams(execute, 5) == {"已", "去", "标", "识", "已去", "去标", "标识"}
        conn.execute("DELETE FROM person WHERE id = 1")  # a deleted person leaves no key
        assert _keys(execute, 1) == set() and _grams(execute, 1) == set()
        assert conn.execute("SELECT count(*) FROM person_search_key").fetchone()[0] == len(
            _expected("欧阳修明") | _expected("李四"))
    finally:
        conn.close()

"""Archive list (DESIGN §11; issues 3 and 18): first page, search keystroke, sorted pages.

Baselines, measured in the same process: filling Textual's DataTable with every row in a
headless app (what a naive archive would do); for the sorted pages (issue 18), the query the
archive ran before migration 13 — the sort key computed per query (a join and a ``CASE``),
every person sorted for one page — written out here; for pinyin search (issue 18), the
search before migration 24 (the first letter's range of ``name_pinyin``, every match
fetched and sorted), written out here and timed alternately with the current one.
"""

from __future__ import annotations

import asyncio
import functools
import statistics
import time
from typing import Any

from benchmarks.common import PASSPHRASE, Result, clock, ensure_vault, median, p95, timed
from counselor_tui.domain.text import MIDDLE_DOTS, has_han, without_middle_dots
from counselor_tui.services import lifecycle, persons
from counselor_tui.services.context import VaultSession
from counselor_tui.services.person_search import clean_text

PAGE = 50
#: Search-as-you-type: every prefix of these is one keystroke.
QUERIES = ("张伟", "王", "zhang", "zw", "lix", "0123", "刘洋")
#: Pinyin searches of 3+ letters: full syllables (common and rare surnames), mixed, initials.
PINYIN = ("zha", "zhan", "zhang", "zhangw", "wang", "wangxiu", "lix", "chen", "ouy", "zxl",
          "wjh", "lzq")
#: Searches by Chinese characters: common and rare surnames, given names, whole names.
HANZI = ("张", "王", "刘", "伟", "秀英", "张伟", "王秀", "欧阳", "李娜", "陈静怡")
#: Badge numbers as typed: one digit (a tenth of the province), then narrower.
BADGES = ("1", "10", "100", "1000", "10001", "2", "21", "213")
_TOP = "\U0010ffff"
_UNDOTTED = "name"
for _dot in MIDDLE_DOTS:
    _UNDOTTED = f"replace({_UNDOTTED}, '{_dot}', '')"


def first_page(vs: VaultSession, q: persons.ArchiveQuery) -> None:
    persons.count_persons(vs, q)
    persons.list_persons(vs, q, 0, PAGE)


def former_condition(text: str) -> tuple[str, list[Any]]:
    """A search text's condition before migrations 24, 26 and 27: pinyin by the first
    letter's range of ``name_pinyin`` then the pinyin or initials prefix; Chinese by ``instr``
    over every name of the ``person_name`` index; a badge number by its prefix's range."""
    compact = clean_text(text).replace(" ", "")
    if has_han(compact):
        needle = without_middle_dots(compact)
        return (f"p.id IN (SELECT id FROM person INDEXED BY person_name WHERE instr(name, ?) "
                f"> 0 OR (name GLOB '*[{MIDDLE_DOTS}]*' AND instr({_UNDOTTED}, ?) > 0))",
                [needle, needle])
    if compact.isascii() and compact.isalpha():
        low = compact.lower()
        return ("p.name_pinyin >= ? AND p.name_pinyin < ? AND ((p.name_pinyin >= ? AND "
                "p.name_pinyin < ?) OR (p.name_initials >= ? AND p.name_initials < ?))",
                [low[0], low[0] + _TOP, low, low + _TOP, low, low + _TOP])
    badge = compact.upper()
    return "(p.badge_no >= ? AND p.badge_no < ?)", [badge, badge + _TOP]


def former_first_page(vs: VaultSession, q: persons.ArchiveQuery) -> None:
    """:func:`first_page` of a search as the archive read it before migrations 24, 26, 27
    (:func:`former_condition`; every match fetched for its name sort key and sorted): the
    same count and rows, for the coordinator's view."""
    cond, args = former_condition(q.text)
    live = "" if q.include_archived else "AND p.archived_at IS NULL "
    if q.unit_id is not None:
        live += "AND p.unit_id = ? "
        args.insert(0, q.unit_id)
    where = f"p.voided_at IS NULL {live}AND {cond}"
    with vs.reading():
        vs.execute(f"SELECT count(*) FROM person p WHERE {where}", tuple(args)).fetchone()
        order = "+p.name_sort" if has_han(q.text) else "p.name_sort"  # as the former code
        ids = [int(r[0]) for r in vs.execute(
            f"SELECT p.id FROM person p WHERE {where} ORDER BY {order}, p.id "
            f"LIMIT {PAGE}", tuple(args))]
        persons.person_rows(vs, ids)


def _alternating(vs: VaultSession, queries: list[persons.ArchiveQuery], rounds: int
                 ) -> tuple[list[float], list[float]]:
    """Median seconds per query of :func:`first_page` and :func:`former_first_page`: each
    round times every query one way then every query the other way (as typed in a row, so
    each side finds its own pages cached), the order swapped every round."""
    new: list[list[float]] = [[] for _q in queries]
    old: list[list[float]] = [[] for _q in queries]
    for n in range(rounds):
        sides = [(first_page, new), (former_first_page, old)]
        for fn, out in sides if n % 2 == 0 else sides[::-1]:
            for i, q in enumerate(queries):
                out[i] += timed(functools.partial(fn, vs, q), 1)
    return [median(v) for v in new], [median(v) for v in old]


def name_search(vs: VaultSession, rounds: int, unit_id: int) -> list[Result]:
    """Issue 18's rows: the first page (count and rows) of each pinyin query of 3+ letters
    (:data:`PINYIN`) and each Chinese query (:data:`HANZI`) as the archive screen asks it
    (a search includes former officers), and badge numbers (:data:`BADGES`), alone and with
    a unit filter, against the former
    search (:func:`_alternating`): the median query and the slowest."""
    results = []
    for label, texts in (("pinyin 3+ letters", PINYIN), ("Chinese characters", HANZI),
                         ("badge number", BADGES)):
        for extra, unit in (("", None), (" + unit", unit_id)):
            queries = [persons.ArchiveQuery(text=t, unit_id=unit, include_archived=True)
                       for t in texts]
            new, old = _alternating(vs, queries, rounds)
            for what, fn in (("median", statistics.median), ("slowest", max)):
                results.append(Result(f"{label}{extra}: {what}", fn(new) * 1000, "ms",
                                      "former search", fn(old) * 1000, "≤ 5 ms"))
    return results


def datatable_fill_seconds(vs: VaultSession) -> tuple[float, int]:
    """Seconds to put every person into a DataTable and render once, headless."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    total = persons.count_persons(vs, persons.ArchiveQuery())
    rows = []
    for offset in range(0, total, 500):  # list_persons pages hold at most 500 rows
        for r in persons.list_persons(vs, persons.ArchiveQuery(), offset, 500):
            rows.append((r.badge_no or "", r.name, r.unit_name or "", r.police_type or "",
                         r.tier or "", r.review_due or ""))

    class Fill(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    async def run() -> float:
        app = Fill()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.query_one(DataTable)
            table.add_columns("警号", "姓名", "单位", "警种", "等级", "复评")
            start = time.perf_counter()
            table.add_rows(rows)
            await pilot.pause()
            table.refresh()
            await pilot.pause()
            return time.perf_counter() - start

    return asyncio.run(run()), len(rows)


#: The archive's sorted page before issue 18: key computed per person, whole list sorted.
_OLD_ORDER = {
    "unit": "u.name IS NULL, u.name {d}, p.name_pinyin {d}, p.id {d}",
    "tier": "t.tier IS NULL, CASE t.tier WHEN 'green' THEN 0 WHEN 'yellow' THEN 1 "
            "WHEN 'red' THEN 2 END {d}, p.name_pinyin {d}, p.id {d}",
    "review_due": "t.review_due IS NULL, t.review_due {d}, p.name_pinyin {d}, p.id {d}",
    "last_session": "p.last_session_on IS NULL, p.last_session_on {d}, p.name_pinyin {d}, "
                    "p.id {d}",
}


def old_sorted_page(vs: VaultSession, sort: str, descending: bool) -> None:
    """The first page as the archive read it before migration 13: the page's ids, then the
    same rows as today (:func:`persons.person_rows`)."""
    order = _OLD_ORDER[sort].format(d="DESC" if descending else "ASC")
    with vs.reading():
        ids = [int(r[0]) for r in vs.execute(
            "SELECT p.id FROM person p LEFT JOIN unit u ON u.id = p.unit_id "
            "LEFT JOIN tier_state t ON t.person_id = p.id WHERE p.voided_at IS NULL "
            f"AND p.archived_at IS NULL ORDER BY {order} LIMIT {PAGE}")]
        persons.person_rows(vs, ids)


def sorted_pages(vs: VaultSession, rounds: int) -> list[Result]:
    """Issue 18's row: the first page of each computed sort in both directions, and a page
    50,000 rows in (read on from the previous page's last row), against the old query."""
    results = []
    for sort in _OLD_ORDER:
        for descending in (False, True):
            q = persons.ArchiveQuery(sort=sort, descending=descending)
            new = median(timed(functools.partial(persons.list_persons, vs, q, 0, PAGE), rounds))
            old = median(timed(functools.partial(old_sorted_page, vs, sort, descending),
                               max(3, rounds // 4)))
            label = f"sorted page: {sort}{' desc' if descending else ''}"
            results.append(Result(label, new * 1000, "ms", "per-query sort", old * 1000,
                                  "≤ 20 ms"))
    q = persons.ArchiveQuery(sort="review_due")
    total = persons.count_persons(vs, q)
    deep = persons.list_persons(vs, q, min(50_000, max(0, total - PAGE - 1)), PAGE)
    if deep:
        after = deep[-1].page_key
        new = median(timed(lambda: persons.list_persons(vs, q, 0, PAGE, after=after), rounds))
        off = median(timed(lambda: persons.list_persons(
            vs, q, min(50_000, max(0, total - PAGE - 1)), PAGE), max(3, rounds // 4)))
        results.append(Result("sorted page deep in the list (keyset)", new * 1000, "ms",
                              "same page by OFFSET", off * 1000, "≤ 20 ms"))
    return results


def run(size: str = "archive100k", rounds: int = 20) -> list[Result]:
    """Every row above on the vault of ``size`` (a demo size or ``archive100k``)."""
    path = ensure_vault(size)
    vs = lifecycle.unlock(path, "demo", PASSPHRASE, clock=clock(), state_dir=path.parent / "st")
    try:
        fill, count = datatable_fill_seconds(vs)
        results = []
        units = persons.units(vs)
        filters = {
            "no filter": persons.ArchiveQuery(),
            "unit": persons.ArchiveQuery(unit_id=units[len(units) // 2].id),
            "police type 交警": persons.ArchiveQuery(police_type="交警"),
            "tier red": persons.ArchiveQuery(tier="red"),
            "kind family": persons.ArchiveQuery(kind="family"),
            "sort review_due desc": persons.ArchiveQuery(sort="review_due", descending=True),
        }
        for label, q in filters.items():
            times = timed(functools.partial(first_page, vs, q), rounds)
            results.append(Result(f"archive first page: {label}", median(times) * 1000, "ms",
                                  f"DataTable fill {count:,} rows", fill * 1000, "≤ 100 ms"))
        keystrokes, former = [], []
        for query in QUERIES:
            for i in range(1, len(query) + 1):
                q = persons.ArchiveQuery(text=query[:i])
                for _ in range(max(3, rounds // 4)):  # alternately: now, before 24 and 26
                    keystrokes += timed(functools.partial(first_page, vs, q), 1)
                    former += timed(functools.partial(former_first_page, vs, q), 1)
        results.append(Result(f"search keystroke p95 ({len(keystrokes)} runs)",
                              p95(keystrokes) * 1000, "ms", f"DataTable fill {count:,} rows",
                              fill * 1000, "≤ 20 ms"))
        results.append(Result("search keystroke p95, same keys", p95(keystrokes) * 1000, "ms",
                              "former search", p95(former) * 1000, "≤ 20 ms"))
        results += name_search(vs, max(5, rounds // 2), units[len(units) // 2].id)
        return results + sorted_pages(vs, rounds)
    finally:
        vs.close()

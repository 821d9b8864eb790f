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
from counselor_tui.services import lifecycle, persons
from counselor_tui.services.context import VaultSession

PAGE = 50
#: Search-as-you-type: every prefix of these is one keystroke.
QUERIES = ("张伟", "王", "zhang", "zw", "lix", "0123", "刘洋")
#: Pinyin searches of 3+ letters: full syllables (common and rare surnames), mixed, initials.
PINYIN = ("zha", "zhan", "zhang", "zhangw", "wang", "wangxiu", "lix", "chen", "ouy", "zxl",
          "wjh", "lzq")
_TOP = "\U0010ffff"


def first_page(vs: VaultSession, q: persons.ArchiveQuery) -> None:
    persons.count_persons(vs, q)
    persons.list_persons(vs, q, 0, PAGE)


def former_first_page(vs: VaultSession, q: persons.ArchiveQuery) -> None:
    """:func:`first_page` of a pinyin query as the archive read it before migration 24: the
    first letter's range of ``name_pinyin``, then the pinyin or initials prefix; every match
    fetched for its name sort key and sorted (same count, same rows)."""
    low = q.text.replace(" ", "").lower()
    cond = ("p.name_pinyin >= ? AND p.name_pinyin < ? AND ((p.name_pinyin >= ? AND "
            "p.name_pinyin < ?) OR (p.name_initials >= ? AND p.name_initials < ?))")
    args: list[Any] = [low[0], low[0] + _TOP, low, low + _TOP, low, low + _TOP]
    live = "" if q.include_archived else "AND p.archived_at IS NULL "
    if q.unit_id is not None:
        live += "AND p.unit_id = ? "
        args.insert(0, q.unit_id)
    where = f"p.voided_at IS NULL {live}AND {cond}"
    with vs.reading():
        vs.execute(f"SELECT count(*) FROM person p WHERE {where}", tuple(args)).fetchone()
        ids = [int(r[0]) for r in vs.execute(
            f"SELECT p.id FROM person p WHERE {where} ORDER BY p.name_sort, p.id "
            f"LIMIT {PAGE}", tuple(args))]
        persons.person_rows(vs, ids)


def pinyin_search(vs: VaultSession, rounds: int, unit_id: int) -> list[Result]:
    """Issue 18's row: the first page (count and rows) of each 3+ letter pinyin query of
    :data:`PINYIN`, as the archive screen asks it (a search includes former officers), and
    with a unit filter; current and former search timed alternately, medians."""
    results = []
    for label, unit in (("", None), (" + unit", unit_id)):
        new: dict[str, list[float]] = {t: [] for t in PINYIN}
        old: dict[str, list[float]] = {t: [] for t in PINYIN}
        for _ in range(rounds):
            for text in PINYIN:
                q = persons.ArchiveQuery(text=text, unit_id=unit, include_archived=True)
                new[text] += timed(functools.partial(first_page, vs, q), 1)
                old[text] += timed(functools.partial(former_first_page, vs, q), 1)
        per_new = [median(v) for v in new.values()]
        per_old = [median(v) for v in old.values()]
        results.append(Result(f"pinyin 3+ letters{label}: median", statistics.median(per_new)
                              * 1000, "ms", "former search", statistics.median(per_old) * 1000,
                              "≤ 5 ms"))
        results.append(Result(f"pinyin 3+ letters{label}: slowest", max(per_new) * 1000, "ms",
                              "former search", max(per_old) * 1000, "≤ 5 ms"))
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
        keystrokes = []
        for query in QUERIES:
            for i in range(1, len(query) + 1):
                q = persons.ArchiveQuery(text=query[:i])
                keystrokes += timed(functools.partial(first_page, vs, q), max(3, rounds // 4))
        results.append(Result(f"search keystroke p95 ({len(keystrokes)} runs)",
                              p95(keystrokes) * 1000, "ms", f"DataTable fill {count:,} rows",
                              fill * 1000, "≤ 20 ms"))
        results += pinyin_search(vs, max(5, rounds // 2), units[len(units) // 2].id)
        return results + sorted_pages(vs, rounds)
    finally:
        vs.close()

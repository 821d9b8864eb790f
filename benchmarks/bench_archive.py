"""Archive list at 100,000 persons (DESIGN §11; issue 3): first page and search keystroke.

Baseline: filling Textual's DataTable with the same 100k rows in a headless app (what a
naive archive would do), measured in the same process.
"""

from __future__ import annotations

import asyncio
import functools
import time

from benchmarks.common import PASSPHRASE, Result, clock, ensure_vault, median, p95, timed
from counselor_tui.services import lifecycle, persons
from counselor_tui.services.context import VaultSession

PAGE = 50
#: Search-as-you-type: every prefix of these is one keystroke.
QUERIES = ("张伟", "王", "zhang", "zw", "lix", "0123", "刘洋")


def first_page(vs: VaultSession, q: persons.ArchiveQuery) -> None:
    persons.count_persons(vs, q)
    persons.list_persons(vs, q, 0, PAGE)


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


def run(rounds: int = 20) -> list[Result]:
    path = ensure_vault("archive100k")
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
                              fill * 1000, "≤ 50 ms"))
        return results
    finally:
        vs.close()

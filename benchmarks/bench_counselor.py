"""A counselor's screens against the coordinator's (issue 18; db migration 29).

A counselor sees part of the archive (their unit, the persons they served or created, the
handed-over ones: :mod:`counselor_tui.services.access`); the demo's ``counselor1`` has the
most sessions (393k at province) and sees 64k of 114k persons there. Each row times one
screen's data as ``counselor1`` against the same call as the coordinator ``demo`` on the
same vault in the same process, alternately (each round runs one side then the other, the
order swapped every round), medians: the archive's first page (count and 50 rows) unsorted
and by review date, searches (pinyin, characters, badge number: the median and the slowest
query of each set, as ``bench_archive`` asks them), the person picker, the dashboard's
data, the analysis screen's early warnings and the open campaign's officers not screened
(first :data:`PAGE` lines of each, with the whole list's length). One more row times the
coordinator's whole early-warning list against the former statements (every assessment
numbered by a window function, every person loaded: :data:`FORMER_WARNINGS`, run once).
Nothing is written (the cached vault is read only).
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Callable

from benchmarks.bench_archive import BADGES, HANZI, PINYIN, first_page
from benchmarks.common import PASSPHRASE, Result, clock, ensure_vault, median, timed
from counselor_tui.services import analysis, census, dashboard, lifecycle, person_search, persons
from counselor_tui.services.context import VaultSession

COUNSELOR = "counselor1"
COORDINATOR = "demo"

#: Lines of a list the screens ask for at once (issue 18).
PAGE = 200

#: The early-warning list's statements before migration 30 (the coordinator's form: no
#: visibility condition): the latest two complete assessments per person and instrument by
#: a window function, and every living person with unit and tier.
FORMER_WARNINGS = (
    "SELECT x.person_id, x.instrument_code, x.administered_on, x.total, x.band, x.positive "
    "FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.person_id, a.instrument_code "
    "ORDER BY a.administered_on DESC, a.id DESC) AS rn FROM assessment a "
    "WHERE a.voided_at IS NULL AND a.complete = 1) x JOIN person p ON p.id = x.person_id "
    "WHERE x.rn <= 2 AND p.voided_at IS NULL AND p.archived_at IS NULL "
    "ORDER BY x.person_id, x.instrument_code, x.rn DESC",
    "SELECT p.id, p.name, p.badge_no, u.name, t.tier, t.review_due FROM person p "
    "LEFT JOIN unit u ON u.id = p.unit_id LEFT JOIN tier_state t ON t.person_id = p.id "
    "WHERE p.voided_at IS NULL AND p.archived_at IS NULL",
)


def _pair(counselor: Callable[[], object], coordinator: Callable[[], object],
          rounds: int) -> tuple[float, float]:
    """Median seconds of each side, timed alternately."""
    mine: list[float] = []
    theirs: list[float] = []
    for n in range(rounds):
        sides = [(counselor, mine), (coordinator, theirs)]
        for fn, out in sides if n % 2 == 0 else sides[::-1]:
            out += timed(fn, 1)
    return median(mine), median(theirs)


def _searches(me: VaultSession, office: VaultSession, label: str, texts: tuple[str, ...],
              rounds: int) -> list[Result]:
    """The first page of each search as the archive asks it (former officers included):
    the median query and the slowest of the set, each side."""
    mine, theirs = [], []
    for text in texts:
        q = persons.ArchiveQuery(text=text, include_archived=True)
        a, b = _pair(functools.partial(first_page, me, q),
                     functools.partial(first_page, office, q), rounds)
        mine.append(a)
        theirs.append(b)
    return [Result(f"counselor: search {label}, {what}", fn(mine) * 1000, "ms",
                   "coordinator", fn(theirs) * 1000, "≤ coordinator + 20 ms")
            for what, fn in (("median", statistics.median), ("slowest", max))]


def run(size: str = "county", rounds: int = 9) -> list[Result]:
    """Every row above on the demo vault of ``size``."""
    path = ensure_vault(size)
    state = path.parent / "st"
    me = lifecycle.unlock(path, COUNSELOR, PASSPHRASE, clock=clock(), state_dir=state)
    office = lifecycle.unlock(path, COORDINATOR, PASSPHRASE, clock=clock(), state_dir=state)
    try:
        results = []
        for label, q in (("archive first page", persons.ArchiveQuery()),
                         ("archive by review date", persons.ArchiveQuery(
                             sort="review_due", descending=True))):
            a, b = _pair(functools.partial(first_page, me, q),
                         functools.partial(first_page, office, q), rounds)
            results.append(Result(f"counselor: {label}", a * 1000, "ms", "coordinator",
                                  b * 1000, "≤ coordinator + 20 ms"))
        for label, texts in (("pinyin", PINYIN), ("characters", HANZI), ("badge", BADGES)):
            results += _searches(me, office, label, texts, max(3, rounds // 3))
        a, b = _pair(lambda: person_search.find_persons(me, "zhang"),
                     lambda: person_search.find_persons(office, "zhang"), rounds)
        results.append(Result("counselor: person picker", a * 1000, "ms", "coordinator",
                              b * 1000, "≤ coordinator + 20 ms"))
        a, b = _pair(lambda: dashboard.gather(me), lambda: dashboard.gather(office),
                     max(3, rounds // 2))
        results.append(Result(f"counselor: dashboard data ({size})", a * 1000, "ms",
                              "coordinator", b * 1000, "≤ 120 ms at province"))
        results += _lists(me, office, rounds)
        return results
    finally:
        me.close()
        office.close()


def _warnings_page(vs: VaultSession) -> None:
    analysis.warning_page(vs, PAGE)


def _pending_page(vs: VaultSession, census_id: int) -> None:
    census.not_screened(vs, census_id, limit=PAGE)


def _lists(me: VaultSession, office: VaultSession, rounds: int) -> list[Result]:
    """The early warnings and the open campaign's officers not screened, a page of each
    (both sides), and the coordinator's whole early-warning list against the former
    statements (timed once: seconds at province)."""
    out = []
    a, b = _pair(functools.partial(_warnings_page, me),
                 functools.partial(_warnings_page, office), rounds)
    out.append(Result(f"counselor: early warnings, {PAGE} + count", a * 1000, "ms",
                      "coordinator", b * 1000, "≤ 120 ms at province"))
    with office.reading():
        row = office.execute("SELECT id FROM census WHERE status = 'open' "
                             "ORDER BY id DESC LIMIT 1").fetchone()
    if row is not None:
        a, b = _pair(functools.partial(_pending_page, me, int(row[0])),
                     functools.partial(_pending_page, office, int(row[0])), rounds)
        out.append(Result(f"counselor: not screened, first {PAGE}", a * 1000, "ms",
                          "coordinator", b * 1000, "≤ 120 ms at province"))
    whole = median(timed(lambda: analysis.early_warnings(office), max(3, rounds // 3)))

    def former() -> None:
        with office.reading():
            for sql in FORMER_WARNINGS:
                office.execute(sql).fetchall()

    out.append(Result("coordinator: early warnings, whole list", whole * 1000, "ms",
                      "former statements", median(timed(former, 1)) * 1000,
                      "≤ 0.1×"))
    return out

"""Pairs of figures a receiving clerk compares, each derived independently from the database
(plain rows read here, reasoned in Python) and checked against the compiled document
(issue 17, finding 13):

* 新建档: the "none" row of the tier-transition table counts the officers who got their first
  tier in the period — and the officers without a tier at the period's end are those without
  one at its start, less those entered, plus new arrivals still without one, less those who
  left;
* 本期减员 (officers who left: transfer, retirement — their records archived) against the
  roster's departures, and not worded as 建档;
* 参加培训: the counselors' training records of the period, beside the training activities
  the bureau held for its counselors: everyone who attended such an activity has a record.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest

from counselor_tui import demo
from counselor_tui.domain.periods import Period, parse_period, previous
from counselor_tui.i18n import set_language
from counselor_tui.reports.document import build_document
from counselor_tui.reports.view import build
from counselor_tui.services import lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.submission_compile import compile_content
from tests.conftest import PASSPHRASE, TZ


@pytest.fixture(scope="module")
def demo_vault(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("consistency")
    clock = FixedClock(datetime(2026, 12, 7, 9, 0, tzinfo=TZ))
    path = root / "demo.db"
    demo.build_demo(path, "tiny", 1, PASSPHRASE, clock, kdf_seconds=0, state_dir=root / "s")
    vs = lifecycle.unlock(path, demo.ADMIN_USER, PASSPHRASE, clock=clock, state_dir=root / "s")
    yield vs
    vs.close()


def _bounds(period: Period) -> tuple[str, str]:
    return (f"{period.start.isoformat()}T00:00:00+08:00",
            f"{period.end.isoformat()}T00:00:00+08:00")


class Tiers:
    """Each person's tier at any moment, from the raw tier_state and tier_change rows."""

    def __init__(self, vs: VaultSession) -> None:
        with vs.reading():
            self.changes: dict[int, list[tuple[str, int, str | None, str]]] = defaultdict(list)
            for pid, cid, at, frm, to in vs.execute(
                    "SELECT person_id, id, at, from_tier, to_tier FROM tier_change"):
                self.changes[pid].append((at, cid, frm, to))
            self.states = {pid: (tier, created, since) for pid, tier, created, since in
                           vs.execute("SELECT person_id, tier, created_at, since "
                                      "FROM tier_state")}
            self.officers = {pid: (created, archived) for pid, created, archived in vs.execute(
                "SELECT id, created_at, archived_at FROM person "
                "WHERE kind = 'officer' AND voided_at IS NULL")}
        for rows in self.changes.values():
            rows.sort()

    def entered(self, pid: int) -> tuple[str, str] | None:
        """(day, first tier) of the person's 建档 without a change row, or None: the
        tier state's ``since`` when the tier never changed, else the day it was created."""
        rows = self.changes.get(pid, [])
        if any(r[2] is None for r in rows) or pid not in self.states:
            return None
        tier, created, since = self.states[pid]
        if not rows:
            return since[:10], tier
        return created[:10], rows[0][2] or tier

    def entries(self, start: str, end: str) -> list[int]:
        """Persons whose first tier was set in [start, end): by a change from no tier, or
        (without one) by their tier state (:meth:`entered`)."""
        out = [pid for pid, rows in self.changes.items()
               if any(r[2] is None and start <= r[0] < end for r in rows)]
        out += [pid for pid in self.states
                if (e := self.entered(pid)) is not None and start[:10] <= e[0] < end[:10]]
        return out

    def at(self, pid: int, moment: str) -> str:
        before = [r for r in self.changes.get(pid, []) if r[0] < moment]
        if before:
            return before[-1][3]
        entry = self.entered(pid)
        return entry[1] if entry is not None and entry[0] < moment[:10] else "none"

    def serving(self, moment: str) -> set[int]:
        day = moment[:10]
        return {pid for pid, (created, archived) in self.officers.items()
                if created < moment and (archived is None or archived[:10] >= day)}


@pytest.mark.parametrize("label", ["2024-11", "2026-05", "2026-11"])
def test_new_archives_and_the_officers_without_one(demo_vault: VaultSession,
                                                   label: str) -> None:
    period = parse_period(label)
    start, end = _bounds(period)
    tiers = Tiers(demo_vault)
    content = compile_content(demo_vault, period)
    archive = content["sections"]["archive"]["tables"]
    new_row = archive["transitions"]["counts"][archive["transitions"]["rows"].index("none")]
    entered = [pid for pid in tiers.entries(start, end) if pid in tiers.officers]
    assert sum(new_row) == len(entered)
    by_unit = archive["tiers_by_unit"]
    col = by_unit["cols"].index("none") if "none" in by_unit["cols"] else None
    none_end = 0 if col is None else sum(row[col] for row in by_unit["counts"])
    at_start, at_end = tiers.serving(start), tiers.serving(end)
    none_at = {pid for pid in at_start if tiers.at(pid, start) == "none"}
    assert none_end == sum(1 for pid in at_end if tiers.at(pid, end) == "none")
    # the stock of officers without an archive moves only by entries, arrivals, departures
    stayed = none_at & at_end
    assert none_end == (len(stayed) - sum(1 for pid in stayed if tiers.at(pid, end) != "none")
                        + sum(1 for pid in at_end - at_start if tiers.at(pid, end) == "none"))
    if label == "2024-11":
        assert sum(new_row) > 0  # the demo's roster arrives that month: the row is not 0


def test_counselor_trainings_held_match_their_training_records(
        demo_vault: VaultSession) -> None:
    months = [parse_period("2026-11")]
    while len(months) < 12:
        months.append(previous(months[-1]))
    seen = 0
    for period in months:
        team = compile_content(demo_vault, period)["sections"]["team"]
        day0, day1 = period.start.isoformat(), period.end.isoformat()
        with demo_vault.reading():
            records = demo_vault.execute(
                "SELECT user_id, date, title FROM training_record WHERE voided_at IS NULL "
                "AND date >= ? AND date < ?", (day0, day1)).fetchall()
            held = demo_vault.execute(
                "SELECT date, title, participants FROM activity WHERE voided_at IS NULL "
                "AND kind = 'training' AND title LIKE '%辅导员%' AND date >= ? AND date < ?",
                (day0, day1)).fetchall()
        assert team["figures"]["trainings"] == len(records)
        assert team["figures"]["counselors_trained"] == len({r[0] for r in records})
        for date, title, participants in held:
            attended = [r for r in records if r[1] == date and r[2] == title]
            assert len(attended) == participants > 0, (period.label, title)
            seen += 1
        assert team["figures"]["trainings"] >= sum(p for _d, _t, p in held)
    assert seen >= 1  # the demo holds counselor trainings within the year



@pytest.mark.parametrize("label", ["2026-02", "2026-11"])
def test_officers_who_left_are_the_roster_departures_not_new_archives(
        demo_vault: VaultSession, label: str) -> None:
    """The city demo printed 本期归档民警 9 beside a 新建档 row of zeros: both right — nine
    officers left the roster (``archived_at``: transfer, retirement), nobody got a first
    tier — but 归档 reads as 建档 to a clerk. Derived here from the raw person rows: the
    figure counts the departures of the period, and is labelled as departures."""
    period = parse_period(label)
    start, end = _bounds(period)
    tiers = Tiers(demo_vault)
    content = compile_content(demo_vault, period)
    archive = content["sections"]["archive"]
    at_start, at_end = tiers.serving(start), tiers.serving(end)
    left = {pid for pid, (_created, archived) in tiers.officers.items()
            if archived is not None and start[:10] <= archived[:10] < end[:10]}
    assert left == at_start - at_end  # departures are exactly the officers archived
    assert archive["figures"]["archived_in_period"] == len(left)
    assert archive["figures"]["serving"] == len(at_end)
    if label == "2026-02":
        assert left  # the tiny demo archives one officer that month
    set_language("zh")
    try:
        view = build(build_document(content, {}, version=None), exact=True)
        printed = dict(next(s for s in view.sections if s.key == "archive").tables[0].rows)
    finally:
        set_language("en")
    (figure_label,) = [k for k in printed if "民警" in k and "在职" not in k]
    assert "归档" not in figure_label and "建档" not in figure_label
    assert "调离" in figure_label and "退休" in figure_label


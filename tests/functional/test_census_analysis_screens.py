"""Pilot tests: survey-response import screen (dry run, apply, re-run adds nothing) and the
analysis screen (tier chart, rates, early warning, trend)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from counselor_tui.services import assessments, responses_import, tier_policy
from counselor_tui.services.context import FixedClock
from counselor_tui.ui.app import create_app
from counselor_tui.ui.screens.analysis import AnalysisScreen
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.responses_import import ResponsesImportScreen
from tests.functional.test_assessment_entry import backend_for, settle
from tests.integration.census_world import SURVEY, World

pytestmark = pytest.mark.world("census")


async def test_import_screen_dry_run_then_apply_then_nothing_new(world: World) -> None:
    app = create_app(backend_for(world, "coord"), idle_minutes=60)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("responses_import")
        await settle(pilot, lambda: isinstance(app.screen, ResponsesImportScreen))
        screen = app.screen
        assert isinstance(screen, ResponsesImportScreen)
        screen.query_one("#import-path", Input).value = str(SURVEY)
        screen.query_one("#import-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.plan is not None)
        assert screen.plan is not None
        assert (len(screen.plan.added), len(screen.plan.unmatched)) == (25, 1)
        assert "25 to add, 0 already stored, 1 unmatched, 0 rejected" in screen.summary
        assert responses_import.existing_count(world.login("coord"), "phq9") == 0
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("enter")
        await settle(pilot, lambda: screen.applied is not None)
        assert "Critical items answered in rows" in screen.summary
        assert responses_import.existing_count(world.login("coord"), "phq9") == 25
        screen.query_one("#import-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.plan is not None)
        assert "0 to add, 25 already stored, 1 unmatched, 0 rejected" in screen.summary


async def test_analysis_screen_tiers_rates_warnings_trend(world: World,
                                                          clock: FixedClock) -> None:
    coord = world.login("coord")
    responses_import.apply_import(coord, responses_import.plan_import(coord, SURVEY, "phq9"))
    for suggestion in tier_policy.pending(coord):
        tier_policy.confirm(coord, suggestion.id)
    person = world.badges["330706"]
    assessments.record_assessment(coord, assessments.AssessmentDraft(
        person, "phq9", (2,) * 9, date(2026, 11, 25)))
    app = create_app(backend_for(world, "coord"), idle_minutes=60)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("analysis")
        await settle(pilot, lambda: isinstance(app.screen, AnalysisScreen))
        screen = app.screen
        assert isinstance(screen, AnalysisScreen)
        await settle(pilot, lambda: bool(screen.tiers) and bool(screen.rates)
                     and bool(screen.warnings))
        by_unit = {label: rest for label, *rest in screen.snapshot()["tiers"]}
        assert by_unit["城东派出所"] == [4, 1, 0, 3]
        chart = screen.query_one("#tiers-chart")
        lines = [line.plain for line in chart.lines(100)]   # type: ignore[attr-defined]
        assert any(line.startswith("城东派出所") for line in lines)
        assert {label: (a, p) for label, a, p in screen.snapshot()["rates"]}["城西派出所"] == (
            3, 1)
        assert (person, ("rise", "band_crossed")) in screen.snapshot()["warnings"]
        await pilot.press("g")
        await settle(pilot, lambda: any(t[0] == "刑侦" for t in screen.snapshot()["tiers"]))
        await pilot.press("4")
        await pilot.press(*"330706")
        await settle(pilot, lambda: screen.query_one("#picker-results").option_count == 1)
        await pilot.press("enter")
        await settle(pilot, lambda: len(screen.trend) == 2)
        assert screen.snapshot()["trend"] == [("2026-11-08", 6.0), ("2026-11-25", 18.0)]


async def test_auditor_sees_aggregates_only(world: World) -> None:
    app = create_app(backend_for(world, "audit"), idle_minutes=60)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("analysis")
        await settle(pilot, lambda: isinstance(app.screen, AnalysisScreen))
        screen = app.screen
        assert isinstance(screen, AnalysisScreen)
        await settle(pilot, lambda: screen.warnings is None and bool(screen.tiers))
        assert sum(t[1] for t in screen.snapshot()["tiers"]) == 40


async def test_import_preview_band_names_warnings_and_rows_not_imported(
        world: World, tmp_path: Path) -> None:
    import csv

    from textual.widgets import DataTable, Select

    from counselor_tui.i18n import set_language
    from counselor_tui.services import census

    coord = world.login("coord")
    cid = census.create_census(coord, census.CensusDraft(
        "PHQ-9 普查", date(2026, 11, 1), date(2026, 11, 30), ("phq9",),
        tuple(world.units.values())))
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["提交时间", "警号", "姓名", *[f"第{i}题" for i in range(1, 10)], "总分"])
        writer.writerow(["2026-11-05", "330700", "高帆鑫", *[1] * 9, 9])    # mild
        writer.writerow(["2026-10-20", "330701", "刘鹏凯", *[0] * 9, 5])    # before, total
        writer.writerow(["2026-11-05", "330702", "刘芳", *[1] * 9, 9])
        writer.writerow(["2026-11-06", "330702", "刘芳", *[2] * 9, 18])    # repeated
        writer.writerow(["2026-11-05", "330703", "熊英", 9, *[0] * 8, 9])   # out of range
    set_language("zh")
    app = create_app(backend_for(world, "coord"), idle_minutes=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: app.working)
        app.open_area("responses_import")
        await settle(pilot, lambda: isinstance(app.screen, ResponsesImportScreen))
        screen = app.screen
        assert isinstance(screen, ResponsesImportScreen)
        select = screen.query_one("#import-census", Select)
        # the census list arrives from a worker: wait until it offers one (its drop-down list
        # holds the blank choice and the censuses)
        await settle(pilot, lambda: select.query_one(OptionList).option_count > 1)
        select.value = cid
        screen.query_one("#import-path", Input).value = str(path)
        screen.query_one("#import-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: screen.plan is not None)
        plan = screen.plan
        assert plan is not None
        assert plan.summary() == "added 2, duplicate 0, unmatched 0, rejected 3"
        added = screen.query_one("#import-added", DataTable)
        first, second = (added.get_row_at(i) for i in range(2))
        assert str(first[5]) == "轻度" and str(second[5]) == "无或极轻微"
        assert "普查时间窗之前" in second[7] and "平台" in second[7]
        assert "1 行的日期在普查时间窗" in screen.summary
        skipped = screen.query_one("#import-unmatched", DataTable)
        rows = [skipped.get_row_at(i) for i in range(skipped.row_count)]
        assert [(r[0], r[1]) for r in rows] == [("4", "拒绝"), ("5", "拒绝"), ("6", "拒绝")]
        assert "在文件中出现多次（第4、5行）" in rows[0][2]
        assert "第 1 题：答案 9 超出 0–3" in rows[2][2]

"""Census completion and freezing, survey-response import, analysis — real vault."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from counselor_tui.domain.instruments import builtin
from counselor_tui.services import analysis, assessments, audit, census, responses_import
from counselor_tui.services.assessments import AssessmentDraft
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied
from db.models import Assessment
from tests.integration.census_world import SURVEY, World

NOV1, NOV30 = date(2026, 11, 1), date(2026, 11, 30)


pytestmark = pytest.mark.world("census")


@pytest.fixture
def coord(world: World) -> VaultSession:
    return world.login("coord")


def record(vs: VaultSession, pid: int, code: str, on: date, value: int | None = None) -> int:
    defn = builtin(code)
    answers = tuple([defn.response_min if value is None else value] * defn.item_count)
    return assessments.record_assessment(vs, AssessmentDraft(pid, code, answers, on)).id


def independent_completion(vs: VaultSession, census_id: int) -> dict[int, tuple[int, int]]:
    """unit id -> (target officers, officers with every instrument) by a different query."""
    c = census.get_census(vs, census_id)
    with vs.reading():
        targets = {int(r[0]): int(r[1]) for r in vs.execute(
            "SELECT cu.unit_id, (SELECT COUNT(*) FROM person p WHERE p.unit_id = cu.unit_id "
            "AND p.kind = 'officer' AND p.voided_at IS NULL AND p.archived_at IS NULL) "
            "FROM census_unit cu WHERE cu.census_id = ?", (census_id,))}
        marks = ",".join("?" for _ in c.instruments)
        done = {int(r[0]): int(r[1]) for r in vs.execute(
            "SELECT p.unit_id, COUNT(*) FROM person p WHERE p.kind = 'officer' "
            "AND p.voided_at IS NULL AND p.archived_at IS NULL AND p.id IN ("
            "SELECT a.person_id FROM assessment a WHERE a.complete = 1 AND a.voided_at IS NULL "
            f"AND a.administered_on BETWEEN ? AND ? AND a.instrument_code IN ({marks}) "
            "GROUP BY a.person_id HAVING COUNT(DISTINCT a.instrument_code) = ?) "
            "GROUP BY p.unit_id", (c.starts_on, c.ends_on, *c.instruments,
                                   len(c.instruments)))}
    return {unit: (n, done.get(unit, 0)) for unit, n in targets.items()}


def test_completion_by_unit_matches_an_independent_count_and_freezes(
        world: World, coord: VaultSession, clock: FixedClock) -> None:
    east, west = world.units["城东派出所"], world.units["城西派出所"]
    cid = census.create_census(coord, census.CensusDraft(
        "2026年冬季普查", NOV1, NOV30, ("phq9", "gad7"), (east, west)))
    b = world.badges
    # 城东 (4 officers): 330701 both, 330702 phq9 only, 330709 gad7 outside the window,
    # 330724 phq9 incomplete; 城西 (3): 330700 both, 330718 both, 330706 phq9 only
    for badge in ("330701", "330700", "330718"):
        record(coord, b[badge], "phq9", date(2026, 11, 10))
        record(coord, b[badge], "gad7", date(2026, 11, 11))
    record(coord, b["330702"], "phq9", date(2026, 11, 12))
    record(coord, b["330709"], "phq9", date(2026, 11, 12))
    record(coord, b["330709"], "gad7", date(2026, 10, 31))
    assessments.record_assessment(coord, AssessmentDraft(
        b["330724"], "phq9", (0, 0, None, None, 0, 0, 0, 0, 0), date(2026, 11, 12)))
    record(coord, b["330724"], "gad7", date(2026, 11, 12))
    record(coord, b["330706"], "phq9", date(2026, 11, 13), value=2)  # 城西, positive

    figures = census.figures(coord, cid)
    expected = independent_completion(coord, cid)
    assert {u.unit_id: (u.target, u.completed) for u in figures.units} == expected
    assert expected[east] == (4, 1)
    assert expected[west] == (3, 2)
    assert (figures.target, figures.completed) == (7, 3)
    assert figures.per_instrument == {"phq9": 6, "gad7": 4}
    assert figures.positive == {"phq9": 1, "gad7": 0}
    assert not figures.frozen

    pending = census.not_screened(coord, cid)
    assert {p.person_id: p.missing for p in pending}[b["330702"]] == ("gad7",)
    assert {p.person_id: p.missing for p in pending}[b["330724"]] == ("phq9",)
    assert len(pending) == 4
    assert [p.person_id for p in census.not_screened(coord, cid, unit_id=west)] == [
        b["330706"]]

    closed = census.close_census(coord, cid)
    assert closed.frozen
    assert (closed.target, closed.completed) == (7, 3)
    with pytest.raises(Conflict):
        census.close_census(coord, cid)
    clock.advance(days=1)
    record(coord, b["330702"], "gad7", date(2026, 11, 20))   # would complete 330702
    assert independent_completion(coord, cid)[east] == (4, 2)  # the live count moved …
    frozen = census.figures(coord, cid)                       # … the frozen figures did not
    assert frozen.frozen
    assert {u.unit_id: (u.target, u.completed) for u in frozen.units} == {
        east: (4, 1), west: (3, 2)}
    assert census.get_census(coord, cid).completed == 3
    assert census.get_census(coord, cid).status == "closed"
    with pytest.raises(Conflict):
        assessments.record_assessment(coord, AssessmentDraft(
            b["330701"], "phq9", (0,) * 9, date(2026, 11, 25), census_id=cid))
    assert audit.verify_chain(coord).ok


def test_census_roles_validation_and_dashboard(world: World, coord: VaultSession) -> None:
    east = world.units["城东派出所"]
    draft = census.CensusDraft("普查", NOV1, NOV30, ("phq9",), (east,))
    with pytest.raises(PermissionDenied):
        census.create_census(world.login("li"), draft)
    with pytest.raises(InvalidInput):
        census.create_census(coord, census.CensusDraft("", NOV1, NOV30, ("phq9",), (east,)))
    with pytest.raises(InvalidInput):
        census.create_census(coord, census.CensusDraft("x", NOV30, NOV1, ("phq9",), (east,)))
    with pytest.raises(InvalidInput):
        census.create_census(coord, census.CensusDraft("x", NOV1, NOV30, ("bdi",), (east,)))
    cid = census.create_census(coord, draft)
    record(coord, world.badges["330701"], "phq9", date(2026, 11, 3))
    section = census.dashboard_section(world.login("audit"))   # aggregates: any role
    assert section is not None
    assert section.extra == {"open": 1, "completed": 1, "target": 4}
    assert "1/4" in section.items[0].text
    assert section.items[0].ref == f"census:{cid}"
    with pytest.raises(PermissionDenied):
        census.not_screened(world.login("audit"), cid)


# --------------------------------------------------------------------------- import


def test_the_sample_export_imports_25_and_lists_1_unmatched(world: World,
                                                            coord: VaultSession) -> None:
    plan = responses_import.plan_import(coord, SURVEY, "phq9")
    assert plan.summary() == "added 25, duplicate 0, unmatched 1, rejected 0"
    assert [(u.row, u.reason) for u in plan.unmatched] == [
        (27, "badge number not in the archive")]
    assert plan.unmatched[0].badge_no == "999999"
    assert plan.columns.by == "header"
    assert responses_import.existing_count(coord, "phq9") == 0   # a dry run writes nothing
    first = plan.added[0]
    assert (first.row, first.person_id, first.administered_on) == (
        2, world.badges["330700"], "2026-11-19")
    assert first.responses == (2, 0, 1, 0, 1, 0, 0, 0, 0)

    applied = responses_import.apply_import(coord, plan)
    assert len(applied.assessment_ids) == 25
    assert responses_import.existing_count(coord, "phq9") == 25
    item9 = {r.row for r in plan.added if r.responses[8]}
    assert {a.row for a in applied.alerts} == item9
    assert applied.red_suggestions == len(item9)
    assert applied.suggestions == 25  # everyone was untiered: green or red
    with coord.reading():
        stored = Assessment.get_by_id(applied.assessment_ids[0])
        assert stored.source == "import"
        assert stored.total == 4

    again = responses_import.plan_import(coord, SURVEY, "phq9")
    assert again.summary() == "added 0, duplicate 25, unmatched 1, rejected 0"
    assert responses_import.apply_import(coord, again).assessment_ids == ()
    assert responses_import.existing_count(coord, "phq9") == 25
    assert audit.verify_chain(coord).ok


def test_import_is_coordinators_only(world: World) -> None:
    with pytest.raises(PermissionDenied):
        responses_import.plan_import(world.login("li"), SURVEY, "phq9")


def write_gbk_csv(path: Path, rows: list[list[object]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gbk"))
    return path


def test_gbk_csv_with_labels_and_name_unit_matching(world: World, coord: VaultSession,
                                                    tmp_path: Path) -> None:
    labels = builtin("gad7").response_labels_zh
    header = ["姓名", "单位", "提交时间", *[f"GAD-7 第{i}题" for i in range(1, 8)]]
    path = write_gbk_csv(tmp_path / "gad7.csv", [
        header,
        ["刘芳", "城东派出所", "2026-11-05", *[labels[1]] * 7],          # one match
        ["刘芳 ", " 城东派出所", "2026-11-05", *[labels[1]] * 7],        # same again: dup
        ["刘芳", "城西派出所", "2026-11-05", *[labels[0]] * 7],          # wrong unit
        ["刘芳", "", "2026-11-05", *[labels[0]] * 7],                    # no unit
        ["刘芳", "城东派出所", "2026-11-05", "有时", *[labels[0]] * 6],  # bad answer
    ])
    plan = responses_import.plan_import(coord, path, "gad7")
    assert plan.summary() == "added 1, duplicate 1, unmatched 2, rejected 1"
    assert plan.added[0].person_id == world.badges["330702"]
    assert plan.added[0].total == 7
    assert [(u.row, u.reason) for u in plan.unmatched] == [
        (4, "no officer of this name in this unit"),
        (5, "no badge number and no unit: a name alone is not matched"),
    ]
    assert [(u.row, u.reason) for u in plan.rejected] == [(6, "item 1: unknown answer '有时'")]


def test_badge_and_name_must_agree_and_date_option(world: World, coord: VaultSession,
                                                   tmp_path: Path) -> None:
    header = ["警号", "姓名", *[f"Q{i}" for i in range(1, 10)]]
    path = write_gbk_csv(tmp_path / "phq.csv", [
        header,
        ["３３０７１０", "魏英伟", *[0] * 9],
        ["330711", "张冒名", *[0] * 9],
    ])
    with pytest.raises(InvalidInput, match="--date"):
        responses_import.plan_import(coord, path, "phq9")
    plan = responses_import.plan_import(coord, path, "phq9", administered_on=date(2026, 11, 2))
    assert plan.summary() == "added 1, duplicate 0, unmatched 1, rejected 0"
    assert plan.added[0].administered_on == "2026-11-02"
    assert plan.unmatched[0].reason == "badge number and name do not agree"


def test_import_links_to_the_census(world: World, coord: VaultSession) -> None:
    units = tuple(world.units.values())
    cid = census.create_census(coord, census.CensusDraft("PHQ-9 普查", NOV1, NOV30, ("phq9",),
                                                         units))
    plan = responses_import.plan_import(coord, SURVEY, "phq9", census_id=cid)
    responses_import.apply_import(coord, plan)
    figures = census.figures(coord, cid)
    assert figures.completed == 25
    assert figures.target == 40
    with coord.reading():
        assert {a.census_id for a in Assessment.select()} == {cid}


# --------------------------------------------------------------------------- analysis


def test_analysis_aggregates_trend_and_early_warnings(world: World, coord: VaultSession,
                                                       clock: FixedClock) -> None:
    from counselor_tui.services import tier_policy

    b = world.badges
    plan = responses_import.plan_import(coord, SURVEY, "phq9")
    applied = responses_import.apply_import(coord, plan)
    assert applied.suggestions == 25
    for suggestion in tier_policy.pending(coord):
        tier_policy.confirm(coord, suggestion.id)

    by_unit = {r.label: r for r in analysis.tier_distribution(coord, "unit")}
    with coord.reading():
        expected = {str(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in coord.execute(
            "SELECT u.name, COUNT(*), SUM(CASE WHEN t.tier = 'red' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN t.tier IS NULL THEN 1 ELSE 0 END) FROM person p "
            "JOIN unit u ON u.id = p.unit_id LEFT JOIN tier_state t ON t.person_id = p.id "
            "GROUP BY u.name")}
    assert {k: (v.officers, v.red, v.untiered) for k, v in by_unit.items()} == expected
    east = by_unit["城东派出所"]
    assert (east.officers, east.red, east.green, east.untiered) == (4, 1, 3, 0)
    by_type = {r.label: r for r in analysis.tier_distribution(coord, "police_type")}
    assert by_type["刑侦"].officers == 5
    assert sum(r.officers for r in by_type.values()) == 40

    record(coord, b["330706"], "phq9", date(2026, 11, 25), value=2)  # 6 -> 18
    rates = {r.label: r for r in analysis.positive_rates(coord, "phq9", "unit")}
    assert (rates["城西派出所"].assessed, rates["城西派出所"].positive) == (3, 1)
    assert rates["城东派出所"].rate == 0
    assert analysis.positive_rates(coord, "phq9", "unit", ends_on=date(2026, 10, 1)) == []

    trend = analysis.score_trend(coord, b["330706"], "phq9")
    assert [(p.on, p.total) for p in trend] == [("2026-11-08", 6.0), ("2026-11-25", 18.0)]

    clock.advance(days=10)  # red reviews (due 7 days after confirming) are now overdue
    warnings = analysis.early_warnings(coord)
    score_lines = [w for w in warnings if w.instrument == "phq9"]
    assert [(w.person_id, w.reasons) for w in score_lines] == [
        (b["330706"], ("rise", "band_crossed"))]
    assert score_lines[0].labels == ("score rose by 5 or more", "moved into a higher band")
    overdue = {w.person_id for w in warnings if w.reasons == ("review_overdue",)}
    assert overdue == {r.person_id for r in plan.added if r.responses[8]}
    with pytest.raises(PermissionDenied):
        analysis.early_warnings(world.login("audit"))
    assert analysis.tier_distribution(world.login("audit"))  # aggregates are allowed


# --------------------------------------------------------------------------- tester findings


def phq_rows(rows: list[list[object]], total: bool = True) -> list[list[object]]:
    header = ["提交答卷时间", "警号", "姓名", *[f"PHQ9第{i}题" for i in range(1, 10)]]
    return [header + (["总分"] if total else []), *rows]


def test_a_respondent_repeated_in_the_file_is_never_guessed(world: World, coord: VaultSession,
                                                             tmp_path: Path) -> None:
    path = write_gbk_csv(tmp_path / "rep.csv", phq_rows([
        ["2026-11-05", "330700", "高帆鑫", *[1] * 9, 9],
        ["2026-11-05", "330701", "刘鹏凯", *[0] * 9, 0],
        ["2026-11-06", "330700", "高帆鑫", *[2] * 9, 18],
        ["2026-11-05", "330700", "高帆鑫", *[1] * 8, 0, 8],
        ["2026-11-05", "330701", "刘鹏凯", *[0] * 9, 0],   # identical: a plain duplicate
    ]))
    plan = responses_import.plan_import(coord, path, "phq9")
    assert plan.summary() == "added 1, duplicate 1, unmatched 0, rejected 3"
    assert [r.row for r in plan.rejected] == [2, 4, 5]
    assert all("appears more than once in the file (rows 2, 4, 5)" in r.reason
               for r in plan.rejected)
    assert plan.added[0].person_id == world.badges["330701"]
    applied = responses_import.apply_import(coord, plan)
    assert len(applied.assessment_ids) == 1
    with coord.reading():
        assert Assessment.select().where(
            Assessment.person == world.badges["330700"]).count() == 0


def test_unreadable_rows_are_rejected_with_their_reason_not_unmatched(
        world: World, coord: VaultSession, tmp_path: Path) -> None:
    path = write_gbk_csv(tmp_path / "bad.csv", phq_rows([
        ["2026-11-05", "330700", "高帆鑫", 1, 4, *[1] * 7, 11],
        ["昨天下午", "330701", "刘鹏凯", *[0] * 9, 0],
        ["2026-11-05", "330702", "刘芳", *[0] * 9, 0],
        ["2026-11-05", "999999", "无此人", *[0] * 9, 0],
    ]))
    plan = responses_import.plan_import(coord, path, "phq9")
    assert plan.summary() == "added 1, duplicate 0, unmatched 1, rejected 2"
    assert [(u.row, u.reason) for u in plan.rejected] == [
        (2, "item 2: answer 4 is outside 0–3"),
        (3, "unreadable submission date '昨天下午'")]
    assert [(u.row, u.reason) for u in plan.unmatched] == [
        (5, "badge number not in the archive")]
    assert [u.row for u in plan.not_imported()] == [2, 3, 5]


def test_platform_total_and_census_window_warnings(world: World, coord: VaultSession,
                                                   tmp_path: Path) -> None:
    cid = census.create_census(coord, census.CensusDraft(
        "PHQ-9 普查", NOV1, NOV30, ("phq9",), tuple(world.units.values())))
    path = write_gbk_csv(tmp_path / "warn.csv", phq_rows([
        ["2026-11-05", "330700", "高帆鑫", *[1] * 9, 9],      # agrees
        ["2026-11-05", "330701", "刘鹏凯", *[1] * 9, 12],     # the platform says 12
        ["2026-10-28", "330702", "刘芳", *[0] * 9, 0],        # before the window
        ["2026-11-05", "330703", "熊英", *[1] * 8, None, ""],  # prorated, no platform total
    ]))
    plan = responses_import.plan_import(coord, path, "phq9", census_id=cid)
    assert plan.summary() == "added 4, duplicate 0, unmatched 0, rejected 0"
    assert plan.added[1].total == 9 and plan.added[1].platform_total == 12
    assert [(w.row, w.reason) for w in plan.warnings] == [
        (3, "the platform's own total differs from the total computed from the items "
            "(the computed total is used)"),
        (4, "dated before the census window: it will not count toward its completion"),
        (5, "item(s) 9 left blank: the total 9 is prorated from the answered items")]
    assert plan.outside_window == (4,) and plan.census_window == ("2026-11-01", "2026-11-30")
    assert plan.added[3].critical_unanswered == (9,)
    no_census = responses_import.plan_import(coord, path, "phq9")
    assert [w.row for w in no_census.warnings] == [3, 5]  # no window without a census
    responses_import.apply_import(coord, plan)
    assert census.figures(coord, cid).completed == 3  # the October row does not count


def test_a_date_before_2000_rejects_the_rows(world: World, coord: VaultSession) -> None:
    plan = responses_import.plan_import(coord, SURVEY, "phq9",
                                        administered_on=date(1900, 1, 1))
    assert plan.summary() == "added 0, duplicate 0, unmatched 1, rejected 25"
    assert {r.reason for r in plan.rejected} == {"the date is before 2000: check it"}

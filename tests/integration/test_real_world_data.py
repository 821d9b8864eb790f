"""Real-world data in the importers and in search (issue 16 point 5): month-only dates,
numbers a spreadsheet converted, characters beyond the BMP, middle dots and their
look-alikes, totals rows, blank survey answers, text kept as typed. Each file is built here
from the kinds a clerk's spreadsheet holds, in the smallest form that shows the rule."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from counselor_tui.domain.instruments import builtin
from counselor_tui.services import persons, responses_import, roster
from counselor_tui.services.context import VaultSession
from db.models import Person, Unit
from tests.integration.archive_world import World, officer

HEADER = ["序号", "警号", "姓名", "性别", "出生年月", "单位", "警种", "职务", "入警时间",
          "联系电话"]
EXT_B = "\U0002123c"  # 𡈼 (ting), CJK Extension B
JI = "\U00020bb7"  # 𠮷, the 吉 of a family name, unknown to pypinyin


@pytest.fixture
def world_kind() -> str:
    return "archive"


@pytest.fixture
def coord(world: World) -> VaultSession:
    return world.login("coord")


def workbook(folder: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = folder / "花名册.xlsx"
    book.save(path)
    return path


def test_a_clerks_roster_every_kind_at_once(world: World, coord: VaultSession,
                                            tmp_path: Path) -> None:
    path = workbook(tmp_path, [
        ["某县公安局民警花名册"],
        HEADER,
        [1, "330801", "阿依古丽·买买提", "女", "1985年3月", "城关派出所", "", "民警",
         "2008-07-01", "13607069464"],
        [2, "330802", "热依拉•托乎提", "女", "1990-05-06", "城关派出所（东区）", "派出所",
         "民警", "2012.09", ""],
        [3, "330803", f"{JI}{EXT_B}", "男", "1988-01-02", "城关派出所", "", "", "", ""],
        [4, "330804.0", "王伟", "男", "1988-01-02", "城关派出所", "", "", "", ""],
        [5, "330805", "李强", "男", "1988-01-02", "城关派出所", "", "", "", "1.38123E+10"],
        [6, "330806", "赵敏", "女", "1988-01-02", "城关派出所", "", "", "", "13812345678.0"],
        [7, "合计", None, None, None, "4人", None, None, None, None],
        [8, "330807", "陈立", "男", "1988-01-02", "城关派出所", "", "", "", ""],
        [9, "330808", "程刚", "男", "1988-01-02", "城关派出所", "", "", "", ""],
        [10, "330809", "陈阿", "男", "1988-01-02", "城关派出所", "", "", "", ""],
    ])
    plan = roster.plan_roster_import(coord, path, create_units=True)
    rejected = {r.row: r.reason for r in plan.rejected}
    assert sorted(rejected) == [6, 7, 8, 9]  # the title and header are rows 1 and 2
    assert "badge number “330804.0”" in rejected[6] and "scientific notation" in rejected[6]
    assert "phone number “1.38123E+10”" in rejected[7]
    assert "phone number “13812345678.0”" in rejected[8]
    assert rejected[9].startswith("a totals row")
    warnings = {w.row: w.reason for w in plan.warnings}
    assert "“1985年3月” gives only the month: it is stored as 1985-03-01" in warnings[3]
    assert "“2012.09” gives only the month: it is stored as 2012-09-01" in warnings[4]
    assert 5 not in warnings  # whole dates: no note
    assert plan.new_units == ("城关派出所（东区）",)  # not folded to ASCII brackets
    roster.apply_roster_import(coord, plan)

    with coord.reading():
        stored = {p.badge_no: (p.name, p.name_pinyin) for p in Person.select()}
        units = {u.name for u in Unit.select()}
    assert stored["330801"][0] == "阿依古丽·买买提"  # stored as typed
    assert stored["330802"][0] == "热依拉•托乎提"
    assert stored["330803"] == (f"{JI}{EXT_B}", "jiting")
    assert "城关派出所（东区）" in units and "城关派出所(东区)" not in units

    def found(text: str) -> list[str]:
        return [r.name for r in persons.find_persons(coord, text)]

    for typed in ("阿依古丽买买提", "阿依古丽·买买提", "阿依古丽•买买提", "阿依古丽・买买提",
                  "阿依古丽．买买提", "古丽﹒买", "依古丽‧买"):
        assert found(typed) == ["阿依古丽·买买提"], typed
    assert found("热依拉托乎提") == found("热依拉·托乎提") == ["热依拉•托乎提"]
    assert found(EXT_B) == found(JI) == found("jit") == found("jt") == [f"{JI}{EXT_B}"]
    assert found("李强") == found("赵敏") == found("王伟") == []  # nothing stored as typed
    # Sorted by pinyin like other Chinese names: 𠮷𡈼 (ji ting) among the j's.
    listed = [r.name for r in persons.list_persons(coord, persons.ArchiveQuery(), 0, 50)]
    assert listed.index(f"{JI}{EXT_B}") < listed.index("热依拉•托乎提")


def test_unit_names_keep_their_brackets_and_match_folded(world: World) -> None:
    unit = persons.create_unit(world.admin, "城关派出所（西区）", "派出所")
    with world.admin.reading():
        assert Unit.get_by_id(unit).name == "城关派出所（西区）"
    with pytest.raises(Exception, match="exists already"):
        persons.create_unit(world.admin, "城关派出所(西区)", "派出所")


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    return path


def test_a_survey_export_with_blanks_totals_and_converted_badges(
        world: World, coord: VaultSession, tmp_path: Path) -> None:
    officer(world, "刘芳", "330901")
    officer(world, "马丽", "330902")
    officer(world, "阿依古丽·买买提", "330903")
    assert builtin("phq9").missing.rule == "prorate"
    path = write_csv(tmp_path / "phq9.csv", [
        ["警号", "姓名", *[f"PHQ9第{i}题" for i in range(1, 10)], "总分"],
        ["330901", "刘芳", 1, 1, "", 1, 1, 1, 1, 1, 1, 9],        # one blank: prorated
        ["330902", "马丽", *[0] * 9, 0],                          # complete: no note
        ["3.30903E+05", "阿依古丽·买买提", *[0] * 9, 0],          # converted badge
        ["合计", None, *[1] * 9, 8],                              # the totals row
        ["330903", "阿依古丽买买提", "", "", "", "", "", 0, 0, 0, 0, 0],  # no dot; 5 blanks
    ])
    plan = responses_import.plan_import(coord, path, "phq9", administered_on=date(2026, 11, 2))
    notes = {w.row: w.reason for w in plan.warnings}
    assert notes[2] == "item(s) 3 left blank: the total 9 is prorated from the answered items"
    assert 3 not in notes
    rejected = {r.row: r.reason for r in plan.rejected}
    assert "scientific notation" in rejected[4]
    assert rejected[5].startswith("a totals row")
    assert notes[6] == ("item(s) 1、2、3、4、5 left blank: the instrument's rule for blank "
                        "items gives no total") or notes[6].startswith("item(s) 1, 2, 3, 4, 5")
    assert [a.row for a in plan.added] == [2, 3, 6]  # the name matched without its dot

"""Roster import (DESIGN §9, §10) against real vaults, with the shared sample roster."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from counselor_tui.services import audit, persons, roster
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import PermissionDenied
from db.models import AuditEvent, Person, Unit
from tests.conftest import PASSPHRASE, SAMPLES, run_cli, write_secret
from tests.integration.archive_world import World
from tests.worlds import OFFICE, add_office, as_office


@pytest.fixture
def office(session: VaultSession) -> VaultSession:
    """The admin's session with the office's rights (imports are the office's)."""
    return as_office(session)

SAMPLE = SAMPLES / "roster_sample.xlsx"
SAMPLE_UNITS = ("城西派出所", "城东派出所", "古镇派出所", "刑事侦查大队", "治安管理大队",
                "江南派出所", "交警大队", "政治处", "指挥中心", "巡特警大队", "看守所",
                "经济犯罪侦查大队")

pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="shared/samples not laid out")


def add_sample_units(vs: VaultSession) -> None:
    for name in SAMPLE_UNITS:
        persons.create_unit(vs, name, "其他")


def sample_rows() -> list[list[object]]:
    wb = openpyxl.load_workbook(SAMPLE, read_only=True, data_only=True)
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def as_csv(rows: list[list[object]], folder: Path, encoding: str, name: str,
           delimiter: str = ",") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    for row in rows:
        writer.writerow(["" if c is None else str(c) for c in row])
    path = folder / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def reasons(plan: roster.RosterPlan) -> dict[int, str]:
    return {r.row: r.reason for r in plan.rejected}


def test_sample_roster_imports_40_and_rejects_the_last_three(office: VaultSession) -> None:
    add_sample_units(office)
    plan = roster.plan_roster_import(office, SAMPLE)
    assert plan.summary() == "added 40, updated 0, unchanged 0, rejected 3"
    assert plan.header_row == 3
    rejected = reasons(plan)
    assert list(rejected) == [44, 45, 46]
    assert "repeats row 7" in rejected[44]
    assert "missing badge number" in rejected[45]
    assert "month 13" in rejected[46] and "unknown unit 不存在的单位" in rejected[46]
    assert plan.new_units == ("不存在的单位",)
    assert [w.row for w in plan.warnings] == [5, 26]  # future hire dates left out
    with office.reading():
        assert Person.select().count() == 0  # a dry run writes nothing

    done = roster.apply_roster_import(office, plan)
    assert done.applied and done.summary() == plan.summary()
    with office.reading():
        assert Person.select().count() == 40
        wei = Person.get(Person.badge_no == "330710")  # full-width badge in the file
        ding = Person.get(Person.badge_no == "330706")
        song = Person.get(Person.badge_no == "330704")
        events = list(AuditEvent.select().where(AuditEvent.action.in_(["create", "import"]),
                                                AuditEvent.entity.in_(["person", "roster"])))
    assert (wei.name, wei.birth_date, wei.hire_date) == ("魏英伟", "1990-02-26", "2015-02-26")
    assert ding.name == "丁辉" and ding.name_initials == "dh"  # trailing space gone
    assert (song.birth_date, song.hire_date, song.police_type) == ("1971-06-04", "1997-06-04",
                                                                   "刑侦")
    assert len(events) == 41 and events[-1].action == "import"
    assert events[-1].detail["added"] == 40 and events[-1].detail["rejected"] == 3
    assert audit.verify_chain(office).ok

    again = roster.plan_roster_import(office, SAMPLE)
    assert again.summary() == "added 0, updated 0, unchanged 40, rejected 3"
    assert roster.apply_roster_import(office, again).summary() == again.summary()
    with office.reading():
        assert Person.select().count() == 40


def test_units_are_never_created_silently(office: VaultSession) -> None:
    plan = roster.plan_roster_import(office, SAMPLE)
    assert plan.summary() == "added 0, updated 0, unchanged 0, rejected 43"
    assert set(plan.new_units) == {*SAMPLE_UNITS, "不存在的单位"}

    plan = roster.plan_roster_import(office, SAMPLE, create_units=True)
    assert plan.summary() == "added 40, updated 0, unchanged 0, rejected 3"
    assert set(plan.new_units) == set(SAMPLE_UNITS)  # not the unit of a rejected row
    assert "month 13" in reasons(plan)[46] and "unknown unit" not in reasons(plan)[46]
    roster.apply_roster_import(office, plan)
    with office.reading():
        units = {u.name: u.police_type for u in Unit.select()}
    assert set(units) == set(SAMPLE_UNITS)
    assert units["交警大队"] == "交警" and units["看守所"] == "监管"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-8"])
def test_csv_exports_read_like_the_workbook(office: VaultSession, tmp_path: Path,
                                            encoding: str) -> None:
    add_sample_units(office)
    path = as_csv(sample_rows(), tmp_path, encoding, "roster.csv")
    plan = roster.plan_roster_import(office, path)
    assert plan.summary() == "added 40, updated 0, unchanged 0, rejected 3"
    assert list(reasons(plan)) == [44, 45, 46]
    roster.apply_roster_import(office, roster.plan_roster_import(office, SAMPLE))
    assert roster.plan_roster_import(office, path).summary() == (
        "added 0, updated 0, unchanged 40, rejected 3")


def test_changed_rows_update_only_what_differs(office: VaultSession, tmp_path: Path) -> None:
    add_sample_units(office)
    roster.apply_roster_import(office, roster.plan_roster_import(office, SAMPLE))
    rows = sample_rows()
    rows[3][7] = "所长"      # 330700: new post
    rows[3][9] = None        # and an empty phone cell, which must not erase the phone
    rows[4][5] = "城西派出所"  # 330701 moves unit
    plan = roster.plan_roster_import(office, as_csv(rows, tmp_path, "utf-8", "r.csv"))
    assert plan.summary() == "added 0, updated 2, unchanged 38, rejected 3"
    assert {r.badge_no: r.changes for r in plan.updated} == {
        "330700": ("post",), "330701": ("unit_id",)}
    roster.apply_roster_import(office, plan)
    with office.reading():
        gao = Person.get(Person.badge_no == "330700")
        updates = [e.detail for e in AuditEvent.select().where(AuditEvent.action == "update")]
    assert (gao.post, gao.phone) == ("所长", "13607069464")
    assert updates == [{"fields": ["post"]}, {"fields": ["unit_id"]}]


def test_header_variants_tabs_and_title_rows(office: VaultSession, tmp_path: Path) -> None:
    add_sample_units(office)
    rows: list[list[object]] = [
        ["XX公安局在职民警名单"], [],
        ["序号", "民警姓名", "警员编号", "所在单位", "岗位", "出生年月", "参加公安工作时间",
         "手机号码"],
        [1, "欧阳 娜娜", "５５０００１", "城西派出所 ", "民警", "1990.05", "2013年8月1日",
         "139 0000 0000"],
        [2, "张三", "550002", "城东派出所", "", "3月12日", "", ""],
    ]
    path = as_csv(rows, tmp_path, "gbk", "名单.txt", delimiter="\t")
    plan = roster.plan_roster_import(office, path)
    assert plan.summary() == "added 1, updated 0, unchanged 0, rejected 1"
    row = plan.added[0]
    assert (row.row, row.badge_no, row.name, row.unit, row.birth_date, row.hire_date,
            row.phone) == (4, "550001", "欧阳娜娜", "城西派出所", "1990-05-01", "2013-08-01",
                           "13900000000")
    assert row.police_type == "其他"  # the unit's default
    assert "no year" in reasons(plan)[5]


def test_unreadable_files_are_refused(office: VaultSession, tmp_path: Path) -> None:
    utf16 = tmp_path / "r.csv"
    utf16.write_bytes("警号,姓名,单位\n1,张三,城西派出所\n".encode("utf-16"))
    with pytest.raises(roster.RosterUnreadable, match="encoding"):
        roster.plan_roster_import(office, utf16)
    no_header = tmp_path / "n.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(roster.RosterUnreadable, match="header"):
        roster.plan_roster_import(office, no_header)
    with pytest.raises(roster.RosterUnreadable):
        roster.plan_roster_import(office, tmp_path / "missing.xlsx")
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(roster.RosterUnreadable):
        roster.plan_roster_import(office, broken)




@pytest.mark.world("archive")
def test_only_coordinators_import(world: World) -> None:
    for vs in (world.login("li"), world.login("audit"), world.admin):
        with pytest.raises(PermissionDenied):
            roster.plan_roster_import(vs, SAMPLE)
    plan = roster.plan_roster_import(world.login("coord"), SAMPLE, create_units=True)
    assert len(plan.added) == 40


def test_cli_dry_run_then_apply(session: VaultSession, office: VaultSession, vault_path: Path,
                                tmp_path: Path) -> None:
    add_sample_units(office)
    add_office(session)
    office.close()
    secret = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    base = ("--vault", str(vault_path), "--user", OFFICE, "--passphrase-file", str(secret))
    for lang in ("en", "zh"):
        dry = run_cli(*base, "--lang", lang, "import", "roster", str(SAMPLE))
        assert dry.returncode == 0, dry.stderr
        lines = dry.stdout.splitlines()
        assert lines[0] == "added 40, updated 0, unchanged 0, rejected 3"
        assert [line.split(":")[0] for line in lines[1:]] == ["row 44", "row 45", "row 46"]
        assert "330703" in lines[1]  # the repeated badge number is named
    applied = run_cli(*base, "import", "roster", str(SAMPLE), "--apply")
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines()[0] == "added 40, updated 0, unchanged 0, rejected 3"
    again = run_cli(*base, "import", "roster", str(SAMPLE))
    assert again.stdout.splitlines()[0] == "added 0, updated 0, unchanged 40, rejected 3"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    unreadable = run_cli(*base, "import", "roster", str(bad))
    assert unreadable.returncode == 2
    assert unreadable.stdout == ""


def test_dates_in_the_future_are_judged_by_the_vault_clock(office: VaultSession,
                                                          clock: FixedClock) -> None:
    add_sample_units(office)
    clock.current = datetime(2027, 6, 1, 9, 0, tzinfo=clock.current.tzinfo)
    plan = roster.plan_roster_import(office, SAMPLE)
    assert [w.row for w in plan.warnings] == []
    assert office.today() == date(2027, 6, 1)


# --------------------------------------------------------------------------- tester findings


def write_csv(folder: Path, name: str, rows: list[list[object]]) -> Path:
    return as_csv([["警号", "姓名", "性别", "出生日期", "单位", "警种", "职务"], *rows],
                  folder, "utf-8", name)


def test_a_badge_of_another_name_is_rejected_not_rewritten(office: VaultSession,
                                                           tmp_path: Path) -> None:
    add_sample_units(office)
    roster.apply_roster_import(office, roster.plan_roster_import(office, SAMPLE))
    with office.reading():
        before = Person.get(Person.badge_no == "330700")
    swap = write_csv(tmp_path, "swap.csv", [
        ["330700", "完全不同的人", "男", "1980-01-01", "城东派出所", "派出所", "所长"]])
    plan = roster.plan_roster_import(office, swap)
    assert plan.summary() == "added 0, updated 0, unchanged 0, rejected 1"
    reason = plan.rejected[0].reason
    assert "already belongs to another person" in reason and "correct the roster" in reason
    assert before.name not in reason and "完全不同的人" not in reason
    assert (plan.rejected[0].badge_no, plan.rejected[0].name) == ("330700", "完全不同的人")
    roster.apply_roster_import(office, plan)
    with office.reading():
        after = Person.get(Person.badge_no == "330700")
    assert (after.name, after.unit_id, after.birth_date) == (
        before.name, before.unit_id, before.birth_date)

    moved = write_csv(tmp_path, "moved.csv", [
        ["330700", f" {before.name} ", "", "", "城东派出所", "", "所长"]])
    plan = roster.plan_roster_import(office, moved)
    assert plan.summary() == "added 0, updated 1, unchanged 0, rejected 0"
    assert plan.updated[0].changes == ("unit_id", "post")
    assert plan.updated[0].change_labels() == "unit, post"


def test_cli_shows_what_an_update_changes_and_never_a_name(session: VaultSession,
                                                           office: VaultSession,
                                                           vault_path: Path,
                                                           tmp_path: Path) -> None:
    add_sample_units(office)
    roster.apply_roster_import(office, roster.plan_roster_import(office, SAMPLE))
    with office.reading():
        gao = str(Person.get(Person.badge_no == "330700").name)
    add_office(session)
    office.close()
    secret = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    base = ("--vault", str(vault_path), "--user", OFFICE, "--passphrase-file", str(secret))
    path = write_csv(tmp_path, "r.csv", [
        ["330700", gao, "", "", "城东派出所", "", "所长"],
        ["330701", "完全不同的人", "", "", "城东派出所", "", ""]])
    run = run_cli(*base, "--lang", "en", "import", "roster", str(path))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == "added 0, updated 1, unchanged 0, rejected 1"
    assert "row 2 (update): unit, post" in run.stderr.splitlines()
    assert run.stdout.splitlines()[1].startswith("row 3: badge number 330701 already belongs")
    for name in (gao, "完全不同的人"):
        assert name not in run.stdout and name not in run.stderr
    zh = run_cli(*base, "--lang", "zh", "import", "roster", str(path))
    assert "第2行（更新）：单位、职务" in zh.stderr.splitlines()


def test_duplicate_header_and_control_characters(office: VaultSession,
                                                 tmp_path: Path) -> None:
    add_sample_units(office)
    dup = as_csv([["警号", "姓名", "警号", "单位"], ["330700", "张三", "1", "城西派出所"]],
                 tmp_path, "utf-8", "dup.csv")
    with pytest.raises(roster.RosterUnreadable, match="“警号”"):
        roster.plan_roster_import(office, dup)
    esc = write_csv(tmp_path, "esc.csv", [
        ["330790", "张三", "男", "", "城西派出所", "", "\x1b[2J所长"],
        ["330791", "李四", "男", "", "城西派出所", "", "所长"]])
    plan = roster.plan_roster_import(office, esc)
    assert plan.summary() == "added 1, updated 0, unchanged 0, rejected 1"
    assert plan.rejected[0].reason == "contains control characters (post)"
    assert "\x1b" not in repr(plan)


def test_ten_thousand_rows_never_update_an_officer_by_accident(office: VaultSession,
                                                                tmp_path: Path) -> None:
    """The tester's 10,000-row file gave "updated 1": a generated badge number that an
    officer already in the vault holds (under another name) used to rewrite that officer.
    Now such a row is rejected, and so is every repeat of a badge inside the file."""
    add_sample_units(office)
    roster.apply_roster_import(office, roster.plan_roster_import(office, SAMPLE))
    rows: list[list[object]] = [
        [f"{400000 + i}", f"民警{i}", "男", "1980-01-01", SAMPLE_UNITS[i % 12], "", "科员"]
        for i in range(10_000)]
    rows[5000][0] = "330700"               # collides with a sample officer, another name
    rows[7000][0] = "４００００１"            # repeats row 3 (badge 400001) in full width
    rows[8000][1] = "民警1"                 # and the same person once more
    rows[8000][0] = "400001"
    path = write_csv(tmp_path, "big.csv", rows)
    plan = roster.plan_roster_import(office, path)
    assert plan.summary() == "added 9997, updated 0, unchanged 0, rejected 3"
    rejected = reasons(plan)
    assert "already belongs to another person" in rejected[5002]
    assert "repeats row 3" in rejected[7002] and "repeats row 3" in rejected[8002]

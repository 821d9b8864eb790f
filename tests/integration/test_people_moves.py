"""People who move or leave (issue 15 point 2): edits with history, dated transfers and
leavings counted in the right period (dates on both sides of a boundary)."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

import pytest

from counselor_tui.domain.periods import parse_period
from counselor_tui.services import audit, person_moves, persons, sessions, tier_review
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied
from counselor_tui.services.persons import PersonDraft, PersonInvalid
from counselor_tui.services.submission_compile import compile_content
from db.connection import open_connection
from db.migrations import migrate
from tests.conftest import OTHER_PASSPHRASE, TZ, run_cli, write_secret
from tests.worlds import World

pytestmark = pytest.mark.world("bureau+team")


def _session(vs: VaultSession, person_id: int, at: datetime) -> int:
    return sessions.log_session(vs, sessions.SessionDraft(
        person_id=person_id, started_at=at, channel="face_to_face", kind="routine",
        topics=("work_stress",), duration_min=50, note="谈话")).id


def _figures(vs: VaultSession, period: str, scope: str = "bureau") -> dict[str, object]:
    content = compile_content(vs, parse_period(period), scope)["sections"]
    archive = content["archive"]
    return {"sessions": content["counseling"]["figures"]["sessions"],
            "serving": archive["figures"]["serving"],
            "archived": archive["figures"]["archived_in_period"]}


def test_transfers_and_leavers_count_in_the_right_period(world: World) -> None:
    world.clock.advance(days=5)  # 2026-12-04: the officers were entered on 29 November
    li, zhou = world.login("li"), world.login("zhou")
    zhang, zhangsi, li4 = world.ids["zhang"], world.ids["zhangsi"], world.ids["li4"]
    # sessions on both sides of the 1 December boundary, before zhang moves to U002 on it
    _session(li, zhang, datetime(2026, 11, 30, 16, 0, tzinfo=TZ))
    _session(li, zhang, datetime(2026, 12, 1, 9, 0, tzinfo=TZ))
    before = {p: {s: _figures(zhou, p, s) for s in ("U001", "U002")}
              for p in ("2026-11", "2026-12")}
    assert before["2026-11"]["U001"]["serving"] == 3  # 张三 张思 李四
    assert before["2026-12"]["U002"]["serving"] == 1  # 王五
    person_moves.transfer(zhou, zhang, world.unit2, "2026-12-01", "调任交警大队")
    person_moves.leave(zhou, li4, "2026-11-30", "retired")
    person_moves.leave(zhou, zhangsi, "2026-12-01", "resigned")
    oct1, oct2 = _figures(zhou, "2026-11", "U001"), _figures(zhou, "2026-11", "U002")
    nov1, nov2 = _figures(zhou, "2026-12", "U001"), _figures(zhou, "2026-12", "U002")
    # November: 张三 still in U001 (his November session too); 李四 left on 30 November
    assert (oct1["sessions"], oct2["sessions"]) == (1, 0)
    assert (oct1["serving"], oct2["serving"]) == (2, 1)  # 张三 张思 | 王五
    assert oct1["archived"] == 1  # 李四
    # December: 张三 counts in U002 from the 1st; 张思 left on the 1st
    assert (nov1["sessions"], nov2["sessions"]) == (0, 1)
    assert (nov1["serving"], nov2["serving"]) == (0, 2)  # — | 王五 张三
    assert nov1["archived"] == 1  # 张思, under the unit he left from
    bureau_oct, bureau_nov = _figures(zhou, "2026-11"), _figures(zhou, "2026-12")
    assert (bureau_oct["archived"], bureau_nov["archived"]) == (1, 1)
    assert (bureau_oct["serving"], bureau_nov["serving"]) == (3, 2)
    # the former officer stays in the archive as former; no more tier work
    record = persons.get_person(zhou, li4)
    assert record.archived_at == "2026-11-30"
    with pytest.raises(Conflict):
        person_moves.leave(zhou, li4, "2026-12-02", "deceased")
    with pytest.raises(Conflict):
        tier_review.change(zhou, li4, "yellow", "no")
    moves = person_moves.moves(zhou, zhang)
    assert [(m.kind, m.on_date, m.from_unit, m.to_unit) for m in moves] == [
        ("transfer", "2026-12-01", "城关派出所", "交警大队")]
    with pytest.raises(InvalidInput):  # before the latest move
        person_moves.transfer(zhou, zhang, world.unit1, "2026-11-15")
    with pytest.raises(InvalidInput):  # in the future
        person_moves.transfer(zhou, zhang, world.unit1, "2026-12-05")
    with pytest.raises(InvalidInput):
        person_moves.leave(zhou, zhang, "2026-12-02", "fired")
    details = {(e.action, e.entity_id) for e in _events(zhou)}
    assert {("transfer", str(zhang)), ("leave", str(li4)), ("leave", str(zhangsi))} <= details


def _events(vs: VaultSession) -> list[audit.ChainEvent]:
    with vs.reading():
        return list(audit.iter_events(vs))


def test_edit_keeps_what_changed_and_refuses_a_unit_change(world: World) -> None:
    li = world.login("li")
    wang = world.ids["wang"]
    zhang = world.ids["zhang"]
    draft = PersonDraft(kind="officer", name="张三丰", badge_no="010001", gender="male",
                        birth_date="1985-03-12", unit_id=world.unit1, police_type="派出所",
                        post="副所长", phone="13800000000")
    changed = person_moves.edit_person(li, zhang, draft)
    assert set(changed) == {"name", "post", "phone"}
    versions = person_moves.versions(li, zhang)
    assert versions[0].changed["name"] == ("张三", "张三丰")
    assert versions[0].changed["post"] == ("", "副所长")
    assert person_moves.edit_person(li, zhang, draft) == []  # nothing changed: nothing kept
    assert len(person_moves.versions(li, zhang)) == 1
    moved = PersonDraft(**{**draft.__dict__, "unit_id": world.unit2})
    with pytest.raises(PersonInvalid) as info:
        person_moves.edit_person(li, zhang, moved)
    assert "unit_id" in info.value.errors
    with pytest.raises(PermissionDenied):
        person_moves.leave(world.login("shen"), zhang, "2026-11-01", "retired")
    with pytest.raises(Exception):  # noqa: B017 — li does not see 王五 of U002
        person_moves.leave(li, wang, "2026-11-01", "retired")
    last = [e for e in _events(li) if (e.action, e.entity) == ("update", "person")][-1]
    assert set(last.detail["fields"]) == {"name", "post", "phone"}
    assert "张三丰" not in str(last.detail) and "138" not in str(last.detail)


def test_migration_12_upgrades_a_schema_11_vault(tmp_path: Path) -> None:
    conn = open_connection(tmp_path / "v.db", secrets.token_bytes(32), create=True)
    try:
        at = "2026-12-01T09:00:00+08:00"
        assert migrate(conn, at, target=11)[-1] == 11
        conn.execute("INSERT INTO user (id, username, display_name, role, active, "
                     "created_at, updated_at) VALUES (1, 'a', 'A', 'admin', 1, ?, ?)", (at, at))
        conn.execute("INSERT INTO person (id, created_at, created_by_id, updated_at, "
                     "updated_by_id, kind, name, name_pinyin, name_initials, post, archived_at) "
                     "VALUES (1, ?, 1, ?, 1, 'officer', '甲', 'jia', 'j', '', '2020-01-01')",
                     (at, at))
        assert migrate(conn, at, target=12) == [12]
        row = conn.execute("SELECT archived_at, left_reason, deidentified_at FROM person"
                           ).fetchone()
        assert tuple(row) == ("2020-01-01", None, None)
        assert conn.execute("SELECT COUNT(*) FROM person_move").fetchone()[0] == 0
    finally:
        conn.close()


def test_cli_verbs(world: World, tmp_path: Path) -> None:
    secret = write_secret(tmp_path, "pp", OTHER_PASSPHRASE)
    base = ("--vault", str(world.path), "--user", "zhou", "--passphrase-file", str(secret),
            "--lang", "zh")
    done = run_cli(*base, "persons", "transfer", "010001", "--unit", "U002", "--on",
                   "2026-11-20")
    assert done.returncode == 0, done.stderr
    assert "U002" in done.stdout
    bad = run_cli(*base, "persons", "leave", "010002", "--on", "2026-13-01", "--reason",
                  "retired")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr + bad.stdout
    left = run_cli(*base, "persons", "leave", "010002", "--on", "2010-05-01", "--reason",
                   "retired")
    assert left.returncode == 0 and "退休" in left.stdout
    moves = run_cli(*base, "persons", "moves", "010001")
    assert "城关派出所 → 交警大队" in moves.stdout
    refused = run_cli(*base, "retention", "run", "--apply")
    assert refused.returncode == 2 and "预演" in refused.stderr + refused.stdout
    dry = run_cli(*base, "retention", "run")
    assert dry.returncode == 0 and "2010-05-01" in dry.stdout and "张思" not in dry.stdout
    applied = run_cli(*base, "retention", "run", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "已对 1 份档案去标识" in applied.stdout
    reviewed = run_cli(*base, "tier", "change", "020001", "--tier", "yellow", "--reason", "x")
    assert reviewed.returncode == 0, reviewed.stderr
    same = run_cli(*base, "tier", "change", "020001", "--tier", "yellow", "--reason", "x")
    assert same.returncode == 2 and "复核" in same.stderr + same.stdout
    assert run_cli(*base, "tier", "review", "020001").returncode == 0

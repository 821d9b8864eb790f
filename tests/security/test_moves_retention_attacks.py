"""Attacker findings on the issue-15 services (people who leave, retention, tier changes),
tried as the attacker did: the product's own services with one ordinary counselor account
(``li``), from outside the UI; the coordinator (``zhou``) only where the product needs one.

* a back-dated leaving made a serving officer's record due for de-identification;
* de-identification left the family members and their links (a named spouse tied to the
  placeholder, her notes intact);
* ``tier_policy.set_tier`` stored forged evidence and decided a former officer's tier;
* ``edit_person`` edited a former officer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from counselor_tui import cli
from counselor_tui.domain.periods import parse_period
from counselor_tui.services import (
    audit,
    person_moves,
    persons,
    retention,
    sessions,
    tier_policy,
)
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied
from counselor_tui.services.persons import PersonDraft
from counselor_tui.services.retention import FamilyCandidate
from counselor_tui.services.submission_compile import compile_content
from db.models import FamilyLink
from tests.conftest import OTHER_PASSPHRASE, TZ, write_secret
from tests.worlds import World

pytestmark = pytest.mark.world("bureau+team")

CANARY = "甄钦差"


def _session(vs: VaultSession, person_id: int, at: datetime, note: str = "谈话") -> int:
    return sessions.log_session(vs, sessions.SessionDraft(
        person_id=person_id, started_at=at, channel="face_to_face", kind="routine",
        topics=("work_stress",), duration_min=50, note=note)).id


def _officer(vs: VaultSession, world: World, name: str, badge: str, hire: str) -> int:
    return persons.create_person(vs, PersonDraft(
        kind="officer", name=name, badge_no=badge, gender="male", birth_date="1985-03-12",
        unit_id=world.unit1, police_type="派出所", hire_date=hire))


def _person_events(vs: VaultSession, pid: int) -> list[dict[str, object]]:
    with vs.reading():
        return [dict(e.detail) for e in audit.iter_events(vs)
                if e.entity == "person" and str(e.entity_id) == str(pid)]


def test_a_leaving_cannot_be_back_dated_and_a_coordinator_corrects_or_withdraws_it(
        world: World) -> None:
    li, zhou = world.login("li"), world.login("zhou")  # today 2026-11-29
    pid = _officer(li, world, "赵六", "010009", "2019-03-01")
    _session(li, pid, datetime(2026, 11, 20, 9, 0, tzinfo=TZ))
    # the attack: leaving dated 1990 → due for de-identification at the next dry run
    for day in ("1990-01-01", "2019-02-28", "2026-11-19", "2026-11-30"):
        with pytest.raises(InvalidInput):  # before hire, before the session, future
            person_moves.leave(li, pid, day, "retired")
    assert persons.get_person(li, pid).archived_at is None
    person_moves.leave(li, pid, "2026-11-20", "retired")
    # a leaving recorded wrongly: the coordinator corrects it (the same rules), not li
    with pytest.raises(PermissionDenied):
        person_moves.correct_leave(li, pid, "2026-11-25", "resigned")
    with pytest.raises(PermissionDenied):
        person_moves.withdraw_leave(li, pid)
    with pytest.raises(InvalidInput):
        person_moves.correct_leave(zhou, pid, "1990-01-01", "retired")
    row = person_moves.correct_leave(zhou, pid, "2026-11-25", "resigned")
    assert (row.kind, row.on_date, row.reason) == ("leave", "2026-11-25", "resigned")
    assert persons.get_person(zhou, pid).archived_at == "2026-11-25"
    person_moves.withdraw_leave(zhou, pid)
    assert persons.get_person(zhou, pid).archived_at is None
    assert person_moves.moves(zhou, pid) == []
    with pytest.raises(Conflict):
        person_moves.withdraw_leave(zhou, pid)  # serving again
    leaves = [e for e in _person_events(zhou, pid) if "leave" in e]
    assert [(e["leave"], e["from"]) for e in leaves] == [
        ("corrected", "2026-11-20"), ("withdrawn", "2026-11-25")]

    # the dry run shows who recorded a leaving and when, beside the hire date and the
    # latest session, so a wrong one stands out
    li4 = world.ids["li4"]
    person_moves.leave(li, li4, "2015-06-30", "retired")
    dry = retention.dry_run(zhou)
    assert [c.person_id for c in dry.candidates] == [li4]
    found = dry.candidates[0]
    assert (found.left_on, found.left_reason, found.recorded_by) == (
        "2015-06-30", "retired", "李辅导")
    assert found.recorded_at is not None and found.recorded_at.startswith("2026-11-29")
    person_moves.withdraw_leave(zhou, li4)
    assert retention.dry_run(zhou).candidates == ()


def test_deidentification_takes_the_family_along(world: World) -> None:
    li, zhou = world.login("li"), world.login("zhou")
    pid = _officer(li, world, "钱七", "010010", "2005-09-01")
    spouse = persons.add_family_member(li, pid, PersonDraft(
        kind="family", name=CANARY, phone="13912345678"), "spouse")
    _session(li, spouse, datetime(2015, 5, 4, 9, 0, tzinfo=TZ), f"{CANARY}担心丈夫")
    # a child also linked to a serving officer (张三) keeps the record; the link goes
    child = persons.add_family_member(li, pid, PersonDraft(kind="family", name="钱小"),
                                      "child")
    with li.transaction():
        FamilyLink.create(person=child, officer=world.ids["zhang"], relation="child",
                          created_at=li.now_iso(), created_by=1, updated_at=li.now_iso(),
                          updated_by=1)
    person_moves.leave(li, pid, "2015-06-30", "retired")
    before = [compile_content(zhou, parse_period(p), s)["sections"]
              for p in ("2015-05", "2026-11") for s in ("bureau", "U001")]

    dry = retention.dry_run(zhou)
    assert [c.person_id for c in dry.candidates] == [pid]
    assert dry.candidates[0].family == (
        FamilyCandidate(spouse, "spouse", "deidentify", 1),
        FamilyCandidate(child, "child", "unlink", 0))
    assert CANARY not in repr(dry)
    retention.apply(zhou)
    assert [compile_content(zhou, parse_period(p), s)["sections"]
            for p in ("2015-05", "2026-11") for s in ("bureau", "U001")] == before

    with pytest.raises(Conflict):  # de-identified: its leaving stays as it is
        person_moves.withdraw_leave(zhou, pid)
    record = persons.get_person(zhou, spouse)
    assert record.person.name == f"{retention.PLACEHOLDER_NAME}{spouse:06d}"
    assert [s.note for s in record.sessions] == [retention.PLACEHOLDER]  # counted, no text
    assert persons.get_person(zhou, child).person.name == "钱小"
    with zhou.reading():
        links = {(f.person_id, f.officer_id) for f in FamilyLink.select()}
        assert (spouse, pid) in links and (child, pid) not in links
        assert (child, world.ids["zhang"]) in links
        tables = [str(r[0]) for r in zhou.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
        residue = [t for t in tables
                   if any(CANARY in repr(row) or "13912345678" in repr(row)
                          for row in zhou.execute(f'SELECT * FROM "{t}"'))]
    assert residue == []


def test_set_tier_checks_what_a_tier_change_checks(world: World) -> None:
    li = world.login("li")
    zhang, li4 = world.ids["zhang"], world.ids["li4"]
    own = _session(li, zhang, datetime(2026, 11, 20, 9, 0, tzinfo=TZ))
    others = _session(li, world.ids["zhangsi"], datetime(2026, 11, 21, 9, 0, tzinfo=TZ))
    for evidence in ({"sessions": [own, others]}, {"sessions": [own], "forged": "yes"},
                     {"sessions": [99999]}, {"sessions": "1,2"}, {"assessment": own}):
        with pytest.raises(InvalidInput):
            tier_policy.set_tier(li, zhang, "yellow", "睡眠差", evidence)
    decision = tier_policy.set_tier(li, zhang, "yellow", "睡眠差", {"sessions": [own, own]})
    assert decision.change.evidence == {"sessions": [own]}
    person_moves.leave(li, li4, "2026-11-28", "retired")
    with pytest.raises(Conflict):
        tier_policy.set_tier(li, li4, "red", "离职后")
    assert tier_policy.current_tier(li, li4) is None


def test_a_former_officers_details_are_not_edited(world: World) -> None:
    li = world.login("li")
    li4 = world.ids["li4"]
    person_moves.leave(li, li4, "2026-11-28", "retired")
    with pytest.raises(Conflict):
        person_moves.edit_person(li, li4, PersonDraft(
            kind="officer", name="李四改", badge_no="010003", gender="male",
            birth_date="1985-03-12", unit_id=world.unit1, police_type="派出所"))
    assert persons.get_person(li, li4).person.name == "李四"


def test_cli_shows_who_recorded_a_leaving_and_a_coordinator_withdraws_it(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    person_moves.leave(world.login("li"), world.ids["li4"], "2015-06-30", "retired")
    secret = write_secret(tmp_path, "pp", OTHER_PASSPHRASE)

    def run(user: str, *args: str) -> tuple[int, str]:
        code = cli.main(["--lang", "en", "--vault", str(world.path), "--user", user,
                         "--passphrase-file", str(secret), *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = run("zhou", "retention", "run")
    assert code == 0 and "2015-06-30" in out and "recorded by 李辅导" in out
    assert "李四" not in out
    code, _out = run("li", "persons", "correct-leave", "010003", "--on", "2016-01-04",
                     "--reason", "resigned")
    assert code == 2
    code, out = run("zhou", "persons", "correct-leave", "010003", "--on", "2027-01-04",
                    "--reason", "resigned")
    assert code == 2
    code, out = run("zhou", "persons", "correct-leave", "010003", "--on", "2016-01-04",
                    "--reason", "resigned")
    assert code == 0 and "2016-01-04" in out
    code, out = run("zhou", "persons", "withdraw-leave", "010003")
    assert code == 0
    assert persons.get_person(world.login("zhou"), world.ids["li4"]).archived_at is None

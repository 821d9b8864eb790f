"""Handover 交接 (issue 15, point 3): a counselor's persons, open follow-ups and open
incident steps move to another counselor, who gains access to exactly those records; sealed
notes stay sealed; disabling with a handover is one act; CLI; audit — real SQLCipher vault."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from counselor_tui import cli
from counselor_tui.domain.incidents import STEP_LABELS
from counselor_tui.services import (
    appointments,
    handover,
    incident_reads,
    incidents,
    persons,
    session_reads,
)
from counselor_tui.services import sessions as session_service
from counselor_tui.services.appointments import AppointmentDraft
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from counselor_tui.services.incidents import ExposureDraft, IncidentDraft
from counselor_tui.services.sessions import SessionDraft
from db.models import AuditEvent, User
from tests.conftest import TZ, write_secret
from tests.integration.archive_world import World, officer
from tests.worlds import OTHER_PASSPHRASE, PASSPHRASE

pytestmark = pytest.mark.world("archive")

SEALED = "封存内容：家庭暴力线索"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def log(vs: VaultSession, person: int, **kw: object) -> int:
    draft = SessionDraft(person_id=person, started_at=vs.now() - timedelta(days=1),
                         channel="face_to_face", kind="routine", topics=("work_stress",),
                         duration_min=50, **kw)  # type: ignore[arg-type]
    return session_service.log_session(vs, draft).id


def caseload(world: World) -> dict[str, int]:
    """li (U001) serves 张三 (U001 officer) and 赵六 (no unit, created by li), with an open
    follow-up on 赵六 and a sealed session; li flagged an incident with open steps; 钱七 is
    an U001 officer li never served."""
    li = world.login("li")
    ids = {"zhang": officer(world, "张三", "330001"),
           "qian": officer(world, "钱七", "330007")}
    ids["zhao6"] = persons.create_person(li, persons.PersonDraft(kind="other", name="赵六"))
    log(li, ids["zhang"])
    ids["follow"] = log(li, ids["zhao6"], follow_up_on=date(2026, 11, 27))
    ids["sealed"] = log(li, ids["zhao6"], note=SEALED, sealed=True)
    ids["appointment"] = appointments.schedule(li, AppointmentDraft(
        ids["zhao6"], li.now() + timedelta(days=1))).id
    ids["incident"] = incidents.flag_emergency(li, IncidentDraft(
        kind="acute_stress", occurred_at=li.now() - timedelta(hours=1), severity="serious",
        persons=(ExposureDraft("involved", ids["zhao6"]),)))
    return ids


def test_reassign_moves_exactly_the_open_work_and_no_sealed_text(world: World) -> None:
    ids = caseload(world)
    li, wang, coord = world.login("li"), world.login("wang"), world.login("coord")
    assert not persons.find_persons(wang, "赵六", 5)  # before: wang sees nothing of li's
    with pytest.raises(NotFound):
        persons.get_person(wang, ids["zhao6"])
    assert not incident_reads.open_incidents(wang)

    with pytest.raises(PermissionDenied):
        handover.hand_over(li, "li", "wang", "调离")  # not a counselor's act
    with pytest.raises(InvalidInput):
        handover.hand_over(coord, "li", "wang", " ")
    with pytest.raises(Conflict):
        handover.hand_over(coord, "li", "li", "调离")
    with pytest.raises(Conflict):
        handover.hand_over(coord, "li", "audit", "调离")  # an auditor holds no caseload

    preview = handover.plan(coord, "li")
    done = handover.hand_over(coord, "li", "wang", "调离本局")
    assert done.counts == preview.counts
    assert {i.id for i in done.persons} == {ids["zhang"], ids["zhao6"]}
    assert [i.id for i in done.appointments] == [ids["appointment"]]
    assert [i.id for i in done.follow_ups] == [ids["follow"]]
    assert done.steps and all(i.label for i in done.steps)
    assert any("赵六" in line for line in done.lines())

    # wang now holds exactly those: the records, the follow-up, the incident
    record = persons.get_person(wang, ids["zhao6"])
    assert {s.id for s in record.sessions} >= {ids["follow"], ids["sealed"]}
    persons.get_person(wang, ids["zhang"])
    with pytest.raises(NotFound):
        persons.get_person(wang, ids["qian"])  # li's unit, never li's person
    due = session_reads.follow_ups(wang)
    assert [f.session_id for f in (*due.overdue, *due.today, *due.this_week)] == [ids["follow"]]
    assert [i.id for i in incident_reads.open_incidents(wang)] == [ids["incident"]]
    assert [a.id for a in appointments.agenda(wang).week] == [ids["appointment"]]
    assert not appointments.agenda(li).week
    # the sealed note stays sealed to its author and the coordinators
    assert SEALED not in session_service.get_session(wang, ids["sealed"]).note
    assert session_service.get_session(coord, ids["sealed"]).note == SEALED
    assert session_service.get_session(li, ids["sealed"]).note == SEALED  # its author
    # li no longer holds 赵六 (no unit: seen only as li's own person) nor the follow-up
    with pytest.raises(NotFound):
        persons.get_person(li, ids["zhao6"])
    persons.get_person(li, ids["zhang"])  # li's own unit still shows 张三
    assert not handover.plan(coord, "li").counts["follow_ups"]
    with coord.reading():
        event = AuditEvent.select().where(AuditEvent.action == "handover").get()
    assert set(event.detail["persons"]) == {ids["zhang"], ids["zhao6"]}
    assert "赵六" not in str(event.detail)


def test_disable_with_handover_is_one_act_and_the_cli_lists_what_moved(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = caseload(world)
    world.close()
    admin_secret = write_secret(tmp_path, "admin.txt", PASSPHRASE)
    coord_secret = write_secret(tmp_path, "coord.txt", OTHER_PASSPHRASE)
    base = ["--lang", "en", "--vault", str(world.path)]
    code = cli.main([*base, "--user", "coord", "--passphrase-file", str(coord_secret),
                     "users", "reassign", "li", "zhao", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and "Dry run" in out and "赵六" in out and "Open follow-ups moving: 1" in out
    # fix15 G: the steps by their names, as the incidents screen shows them, not codes
    steps = out.split("Open incident steps moving:")[1]
    assert any(f" · {label} · " in steps for label in STEP_LABELS.values())
    assert not any(f" · {code} · " in steps for code in STEP_LABELS if "_" in code)
    # a coordinator may not disable; an unknown receiver is refused; nothing moved
    code = cli.main([*base, "--user", "coord", "--passphrase-file", str(coord_secret),
                     "users", "disable", "li", "--reassign-to", "zhao", "--reason", "退休"])
    assert code == 2
    code = cli.main([*base, "--user", "admin", "--passphrase-file", str(admin_secret),
                     "users", "disable", "li", "--reassign-to", "nobody", "--reason", "退休"])
    assert code == 2
    with world.admin.reading():
        assert User.get(User.username == "li").active
    code = cli.main([*base, "--user", "admin", "--passphrase-file", str(admin_secret),
                     "users", "disable", "li", "--reassign-to", "zhao", "--reason", "退休"])
    out = capsys.readouterr().out
    assert code == 0 and "Persons moving: 2" in out and "赵六" not in out  # admins get ids only
    with world.admin.reading():
        assert not User.get(User.username == "li").active
    zhao = world.login("zhao")
    persons.get_person(zhao, ids["zhao6"])
    assert [i.id for i in incident_reads.open_incidents(zhao)] == [ids["incident"]]

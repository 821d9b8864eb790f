"""Security (issue 15 attack round): handover, appointments and referral export tried as an
attacker would — the product's own services, real SQLCipher vault of the archive world
(``coord`` coordinator; ``li``, ``zhao`` counselors of U001; ``wang`` counselor of U002;
``audit`` auditor; the world's admin).
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import py7zr
import pytest

from counselor_tui.services import appointments, handover, person_moves, persons, referral
from counselor_tui.services import sessions as session_service
from counselor_tui.services.appointments import AppointmentDraft
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, NotFound, PermissionDenied
from counselor_tui.services.persons import ArchiveQuery
from counselor_tui.services.referral import ConsentMissing, ReferralDraft
from counselor_tui.services.sessions import SessionDraft
from db.models import AuditEvent
from tests.conftest import TZ
from tests.integration.archive_world import World, officer

pytestmark = pytest.mark.world("archive")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def log(vs: VaultSession, person: int) -> int:
    return session_service.log_session(vs, SessionDraft(
        person_id=person, started_at=vs.now() - timedelta(days=1), channel="face_to_face",
        kind="routine", topics=("work_stress",), duration_min=50)).id


def seen(vs: VaultSession) -> int:
    return persons.count_persons(vs, ArchiveQuery())


def test_a_handover_moves_a_counselors_caseload_never_the_archive(world: World) -> None:
    """The coordinator entered the archive (it created every person; li sees U001 by unit);
    li served one officer and registered one person never served. Handing over the
    coordinator, an admin without disabling anyone, or to a non-counselor is refused; li's
    handover moves li's caseload only."""
    coord, admin = world.login("coord"), world.admin
    archive = [persons.create_person(coord, persons.PersonDraft(
        kind="officer", name=f"民警{n}", badge_no=f"44000{n}", unit_id=world.unit1,
        police_type="派出所")) for n in range(3)]
    archive += [persons.create_person(coord, persons.PersonDraft(kind="other", name="家属甲"))]
    li = world.login("li")
    zhang = officer(world, "张三", "330001")
    log(li, zhang)
    registered = persons.create_person(li, persons.PersonDraft(kind="other", name="来访者乙"))
    wang = world.login("wang")
    before = seen(wang)

    with pytest.raises(PermissionDenied):  # an admin reassigns only while disabling
        handover.hand_over(admin, "li", "wang", "test")
    for giver in ("coord", "audit"):  # they hold no caseload: never the whole archive
        with pytest.raises(Conflict):
            handover.hand_over(coord, giver, "wang", "test")
        with pytest.raises(Conflict):
            handover.plan(coord, giver)
    with pytest.raises(Conflict):
        handover.hand_over(admin, "coord", "wang", "test", disable=True)
    for receiver in ("coord", "audit"):
        with pytest.raises(Conflict):
            handover.hand_over(coord, "li", receiver, "test")
    with pytest.raises(PermissionDenied):
        handover.hand_over(li, "li", "wang", "test")
    assert seen(wang) == before

    done = handover.hand_over(coord, "li", "wang", "调离")
    assert [i.id for i in done.persons] == [zhang]  # served; merely registered stays
    assert seen(wang) == before + 1
    for pid in (*archive, registered):
        with pytest.raises(Exception, match="not visible"):
            persons.get_person(wang, pid)
    # an admin disabling a counselor hands that counselor's caseload over
    log(world.login("zhao"), archive[0])
    moved = handover.hand_over(admin, "zhao", "wang", "退休", disable=True)
    assert [i.id for i in moved.persons] == [archive[0]] and moved.disabled


def test_an_appointment_links_only_the_actors_own_session_of_its_person(world: World) -> None:
    """wang books 张三 (an officer of li's unit, as the picker allows) and tries to mark the
    appointment kept with li's session on 张三, then with wang's own session on another
    person: both refused, nothing changed; wang's own session on 张三 is accepted."""
    zhang, other = officer(world, "张三", "330001"), officer(world, "钱七", "330007")
    li, wang = world.login("li"), world.login("wang")
    theirs = log(li, zhang)
    booked = appointments.schedule(wang, AppointmentDraft(zhang, wang.now() + timedelta(
        hours=2)))
    with pytest.raises(NotFound):
        appointments.mark_kept(wang, booked.id, theirs)
    with pytest.raises(Conflict):
        appointments.mark_kept(wang, booked.id, log(wang, other))
    assert appointments.get(wang, booked.id).status == "scheduled"
    own = log(wang, zhang)
    appointments.mark_kept(wang, booked.id, own)
    assert appointments.get(wang, booked.id).session_id == own


def test_scheduling_names_no_person_the_counselor_could_not_find(world: World) -> None:
    """A counselor probes person ids through scheduling: an officer who left service (not
    offered by the picker, not visible to wang) and a family member of another unit are
    refused with the same answer as an id that does not exist — no name comes back."""
    former, coord = officer(world, "赵离", "330009"), world.login("coord")
    person_moves.leave(coord, former, "2026-10-01", "retired")
    family = persons.add_family_member(coord, former, persons.PersonDraft(
        kind="family", name="赵妻"), "spouse")
    wang = world.login("wang")
    start = wang.now() + timedelta(hours=2)
    for pid in (former, family, 999_999):
        with pytest.raises(NotFound) as refused:
            appointments.schedule(wang, AppointmentDraft(pid, start))
        assert "赵" not in str(refused.value)
    assert not appointments.agenda(wang).today
    # li sees the former officer of li's own unit, but no one books a person who left
    # service (fix15 B): said plainly to li, who may read the record
    li = world.login("li")
    with pytest.raises(Conflict, match="left service"):
        appointments.schedule(li, AppointmentDraft(former, start))


def test_no_referral_export_without_a_consent_covering_its_purpose(
        world: World, tmp_path: Path) -> None:
    """li exports 张三's archive: refused with no consent, then with a consent for
    counseling only (nothing written either time); written with the explicit, audited
    choice (the document says so); with a referral consent, a transfer is still refused."""
    zhang = officer(world, "张三", "330001")
    li, out = world.login("li"), tmp_path / "out"
    log(li, zhang)
    draft = ReferralDraft(zhang, "市心理医院", "referral")
    with pytest.raises(ConsentMissing):
        referral.export_referral(li, draft, out)
    referral.record_consent(li, zhang, date(2026, 11, 20), ("counseling",))
    assert not referral.consent_check(li, zhang, "referral").covers
    with pytest.raises(ConsentMissing, match="does not cover"):
        referral.export_referral(li, draft, out)
    assert not out.exists() or not any(out.iterdir())

    chosen = referral.export_referral(li, ReferralDraft(
        zhang, "市心理医院", "referral", without_consent=True), out)
    with py7zr.SevenZipFile(chosen.path, "r", password=chosen.password) as z:
        z.extractall(path=tmp_path / "x")
    text = "".join(p.text for p in docx.Document(io.BytesIO(
        (tmp_path / "x" / referral.DOCX_NAME).read_bytes())).paragraphs)
    assert "Exported without a consent covering this purpose" in text

    referral.record_consent(li, zhang, date(2026, 11, 21), ("counseling", "referral"))
    with pytest.raises(ConsentMissing):
        referral.export_referral(li, ReferralDraft(zhang, "市公安局", "transfer"), out)
    referral.export_referral(li, draft, out)
    with li.reading():
        flags = [e.detail["without_consent"] for e in AuditEvent.select().where(
            (AuditEvent.action == "export") & (AuditEvent.entity == "person"))]
    assert flags == [True, False] and len(list(out.iterdir())) == 2

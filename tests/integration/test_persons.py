"""The archive: search, filters, sorting, visibility, person record, family links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from counselor_tui.services import audit, persons, sessions
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, NotFound, PermissionDenied
from counselor_tui.services.persons import ArchiveQuery, PersonDraft
from db.models import AuditEvent, TierState
from tests.integration.archive_world import World, officer

pytestmark = pytest.mark.world("archive")


@pytest.fixture
def people(world: World) -> dict[str, int]:
    ids = {
        "张三": officer(world, "张三", "330001"),
        "张三丰": officer(world, "张三丰", "330002"),
        "李四": officer(world, "李四", "330101", world.unit2, "交警"),
        "王五": officer(world, "王五", "440001", world.unit2, "交警"),
    }
    ids["张小花"] = persons.add_family_member(
        world.office, ids["张三"], PersonDraft(kind="family", name="张小花"), "child")
    return ids


def names(rows: list[persons.PersonRow]) -> list[str]:
    return [r.name for r in rows]


def search(vs: VaultSession, text: str, **kw: object) -> list[str]:
    q = ArchiveQuery(text=text, **kw)  # type: ignore[arg-type]
    rows = persons.list_persons(vs, q, 0, 50)
    assert persons.count_persons(vs, q) == len(rows)
    return names(rows)


def set_tier(vs: VaultSession, person_id: int, tier: str, review_due: str | None) -> None:
    now = vs.now_iso()
    with vs.transaction():
        TierState.create(person=person_id, tier=tier, since="2026-01-01", review_due=review_due,
                         created_at=now, created_by=vs.actor.id, updated_at=now,
                         updated_by=vs.actor.id)


# --------------------------------------------------------------------------- search


def test_pinyin_initials_find_the_name(world: World, people: dict[str, int]) -> None:
    assert search(world.office, "zs") == ["张三", "张三丰"]
    assert search(world.office, "ZS") == ["张三", "张三丰"]
    assert search(world.office, "zsf") == ["张三丰"]
    assert search(world.office, "zhangs") == ["张三", "张三丰"]
    assert search(world.office, "zhang") == ["张三", "张三丰", "张小花"]
    assert search(world.office, "zhang san") == ["张三", "张三丰"]


def test_one_and_two_character_chinese_queries(world: World, people: dict[str, int]) -> None:
    assert search(world.office, "张三") == ["张三", "张三丰"]
    assert search(world.office, "三") == ["张三", "张三丰"]
    assert search(world.office, "李") == ["李四"]
    assert search(world.office, "张") == ["张三", "张三丰", "张小花"]
    assert search(world.office, "赵") == []


def test_badge_number_prefix(world: World, people: dict[str, int]) -> None:
    assert search(world.office, "3300") == ["张三", "张三丰"]
    assert search(world.office, "330101") == ["李四"]
    assert search(world.office, "３３０１") == ["李四"]  # full-width digits
    assert search(world.office, "4") == ["王五"]


def test_filters(world: World, people: dict[str, int]) -> None:
    assert search(world.office, "", unit_id=world.unit2) == ["李四", "王五"]
    assert search(world.office, "", police_type="交警") == ["李四", "王五"]
    assert search(world.office, "", kind="family") == ["张小花"]
    set_tier(world.office, people["王五"], "red", "2026-12-01")
    assert search(world.office, "", tier="red") == ["王五"]
    assert search(world.office, "w", tier="red", unit_id=world.unit2) == ["王五"]


def test_sorting_puts_missing_values_last_both_ways(world: World,
                                                    people: dict[str, int]) -> None:
    vs = world.office
    asc = names(persons.list_persons(vs, ArchiveQuery(sort="badge_no"), 0, 50))
    desc = names(persons.list_persons(vs, ArchiveQuery(sort="badge_no", descending=True), 0, 50))
    assert asc == ["张三", "张三丰", "李四", "王五", "张小花"]
    assert desc == ["王五", "李四", "张三丰", "张三", "张小花"]
    set_tier(vs, people["李四"], "red", "2026-12-10")
    set_tier(vs, people["张三"], "yellow", "2026-12-01")
    set_tier(vs, people["王五"], "green", None)
    review = names(persons.list_persons(vs, ArchiveQuery(sort="review_due"), 0, 50))
    assert review[:2] == ["张三", "李四"]
    assert set(review[2:]) == {"王五", "张三丰", "张小花"}
    review_desc = names(persons.list_persons(
        vs, ArchiveQuery(sort="review_due", descending=True), 0, 50))
    assert review_desc[:2] == ["李四", "张三"]
    tiers = names(persons.list_persons(vs, ArchiveQuery(sort="tier", descending=True), 0, 50))
    assert tiers[:3] == ["李四", "张三", "王五"]
    by_name = names(persons.list_persons(vs, ArchiveQuery(), 0, 50))
    assert by_name == ["李四", "王五", "张三", "张三丰", "张小花"]  # pinyin order
    coord = world.login("coord")
    sessions.log_session(coord, sessions.SessionDraft(
        person_id=people["张三丰"], started_at=world.clock.now() - timedelta(days=1),
        channel="hotline", kind="routine", topics=("work_stress",), duration_min=20))
    last = persons.list_persons(coord, ArchiveQuery(sort="last_session", descending=True), 0, 50)
    assert last[0].name == "张三丰"
    assert last[0].last_session_on == "2026-11-28"
    assert all(r.last_session_on is None for r in last[1:])


def test_pages_cover_the_list_without_overlap(world: World, people: dict[str, int]) -> None:
    for i in range(12):
        officer(world, f"测试{i:02d}", f"55{i:04d}")
    q = ArchiveQuery(sort="unit")
    total = persons.count_persons(world.office, q)
    pages = [persons.list_persons(world.office, q, off, 4) for off in range(0, total, 4)]
    ids = [p.id for page in pages for p in page]
    assert total == 17
    assert len(ids) == len(set(ids)) == 17


# --------------------------------------------------------------------------- visibility


def test_counselor_sees_own_unit_and_served_persons_only(world: World,
                                                        people: dict[str, int]) -> None:
    li = world.login("li")
    assert search(li, "") == ["张三", "张三丰", "张小花"]
    with pytest.raises(NotFound):
        persons.get_person(li, people["李四"])
    wang = world.login("wang")
    assert search(wang, "") == ["李四", "王五"]
    with pytest.raises(NotFound):
        persons.get_person(wang, people["张三"])
    picker = persons.find_persons(li, "li")
    assert [(p.name, p.visible, p.tier) for p in picker] == [("李四", False, None)]
    sessions.log_session(li, sessions.SessionDraft(
        person_id=people["李四"], started_at=world.clock.now(), channel="hotline",
        kind="routine", topics=("work_stress",), duration_min=30))
    assert "李四" in search(li, "")
    assert persons.get_person(li, people["李四"]).person.name == "李四"
    assert [p.visible for p in persons.find_persons(li, "li")] == [True]


def test_auditor_and_admin_are_refused_person_records(world: World,
                                                     people: dict[str, int]) -> None:
    """DESIGN §5: the auditor reads the audit log and aggregates, the admin manages accounts,
    settings and keys; neither reads a person's name, tier, scores or sessions."""
    for vs in (world.login("audit"), world.admin):
        with pytest.raises(PermissionDenied):
            persons.list_persons(vs, ArchiveQuery(), 0, 10)
        with pytest.raises(PermissionDenied):
            persons.count_persons(vs, ArchiveQuery())
        with pytest.raises(PermissionDenied):
            persons.get_person(vs, people["张三"])
        assert [u.code for u in persons.units(vs)] == ["U001", "U002"]  # 城关 cheng, 交警 jiao
    li = world.login("li")
    sessions.log_session(li, sessions.SessionDraft(
        person_id=people["张三"], started_at=world.clock.now(), channel="face_to_face",
        kind="routine", topics=("emotional",), duration_min=50, note="第一行\n第二行"))
    with pytest.raises(PermissionDenied):
        persons.get_person(world.admin, people["张三"])
    assert persons.get_person(li, people["张三"]).sessions[0].note == "第一行\n第二行"


# --------------------------------------------------------------------------- the record


def test_person_record_with_family_and_view_audit(world: World,
                                                 people: dict[str, int]) -> None:
    li = world.login("li")
    record = persons.get_person(li, people["张三"])
    assert record.person.badge_no == "330001"
    assert record.family == (persons.FamilyRow(people["张小花"], "张小花", "child", "family"),)
    assert record.tier is None and record.sessions == () and record.assessments == ()
    assert record.incidents == () and record.firearm_status is None
    child = persons.get_person(li, people["张小花"])
    assert child.person.unit_id == world.unit1  # carries the officer's unit
    assert child.family == (persons.FamilyRow(people["张三"], "张三", "child", "officer"),)
    with li.reading():
        views = list(AuditEvent.select().where(AuditEvent.action == "view",
                                               AuditEvent.entity == "person"))
    assert [(v.user, v.entity_id) for v in views] == [
        ("li", str(people["张三"])), ("li", str(people["张小花"]))]
    assert audit.verify_chain(li).ok


def test_update_person_audits_fields_and_moves_family(world: World,
                                                     people: dict[str, int]) -> None:
    draft = PersonDraft(kind="officer", name="张三", badge_no="330001", unit_id=world.unit2,
                        police_type="交警", post="副所长")
    persons.update_person(world.office, people["张三"], draft)
    persons.update_person(world.office, people["张三"], draft)  # no change, no event
    with world.office.reading():
        events = list(AuditEvent.select().where(AuditEvent.action == "update",
                                                AuditEvent.entity == "person"))
    assert events[0].detail == {"fields": ["unit_id", "police_type", "post"]}
    assert events[1].detail == {"family_unit_moved": 1}
    assert len(events) == 2
    assert search(world.login("wang"), "zxh") == ["张小花"]
    assert audit.verify_chain(world.office).ok


def test_create_person_validation_and_badge_conflict(world: World,
                                                    people: dict[str, int]) -> None:
    with pytest.raises(persons.PersonInvalid) as bad:
        persons.create_person(world.office, PersonDraft(kind="officer", name=" ",
                                                       birth_date="2030-01-01"))
    assert set(bad.value.errors) == {"name", "badge_no", "unit_id", "birth_date"}
    errors = persons.validate_person(PersonDraft(kind="family", name="x", badge_no="1"),
                                     world.clock.now().date())
    assert set(errors) == {"badge_no"}
    with pytest.raises(Conflict):
        officer(world, "重号", "330001")
    with pytest.raises(PermissionDenied):
        persons.create_person(world.login("audit"), PersonDraft(kind="other", name="某人"))

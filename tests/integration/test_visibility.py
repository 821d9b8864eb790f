"""A counselor's visible persons through the kept pairs of ``own_case`` (db migration 29,
issue 18): the kept table equals its definition and the visible set equals the rule of
:mod:`counselor_tui.services.access` written out plainly, after any mix of sessions logged,
voided, moved to another counselor or person, deleted, persons created, transferred and
handed over; and no statement of a counselor's screens scans the sessions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counselor_tui.services import (
    dashboard,
    handover,
    lifecycle,
    person_moves,
    person_record,
    person_search,
    persons,
    session_reads,
)
from counselor_tui.services import sessions as session_service
from counselor_tui.services.access import visibility_sql, visible_id_sql, visible_ids_sql
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from counselor_tui.services.sessions import SessionDraft
from db.migrations import CURRENT_VERSION, MIGRATIONS, m0029_own_cases, schema_version
from tests.conftest import TZ
from tests.helpers import vault_as_schema
from tests.integration.archive_world import World, officer

pytestmark = pytest.mark.world("archive")

COUNSELORS = ("li", "zhao", "wang")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


def _log(vs: VaultSession, person: int) -> int:
    draft = SessionDraft(person_id=person, started_at=vs.now() - timedelta(days=1),
                         channel="face_to_face", kind="routine", topics=("work_stress",),
                         duration_min=50)
    return session_service.log_session(vs, draft).id


def _people(world: World) -> list[int]:
    """Officers of both units and one without a unit (created by the office)."""
    return [officer(world, "张三", "330001"), officer(world, "李四", "330002"),
            officer(world, "王五", "330003", unit=world.unit2, police_type="交警"),
            officer(world, "赵六", "330004", unit=world.unit2, police_type="交警"),
            persons.create_person(world.office, persons.PersonDraft(kind="other",
                                                                    name="钱七"))]


def _rows(vs: VaultSession, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with vs.reading():
        return [tuple(r) for r in vs.execute(sql, params)]


def _plain_pairs(vs: VaultSession) -> set[tuple[int, int, int, int]]:
    """``own_case`` by its definition: non-voided sessions per counselor and person, and
    the creator of each person."""
    served: dict[tuple[int, int], int] = {}
    for counselor, person in _rows(vs, "SELECT counselor_id, person_id FROM "
                                       "counseling_session WHERE person_id IS NOT NULL "
                                       "AND voided_at IS NULL"):
        served[(counselor, person)] = served.get((counselor, person), 0) + 1
    created = {(int(u), int(p)) for u, p in _rows(vs, "SELECT created_by_id, id FROM person")}
    return {(u, p, served.get((u, p), 0), int((u, p) in created))
            for u, p in set(served) | created}


def _plain_visible(vs: VaultSession, user: str) -> set[int]:
    """The rule of the access module's doc, from the stored rows: the unit's persons, those
    served (a non-voided session of theirs names them) or created unless handed away since,
    and those a handover gave them; voided persons left out."""
    (uid, unit), = _rows(vs, "SELECT id, unit_id FROM user WHERE username = ?", (user,))
    live = {int(p): u for p, u in _rows(vs, "SELECT id, unit_id FROM person "
                                            "WHERE voided_at IS NULL")}
    served = {int(p) for (p,) in _rows(
        vs, "SELECT person_id FROM counseling_session WHERE counselor_id = ? "
            "AND person_id IS NOT NULL AND voided_at IS NULL", (uid,))}
    created = {int(p) for (p,) in _rows(vs, "SELECT id FROM person WHERE created_by_id = ?",
                                        (uid,))}
    access = _rows(vs, "SELECT person_id, granted FROM case_access WHERE user_id = ?", (uid,))
    away = {int(p) for p, g in access if not g}
    given_ = {int(p) for p, g in access if g}
    mine = {p for p, u in live.items() if unit is not None and u == unit}
    return (mine | ((served | created) - away) | given_) & set(live)


def _seen(vs: VaultSession, units: tuple[int, int]) -> dict[str, set[int]]:
    """The visible persons as each form of the rule selects them."""
    cond, params = visibility_sql(vs)
    by_id, id_params = visible_id_sql(vs, "x.id")
    live = "SELECT id FROM person WHERE voided_at IS NULL"
    out = {
        "row": {int(r[0]) for r in _rows(
            vs, f"SELECT p.id FROM person p WHERE p.voided_at IS NULL AND {cond}",
            tuple(params))},
        "id": {int(r[0]) for r in _rows(
            vs, f"SELECT x.id FROM person x WHERE x.voided_at IS NULL AND {by_id}",
            tuple(id_params))},
    }
    with vs.reading():
        compound = visible_ids_sql(vs)
        assert compound is not None
        ids_sql, ids_params = compound
        out["compound"] = {int(r[0]) for r in vs.execute(
            f"{ids_sql} INTERSECT {live}", tuple(ids_params))}
    q = persons.ArchiveQuery(include_archived=True)
    listed = persons.list_persons(vs, q, 0, 500)
    out["archive"] = {r.id for r in listed}
    assert persons.count_persons(vs, q) == len(listed)
    for q in _filtered(*units):  # the count's forms (merged ids, key rows) agree with the list
        assert persons.count_persons(vs, q) == len(persons.list_persons(vs, q, 0, 500)), q
    return out


def _filtered(unit1: int, unit2: int) -> tuple[persons.ArchiveQuery, ...]:
    """Archive queries whose count takes another form than the list (filters, searches)."""
    q = persons.ArchiveQuery
    return (q(), q(unit_id=unit1), q(unit_id=unit2, include_archived=True),
            q(police_type="交警"), q(kind="other"), q(text="zhang", include_archived=True),
            q(text="zh"), q(text="张"), q(text="3300", include_archived=True),
            q(text="zs", unit_id=unit1))


#: One change to the world: (kind, counselor index, person index, session pick).
Step = tuple[str, int, int, int]
STEPS = st.lists(st.tuples(
    st.sampled_from(("log", "log", "void", "unvoid", "recounsel", "reperson", "delete",
                     "create", "transfer", "hand_over", "leave")),
    st.integers(0, 2), st.integers(0, 4), st.integers(0, 1_000)), min_size=1, max_size=6)


def _apply(world: World, people: list[int], step: Step) -> None:
    kind, c, p, pick = step
    coord, user = world.login("coord"), world.login(COUNSELORS[c])
    uid = user.actor.id
    sessions = [int(s) for (s,) in _rows(coord, "SELECT id FROM counseling_session "
                                                "ORDER BY id")]
    sid = sessions[pick % len(sessions)] if sessions else None
    try:
        if kind == "log":
            _log(user, people[p])
        elif kind == "create":
            people.append(persons.create_person(user, persons.PersonDraft(
                kind="other", name="孙八")))
        elif kind == "transfer":
            unit = world.unit2 if p % 2 == 0 else world.unit1
            person_moves.transfer(coord, people[p], unit, coord.today().isoformat())
        elif kind == "leave":  # an archived (former) officer
            person_moves.leave(coord, people[p], coord.today().isoformat(), "retired")
        elif kind == "hand_over":
            handover.hand_over(coord, COUNSELORS[c], COUNSELORS[(c + 1) % 3], "调离")
        elif sid is not None:  # the row changes no service makes: as stored SQL would
            sql = {"void": "UPDATE counseling_session SET voided_at = '2026-11-25T09:00:00',"
                           " void_reason = 'test' WHERE id = ?",
                   "unvoid": "UPDATE counseling_session SET voided_at = NULL, "
                             "void_reason = NULL WHERE id = ?",
                   "recounsel": f"UPDATE counseling_session SET counselor_id = {uid} "
                                "WHERE id = ?",
                   "reperson": f"UPDATE counseling_session SET person_id = {people[p]} "
                               "WHERE id = ?",
                   "delete": "DELETE FROM session_topic WHERE session_id = ?"}[kind]
            with coord.transaction():
                coord.execute(sql, (sid,))
                if kind == "delete":
                    for table in ("session_counselor", "session_addendum",
                                  "follow_up_holder"):
                        coord.execute(f"DELETE FROM {table} WHERE session_id = ?", (sid,))
                    coord.execute("DELETE FROM counseling_session WHERE id = ?", (sid,))
    except (Conflict, InvalidInput, NotFound):
        pass  # a step the services refuse (e.g. a second transfer the same day) changes nothing


def test_kept_pairs_and_visible_sets_follow_every_change(world: World) -> None:
    """Hypothesis drives sequences of changes on one world (each example goes on from the
    last: the property holds after any history); after every step ``own_case`` equals its
    definition and, for each counselor, every form of the rule and the archive list select
    the rule's plain set."""
    people = _people(world)
    coord = world.login("coord")
    for name in COUNSELORS:  # some history before the first example: sessions, a
        _log(world.login(name), people[COUNSELORS.index(name)])  # handover, a transfer
    handover.hand_over(coord, "li", "zhao", "调离")
    person_moves.transfer(coord, people[1], world.unit2, "2026-11-20")

    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(STEPS)
    def run(steps: list[Step]) -> None:
        for step in steps:
            _apply(world, people, step)
            kept = set(_rows(coord, "SELECT user_id, person_id, sessions, created "
                                    "FROM own_case"))
            assert kept == _plain_pairs(coord), step
            for name in COUNSELORS:
                expected = _plain_visible(coord, name)
                for form, got in _seen(world.login(name), (world.unit1, world.unit2)).items():
                    assert got == expected, (step, name, form)

    run()


def test_a_voided_session_no_longer_makes_a_counselor_see_a_person(world: World) -> None:
    """The smallest case by hand: wang (U002) serves a U001 officer, then the session is
    voided: the pair goes and the officer leaves wang's archive; li's created person stays
    visible to li without any session."""
    zhang = officer(world, "张三", "330001")
    wang, li = world.login("wang"), world.login("li")
    sid = _log(wang, zhang)
    assert zhang in {r.id for r in persons.list_persons(wang, persons.ArchiveQuery(), 0, 50)}
    with world.admin.transaction():
        world.admin.execute("UPDATE counseling_session SET voided_at = '2026-11-25T09:00:00'"
                            " WHERE id = ?", (sid,))
    assert zhang not in {r.id for r in persons.list_persons(wang, persons.ArchiveQuery(), 0,
                                                              50)}
    assert persons.count_persons(wang, persons.ArchiveQuery()) == 0
    assert _rows(world.admin, "SELECT count(*) FROM own_case WHERE person_id = ?",
                 (zhang,)) == [(1,)]  # the office created it: its creator's row only
    mine = persons.create_person(li, persons.PersonDraft(kind="other", name="孙八"))
    wang_view = persons.list_persons(wang, persons.ArchiveQuery(), 0, 50)
    assert mine not in {r.id for r in wang_view}
    assert mine in {r.id for r in persons.list_persons(li, persons.ArchiveQuery(), 0, 50)}


def test_upgrade_fills_the_pairs_of_a_vault_of_the_former_schema(world: World) -> None:
    """A vault with sessions (one voided, one anonymous) and persons created by a counselor,
    taken back to the schema before migration 29 and unlocked: the upgrade fills
    ``own_case`` as its definition says, and its triggers then follow a session logged."""
    people = _people(world)
    li, wang = world.login("li"), world.login("wang")
    _log(li, people[0])
    _log(li, people[0])
    voided = _log(wang, people[1])
    persons.create_person(li, persons.PersonDraft(kind="other", name="孙八"))
    session_service.log_session(wang, SessionDraft(
        person_id=None, caller_label="匿名来电", caller_kind="officer",
        started_at=wang.now() - timedelta(hours=2), channel="hotline", kind="routine",
        topics=("work_stress",), duration_min=20))
    with world.admin.transaction():
        world.admin.execute("UPDATE counseling_session SET voided_at = '2026-11-25T09:00:00'"
                            " WHERE id = ?", (voided,))
    expected = _plain_pairs(world.admin)
    assert (li.actor.id, people[0], 2, 0) in expected
    assert not any(p == people[1] and u == wang.actor.id for u, p, _n, _c in expected)
    key = world.admin.db.key
    world.close()
    world.admin.close()  # the upgrade needs the vault alone (closing is idempotent)
    before = next(m.version for m in MIGRATIONS if m.up is m0029_own_cases.up) - 1
    assert "own_case" not in vault_as_schema(world.path, key, before)
    again = lifecycle.unlock(world.path, "li", "purple elephant typing quietly",
                             clock=world.clock, state_dir=world.state_dir)
    try:
        with again.reading():
            assert schema_version(again.db.raw()) == CURRENT_VERSION
        assert set(_rows(again, "SELECT * FROM own_case")) == expected
        _log(again, people[2])
        assert (again.actor.id, people[2], 1, 0) in set(_rows(again, "SELECT * FROM own_case"))
        assert set(_rows(again, "SELECT * FROM own_case")) == _plain_pairs(again)
    finally:
        again.close()


# ------------------------------------------------------------------ query plans

#: A plan line that reads the sessions by counselor or whole: the visibility rule as it was
#: (``SEARCH counseling_session USING INDEX counseling_session_counselor_id``) or any scan.
_SESSION_SCAN = re.compile(r"counseling_session_counselor_id|^SCAN (\w+)")


def _scans_sessions(sql: str, detail: str) -> bool:
    found = _SESSION_SCAN.search(detail)
    if found is None:
        return False
    if found.group(1) is None:
        return True
    name = found.group(1)  # a scanned table or alias: the sessions' own?
    return name == "counseling_session" or re.search(
        rf"counseling_session\s+(AS\s+)?{name}\b", sql) is not None


def test_no_statement_of_a_counselors_screens_scans_the_sessions(world: World) -> None:
    """Issue 18: as counselor li (with sessions of several counselors stored), every
    statement of the archive (each filter and sort, the count), its searches (pinyin,
    characters, badge, with a unit), the picker, the dashboard, a person record and a note
    search: ``EXPLAIN QUERY PLAN`` shows no scan of ``counseling_session`` and no look-up by
    its counselor index (the visibility rule reads ``own_case``); and the statements did run
    (the rule is in them)."""
    people = _people(world)
    li = world.login("li")
    for name in COUNSELORS:
        for person in people[:4]:  # the officers (a counselor logs for any officer)
            _log(world.login(name), person)
    conn = li.db.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        for q in (persons.ArchiveQuery(), persons.ArchiveQuery(unit_id=world.unit2),
                  persons.ArchiveQuery(police_type="交警"), persons.ArchiveQuery(kind="other"),
                  persons.ArchiveQuery(tier="red"),
                  persons.ArchiveQuery(sort="review_due", descending=True),
                  persons.ArchiveQuery(sort="last_session"),
                  persons.ArchiveQuery(text="zha", include_archived=True),
                  persons.ArchiveQuery(text="zhangs"), persons.ArchiveQuery(text="张"),
                  persons.ArchiveQuery(text="张三"), persons.ArchiveQuery(text="3300"),
                  persons.ArchiveQuery(text="zs", unit_id=world.unit1)):
            persons.count_persons(li, q)
            persons.list_persons(li, q, 0, 50)
        person_search.find_persons(li, "wang")
        dashboard.gather(li)
        person_record.get_person(li, people[2])
        session_reads.search_notes(li, "睡眠不好")
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert any("own_case" in s for s in selects)
    bad = []
    for sql in selects:
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql):
            if _scans_sessions(sql, str(row[3])):
                bad.append((str(row[3]), sql[:300]))
    assert not bad, bad

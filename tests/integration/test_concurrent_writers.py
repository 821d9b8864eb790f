"""Many writers, one file (issue 14 item 2): real processes append to one real vault at
once and the audit chain stays one chain; two counselors editing the same session — the
second save is told what changed meanwhile and nothing is silently overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from counselor_tui.services import audit, key_rotation, lifecycle, live, persons, sessions
from counselor_tui.services.context import FixedClock, SystemClock, VaultSession
from counselor_tui.services.edit_conflicts import EditedMeanwhile
from counselor_tui.services.errors import Conflict
from counselor_tui.services.person_record import get_person
from counselor_tui.services.sessions import SessionDraft
from db import presence
from db.connection import StorageError, begin_write, is_busy, open_connection
from db.migrations import CURRENT_VERSION, schema_version
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, REPO, TZ
from tests.helpers import as_schema
from tests.integration.archive_world import World, make_world, officer
from tests.worlds import add_office

WRITERS = 4
EACH = 15

#: One writer process: unlock as the coordinator ``office``, wait for "go" on stdin (all
#: start together), then create persons (each one a transaction with its audit event) as fast
#: as it can.
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from counselor_tui.services import lifecycle, persons
    from counselor_tui.services.context import SystemClock
    from counselor_tui.services.persons import PersonDraft
    vs = lifecycle.unlock(Path(sys.argv[1]), "office", sys.argv[2], clock=SystemClock(),
                      state_dir=Path(sys.argv[3]))
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(int(sys.argv[5])):
        persons.create_person(vs, PersonDraft(kind="officer", name=f"测试{sys.argv[4]}-{i}",
                                              badge_no=f"9{sys.argv[4]}{i:04d}",
                                              unit_id=int(sys.argv[6])))
    vs.close()
    print("done", flush=True)
""")


def test_processes_appending_at_once_keep_one_chain(session: VaultSession,
                                                    state_dir: Path) -> None:
    unit = persons.create_unit(session, "城关派出所", "派出所", code="U001")
    add_office(session)
    before = audit.verify_chain(session)
    session.close()  # the writers are other processes; this one holds nothing open
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen(
        [sys.executable, "-c", WRITER, str(session.path), PASSPHRASE, str(state_dir), str(n),
         str(EACH), str(unit)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env, cwd=REPO) for n in range(WRITERS)]
    try:
        for p in procs:
            assert p.stdout is not None and p.stderr is not None
            if p.stdout.readline().strip() != "ready":
                pytest.fail("a writer did not start: " + p.stderr.read()[-2000:])
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for (out, err), p in zip(results, procs, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert "locked" not in err and "done" in out
    vs = lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=SystemClock(),
                          state_dir=state_dir)
    try:
        report = audit.verify_chain(vs)
        assert report.ok, report
        with vs.reading():
            created = vs.execute("SELECT count(*) FROM audit_event WHERE action = 'create' "
                                 "AND entity = 'person'").fetchone()[0]
            stored = vs.execute("SELECT count(*) FROM person").fetchone()[0]
            seqs = [r[0] for r in vs.execute("SELECT seq FROM audit_event ORDER BY seq")]
        assert created == stored == WRITERS * EACH
        assert seqs == list(range(1, len(seqs) + 1))  # one chain, no gap, no fork
        assert report.count > before.count + WRITERS * EACH  # + logins, unlocks
    finally:
        vs.close()


def test_busy_is_recognised() -> None:
    import sqlcipher3

    assert is_busy(sqlcipher3.dbapi2.OperationalError("database is locked"))
    assert not is_busy(sqlcipher3.dbapi2.OperationalError("no such table: x"))


# -- two counselors editing the same session -------------------------------------------------


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


@pytest.fixture
def world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    with make_world(session, clock, state_dir) as w:
        yield w


def _draft(person_id: int, note: str, **kw: object) -> SessionDraft:
    base: dict[str, object] = {"channel": "face_to_face", "kind": "routine",
                               "topics": ("work_stress",), "duration_min": 50}
    base.update(kw)
    return SessionDraft(person_id=person_id, started_at=datetime(2026, 11, 25, 8, tzinfo=TZ),
                        note=note, **base)  # type: ignore[arg-type]


def test_second_save_is_told_what_changed_and_nothing_is_overwritten(world: World) -> None:
    zs = officer(world, "张三", "330001")
    li, coord = world.login("li"), world.login("coord")
    sid = sessions.log_session(li, _draft(zs, "原记录")).id
    world.clock.advance(minutes=5)
    # both open the edit form on the same version
    li_form, coord_form = sessions.get_session(li, sid), sessions.get_session(coord, sid)
    assert li_form.version == coord_form.version == 1
    world.clock.advance(minutes=3)
    sessions.update_session(coord, sid, _draft(zs, "协调员补充的记录", risk="moderate"),
                            coord_form.version)
    world.clock.advance(minutes=2)
    with pytest.raises(EditedMeanwhile) as told:
        sessions.update_session(li, sid, _draft(zs, "李的修改"), li_form.version)
    error = told.value
    assert [(c.by, c.at[11:16]) for c in error.changes] == [("COORD", "09:08")]
    assert set(error.changes[0].fields) >= {"note", "risk"}
    assert "COORD" in str(error) and "note" in str(error) and "Nothing was saved" in str(error)
    kept = sessions.get_session(coord, sid)
    assert kept.note == "协调员补充的记录" and kept.risk == "moderate"  # not overwritten
    # told, li saves deliberately over the version she was shown
    sessions.update_session(li, sid, _draft(zs, "李的修改"), error.current_version)
    assert sessions.get_session(li, sid).note == "李的修改"
    # a third save from a stale form is refused again, naming li
    with pytest.raises(EditedMeanwhile, match="LI"):
        sessions.update_session(coord, sid, _draft(zs, "再改"), coord_form.version)
    assert audit.verify_chain(world.admin).ok


def test_two_saves_in_the_same_second_are_told_apart(world: World) -> None:
    """The clock does not move: the form opened, the other counselor's save and this save
    all fall in one second, so ``updated_at`` is the same before and after the other save;
    the version counter still tells the second save that the record changed."""
    zs = officer(world, "张三", "330002")
    li, coord = world.login("li"), world.login("coord")
    sid = sessions.log_session(li, _draft(zs, "原记录")).id
    li_form, coord_form = sessions.get_session(li, sid), sessions.get_session(coord, sid)
    sessions.update_session(coord, sid, _draft(zs, "协调员的记录"), coord_form.version)
    assert sessions.get_session(li, sid).updated_at == li_form.updated_at  # same second
    with pytest.raises(EditedMeanwhile) as told:
        sessions.update_session(li, sid, _draft(zs, "李的记录"), li_form.version)
    assert [c.by for c in told.value.changes] == ["COORD"]
    assert "note" in told.value.changes[0].fields
    assert sessions.get_session(coord, sid).note == "协调员的记录"  # not overwritten
    # still in the same second, two saves over the told version: the first wins, the
    # second (from the same told version) is told again
    sessions.update_session(li, sid, _draft(zs, "李的记录"), told.value.current_version)
    with pytest.raises(EditedMeanwhile, match="LI"):
        sessions.update_session(coord, sid, _draft(zs, "又改"), told.value.current_version)
    assert sessions.get_session(li, sid).note == "李的记录"


def test_a_write_waits_out_another_writer_then_gives_up_only_after_the_bound(
        session: VaultSession) -> None:
    """A second connection finds the file busy (the first holds ``BEGIN IMMEDIATE``, and the
    second's own busy wait is 0): the write is retried and goes through once the first
    commits; with the first never committing it ends as the busy StorageError, not as
    SQLite's 'database is locked'."""
    holder = open_connection(session.path, session.db.key)
    other = open_connection(session.path, session.db.key)
    try:
        other.execute("PRAGMA busy_timeout = 0")
        holder.execute("BEGIN IMMEDIATE")
        seen: list[str] = []

        def attempt(sql: str) -> None:
            try:
                other.execute(sql)
            except Exception as exc:
                seen.append(str(exc))
                holder.execute("COMMIT")  # the other writer finishes meanwhile
                raise

        assert begin_write(attempt, wait=30) == 2
        assert seen == ["database is locked"]
        other.execute("ROLLBACK")
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError):
            begin_write(other.execute, wait=0.05)
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        other.close()


def test_live_poll_sees_other_sessions_changes_not_views_nor_its_own(world: World) -> None:
    zs = officer(world, "张三", "330001")
    li, coord = world.login("li"), world.login("coord")
    changed, li_seen = live.poll(li, None)
    assert not changed
    changed, coord_seen = live.poll(coord, None)
    assert not changed and live.poll(li, li_seen) == (False, li_seen)  # nothing happened
    sessions.log_session(coord, _draft(zs, "协调员记录"))
    changed, li_seen = live.poll(li, li_seen)
    assert changed  # another session saved
    assert live.poll(li, li_seen)[0] is False  # seen once
    get_person(li, zs)  # a view is written, but nothing on a screen changed
    changed, coord_seen = live.poll(coord, coord_seen)
    assert not changed
    sessions.log_session(li, _draft(zs, "李的记录"))
    changed, li_seen = live.poll(li, li_seen)
    assert not changed  # her own save: her screens refreshed when she saved
    changed, coord_seen = live.poll(coord, coord_seen)
    assert changed


def test_rekey_names_the_sessions_holding_the_vault_open(world: World) -> None:
    world.clock.advance(minutes=3)
    world.login("li")
    world.clock.advance(minutes=4)
    world.login("coord")
    with pytest.raises(Conflict) as refused:
        key_rotation.rekey(world.admin)
    said = str(refused.value)
    assert "rotate the key" in said
    assert "li (since 2026-11-25 09:03)" in said and "coord (since 2026-11-25 09:07)" in said
    assert "admin" not in said  # the admin's own session is not named
    world.close()  # they quit: their records go, rekey goes through
    assert presence.holders(world.path, world.admin.presence.path  # type: ignore[union-attr]
                            ) == []
    key_rotation.rekey(world.admin)


def _as_schema_7(path: Path, key: bytes) -> None:
    """Turn the vault back into schema 7 (before the sessions' edit version), as an older
    program left it."""
    conn = open_connection(path, key)
    try:
        as_schema(conn, 7)
    finally:
        conn.close()


def test_a_schema_upgrade_names_the_sessions_holding_the_vault_open(world: World) -> None:
    world.clock.advance(minutes=3)
    world.login("li")  # li's session (of the older program) holds the vault open
    _as_schema_7(world.path, world.admin.db.key)
    world.clock.advance(minutes=4)
    with pytest.raises(Conflict) as refused:
        world.login("coord")  # the newer program opens the older vault: it must upgrade
    said = str(refused.value)
    assert f"schema 7 to {CURRENT_VERSION}" in said and "needs it alone" in said
    assert "li (since 2026-11-25 09:03)" in said and "admin (since 2026-11-25 09:00)" in said
    assert "coord" not in said
    probe = open_connection(world.path, world.admin.db.key)
    try:  # nothing was upgraded under the open sessions
        assert schema_version(probe) == 7
    finally:
        probe.close()
    world.close()
    world.admin.close()  # everyone quit: the upgrade goes through at the next unlock
    coord = world.login("coord")
    with coord.reading():
        assert schema_version(coord.db.raw()) == CURRENT_VERSION
        assert coord.execute("SELECT count(*) FROM counseling_session WHERE version != 1"
                             ).fetchone()[0] == 0
    assert presence.holders(world.path) == [presence.Holder("coord", coord.now_iso())]


def test_a_record_left_by_a_killed_session_is_not_named(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    folder = presence.folder_of(db)
    folder.mkdir()
    (folder / "999999-dead.json").write_text('{"user": "ghost", "since": "x"}')
    alive = presence.Presence(db)
    alive.announce("li", "2026-11-25T09:00:00+08:00")
    assert presence.holders(db) == [presence.Holder("li", "2026-11-25T09:00:00+08:00")]
    assert not (folder / "999999-dead.json").exists()
    alive.withdraw()
    assert presence.holders(db) == []


#: One SSH session's attempt to unlock as li, as its own process, at a given moment of a
#: fixed clock; prints ok / wrong / throttled.
ATTEMPT = textwrap.dedent("""
    import sys
    from datetime import datetime
    from pathlib import Path
    from counselor_tui.services import lifecycle
    from counselor_tui.services.context import FixedClock
    from counselor_tui.services.errors import Throttled, WrongPassphrase
    clock = FixedClock(datetime.fromisoformat(sys.argv[4]))
    try:
        lifecycle.unlock(Path(sys.argv[1]), "li", sys.argv[2], clock=clock,
                         state_dir=Path(sys.argv[3])).close()
        print("ok")
    except Throttled:
        print("throttled")
    except WrongPassphrase:
        print("wrong")
""")


def test_a_wrong_passphrase_in_one_session_delays_the_next_attempt_in_another(
        world: World) -> None:
    """Two SSH sessions are two processes of the service account sharing its state folder:
    the failed attempt of one delays the next attempt of the same user in the other, and
    the vault's files do not change on the wrong passphrase."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    path, state = world.path, world.state_dir
    moment = "2026-11-25T10:00:00+08:00"

    def attempt(secret: str, at: str) -> str:
        done = subprocess.run([sys.executable, "-c", ATTEMPT, str(path), secret, str(state),
                               at], capture_output=True, text=True, env=env, cwd=REPO,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    world.admin.close()
    before = {p.name: p.read_bytes() for p in path.parent.iterdir() if p.is_file()}
    assert attempt("not the passphrase at all", moment) == "wrong"
    after = {p.name: p.read_bytes() for p in path.parent.iterdir() if p.is_file()}
    assert after == before
    assert attempt(OTHER_PASSPHRASE, moment) == "throttled"  # the other session waits
    assert attempt(OTHER_PASSPHRASE, "2026-11-25T10:00:02+08:00") == "ok"  # delay over


def test_a_record_is_read_outside_the_write_transaction_its_view_event_needs(
        world: World) -> None:
    """Opening a person record or a session reads it in a read transaction and writes only
    its view event under the write lock, so a long read (a whole record, sealed notes
    opened) never keeps the other writers waiting; the view is still recorded."""
    zs = officer(world, "张三", "330003")
    li = world.login("li")
    sid = sessions.log_session(li, _draft(zs, "记录")).id
    for read in (lambda: get_person(li, zs), lambda: sessions.get_session(li, sid)):
        statements: list[str] = []
        with li.db.session():
            raw = li.db.raw()
            raw.set_trace_callback(statements.append)
            try:
                read()
            finally:
                raw.set_trace_callback(None)
        start = statements.index("BEGIN IMMEDIATE")
        inside = statements[start + 1:statements.index("COMMIT", start)]
        assert any("INSERT" in s and "audit_event" in s for s in inside), inside
        assert all("audit_event" in s for s in inside), inside  # the view event alone
        assert any("counseling_session" in s for s in statements[:start])  # read before
    with li.reading():
        views = li.execute("SELECT entity FROM audit_event WHERE action = 'view' "
                           "ORDER BY seq DESC LIMIT 2").fetchall()
    assert sorted(v[0] for v in views) == ["counseling_session", "person"]

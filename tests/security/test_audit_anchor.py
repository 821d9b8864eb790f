"""Security test 23 (issue 11): an edited, removed or re-chained audit event of another
account is reported by ``check`` — by the events' own signatures, against the witness
beside the vault, a backup's witness or a submission package as anchor. The insider uses
one counselor's passphrase and the product's own modules on the vault files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.services import backup_restore, integrity, lifecycle, sessions, submissions
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.sessions import SessionDraft
from db import vault as slots
from db import witness
from db.connection import CheckLine, open_connection
from tests.conftest import OTHER_PASSPHRASE, TZ, run_cli, write_secret
from tests.integration.archive_world import World, make_world, officer
from tests.integration.submission_fixtures import populate
from tests.worlds import as_office

PACKAGE_PASSWORD = "amber lighthouse quietly folding maps"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 2, 9, 0, tzinfo=TZ))


@pytest.fixture
def world(session: VaultSession, clock: FixedClock, state_dir: Path) -> Iterator[World]:
    with make_world(session, clock, state_dir) as w:
        yield w
        w.close()


def _wang_writes(world: World) -> int:
    """wang logs a session; returns the sequence number of wang's ``create`` event."""
    person = officer(world, "赵六", "440001", unit=world.unit2, police_type="交警")
    wang = world.login("wang")
    sid = sessions.log_session(wang, SessionDraft(
        person_id=person, started_at=datetime(2026, 11, 28, 10, tzinfo=TZ),
        channel="face_to_face", kind="routine", topics=("work_stress",), duration_min=50,
        note="记录")).id
    with wang.reading():
        row = wang.execute("SELECT seq FROM audit_event WHERE \"user\" = 'wang' AND action = "
                           "'create' AND entity_id = ?", (str(sid),)).fetchone()
    return int(row[0])


def _li_opens(world: World) -> Any:
    """li's attack tools: the database opened with the data key from li's own slot."""
    for vs in (world.admin, *world._open.values()):
        vs.close()
    world._open.clear()
    keys = slots.load(slots.keys_path(world.path))
    data_key = slots.open_slot(keys, keys.user_slot("li"), OTHER_PASSPHRASE)
    return open_connection(world.path, data_key)


def _rechain(conn: Any, start: int) -> None:
    """Recompute every hash from ``start`` on, as the attack did, so the hash chain holds."""
    prev = conn.execute("SELECT hash FROM audit_event WHERE seq = ?", (start - 1,)).fetchone()[0]
    rows = list(conn.execute("SELECT seq, at, user, action, entity, entity_id, detail FROM "
                             "audit_event WHERE seq >= ? ORDER BY seq", (start,)))
    for seq, at, user, action, entity, entity_id, detail in rows:
        digest = event_hash(prev, seq, at, user, action, entity, entity_id, json.loads(detail))
        conn.execute("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?",
                     (prev, digest, seq))
        prev = digest


def _check(world: World, **kw: Any) -> dict[str, CheckLine]:
    result = integrity.check_vault(world.path, "coord", OTHER_PASSPHRASE, state_dir=world.state_dir,
                               clock=world.clock, **kw)
    return {line.name: line for line in result.lines}


def test_23_an_edited_and_rechained_event_of_another_account_is_reported(world: World) -> None:
    seq = _wang_writes(world)
    assert all(line.ok for line in _check(world).values())
    conn = _li_opens(world)
    try:
        conn.execute("UPDATE audit_event SET detail = '{\"person_id\":1}' WHERE seq = ?", (seq,))
        _rechain(conn, seq)
    finally:
        conn.close()
    lines = _check(world)
    assert lines["audit_chain"].ok  # the recomputed chain alone looks fine: the attack
    assert not lines["audit_signatures"].ok
    assert f"event {seq} (wang): signature does not verify" in lines["audit_signatures"].detail
    assert not lines["witness"].ok and "no longer matches its witness" in lines["witness"].detail


def test_23_a_removed_event_is_reported_against_the_witness_and_a_backup(
        world: World, tmp_path: Path) -> None:
    seq = _wang_writes(world)
    backup = backup_restore.backup(world.admin, tmp_path / "backups")
    assert witness.witness_path(backup).exists()
    conn = _li_opens(world)
    try:
        last = conn.execute("SELECT MAX(seq) FROM audit_event").fetchone()[0]
        conn.execute("DELETE FROM audit_event WHERE seq >= ?", (seq,))
    finally:
        conn.close()
    lines = _check(world, anchor=witness.witness_path(backup))
    assert not lines["witness"].ok and f"the witness saw event {last}" in lines["witness"].detail
    assert not lines["anchor"].ok and "events removed" in lines["anchor"].detail
    # li also removes the witness beside the vault: its absence is reported (the vault signs
    # its events, so it has kept one), and the backup's witness still tells what was removed
    witness.witness_path(world.path).unlink()
    lines = _check(world, anchor=witness.witness_path(backup))
    assert not lines["witness"].ok and "is missing" in lines["witness"].detail
    assert not lines["anchor"].ok


def test_23_a_package_is_an_anchor(created: lifecycle.CreatedVault, clock: FixedClock,
                                   state_dir: Path, tmp_path: Path) -> None:
    vs = lifecycle.unlock(created.path, "admin", "correct horse battery staple", clock=clock,
                      state_dir=state_dir)
    populate(vs)
    office = as_office(vs)  # the coordinator's rights, the admin's keys
    detail = submissions.compile_draft(office, "2026-11", "bureau")
    submissions.save_narrative(office, detail.info.id, {"highlights": "完成普查", "plan": "继续"})
    submissions.finalize(office, detail.info.id)
    exported = submissions.export(office, detail.info.id, tmp_path / "out", PACKAGE_PASSWORD)
    vs.close()
    password = PACKAGE_PASSWORD
    ok = integrity.check_vault(created.path, "admin", "correct horse battery staple",
                           state_dir=state_dir, clock=clock, anchor=exported.path,
                           anchor_password=password)
    assert {x.name: x for x in ok.lines}["anchor"].ok
    keys = slots.load(created.keys_path)
    conn = open_connection(created.path, slots.open_slot(keys, keys.user_slot("admin"),
                                                         "correct horse battery staple"))
    try:  # an early event is edited and the whole chain recomputed after it
        conn.execute("UPDATE audit_event SET detail = '{}' WHERE seq = 2")
        _rechain(conn, 2)
    finally:
        conn.close()
    bad = integrity.check_vault(created.path, "admin", "correct horse battery staple",
                            state_dir=state_dir, clock=clock, anchor=exported.path,
                            anchor_password=password)
    lines = {x.name: x for x in bad.lines}
    assert lines["audit_chain"].ok and not lines["anchor"].ok
    assert "no longer holds the package's head" in lines["anchor"].detail


def test_cli_check_with_an_anchor_and_a_grant(world: World, tmp_path: Path) -> None:
    """``check --anchor FILE`` and ``users grant-sealed`` through the command line."""
    seq = _wang_writes(world)
    backup = backup_restore.backup(world.admin, tmp_path / "backups")
    world.close()
    world.admin.close()
    pw = write_secret(tmp_path, "pw.txt", OTHER_PASSPHRASE)
    env = {"COUNSELOR_TUI_STATE_DIR": str(tmp_path / "cli-state"), "COUNSELOR_TUI_LANG": "en"}
    base = ("--vault", str(world.path), "--passphrase-file", str(pw))
    ok = run_cli(*base, "--user", "coord", "check", "--anchor",
                 str(witness.witness_path(backup)), env_extra=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "anchor: ok" in ok.stdout and "role_grants: ok root " in ok.stdout
    granted = run_cli(*base, "--user", "coord", "users", "grant-sealed", "li", env_extra=env)
    assert granted.returncode == 0, granted.stderr
    refused = run_cli(*base, "--user", "li", "users", "grant-sealed", "zhao", env_extra=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    conn = _li_opens(world)
    try:
        conn.execute("DELETE FROM audit_event WHERE seq >= ?", (seq,))
    finally:
        conn.close()
    bad = run_cli(*base, "--user", "coord", "check", "--anchor",
                  str(witness.witness_path(backup)), env_extra=env)
    assert bad.returncode == 1 and "anchor: FAILED" in bad.stdout

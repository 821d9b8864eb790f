"""The security and reliability tests of shared/domain/security-tests.md (1–14, 16, 17, 19, 20).

Each runs against real SQLCipher files in a temporary folder. Test 15 (idle lock) is a Pilot
test of the TUI; test 18 (export package) belongs to the submissions tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from counselor_tui.services import (
    accounts,
    audit,
    backup_restore,
    key_rotation,
    lifecycle,
    witness,
)
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import (
    ServiceError,
    Throttled,
    VaultDamaged,
    WrongPassphrase,
)
from db import vault as slots
from db.connection import (
    WrongKeyOrDamagedError,
    integrity_checks,
    open_connection,
    pragma_report,
)
from db.models import Submission
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, file_hashes, run_cli, write_secret
from tests.helpers import add_note, table_dump

WRONG_MESSAGE = lifecycle.wrong_passphrase_message


def _cli_env(tmp_path: Path) -> dict[str, str]:
    return {"COUNSELOR_TUI_STATE_DIR": str(tmp_path / "cli-state"), "COUNSELOR_TUI_LANG": "en"}


# 1 ---------------------------------------------------------------------------------------------
def test_01_wrong_passphrase_exit_2_unchanged_only_our_message(
    session: VaultSession, tmp_path: Path
) -> None:
    add_note(session, "第一次面谈记录")
    session.close()
    folder = session.path.parent
    before = file_hashes(folder)
    bad = write_secret(tmp_path, "bad.txt", "not the right passphrase at all")
    for command in (["check"], ["backup"], ["users", "list"]):
        result = run_cli("--vault", str(session.path), "--user", "admin", "--passphrase-file",
                         str(bad), *command, env_extra=_cli_env(tmp_path))
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.strip() == WRONG_MESSAGE()
        assert "wrong passphrase or damaged file" in result.stderr
        assert file_hashes(folder) == before
        # the growing delay must not slow the suite: clear the counter between commands
        shutil.rmtree(tmp_path / "cli-state", ignore_errors=True)
        shutil.rmtree(tmp_path / "attempts-mirror", ignore_errors=True)  # its second copy


# 2 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("secret", ["", "   ", "\t \t", "password", "12345678", "police2026"])
def test_02_empty_blank_weak_passphrase_refused_no_file(tmp_path: Path, secret: str) -> None:
    folder = tmp_path / "v"
    pw = write_secret(tmp_path, "pw.txt", secret)
    result = run_cli("--vault", str(folder / "vault.db"), "--passphrase-file", str(pw), "init",
                     "--bureau", "某县公安局", "--admin", "admin", "--recovery-code-out",
                     str(folder / "rc.txt"), env_extra=_cli_env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "passphrase" in result.stderr.lower()
    assert secret.strip() == "" or secret not in result.stderr
    assert not folder.exists() or not any(folder.iterdir())


def test_02_service_refuses_before_creating(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "x" / "vault.db"
    with pytest.raises(ServiceError):
        lifecycle.create_vault(path, bureau="局", admin_username="admin", passphrase="  ",
                           clock=clock, kdf_seconds=0)
    assert not path.parent.exists()


# 3 ---------------------------------------------------------------------------------------------
def test_03_encrypted_header_and_canary_absent_everywhere(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setenv("SQLITE_TMPDIR", str(temp))
    canary = "CANARY-金丝雀-7f3a9c"
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    add_note(vs, f"面谈内容 {canary} 结束")
    wal = Path(f"{created.path}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the note sits in the WAL right now
    # The save queued a witness rewrite on the process's writer thread (temp file, rename):
    # let it finish, or the scan below may list its temp file and find it renamed away.
    assert witness.settle()

    def scan() -> list[Path]:
        hits = []
        needles = [canary.encode("utf-8"), canary.encode("utf-16-le"), b"CANARY-"]
        for folder in (created.path.parent, temp, state_dir):
            for p in folder.rglob("*"):
                if p.is_file() and any(n in p.read_bytes() for n in needles):
                    hits.append(p)
        return hits

    assert scan() == []
    vs.close()
    assert scan() == []
    header = created.path.read_bytes()[:16]
    assert not header.startswith(b"SQLite format 3")
    conn = open_connection(created.path, _key_of(created))
    try:
        row = conn.execute("SELECT note FROM counseling_session").fetchone()
    finally:
        conn.close()
    assert canary in row[0]  # the canary really was stored


def _key_of(created: lifecycle.CreatedVault) -> bytes:
    keys = slots.load(created.keys_path)
    return slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)


# 4 ---------------------------------------------------------------------------------------------
def test_04_pragmas_after_unlock(session: VaultSession) -> None:
    with session.reading():
        report = pragma_report(session.db.raw())
    assert report.cipher_version.startswith("4.")
    assert report.temp_store == 2
    assert report.cipher_log_level.upper() == "NONE"
    assert report.journal_mode == "wal"
    assert report.foreign_keys == 1
    assert report.secure_delete == 1
    assert report.synchronous == 2  # FULL


# 5 ---------------------------------------------------------------------------------------------
def _page_size(created: lifecycle.CreatedVault) -> int:
    conn = open_connection(created.path, _key_of(created))
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def _root_page(created: lifecycle.CreatedVault, table: str) -> int:
    conn = open_connection(created.path, _key_of(created))
    try:
        return int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0])
    finally:
        conn.close()


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def test_05_flipped_byte_after_first_page_named_by_check_and_writes_refused(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path, tmp_path: Path
) -> None:
    page = _root_page(created, "audit_event")
    assert page > 1
    size = _page_size(created)
    _flip(created.path, (page - 1) * size + size // 2)
    pw = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    result = run_cli("--vault", str(created.path), "--user", "admin", "--passphrase-file",
                     str(pw), "check", env_extra=_cli_env(tmp_path))
    assert result.returncode == 1
    assert f"cipher_integrity_check: FAILED damaged page(s): {page}" in result.stdout
    assert "restore" in result.stderr
    with pytest.raises(VaultDamaged) as info:
        lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    assert "restore" in str(info.value)


# 6 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["first_page", "truncated"])
def test_06_damaged_first_page_or_truncated_with_right_passphrase_is_damage(
    created: lifecycle.CreatedVault, tmp_path: Path, damage: str
) -> None:
    if damage == "first_page":
        _flip(created.path, 100)
    else:
        data = created.path.read_bytes()
        created.path.write_bytes(data[: len(data) // 3 + 7])
    pw = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    result = run_cli("--vault", str(created.path), "--user", "admin", "--passphrase-file",
                     str(pw), "check", env_extra=_cli_env(tmp_path))
    # the key slot opened, so the passphrase is right: the file is damaged (test 26); a
    # truncated file may still open its first page, then check names the damage
    assert result.returncode == 1, result.stderr
    assert ("vault file" in result.stderr and "is damaged" in result.stderr) or (
        "FAILED" in result.stdout)
    assert "wrong passphrase" not in result.stderr


# 7 ---------------------------------------------------------------------------------------------
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from db import vault as slots
    from db.connection import open_connection
    path = Path(sys.argv[1])
    keys = slots.load(slots.keys_path(path))
    key = slots.open_slot(keys, keys.user_slot("admin"), sys.argv[2])
    conn = open_connection(path, key)
    conn.execute("CREATE TABLE IF NOT EXISTS kill_test(n INTEGER PRIMARY KEY, pad TEXT)")
    start = conn.execute("SELECT coalesce(max(n), 0) FROM kill_test").fetchone()[0]
    n = start
    while True:
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(20):
            n += 1
            conn.execute("INSERT INTO kill_test VALUES (?, ?)", (n, "x" * 500))
        conn.execute("COMMIT")
        print(n, flush=True)
    """
)


def test_07_sigkill_mid_transaction_five_times(created: lifecycle.CreatedVault) -> None:
    key = _key_of(created)
    env = dict(os.environ)
    for _round in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(created.path), PASSPHRASE],
                                stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        committed = 0
        for _ in range(15):  # wait for state: fifteen committed transactions reported
            committed = int(proc.stdout.readline())
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        conn = open_connection(created.path, key)
        try:
            checks = integrity_checks(conn)
            assert all(c.ok for c in checks), checks
            have = conn.execute("SELECT count(*), max(n) FROM kill_test").fetchone()
        finally:
            conn.close()
        assert have[1] >= committed
        assert have[0] == have[1]  # no gap: whole transactions only


# 8 ---------------------------------------------------------------------------------------------
def test_08_password_change_and_rotation(
    session: VaultSession, clock: FixedClock, state_dir: Path
) -> None:
    add_note(session, "记录一")
    add_note(session, "记录二", name="李四")
    before = table_dump(session, "person", "counseling_session", "unit", "user")
    accounts.change_passphrase(session, "admin", OTHER_PASSPHRASE, old_passphrase=PASSPHRASE,
                               kdf_seconds=0)
    key_rotation.rekey(session)
    session.close()
    with pytest.raises(WrongPassphrase):
        lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    clock.advance(seconds=10)
    vs = lifecycle.unlock(session.path, "admin", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert table_dump(vs, "person", "counseling_session", "unit", "user") == before
    finally:
        vs.close()


# 9 ---------------------------------------------------------------------------------------------
def test_09_rotation_in_wal_mode_file_alone_opens_only_with_new_key(
    session: VaultSession, tmp_path: Path
) -> None:
    old_key = session.db.key
    add_note(session, "轮换前写入的记录")
    wal = Path(f"{session.path}-wal")
    assert wal.stat().st_size > 0
    key_rotation.rekey(session)
    new_key = session.db.key
    assert new_key != old_key
    add_note(session, "轮换后写入的记录", name="王五")
    alone = tmp_path / "alone"
    alone.mkdir()
    with session.reading():
        session.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(session.path, alone / "copy.db")
    assert not Path(f"{alone / 'copy.db'}-wal").exists()
    with pytest.raises(WrongKeyOrDamagedError):
        open_connection(alone / "copy.db", old_key, readonly=True)
    conn = open_connection(alone / "copy.db", new_key, readonly=True)
    try:
        assert conn.execute("SELECT count(*) FROM counseling_session").fetchone()[0] == 2
    finally:
        conn.close()


# 10 --------------------------------------------------------------------------------------------
def test_10_rotation_on_locked_file_fails_old_key_works(
    session: VaultSession, clock: FixedClock, state_dir: Path
) -> None:
    add_note(session, "锁定测试")
    blocker = open_connection(session.path, session.db.key)
    blocker.execute("BEGIN")
    blocker.execute("SELECT count(*) FROM counseling_session").fetchone()  # holds a read lock
    try:
        with pytest.raises(ServiceError):
            key_rotation.rekey(session)
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    assert not slots.next_keys_path(session.path).exists()
    session.close()
    vs = lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert len(table_dump(vs, "counseling_session")["counseling_session"]) == 1
    finally:
        vs.close()


def test_10_rotation_on_read_only_file_fails_old_key_works(
    session: VaultSession, clock: FixedClock, state_dir: Path
) -> None:
    add_note(session, "只读测试")
    with session.reading():
        session.execute("PRAGMA query_only = ON")  # the file behaves as read-only media
        with pytest.raises(ServiceError):
            key_rotation.rekey(session)
    assert not slots.next_keys_path(session.path).exists()
    session.close()
    vs = lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    vs.close()


# 11 --------------------------------------------------------------------------------------------
CRASHER = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo
    from counselor_tui.services import backup_restore, key_rotation, lifecycle
    from counselor_tui.services.context import FixedClock
    step = sys.argv[3]
    def crash(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)
    key_rotation.crash_point = crash
    clock = FixedClock(datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    vs = lifecycle.unlock(Path(sys.argv[1]), "admin", sys.argv[2], clock=clock,
                      state_dir=Path(sys.argv[4]))
    key_rotation.rekey(vs)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("step", ["pending_written", "rekeyed", "promoted"])
def test_11_killed_during_rotation_exactly_one_key_set_works(
    session: VaultSession, clock: FixedClock, state_dir: Path, tmp_path: Path, step: str
) -> None:
    add_note(session, "轮换崩溃测试")
    before = table_dump(session, "person", "counseling_session")
    session.close()
    old_keys_copy = tmp_path / "old.keys"
    shutil.copyfile(slots.keys_path(session.path), old_keys_copy)
    proc = subprocess.run([sys.executable, "-c", CRASHER, str(session.path), PASSPHRASE, step,
                           str(state_dir)], capture_output=True, text=True, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    pending_copy = tmp_path / "pending.keys"
    if slots.next_keys_path(session.path).exists():
        shutil.copyfile(slots.next_keys_path(session.path), pending_copy)
    vs = lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert table_dump(vs, "person", "counseling_session") == before
        working_key = vs.db.key
    finally:
        vs.close()
    assert not slots.next_keys_path(session.path).exists()
    current = slots.load(slots.keys_path(session.path))
    assert slots.open_slot(current, current.user_slot("admin"), PASSPHRASE) == working_key
    for other_path in (old_keys_copy, pending_copy):
        if not other_path.exists():
            continue
        other = slots.load(other_path)
        other_key = slots.open_slot(other, other.user_slot("admin"), PASSPHRASE)
        if other_key != working_key:
            with pytest.raises(WrongKeyOrDamagedError):
                open_connection(session.path, other_key).close()


# 12 --------------------------------------------------------------------------------------------
def test_12_backup_temp_verify_rename_source_untouched(
    session: VaultSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_note(session, "备份测试")
    before = table_dump(session, "person", "counseling_session", "user", "setting")
    out = tmp_path / "backups"
    events: list[tuple[str, str]] = []
    real_replace, real_verify = os.replace, backup_restore._verify_copy

    def spy_replace(src: object, dst: object) -> None:
        events.append(("replace", f"{src} -> {dst}"))
        real_replace(src, dst)  # type: ignore[arg-type]

    def spy_verify(path: Path, key: bytes, expected: object) -> None:
        events.append(("verify", str(path)))
        real_verify(path, key, expected)  # type: ignore[arg-type]

    monkeypatch.setattr(backup_restore.os, "replace", spy_replace)
    monkeypatch.setattr(backup_restore, "_verify_copy", spy_verify)
    target = backup_restore.backup(session, out)
    verified = [e for e in events if e[0] == "verify"]
    renamed = [e for e in events if e[0] == "replace" and e[1].endswith(f"-> {target}")]
    assert verified and renamed
    tmp_name = renamed[0][1].split(" -> ")[0]
    assert Path(tmp_name).parent == out and Path(tmp_name).name.startswith(".")
    assert verified[0][1] == tmp_name
    assert events.index(verified[0]) < events.index(renamed[0])
    assert sorted(p.name for p in out.iterdir()) == [target.name, f"{target.name}.keys",
                                                     f"{target.name}.witness"]
    assert table_dump(session, "person", "counseling_session", "user", "setting") == before


# 13 --------------------------------------------------------------------------------------------
def test_13_backup_includes_uncheckpointed_wal(session: VaultSession, tmp_path: Path) -> None:
    add_note(session, "最新的记录")
    assert Path(f"{session.path}-wal").stat().st_size > 0
    target = backup_restore.backup(session, tmp_path / "b")
    conn = open_connection(target, session.db.key, readonly=True)
    try:
        assert conn.execute("SELECT note FROM counseling_session").fetchone()[0] == "最新的记录"
    finally:
        conn.close()


# 14 --------------------------------------------------------------------------------------------
def test_14_restore_oldest_and_newest_generation(
    session: VaultSession, clock: FixedClock, state_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "b"
    add_note(session, "第一代")
    first_content = table_dump(session, "counseling_session")
    oldest = backup_restore.backup(session, out)
    clock.advance(minutes=5)
    add_note(session, "第二代", name="李四")
    newest_content = table_dump(session, "counseling_session")
    newest = backup_restore.backup(session, out)
    assert backup_restore.list_backups(out) == [oldest, newest]
    session.close()
    for backup_file, expected in ((oldest, first_content), (newest, newest_content)):
        clock.advance(minutes=1)
        kept = backup_restore.restore(session.path, backup_file, "admin", PASSPHRASE, clock=clock,
                             state_dir=state_dir)
        assert kept.exists()
        assert oct(slots.keys_path(kept).stat().st_mode & 0o777) == "0o600"
        vs = lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
        try:
            assert table_dump(vs, "counseling_session") == expected
            assert any(e.action == "restore" for e in _events(vs))
        finally:
            vs.close()


def test_backup_keeps_n_generations(session: VaultSession, clock: FixedClock,
                                    tmp_path: Path) -> None:
    out = tmp_path / "b"
    made = []
    for _ in range(4):
        made.append(backup_restore.backup(session, out, keep=2))
        clock.advance(seconds=1)
    assert backup_restore.list_backups(out) == made[-2:]
    assert not slots.keys_path(made[0]).exists()


# 16 --------------------------------------------------------------------------------------------
def test_16_growing_delay_counted_shown_never_logged(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path
) -> None:
    wrong = "a wrong guess 12345"
    waits = []
    for _ in range(4):
        with pytest.raises(WrongPassphrase):
            lifecycle.unlock(created.path, "admin", wrong, clock=clock, state_dir=state_dir)
        with pytest.raises(Throttled) as info:
            lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
        waits.append(info.value.wait_seconds)
        clock.advance(seconds=info.value.wait_seconds)
    assert waits == sorted(waits) and waits[-1] > waits[0]
    assert waits == [1.0, 2.0, 4.0, 8.0]
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert vs.failed_attempts == 4
        events = _events(vs)
        failed = [e for e in events if e.action == "login_failed"]
        assert [e.user for e in failed] == ["admin"] * 4
        assert events[-1].action == "login"
        assert events[-1].detail["failed_attempts_since_last"] == 4
        assert all(wrong not in json.dumps(e.detail) for e in events)
    finally:
        vs.close()
    for folder in (state_dir, created.path.parent):
        for p in folder.rglob("*"):
            if p.is_file():
                assert wrong.encode() not in p.read_bytes()
                assert PASSPHRASE.encode() not in p.read_bytes()
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    assert vs.failed_attempts == 0
    vs.close()


def _events(vs: VaultSession) -> list[audit.ChainEvent]:
    with vs.reading():
        return list(audit.iter_events(vs))


# 17 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_17_tampered_audit_row_named_and_head_differs(
    session: VaultSession, clock: FixedClock, state_dir: Path, tmp_path: Path, tamper: str
) -> None:
    for i in range(5):
        add_note(session, f"记录{i}", name=f"张{i}")
    head = audit.head(session)
    now = session.now_iso()
    with session.transaction():
        Submission.create(period_kind="month", period_start="2026-11-01", scope="bureau",
                          version=1, status="final", content={}, narrative={}, audit_head=head,
                          created_at=now, created_by=session.actor.id, updated_at=now,
                          updated_by=session.actor.id)
    assert audit.verify_chain(session).ok
    with session.reading():
        if tamper == "edit":
            session.execute("UPDATE audit_event SET action = 'view' WHERE seq = 6")
        elif tamper == "delete":
            session.execute("DELETE FROM audit_event WHERE seq = 6")
        else:
            rows = {r[0]: r for r in session.execute(
                "SELECT seq, at, user, action, entity, entity_id, detail, prev_hash, hash "
                "FROM audit_event WHERE seq IN (6, 7)")}
            for seq, other in ((6, 7), (7, 6)):
                session.execute(
                    "UPDATE audit_event SET at=?, user=?, action=?, entity=?, entity_id=?, "
                    "detail=?, prev_hash=?, hash=? WHERE seq=?", (*rows[other][1:], seq))
    report = audit.verify_chain(session)
    assert not report.ok
    assert report.first_bad_seq == 6
    with session.reading():
        final = Submission.get(Submission.status == "final")
    assert audit.recomputed_head(session) != final.audit_head
    session.close()
    pw = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    result = run_cli("--vault", str(session.path), "--user", "admin", "--passphrase-file",
                     str(pw), "check", env_extra=_cli_env(tmp_path))
    assert result.returncode == 1
    assert "audit_chain: FAILED first bad sequence number 6" in result.stdout


# 19 --------------------------------------------------------------------------------------------
def test_19_write_failure_during_backup_leaves_nothing_half_written(
    session: VaultSession, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "b"
    add_note(session, "第一份")
    previous = backup_restore.backup(session, out)
    previous_hashes = file_hashes(out)
    clock.advance(minutes=1)
    add_note(session, "第二份", name="李四")
    import db.connection as connection

    def full_disk(path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_restore, "fsync_path", full_disk)
    with pytest.raises(ServiceError) as info:
        backup_restore.backup(session, out)
    assert "No space left on device" in str(info.value)
    assert file_hashes(out) == previous_hashes
    assert backup_restore.list_backups(out) == [previous]
    assert connection.fsync_path is not full_disk


# 20 --------------------------------------------------------------------------------------------
def test_20_recovery_code_opens_when_every_user_slot_lost(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path
) -> None:
    keys = slots.load(created.keys_path)
    slots.save(created.keys_path, keys.without("admin"))
    with pytest.raises(WrongPassphrase):
        lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    clock.advance(seconds=5)
    vs, new_code = key_rotation.recover(created.path, created.recovery_code, "admin",
                                        OTHER_PASSPHRASE, clock=clock, state_dir=state_dir,
                                        kdf_seconds=0)
    try:
        assert new_code != created.recovery_code
        assert vs.via_recovery
        actions = [e.action for e in _events(vs)]
        assert actions[-1] == "recovery_used"
    finally:
        vs.close()
    vs = lifecycle.unlock(created.path, "admin", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    vs.close()
    with pytest.raises(WrongPassphrase):
        key_rotation.recover(created.path, created.recovery_code, "admin", OTHER_PASSPHRASE,
                      clock=clock, state_dir=state_dir, kdf_seconds=0)


def test_backup_pruning_touches_only_this_vaults_backups(
    session: VaultSession, clock: FixedClock, tmp_path: Path, state_dir: Path
) -> None:
    """A shared backup folder may hold other vaults' backups, look-alike files, even a live
    vault: pruning removes only this vault's own older generations."""
    out = tmp_path / "shared"
    out.mkdir()
    stranger = out / "counselor-20200101-000000.db"
    stranger.write_bytes(b"my precious")
    other = lifecycle.create_vault(out / "counselor-20200102-000000.db", bureau="别的局",
                               admin_username="admin", passphrase=PASSPHRASE, clock=clock,
                               kdf_seconds=0)
    mine = []
    for _ in range(3):
        mine.append(backup_restore.backup(session, out, keep=1))
        clock.advance(seconds=1)
    assert stranger.read_bytes() == b"my precious"
    assert other.path.exists() and other.keys_path.exists()
    assert [p for p in mine if p.exists()] == [mine[-1]]
    assert backup_restore.own_backups(out, session.keys.vault_id, session.path) == [mine[-1]]
    with pytest.raises(ServiceError):
        backup_restore.backup(session, stranger)  # a file is not a folder


def test_restore_refused_while_open_for_non_admins_and_for_another_vault(
    session: VaultSession, clock: FixedClock, state_dir: Path, tmp_path: Path
) -> None:
    """A running session keeps the vault: restoring under it would divert its writes to the
    renamed old file. Only admins restore, and only a backup of the same vault."""
    from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied

    accounts.add_user(session, "li", "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
    backup_file = backup_restore.backup(session, tmp_path / "b")
    with pytest.raises(Conflict):
        backup_restore.restore(session.path, backup_file, "admin", PASSPHRASE, clock=clock,
                      state_dir=state_dir)
    other = lifecycle.unlock(session.path, "li", OTHER_PASSPHRASE, clock=clock,
                         state_dir=state_dir)
    try:
        with pytest.raises(Conflict):  # rekey also needs the vault alone
            key_rotation.rekey(session)
    finally:
        other.close()
    session.close()
    with pytest.raises(PermissionDenied):
        backup_restore.restore(session.path, backup_file, "li", OTHER_PASSPHRASE, clock=clock,
                      state_dir=state_dir)
    stranger = lifecycle.create_vault(tmp_path / "s" / "vault.db", bureau="别的局",
                                  admin_username="admin", passphrase=PASSPHRASE, clock=clock,
                                  kdf_seconds=0)
    vs = lifecycle.unlock(stranger.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    foreign = backup_restore.backup(vs, tmp_path / "sb")
    vs.close()
    with pytest.raises(InvalidInput):
        backup_restore.restore(session.path, foreign, "admin", PASSPHRASE, clock=clock,
                      state_dir=state_dir)
    before = sorted(p.name for p in session.path.parent.iterdir())
    with pytest.raises(InvalidInput, match="the vault itself"):
        backup_restore.restore(session.path, session.path, "admin", PASSPHRASE, clock=clock,
                      state_dir=state_dir)
    assert sorted(p.name for p in session.path.parent.iterdir()) == before  # no stray files
    backup_restore.restore(session.path, backup_file, "admin", PASSPHRASE, clock=clock,
                  state_dir=state_dir)  # closed, admin, same vault: fine

"""Issue 12 (fail safe), lost commits: security test 24 and the witness (DESIGN §5).

The ``-wal`` file deleted, truncated or corrupted after a commit drops committed sessions and
their audit events from a database that is otherwise whole; unlock and ``check`` must say
so. Real SQLCipher files: the vault's files are copied as they are on disk while the app has
them open (the committed rows are still in the WAL), as a crash would leave them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from counselor_tui.services import key_rotation, lifecycle, witness
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import VaultDamaged
from db import witness as witness_files
from db.connection import open_connection
from tests.conftest import PASSPHRASE, file_hashes, run_cli, write_secret
from tests.helpers import add_note


def _env(tmp_path: Path) -> dict[str, str]:
    return {"COUNSELOR_TUI_STATE_DIR": str(tmp_path / "cli-state"), "COUNSELOR_TUI_LANG": "en"}


def _crash_copy(vs: VaultSession, dest: Path, wal: str) -> Path:
    """The vault's files as a crash leaves them, with the WAL ``kept``, ``deleted``,
    ``truncated`` or ``corrupted`` — after the witness caught up with the last commit
    (a crash later than the witness rewrite that follows each commit)."""
    assert witness.settle()
    dest.mkdir()
    for src in vs.path.parent.iterdir():
        if src.is_file() and not src.name.endswith(("-shm", ".lock")):
            shutil.copyfile(src, dest / src.name)
    copy_wal = dest / f"{vs.path.name}-wal"
    assert copy_wal.stat().st_size > 0  # the latest commits sit in the WAL
    data = copy_wal.read_bytes()
    if wal == "deleted":
        copy_wal.unlink()
    elif wal == "truncated":
        copy_wal.write_bytes(data[: len(data) // 2])
    elif wal == "corrupted":
        damaged = bytearray(data)
        for i in range(len(damaged) - 4096, len(damaged), 97):
            damaged[i] ^= 0xFF
        copy_wal.write_bytes(bytes(damaged))
    return dest / vs.path.name


@pytest.mark.parametrize("wal", ["deleted", "truncated", "corrupted"])
def test_24_lost_wal_reported_at_unlock_and_by_check(
    session: VaultSession, clock: FixedClock, tmp_path: Path, wal: str
) -> None:
    add_note(session, "已提交的第一条记录")
    lifecycle.checkpoint_quietly(session)
    for i in range(3):
        add_note(session, f"只在WAL里的记录{i}", name=f"王{i}")
    copy = _crash_copy(session, tmp_path / "crashed", wal)
    session.close()
    before = file_hashes(copy.parent)
    vs = lifecycle.unlock(copy, "admin", PASSPHRASE, clock=clock, state_dir=tmp_path / "s")
    try:
        assert vs.read_only and any("lost changes" in n for n in vs.notices)
        with pytest.raises(VaultDamaged) as refused, vs.transaction():
            pass
    finally:
        lifecycle.lock(vs, "quit")
    assert "lost changes made after" in str(refused.value)
    assert "restore from a backup" in str(refused.value)
    # the witness keeps its evidence: the read-only session wrote no event over it
    assert (file_hashes(copy.parent)[copy.name + ".witness"]
            == before[copy.name + ".witness"])
    pw = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    result = run_cli("--vault", str(copy), "--user", "admin", "--passphrase-file", str(pw),
                     "check", env_extra=_env(tmp_path))
    assert result.returncode == 1
    assert "witness: FAILED" in result.stdout and "lost changes made after" in result.stdout


def test_24_intact_wal_is_whole_and_the_witness_follows_every_commit(
    session: VaultSession, clock: FixedClock, tmp_path: Path
) -> None:
    add_note(session, "记录")
    assert witness.settle()  # the rewrite runs on the witness writer's thread
    seen = json.loads(witness_files.witness_path(session.path).read_text())
    with session.reading():
        last = session.execute("SELECT max(seq) FROM audit_event").fetchone()[0]
    assert seen["seq"] == last and seen["version"] == 1 and "signature" in seen
    copy = _crash_copy(session, tmp_path / "crashed", "kept")
    session.close()
    vs = lifecycle.unlock(copy, "admin", PASSPHRASE, clock=clock, state_dir=tmp_path / "s")
    try:
        assert not vs.read_only and vs.notices == []
        add_note(vs, "之后的记录", name="赵六")
    finally:
        lifecycle.lock(vs, "quit")
    pw = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    result = run_cli("--vault", str(copy), "--user", "admin", "--passphrase-file", str(pw),
                     "check", env_extra=_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "witness: ok" in result.stdout


def test_edited_witness_is_reported(created: lifecycle.CreatedVault, clock: FixedClock,
                                    state_dir: Path) -> None:
    path = witness_files.witness_path(created.path)
    data = json.loads(path.read_text())
    data["seq"] = 1  # pretend less had been committed, to hide a rewritten history
    path.write_text(json.dumps(data))
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert vs.read_only and "witness file" in vs.read_only and "edited" in vs.read_only
    finally:
        lifecycle.lock(vs, "quit")


def test_deleted_witness_leaves_a_notice_and_is_started_again(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path
) -> None:
    """A vault made by this program signs its events and keeps a witness from the start, so
    a deleted witness is "missing" (not "none yet"): said at unlock, then started again."""
    witness_files.witness_path(created.path).unlink()
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert not vs.read_only
        assert any("is missing, although this vault has kept one" in n for n in vs.notices)
    finally:
        lifecycle.lock(vs, "quit")
    assert witness_files.witness_path(created.path).is_file()


def test_rekey_rewrites_the_witness_under_the_new_key(
    session: VaultSession, clock: FixedClock, state_dir: Path
) -> None:
    add_note(session, "轮换")
    key_rotation.rekey(session)
    lifecycle.lock(session, "quit")
    assert not witness_files.next_witness_path(session.path).exists()
    vs = lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert not vs.read_only and vs.notices == []
    finally:
        lifecycle.lock(vs, "quit")


def test_lock_checkpoints_the_wal(session: VaultSession) -> None:
    add_note(session, "锁定时写入数据库文件")
    wal = Path(f"{session.path}-wal")
    assert wal.stat().st_size > 0
    lifecycle.lock(session, "manual")
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_deleted_witness_is_reported_by_check_and_recorded_at_unlock(
    session: VaultSession, clock: FixedClock, tmp_path: Path
) -> None:
    """An insider deletes the latest audit events with the data key and removes the witness
    file to hide it (fresh attacker's finding: check then said "witness: ok no witness
    yet"). The vault has signed events, so it has kept a witness: check fails on the missing
    witness, and the next unlock says so and records ``witness_missing`` in the audit log
    (work goes on with a new witness: there is no evidence left to keep)."""
    for i in range(3):
        add_note(session, f"之后被删的记录{i}", name=f"赵{i}")
    path = session.path
    data_key = session.db.key
    session.close()
    conn = open_connection(path, data_key)
    try:
        top = int(conn.execute("SELECT max(seq) FROM audit_event").fetchone()[0])
        conn.execute("DELETE FROM audit_event WHERE seq > ?", (top - 3,))
        conn.commit()
    finally:
        conn.close()
    witness_files.witness_path(path).unlink()
    pw = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    result = run_cli("--vault", str(path), "--user", "admin", "--passphrase-file", str(pw),
                     "check", env_extra=_env(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.lstrip().startswith("witness"))
    assert "missing" in line and "check --anchor" in line
    vs = lifecycle.unlock(path, "admin", PASSPHRASE, clock=clock, state_dir=tmp_path / "s")
    try:
        assert not vs.read_only
        assert any("is missing, although this vault has kept one" in n for n in vs.notices)
        with vs.reading():
            actions = [r[0] for r in vs.execute(
                "SELECT action FROM audit_event ORDER BY seq DESC LIMIT 3").fetchall()]
        assert "witness_missing" in actions
    finally:
        lifecycle.lock(vs, "quit")
    assert witness_files.witness_path(path).is_file()  # a new witness was started

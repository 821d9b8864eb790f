"""Issue 12 (fail safe), damaged files: security tests 26 (damaged versus wrong), 27 (key set
and symlinks) and the backup leftovers and name collisions. Real SQLCipher vaults, driven
from outside (the CLI in a subprocess) where the issue found the failure."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from counselor_tui.services import backup_restore, key_rotation, lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import VaultDamaged
from db import vault as slots
from db.connection import open_connection
from tests.conftest import PASSPHRASE, file_hashes, run_cli, write_secret
from tests.helpers import add_note, table_dump


def _env(tmp_path: Path) -> dict[str, str]:
    return {"COUNSELOR_TUI_STATE_DIR": str(tmp_path / "cli-state"), "COUNSELOR_TUI_LANG": "en"}


def _cli(tmp_path: Path, vault_path: Path, *command: str,
         secret: str = PASSPHRASE) -> subprocess.CompletedProcess[str]:
    pw = write_secret(tmp_path, "pw.txt", secret)
    return run_cli("--vault", str(vault_path), "--user", "admin", "--passphrase-file", str(pw),
                   *command, env_extra=_env(tmp_path))


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


# 26 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["first_page", "emptied"])
@pytest.mark.parametrize("command", [["check"], ["users", "list"]])
def test_26_right_passphrase_damaged_file_says_damaged_names_backups_exit_1(
    session: VaultSession, tmp_path: Path, damage: str, command: list[str]
) -> None:
    add_note(session, "备份前的记录")
    backup = backup_restore.backup(session, session.path.parent / "backups")
    lifecycle.lock(session, "quit")
    if damage == "first_page":
        _flip(session.path, 100)
    else:
        session.path.write_bytes(b"")
    result = _cli(tmp_path, session.path, *command)
    assert result.returncode == 1, result.stderr
    assert "damaged" in result.stderr
    assert "wrong passphrase" not in result.stderr.lower()
    assert backup.name in result.stderr
    assert "Unexpected error" not in result.stderr
    # the right passphrase on a damaged file is not a failed attempt
    assert not (tmp_path / "cli-state" / "attempts").exists() or not any(
        (tmp_path / "cli-state" / "attempts").iterdir())


def test_26_wrong_passphrase_on_a_damaged_file_is_still_wrong_passphrase(
    created: lifecycle.CreatedVault, tmp_path: Path
) -> None:
    _flip(created.path, 100)
    result = _cli(tmp_path, created.path, "check", secret="not the right passphrase at all")
    assert result.returncode == 2
    assert result.stderr.strip() == lifecycle.wrong_passphrase_message()


def test_26_no_backup_says_so(created: lifecycle.CreatedVault, clock: FixedClock,
                              state_dir: Path) -> None:
    _flip(created.path, 100)
    with pytest.raises(VaultDamaged) as info:
        lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    assert "no backup was found" in str(info.value)
    assert info.value.exit_code == 1


# 27 --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [b"", b"\x00garbage{not json", b'{"format": "x"}'])
def test_27_damaged_next_key_set_reported_by_name_and_set_aside(
    session: VaultSession, tmp_path: Path, content: bytes
) -> None:
    add_note(session, "密钥文件测试")
    lifecycle.lock(session, "quit")
    pending = slots.next_keys_path(session.path)
    pending.write_bytes(content)
    result = _cli(tmp_path, session.path, "users", "list")
    assert result.returncode == 0, result.stderr
    assert ".keys.next" in result.stderr and "set aside" in result.stderr
    assert not pending.exists()
    aside = [p for p in session.path.parent.iterdir() if ".keys.next.damaged-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == content  # nothing thrown away
    again = _cli(tmp_path, session.path, "users", "list")
    assert again.returncode == 0 and "set aside" not in again.stderr


def test_27_damaged_next_key_set_and_wrong_passphrase_stays_wrong_passphrase(
    created: lifecycle.CreatedVault, tmp_path: Path
) -> None:
    slots.next_keys_path(created.path).write_bytes(b"")
    before = file_hashes(created.path.parent)
    result = _cli(tmp_path, created.path, "users", "list", secret="not the right passphrase")
    assert result.returncode == 2
    assert result.stderr.strip() == lifecycle.wrong_passphrase_message()
    assert file_hashes(created.path.parent) == before


def test_27_damaged_current_key_set_with_good_next_completes_the_rotation(
    session: VaultSession, clock: FixedClock, state_dir: Path, tmp_path: Path
) -> None:
    add_note(session, "中断的轮换")
    before = table_dump(session, "counseling_session")
    key_rotation.rekey(session)  # the vault now opens with the current key set only
    lifecycle.lock(session, "quit")
    keys_file = slots.keys_path(session.path)
    good = keys_file.read_bytes()
    slots.next_keys_path(session.path).write_bytes(good)
    keys_file.write_bytes(b"\x00" * 10)  # a rotation killed as .keys was being written
    vs = lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert table_dump(vs, "counseling_session") == before
        assert any(".keys" in n and "completed" in n for n in vs.notices)
    finally:
        lifecycle.lock(vs, "quit")
    assert keys_file.read_bytes() == good
    assert not slots.next_keys_path(session.path).exists()


def test_27_damaged_key_file_is_named(created: lifecycle.CreatedVault, tmp_path: Path) -> None:
    created.keys_path.write_bytes(b"{}")
    result = _cli(tmp_path, created.path, "users", "list")
    assert result.returncode == 1
    assert str(created.keys_path) in result.stderr
    assert "Unexpected error" not in result.stderr


def test_27_rekey_and_backup_through_symlinks_act_on_the_real_files(
    session: VaultSession, tmp_path: Path
) -> None:
    add_note(session, "符号链接测试")
    before = table_dump(session, "counseling_session")
    lifecycle.lock(session, "quit")
    links = tmp_path / "links"
    links.mkdir()
    link = links / "vault.db"
    link.symlink_to(session.path)
    slots.keys_path(link).symlink_to(slots.keys_path(session.path))
    result = _cli(tmp_path, link, "rekey")
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and slots.keys_path(link).is_symlink()
    assert not slots.next_keys_path(link).exists()
    # the real vault opens with the new key set, through the real path and through the link
    for path in (session.path, link):
        listing = _cli(tmp_path, path, "users", "list")
        assert listing.returncode == 0, listing.stderr
    result = _cli(tmp_path, link, "backup")
    assert result.returncode == 0, result.stderr
    real_backups = session.path.parent / "backups"
    assert [p.name for p in real_backups.glob("counselor-*.db")]
    keys = slots.load(slots.keys_path(session.path))
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(session.path, key, readonly=True)
    try:
        rows = conn.execute("SELECT * FROM counseling_session ORDER BY rowid").fetchall()
    finally:
        conn.close()
    assert [tuple(r) for r in rows] == before["counseling_session"]


def test_27_link_whose_key_file_leads_elsewhere_is_refused(
    created: lifecycle.CreatedVault, tmp_path: Path
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    (links / "vault.db").symlink_to(created.path)
    stray = tmp_path / "stray.keys"
    stray.write_bytes(created.keys_path.read_bytes())
    slots.keys_path(links / "vault.db").symlink_to(stray)
    result = _cli(tmp_path, links / "vault.db", "rekey")
    assert result.returncode == 2
    assert "leads elsewhere" in result.stderr and str(stray) in result.stderr


# backups -----------------------------------------------------------------------------------------
KILLED_BACKUP = textwrap.dedent(
    """
    import os, sys
    from datetime import datetime
    from pathlib import Path
    from zoneinfo import ZoneInfo
    from counselor_tui.services import backup_restore, key_rotation, lifecycle
    from counselor_tui.services.context import FixedClock
    def die(path, key, expected):
        os._exit(9)  # killed after the copy was written, before it was renamed
    backup_restore._verify_copy = die
    clock = FixedClock(datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    vs = lifecycle.unlock(Path(sys.argv[1]), "admin", sys.argv[2], clock=clock,
                      state_dir=Path(sys.argv[3]))
    backup_restore.backup(vs, Path(sys.argv[4]))
    """
)


def test_backup_killed_midway_leftovers_removed_by_the_next_one(
    session: VaultSession, state_dir: Path, tmp_path: Path
) -> None:
    add_note(session, "中断的备份")
    out = tmp_path / "backups"
    lifecycle.lock(session, "quit")
    proc = subprocess.run([sys.executable, "-c", KILLED_BACKUP, str(session.path), PASSPHRASE,
                           str(state_dir), str(out)], capture_output=True, text=True,
                          check=False, env=dict(os.environ))
    assert proc.returncode == 9, proc.stderr
    leftovers = [p for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers and sum(p.stat().st_size for p in leftovers) > 0
    result = _cli(tmp_path, session.path, "backup", "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    # the backup, its key slots and its witness (issue 11)
    assert len(names) == 3 and all(not n.startswith(".") for n in names), names


def test_two_backups_in_the_same_second_never_share_a_name(
    session: VaultSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_note(session, "同一秒的两份备份")
    out = tmp_path / "backups"
    out.mkdir()
    real_verify = backup_restore._verify_copy
    meet = threading.Barrier(2, timeout=1.0)

    def verify_together(path: Path, key: bytes, expected: object) -> None:
        # without the folder lock both backups would get here together and pick one name
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()
        real_verify(path, key, expected)  # type: ignore[arg-type]

    monkeypatch.setattr(backup_restore, "_verify_copy", verify_together)
    made: list[Path] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            made.append(backup_restore.backup(session, out))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(made)) == 2
    assert sorted(p.name for p in out.glob("counselor-*.db")) == sorted(p.name for p in made)
    for p in made:
        assert slots.load(slots.keys_path(p)).vault_id == session.keys.vault_id

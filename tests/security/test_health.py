"""Issue 12 (fail safe), open-time health: security tests 5, 19 and 25 extended.

A byte flipped deep in the file, in a page that unlocking never reads: the vault still
unlocks, but the health check right after finds the damage and the vault turns read-only;
no write succeeds (service, command line), and the interface shows the read-only banner
with the restore path.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from counselor_tui.services import accounts, backup_restore, health, lifecycle
from counselor_tui.services.api import Backend
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import VaultDamaged
from counselor_tui.ui.app import create_app
from db import vault as slots
from db.connection import open_connection
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, run_cli, write_secret
from tests.functional.ui_support import settle
from tests.helpers import add_note


def _damage_session_table(vs: VaultSession) -> tuple[Path, int]:
    """Add sessions, lock (the WAL is checkpointed), flip a byte in the middle of the
    counseling_session table's root page. Returns the vault path and the page number."""
    for i in range(3):
        add_note(vs, f"记录{i}" * 50, name=f"张{i}")
    backup = backup_restore.backup(vs, vs.path.parent / "backups")
    assert backup.is_file()
    path = vs.path
    lifecycle.lock(vs, "quit")
    keys = slots.load(slots.keys_path(path))
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    conn = open_connection(path, key)
    try:
        page = int(conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                ("counseling_session",)).fetchone()[0])
        size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    data[(page - 1) * size + size // 2] ^= 0x5A
    path.write_bytes(bytes(data))
    return path, page


def test_25_damaged_page_found_after_unlock_makes_the_vault_read_only(
    session: VaultSession, clock: FixedClock, state_dir: Path
) -> None:
    path, page = _damage_session_table(session)
    vs = lifecycle.unlock(path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert not vs.read_only  # unlocking never read the damaged page
        report = health.check_health(vs)
        assert not report.ok and page in report.pages
        assert "read-only" in report.message and "counselor-" in report.message  # backup named
        with pytest.raises(VaultDamaged) as refused:
            accounts.add_user(vs, "wang", "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
        assert "read-only" in str(refused.value) and "restore" in str(refused.value)
    finally:
        lifecycle.lock(vs, "quit")


def test_25_cli_write_refused_read_still_works(
    session: VaultSession, tmp_path: Path
) -> None:
    path, _page = _damage_session_table(session)
    pw = write_secret(tmp_path, "pw.txt", PASSPHRASE)
    new_pw = write_secret(tmp_path, "new.txt", OTHER_PASSPHRASE)
    env = {"COUNSELOR_TUI_STATE_DIR": str(tmp_path / "cli"), "COUNSELOR_TUI_LANG": "en"}
    base = ["--vault", str(path), "--user", "admin", "--passphrase-file", str(pw)]
    add = run_cli(*base, "users", "add", "wang", "--role", "counselor",
                  "--new-passphrase-file", str(new_pw), env_extra=env)
    assert add.returncode == 1, add.stderr
    assert "read-only" in add.stderr and "restore" in add.stderr
    assert "Unexpected error" not in add.stderr
    listing = run_cli(*base, "users", "list", env_extra=env)
    assert listing.returncode == 0 and "admin" in listing.stdout
    assert "read-only" in listing.stderr


async def test_25_tui_shows_the_read_only_banner(
    session: VaultSession, clock: FixedClock, state_dir: Path
) -> None:
    path, _page = _damage_session_table(session)
    backend = Backend(path, clock=clock, state_dir=state_dir, kdf_seconds=0)
    backend.unlock("admin", PASSPHRASE)
    app = create_app(backend, idle_check_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: "read-only" in app.banner_text)
        assert "restore" in app.banner_text
        assert backend.vs.read_only
    backend.lock("quit")

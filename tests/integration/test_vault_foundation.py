"""Acceptance of the vault foundation beyond security-tests.md: migrations, accounts, CLI."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import peewee as pw
import pytest

from counselor_tui.services import accounts, audit, integrity, key_rotation, lifecycle, settings
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import (
    Conflict,
    InvalidInput,
    PermissionDenied,
    VaultDamaged,
    WrongPassphrase,
)
from db import models
from db import vault as slots
from db.connection import attach, open_connection
from db.migrations import CURRENT_VERSION, migrate, schema_version
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, run_cli, write_secret
from tests.helpers import add_note, table_dump

THIRD = "seven orange bicycles sing loudly"


def _cli_env(tmp_path: Path) -> dict[str, str]:
    return {"COUNSELOR_TUI_STATE_DIR": str(tmp_path / "cli-state"), "COUNSELOR_TUI_LANG": "en"}


def test_oldest_migration_vault_upgrades_and_passes_check(
    tmp_path: Path, clock: FixedClock, state_dir: Path, created: lifecycle.CreatedVault
) -> None:
    """Build a vault exactly as migration 1 left it, with a note, and open it today."""
    keys = slots.load(created.keys_path)
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    old = tmp_path / "old" / "vault.db"
    old.parent.mkdir()
    conn = open_connection(created.path, key)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    # a v1 vault: migration 1 only, seeded rows copied from a fresh vault
    conn = open_connection(old, key, create=True)
    assert migrate(conn, "2025-01-01T00:00:00+08:00", target=1) == [1]
    attach(conn, created.path, key, "src")
    for table in ("user", "setting", "signing_key"):
        conn.execute(f'INSERT INTO main."{table}" SELECT * FROM src."{table}"')
    columns = "seq, at, user, action, entity, entity_id, detail, prev_hash, hash"  # as in v1
    conn.execute(f"INSERT INTO main.audit_event({columns}) SELECT {columns} FROM src.audit_event")
    conn.execute(
        "INSERT INTO unit(id, created_at, created_by_id, updated_at, updated_by_id, code, name,"
        " police_type, active) VALUES (1, 'x', 1, 'x', 1, 'U1', '城关派出所', '派出所', 1)")
    conn.execute(
        "INSERT INTO person(id, created_at, created_by_id, updated_at, updated_by_id, kind,"
        " name, name_pinyin, name_initials, post) VALUES (1,'x',1,'x',1,'officer','张三',"
        "'zhangsan','zs','')")
    conn.execute(
        "INSERT INTO counseling_session(created_at, created_by_id, updated_at, updated_by_id,"
        " person_id, counselor_id, started_at, duration_min, channel, kind, note, risk,"
        " intervention, referral, sealed) VALUES ('x',1,'x',1,1,1,'2025-01-01T09:00:00+08:00',"
        " 50, 'hotline', 'routine', '旧版本写入的睡眠问题记录', 'none', '', 'none', 0)")
    conn.execute("DETACH DATABASE src")
    assert schema_version(conn) == 1
    conn.close()
    # a v1 key-slot file: slots not bound to a trust root of role grants (issue 11)
    slot = keys.user_slot("admin")
    rec = keys.recovery_slot()
    cost = (slot.kdf.time_cost, slot.kdf.memory_kib)
    slots.save(slots.keys_path(old), keys.with_slot(slots.rewrap(
        keys, slot, PASSPHRASE, PASSPHRASE, cost, root="")).with_slot(slots.make_slot(
            keys, kind=slots.RECOVERY, username=rec.username, role=rec.role,
            passphrase="OLD-CODE", data_key=key, kdf_cost=cost, created_at=rec.created_at)))
    vs = lifecycle.unlock(old, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        with vs.reading():
            assert schema_version(vs.db.raw()) == CURRENT_VERSION
            hits = vs.execute("SELECT rowid FROM session_note_fts WHERE session_note_fts "
                              "MATCH '睡眠问题'").fetchall()
        assert hits == [(1,)]
        assert audit.verify_chain(vs).ok
    finally:
        vs.close()
    result = integrity.check_vault(old, "admin", PASSPHRASE, state_dir=state_dir, clock=clock)
    assert result.ok, result.lines


def test_newer_vault_is_refused(session: VaultSession, clock: FixedClock,
                                state_dir: Path) -> None:
    with session.reading():
        session.execute("INSERT INTO schema_version VALUES (?, 'future', 'x')",
                        (CURRENT_VERSION + 1,))
    session.close()
    with pytest.raises(InvalidInput) as info:
        lifecycle.unlock(session.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    assert "newer version" in str(info.value)


def test_migrations_create_what_the_models_describe(session: VaultSession) -> None:
    """The frozen SQL of the migrations and the peewee models agree, column for column."""
    with session.reading():
        for model in models.ALL_MODELS:
            table = model._meta.table_name
            columns = {r[1] for r in session.execute(f'PRAGMA table_info("{table}")')}
            assert columns == {f.column_name for f in model._meta.sorted_fields}, table


def test_two_users_same_data_disable_and_rekey_locks_one_out(
    session: VaultSession, clock: FixedClock, state_dir: Path, tmp_path: Path
) -> None:
    add_note(session, "两名用户共享的数据")
    accounts.add_user(session, "li", "counselor", OTHER_PASSPHRASE, display_name="李老师",
                      kdf_seconds=0)
    accounts.add_user(session, "wang", "coordinator", THIRD, kdf_seconds=0)
    expected = table_dump(session, "counseling_session", "person")
    li_old_keys = tmp_path / "li-copy.keys"
    shutil.copyfile(slots.keys_path(session.path), li_old_keys)  # li walks off with a copy
    for user, secret in (("li", OTHER_PASSPHRASE), ("wang", THIRD)):
        vs = lifecycle.unlock(session.path, user, secret, clock=clock, state_dir=state_dir)
        try:
            assert table_dump(vs, "counseling_session", "person") == expected
            assert vs.actor.role.value == {"li": "counselor", "wang": "coordinator"}[user]
        finally:
            vs.close()
    accounts.disable_user(session, "li")
    with pytest.raises(WrongPassphrase):
        lifecycle.unlock(session.path, "li", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    key_rotation.rekey(session)
    # the old copy of the key file still yields li's old data key, which no longer opens it
    old = slots.load(li_old_keys)
    stale_key = slots.open_slot(old, old.user_slot("li"), OTHER_PASSPHRASE)
    with pytest.raises(Exception, match=r"vault\.db"):
        open_connection(session.path, stale_key)
    clock.advance(seconds=30)
    vs = lifecycle.unlock(session.path, "wang", THIRD, clock=clock, state_dir=state_dir)
    try:
        assert table_dump(vs, "counseling_session", "person") == expected
    finally:
        vs.close()


def test_slot_metadata_is_authenticated(created: lifecycle.CreatedVault, clock: FixedClock,
                                        state_dir: Path) -> None:
    """Editing the role (or user name) of a slot in the file breaks the slot."""
    text = created.keys_path.read_text()
    created.keys_path.write_text(text.replace('"role": "admin"', '"role": "auditor"', 1))
    with pytest.raises(WrongPassphrase):
        lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)


def test_key_file_mode_0600_and_no_plaintext_key(created: lifecycle.CreatedVault) -> None:
    assert stat.S_IMODE(created.keys_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(created.path.stat().st_mode) == 0o600
    keys = slots.load(created.keys_path)
    key = slots.open_slot(keys, keys.user_slot("admin"), PASSPHRASE)
    assert key.hex() not in created.keys_path.read_text()


def test_account_rules(session: VaultSession, clock: FixedClock, state_dir: Path) -> None:
    accounts.add_user(session, "li", "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
    with pytest.raises(Conflict):
        accounts.add_user(session, "li", "auditor", THIRD, kdf_seconds=0)
    with pytest.raises(InvalidInput):
        accounts.add_user(session, "zhao", "counselor", "12345678", kdf_seconds=0)
    with pytest.raises(InvalidInput):
        accounts.add_user(session, "zhao", "boss", THIRD, kdf_seconds=0)
    with pytest.raises(Conflict):
        accounts.disable_user(session, "admin")
    li = lifecycle.unlock(session.path, "li", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        with pytest.raises(PermissionDenied):
            accounts.add_user(li, "zhao", "counselor", THIRD, kdf_seconds=0)
        with pytest.raises(PermissionDenied):
            key_rotation.rekey(li)
    finally:
        li.close()
    names = [(u.username, u.role, u.active) for u in accounts.list_users(session)]
    assert names == [("admin", "admin", True), ("li", "counselor", True)]


def test_every_write_is_audited_with_user_identity(session: VaultSession) -> None:
    with session.reading():
        before = models.AuditEvent.select().count()
    accounts.add_user(session, "li", "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
    accounts.change_passphrase(session, "li", THIRD, kdf_seconds=0)
    accounts.disable_user(session, "li")
    settings.set_setting(session, "idle_lock_minutes", 10)
    with session.reading():
        rows = list(models.AuditEvent.select().where(models.AuditEvent.seq > before)
                    .order_by(models.AuditEvent.seq))
        li = models.User.get(models.User.username == "li")
    assert [(r.action, r.entity, r.user) for r in rows] == [
        ("create", "user", "admin"), ("passphrase_change", "user", "admin"),
        ("disable", "user", "admin"), ("settings_change", "setting", "admin")]
    assert li.created_by_id == session.actor.id
    assert li.updated_by_id == session.actor.id
    assert audit.verify_chain(session).ok


def test_audit_record_outside_transaction_is_refused(session: VaultSession) -> None:
    with session.reading(), pytest.raises(RuntimeError):
        audit.record(session, "view", "person", 1)


def test_cli_init_users_backup_restore_round_trip(tmp_path: Path) -> None:
    env = _cli_env(tmp_path)
    db = tmp_path / "v" / "vault.db"
    pw_admin = write_secret(tmp_path, "admin.txt", PASSPHRASE)
    pw_li = write_secret(tmp_path, "li.txt", OTHER_PASSPHRASE)
    rc = tmp_path / "rc.txt"
    base = ["--vault", str(db)]
    r = run_cli(*base, "--passphrase-file", str(pw_admin), "init", "--bureau", "某县公安局",
                "--admin", "admin", "--recovery-code-out", str(rc), env_extra=env)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(rc.stat().st_mode) == 0o600
    code = rc.read_text().strip()
    assert len(code.replace("-", "")) == 30 and code not in r.stdout
    admin = [*base, "--user", "admin", "--passphrase-file", str(pw_admin)]
    r = run_cli(*admin, "users", "add", "li", "--role", "counselor", "--display-name", "李明",
                "--new-passphrase-file", str(pw_li), env_extra=env)
    assert r.returncode == 0, r.stderr
    r = run_cli(*admin, "users", "list", env_extra=env)
    assert r.returncode == 0
    assert [line.split("\t")[:3] for line in r.stdout.splitlines()] == [
        ["User name", "Role", "State"], ["admin", "admin", "active"],
        ["li", "counselor", "active"]]
    r = run_cli(*admin, "backup", "--out", str(tmp_path / "bk"), env_extra=env)
    assert r.returncode == 0, r.stderr
    backup_file = Path(r.stdout.strip().split(": ", 1)[1])
    r = run_cli(*admin, "users", "disable", "li", env_extra=env)
    assert r.returncode == 0, r.stderr
    r = run_cli(*admin, "rekey", env_extra=env)
    assert r.returncode == 0, r.stderr
    li = [*base, "--user", "li", "--passphrase-file", str(pw_li)]
    r = run_cli(*li, "check", env_extra=env)
    assert r.returncode == 2
    # li's refused attempt starts the vault's 1 s delay; the test does not wait it out
    shutil.rmtree(tmp_path / "cli-state", ignore_errors=True)
    r = run_cli(*admin, "restore", str(backup_file), env_extra=env)
    assert r.returncode == 0, r.stderr
    r = run_cli(*li, "check", env_extra=env)  # the backup predates li's removal
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[0] == "cipher_integrity_check: ok"
    assert [ln.split(":")[0] for ln in r.stdout.splitlines()] == [
        "cipher_integrity_check", "integrity_check", "foreign_key_check", "audit_chain",
        "witness", "role_grants", "audit_signatures", "audit_roles", "signing_keys",
        "trusted_signers", "instrument_definitions", "witness_signature"]


def test_cli_recover_and_init_refusals(tmp_path: Path) -> None:
    env = _cli_env(tmp_path)
    db = tmp_path / "v" / "vault.db"
    pw_admin = write_secret(tmp_path, "admin.txt", PASSPHRASE)
    rc = tmp_path / "rc.txt"
    r = run_cli("--vault", str(db), "--passphrase-file", str(pw_admin), "init", "--bureau", "局",
                "--admin", "admin", "--recovery-code-out", str(rc), env_extra=env)
    assert r.returncode == 0
    r = run_cli("--vault", str(db), "--passphrase-file", str(pw_admin), "init", "--bureau", "局",
                "--admin", "admin", env_extra=env)
    assert r.returncode == 2
    assert "already exists" in r.stderr
    new = write_secret(tmp_path, "new.txt", OTHER_PASSPHRASE)
    rc2 = tmp_path / "rc2.txt"
    r = run_cli("--vault", str(db), "--user", "admin", "recover", "--recovery-code-file",
                str(rc), "--new-passphrase-file", str(new), "--recovery-code-out", str(rc2),
                env_extra=env)
    assert r.returncode == 0, r.stderr
    assert rc2.read_text().strip() != rc.read_text().strip()
    r = run_cli("--vault", str(db), "--user", "admin", "--passphrase-file", str(new), "check",
                env_extra=env)
    assert r.returncode == 0


def test_cli_without_vault_or_terminal_is_clear(tmp_path: Path) -> None:
    env = _cli_env(tmp_path)
    r = run_cli("--vault", str(tmp_path / "none.db"), "--user", "admin", "--passphrase-file",
                str(write_secret(tmp_path, "p", PASSPHRASE)), "check", env_extra=env)
    assert r.returncode == 2
    assert "No vault at" in r.stderr and "init" in r.stderr
    r = run_cli("--vault", str(tmp_path / "none.db"), "--user", "admin", "check",
                env_extra=env)
    assert r.returncode == 2
    assert "--passphrase-file" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("package", ["db", "counselor_tui.domain", "counselor_tui.services",
                                     "counselor_tui.reports", "counselor_tui.cli"])
def test_non_ui_packages_do_not_load_textual(package: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(getattr(pkg, '__path__', []), pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_peewee_is_bound_through_the_proxy() -> None:
    assert isinstance(models.database_proxy, pw.DatabaseProxy)
    assert all(m._meta.database is models.database_proxy for m in models.ALL_MODELS)


def test_unknown_user_and_used_recovery_code_say_what_is_wrong(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path
) -> None:
    """A missing account and a spent recovery code get their own message, not the
    "wrong passphrase or damaged file" one that sends people to restore a backup."""
    with pytest.raises(WrongPassphrase) as info:
        lifecycle.unlock(created.path, "nobody", PASSPHRASE, clock=clock, state_dir=state_dir)
    assert "No account named nobody" in str(info.value)
    clock.advance(seconds=10)
    vs, _new = key_rotation.recover(created.path, created.recovery_code, "admin", OTHER_PASSPHRASE,
                             clock=clock, state_dir=state_dir, kdf_seconds=0)
    vs.close()
    with pytest.raises(WrongPassphrase) as info:
        key_rotation.recover(created.path, created.recovery_code, "admin", OTHER_PASSPHRASE,
                      clock=clock, state_dir=state_dir, kdf_seconds=0)
    assert "recovery code is not valid" in str(info.value)


def test_emptied_vault_file_is_never_rebuilt(created: lifecycle.CreatedVault, clock: FixedClock,
                                            state_dir: Path) -> None:
    """A zero-byte database is damage, not an invitation to create a fresh schema in it."""
    created.path.write_bytes(b"")
    with pytest.raises(VaultDamaged):
        lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    assert created.path.stat().st_size == 0


def test_missing_or_garbage_key_file_is_named_not_counted(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path, tmp_path: Path
) -> None:

    from db.throttle import AttemptLedger

    vault_id = slots.load(created.keys_path).vault_id
    for content in ("[]", '{"format": "counselor-tui-keys", "slots": [{}]}', "not json"):
        created.keys_path.write_text(content)
        with pytest.raises(VaultDamaged) as info:
            lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
        assert ".keys" in str(info.value)
    assert AttemptLedger(state_dir, vault_id).read().count == 0
    with pytest.raises(InvalidInput):
        lifecycle.unlock(tmp_path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)


def test_kdf_parameters_in_the_key_file_are_bounded(created: lifecycle.CreatedVault) -> None:
    """An edited slot must not make one derivation run for hours."""
    text = created.keys_path.read_text()
    created.keys_path.write_text(text.replace('"t": 2', '"t": 100000', 1))
    with pytest.raises(slots.KeyFileError):
        slots.load(created.keys_path)


def test_passphrase_typed_as_user_name_is_not_kept(created: lifecycle.CreatedVault,
                                                   clock: FixedClock, state_dir: Path) -> None:
    for user in ("Correct-Horse-Battery-Staple-42", "admin"):
        with pytest.raises(WrongPassphrase):
            lifecycle.unlock(created.path, user, "wrong guess here", clock=clock,
                         state_dir=state_dir)
        clock.advance(minutes=10)
    stored = "".join(p.read_text() for p in state_dir.rglob("*.json"))
    assert "Correct-Horse" not in stored
    assert '"user": "admin"' in stored


def test_user_names_fold_case_and_width_display_names_refuse_control_chars(
        session: VaultSession) -> None:
    for alias in ("ADMIN", "Admin", "ａｄｍｉｎ"):
        with pytest.raises(Conflict):
            accounts.add_user(session, alias, "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
    with pytest.raises(InvalidInput):
        accounts.add_user(session, "esc1", "counselor", OTHER_PASSPHRASE,
                          display_name="\x1b[2J\x1b[31mEVIL", kdf_seconds=0)
    with pytest.raises(InvalidInput):
        accounts.add_user(session, "long1", "counselor", OTHER_PASSPHRASE,
                          display_name="名" * 41, kdf_seconds=0)


@pytest.mark.parametrize("secret", [" leading space horse battery", "trailing horse battery ",
                                    "horse battery\x1bstaple correct"])
def test_passphrases_that_lock_people_out_are_refused(tmp_path: Path, clock: FixedClock,
                                                      secret: str) -> None:
    with pytest.raises(InvalidInput):
        lifecycle.create_vault(tmp_path / "v" / "vault.db", bureau="局", admin_username="admin",
                           passphrase=secret, clock=clock, kdf_seconds=0)


def test_passphrase_is_compared_in_nfc(tmp_path: Path, clock: FixedClock,
                                       state_dir: Path) -> None:
    import unicodedata

    nfc = "café horse battery staple é"
    made = lifecycle.create_vault(tmp_path / "v" / "vault.db", bureau="局", admin_username="admin",
                              passphrase=nfc, clock=clock, kdf_seconds=0)
    vs = lifecycle.unlock(made.path, "admin", unicodedata.normalize("NFD", nfc), clock=clock,
                      state_dir=state_dir)
    vs.close()


def test_cli_passphrase_file_limits_and_failed_attempt_notice(
        created: lifecycle.CreatedVault, tmp_path: Path) -> None:
    env = _cli_env(tmp_path)
    big = tmp_path / "big.txt"
    big.write_text("x" * 5000)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    for file, words in ((big, "longer than"), (empty, "is empty")):
        r = run_cli("--vault", str(created.path), "--user", "admin", "--passphrase-file",
                    str(file), "users", "list", env_extra=env)
        assert r.returncode == 2
        assert words in r.stderr
    bad = write_secret(tmp_path, "bad", "not the right one at all")
    good = write_secret(tmp_path, "good", PASSPHRASE)
    r = run_cli("--vault", str(created.path), "--user", "admin", "--passphrase-file",
                str(bad), "users", "list", env_extra=env)
    assert r.returncode == 2
    r = run_cli("--vault", str(created.path), "--user", "admin", "--passphrase-file",
                str(good), "users", "list", env_extra=env)
    assert r.returncode == 0
    assert "1 failed attempts to unlock since your last login" in r.stderr


def test_full_disk_is_not_reported_as_a_wrong_passphrase(
        session: VaultSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk-level failure gets its own message (and is not a damaged vault)."""
    import peewee

    from counselor_tui.services.errors import ServiceError

    def full(*_args: object, **_kw: object) -> None:
        raise peewee.OperationalError("database or disk is full")

    monkeypatch.setattr(audit, "append", full)
    with pytest.raises(ServiceError) as info:
        settings.set_setting(session, "idle_lock_minutes", 7)
    assert "disk is full" in str(info.value)
    assert not session.damaged


def test_cli_init_refuses_a_recovery_code_file_it_cannot_write_before_creating(
        tmp_path: Path) -> None:
    """The recovery code is never lost: a --recovery-code-out whose path runs through a
    file, or an existing one, is refused before any vault file exists (exit 2); a folder
    that does not exist yet is created, as for the vault."""
    env = _cli_env(tmp_path)
    db = tmp_path / "v.db"
    secret = write_secret(tmp_path, "admin.txt", PASSPHRASE)
    base = ["--vault", str(db), "--passphrase-file", str(secret), "init", "--bureau", "X",
            "--admin", "admin", "--recovery-code-out"]
    for out, says in ((secret / "rc", "is not a folder"), (secret, "exists")):
        r = run_cli(*base, str(out), env_extra=env)
        assert r.returncode == 2, r.stdout + r.stderr
        assert says in r.stderr
        assert not db.exists() and not Path(str(db) + ".keys").exists()
    out = tmp_path / "new" / "folder" / "rc.txt"
    r = run_cli(*base, str(out), env_extra=env)
    assert r.returncode == 0, r.stderr
    assert len(out.read_text().strip().replace("-", "")) == 30


def test_cli_init_refuses_an_unknown_time_zone(tmp_path: Path) -> None:
    env = _cli_env(tmp_path)
    db = tmp_path / "v.db"
    secret = write_secret(tmp_path, "admin.txt", PASSPHRASE)
    for zone in ("Mars/Olympus", "../../etc/passwd", ""):
        r = run_cli("--vault", str(db), "--passphrase-file", str(secret), "init", "--bureau",
                    "X", "--admin", "admin", "--timezone", zone, env_extra=env)
        assert r.returncode == 2, (zone, r.stdout, r.stderr)
        assert "Unknown time zone" in r.stderr
        assert not db.exists()


def test_creating_a_vault_leaves_no_build_files_beside_it(tmp_path: Path,
                                                          clock: FixedClock) -> None:
    """The vault is built under a temporary name and renamed; the temporary file's
    write-queue lock (``.vault.db.creating-*.writer``) was left in the folder (demo, init)."""
    folder = tmp_path / "v"
    lifecycle.create_vault(folder / "vault.db", bureau="局", admin_username="admin",
                           passphrase="horse battery staple correct", clock=clock,
                           kdf_seconds=0)
    assert [p.name for p in folder.iterdir() if "creating" in p.name] == []
    assert (folder / "vault.db").is_file()

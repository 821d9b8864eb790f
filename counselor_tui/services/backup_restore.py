"""Backups and restore (DESIGN §5 "backup", "restore"): verified encrypted copies of the
open vault, their generations, and putting one back in place of a damaged or lost vault."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit, failsafe, witness
from counselor_tui.services.context import Clock, VaultSession
from counselor_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    VaultDamaged,
    WrongPassphrase,
)
from counselor_tui.services.lifecycle import (
    open_now,
    unlock,
    wrong_passphrase_message,
)
from counselor_tui.services.settings import get_setting
from db import vault as slots
from db import witness as witness_files
from db.connection import (
    InUseLock,
    VaultInUseError,
    WrongKeyOrDamagedError,
    backup_to,
    fsync_path,
    integrity_checks,
    open_connection,
    side_files,
)
from db.migrations import CURRENT_VERSION, schema_version

BACKUP_RE = re.compile(r"^counselor-(\d{8}-\d{6})(?:-(\d+))?\.db$")


def _table_counts(conn: Any) -> dict[str, int]:
    names = [
        r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'session_note_fts%' ORDER BY name"
        )
    ]
    return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


def _verify_copy(path: Path, key: bytes, expected: dict[str, int] | None) -> None:
    """Open a copy read-only and check integrity (and row counts when ``expected``)."""
    try:
        conn = open_connection(path, key, readonly=True)
    except WrongKeyOrDamagedError as exc:
        raise VaultDamaged(_("The copy does not open with its key.")) from exc
    try:
        bad = [line for line in integrity_checks(conn)
               if not line.ok and line.name != "checkpoint"]
        if bad:
            raise VaultDamaged(_("The copy failed its integrity check: {check}.").format(
                check=bad[0].name))
        if schema_version(conn) > CURRENT_VERSION:
            raise InvalidInput(_("The backup was written by a newer version."))
        if expected is not None and _table_counts(conn) != expected:
            raise VaultDamaged(_("The copy's row counts differ from the vault's."))
    finally:
        conn.close()


def backup(vs: VaultSession, out_dir: Path, keep: int | None = None) -> Path:
    """Back up the vault into ``out_dir`` and return the new database file's path.

    Writes ``counselor-YYYYMMDD-HHMMSS.db`` and its ``.keys`` (the key set as of now): the
    database goes through SQLite's backup API into a temporary file in ``out_dir`` (WAL
    content included), is verified (cipher and SQLite integrity, row count of every table),
    fsynced and renamed into place; then generations beyond ``keep`` (setting
    ``backup_keep``, default 10) of THIS vault are deleted, oldest first (other files and
    other vaults' backups in the folder are never touched). On any error the temporary file
    is removed, no target is left half-written and older backups are untouched
    (:class:`ServiceError`). Writes a ``backup`` audit event.
    """
    out_dir = Path(out_dir)
    if keep is None:
        keep = int(get_setting(vs, "backup_keep", 10))
    if keep < 1:
        raise InvalidInput(_("Keep at least one backup generation."))
    stamp = vs.now().strftime("%Y%m%d-%H%M%S")
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(_("{path} is not a folder: give a folder for the backups.").format(
            path=out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with failsafe.BackupFolderLock(out_dir):
            failsafe.remove_leftovers(out_dir)
            final, counts = _write_backup(vs, out_dir, stamp)
            _witness_backup(vs, final)
    except OSError as exc:
        raise ServiceError(
            _("The backup could not be written ({error}); nothing was replaced.").format(
                error=exc.strerror or type(exc).__name__)
        ) from exc
    _prune(out_dir, keep, vs.keys.vault_id, vs.path)
    with vs.transaction():
        audit.record(vs, "backup", "vault", "", {"file": final.name, "rows": sum(counts.values())})
    return final


def _write_backup(vs: VaultSession, out_dir: Path, stamp: str) -> tuple[Path, dict[str, int]]:
    """Copy, verify and rename the backup to a name not taken yet. The caller holds the
    folder's backup lock, so two backups of the same second get ``….db`` and ``…-2.db``
    rather than one overwriting the other."""
    tmp = out_dir / f".counselor-{stamp}.db.{secrets.token_hex(4)}.tmp"
    try:
        with vs.reading():
            conn = vs.db.raw()
            conn.execute("BEGIN")
            try:
                counts = _table_counts(conn)
                backup_to(conn, tmp, vs.db.key)
            finally:
                conn.execute("COMMIT")
        _verify_copy(tmp, vs.db.key, counts)
        fsync_path(tmp)
        n = 1
        final = out_dir / f"counselor-{stamp}.db"
        while final.exists() or slots.keys_path(final).exists():
            n += 1
            final = out_dir / f"counselor-{stamp}-{n}.db"
        slots.save(slots.keys_path(final), vs.keys)
        os.replace(tmp, final)
        fsync_path(out_dir)
    finally:
        for leftover in side_files(tmp):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return final, counts


def list_backups(out_dir: Path) -> list[Path]:
    """Backup database files in ``out_dir``, oldest first (by the time in the name)."""
    if not out_dir.is_dir():
        return []
    found = [p for p in out_dir.iterdir() if BACKUP_RE.match(p.name)]

    def order(p: Path) -> tuple[str, int]:
        m = BACKUP_RE.match(p.name)
        assert m is not None
        return m.group(1), int(m.group(2) or 1)

    return sorted(found, key=order)


def own_backups(out_dir: Path, vault_id: str, live: Path) -> list[Path]:
    """The backups in ``out_dir`` that belong to the vault ``vault_id``, oldest first: named
    like a backup, with a readable key-slot file of the same vault id, and never the live
    vault itself (a folder may hold other vaults' backups, or other files)."""
    found = []
    for candidate in list_backups(out_dir):
        if candidate.resolve() == live.resolve():
            continue
        try:
            if slots.load(slots.keys_path(candidate)).vault_id == vault_id:
                found.append(candidate)
        except slots.KeyFileError:
            continue
    return found


def _witness_backup(vs: VaultSession, final: Path) -> None:
    """``<backup>.witness``: the backup's last audit sequence number and head, signed by
    this account — an anchor kept outside the vault (``check --anchor``; issue 11), and the
    witness the vault gets back when the backup is restored."""
    conn = open_connection(final, vs.db.key, readonly=True)
    try:
        last = witness.tail(conn.execute)
    finally:
        conn.close()
    if last is not None:
        witness_files.write(final, vs.db.key, witness.stamp(vs, last),
                            signer=witness.signer_of(vs))


def _prune(out_dir: Path, keep: int, vault_id: str, live: Path) -> None:
    for old in own_backups(out_dir, vault_id, live)[:-keep]:
        for f in (old, slots.keys_path(old), witness_files.witness_path(old)):
            with contextlib.suppress(FileNotFoundError):
                f.unlink()


def restore(
    path: Path,
    backup_file: Path,
    username: str,
    passphrase: str,
    *,
    clock: Clock,
    state_dir: Path,
) -> Path:
    """Replace the vault at ``path`` with ``backup_file`` after verifying it.

    The user's passphrase must open the backup's own key set (``backup_file.keys``). The
    backup is verified, copied beside the vault, verified again, then installed: the
    current vault files are kept as ``<path>.pre-restore-<time>`` (nothing is lost), the
    copy is renamed into place and its key set installed through ``<path>.keys.next``.
    Returns the path of the kept pre-restore copy. Writes a ``restore`` audit event into the
    restored vault.
    """
    path, backup_file = failsafe.real_vault_path(Path(path)), Path(backup_file)
    witness.settle()  # no queued rewrite of the vault being replaced may land after it
    if not backup_file.is_file() or not slots.keys_path(backup_file).is_file():
        raise NotFound(_("No backup at {path} (the .db file and its .keys file are needed).")
                       .format(path=backup_file))
    if path.exists() and backup_file.resolve() == path.resolve():
        raise InvalidInput(_("{path} is the vault itself, not a backup: choose a backup file "
                             "(see 'counselor-tui backup').").format(path=backup_file))
    try:
        keys = slots.load(slots.keys_path(backup_file))
        slot = keys.user_slot(username)
        key = slots.open_slot(keys, slot, passphrase)
    except slots.KeySlotError as exc:
        raise WrongPassphrase(wrong_passphrase_message()) from exc
    if slot.role != Role.ADMIN.value:
        raise PermissionDenied(_("Only an admin may restore a backup."))
    try:
        current_id = slots.load(slots.keys_path(path)).vault_id
    except slots.KeyFileError:
        current_id = None  # no vault, or its key file is lost: nothing to mix up
    if current_id is not None and current_id != keys.vault_id:
        raise InvalidInput(_("This backup belongs to another vault: restore it to its own "
                             "path, or choose a backup of this vault."))
    _verify_copy(backup_file, key, None)
    lock = InUseLock(path)
    try:
        lock.exclusive()
    except VaultInUseError:
        raise Conflict(_("The vault is open (in the interface or another command): close it, "
                         "then restore.") + open_now(path)) from None
    try:
        kept = _install_backup(path, backup_file, keys, key, clock)
    finally:
        lock.release()
    vs = unlock(path, username, passphrase, clock=clock, state_dir=state_dir, action="login")
    try:
        with vs.transaction():
            audit.record(vs, "restore", "vault", "", {"from": backup_file.name})
    finally:
        vs.close()
    return kept


def _install_backup(path: Path, backup_file: Path, keys: slots.KeySet, key: bytes,
                    clock: Clock) -> Path:
    """Copy, verify and rename the backup into place (the caller holds the vault alone)."""
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.parent / f".{path.name}.restore-{secrets.token_hex(4)}"
    kept = Path(f"{path}.pre-restore-{stamp}")
    try:
        shutil.copyfile(backup_file, tmp)
        os.chmod(tmp, 0o600)
        fsync_path(tmp)
        _verify_copy(tmp, key, None)
        slots.save(slots.next_keys_path(path), keys)
        if path.exists():
            for src in (*side_files(path), witness_files.witness_path(path),
                        witness_files.next_witness_path(path)):
                if src.exists():
                    os.replace(src, Path(str(src).replace(str(path), str(kept), 1)))
            if slots.keys_path(path).exists():
                slots.write_atomic(slots.keys_path(kept), slots.keys_path(path).read_bytes())
        if witness_files.witness_path(backup_file).exists():  # the backup's own witness
            slots.write_atomic(witness_files.witness_path(path),
                               witness_files.witness_path(backup_file).read_bytes())
        os.replace(tmp, path)
        os.replace(slots.next_keys_path(path), slots.keys_path(path))
        fsync_path(path.parent)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise ServiceError(
            _("The restore could not be written ({error}).").format(
                error=exc.strerror or type(exc).__name__)
        ) from exc
    return kept

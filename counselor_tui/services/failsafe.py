"""Fail-safe helpers of the vault life cycle (issue 12, DESIGN §5, security tests 26, 27).

* :func:`real_vault_path` resolves a vault path once, so that every later step (key slots,
  rotation, backups, the in-use lock) acts on the real files and symlinks stay as they were;
* :func:`damaged_message` is what to say when the passphrase is right (the key slot opened)
  but the database does not open: the file is damaged, and these backups exist;
* :func:`count_failure` records a failed unlock, refusing the attempt when the record
  cannot be written;
* :class:`BackupFolderLock` serialises backups into one folder, so that leftovers of an
  interrupted backup can be removed safely and two backups never take the same name.

Nothing here prints; messages are translated and hold paths only, never data.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol

from counselor_tui import paths
from counselor_tui.i18n import _
from counselor_tui.services.errors import Conflict, InvalidInput, ServiceError
from db import vault as slots
from db.throttle import AttemptLedger


class Clock(Protocol):
    """Source of the current time (:class:`counselor_tui.services.context.Clock`)."""

    def now(self) -> datetime: ...


#: Name of a backup's temporary file (``.counselor-….db.<hex>.tmp``) and its SQLite side files.
LEFTOVER_RE = re.compile(
    r"^\.counselor-\d{8}-\d{6}(?:-\d+)?\.db\.[0-9a-f]{8}\.tmp(?:-journal|-wal|-shm)?$")
BACKUP_NAME_RE = re.compile(r"^counselor-(\d{8}-\d{6})(?:-(\d+))?\.db$")
#: How long a backup waits for another backup into the same folder to finish.
BACKUP_WAIT_SECONDS = 120.0


def real_vault_path(path: Path) -> Path:
    """The vault's database path with every symlink resolved (absolute).

    The key-slot files are looked for beside the *real* database file. When the given path
    is a link and its own ``.keys`` is a link to somewhere else than the real database's
    ``.keys``, the two would disagree after a key rotation: refused with
    :class:`InvalidInput` naming both files.
    """
    given = Path(path).expanduser()
    real = given.resolve()
    if real == given.absolute():
        return real
    given_keys = slots.keys_path(given)
    if given_keys.exists() and given_keys.resolve() != slots.keys_path(real).resolve():
        raise InvalidInput(_(
            "The vault {path} is a link to {real}, but its key file {keys} leads elsewhere "
            "({target}): put the key file beside the real database file ({expected}).").format(
                path=given, real=real, keys=given_keys, target=given_keys.resolve(),
                expected=slots.keys_path(real)))
    return real


def key_set_notice(what: str, where: Path) -> str:
    """The line telling the user what :func:`db.vault.resolve_key_set` repaired."""
    if what == slots.NEXT_SET_ASIDE:
        return _("The pending key-slot file was damaged and has been set aside as {path}; "
                 "the vault opened with its current key set.").format(path=where)
    return _("The key-slot file {path} was damaged; the interrupted key rotation was "
             "completed with the pending key set.").format(path=where)


def backup_generations(path: Path) -> list[Path]:
    """Backup database files of the vault at ``path`` in its default backup folder
    (``<folder>/backups``), oldest first; an unreadable folder gives an empty list."""
    folder = paths.default_backup_dir(path)
    try:
        found = [p for p in folder.iterdir() if BACKUP_NAME_RE.match(p.name)
                 and slots.keys_path(p).is_file()]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.name)


def damaged_message(path: Path) -> str:
    """The message for a right passphrase whose database does not open (security test 26):
    the file is damaged; restore one of the backups named here (newest last), or, when none
    is found, the user's own copy."""
    found = backup_generations(path)
    if found:
        names = ", ".join(p.name for p in found[-5:])
        return _("The passphrase is right, but the vault file {path} is damaged. Restore a "
                 "backup with 'counselor-tui restore FILE'; backups in {folder}: {names}."
                 ).format(path=path, folder=found[-1].parent, names=names)
    return _("The passphrase is right, but the vault file {path} is damaged, and no backup "
             "was found in {folder}: restore your latest copy with 'counselor-tui restore "
             "FILE'.").format(path=path, folder=paths.default_backup_dir(path))


def read_only_message(path: Path, checks: list[str], pages: tuple[int, ...]) -> str:
    """The message of a vault found damaged after unlock (security test 25): which checks
    failed (and pages), that it is read-only now, and the restore path."""
    what = ", ".join(checks) + (
        " (" + _("pages {pages}").format(pages=", ".join(map(str, pages))) + ")" if pages
        else "")
    found = backup_generations(path)
    where = (_("backups in {folder}: {names}").format(
        folder=found[-1].parent, names=", ".join(p.name for p in found[-5:])) if found
        else _("no backup found in {folder}").format(folder=paths.default_backup_dir(path)))
    return _("The vault is damaged ({what}) and is read-only now: nothing more is written. "
             "Restore a backup with 'counselor-tui restore FILE'; {where}.").format(
                 what=what, where=where)


def remove_leftovers(folder: Path) -> list[str]:
    """Delete what an interrupted backup left in ``folder`` (its hidden temporary file and
    SQLite journal); returns the names removed. Call only while holding
    :class:`BackupFolderLock`, so no running backup loses its file."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if LEFTOVER_RE.match(entry.name) and entry.is_file() and not entry.is_symlink():
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                    removed.append(entry.name)
    return removed


class BackupFolderLock:
    """An exclusive advisory lock (``flock``) on the backup folder itself for the length of
    one backup (no lock file is left in the folder). A second backup into the same folder
    waits, up to :data:`BACKUP_WAIT_SECONDS`, then gets :class:`Conflict`. POSIX only."""

    def __init__(self, folder: Path, wait_seconds: float = BACKUP_WAIT_SECONDS) -> None:
        self.folder = Path(folder)
        self.wait_seconds = wait_seconds
        self._fd: int | None = None

    def __enter__(self) -> BackupFolderLock:
        fd = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise Conflict(_("Another backup into {folder} is still running: try "
                                     "again when it has finished.").format(
                                         folder=self.folder)) from None
                time.sleep(0.05)
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def count_failure(ledger: AttemptLedger, clock: Clock, user: str) -> None:
    """Record one failed unlock of ``user`` in ``ledger``; when the record cannot be
    written (a full disk, the server's journal missing or not writable) the attempt is
    refused with :class:`ServiceError` naming the file — never passed over silently."""
    try:
        ledger.record_failure(clock.now(), user)
    except OSError as exc:
        raise ServiceError(ledger_message(exc)) from exc


def ledger_message(exc: OSError) -> str:
    """What to say when the failed-attempt record cannot be written."""
    return _("The record of failed unlock attempts ({path}) cannot be written ({error}): "
             "nothing was opened; ask the administrator to check that file.").format(
                 path=exc.filename or "?", error=exc.strerror or type(exc).__name__)

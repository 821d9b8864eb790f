"""Open, create, check, back up and re-key the SQLCipher 4 database of a vault.

The database is encrypted with a random 256-bit *data key* used in SQLCipher's raw-key mode
(``PRAGMA key = "x'<64 hex digits>'"``), so SQLCipher's own PBKDF2 is skipped; the key slots
(:mod:`db.vault`) hold that key wrapped under each user's passphrase (DESIGN §5).

Every connection is set up in this order (DESIGN §5, SQLCipher 4 API documentation,
https://www.zetetic.net/sqlcipher/sqlcipher-api/):

1. ``PRAGMA cipher_log_level = NONE`` *before* keying, so SQLCipher never writes to stderr
   (which would draw over the TUI);
2. ``PRAGMA key`` with the raw key, then the vault's cipher settings (:data:`CIPHER_SETTINGS`:
   SQLCipher 4's AES-256-CBC with 4 KiB pages, but pages authenticated with HMAC-SHA256
   rather than HMAC-SHA512 — equally sound for page authentication and about 25 % faster
   on large reads, which keeps compiling a submission within 1.3× of plain SQLite);
3. a read of ``sqlite_master`` proves the key (a wrong key and a damaged first page both fail
   here, and look the same: :class:`WrongKeyOrDamagedError`);
4. ``temp_store = MEMORY``, ``foreign_keys = ON``, ``secure_delete = ON``,
   ``journal_mode = WAL``, ``synchronous = FULL``, ``busy_timeout``;
5. checks: ``cipher_version`` non-empty, ``temp_store`` is 2 (MEMORY), journal mode is WAL.

Threading: one keyed connection per thread at a time. :class:`VaultDatabase` is a pooled
peewee SqliteDatabase (``playhouse.pool``): a Textual worker thread checks a connection out
for one unit of work (:meth:`VaultDatabase.session`, re-entrant) and hands it back, so
connections, and their caches of decrypted pages, are reused rather than reopened per call.
Transactions begin ``IMMEDIATE`` so that
two writers serialise at ``BEGIN`` (WAL allows readers alongside) and the audit chain is
appended by one writer at a time; they queue for it first (:mod:`db.write_queue`).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import peewee
import sqlcipher3
from playhouse.pool import _PooledSqliteDatabase
from sqlcipher3 import dbapi2

from db.write_queue import QueueTimeout, WriteQueue

KEY_BYTES = 32
BUSY_TIMEOUT_MS = 10_000
#: How long a write waits in all for the other writers of the file (``BEGIN IMMEDIATE``
#: retried while SQLite reports it busy) before giving up with :class:`StorageError`.
WRITE_WAIT_SECONDS = 60.0
#: Page cache per connection in KiB (negative = KiB for SQLite): decrypted pages stay in
#: memory, so repeated archive searches do not decrypt the same pages again.
CACHE_KIB = 32 * 1024
#: Keyed connections kept open for reuse across worker threads.
POOL_SIZE = 8

DatabaseError = dbapi2.DatabaseError


class VaultError(Exception):
    """Base class of every error this package raises about a vault file."""


class WrongKeyOrDamagedError(VaultError):
    """The key does not open the file, or its first page is damaged: the two look the same."""


class VaultMissingError(VaultError):
    """The database file does not exist."""


class PragmaCheckError(VaultError):
    """A required pragma did not take effect (e.g. SQLCipher missing, temp_store not MEMORY)."""


class StorageError(VaultError):
    """The file could not be read or written for a reason of the disk, not of the data: full,
    read-only, no permission, I/O error, or busy in another process. ``str()`` is SQLite's
    reason (no data in it)."""


class DamagedError(VaultError):
    """SQLCipher or SQLite reported a damaged page while reading or writing."""


#: Cipher settings of every vault, applied right after the key on every connection. Set
#: explicitly (not through ``cipher_compatibility``) so that a future SQLCipher with other
#: defaults still opens today's vaults.
CIPHER_SETTINGS: tuple[tuple[str, str], ...] = (
    ("cipher_page_size", "4096"),
    ("cipher_use_hmac", "ON"),
    ("cipher_hmac_algorithm", "HMAC_SHA256"),
    ("cipher_kdf_algorithm", "PBKDF2_HMAC_SHA512"),
    ("cipher_plaintext_header_size", "0"),
)


def _set_cipher(conn: Any, key: bytes, schema: str = "") -> None:
    """``PRAGMA cipher_log_level = NONE``, the raw key, then :data:`CIPHER_SETTINGS`."""
    prefix = f"{schema}." if schema else ""
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(_key_pragma(key).replace("PRAGMA key", f"PRAGMA {prefix}key", 1))
    for name, value in CIPHER_SETTINGS:
        conn.execute(f"PRAGMA {prefix}{name} = {value}")


def _key_pragma(key: bytes) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("the data key must be 32 bytes")
    return f"PRAGMA key = \"x'{key.hex()}'\""


def is_busy(exc: BaseException) -> bool:
    """True when ``exc`` is SQLite's ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` ("database is
    locked", "database table is locked", "database is busy")."""
    text = str(exc).lower()
    return isinstance(exc, dbapi2.OperationalError | peewee.OperationalError) and (
        "locked" in text or "busy" in text)


def begin_write(execute: Any, *, wait: float = WRITE_WAIT_SECONDS,
                statement: str = "BEGIN IMMEDIATE") -> int:
    """Start a write transaction through ``execute(sql)``, waiting out other writers.

    SQLite's busy handler (``busy_timeout``) already waits inside each attempt; when an
    attempt still reports the file busy (another process held the write lock longer, or
    SQLite returned busy without waiting, e.g. during WAL recovery) it is retried after a
    short random pause until ``wait`` seconds have passed in all. Returns the number of
    attempts. Raises :class:`StorageError` ("the vault is busy") once the bound is over, and
    any other error of ``execute`` at once. DESIGN §12: every write path waits out
    ``SQLITE_BUSY`` within a bound.
    """
    deadline = time.monotonic() + wait
    attempts = 0
    while True:
        attempts += 1
        try:
            execute(statement)
            return attempts
        except (dbapi2.OperationalError, peewee.OperationalError) as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                raise StorageError("database is locked") from exc
            time.sleep(random.uniform(0.001, 0.02))  # jitter, not security


def _uri(path: Path, mode: str) -> str:
    return f"file:{quote(str(path.absolute()))}?mode={mode}"


def is_corruption(exc: BaseException) -> bool:
    """True when ``exc`` is SQLite's or SQLCipher's report of a damaged or foreign file."""
    text = str(exc).lower()
    return isinstance(exc, dbapi2.DatabaseError | peewee.DatabaseError) and (
        "malformed" in text or "not a database" in text or "hmac" in text or "corrupt" in text
    )


_STORAGE_WORDS = ("disk is full", "readonly", "read-only", "disk i/o", "unable to open",
                  "permission", "database is locked", "no space")


def is_storage_error(exc: BaseException) -> bool:
    """True when ``exc`` is SQLite's report of a disk-level problem (see :class:`StorageError`)."""
    text = str(exc).lower()
    return isinstance(exc, dbapi2.DatabaseError | peewee.DatabaseError | OSError) and any(
        word in text for word in _STORAGE_WORDS)


def open_connection(
    path: Path, key: bytes, *, create: bool = False, readonly: bool = False
) -> Any:
    """Open ``path`` with the raw 32-byte data ``key`` and apply the pragmas of DESIGN §5.

    Returns a ``sqlcipher3`` DB-API connection in autocommit mode (``isolation_level=None``).
    ``create`` allows a new file; otherwise the file must exist (:class:`VaultMissingError`).
    ``readonly`` opens with ``mode=ro`` (no journal-mode change, nothing written).

    Raises :class:`WrongKeyOrDamagedError` when the key does not open the file (or its header
    is damaged, or the file is empty or truncated), :class:`StorageError` when the disk is
    full, read-only or failing, :class:`PragmaCheckError` when a pragma check fails. The
    connection is closed on every error.
    """
    path = Path(path)
    if not create and not path.is_file():
        raise VaultMissingError(str(path))
    if not create and path.stat().st_size == 0:
        raise WrongKeyOrDamagedError(str(path))  # never let SQLite start a fresh database
    mode = "ro" if readonly else ("rwc" if create else "rw")
    if create and not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = sqlcipher3.connect(
        _uri(path, mode), uri=True, isolation_level=None, check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    try:
        _set_cipher(conn, key)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except dbapi2.DatabaseError as exc:
            if is_storage_error(exc):
                raise StorageError(str(exc)) from exc
            raise WrongKeyOrDamagedError(str(path)) from exc
        try:
            _apply_pragmas(conn, readonly=readonly)
        except dbapi2.DatabaseError as exc:
            raise StorageError(str(exc)) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _apply_pragmas(conn: Any, *, readonly: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA secure_delete = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise PragmaCheckError("journal_mode")
    conn.execute("PRAGMA synchronous = FULL")
    version = conn.execute("PRAGMA cipher_version").fetchone()
    if not version or not version[0]:
        raise PragmaCheckError("cipher_version")
    if conn.execute("PRAGMA temp_store").fetchone()[0] != 2:
        raise PragmaCheckError("temp_store")


@dataclass(frozen=True)
class PragmaReport:
    """What a live connection reports: the values security test 4 checks."""

    cipher_version: str
    temp_store: int
    cipher_log_level: str
    journal_mode: str
    foreign_keys: int
    secure_delete: int
    synchronous: int


def attach(conn: Any, path: Path, key: bytes, schema: str) -> None:
    """Attach the vault database at ``path`` (opened with ``key`` and the vault's cipher
    settings) to ``conn`` as ``schema``."""
    if not schema.isidentifier():
        raise ValueError("bad schema name")
    # ATTACH reads the header at once, with SQLCipher's process-wide default settings
    for name, value in CIPHER_SETTINGS:
        conn.execute(f"PRAGMA {name.replace('cipher_', 'cipher_default_', 1)} = {value}")
    conn.execute(f"ATTACH DATABASE ? AS {schema} KEY \"x'{key.hex()}'\"", (str(path),))


def pragma_report(conn: Any) -> PragmaReport:
    """Read back the security-relevant pragmas of an open connection."""

    def one(sql: str) -> Any:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None

    return PragmaReport(
        cipher_version=str(one("PRAGMA cipher_version") or ""),
        temp_store=int(one("PRAGMA temp_store")),
        cipher_log_level=str(one("PRAGMA cipher_log_level") or ""),
        journal_mode=str(one("PRAGMA journal_mode")),
        foreign_keys=int(one("PRAGMA foreign_keys")),
        secure_delete=int(one("PRAGMA secure_delete")),
        synchronous=int(one("PRAGMA synchronous")),
    )


def checkpoint(conn: Any) -> None:
    """Move every WAL frame into the database file and truncate the WAL (``TRUNCATE`` mode).

    Raises :class:`VaultError` when another connection keeps the checkpoint from completing.
    """
    busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise VaultError("checkpoint blocked by another connection")


_PAGE_RE = re.compile(r"page\s+(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class CheckLine:
    """One line of ``check``: the check's name, whether it passed, and what it found.

    ``pages`` lists the page numbers named by the check's findings (cipher integrity).
    """

    name: str
    ok: bool
    detail: str
    pages: tuple[int, ...] = ()


def integrity_checks(conn: Any, *, checkpoint_first: bool = True) -> list[CheckLine]:
    """Run ``cipher_integrity_check``, ``integrity_check`` and ``foreign_key_check``.

    Checkpoints the WAL first (unless ``checkpoint_first`` is False: the open-time health
    check, which only reads) so that every page is in the file being verified. Each result
    is a :class:`CheckLine`; a damaged page is named by number (SQLCipher reports
    ``HMAC verification failed for page N``).
    """
    lines: list[CheckLine] = []
    if checkpoint_first:
        try:
            checkpoint(conn)
        except (VaultError, dbapi2.DatabaseError) as exc:
            lines.append(CheckLine("checkpoint", False, type(exc).__name__))
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
        pages = tuple(sorted({int(m.group(1)) for r in rows for m in _PAGE_RE.finditer(r)}))
        lines.append(CheckLine("cipher_integrity_check", not rows, "; ".join(rows[:5]), pages))
    except dbapi2.DatabaseError as exc:
        lines.append(CheckLine("cipher_integrity_check", False, str(exc)))
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
        ok = rows == ["ok"]
        lines.append(CheckLine("integrity_check", ok, "ok" if ok else "; ".join(rows[:5])))
    except dbapi2.DatabaseError as exc:
        lines.append(CheckLine("integrity_check", False, str(exc)))
    try:
        rows = conn.execute("PRAGMA foreign_key_check").fetchall()
        detail = "ok" if not rows else "; ".join(f"{r[0]} row {r[1]} -> {r[2]}" for r in rows[:5])
        lines.append(CheckLine("foreign_key_check", not rows, detail))
    except dbapi2.DatabaseError as exc:
        lines.append(CheckLine("foreign_key_check", False, str(exc)))
    return lines


def rekey_connection(conn: Any, new_key: bytes) -> None:
    """Re-encrypt every page of the open database under ``new_key`` (``PRAGMA rekey``).

    The caller must hold the only connection. The WAL is checkpointed and the journal is
    switched to ``DELETE`` for the rekey, so the re-encryption is one rollback-journal
    transaction (a crash leaves the old key or the new one, never a mix), then back to WAL.
    """
    checkpoint(conn)
    mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    if str(mode).lower() != "delete":
        raise VaultError("could not leave WAL mode for the rekey")
    conn.execute(_key_pragma(new_key).replace("PRAGMA key", "PRAGMA rekey", 1))
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise PragmaCheckError("journal_mode")


def backup_to(conn: Any, target: Path, key: bytes) -> None:
    """Copy the open database into a new file ``target`` with SQLite's online backup API.

    ``target`` must not exist; it is created encrypted under the same raw ``key`` (SQLCipher
    backs up between databases with identical keys). Un-checkpointed WAL content is included,
    since the backup reads through ``conn``. The target is left in rollback-journal mode with
    no side files.
    """
    if target.exists():
        raise VaultError("backup target exists")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    dest = sqlcipher3.connect(_uri(target, "rwc"), uri=True, isolation_level=None)
    try:
        _set_cipher(dest, key)
        conn.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
    finally:
        dest.close()


def fsync_path(path: Path) -> None:
    """``fsync`` a file or directory so that a rename into it survives a power cut."""
    flags = os.O_RDONLY
    if path.is_dir():
        flags |= getattr(os, "O_DIRECTORY", 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def side_files(path: Path) -> list[Path]:
    """The database file and the SQLite side files that may sit beside it."""
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


class VaultInUseError(VaultError):
    """Another process (or session) has the vault open; the operation needs it alone."""


class InUseLock:
    """An advisory lock (``flock``) on ``<vault>.lock``: every unlocked session holds it
    shared; restoring or re-keying the vault takes it exclusive, so neither can pull the
    file from under a running app (whose writes would otherwise go to the old file).

    The lock file is empty and 0600; it carries no data. POSIX only.
    """

    def __init__(self, vault: Path) -> None:
        self.path = Path(f"{vault}.lock")
        self._fd: int | None = None

    def _lock(self, mode: int) -> None:
        import fcntl

        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VaultInUseError(str(self.path)) from None

    def shared(self) -> None:
        """Hold the lock shared (an open session); raises :class:`VaultInUseError` while
        another process holds it exclusive."""
        import fcntl

        self._lock(fcntl.LOCK_SH)

    def exclusive(self) -> None:
        """Hold the lock alone (converting a shared hold); raises :class:`VaultInUseError`
        when any other session has the vault open."""
        import fcntl

        self._lock(fcntl.LOCK_EX)

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


class _CipherSqliteDatabase(peewee.SqliteDatabase):
    """peewee's SQLite database whose raw connections come from :func:`open_connection`."""

    def __init__(self, path: Path, key: bytes, *, create: bool = False, **kwargs: Any) -> None:
        self.path = Path(path)
        self._key: bytearray | None = bytearray(key)
        self._create = create
        self._queue = WriteQueue(self.path)
        self._turn = threading.local()  # .fd: this thread's turn in the writers' queue
        super().__init__(str(self.path), **kwargs)

    def begin(self, lock_type: str | None = None) -> None:
        """``BEGIN IMMEDIATE`` (or ``lock_type``), retried while another process writes
        (:func:`begin_write`), after this writer's turn in the vault's writers' queue
        (:mod:`db.write_queue`, held until :meth:`commit` / :meth:`rollback`); the whole
        wait stays within :data:`WRITE_WAIT_SECONDS`. Every write starts here."""
        chosen = lock_type or getattr(self, "_lock_type", None) or ""
        statement = f"BEGIN {chosen}".strip()
        deadline = time.monotonic() + WRITE_WAIT_SECONDS
        if chosen.upper() in ("IMMEDIATE", "EXCLUSIVE"):
            self._let_go()
            try:
                self._turn.fd = self._queue.acquire(WRITE_WAIT_SECONDS)
            except QueueTimeout:
                raise StorageError("database is locked") from None
            except OSError:
                self._turn.fd = -1  # no queue file (read-only folder): SQLite's wait alone
        try:
            begin_write(lambda sql: self.cursor().execute(sql), statement=statement,
                        wait=max(0.0, deadline - time.monotonic()))
        except BaseException:
            self._let_go()
            raise

    def commit(self) -> None:
        """``COMMIT``, then the next writer's turn."""
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        """``ROLLBACK``, then the next writer's turn."""
        try:
            super().rollback()
        finally:
            self._let_go()

    def _let_go(self) -> None:
        fd, self._turn.fd = getattr(self._turn, "fd", -1), -1
        WriteQueue.release(fd)

    def _connect(self) -> Any:
        if self._key is None:
            raise VaultError("the vault is locked")
        conn = open_connection(self.path, bytes(self._key), create=self._create)
        try:
            self._add_conn_hooks(conn)  # type: ignore[attr-defined]
        except BaseException:
            conn.close()
            raise
        return conn


class VaultDatabase(_PooledSqliteDatabase, _CipherSqliteDatabase):  # type: ignore[misc]
    """A peewee database over a SQLCipher file opened with a raw data key.

    Shapes: ``path`` is the database file; ``key`` the 32-byte data key, held in memory until
    :meth:`drop_key`. Each thread checks a keyed connection out of a small pool (peewee's
    ``playhouse.pool``) for the length of :meth:`session` and returns it afterwards, so the
    page cache of decrypted pages survives from one worker thread to the next. Every
    transaction begins ``IMMEDIATE``. Raises the errors of :func:`open_connection` on connect.
    """

    def __init__(self, path: Path, key: bytes, *, create: bool = False) -> None:
        self._anchor: Any = None
        self._anchor_lock = threading.Lock()
        self.in_use = InUseLock(Path(path))
        super().__init__(path, max_connections=POOL_SIZE, timeout=BUSY_TIMEOUT_MS / 1000,
                         key=key, create=create, lock_type="IMMEDIATE")

    def raw(self) -> Any:
        """This thread's DB-API connection (opened by :meth:`session`)."""
        return self.connection()

    @property
    def key(self) -> bytes:
        """The data key (raises :class:`VaultError` once dropped)."""
        if self._key is None:
            raise VaultError("the vault is locked")
        return bytes(self._key)

    @property
    def locked(self) -> bool:
        """True once :meth:`drop_key` ran."""
        return self._key is None

    def hold(self) -> None:
        """Keep one extra connection open until :meth:`drop_key`.

        SQLite checkpoints and deletes the WAL whenever the *last* connection closes; worker
        connections come and go, so this anchor keeps the WAL (and its speed) for the life
        of the unlocked session. It runs no queries.
        """
        with self._anchor_lock:
            if self._anchor is None:
                self.in_use.shared()
                self._anchor = open_connection(self.path, self.key)

    def data_version(self) -> int | None:
        """``PRAGMA data_version`` on the anchor connection of :meth:`hold` (None when not
        held): it changes whenever another connection — another process, or this one's
        pooled workers — committed a change. Costs no read of the database."""
        with self._anchor_lock:
            if self._anchor is None:
                return None
            return int(self._anchor.execute("PRAGMA data_version").fetchone()[0])

    def release(self) -> None:
        """Close the anchor connection of :meth:`hold` and every idle pooled connection
        (before a rekey, which needs the only connection)."""
        with self._anchor_lock:
            if self._anchor is not None:
                with contextlib.suppress(Exception):
                    self._anchor.close()
                self._anchor = None
        self.close_idle()

    def drop_key(self) -> None:
        """Close every connection (pooled, in use, anchor), give up the in-use lock, then
        overwrite and forget the data key."""
        self.release()
        with contextlib.suppress(Exception):
            self.close_all()
        self.in_use.release()
        if self._key is not None:
            for i in range(len(self._key)):
                self._key[i] = 0
            self._key = None

    @contextlib.contextmanager
    def session(self) -> Iterator[VaultDatabase]:
        """Use this thread's connection for one unit of work; re-entrant.

        Opens the connection when the thread has none and closes it on the way out only if
        it was opened here, so nested calls share it.
        """
        opened = self.is_closed()
        if opened:
            self.connect()
        try:
            yield self
        finally:
            if opened and not self.is_closed():
                self.close()

"""Lost-commit detection with the witness file (DESIGN §5 "Witness", issue 12, security
tests 23 and 24); the file format is :mod:`db.witness`.

* :func:`compare` runs at unlock (before anything is written) and in ``check``: the chain in
  the database must reach the witness's sequence number, and its event there must have the
  witness's head. Otherwise changes were lost (the ``-wal`` deleted, truncated or damaged)
  or history was rewritten; the session is then read-only and the message says to restore.
* :func:`record_commit` rewrites the witness after every commit that appended audit events
  (hooked into :meth:`VaultSession.transaction`), never on a failed unlock. A witness never
  moves backwards within a process.

The rewrite (HMAC, signature, two ``fsync``) runs on one writer thread of the process, not
on the saving thread: a save returns once its commit is durable, and the witness follows
within one write — rewrites that pile up behind a slow disk are merged into the newest
(issue 14: under a bureau server's load the rewrite was the largest part of a save's p95).
:func:`settle` waits for the writes still pending; it runs before the key is dropped
(close, lock, quit), before any comparison with the witness, before a key rotation writes
its pending witness and before a restore, so no rewrite under an old key or of an older
state can land after those. A crash between a commit and its rewrite leaves the witness
one write behind: the chain is then ahead of it, which the comparison accepts, as it did
when a crash fell between the commit and the synchronous rewrite.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from db import witness as files
from db.connection import CheckLine

#: ``COUNSELOR_TUI_WITNESS=sync`` in the environment makes each save wait for its witness
#: rewrite (as before the writer thread): to measure the thread's effect
#: (``python -m benchmarks.load --sync-witness``).
SWITCH = "COUNSELOR_TUI_WITNESS"


@dataclass(frozen=True)
class WitnessReport:
    """The comparison of the database with its witness: ``ok``; ``started`` when there was
    no witness yet; ``message`` (translated) says what is wrong and what to do."""

    ok: bool
    started: bool = False
    message: str = ""
    detail: str = ""
    #: No witness file, although the vault has kept one (its audit log holds events signed
    #: by accounts, which only a program that keeps a witness writes): it was deleted.
    missing: bool = False


def tail(execute: Any) -> tuple[int, str, str] | None:
    """``(seq, hash, at)`` of the last audit event, read through ``execute(sql, params)``;
    None for an empty chain."""
    row = execute("SELECT seq, hash, at FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None


def compare(path: Path, key: bytes, vault_id: str, execute: Any) -> WitnessReport:
    """Compare the database read through ``execute`` with the witness of the vault at
    ``path`` (see the module docstring). Reads only, after the rewrites queued in this
    process are written (:func:`settle`)."""
    settle()
    try:
        seen = _settle(path, key, vault_id)
    except files.WitnessError as exc:
        return WitnessReport(False, message=_(
            "The witness file {path} is damaged or was edited, so lost changes cannot be "
            "ruled out: run 'counselor-tui check', and restore from a backup if anything is "
            "missing.").format(path=files.witness_path(path)), detail=str(exc))
    if seen is None:
        first = execute("SELECT min(seq) FROM audit_event WHERE sig IS NOT NULL").fetchone()
        if first is None or first[0] is None:
            return WitnessReport(True, started=True, detail="no witness yet")
        return WitnessReport(False, started=True, missing=True, message=_(
            "The witness file {path} is missing, although this vault has kept one (since "
            "event {first}): it was deleted, so changes lost since then cannot be ruled out. "
            "Compare the vault with a backup or a package ('counselor-tui check --anchor "
            "FILE') and restore if anything is missing.").format(
                path=files.witness_path(path), first=int(first[0])),
            detail="witness missing")
    last = tail(execute)
    if last is None or last[0] < seen.seq:
        after = last[2] if last else "—"
        return WitnessReport(False, message=_(
            "The vault lost changes made after {after} (its audit log ends at event {have}, "
            "the witness saw event {seen} at {seen_at}); restore from a backup.").format(
                after=after, have=last[0] if last else 0, seen=seen.seq, seen_at=seen.at),
            detail=f"lost events {last[0] + 1 if last else 1}-{seen.seq}")
    row = execute("SELECT hash FROM audit_event WHERE seq = ?", (seen.seq,)).fetchone()
    if row is None or str(row[0]) != seen.head:
        return WitnessReport(False, message=_(
            "The audit log no longer matches its witness at event {seq} ({at}): history "
            "was rewritten or lost; restore from a backup.").format(seq=seen.seq, at=seen.at),
            detail=f"head differs at event {seen.seq}")
    return WitnessReport(True, detail=f"event {seen.seq}")


def _settle(path: Path, key: bytes, vault_id: str) -> files.Witness | None:
    """The witness, after settling an interrupted key rotation: a pending witness that
    verifies under ``key`` replaces a current one that does not (or is missing); a stale
    pending one is removed once the current one verifies."""
    pending_path = files.next_witness_path(path)
    try:
        current = files.read(path, key, vault_id)
    except files.WitnessError:
        current = None
        failed = True
    else:
        failed = False
    if not pending_path.exists():
        if failed:
            files.read(path, key, vault_id)  # raise its error again
        return current
    try:
        pending = files.read(path, key, vault_id, pending=True)
    except files.WitnessError:
        pending = None
    if pending is not None and (failed or current is None):
        os.replace(pending_path, files.witness_path(path))
        return pending
    if current is not None or not failed:
        with contextlib.suppress(OSError):
            pending_path.unlink()
    if failed:
        files.read(path, key, vault_id)
    return current


def check_line(report: WitnessReport) -> CheckLine:
    """The ``witness`` line of ``check``."""
    if report.ok:
        return CheckLine("witness", True, report.detail)
    return CheckLine("witness", False, report.message)


def write_tail(path: Path, key: bytes, vault_id: str, execute: Any) -> None:
    """Write the witness from the chain's current tail (no-op for an empty chain)."""
    last = tail(execute)
    if last is None:
        return
    files.write(path, key, files.Witness(vault_id, last[0], last[1], last[2]))


def signer_of(vs: VaultSession) -> tuple[str, Ed25519PrivateKey] | None:
    """The account that signs the witness it writes (issue 11), when it has a key."""
    return (vs.actor.username, vs.account_key) if vs.account_key is not None else None


def stamp(vs: VaultSession, last: tuple[int, str, str]) -> files.Witness:
    """The witness of ``last`` (``(seq, head, at)``, :func:`tail`) as ``vs`` writes it:
    with the role grants' root the session verified at unlock."""
    return files.Witness(vs.keys.vault_id, *last, root=vs.trust_root)


def write_pending(vs: VaultSession, new_key: bytes) -> None:
    """Before a key rotation re-encrypts the database: the witness of the current tail
    under ``new_key``, as ``<vault>.witness.next`` (after :func:`settle`: no rewrite under
    the old key may land after it)."""
    settle()
    with vs.reading():
        last = tail(vs.execute)
    if last is not None:
        files.write(vs.path, new_key, stamp(vs, last), pending=True, signer=signer_of(vs))


def promote_pending(vs: VaultSession) -> None:
    """After a key rotation: the pending witness becomes the witness."""
    settle()
    pending = files.next_witness_path(vs.path)
    if pending.exists():
        os.replace(pending, files.witness_path(vs.path))


def record_commit(vs: VaultSession) -> None:
    """After a commit of ``vs`` that appended audit events: read the chain's tail (on the
    saving thread, right after its commit) and queue the witness rewrite for the writer
    thread (see the module docstring). A disk error leaves the previous witness (older,
    still consistent) in place."""
    with contextlib.suppress(Exception), vs.reading():
        last = tail(vs.execute)
    if last is None:
        return
    _WRITER.submit(vs.path, vs.db.key, stamp(vs, last), signer_of(vs))
    if os.environ.get(SWITCH, "").lower() == "sync":
        settle()


def settle(timeout: float = 30.0) -> bool:
    """Wait (at most ``timeout`` seconds) until every witness rewrite queued in this process
    is on disk; True when none is left."""
    return _WRITER.settle(timeout)


@dataclass
class _Pending:
    key: bytes
    seen: files.Witness
    signer: tuple[str, Ed25519PrivateKey] | None


class _Writer:
    """The process's witness writer: one daemon thread, started at the first rewrite (and
    again in a forked child), holding at most one pending rewrite per vault — the newest."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[Path, _Pending] = {}
        self._busy = False
        self._thread: threading.Thread | None = None
        #: The last sequence number written per vault (never backwards in a process).
        self._written: dict[Path, int] = {}

    def reset_after_fork(self) -> None:
        self._cond = threading.Condition()
        self._pending, self._busy, self._thread = {}, False, None

    def submit(self, path: Path, key: bytes, seen: files.Witness,
               signer: tuple[str, Ed25519PrivateKey] | None) -> None:
        with self._cond:
            queued = self._pending.get(path)
            if queued is not None and queued.seen.seq > seen.seq:
                return  # a later event of this vault is already queued
            if self._written.get(path, 0) > seen.seq:
                return  # another thread already wrote a later event
            self._pending[path] = _Pending(bytes(key), seen, signer)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="witness-writer",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def settle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy,
                                       timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                path, job = next(iter(self._pending.items()))
                del self._pending[path]
                self._busy = True
            try:
                with contextlib.suppress(OSError):
                    if self._written.get(path, 0) <= job.seen.seq:
                        files.write(path, job.key, job.seen, signer=job.signer)
                        self._written[path] = job.seen.seq
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


_WRITER = _Writer()
os.register_at_fork(after_in_child=_WRITER.reset_after_fork)
atexit.register(settle)  # a process that ends without closing its session still writes it

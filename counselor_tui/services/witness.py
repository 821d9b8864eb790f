"""Lost-commit detection with the witness file (DESIGN §5 "Witness", issue 12, security
tests 23 and 24); the file format is :mod:`db.witness`.

* :func:`compare` runs at unlock (before anything is written) and in ``check``: the chain in
  the database must reach the witness's sequence number, and its event there must have the
  witness's head. Otherwise changes were lost (the ``-wal`` deleted, truncated or damaged)
  or history was rewritten; the session is then read-only and the message says to restore.
* :func:`record_commit` rewrites the witness after every commit that appended audit events
  (hooked into :meth:`VaultSession.transaction`), never on a failed unlock. A witness never
  moves backwards within a process.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from db import witness as files
from db.connection import CheckLine

_write_lock = threading.Lock()
#: The last sequence number written per open database (threads of one session may commit
#: in one order and reach the witness in the other).
_last_written: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


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
    ``path`` (see the module docstring). Reads only."""
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
    under ``new_key``, as ``<vault>.witness.next``."""
    with vs.reading():
        last = tail(vs.execute)
    if last is not None:
        files.write(vs.path, new_key, stamp(vs, last), pending=True, signer=signer_of(vs))


def promote_pending(vs: VaultSession) -> None:
    """After a key rotation: the pending witness becomes the witness."""
    pending = files.next_witness_path(vs.path)
    if pending.exists():
        os.replace(pending, files.witness_path(vs.path))


def record_commit(vs: VaultSession) -> None:
    """Rewrite the witness of ``vs`` after a commit that appended audit events. A disk
    error leaves the previous witness (older, still consistent) in place."""
    with _write_lock, contextlib.suppress(OSError):
        with vs.reading():
            last = tail(vs.execute)
        if last is None:
            return
        if _last_written.get(vs.db, 0) > last[0]:
            return  # another thread already wrote a later event
        files.write(vs.path, vs.db.key, stamp(vs, last), signer=signer_of(vs))
        _last_written[vs.db] = last[0]

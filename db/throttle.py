"""Failed-unlock counter with a growing delay (DESIGN §5, security tests 16 and 29).

The counter lives in a small JSON file per vault (named by the vault id) in the user's state
folder, *not* beside the vault: a wrong passphrase must leave every vault file byte-identical
(security test 1), so nothing in the vault folder may change on a failed attempt. A second
copy sits in a mirror folder; the two are merged on every read, so deleting the state folder
neither lifts the delay nor erases the failures, which the next successful unlock writes to
the audit log (issue 12). The files hold times and tried user names only, never a
passphrase.

Delay after ``n`` consecutive failures *of one user name*: ``min(2 ** (n - 1), 300)``
seconds before that name's next attempt is checked (1, 2, 4, 8 … capped at five minutes);
one account's wrong guesses never delay another account.

On the bureau server a third record is kept where the service account running the TUI cannot
delete, truncate or rewrite it: an *append-only journal* (``COUNSELOR_TUI_ATTEMPTS_JOURNAL``;
``deploy/setup-bureau-server.sh`` makes it root-owned in a root-owned folder and sets the
file's append-only attribute, ``chattr +a``, which only root can lift). Each failure is one
JSON line; a successful unlock appends a ``clear`` line naming the failures it forgot and
those it wrote to the audit log. Replaying the journal gives the same ledger as the two
files, so removing them lifts no delay and erases no failure.

Every change is a read-merge-write under an exclusive ``flock`` on ``<vault id>.lock`` in the
state folder, so two processes (two SSH sessions of one account on the bureau server) never
lose each other's failures.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from db.vault import write_atomic

MAX_DELAY_SECONDS = 300.0
#: How much of the end of the journal is read (its older part only holds cleared failures).
JOURNAL_READ_BYTES = 4 * 1024 * 1024


def delay_for(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive failed attempts (0 when none)."""
    if failures <= 0:
        return 0.0
    return min(2.0 ** (failures - 1), MAX_DELAY_SECONDS)


@dataclass(frozen=True)
class Attempts:
    """Failed attempts since the last successful unlock: count, ISO times and the user
    names that were tried (user names are not secret: the key-slot file lists them)."""

    count: int
    times: tuple[str, ...]
    users: tuple[str, ...] = ()


class AttemptLedger:
    """The failed-attempt record of one vault, kept in ``state_dir`` and mirrored in
    ``mirror_dir`` (when given), so that deleting one folder neither lifts the delay nor
    erases the trace: the two copies are merged on every read. ``journal``, when given, is
    the append-only file of the server deployment (see the module docstring), replayed on
    every read; a failure is appended to it *before* the files are rewritten.

    ``vault_id`` is the UUID from the key-slot file. Times are aware datetimes supplied by
    the caller (a controllable clock), stored as ISO-8601 text. The delay is counted per
    user name (issue 12): one account's wrong guesses never delay another account.
    Entries already written to the audit log are kept (marked) until their own user
    unlocks, so their delay still runs.
    """

    def __init__(self, state_dir: Path, vault_id: str, mirror_dir: Path | None = None,
                 journal: Path | None = None) -> None:
        safe = re.sub(r"[^A-Za-z0-9-]", "", vault_id) or "vault"
        self.vault = safe
        self.journal = Path(journal) if journal is not None else None
        self.path = Path(state_dir) / "attempts" / f"{safe}.json"
        self.mirror = Path(mirror_dir) / f"{safe}.json" if mirror_dir is not None else None
        self.lock_path = self.path.with_suffix(".lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the ledger's exclusive ``flock`` (blocking) for one read-merge-write: the
        lock file stays (it holds nothing); closing the descriptor releases the lock."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                     0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _entries(self) -> list[dict[str, Any]]:
        merged: dict[str, dict[str, Any]] = {}
        for path in (self.path, self.mirror):
            if path is None:
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found = [e for e in data.get("failures", []) if isinstance(e, dict)]
            except (OSError, ValueError, AttributeError):
                continue
            for e in found:
                key = str(e.get("id") or f"{e.get('at')}|{e.get('user')}")
                entry = {"id": key, "at": str(e.get("at", "")), "user": str(e.get("user", "?")),
                         "audited": bool(e.get("audited", False))}
                if key in merged:
                    entry["audited"] = entry["audited"] or merged[key]["audited"]
                merged[key] = entry
        cleared: set[str] = set()
        audited: set[str] = set()
        for line in self._journal_lines():
            if line.get("op") == "fail" and isinstance(line.get("id"), str):
                merged.setdefault(line["id"], {
                    "id": line["id"], "at": str(line.get("at", "")),
                    "user": str(line.get("user", "?")), "audited": False})
            elif line.get("op") == "clear":
                cleared.update(str(i) for i in line.get("ids", ()) if isinstance(i, str))
                audited.update(str(i) for i in line.get("audited", ()) if isinstance(i, str))
        for key in audited:
            if key in merged:
                merged[key]["audited"] = True
        kept = [e for key, e in merged.items() if key not in cleared]
        return sorted(kept, key=lambda e: (e["at"], e["id"]))

    def _journal_lines(self) -> list[dict[str, Any]]:
        """This vault's lines of the journal (its last :data:`JOURNAL_READ_BYTES`); none
        when there is no journal or it cannot be read."""
        if self.journal is None:
            return []
        try:
            with self.journal.open("rb") as file:
                size = file.seek(0, os.SEEK_END)
                file.seek(max(0, size - JOURNAL_READ_BYTES))
                data = file.read(JOURNAL_READ_BYTES)
        except OSError:
            return []
        lines = data.split(b"\n")
        if len(data) == JOURNAL_READ_BYTES and size > JOURNAL_READ_BYTES:
            lines = lines[1:]  # the first one may be cut
        found = []
        for raw in lines:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if isinstance(line, dict) and line.get("vault") == self.vault:
                found.append(line)
        return found

    def _append(self, line: dict[str, Any]) -> None:
        """Append one line to the journal (one ``write`` on an ``O_APPEND`` descriptor, so
        lines of several processes never mix). Raises :class:`OSError` when it cannot be
        written: a record that cannot be kept must not pass silently."""
        if self.journal is None:
            return
        data = (json.dumps({"vault": self.vault, **line}, ensure_ascii=False) + "\n").encode()
        fd = os.open(self.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                     | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _write(self, entries: list[dict[str, Any]]) -> None:
        data = json.dumps({"failures": entries[-1000:]}, ensure_ascii=False).encode("utf-8")
        for path in (self.path, self.mirror):
            if path is None:
                continue
            if not entries:
                path.unlink(missing_ok=True)
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                write_atomic(path, data)
            except OSError:
                if path == self.path:
                    raise

    def read(self, user: str | None = None) -> Attempts:
        """The failures recorded so far (of ``user`` only, when given; empty when both
        files are absent or unreadable)."""
        entries = [e for e in self._entries() if user is None or e["user"] == user]
        return Attempts(len(entries), tuple(e["at"] for e in entries),
                        tuple(e["user"] for e in entries))

    def wait_seconds(self, now: datetime, user: str | None = None) -> float:
        """How long ``user`` must still wait before the next attempt may be checked (with
        no user: the longest wait of any user name)."""
        entries = self._entries()
        names = {e["user"] for e in entries} if user is None else {user}
        longest = 0.0
        for name in names:
            mine = [e for e in entries if e["user"] == name]
            if not mine:
                continue
            try:
                last = datetime.fromisoformat(mine[-1]["at"])
            except ValueError:
                continue
            elapsed = max(0.0, (now - last).total_seconds())  # a clock moved back waits no more
            longest = max(longest, min(MAX_DELAY_SECONDS,
                                       max(0.0, delay_for(len(mine)) - elapsed)))
        return longest

    def record_failure(self, now: datetime, user: str = "?") -> Attempts:
        """Add one failure at ``now`` for the user name ``user``; returns that user's totals."""
        with self._locked():
            entries = self._entries()
            entry = {"id": secrets.token_hex(8), "at": now.isoformat(timespec="seconds"),
                     "user": user[:64], "audited": False}
            self._append({"op": "fail", "id": entry["id"], "at": entry["at"],
                          "user": entry["user"]})
            entries.append(entry)
            self._write(entries)
            return self.read(user)

    def clear(self, user: str | None = None) -> Attempts:
        """After a successful unlock of ``user``: returns every failure not yet written to
        the audit log (any user name, for the caller to record), forgets ``user``'s own and
        marks the others as recorded (their delay keeps running). With no user: forget all."""
        with self._locked():
            entries = self._entries()
            fresh = [e for e in entries if not e["audited"]]
            kept = [] if user is None else [
                {**e, "audited": True} for e in entries if e["user"] != user]
            if entries:
                kept_ids = {e["id"] for e in kept}
                self._append({"op": "clear", "user": user or "",
                              "ids": [e["id"] for e in entries if e["id"] not in kept_ids],
                              "audited": sorted(kept_ids)})
                self._write(kept)
        return Attempts(len(fresh), tuple(e["at"] for e in fresh),
                        tuple(e["user"] for e in fresh))

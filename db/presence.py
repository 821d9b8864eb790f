"""Who has the vault open: one small record per unlocked session (issue 14 "who is on").

``PATH.sessions/`` (0700) holds one JSON file (0600) per unlocked session: the account's
user name and since when (ISO-8601), nothing else. The session holds an exclusive ``flock``
on its own record for as long as it is open, so a record whose lock can be taken belongs to
a session that ended without tidying up (a killed process) and is removed when read.
Written only after a successful unlock: a wrong passphrase changes no file. POSIX only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Holder:
    """An open session: the account's user name and since when (storage form)."""

    user: str
    since: str


def folder_of(vault: Path) -> Path:
    """The folder of the session records of ``vault``."""
    return Path(f"{vault}.sessions")


class Presence:
    """This session's record (see the module docstring)."""

    def __init__(self, vault: Path) -> None:
        self.folder = folder_of(vault)
        self.path: Path | None = None
        self._fd: int | None = None

    def announce(self, user: str, since: str) -> None:
        """Write and lock this session's record (idempotent; errors of the disk are
        ignored: the record only serves to name sessions)."""
        if self._fd is not None:
            return
        with contextlib.suppress(OSError):
            self.folder.mkdir(mode=0o700, exist_ok=True)
            path = self.folder / f"{os.getpid()}-{secrets.token_hex(4)}.json"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, json.dumps({"user": user[:64], "since": since}).encode("utf-8"))
            self._fd, self.path = fd, path

    def withdraw(self) -> None:
        """Remove the record (idempotent)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd, self.path = None, None


def holders(vault: Path, exclude: Path | None = None) -> list[Holder]:
    """The sessions that have ``vault`` open now, oldest first (``exclude``: the caller's
    own record). Records of ended sessions are removed on the way."""
    found: list[Holder] = []
    folder = folder_of(vault)
    if not folder.is_dir():
        return found
    for record in sorted(folder.glob("*.json")):
        if exclude is not None and record == exclude:
            continue
        try:
            fd = os.open(record, os.O_RDONLY)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # held: the session is open
                data = json.loads(os.read(fd, 4096) or b"{}")
                found.append(Holder(str(data.get("user", "?")), str(data.get("since", ""))))
            else:  # nobody holds it: the session ended without tidying up
                with contextlib.suppress(OSError):
                    record.unlink()
        except (OSError, ValueError):
            continue
        finally:
            os.close(fd)
    return sorted(found, key=lambda h: h.since)

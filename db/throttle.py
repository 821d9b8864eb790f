"""Failed-unlock counter with a growing delay (DESIGN §5, security test 16).

The counter lives in a small JSON file per vault (named by the vault id) in the user's state
folder, *not* beside the vault: a wrong passphrase must leave every vault file byte-identical
(security test 1), so nothing in the vault folder may change on a failed attempt. The file
holds counts and times only, never a passphrase or a username.

Delay after ``n`` consecutive failures: ``min(2 ** (n - 1), 300)`` seconds before the next
attempt is checked (1, 2, 4, 8 … capped at five minutes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from db.vault import write_atomic

MAX_DELAY_SECONDS = 300.0


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
    """The failed-attempt record of one vault, kept in ``state_dir``.

    ``vault_id`` is the UUID from the key-slot file. Times are aware datetimes supplied by
    the caller (a controllable clock), stored as ISO-8601 text.
    """

    def __init__(self, state_dir: Path, vault_id: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9-]", "", vault_id) or "vault"
        self.path = Path(state_dir) / "attempts" / f"{safe}.json"

    def read(self) -> Attempts:
        """The failures recorded so far (empty when the file is absent or unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            entries = [e for e in data.get("failures", []) if isinstance(e, dict)]
            times = tuple(str(e.get("at", "")) for e in entries)
            users = tuple(str(e.get("user", "?")) for e in entries)
        except (OSError, ValueError, AttributeError):
            return Attempts(0, ())
        return Attempts(len(times), times, users)

    def wait_seconds(self, now: datetime) -> float:
        """How long the caller must still wait before the next attempt may be checked."""
        attempts = self.read()
        if not attempts.count:
            return 0.0
        try:
            last = datetime.fromisoformat(attempts.times[-1])
        except ValueError:
            return 0.0
        elapsed = max(0.0, (now - last).total_seconds())  # a clock moved back waits no more
        return min(MAX_DELAY_SECONDS, max(0.0, delay_for(attempts.count) - elapsed))

    def record_failure(self, now: datetime, user: str = "?") -> Attempts:
        """Add one failure at ``now`` for the user name ``user``; returns the new totals."""
        attempts = self.read()
        entries = [{"at": t, "user": u} for t, u in zip(attempts.times, attempts.users,
                                                           strict=True)]
        entries.append({"at": now.isoformat(timespec="seconds"), "user": user[:64]})
        entries = entries[-1000:]
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.path, json.dumps({"failures": entries}, ensure_ascii=False)
                     .encode("utf-8"))
        return Attempts(len(entries), tuple(e["at"] for e in entries),
                        tuple(e["user"] for e in entries))

    def clear(self) -> Attempts:
        """Forget the failures after a successful unlock; returns what was recorded."""
        attempts = self.read()
        if attempts.count:
            self.path.unlink(missing_ok=True)
        return attempts

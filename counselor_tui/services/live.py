"""Live screens: has another session changed the vault since we last looked? (issue 14 item 4)

Open screens (dashboard, archive, person record) poll :func:`poll` every few seconds. The
first test is SQLite's ``PRAGMA data_version`` on the session's anchor connection — a
counter in shared memory, no read of the database, no server process. Only when it moved is
the audit trail asked for the last *change* (every change is audited): views, logins, locks
and backups are writes too, but they change nothing on a screen, and reacting to them would
make two open records refresh each other for ever (each reload writes a ``view`` event).
"""

from __future__ import annotations

from dataclasses import dataclass

from counselor_tui.services.audit import READ_ACTIONS
from counselor_tui.services.context import VaultSession


@dataclass(frozen=True)
class LiveStamp:
    """What the last poll saw: the connection's ``data_version`` and the sequence number
    of the last audit event that changed something (0 for none)."""

    data_version: int | None
    last_change: int


def last_change(vs: VaultSession) -> int:
    """Sequence number of the newest audit event that is not a read (0 when none)."""
    marks = ",".join("?" * len(READ_ACTIONS))
    with vs.reading():
        row = vs.execute(f"SELECT seq FROM audit_event WHERE action NOT IN ({marks}) "
                         "ORDER BY seq DESC LIMIT 1", READ_ACTIONS).fetchone()
    return int(row[0]) if row else 0


def poll(vs: VaultSession, before: LiveStamp | None) -> tuple[bool, LiveStamp]:
    """``(changed, now)``: whether another session changed something since ``before``
    (False on the first poll, ``before`` None, and when the newest change is this
    session's own — its screens refreshed when it saved), and the stamp to pass next
    time."""
    version = vs.db.data_version()
    if before is not None and version is not None and version == before.data_version:
        return False, before
    now = LiveStamp(version, last_change(vs))
    changed = (before is not None and now.last_change != before.last_change
               and now.last_change != vs.own_last_change)
    return changed, now

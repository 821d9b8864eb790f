"""The writers' queue of a vault: an exclusive ``flock`` on ``<vault>.writer`` taken before
``BEGIN IMMEDIATE`` and given up at ``COMMIT`` / ``ROLLBACK`` (issue 14, DESIGN §12).

Why: SQLite's own wait for the write lock (``busy_timeout``) polls — a waiting connection
sleeps 1, 2, 5, 10, … up to 100 ms between tries — so under many writers one that came
first can sleep through several free moments while later ones take the lock: on a 2-core
server with 24 writers the slowest saves waited over a second (``make load``). A blocked
``flock`` instead sleeps in the kernel and is woken the moment the holder lets go, so the
write lock passes from one writer to the next without idle gaps, and no waiter is passed
over for long.

Each acquisition opens its own descriptor of the lock file (``flock`` locks belong to an
open file description), so two threads of one process queue like two processes do, and
closing the descriptor releases the lock, also when a process dies. The wait is bounded:
when the lock is not free at once, a helper thread blocks in ``flock`` while the caller
waits at most ``wait`` seconds; a helper whose caller gave up lets the lock go as soon as
it gets it. The lock file is empty and 0600; it carries no data. POSIX only.

``COUNSELOR_TUI_WRITE_QUEUE=off`` in the environment turns the queue off (writers then rely
on SQLite's wait alone): for a file system whose ``flock`` misbehaves, and for measuring
the queue's effect (``python -m benchmarks.load --no-queue``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

#: The environment variable that turns the queue off (value ``off``).
SWITCH = "COUNSELOR_TUI_WRITE_QUEUE"


class QueueTimeout(Exception):
    """The queue did not reach this writer within the wait (another writer held on)."""


def queue_path(vault: Path) -> Path:
    """``<vault>.writer``: the file whose ``flock`` orders the writers."""
    return Path(f"{vault}.writer")


class WriteQueue:
    """The writers' queue of the vault at ``vault`` (see the module docstring)."""

    def __init__(self, vault: Path) -> None:
        self.path = queue_path(Path(vault))

    def acquire(self, wait: float) -> int:
        """Wait (at most ``wait`` seconds) for this writer's turn; returns the descriptor
        that holds it (pass it to :meth:`release`), or -1 when the kernel refused the lock
        (the writer then relies on SQLite's own wait alone). Raises :class:`QueueTimeout`
        when the wait is over, ``OSError`` when the lock file cannot be opened."""
        if os.environ.get(SWITCH, "").lower() == "off":
            return -1
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except BaseException:
            os.close(fd)
            raise
        turn = threading.Event()
        guard = threading.Lock()
        state = {"gave_up": False, "failed": False}

        def block() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # sleeps in the kernel until it is our turn
            except OSError:
                state["failed"] = True
            with guard:
                if state["gave_up"]:
                    with contextlib.suppress(OSError):
                        os.close(fd)  # the caller left: pass the turn on at once
                    return
                turn.set()

        threading.Thread(target=block, name="vault-write-queue", daemon=True).start()
        turn.wait(wait)
        with guard:
            if not turn.is_set():
                state["gave_up"] = True
                raise QueueTimeout(str(self.path))
        if state["failed"]:
            os.close(fd)
            return -1
        return fd

    @staticmethod
    def release(fd: int) -> None:
        """Give the turn to the next writer (closing the descriptor drops the lock); -1 is
        no turn."""
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)

"""The writers' queue (issue 14, db/write_queue.py): a writer that finds another one
writing waits for its turn in the kernel instead of polling SQLite's lock, the wait is
bounded, and a writer that gave up does not keep the turn."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from counselor_tui.services.context import VaultSession
from db import connection
from db.connection import StorageError, VaultDatabase
from db.write_queue import SWITCH, QueueTimeout, WriteQueue, queue_path

#: Bound of the waits for a state below (wall seconds; a loaded machine is slow).
STATE_TIMEOUT = 60.0


def _blocked_in_queue(vault: Path) -> bool:
    """True when a process waits for the queue's ``flock`` (``/proc/locks`` lists a
    blocked request, ``->``, on the queue file's inode)."""
    try:
        inode = os.stat(queue_path(vault)).st_ino
    except FileNotFoundError:
        return False
    with open("/proc/locks", encoding="ascii") as locks:
        return any("->" in line and f":{inode} " in line for line in locks)


def _wait_for(state: object) -> None:
    deadline = time.monotonic() + STATE_TIMEOUT
    while not state():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached")
        time.sleep(0.005)


def test_a_waiting_writer_queues_instead_of_polling(session: VaultSession,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A second writer (its SQLite busy wait 0, so any try at the lock shows) waits while
    the first holds a write transaction: it starts its ``BEGIN IMMEDIATE`` once, after the
    first commits — without the queue it would try again and again (SQLite's polling)."""
    monkeypatch.delenv(SWITCH, raising=False)
    first, second = VaultDatabase(session.path, session.db.key), \
        VaultDatabase(session.path, session.db.key)
    holding, done = threading.Event(), threading.Event()
    tries: list[str] = []
    failed: list[BaseException] = []

    def hold() -> None:
        with first.session(), first.atomic():
            holding.set()
            done.wait(STATE_TIMEOUT)

    def write() -> None:
        try:
            with second.session():
                raw = second.raw()
                raw.execute("PRAGMA busy_timeout = 0")
                raw.set_trace_callback(tries.append)
                with second.atomic():
                    raw.execute("SELECT count(*) FROM audit_event").fetchone()
        except BaseException as exc:
            failed.append(exc)

    holder, writer = threading.Thread(target=hold), threading.Thread(target=write)
    try:
        holder.start()
        assert holding.wait(STATE_TIMEOUT)
        writer.start()
        # waiting: in the queue (with it), or retrying BEGIN (without it)
        _wait_for(lambda: _blocked_in_queue(session.path)
                  or tries.count("BEGIN IMMEDIATE") >= 2)
    finally:
        done.set()
        holder.join(STATE_TIMEOUT)
        writer.join(STATE_TIMEOUT)
        first.close_all()
        second.close_all()
    assert not failed
    assert tries.count("BEGIN IMMEDIATE") == 1  # one start, when its turn came
    assert "COMMIT" in tries


def test_the_wait_is_bounded_and_a_writer_that_gave_up_passes_the_turn_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SWITCH, raising=False)
    queue = WriteQueue(tmp_path / "vault.db")
    held = queue.acquire(1.0)
    assert held >= 0
    with pytest.raises(QueueTimeout):
        queue.acquire(0.05)  # the holder does not let go within the wait
    WriteQueue.release(held)
    again = queue.acquire(STATE_TIMEOUT)  # the one that gave up does not keep the turn
    assert again >= 0
    WriteQueue.release(again)
    assert queue_path(tmp_path / "vault.db").stat().st_size == 0
    assert queue_path(tmp_path / "vault.db").stat().st_mode & 0o777 == 0o600


def test_a_write_that_never_gets_its_turn_ends_as_busy_not_as_a_hang(
        session: VaultSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SWITCH, raising=False)
    monkeypatch.setattr(connection, "WRITE_WAIT_SECONDS", 0.1)
    other = WriteQueue(session.path)
    held = other.acquire(1.0)  # another writer holds on
    db = VaultDatabase(session.path, session.db.key)
    try:
        with db.session(), pytest.raises(StorageError, match="locked"), db.atomic():
            pass
        WriteQueue.release(held)
        held = -1
        with db.session(), db.atomic():  # once it let go, the write goes through
            db.raw().execute("SELECT 1").fetchone()
    finally:
        WriteQueue.release(held)
        db.close_all()

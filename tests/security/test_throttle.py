"""Issue 12 (fail safe), throttle: security test 29. The delay is per vault *and user*, and
the failed attempts survive the loss of the state folder: the next successful unlock writes
their count and times to the audit log."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from counselor_tui.services import accounts, audit, lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import ServiceError, Throttled, WrongPassphrase
from db.throttle import AttemptLedger
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE, TZ

WRONG = "definitely not the passphrase"


def _fail(path: Path, user: str, clock: FixedClock, state_dir: Path, times: int) -> None:
    for _ in range(times):
        with pytest.raises(WrongPassphrase):
            lifecycle.unlock(path, user, WRONG, clock=clock, state_dir=state_dir)
        clock.advance(seconds=60)  # past each delay, so every guess is checked


def _failed_events(vs: VaultSession) -> list[tuple[str, str]]:
    with vs.reading():
        return [(e.user, e.at) for e in audit.iter_events(vs) if e.action == "login_failed"]


def test_29_one_accounts_wrong_guesses_never_delay_another(
    session: VaultSession, clock: FixedClock, state_dir: Path
) -> None:
    accounts.add_user(session, "li", "counselor", OTHER_PASSPHRASE, kdf_seconds=0)
    path = session.path
    lifecycle.lock(session, "quit")
    _fail(path, "li", clock, state_dir, 4)
    clock.advance(seconds=-59)  # li's last guess was a second ago: li must wait
    with pytest.raises(Throttled):
        lifecycle.unlock(path, "li", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    admin = lifecycle.unlock(path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert admin.failed_attempts == 0  # li's failures are not the admin's
        assert [u for u, _at in _failed_events(admin)] == ["li"] * 4  # but they are audited
    finally:
        lifecycle.lock(admin, "quit")
    with pytest.raises(Throttled):  # the admin's unlock did not lift li's delay
        lifecycle.unlock(path, "li", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    clock.advance(minutes=10)
    li = lifecycle.unlock(path, "li", OTHER_PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert li.failed_attempts == 4
        assert len(_failed_events(li)) == 4  # recorded once, not again
    finally:
        lifecycle.lock(li, "quit")


def test_29_deleted_state_folder_keeps_the_delay_and_leaves_a_trace(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path
) -> None:
    _fail(created.path, "admin", clock, state_dir, 3)
    times = [clock.current]
    shutil.rmtree(state_dir)  # the counter the user can reach is gone
    clock.advance(seconds=-59)
    with pytest.raises(Throttled):
        lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    clock.advance(minutes=10)
    vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock, state_dir=state_dir)
    try:
        assert vs.failed_attempts == 3
        events = _failed_events(vs)
        assert [u for u, _at in events] == ["admin"] * 3
        assert len({at for _u, at in events}) == 3 and times
    finally:
        lifecycle.lock(vs, "quit")


def test_two_sessions_failing_at_once_lose_no_failure(tmp_path: Path) -> None:
    """Two SSH sessions of one account share the state folder: their failures are counted
    under a file lock (each thread its own ledger object and descriptor, as two processes
    would have), so none is lost to the other's read-merge-write."""
    sessions, each = 4, 25
    start = threading.Barrier(sessions)
    base = datetime(2026, 11, 29, 9, 0, tzinfo=TZ)

    def fail_often(k: int) -> None:
        ledger = AttemptLedger(tmp_path / "state", "vault-1", tmp_path / "mirror")
        start.wait()
        for i in range(each):
            ledger.record_failure(base + timedelta(seconds=i), f"user{k}")

    threads = [threading.Thread(target=fail_often, args=(k,)) for k in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for state, mirror in ((tmp_path / "state", tmp_path / "mirror"),
                          (tmp_path / "state", None), (tmp_path / "nowhere", tmp_path / "mirror")):
        ledger = AttemptLedger(state, "vault-1", mirror)  # each copy holds every failure
        assert ledger.read().count == sessions * each
        assert ledger.read("user0").count == each


def _append_only(path: Path) -> str | None:
    """Make ``path`` append-only (``chattr +a``); the reason when this machine cannot."""
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        return "setting the append-only attribute needs root and chattr (e2fsprogs)"
    done = subprocess.run(["chattr", "+a", str(path)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        return f"this filesystem does not support the append-only attribute: {done.stderr}"
    return None


def test_29_server_journal_keeps_failures_the_app_user_cannot_erase(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The server deployment's append-only journal (Build 7): failures cannot be truncated,
    rewritten or deleted — not even by root without lifting the attribute — and with both
    ledger files gone the delay still runs and the next unlock audits every failure."""
    journal = tmp_path / "attempts" / "attempts.log"
    journal.parent.mkdir()
    journal.touch(mode=0o600)
    why = _append_only(journal)
    if why is not None:
        pytest.skip(why)
    try:
        monkeypatch.setenv("COUNSELOR_TUI_ATTEMPTS_JOURNAL", str(journal))
        _fail(created.path, "admin", clock, state_dir, 3)
        assert journal.read_text(encoding="utf-8").count('"op": "fail"') == 3
        for erase in (lambda: journal.write_text("", encoding="utf-8"),
                      lambda: os.truncate(journal, 0), journal.unlink,
                      lambda: journal.rename(journal.with_name("moved"))):
            with pytest.raises(PermissionError):
                erase()
        shutil.rmtree(state_dir)  # both files the app's user can reach are gone
        shutil.rmtree(tmp_path / "attempts-mirror")
        clock.advance(seconds=-59)
        with pytest.raises(Throttled):
            lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock,
                             state_dir=state_dir)
        clock.advance(minutes=10)
        vs = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock,
                              state_dir=state_dir)
        try:
            assert vs.failed_attempts == 3
            assert [u for u, _at in _failed_events(vs)] == ["admin"] * 3
        finally:
            lifecycle.lock(vs, "quit")
        again = lifecycle.unlock(created.path, "admin", PASSPHRASE, clock=clock,
                                 state_dir=state_dir)
        try:  # the clear line of that unlock is replayed too: nothing counted twice
            assert again.failed_attempts == 0
            assert len(_failed_events(again)) == 3
        finally:
            lifecycle.lock(again, "quit")
        assert journal.read_text(encoding="utf-8").count('"op": "fail"') == 3
    finally:
        subprocess.run(["chattr", "-a", str(journal)], check=False)


def test_an_unwritable_journal_refuses_the_attempt_and_names_the_file(
    created: lifecycle.CreatedVault, clock: FixedClock, state_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal = tmp_path / "no-such-folder" / "attempts.log"  # a deployment gone wrong
    monkeypatch.setenv("COUNSELOR_TUI_ATTEMPTS_JOURNAL", str(journal))
    with pytest.raises(ServiceError) as refused:
        lifecycle.unlock(created.path, "admin", WRONG, clock=clock, state_dir=state_dir)
    assert not isinstance(refused.value, WrongPassphrase)
    assert str(journal) in str(refused.value) and "cannot be written" in str(refused.value)

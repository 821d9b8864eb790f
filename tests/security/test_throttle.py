"""Issue 12 (fail safe), throttle: security test 29. The delay is per vault *and user*, and
the failed attempts survive the loss of the state folder: the next successful unlock writes
their count and times to the audit log."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from counselor_tui.services import accounts, audit, lifecycle
from counselor_tui.services.context import FixedClock, VaultSession
from counselor_tui.services.errors import Throttled, WrongPassphrase
from tests.conftest import OTHER_PASSPHRASE, PASSPHRASE

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

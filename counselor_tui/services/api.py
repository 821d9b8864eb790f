"""The interface the UI is given (DESIGN §3, after harlequin's adapter pattern).

:class:`Backend` owns the vault path, the clock and the state folder, creates and unlocks
the vault, and holds the current :class:`VaultSession` until it is locked. Screens call the
area service modules (``counselor_tui.services.sessions`` …) with ``backend.vs`` from worker
threads and receive plain dataclasses; they never see peewee, SQL or key material.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from counselor_tui import paths
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle
from counselor_tui.services.context import Clock, SystemClock, VaultSession
from counselor_tui.services.errors import VaultLocked
from db import vault as slots


@dataclass
class Backend:
    """The vault as the UI sees it.

    ``vault_path`` is the database file; ``clock`` the bureau clock (a controllable one in
    tests); ``state_dir`` holds per-machine state such as the failed-attempt counter;
    ``kdf_seconds`` the target time of one key derivation for new slots.
    """

    vault_path: Path
    clock: Clock = field(default_factory=SystemClock)
    state_dir: Path = field(default_factory=paths.state_dir)
    kdf_seconds: float = field(default_factory=paths.kdf_target_seconds)
    session: VaultSession | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def exists(self) -> bool:
        """True when a vault (database or key-slot file) is at :attr:`vault_path`."""
        return lifecycle.vault_exists(self.vault_path)

    def usernames(self) -> list[str]:
        """User names that have a slot (the key-slot file lists them in clear anyway)."""
        try:
            return sorted(slots.load(slots.keys_path(self.vault_path)).usernames())
        except slots.KeyFileError:
            return []

    def wait_seconds(self, username: str | None = None) -> float:
        """Seconds of failed-attempt delay ``username`` still has to wait before the next
        unlock attempt (0 without a user name: the delay is per user)."""
        return lifecycle.wait_seconds(self.vault_path, clock=self.clock, state_dir=self.state_dir,
                                  username=username)

    def create(self, *, bureau: str, admin_username: str, passphrase: str,
               admin_display_name: str | None = None) -> lifecycle.CreatedVault:
        """Create the vault (see :func:`counselor_tui.services.lifecycle.create_vault`)."""
        return lifecycle.create_vault(self.vault_path, bureau=bureau, admin_username=admin_username,
                                  passphrase=passphrase, clock=self.clock,
                                  admin_display_name=admin_display_name,
                                  kdf_seconds=self.kdf_seconds)

    def unlock(self, username: str, passphrase: str) -> VaultSession:
        """Unlock as ``username`` (``login`` first time, ``unlock`` after a lock); raises the
        errors of :func:`counselor_tui.services.lifecycle.unlock`."""
        action = "unlock" if self.session is not None else "login"
        vs = lifecycle.unlock(self.vault_path, username, passphrase, clock=self.clock,
                          state_dir=self.state_dir, action=action)
        with self._lock:
            self.session = vs
        return vs

    def adopt(self, vs: VaultSession) -> None:
        """Use an already unlocked session (scripted ``--passphrase-file`` start, demo)."""
        with self._lock:
            self.session = vs

    @property
    def vs(self) -> VaultSession:
        """The unlocked session; raises :class:`VaultLocked` when locked."""
        vs = self.session
        if vs is None or vs.locked:
            raise VaultLocked(_("The vault is locked."))
        return vs

    @property
    def unlocked(self) -> bool:
        """True while a session holds the data key."""
        return self.session is not None and not self.session.locked

    def lock(self, reason: str = "manual") -> None:
        """Audit ``lock`` and drop the data key (idempotent)."""
        with self._lock:
            vs = self.session
        if vs is not None:
            lifecycle.lock(vs, reason)

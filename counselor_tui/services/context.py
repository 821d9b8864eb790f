"""The unlocked vault as the service layer sees it: database, key set, actor, clock.

A :class:`VaultSession` is created by :func:`counselor_tui.services.lifecycle.unlock` and passed
to every service function (the UI holds it through :class:`counselor_tui.services.api.Backend`
and never touches the database itself). Service functions run their work inside
:meth:`VaultSession.transaction` (writes) or :meth:`VaultSession.reading` (reads); both use
this thread's keyed connection, so they are safe to call from Textual worker threads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.domain.permissions import Action, allowed
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import failsafe
from counselor_tui.services.errors import (
    PermissionDenied,
    ServiceError,
    VaultDamaged,
    VaultLocked,
)
from db.connection import (
    DamagedError,
    StorageError,
    VaultDatabase,
    VaultError,
    checkpoint,
    is_corruption,
    is_storage_error,
)
from db.models import database_proxy
from db.presence import Presence
from db.vault import KeySet

DEFAULT_TZ = "Asia/Shanghai"


class Clock(Protocol):
    """Source of the current time (aware, bureau time zone). Tests pass a controlled one."""

    def now(self) -> datetime: ...


@dataclass
class SystemClock:
    """The wall clock in the bureau time zone (``Asia/Shanghai`` unless set)."""

    tz: tzinfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TZ))

    def now(self) -> datetime:
        return datetime.now(self.tz).replace(microsecond=0)


@dataclass
class FixedClock:
    """A controllable clock for tests and scripted runs: ``now()`` returns ``current``."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a ``timedelta(**delta)``."""
        from datetime import timedelta

        self.current = self.current + timedelta(**delta)


def iso(moment: datetime) -> str:
    """Storage form of an aware datetime: ISO-8601, seconds, explicit offset (DESIGN §4)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Actor:
    """The account acting in this session."""

    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int | None


@dataclass
class VaultSession:
    """An unlocked vault: ``path`` of the database file, the open :class:`VaultDatabase`,
    the current :class:`KeySet`, the acting :class:`Actor` and a :class:`Clock`.

    ``failed_attempts`` is the number of failed unlocks since the previous login (shown to
    the user after this one). ``secret`` is the raw X25519 private key of the account's
    key slot (it opens what is sealed to this account: sealed notes, the signing key —
    ``db.sealing``); empty when the session was not opened through a slot. ``damaged``
    turns true when SQLCipher reported damage: every later write is refused with
    :class:`VaultDamaged`.
    """

    path: Path
    db: VaultDatabase
    keys: KeySet
    actor: Actor
    clock: Clock
    state_dir: Path
    failed_attempts: int = 0
    damaged: bool = False
    via_recovery: bool = False
    #: What unlocking repaired or found on the way (translated lines, shown once).
    notices: list[str] = field(default_factory=list)
    #: When set, the vault is read-only for this session and every write is refused with
    #: this message (lost changes found at unlock, damage found by the health check).
    read_only: str = ""
    #: Called after the outermost commit of a transaction that appended audit events
    #: (the witness, :mod:`counselor_tui.services.witness`).
    after_audit_commit: Callable[[VaultSession], None] | None = field(default=None,
                                                                         repr=False)
    audit_appended: bool = field(default=False, repr=False)
    #: Called by :meth:`close` before the key is dropped (waits for the witness rewrites
    #: still queued, :func:`counselor_tui.services.witness.settle`).
    before_close: Callable[[], object] | None = field(default=None, repr=False)
    secret: bytes = field(default=b"", repr=False)
    #: The account's Ed25519 key (``db.grants``): signs its audit events and the witness.
    account_key: Ed25519PrivateKey | None = field(default=None, repr=False)
    #: Fingerprint of the role grants' root as verified at unlock ("" for an old vault
    #: before its first admin unlock): stamped into witnesses and packages as an anchor.
    trust_root: str = ""
    #: Sequence number of the last change this session itself appended (not a view, login
    #: …): live screens refresh for other sessions' changes only (services/live.py).
    own_last_change: int = field(default=0, repr=False)
    #: This session's "who is on" record (db/presence.py), withdrawn at close.
    presence: Presence | None = field(default=None, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- time ---------------------------------------------------------------------------
    def now(self) -> datetime:
        """The current aware time in the bureau time zone."""
        return self.clock.now()

    def now_iso(self) -> str:
        """The current time in storage form."""
        return iso(self.clock.now())

    def today(self) -> date:
        """Today's date in the bureau time zone."""
        return self.clock.now().date()

    # -- authorisation ------------------------------------------------------------------
    def require(self, *roles: Role) -> None:
        """Raise :class:`PermissionDenied` unless the actor has one of ``roles``."""
        if self.actor.role not in roles:
            raise PermissionDenied(
                _("Your role ({role}) may not do this.").format(role=self.actor.role.label)
            )

    def require_to(self, action: Action) -> None:
        """Raise :class:`PermissionDenied` unless the actor's role may do ``action``
        (the table :data:`counselor_tui.domain.permissions.RULES`)."""
        if not allowed(self.actor.role, action):
            raise PermissionDenied(
                _("Your role ({role}) may not do this.").format(role=self.actor.role.label)
            )

    # -- database -----------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        """True once the data key was dropped (lock, idle lock, quit)."""
        return self.db.locked

    @contextlib.contextmanager
    def reading(self) -> Iterator[VaultDatabase]:
        """This thread's connection for reads; damage becomes :class:`VaultDamaged`."""
        if self.db.locked:
            raise VaultLocked(_("The vault is locked."))
        self._bind()
        try:
            with self.db.session():
                yield self.db
        except Exception as exc:
            self._raise_if_damaged(exc)
            raise

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[VaultDatabase]:
        """A read transaction (``BEGIN DEFERRED``) on this thread's connection: every read
        inside sees one state of the vault, and no write lock is held, so a long read (a
        whole person record, sealed notes opened) never keeps writers waiting. Inside a
        :meth:`transaction` it is part of that transaction. Damage becomes
        :class:`VaultDamaged`."""
        if self.db.locked:
            raise VaultLocked(_("The vault is locked."))
        self._bind()
        try:
            with self.db.session(), self.db.atomic("DEFERRED"):
                yield self.db
        except Exception as exc:
            self._raise_if_damaged(exc)
            raise

    @contextlib.contextmanager
    def transaction(self) -> Iterator[VaultDatabase]:
        """One ``BEGIN IMMEDIATE`` transaction on this thread's connection.

        Raises :class:`VaultDamaged` (and marks the session damaged and read-only, with the
        restore path) when the vault reports damage, and refuses to start once it is
        marked damaged or read-only.
        """
        if self.damaged:
            raise VaultDamaged(self.read_only or _damaged_message())
        if self.read_only:
            raise VaultDamaged(self.read_only)
        if self.db.locked:
            raise VaultLocked(_("The vault is locked."))
        self._bind()
        outermost = not self.db.in_transaction()
        try:
            with self.db.session(), self.db.atomic():
                yield self.db
        except Exception as exc:
            self._raise_if_damaged(exc)
            raise
        if outermost and self.audit_appended:
            self.audit_appended = False
            if self.after_audit_commit is not None:
                self.after_audit_commit(self)

    def _bind(self) -> None:
        if database_proxy.obj is not self.db:
            database_proxy.initialize(self.db)

    def _raise_if_damaged(self, exc: BaseException) -> None:
        """Damage met by a read or a write (security tests 5 and 25): from now on the session
        is read-only, and the message — of this error, of every later write and of the
        interface's banner — names the restore command and the backups found."""
        if isinstance(exc, DamagedError) or is_corruption(exc):
            self.damaged = True
            if not self.read_only:
                self.read_only = failsafe.read_only_message(
                    self.path, [_("a page failed its check")], ())
            raise VaultDamaged(self.read_only) from exc
        if isinstance(exc, StorageError) or is_storage_error(exc):
            raise ServiceError(storage_message(str(exc))) from exc

    def checkpoint(self) -> None:
        """Move the WAL into the database file (at lock, quit and after bulk writes), so
        less ever sits in the ``-wal`` file. Skipped quietly when another connection holds
        it up or the vault is locked or damaged: nothing is lost by skipping it."""
        with contextlib.suppress(Exception), self.reading():
            checkpoint(self.db.raw())

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """Run raw SQL on this thread's connection (inside :meth:`reading` or a transaction)."""
        return self.db.execute_sql(sql, params)

    def close(self) -> None:
        """Drop the data key and close this thread's connection (idempotent)."""
        if self.before_close is not None:
            self.before_close()
        with self._lock, contextlib.suppress(VaultError):
            self.secret = b""
            if self.presence is not None:
                self.presence.withdraw()
            self.db.drop_key()


def storage_message(reason: str) -> str:
    """What to tell the user when the disk, not the data, failed (full, read-only, busy)."""
    text = reason.lower()
    if "locked" in text:
        return _("The vault is busy in another window or command: try again in a moment; "
                 "nothing was changed.")
    if "full" in text or "space" in text:
        return _("The disk is full: free some space, then try again; nothing was changed.")
    if "readonly" in text or "read-only" in text or "permission" in text:
        return _("The vault's folder or file is read-only for you: check its permissions or "
                 "the medium; nothing was changed.")
    return _("The vault could not be read or written (a disk problem): check the disk, then "
             "run 'counselor-tui check'; nothing was changed.")


def _damaged_message() -> str:
    return _(
        "The vault reports a damaged page. Nothing more is written: run "
        "'counselor-tui check' to see the damage, then restore the latest backup."
    )


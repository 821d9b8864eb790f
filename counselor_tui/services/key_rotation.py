"""Key rotation and recovery (DESIGN §5 "rekey", "recover"): a new data key with every slot
resealed, and opening an account with its recovery code (which is then replaced)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from counselor_tui.domain.permissions import Action
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import audit, failsafe, name_sort, role_grants, witness
from counselor_tui.services.context import Clock, VaultSession, iso
from counselor_tui.services.errors import (
    Conflict,
    NotFound,
    ServiceError,
    VaultDamaged,
    WrongPassphrase,
)
from counselor_tui.services.lifecycle import (
    key_opens,
    open_key,
    open_now,
    require_files,
    require_strong_passphrase,
    start_session,
    throttle,
)
from db import grants, sealing
from db import vault as slots
from db import witness as witness_files
from db.connection import (
    VaultDatabase,
    VaultError,
    VaultInUseError,
    WrongKeyOrDamagedError,
    fsync_path,
    rekey_connection,
)
from db.migrations import migrate
from db.models import User, database_proxy

REKEY_BUSY_MS = 1500


#: Test hook: called with a step name at each point of :func:`rekey` where a crash matters.
crash_point: Callable[[str], None] = lambda step: None  # noqa: E731


def rekey(vs: VaultSession) -> None:
    """Rotate the data key (admin only) and reseal every remaining slot.

    Order (each step survives a crash, see :func:`db.vault.resolve_key_set`): drop slots of
    accounts no longer active; write a ``rekey`` audit event; write the next key set to
    ``<vault>.keys.next``; checkpoint the WAL and re-encrypt every page (``PRAGMA rekey``
    in rollback-journal mode); verify the new key opens the file and the old one does not;
    promote the next key set. On an error the vault keeps the key it has (the next key set
    is removed, or promoted if the re-encryption had completed) and :class:`ServiceError`
    is raised.
    """
    vs.require_to(Action.ROTATE_KEY)
    old_key = vs.db.key
    new_key = slots.new_data_key()
    with vs.reading():
        active = {u.username for u in User.select(User.username).where(User.active == True)}  # noqa: E712
        backed = role_grants.slot_filter(vs.execute, vs.keys, active)
    # only slots whose role a counted grant backs (one recovery slot): an extra slot added
    # to the file by someone holding the old data key must not get the new one
    kept = [s for s in vs.keys.slots if backed(s)]
    new_keys = slots.reseal_all(vs.keys, new_key, kept)
    pending = slots.next_keys_path(vs.path)
    try:
        vs.db.in_use.exclusive()
    except VaultInUseError:
        raise Conflict(_("The vault is open in another window or command: close it, then "
                         "rotate the key.") + open_now(vs.path, vs)) from None
    try:
        with vs.transaction():
            dropped = sealing.drop_wraps_except(vs.execute, [s.public_key for s in kept])
            audit.record(vs, "rekey", "vault", "", {"slots": len(kept),
                                                    "sealed_wraps_removed": dropped})
        witness.write_pending(vs, new_key)
        slots.save(pending, new_keys)
        crash_point("pending_written")
        vs.db.release()
        with vs.reading():
            conn = vs.db.raw()
            conn.execute(f"PRAGMA busy_timeout = {REKEY_BUSY_MS}")
            rekey_connection(conn, new_key)
            crash_point("rekeyed")
            vs.db.close()
        if not key_opens(vs.path, new_key) or key_opens(vs.path, old_key):
            raise VaultError("verification after rekey failed")
        os.replace(pending, slots.keys_path(vs.path))
        fsync_path(vs.path.parent)
        crash_point("promoted")
    except BaseException as exc:
        with contextlib.suppress(Exception):
            if not vs.db.is_closed():
                vs.db.close()
        if key_opens(vs.path, old_key):
            pending.unlink(missing_ok=True)
            witness_files.next_witness_path(vs.path).unlink(missing_ok=True)
            with contextlib.suppress(VaultInUseError):
                vs.db.in_use.shared()  # back from exclusive: others may open it again
            vs.db.hold()
        elif pending.exists() and key_opens(vs.path, new_key):
            os.replace(pending, slots.keys_path(vs.path))
            _switch_key(vs, new_key, new_keys)
            witness.promote_pending(vs)
        if isinstance(exc, (ServiceError, KeyboardInterrupt, SystemExit)):
            raise
        raise ServiceError(
            _("The key rotation failed ({error}); the vault keeps its current key.").format(
                error=type(exc).__name__)
        ) from exc
    _switch_key(vs, new_key, new_keys)
    witness.promote_pending(vs)


def _switch_key(vs: VaultSession, key: bytes, keys: slots.KeySet) -> None:
    vs.db.drop_key()
    vs.db = VaultDatabase(vs.path, key)
    vs.db.hold()
    database_proxy.initialize(vs.db)
    vs.keys = keys


def recover(
    path: Path,
    recovery_code: str,
    username: str,
    new_passphrase: str,
    *,
    clock: Clock,
    state_dir: Path,
    kdf_seconds: float = 0.5,
) -> tuple[VaultSession, str]:
    """Break-glass access: open the vault with the recovery code, give ``username`` (an
    active account) a new slot with ``new_passphrase``, replace the recovery code and
    return the session and the *new* recovery code (show it once; the old one stops working).

    Audited as ``recovery_used``. Raises :class:`WrongPassphrase` for a wrong code (counted
    like a failed login), :class:`InvalidInput` for a weak passphrase, :class:`NotFound` for an
    unknown account.
    """
    path = failsafe.real_vault_path(Path(path))
    require_files(path)
    require_strong_passphrase(new_passphrase, username)
    ledger = throttle(path, state_dir, clock, slots.RECOVERY_USERNAME)
    try:
        keys, key, old_secret = open_key(path, None,
                                          slots.normalize_recovery_code(recovery_code))
    except WrongPassphrase:
        failsafe.count_failure(ledger, clock, slots.RECOVERY_USERNAME)
        raise
    user_private, code_private = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    db = VaultDatabase(path, key)
    try:
        with db.session():
            migrate(db.raw(), iso(clock.now()),
                    then=name_sort.finish_upgrade(keys))
            database_proxy.initialize(db)
            user = User.get_or_none(User.username == username)
            if user is None or not user.active:
                raise NotFound(_("No active account named {user}.").format(user=username))
            role = user.role
            with db.atomic():
                _reseal_for_recovery(db, keys.vault_id, old_secret, user, user_private,
                                     code_private)
                at = iso(clock.now())
                for name, granted, private in ((username, role, user_private),
                                               (slots.RECOVERY_USERNAME, Role.ADMIN.value,
                                                code_private)):
                    role_grants.grant_slot(db.execute_sql, keys.vault_id,
                                           slots.RECOVERY_USERNAME, old_secret, name, granted,
                                           private.public_key().public_bytes_raw(), at,
                                           bound_root=grants.bound_root(keys.slots))
                root = role_grants.current_root(db.execute_sql, keys.vault_id)
    except WrongKeyOrDamagedError as exc:
        db.drop_key()
        raise VaultDamaged(failsafe.damaged_message(path)) from exc
    except BaseException:
        db.drop_key()
        raise
    db.drop_key()
    now = iso(clock.now())
    cost = slots.calibrate(kdf_seconds)
    keys = keys.with_slot(slots.make_slot(keys, kind=slots.USER, username=username, role=role,
                                          passphrase=new_passphrase, data_key=key,
                                          kdf_cost=cost, created_at=now, private=user_private,
                                          root=root))
    code = slots.new_recovery_code()
    keys = keys.with_slot(slots.make_slot(keys, kind=slots.RECOVERY,
                                          username=slots.RECOVERY_USERNAME,
                                          role=Role.ADMIN.value,
                                          passphrase=slots.normalize_recovery_code(code),
                                          data_key=key, kdf_cost=cost, created_at=now,
                                          private=code_private, root=root))
    slots.save(slots.keys_path(path), keys)
    vs = start_session(path, keys, key, username, clock, state_dir, ledger, "login",
                        via_recovery=True, secret=user_private.private_bytes_raw())
    with vs.transaction():
        audit.record(vs, "recovery_used", "user", vs.actor.id, {"recovery_code_replaced": True})
    return vs, code


def _reseal_for_recovery(db: VaultDatabase, vault_id: str, old_secret: bytes, user: User,
                         user_private: X25519PrivateKey,
                         code_private: X25519PrivateKey) -> None:
    """Before the recovery replaces two slots (the account's and the recovery code's, both
    with new key pairs), wrap what the old recovery slot holds for the new recovery slot,
    and for the account what its role may read: every sealed note and the signing key
    for a coordinator, the signing key for an admin, its own sealed notes for a counselor.
    The old wraps stay until the next ``rekey`` (they open nothing without the old keys)."""
    execute = db.execute_sql
    sealing.copy_wraps(execute, vault_id, old_secret,
                       sealing.Recipient(slots.RECOVERY_USERNAME,
                                         code_private.public_key().public_bytes_raw()),
                       lambda _kind, _ref: True)
    own = {int(r[0]) for r in execute(
        "SELECT id FROM counseling_session WHERE counselor_id = ? AND sealed = 1", (user.id,))}

    def wanted(kind: str, ref_id: int) -> bool:
        if user.role == Role.COORDINATOR.value:
            return True
        if kind == sealing.SIGNING_KEY:
            return bool(user.role == Role.ADMIN.value)
        return ref_id in own

    sealing.copy_wraps(execute, vault_id, old_secret,
                       sealing.Recipient(user.username,
                                         user_private.public_key().public_bytes_raw()), wanted)

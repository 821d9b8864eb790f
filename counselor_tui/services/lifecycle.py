"""Vault life cycle: create, unlock, lock (checks are in :mod:`.integrity`, backups and
restore in :mod:`.backup_restore`, key rotation and recovery in :mod:`.key_rotation`; only
:mod:`db.vault`, the key-slot file, is named "vault").

Design: DESIGN §5 (security) and §9 (automation contract); the security tests of
``shared/domain/security-tests.md`` exercise every function here against real SQLCipher files.

Nothing here prints; every error is a :class:`~counselor_tui.services.errors.ServiceError`
whose message is translated and free of names, notes and passphrases.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui import __version__, paths
from counselor_tui.domain.passphrase import PassphraseRejected, check_new_passphrase
from counselor_tui.domain.roles import Role
from counselor_tui.domain.text import clean_display_name, has_control_chars
from counselor_tui.i18n import _
from counselor_tui.services import audit, failsafe, name_sort, role_grants, witness
from counselor_tui.services.context import Actor, Clock, VaultSession, iso, storage_message
from counselor_tui.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    Throttled,
    VaultDamaged,
    WrongPassphrase,
)
from counselor_tui.services.settings import DEFAULT_SETTINGS
from db import sealing
from db import vault as slots
from db import witness as witness_files
from db.connection import (
    DatabaseError,
    StorageError,
    VaultDatabase,
    VaultError,
    VaultInUseError,
    WrongKeyOrDamagedError,
    checkpoint,
    fsync_path,
    is_corruption,
    open_connection,
    side_files,
)
from db.migrations import CURRENT_VERSION, SchemaTooNewError, migrate, schema_version
from db.models import Setting, SigningKey, User, database_proxy
from db.presence import Presence, holders
from db.throttle import AttemptLedger
from db.write_queue import queue_path

USERNAME_RE = re.compile(r"^[\w.-]{2,32}$")


def wrong_passphrase_message() -> str:
    """The one message for a wrong passphrase *and* a damaged file (they look the same)."""
    return _(
        "wrong passphrase or damaged file: check the passphrase; if it is right, run "
        "'counselor-tui check' or restore a backup."
    )


# -- creation --------------------------------------------------------------------------------


def validate_username(username: str) -> str:
    """Return ``username`` in canonical form — NFKC (full-width folded), lower case,
    stripped — or raise :class:`InvalidInput` (2–32 letters, digits, ``_ . -``). ``Admin``
    and ``ａｄｍｉｎ`` are therefore the same name as ``admin``."""
    name = unicodedata.normalize("NFKC", username).strip().lower()
    if not USERNAME_RE.match(name):
        raise InvalidInput(
            _("User name must be 2 to 32 letters, digits, '_', '.' or '-'.")
        )
    return name


def vault_exists(path: Path) -> bool:
    """True when a database or key-slot file is already at ``path``."""
    return path.exists() or slots.keys_path(path).exists()


def require_strong_passphrase(passphrase: str, *context: str) -> None:
    """Raise :class:`InvalidInput` unless ``passphrase`` is acceptable (DESIGN §5)."""
    try:
        check_new_passphrase(passphrase, tuple(context))
    except PassphraseRejected as exc:
        raise InvalidInput(str(exc)) from None


@dataclass(frozen=True)
class CreatedVault:
    """What :func:`create_vault` returns: the paths and the recovery code (shown once)."""

    path: Path
    keys_path: Path
    recovery_code: str
    vault_id: str
    root_fingerprint: str = ""


def create_vault(
    path: Path,
    *,
    bureau: str,
    admin_username: str,
    passphrase: str,
    clock: Clock,
    admin_display_name: str | None = None,
    kdf_seconds: float = 0.5,
    timezone: str = "Asia/Shanghai",
) -> CreatedVault:
    """Create a new vault at ``path`` (database) and ``path.keys`` (key slots).

    Validates everything before any file is written: bureau name non-empty, admin user name
    (:func:`validate_username`), passphrase not empty/blank/weak. Refuses an existing vault.
    The database is built under a temporary name in the same folder and renamed into place
    last. Creates the admin account, the recovery slot, the Ed25519 signing key for
    submission packages (sealed to its holders), the root of the signed role grants (its
    fingerprint is returned, to be shown with the recovery code), default settings and the
    first audit events.

    Raises :class:`InvalidInput` for bad input or an existing vault.
    """
    bureau = bureau.strip()
    if not bureau:
        raise InvalidInput(_("The bureau name is empty."))
    admin_username = validate_username(admin_username)
    try:
        display = clean_display_name(admin_display_name or admin_username)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if has_control_chars(bureau):
        raise InvalidInput(_("The bureau name contains control characters: type it again."))
    require_strong_passphrase(passphrase, admin_username, bureau)
    path = Path(path)
    if vault_exists(path):
        raise InvalidInput(
            _("A vault already exists at {path}: open it, or choose another path.").format(
                path=path
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = iso(clock.now())
    data_key = slots.new_data_key()
    keys = slots.new_key_set()
    cost = slots.calibrate(kdf_seconds)
    admin_key = Ed25519PrivateKey.generate()  # the trust root of the role grants
    root = role_grants.root_for(admin_key)
    keys = keys.with_slot(
        slots.make_slot(keys, kind=slots.USER, username=admin_username, role=Role.ADMIN.value,
                        passphrase=passphrase, data_key=data_key, kdf_cost=cost, created_at=now,
                        root=root)
    )
    code = slots.new_recovery_code()
    keys = keys.with_slot(
        slots.make_slot(keys, kind=slots.RECOVERY, username=slots.RECOVERY_USERNAME,
                        role=Role.ADMIN.value, passphrase=slots.normalize_recovery_code(code),
                        data_key=data_key, kdf_cost=cost, created_at=now, root=root)
    )
    tmp = path.parent / f".{path.name}.creating-{secrets.token_hex(4)}"
    try:
        conn = open_connection(tmp, data_key, create=True)
        try:
            migrate(conn, now)
        finally:
            conn.close()
        db = VaultDatabase(tmp, data_key)
        try:
            with db.session():
                database_proxy.initialize(db)
                with db.atomic():
                    _seed(db, bureau=bureau, admin=admin_username,
                          display=display, now=now, tz=timezone, keys=keys, signer=admin_key)
                    role_grants.start_chain(db.execute_sql, keys, admin_username, admin_key,
                                            now)
                last = witness.tail(db.raw().execute)
                checkpoint(db.raw())
                db.execute_sql("PRAGMA journal_mode = DELETE")
        finally:
            db.drop_key()
        fsync_path(tmp)
        slots.save(slots.keys_path(path), keys)
        os.replace(tmp, path)
        if last is not None:
            witness_files.write(path, data_key, witness_files.Witness(keys.vault_id, *last,
                                                                      root=root),
                                signer=(admin_username, admin_key))
    finally:  # the build file (unless renamed), its side files and write-queue lock file
        for leftover in (*side_files(tmp), queue_path(tmp)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    fsync_path(path.parent)
    return CreatedVault(path, slots.keys_path(path), code, keys.vault_id, root)


def _seed(db: VaultDatabase, *, bureau: str, admin: str, display: str, now: str, tz: str,
          keys: slots.KeySet, signer: Ed25519PrivateKey) -> None:
    """First rows of a new vault: the admin, default settings, the signing key, audit events."""
    user = User.create(username=admin, display_name=display, role=Role.ADMIN.value, active=True,
                       created_at=now, updated_at=now)
    user.created_by = user.id
    user.updated_by = user.id
    user.save()
    vault_id = keys.vault_id
    initial = {**DEFAULT_SETTINGS, "bureau_name": bureau, "timezone": tz, "vault_id": vault_id}
    for key, value in sorted(initial.items()):
        Setting.create(key=key, value=value, updated_at=now, updated_by=user.id)
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes_raw()
    fingerprint = hashlib.sha256(public).hexdigest()
    row = SigningKey.create(private_key=b"", public_key=public, fingerprint=fingerprint,
                            created_at=now, active=True)
    # the private key is kept only sealed to its holders' slot keys (db.sealing)
    sealing.put_wraps(db.execute_sql, keys.vault_id, sealing.SIGNING_KEY, int(row.id),
                      private.private_bytes_raw(), sealing.signing_holders(keys))
    for action, entity, entity_id, detail in (
        ("vault_create", "vault", vault_id, {"version": __version__, "schema": CURRENT_VERSION}),
        ("create", "user", str(user.id), {"role": Role.ADMIN.value}),
        ("create", "signing_key", fingerprint[:16], {}),
    ):
        audit.append(db.execute_sql, at=now, user=admin, action=action, entity=entity,
                     entity_id=entity_id, detail=detail, signer=(admin, signer))


# -- unlock ----------------------------------------------------------------------------------


def _ledger(path: Path, state_dir: Path) -> AttemptLedger:
    try:
        vault_id = slots.load(slots.keys_path(path)).vault_id
    except slots.KeyFileError:
        vault_id = hashlib.sha256(str(path.absolute()).encode()).hexdigest()[:32]
    return AttemptLedger(state_dir, vault_id, paths.attempts_mirror_dir(),
                         paths.attempts_journal())


def known_user(path: Path, username: str) -> str:
    """``username`` when it names an account of the vault, else ``"?"``: what was typed in
    the user-name box may be a passphrase typed in the wrong place, and must not be kept."""
    try:
        known = slots.load(slots.keys_path(path)).usernames()
    except slots.KeyFileError:
        return "?"
    return username if username in known else "?"


def throttle(path: Path, state_dir: Path, clock: Clock, user: str) -> AttemptLedger:
    """The vault's failed-attempt ledger; raises :class:`Throttled` while the delay of the
    user name ``user`` runs (``"?"`` for names that are not accounts; issue 12)."""
    ledger = _ledger(path, state_dir)
    wait = ledger.wait_seconds(clock.now(), user)
    if wait > 0:
        raise Throttled(
            _("Too many failed attempts: wait {seconds} s before trying again.").format(
                seconds=int(wait + 0.999)),
            wait,
        )
    return ledger


def require_files(path: Path) -> None:
    if path.is_dir():
        raise InvalidInput(_("{path} is a folder: --vault takes the vault's database file.")
                           .format(path=path))
    if not path.exists() and not slots.keys_path(path).exists():
        raise NotFound(
            _("No vault at {path}: create one with 'counselor-tui init'.").format(path=path)
        )


def key_opens(path: Path, key: bytes) -> bool:
    try:
        conn = open_connection(path, key)
    except (WrongKeyOrDamagedError, VaultError):
        return False
    conn.close()
    return True


def open_key(path: Path, username: str | None, secret: str,
              notices: list[str] | None = None) -> tuple[slots.KeySet, bytes, bytes]:
    """Resolve the key set and open the slot (user, or the recovery slot when ``username``
    is None): ``(key set, data key, the slot's raw X25519 private key)``. Raises
    :class:`WrongPassphrase`; :class:`VaultDamaged` naming the key-slot
    file at fault. What was repaired on the way is added to ``notices`` (translated)."""

    def slot_of(keys: slots.KeySet) -> slots.Slot:
        return keys.user_slot(username) if username else keys.recovery_slot()

    def opens(keys: slots.KeySet) -> bool:
        try:
            return key_opens(path, slots.open_slot(keys, slot_of(keys), secret))
        except slots.KeySlotError:
            return False

    found: list[tuple[str, Path]] = []
    try:
        keys = slots.resolve_key_set(path, opens, found)
        opened = (keys, *slots.open_slot_secret(keys, slot_of(keys), secret))
    except slots.KeyFileError as exc:
        raise VaultDamaged(_(
            "The key-slot file {path} is missing or damaged: copy the .keys file of the "
            "latest backup beside the vault, or restore that backup.").format(
                path=exc.path or slots.keys_path(path))) from exc
    except slots.NoSuchSlotError as exc:
        # user names are not secret (the key-slot file lists them), so say which it was
        raise WrongPassphrase(
            _("No account named {user} in this vault (or it was disabled): check the user "
              "name.").format(user=username) if username else
            _("This vault has no recovery code.")) from exc
    except slots.KeySlotError as exc:
        if username is None:
            raise WrongPassphrase(_(
                "The recovery code is not valid. A code stops working once it has been "
                "used: type the newest one.")) from exc
        raise WrongPassphrase(wrong_passphrase_message()) from exc
    if notices is not None:
        notices.extend(failsafe.key_set_notice(what, where) for what, where in found)
    return opened


def unlock(
    path: Path,
    username: str,
    passphrase: str,
    *,
    clock: Clock,
    state_dir: Path,
    action: str = "login",
) -> VaultSession:
    """Open the vault as ``username`` and return the :class:`VaultSession`.

    Steps: refuse while the failed-attempt delay runs (:class:`Throttled`); open the user's
    slot (Argon2id) — a wrong passphrase or unknown user counts a failure and raises
    :class:`WrongPassphrase`; settle an interrupted rotation; open the database (a key that
    does not open it raises :class:`WrongPassphrase` with the same message); upgrade an
    older schema in one transaction (a newer one is refused with :class:`InvalidInput`);
    check the account is active and its role matches the slot; write the failed attempts
    recorded since the last login and ``action`` (``login`` or ``unlock``) to the audit
    chain. ``VaultSession.failed_attempts`` tells how many attempts failed since.
    """
    path = failsafe.real_vault_path(Path(path))
    require_files(path)
    ledger = throttle(path, state_dir, clock, known_user(path, username))
    notices: list[str] = []
    try:
        keys, key, secret = open_key(path, username, passphrase, notices)
    except WrongPassphrase:
        failsafe.count_failure(ledger, clock, known_user(path, username))
        raise
    vs = start_session(path, keys, key, username, clock, state_dir, ledger, action,
                        secret=secret)
    if notices:
        vs.notices.extend(notices)
        try:
            with vs.transaction():
                audit.record(vs, "key_set_repaired", "vault", "", {"notices": len(notices)})
        except ServiceError:
            vs.close()
            raise
    if not keys.user_slot(username).root:
        _bind_root(vs, passphrase)
    return vs


def _bind_root(vs: VaultSession, passphrase: str) -> None:
    """Bind a slot made before signed grants to the chain's root (once, at its first unlock
    after the upgrade; one more Argon2id derivation): from then on a replaced chain makes
    this slot refuse to unlock."""
    with vs.reading():
        root = role_grants.current_root(vs.execute, vs.keys.vault_id)
    if not root:
        return
    try:
        keys = slots.load(slots.keys_path(vs.path))
        slot = keys.user_slot(vs.actor.username)
        bound = slots.rewrap(keys, slot, passphrase, passphrase,
                             (slot.kdf.time_cost, slot.kdf.memory_kib), root=root)
        keys = keys.with_slot(bound)
        slots.save(slots.keys_path(vs.path), keys)
    except (slots.KeySlotError, OSError):
        return  # tried again at the next unlock
    vs.keys = keys


def start_session(
    path: Path,
    keys: slots.KeySet,
    key: bytes,
    username: str,
    clock: Clock,
    state_dir: Path,
    ledger: AttemptLedger,
    action: str,
    *,
    via_recovery: bool = False,
    secret: bytes = b"",
) -> VaultSession:
    db = VaultDatabase(path, key)
    try:
        with db.session():
            try:
                conn = db.raw()
                found = schema_version(conn)
                if found == 0:  # an emptied file: never build a new vault in it
                    raise WrongKeyOrDamagedError(str(path))
                if found < CURRENT_VERSION:
                    _alone_for_upgrade(db, path, found)
                migrate(conn, iso(clock.now()),
                        then=name_sort.finish_upgrade(keys))
            except SchemaTooNewError as exc:
                raise InvalidInput(
                    _("This vault was written by a newer version of counselor-tui (schema "
                      "{found}, this program knows {supported}): update the program.").format(
                        found=exc.found, supported=exc.supported)
                ) from exc
            database_proxy.initialize(db)
            user = User.get_or_none(User.username == username)
            if user is None or not user.active:
                raise PermissionDenied(_("This account is disabled or unknown."))
            slot_role = keys.user_slot(username).role if not via_recovery else user.role
            if slot_role != user.role:
                raise WrongPassphrase(wrong_passphrase_message())
            with db.atomic():  # the role must be what a signed grant gives this slot
                active = {u.username: u.role for u in
                          User.select(User.username, User.role).where(User.active == True)}  # noqa: E712
                granted = role_grants.verify_unlock(db.execute_sql, keys, username, user.role,
                                                    secret, iso(clock.now()), active=active)
                account_key = role_grants.account_key_of(db.execute_sql, keys, secret)
            actor = Actor(user.id, user.username, user.display_name, Role(user.role),
                          user.unit_id)
            try:
                seen = witness.compare(path, key, keys.vault_id, db.raw().execute)
            except DatabaseError as exc:  # the audit log's pages are damaged
                if is_corruption(exc):
                    raise VaultDamaged(failsafe.damaged_message(path)) from exc
                raise
    except WrongKeyOrDamagedError as exc:
        db.drop_key()
        raise VaultDamaged(failsafe.damaged_message(path)) from exc
    except StorageError as exc:
        db.drop_key()
        raise ServiceError(storage_message(str(exc))) from exc
    except BaseException:
        db.drop_key()
        raise
    try:
        db.hold()
    except StorageError as exc:
        db.drop_key()
        raise ServiceError(storage_message(str(exc))) from exc
    except VaultInUseError as exc:
        db.drop_key()
        raise Conflict(_("The vault is being restored or re-keyed right now: try again in a "
                         "moment.")) from exc
    vs = VaultSession(path=path, db=db, keys=keys, actor=actor, clock=clock,
                      state_dir=state_dir, via_recovery=via_recovery, secret=secret,
                      account_key=account_key, trust_root=granted.root)
    vs.presence = Presence(path)
    vs.presence.announce(actor.username, vs.now_iso())
    if not seen.ok and not seen.missing:
        # nothing is written (the witness keeps the evidence): the session is read-only
        vs.read_only = seen.message
        vs.notices.append(seen.message)
        vs.failed_attempts = ledger.read(username).count
        return vs
    vs.after_audit_commit = witness.record_commit
    vs.before_close = witness.settle
    if seen.missing:
        # a deleted witness leaves no evidence to keep: work goes on with a new witness, and
        # the audit log records that it was missing (the login below starts it)
        vs.notices.append(seen.message)
    elif seen.started:
        vs.notices.append(_("No witness file was found beside the vault; a new one has been "
                            "started (changes lost before now cannot be detected)."))
    vs.failed_attempts = ledger.read(username).count
    try:
        failures = ledger.clear(username)
    except OSError as exc:
        vs.close()
        raise ServiceError(failsafe.ledger_message(exc)) from exc
    try:
        with vs.transaction():
            for when, who in zip(failures.times, failures.users, strict=True):
                audit.record(vs, "login_failed", "user", "", {}, user=who, at=when)
            if seen.missing:
                audit.record(vs, "witness_missing", "vault", "", {})
            audit.record(vs, action, "user", actor.id,
                         {"failed_attempts_since_last": failures.count})
    except ServiceError:
        vs.close()
        raise
    return vs


def _alone_for_upgrade(db: VaultDatabase, path: Path, found: int) -> None:
    """Hold the vault alone (the in-use lock exclusive) for a schema upgrade: sessions of
    the older program still open on it would go on writing the old schema. Raises
    :class:`Conflict` naming the sessions that hold it open (issue 14 "who is on"); the
    hold turns shared again when the session starts (:meth:`VaultDatabase.hold`)."""
    try:
        db.in_use.exclusive()
    except VaultInUseError:
        raise Conflict(_(
            "This vault must be upgraded to this version of counselor-tui (schema {found} to "
            "{supported}), which needs it alone: the others close it (lock or quit), then "
            "unlock again.").format(found=found, supported=CURRENT_VERSION)
            + open_now(path)) from None


def open_now(path: Path, own: VaultSession | None = None) -> str:
    """" Open now: li (since 2026-12-07 20:03), …" — the sessions holding ``path`` open
    (other than ``own``), for the messages of rekey, restore and a schema upgrade; "" when
    none is recorded
    (e.g. a command that does not announce itself)."""
    exclude = own.presence.path if own is not None and own.presence is not None else None
    found = holders(path, exclude)
    if not found:
        return ""
    return " " + _("Open now: {sessions}.").format(sessions=", ".join(
        _("{user} (since {since})").format(user=h.user, since=h.since[:16].replace("T", " "))
        for h in found))


def lock(vs: VaultSession, reason: str = "manual") -> None:
    """Write a ``lock`` event (reason ``manual``, ``idle`` or ``quit``), then drop the key."""
    if vs.locked:
        return
    try:
        with vs.transaction():
            audit.record(vs, "lock", "user", vs.actor.id, {"reason": reason})
    except Exception:  # noqa: S110 - the key must go even when the event cannot be written
        pass
    finally:
        checkpoint_quietly(vs)
        vs.close()


def checkpoint_quietly(vs: VaultSession) -> None:
    """Move the WAL into the database file (at lock, quit and after bulk writes), so that
    less ever sits in the ``-wal`` file. A checkpoint held up by another connection (or a
    damaged file) is left for later: nothing is lost by skipping it."""
    vs.checkpoint()


def wait_seconds(path: Path, *, clock: Clock, state_dir: Path,
                 username: str | None = None) -> float:
    """Seconds until the next unlock attempt of ``username`` on the vault at ``path`` will be
    checked (0 when none is pending, or no user name is given yet); lets the unlock screen
    show the delay before an attempt."""
    if not username:
        return 0.0
    return _ledger(Path(path), state_dir).wait_seconds(clock.now(),
                                                       known_user(Path(path), username))


def reunlock(vs: VaultSession, passphrase: str, *, clock: Clock) -> VaultSession:
    """Unlock again after a lock, as the same user (action ``unlock``)."""
    return unlock(vs.path, vs.actor.username, passphrase, clock=clock, state_dir=vs.state_dir,
                  action="unlock")


# -- check -----------------------------------------------------------------------------------


# -- backup and restore ----------------------------------------------------------------------


def is_own_passphrase(vs: VaultSession, text: str) -> bool:
    """True when ``text`` opens the unlocked user's own key slot, i.e. it is their vault
    passphrase (one Argon2id run). A package password must never be that: the receiving
    office would hold the key to the user's account."""
    try:
        slot = vs.keys.user_slot(vs.actor.username)
        slots.open_slot(vs.keys, slot, unicodedata.normalize("NFC", text))
    except slots.KeySlotError:
        return False
    return True


# -- key rotation ----------------------------------------------------------------------------


# -- recovery --------------------------------------------------------------------------------



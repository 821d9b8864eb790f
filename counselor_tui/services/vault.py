"""Vault life cycle: create, unlock, lock, check, back up, restore, rotate the key, recover.

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
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from counselor_tui import __version__
from counselor_tui.domain.audit_chain import ChainReport, verify
from counselor_tui.domain.passphrase import PassphraseRejected, check_new_passphrase
from counselor_tui.domain.roles import Role
from counselor_tui.domain.text import clean_display_name, has_control_chars
from counselor_tui.i18n import _
from counselor_tui.services import anchors, audit, failsafe, role_grants, settings, witness
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
    CheckLine,
    DatabaseError,
    InUseLock,
    StorageError,
    VaultDatabase,
    VaultError,
    VaultInUseError,
    WrongKeyOrDamagedError,
    backup_to,
    checkpoint,
    fsync_path,
    integrity_checks,
    is_corruption,
    open_connection,
    rekey_connection,
    side_files,
)
from db.migrations import CURRENT_VERSION, SchemaTooNewError, migrate, schema_version
from db.models import Setting, SigningKey, User, database_proxy
from db.throttle import AttemptLedger

REKEY_BUSY_MS = 1500
USERNAME_RE = re.compile(r"^[\w.-]{2,32}$")
#: Settings are stored by :mod:`counselor_tui.services.settings`; these names stay reachable
#: here for the callers that still read them through this module.
get_setting = settings.get_setting
set_setting = settings.set_setting
BACKUP_RE = re.compile(r"^counselor-(\d{8}-\d{6})(?:-(\d+))?\.db$")



def wrong_passphrase_message() -> str:
    """The one message for a wrong passphrase *and* a damaged file (they look the same)."""
    return _(
        "wrong passphrase or damaged file: check the passphrase; if it is right, run "
        "'counselor-tui check' or restore a backup."
    )


#: Test hook: called with a step name at each point of :func:`rekey` where a crash matters.
crash_point: Callable[[str], None] = lambda step: None  # noqa: E731


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
            witness_files.write(path, data_key, witness_files.Witness(keys.vault_id, *last),
                                signer=(admin_username, admin_key))
        fsync_path(path.parent)
    except BaseException:
        for leftover in side_files(tmp):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
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
    return AttemptLedger(state_dir, vault_id)


def _known_user(path: Path, username: str) -> str:
    """``username`` when it names an account of the vault, else ``"?"``: what was typed in
    the user-name box may be a passphrase typed in the wrong place, and must not be kept."""
    try:
        known = slots.load(slots.keys_path(path)).usernames()
    except slots.KeyFileError:
        return "?"
    return username if username in known else "?"


def _throttle(path: Path, state_dir: Path, clock: Clock) -> AttemptLedger:
    """The vault's failed-attempt ledger; raises :class:`Throttled` while its delay runs."""
    ledger = _ledger(path, state_dir)
    wait = ledger.wait_seconds(clock.now())
    if wait > 0:
        raise Throttled(
            _("Too many failed attempts: wait {seconds} s before trying again.").format(
                seconds=int(wait + 0.999)),
            wait,
        )
    return ledger


def _require_files(path: Path) -> None:
    if path.is_dir():
        raise InvalidInput(_("{path} is a folder: --vault takes the vault's database file.")
                           .format(path=path))
    if not path.exists() and not slots.keys_path(path).exists():
        raise NotFound(
            _("No vault at {path}: create one with 'counselor-tui init'.").format(path=path)
        )


def _key_opens(path: Path, key: bytes) -> bool:
    try:
        conn = open_connection(path, key)
    except (WrongKeyOrDamagedError, VaultError):
        return False
    conn.close()
    return True


def _open_key(path: Path, username: str | None, secret: str,
              notices: list[str] | None = None) -> tuple[slots.KeySet, bytes, bytes]:
    """Resolve the key set and open the slot (user, or the recovery slot when ``username``
    is None): ``(key set, data key, the slot's raw X25519 private key)``. Raises
    :class:`WrongPassphrase`; :class:`VaultDamaged` naming the key-slot
    file at fault. What was repaired on the way is added to ``notices`` (translated)."""

    def slot_of(keys: slots.KeySet) -> slots.Slot:
        return keys.user_slot(username) if username else keys.recovery_slot()

    def opens(keys: slots.KeySet) -> bool:
        try:
            return _key_opens(path, slots.open_slot(keys, slot_of(keys), secret))
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
    _require_files(path)
    ledger = _throttle(path, state_dir, clock)
    notices: list[str] = []
    try:
        keys, key, secret = _open_key(path, username, passphrase, notices)
    except WrongPassphrase:
        ledger.record_failure(clock.now(), _known_user(path, username))
        raise
    vs = _start_session(path, keys, key, username, clock, state_dir, ledger, action,
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


def _start_session(
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
                if schema_version(conn) == 0:  # an emptied file: never build a new vault in it
                    raise WrongKeyOrDamagedError(str(path))
                migrate(conn, iso(clock.now()),
                        then=lambda c: sealing.seal_pending(c.execute, keys))
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
                role_grants.verify_unlock(db.execute_sql, keys, username, user.role, secret,
                                          iso(clock.now()), active=active)
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
                      account_key=account_key)
    if not seen.ok:
        # nothing is written (the witness keeps the evidence): the session is read-only
        vs.read_only = seen.message
        vs.notices.append(seen.message)
        vs.failed_attempts = ledger.read().count
        return vs
    vs.after_audit_commit = witness.record_commit
    if seen.started:
        vs.notices.append(_("No witness file was found beside the vault; a new one has been "
                            "started (changes lost before now cannot be detected)."))
    failures = ledger.clear()
    vs.failed_attempts = failures.count
    try:
        with vs.transaction():
            for when, who in zip(failures.times, failures.users, strict=True):
                audit.record(vs, "login_failed", "user", "", {}, user=who, at=when)
            audit.record(vs, action, "user", actor.id,
                         {"failed_attempts_since_last": failures.count})
    except ServiceError:
        vs.close()
        raise
    return vs


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


def wait_seconds(path: Path, *, clock: Clock, state_dir: Path) -> float:
    """Seconds until the next unlock attempt of the vault at ``path`` will be checked
    (0 when none is pending); lets the unlock screen show the delay before an attempt."""
    return _ledger(Path(path), state_dir).wait_seconds(clock.now())


def reunlock(vs: VaultSession, passphrase: str, *, clock: Clock) -> VaultSession:
    """Unlock again after a lock, as the same user (action ``unlock``)."""
    return unlock(vs.path, vs.actor.username, passphrase, clock=clock, state_dir=vs.state_dir,
                  action="unlock")


# -- check -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """The lines of ``check`` and the audit-chain report; ``ok`` only if every line passed."""

    lines: tuple[CheckLine, ...]
    chain: ChainReport | None

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)


def check_vault(path: Path, username: str, passphrase: str, *, state_dir: Path,
                clock: Clock, anchor: Path | None = None,
                anchor_password: str | None = None) -> CheckResult:
    """Run ``check`` (DESIGN §5): cipher integrity, SQLite integrity, foreign keys and the
    audit chain, after a WAL checkpoint.

    Needs only the user's slot, not a readable user table, so it also reports on a damaged
    vault (naming damaged pages). Raises :class:`WrongPassphrase` / :class:`Throttled` like
    :func:`unlock`.
    """
    path = failsafe.real_vault_path(Path(path))
    _require_files(path)
    ledger = _throttle(path, state_dir, clock)
    try:
        keys, key, _secret = _open_key(path, username, passphrase)
    except WrongPassphrase:
        ledger.record_failure(clock.now(), _known_user(path, username))
        raise
    try:
        conn = open_connection(path, key)
    except WrongKeyOrDamagedError as exc:
        raise VaultDamaged(failsafe.damaged_message(path)) from exc
    try:
        lines = integrity_checks(conn)
        chain: ChainReport | None = None
        try:
            chain = _verify_raw_chain(conn)
            detail = (f"({chain.count} events, head {chain.head[:16]})" if chain.ok else
                      f"first bad sequence number {chain.first_bad_seq} ({chain.reason})")
            lines.append(CheckLine("audit_chain", chain.ok, detail))
            lines.append(witness.check_line(witness.compare(path, key, keys.vault_id,
                                                            conn.execute)))
        except Exception as exc:  # a damaged audit table cannot be read at all
            lines.append(CheckLine("audit_chain", False, type(exc).__name__))
        lines.append(_grants_line(conn, keys))
        lines.extend(_anchor_lines(conn, keys, path, key, anchor, anchor_password))
    finally:
        conn.close()
    return CheckResult(tuple(lines), chain)


def _anchor_lines(conn: Any, keys: slots.KeySet, path: Path, key: bytes, anchor: Path | None,
                  password: str | None) -> list[CheckLine]:
    """Issue 11: the events' signatures, the witness beside the vault and ``anchor``."""
    found: list[CheckLine] = []
    try:
        found.append(anchors.signatures_line(conn.execute, keys))
        signed = anchors.witness_signature_line(conn.execute, keys, path, key)
        if signed is not None:
            found.append(signed)
        if anchor is not None:
            found.append(anchors.anchor_line(conn.execute, keys, anchor, password))
    except Exception as exc:  # a damaged table cannot be read at all
        found.append(CheckLine("audit_signatures", False, type(exc).__name__))
    return found


def _grants_line(conn: Any, keys: slots.KeySet) -> CheckLine:
    """``role_grants``: the root fingerprint, and any grant or account role that does not
    verify (issue 11)."""
    try:
        active = {str(r[0]): str(r[1]) for r in conn.execute(
            'SELECT username, role FROM "user" WHERE active = 1')}
        ok, detail = role_grants.chain_report(conn.execute, keys, active)
    except Exception as exc:  # a damaged table cannot be read at all
        return CheckLine("role_grants", False, type(exc).__name__)
    return CheckLine("role_grants", ok, detail)


def check_open(vs: VaultSession) -> CheckResult:
    """The checks of :func:`check_vault` on the open session, without asking for a
    passphrase again (the Users & settings screen): WAL checkpoint, ``cipher_integrity_check``,
    ``integrity_check``, ``foreign_key_check`` and the audit chain, in the same
    :class:`CheckResult` lines. Admin, auditor or coordinator (DESIGN §5 "Integrity"); any
    other role gets :class:`PermissionDenied`. Reads only: nothing is written or audited,
    like ``check``. A checkpoint held up by another connection of this program shows as a
    failed ``checkpoint`` line (the other checks still run on the file and its WAL).
    """
    vs.require(Role.ADMIN, Role.AUDITOR, Role.COORDINATOR)
    with vs.reading():
        conn = vs.db.raw()
        lines = integrity_checks(conn)
        chain: ChainReport | None = None
        try:
            chain = _verify_raw_chain(conn)
            detail = (f"({chain.count} events, head {chain.head[:16]})" if chain.ok else
                      f"first bad sequence number {chain.first_bad_seq} ({chain.reason})")
            lines.append(CheckLine("audit_chain", chain.ok, detail))
            lines.append(witness.check_line(witness.compare(vs.path, vs.db.key,
                                                            vs.keys.vault_id, conn.execute)))
        except Exception as exc:  # a damaged audit table cannot be read at all
            lines.append(CheckLine("audit_chain", False, type(exc).__name__))
        lines.append(_grants_line(conn, vs.keys))
        lines.extend(_anchor_lines(conn, vs.keys, vs.path, vs.db.key, None, None))
    return CheckResult(tuple(lines), chain)


def _verify_raw_chain(conn: Any) -> ChainReport:
    return verify(audit.chain_events(conn.execute))


# -- backup and restore ----------------------------------------------------------------------


def _table_counts(conn: Any) -> dict[str, int]:
    names = [
        r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'session_note_fts%' ORDER BY name"
        )
    ]
    return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


def _verify_copy(path: Path, key: bytes, expected: dict[str, int] | None) -> None:
    """Open a copy read-only and check integrity (and row counts when ``expected``)."""
    try:
        conn = open_connection(path, key, readonly=True)
    except WrongKeyOrDamagedError as exc:
        raise VaultDamaged(_("The copy does not open with its key.")) from exc
    try:
        bad = [line for line in integrity_checks(conn)
               if not line.ok and line.name != "checkpoint"]
        if bad:
            raise VaultDamaged(_("The copy failed its integrity check: {check}.").format(
                check=bad[0].name))
        if schema_version(conn) > CURRENT_VERSION:
            raise InvalidInput(_("The backup was written by a newer version."))
        if expected is not None and _table_counts(conn) != expected:
            raise VaultDamaged(_("The copy's row counts differ from the vault's."))
    finally:
        conn.close()


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


def backup(vs: VaultSession, out_dir: Path, keep: int | None = None) -> Path:
    """Back up the vault into ``out_dir`` and return the new database file's path.

    Writes ``counselor-YYYYMMDD-HHMMSS.db`` and its ``.keys`` (the key set as of now): the
    database goes through SQLite's backup API into a temporary file in ``out_dir`` (WAL
    content included), is verified (cipher and SQLite integrity, row count of every table),
    fsynced and renamed into place; then generations beyond ``keep`` (setting
    ``backup_keep``, default 10) of THIS vault are deleted, oldest first (other files and
    other vaults' backups in the folder are never touched). On any error the temporary file
    is removed, no target is left half-written and older backups are untouched
    (:class:`ServiceError`). Writes a ``backup`` audit event.
    """
    out_dir = Path(out_dir)
    if keep is None:
        keep = int(get_setting(vs, "backup_keep", 10))
    if keep < 1:
        raise InvalidInput(_("Keep at least one backup generation."))
    stamp = vs.now().strftime("%Y%m%d-%H%M%S")
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInput(_("{path} is not a folder: give a folder for the backups.").format(
            path=out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with failsafe.BackupFolderLock(out_dir):
            failsafe.remove_leftovers(out_dir)
            final, counts = _write_backup(vs, out_dir, stamp)
            _witness_backup(vs, final)
    except OSError as exc:
        raise ServiceError(
            _("The backup could not be written ({error}); nothing was replaced.").format(
                error=exc.strerror or type(exc).__name__)
        ) from exc
    _prune(out_dir, keep, vs.keys.vault_id, vs.path)
    with vs.transaction():
        audit.record(vs, "backup", "vault", "", {"file": final.name, "rows": sum(counts.values())})
    return final


def _write_backup(vs: VaultSession, out_dir: Path, stamp: str) -> tuple[Path, dict[str, int]]:
    """Copy, verify and rename the backup to a name not taken yet. The caller holds the
    folder's backup lock, so two backups of the same second get ``….db`` and ``…-2.db``
    rather than one overwriting the other."""
    tmp = out_dir / f".counselor-{stamp}.db.{secrets.token_hex(4)}.tmp"
    try:
        with vs.reading():
            conn = vs.db.raw()
            conn.execute("BEGIN")
            try:
                counts = _table_counts(conn)
                backup_to(conn, tmp, vs.db.key)
            finally:
                conn.execute("COMMIT")
        _verify_copy(tmp, vs.db.key, counts)
        fsync_path(tmp)
        n = 1
        final = out_dir / f"counselor-{stamp}.db"
        while final.exists() or slots.keys_path(final).exists():
            n += 1
            final = out_dir / f"counselor-{stamp}-{n}.db"
        slots.save(slots.keys_path(final), vs.keys)
        os.replace(tmp, final)
        fsync_path(out_dir)
    finally:
        for leftover in side_files(tmp):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return final, counts


def list_backups(out_dir: Path) -> list[Path]:
    """Backup database files in ``out_dir``, oldest first (by the time in the name)."""
    if not out_dir.is_dir():
        return []
    found = [p for p in out_dir.iterdir() if BACKUP_RE.match(p.name)]

    def order(p: Path) -> tuple[str, int]:
        m = BACKUP_RE.match(p.name)
        assert m is not None
        return m.group(1), int(m.group(2) or 1)

    return sorted(found, key=order)


def own_backups(out_dir: Path, vault_id: str, live: Path) -> list[Path]:
    """The backups in ``out_dir`` that belong to the vault ``vault_id``, oldest first: named
    like a backup, with a readable key-slot file of the same vault id, and never the live
    vault itself (a folder may hold other vaults' backups, or other files)."""
    found = []
    for candidate in list_backups(out_dir):
        if candidate.resolve() == live.resolve():
            continue
        try:
            if slots.load(slots.keys_path(candidate)).vault_id == vault_id:
                found.append(candidate)
        except slots.KeyFileError:
            continue
    return found


def _witness_backup(vs: VaultSession, final: Path) -> None:
    """``<backup>.witness``: the backup's last audit sequence number and head, signed by
    this account — an anchor kept outside the vault (``check --anchor``; issue 11), and the
    witness the vault gets back when the backup is restored."""
    conn = open_connection(final, vs.db.key, readonly=True)
    try:
        last = witness.tail(conn.execute)
    finally:
        conn.close()
    if last is not None:
        witness_files.write(final, vs.db.key, witness_files.Witness(vs.keys.vault_id, *last),
                            signer=witness.signer_of(vs))


def _prune(out_dir: Path, keep: int, vault_id: str, live: Path) -> None:
    for old in own_backups(out_dir, vault_id, live)[:-keep]:
        for f in (old, slots.keys_path(old), witness_files.witness_path(old)):
            with contextlib.suppress(FileNotFoundError):
                f.unlink()


def restore(
    path: Path,
    backup_file: Path,
    username: str,
    passphrase: str,
    *,
    clock: Clock,
    state_dir: Path,
) -> Path:
    """Replace the vault at ``path`` with ``backup_file`` after verifying it.

    The user's passphrase must open the backup's own key set (``backup_file.keys``). The
    backup is verified, copied beside the vault, verified again, then installed: the
    current vault files are kept as ``<path>.pre-restore-<time>`` (nothing is lost), the
    copy is renamed into place and its key set installed through ``<path>.keys.next``.
    Returns the path of the kept pre-restore copy. Writes a ``restore`` audit event into the
    restored vault.
    """
    path, backup_file = failsafe.real_vault_path(Path(path)), Path(backup_file)
    if not backup_file.is_file() or not slots.keys_path(backup_file).is_file():
        raise NotFound(_("No backup at {path} (the .db file and its .keys file are needed).")
                       .format(path=backup_file))
    if path.exists() and backup_file.resolve() == path.resolve():
        raise InvalidInput(_("{path} is the vault itself, not a backup: choose a backup file "
                             "(see 'counselor-tui backup').").format(path=backup_file))
    try:
        keys = slots.load(slots.keys_path(backup_file))
        slot = keys.user_slot(username)
        key = slots.open_slot(keys, slot, passphrase)
    except slots.KeySlotError as exc:
        raise WrongPassphrase(wrong_passphrase_message()) from exc
    if slot.role != Role.ADMIN.value:
        raise PermissionDenied(_("Only an admin may restore a backup."))
    try:
        current_id = slots.load(slots.keys_path(path)).vault_id
    except slots.KeyFileError:
        current_id = None  # no vault, or its key file is lost: nothing to mix up
    if current_id is not None and current_id != keys.vault_id:
        raise InvalidInput(_("This backup belongs to another vault: restore it to its own "
                             "path, or choose a backup of this vault."))
    _verify_copy(backup_file, key, None)
    lock = InUseLock(path)
    try:
        lock.exclusive()
    except VaultInUseError:
        raise Conflict(_("The vault is open (in the interface or another command): close it, "
                         "then restore.")) from None
    try:
        kept = _install_backup(path, backup_file, keys, key, clock)
    finally:
        lock.release()
    vs = unlock(path, username, passphrase, clock=clock, state_dir=state_dir, action="login")
    try:
        with vs.transaction():
            audit.record(vs, "restore", "vault", "", {"from": backup_file.name})
    finally:
        vs.close()
    return kept


def _install_backup(path: Path, backup_file: Path, keys: slots.KeySet, key: bytes,
                    clock: Clock) -> Path:
    """Copy, verify and rename the backup into place (the caller holds the vault alone)."""
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.parent / f".{path.name}.restore-{secrets.token_hex(4)}"
    kept = Path(f"{path}.pre-restore-{stamp}")
    try:
        shutil.copyfile(backup_file, tmp)
        os.chmod(tmp, 0o600)
        fsync_path(tmp)
        _verify_copy(tmp, key, None)
        slots.save(slots.next_keys_path(path), keys)
        if path.exists():
            for src in (*side_files(path), witness_files.witness_path(path),
                        witness_files.next_witness_path(path)):
                if src.exists():
                    os.replace(src, Path(str(src).replace(str(path), str(kept), 1)))
            if slots.keys_path(path).exists():
                slots.write_atomic(slots.keys_path(kept), slots.keys_path(path).read_bytes())
        if witness_files.witness_path(backup_file).exists():  # the backup's own witness
            slots.write_atomic(witness_files.witness_path(path),
                               witness_files.witness_path(backup_file).read_bytes())
        os.replace(tmp, path)
        os.replace(slots.next_keys_path(path), slots.keys_path(path))
        fsync_path(path.parent)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise ServiceError(
            _("The restore could not be written ({error}).").format(
                error=exc.strerror or type(exc).__name__)
        ) from exc
    return kept


# -- key rotation ----------------------------------------------------------------------------


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
    vs.require(Role.ADMIN)
    old_key = vs.db.key
    new_key = slots.new_data_key()
    with vs.reading():
        active = {u.username for u in User.select(User.username).where(User.active == True)}  # noqa: E712
    kept = [s for s in vs.keys.slots if s.kind == slots.RECOVERY or s.username in active]
    new_keys = slots.reseal_all(vs.keys, new_key, kept)
    pending = slots.next_keys_path(vs.path)
    try:
        vs.db.in_use.exclusive()
    except VaultInUseError:
        raise Conflict(_("The vault is open in another window or command: close it, then "
                         "rotate the key.")) from None
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
        if not _key_opens(vs.path, new_key) or _key_opens(vs.path, old_key):
            raise VaultError("verification after rekey failed")
        os.replace(pending, slots.keys_path(vs.path))
        fsync_path(vs.path.parent)
        crash_point("promoted")
    except BaseException as exc:
        with contextlib.suppress(Exception):
            if not vs.db.is_closed():
                vs.db.close()
        if _key_opens(vs.path, old_key):
            pending.unlink(missing_ok=True)
            witness_files.next_witness_path(vs.path).unlink(missing_ok=True)
            with contextlib.suppress(VaultInUseError):
                vs.db.in_use.shared()  # back from exclusive: others may open it again
            vs.db.hold()
        elif pending.exists() and _key_opens(vs.path, new_key):
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


# -- recovery --------------------------------------------------------------------------------


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
    _require_files(path)
    require_strong_passphrase(new_passphrase, username)
    ledger = _throttle(path, state_dir, clock)
    try:
        keys, key, old_secret = _open_key(path, None,
                                          slots.normalize_recovery_code(recovery_code))
    except WrongPassphrase:
        ledger.record_failure(clock.now(), slots.RECOVERY_USERNAME)
        raise
    user_private, code_private = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    db = VaultDatabase(path, key)
    try:
        with db.session():
            migrate(db.raw(), iso(clock.now()),
                    then=lambda c: sealing.seal_pending(c.execute, keys))
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
                                           private.public_key().public_bytes_raw(), at)
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
    vs = _start_session(path, keys, key, username, clock, state_dir, ledger, "login",
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

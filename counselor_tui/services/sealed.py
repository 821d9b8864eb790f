"""Sealed notes and the signing key as the services use them (issue 11, DESIGN §5).

:mod:`db.sealing` does the cryptography; this module decides who the readers are and uses
the session's own slot key (:attr:`VaultSession.secret`) to open what is sealed to it:

* a sealed session's text is wrapped to its author, every coordinator and the recovery
  slot when it is written; a reader opens it with their slot key, nobody else can (the data
  key alone does not);
* the signing key is wrapped to coordinators, admins (to hand it to a new coordinator) and
  the recovery slot; a counselor's or auditor's passphrase cannot sign a package;
* :func:`grant` lets a coordinator give a new (or reset) coordinator or counselor wrapped
  copies of what they may read; :func:`share_signing_key` gives a new coordinator the
  signing key; ``rekey`` removes the wraps of accounts that no longer have a slot.

Every function runs inside the caller's ``reading``/``transaction`` unless it says so.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import anchors, audit, role_grants
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import NotFound, PermissionDenied
from db import grants, sealing
from db import vault as slots
from db.sealing import NOTE, SIGNING_KEY, SealedNote, SealError


def _not_a_reader() -> PermissionDenied:
    return PermissionDenied(_(
        "Your account does not hold the key of this sealed note: a coordinator can grant it "
        "to you ('counselor-tui users grant-sealed')."))


def _author(vs: VaultSession, session_id: int) -> str:
    row = vs.execute("SELECT u.username FROM counseling_session s JOIN user u ON "
                     "u.id = s.counselor_id WHERE s.id = ?", (session_id,)).fetchone()
    if row is None:
        raise NotFound(_("No such session, or not visible to your account."))
    return str(row[0])


def current_keys(vs: VaultSession) -> slots.KeySet:
    """The key set as it is on disk now (accounts added by another window since this
    session was unlocked count as readers too); the session's own when the file cannot be
    read or belongs to another vault."""
    try:
        keys = slots.load(slots.keys_path(vs.path))
    except slots.KeySlotError:
        return vs.keys
    return keys if keys.vault_id == vs.keys.vault_id else vs.keys


def _backed(vs: VaultSession, keys: slots.KeySet) -> Callable[[slots.Slot], bool]:
    """Which slots may be readers: backed by a counted role grant and of an active account
    (never merely named in the key-slot file, which the data key lets anyone edit)."""
    active = {str(r[0]) for r in vs.execute('SELECT username FROM "user" WHERE active = 1')}
    return role_grants.slot_filter(vs.execute, keys, active)


def note_key(vs: VaultSession, session_id: int) -> bytes | None:
    """This account's opened note key of a sealed session, None when it holds none."""
    try:
        return sealing.open_secret(vs.execute, vs.keys.vault_id, NOTE, session_id, vs.secret)
    except SealError:
        return None


def store(vs: VaultSession, session_id: int, note: str, intervention: str) -> None:
    """Write a sealed session's text (inside a transaction): a new sealed session gets a
    fresh note key wrapped to its readers; an already sealed one keeps its key, which the
    actor must hold (:class:`PermissionDenied` otherwise)."""
    exists = vs.execute("SELECT 1 FROM sealed_text WHERE kind = ? AND ref_id = ?",
                        (sealing.SESSION_TEXT, session_id)).fetchone() is not None
    key = note_key(vs, session_id) if exists else secrets.token_bytes(32)
    if key is None:
        raise _not_a_reader()
    keys = current_keys(vs)
    readers = sealing.note_readers(keys, _author(vs, session_id), _backed(vs, keys))
    sealing.seal_session(vs.execute, vs.keys.vault_id, session_id, key, note, intervention,
                         readers)


def current_text(vs: VaultSession, session_id: int) -> SealedNote:
    """The opened text of a sealed session; :class:`PermissionDenied` when the actor holds
    no key for it."""
    key = note_key(vs, session_id)
    if key is None:
        raise _not_a_reader()
    try:
        return sealing.open_session(vs.execute, vs.keys.vault_id, session_id, key)
    except SealError:
        raise _not_a_reader() from None


def unseal(vs: VaultSession, session_id: int) -> SealedNote:
    """Turn a sealed session back into plain storage (its author or a coordinator who
    holds the key); returns its text for the caller to write into the row."""
    key = note_key(vs, session_id)
    if key is None:
        raise _not_a_reader()
    return sealing.unseal_session(vs.execute, vs.keys.vault_id, session_id, key)


def add_addendum_text(vs: VaultSession, session_id: int, addendum_id: int, text: str) -> None:
    """Store an addendum of a sealed session under the session's note key."""
    key = note_key(vs, session_id)
    if key is None:
        raise _not_a_reader()
    sealing.put_text(vs.execute, key, vs.keys.vault_id, sealing.ADDENDUM_TEXT, addendum_id,
                     text.encode())


def opened(vs: VaultSession, session_ids: list[int]) -> dict[int, SealedNote]:
    """The sealed sessions among ``session_ids`` that this account can open, opened."""
    found: dict[int, SealedNote] = {}
    for ref_id, wrapped in sealing.readable(vs.execute, NOTE, vs.secret, session_ids):
        try:
            key = sealing.unwrap(vs.keys.vault_id, NOTE, ref_id, wrapped, vs.secret)
            found[ref_id] = sealing.open_session(vs.execute, vs.keys.vault_id, ref_id, key)
        except SealError:
            continue
    return found


def search(vs: VaultSession, needle: str) -> list[int]:
    """Ids of the sealed sessions this account can open whose note, intervention or an
    addendum contains ``needle`` (Latin case ignored). Sealed notes are not in the shared
    full-text index, so this opens each one held (a reader's own, a few hundred at most)."""
    low = needle.lower()
    hits = []
    for ref_id, wrapped in sealing.readable(vs.execute, NOTE, vs.secret):
        try:
            key = sealing.unwrap(vs.keys.vault_id, NOTE, ref_id, wrapped, vs.secret)
            text = sealing.open_session(vs.execute, vs.keys.vault_id, ref_id, key)
        except SealError:
            continue
        if low in text.note.lower() or any(low in a.lower() for a in text.addenda.values()):
            hits.append(ref_id)
    return hits


def seal_pending(vs: VaultSession) -> tuple[int, int]:
    """Encrypt to their readers the sealed sessions a bulk writer (the demo) stored plain,
    in one transaction; returns ``(sessions, signing keys)`` sealed
    (:func:`db.sealing.seal_pending`)."""
    with vs.transaction():
        keys = current_keys(vs)
        return sealing.seal_pending(vs.execute, keys, _backed(vs, keys))


# -- the signing key ---------------------------------------------------------------------


def signing_private_key(vs: VaultSession, key_id: int) -> bytes:
    """The raw Ed25519 private key of signing key ``key_id``, opened with this account's
    slot key, once the key is vouched for (:func:`anchors.signing_key_vouch`: created by
    an admin or coordinator, per the signed audit log) and its private half matches the
    stored public key. Raises :class:`PermissionDenied` when the account does not hold it
    or the key is not vouched for (a key planted with the data key alone: nothing is
    signed with it)."""
    row = _vouched(vs, key_id)
    try:
        raw = sealing.open_secret(vs.execute, vs.keys.vault_id, SIGNING_KEY, key_id,
                                  vs.secret)
    except SealError:
        raise PermissionDenied(_(
            "Your account does not hold the bureau's signing key: only coordinators sign "
            "packages. An admin gives it to a new coordinator when creating the account.")
        ) from None
    try:
        public = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw()
    except ValueError:
        public = b""
    if public != row[1]:
        raise _unvouched(str(row[0]))
    return raw


def vouched_fingerprint(vs: VaultSession, key_id: int) -> str:
    """The fingerprint of signing key ``key_id`` (what the receiving office is given),
    once it is vouched for (see :func:`signing_private_key`); raises
    :class:`PermissionDenied` otherwise. Opens its own read transaction."""
    with vs.reading():
        return str(_vouched(vs, key_id)[0])


def _vouched(vs: VaultSession, key_id: int) -> tuple[str, bytes]:
    row = vs.execute("SELECT fingerprint, public_key FROM signing_key WHERE id = ?",
                     (key_id,)).fetchone()
    if row is None:
        raise NotFound(_("This vault has no signing key."))
    state = grants.verify_chain(grants.load(vs.execute), vs.keys.vault_id)
    if anchors.signing_key_vouch(vs.execute, state, str(row[0]), row[1]):
        raise _unvouched(str(row[0]))
    return str(row[0]), bytes(row[1])


def _unvouched(fingerprint: str) -> PermissionDenied:
    return PermissionDenied(_(
        "The vault's active signing key ({fingerprint}) was not created by an admin or "
        "coordinator of this vault (its creation is not in the signed audit log): it may "
        "have been planted, so nothing was signed with it. Run 'counselor-tui check' and "
        "have an admin restore the vault from a backup made before this key appeared."
    ).format(fingerprint=fingerprint[:16]))


def share_signing_key(vs: VaultSession, username: str, public_key: bytes) -> int:
    """Wrap every signing key this account holds for the slot key ``public_key`` of
    ``username`` (a new coordinator or admin; inside a transaction); returns how many were
    added (0 when the actor holds none)."""
    to = [sealing.Recipient(username, public_key)]
    added = 0
    for ref_id, wrapped in sealing.readable(vs.execute, SIGNING_KEY, vs.secret):
        try:
            secret = sealing.unwrap(vs.keys.vault_id, SIGNING_KEY, ref_id, wrapped, vs.secret)
        except SealError:
            continue
        added += sealing.put_wraps(vs.execute, vs.keys.vault_id, SIGNING_KEY, ref_id, secret, to)
    return added


@dataclass(frozen=True)
class GrantResult:
    """What :func:`grant` gave: sealed notes and signing keys newly wrapped."""

    notes: int
    signing_keys: int


def grant(vs: VaultSession, username: str) -> GrantResult:
    """A coordinator gives ``username`` wrapped copies of what their role may read and the
    coordinator holds: every sealed note for a coordinator (and the signing key), the
    notes they wrote for a counselor. Used for a new coordinator and after a passphrase
    reset by an admin (a new slot key). Audited ``grant sealed``.

    Raises :class:`PermissionDenied` unless the actor is a coordinator, :class:`NotFound`
    for an account without a slot.
    """
    vs.require(Role.COORDINATOR)
    with vs.transaction():
        row = vs.execute('SELECT id, role, active FROM "user" WHERE username = ?',
                         (username,)).fetchone()
        try:
            slot = vs.keys.user_slot(username)
        except slots.NoSuchSlotError:
            slot = None
        if row is None or not row[2] or slot is None:
            raise NotFound(_("No active account named {user}.").format(user=username))
        user_id, role = int(row[0]), str(row[1])
        to = [sealing.Recipient(slot.username, slot.public_key)]
        if role == Role.COORDINATOR.value:
            mine = sealing.readable(vs.execute, NOTE, vs.secret)
        elif role == Role.COUNSELOR.value:
            own = {int(r[0]) for r in vs.execute(
                "SELECT id FROM counseling_session WHERE counselor_id = ? AND sealed = 1",
                (user_id,))}
            mine = [(i, w) for i, w in sealing.readable(vs.execute, NOTE, vs.secret)
                    if i in own]
        else:
            mine = []
        notes = 0
        for ref_id, wrapped in mine:
            try:
                key = sealing.unwrap(vs.keys.vault_id, NOTE, ref_id, wrapped, vs.secret)
            except SealError:
                continue
            notes += sealing.put_wraps(vs.execute, vs.keys.vault_id, NOTE, ref_id, key, to)
        signing = (share_signing_key(vs, username, slot.public_key)
                   if role in (Role.COORDINATOR.value, Role.ADMIN.value) else 0)
        audit.record(vs, "grant", "sealed", user_id, {"notes": notes, "signing_keys": signing})
    return GrantResult(notes, signing)

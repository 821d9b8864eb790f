"""Signed role grants as the services use them (issue 11; :mod:`db.grants` does the crypto).

* A new vault: the creator's self-signed root grant and a grant for the recovery slot
  (:func:`start_chain`); the root fingerprint is shown with the recovery code.
* A new account, a passphrase reset by an admin, a recovery: the acting admin (or the
  recovery slot) signs a grant for the new slot (:func:`grant_slot`).
* Unlock: the account's role must be what its counted grant gives this very slot
  (:func:`verify_unlock`); a role written into the database or a self-sealed slot has no
  such grant and is refused with a clear message.
* An old vault: the first admin to unlock it becomes the root and signs grants for the
  accounts whose slot and database agree on the role (:func:`bootstrap`), in the upgrade
  transaction; until then the old rules apply (see ``docs/threat-model.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.i18n import _
from counselor_tui.services.errors import PermissionDenied
from db import audit_sign, grants, sealing
from db import vault as slots
from db.grants import Execute, GrantError

ADMIN = "admin"
#: A fingerprint as people compare it (16 groups of 4 hex digits).
show_fingerprint = grants.show_fingerprint


def refused(reason: str) -> PermissionDenied:
    """The message of an unlock refused for want of a valid grant (``reason`` a code)."""
    if reason == "root_changed":
        return PermissionDenied(_(
            "The vault's chain of role grants no longer starts at the key this account was "
            "set up with: the vault may have been tampered with. Do not use it; run "
            "'counselor-tui check' and compare the root fingerprint with the one printed "
            "at init."))
    if reason == "revocation_removed":
        return PermissionDenied(_(
            "The vault's role grants were altered: the revocation of a disabled account's "
            "grants was removed. Do not use the vault; run 'counselor-tui check' and restore "
            "it from a backup."))
    return PermissionDenied(_(
        "This account's role has no valid grant signed by an admin ({reason}): it was "
        "changed outside the program. Ask an admin to check the account; run "
        "'counselor-tui check'.").format(reason=reason))


def root_for(admin_key: Ed25519PrivateKey) -> str:
    """The root fingerprint a new vault will have when ``admin_key`` signs its root grant."""
    return grants.fingerprint(grants.public_hex(admin_key))


def start_chain(execute: Execute, keys: slots.KeySet, admin: str,
                admin_key: Ed25519PrivateKey, at: str) -> str:
    """A new vault's grants: the creator's root (self-signed, admin) and the recovery slot
    (admin), each account key stored sealed to its slot. Returns the root fingerprint."""
    slot = keys.user_slot(admin)
    sealing.put_wraps(execute, keys.vault_id, sealing.ACCOUNT_KEY, 0,
                      admin_key.private_bytes_raw(), [sealing.Recipient(admin, slot.public_key)])
    pub = grants.public_hex(admin_key)
    grants.issue(execute, keys.vault_id, admin_key, admin, admin, ADMIN, slot.public_key, pub, at,
                 audit_from=1)
    recovery = keys.recovery_slot()
    rec_key = grants.new_account_key(execute, keys.vault_id, recovery.username,
                                     recovery.public_key)
    grants.issue(execute, keys.vault_id, admin_key, admin, recovery.username, ADMIN,
                 recovery.public_key, grants.public_hex(rec_key), at)
    return grants.fingerprint(pub)


def current_root(execute: Execute, vault_id: str) -> str:
    """The fingerprint of the chain's root ("" for an old vault without grants yet)."""
    return grants.verify_chain(grants.load(execute), vault_id).root


def grant_slot(execute: Execute, vault_id: str, grantor: str, grantor_secret: bytes,
               username: str, role: str, slot_public: bytes, at: str,
               bound_root: str = "") -> None:
    """The grantor (an admin, or the recovery slot) signs a grant of ``role`` for the new
    slot (X25519 public key ``slot_public``) of ``username``, whose account key is made here
    and sealed to that slot. ``bound_root`` is :func:`db.grants.bound_root` of the key set:
    once slots are bound, a missing grant chain is refused, never skipped.
    Raises :class:`PermissionDenied` when the grantor holds no account key (an account of
    an old vault before its first admin unlock)."""
    try:
        signer = grants.open_account_key(execute, vault_id, grantor_secret)
    except GrantError:
        if (not grants.verify_chain(grants.load(execute), vault_id).root
                and not bound_root):
            return  # an old vault without grants yet: the first admin unlock signs them
        raise refused("no_key") from None
    key = grants.new_account_key(execute, vault_id, username, slot_public)
    grants.issue(execute, vault_id, signer, grantor, username, role, slot_public,
                 grants.public_hex(key), at)


def revoke(execute: Execute, vault_id: str, grantor: str,
           grantor_key: Ed25519PrivateKey | None, username: str, at: str) -> int:
    """Revoke every counted grant of ``username`` (an account being disabled): the acting
    admin signs, for each of its slots, a later grant of role :data:`db.grants.REVOKED`
    (same slot and account key, so its old audit events still verify). A saved copy of a
    departed account's slot and account key, put back by someone holding the data key, is
    then refused at unlock, and a departed admin's key no longer signs grants that count.
    Returns how many grants were revoked (0 for an old vault without grants yet)."""
    if grantor_key is None:
        return 0
    state = grants.verify_chain(grants.load(execute), vault_id)
    mine = [(slot, g) for (user, slot), g in state.current.items()
            if user == username and g.role != grants.REVOKED]
    for slot, grant in mine:
        grants.issue(execute, vault_id, grantor_key, grantor, username, grants.REVOKED,
                     bytes.fromhex(slot), grant.account_key, at)
    return len(mine)


def disabled_accounts(execute: Execute, state: grants.ChainState) -> dict[str, bool]:
    """Accounts that a ``disable user`` audit event says were disabled, counting only
    events whose content matches their hash and which are signed by an account holding a
    counted admin grant (so nobody can forge one). The name comes from the event's
    ``user`` detail (written since this check exists) or, for older events, the account
    row of its id. Maps each name to whether the event says its grants were revoked
    (:func:`revoke`, written since this check exists): such an account with a grant that
    is not revoked means a revocation was deleted (:func:`revocation_removed`). A
    revocation grant deleted from ``role_grant`` and the account set active again in the
    database therefore do not bring a departed account back; removing the event itself
    breaks the chain or, at its tail, shows against the anchors."""
    found: dict[str, bool] = {}
    for seq, at, user, entity_id, detail, prev, digest, signer, sig in execute(
            "SELECT seq, at, user, entity_id, detail, prev_hash, hash, signer, sig FROM "
            "audit_event WHERE action = 'disable' AND entity = 'user'"):
        try:
            body = json.loads(detail) if detail else {}
            intact = event_hash(str(prev), int(seq), str(at), str(user), "disable", "user",
                                str(entity_id), body) == str(digest)
            message = audit_sign.event_message(int(seq), str(digest), str(user))
        except (ValueError, TypeError):
            continue
        admin = any(g.username == user and g.role == ADMIN for g in state.counted)
        if (not intact or not admin or signer != user or sig is None
                or not any(audit_sign.verifies(k, bytes(sig), message)
                           for k in state.keys_of(str(user)))):
            continue
        name = body.get("user") if isinstance(body, dict) else None
        if not name:
            row = execute('SELECT username FROM "user" WHERE id = ?', (entity_id,)).fetchone()
            name = row[0] if row else None
        if name:
            revoked = isinstance(body, dict) and bool(body.get("grants_revoked"))
            found[str(name)] = found.get(str(name), False) or revoked
    return found


def revocation_removed(state: grants.ChainState, disabled: dict[str, bool]) -> list[str]:
    """Accounts whose disable revoked their grants, yet a grant of theirs counts again:
    the revocation was deleted from ``role_grant`` (tampering; a departed admin's key
    would sign grants again)."""
    return sorted({u for (u, _slot), g in state.current.items()
                   if disabled.get(u) and g.role != grants.REVOKED})


@dataclass(frozen=True)
class UnlockGrant:
    """Outcome of :func:`verify_unlock`: the chain's root fingerprint (empty for an old
    vault not yet upgraded) and whether this unlock signed the first grants."""

    root: str
    bootstrapped: bool = False


def verify_unlock(execute: Execute, keys: slots.KeySet, username: str, role: str,
                  secret: bytes, at: str, *, active: dict[str, str]) -> UnlockGrant:
    """Check ``username``'s role against the grant chain (inside the unlock's first
    transaction). ``active`` maps every active account to its stored role. Raises the
    :func:`refused` error when the role has no valid grant for this slot and key."""
    slot = keys.user_slot(username)
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    if not state.root:
        if grants.bound_root(keys.slots):
            # the slots were bound to a root, so the grants existed: they were removed or
            # damaged (never re-signed silently: that would bless whatever the DB says now)
            raise refused("root_changed")
        if role != ADMIN:
            return UnlockGrant("")
        return UnlockGrant(bootstrap(execute, keys, username, at, active), True)
    try:
        mine = grants.open_account_key(execute, keys.vault_id, secret)
        grants.check_account(state, username, role, slot.public_key, grants.public_hex(mine),
                             slot.root)
        disabled = disabled_accounts(execute, state)
        if revocation_removed(state, disabled):
            raise GrantError("revocation_removed")
        if username in disabled:
            raise GrantError("disabled")
    except GrantError as exc:
        raise refused(exc.reason) from None
    return UnlockGrant(state.root)


def account_key_of(execute: Execute, keys: slots.KeySet,
                   secret: bytes) -> Ed25519PrivateKey | None:
    """The account key sealed to the slot of ``secret``; None for an old vault's account
    before its grants exist (its events are then not signed)."""
    try:
        return grants.open_account_key(execute, keys.vault_id, secret)
    except GrantError:
        return None


def bootstrap(execute: Execute, keys: slots.KeySet, admin: str, at: str,
              active: dict[str, str]) -> str:
    """Upgrade an old vault's roles: ``admin`` (unlocking now) becomes the root and signs
    a grant for every other active account whose slot and database agree on the role, and
    for the recovery slot. Returns the root fingerprint."""
    slot = keys.user_slot(admin)
    root_key = grants.new_account_key(execute, keys.vault_id, admin, slot.public_key)
    pub = grants.public_hex(root_key)
    first_signed = int(execute("SELECT COALESCE(MAX(seq), 0) FROM audit_event").fetchone()[0]) + 1
    grants.issue(execute, keys.vault_id, root_key, admin, admin, ADMIN, slot.public_key, pub, at,
                 audit_from=first_signed)
    for other in keys.slots:
        if other.username == admin:
            continue
        if other.kind == slots.USER and active.get(other.username) != other.role:
            continue  # disabled, or slot and database disagree: no grant
        key = grants.new_account_key(execute, keys.vault_id, other.username, other.public_key)
        grants.issue(execute, keys.vault_id, root_key, admin, other.username, other.role,
                     other.public_key, grants.public_hex(key), at)
    return grants.fingerprint(pub)


def slot_filter(execute: Execute, keys: slots.KeySet,
                active: set[str] | None = None) -> Callable[[slots.Slot], bool]:
    """A test for :func:`db.sealing.recipients` and ``rekey``: a slot counts when its role
    is backed by a counted grant (:func:`db.grants.slot_backed`) and, for a user slot, when
    the account is in ``active`` (when given). Extra slots added to the key-slot file by
    someone who holds the data key (a phantom coordinator, a second recovery slot) fail."""
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    disabled = disabled_accounts(execute, state)

    def allowed(slot: slots.Slot) -> bool:
        if slot.kind == slots.USER and active is not None and slot.username not in active:
            return False
        return slot.username not in disabled and grants.slot_backed(state, slot)
    return allowed


def chain_report(execute: Execute, keys: slots.KeySet,
                 active: dict[str, str]) -> tuple[bool, str]:
    """``(ok, detail)`` for ``check``: the root fingerprint, grants not counted, and
    active accounts whose role or slot has no counted grant."""
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    if not state.root:
        pinned = grants.bound_root(keys.slots)
        if pinned:
            return False, (f"no valid grants, but the key slots are bound to root "
                           f"{grants.show_fingerprint(pinned)}: the grants were removed or "
                           "damaged (tampering)")
        return True, "no grants yet (an admin's next unlock signs them)"
    bad = []
    recoveries = 0
    for slot in keys.slots:
        if slot.kind == slots.RECOVERY:
            recoveries += 1
        role = active.get(slot.username) if slot.kind == slots.USER else None
        if role is None:  # the recovery slot, a disabled account or a name the vault lacks
            if not grants.slot_backed(state, slot) or recoveries > 1:
                bad.append(f"{slot.username}: slot without a grant")
            continue
        try:
            grants.check_account(state, slot.username, role, slot.public_key, None, slot.root)
            if role != slot.role:
                raise GrantError("role_mismatch")
        except GrantError as exc:
            bad.append(f"{slot.username}: {exc.reason}")
    for name in revocation_removed(state, disabled_accounts(execute, state)):
        bad.append(f"{name}: disabled, but the revocation of their grants was removed "
                   "(tampering)")
    detail = f"root {grants.show_fingerprint(state.root)}"
    if state.rejected:
        detail += f"; grants not counted: {', '.join(map(str, state.rejected))}"
    if bad:
        detail += "; " + "; ".join(bad)
    return not bad and not state.rejected, detail

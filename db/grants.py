"""Role grants signed by an admin's key, chaining back to the vault creator's key (issue 11).

Each account has an Ed25519 *account key* (``cryptography``), kept sealed to its key slot
(HPKE to the slot's X25519 public key, :mod:`db.sealing` kind ``account_key``), so it opens
only with the slot's passphrase. It is made by whoever makes the slot (the account's
creator, a recovery, or the upgrade of an old vault) and bound by the grant. A *grant*
says "account U, whose slot has X25519 public key P and account key A, has role R"; it is
signed by the account key of an admin (the grantor). The first
grant of a vault is the creator's own, self-signed: the *trust root*. Its fingerprint
(SHA-256 of the root public key) is printed at ``init`` with the recovery code, shown by
``check`` and bound into every key slot made since (:attr:`db.vault.Slot.root`, part of the
associated data of the slot's private key), so replacing the whole chain breaks every
slot that has seen the real root.

Grants are kept in the ``role_grant`` table, in order (``seq``). :func:`verify_chain`
walks them: a grant counts when its signature verifies and its grantor held a counted
admin grant at that point (or it is the root); a later grant of the same account *and
slot* replaces the earlier one. A new slot (reset, recovery) gets its own grant, so a
crash between writing the grant and the new key-slot file leaves the old slot working.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from db import sealing
from db.vault import RECOVERY, RECOVERY_USERNAME, Slot

Execute = Callable[..., Any]
ADMIN = "admin"
#: The role of a grant that withdraws an account's slot (the account was disabled).
REVOKED = "revoked"


class GrantError(Exception):
    """An account's role has no valid grant; ``reason`` is a short code (no secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_account_key(execute: Execute, vault_id: str, username: str,
                    slot_public: bytes) -> Ed25519PrivateKey:
    """Make an account key for the slot with X25519 public key ``slot_public`` and store
    it sealed to that slot; returns it (to sign the slot's grant with its public half)."""
    private = Ed25519PrivateKey.generate()
    sealing.put_wraps(execute, vault_id, sealing.ACCOUNT_KEY, 0, private.private_bytes_raw(),
                      [sealing.Recipient(username, slot_public)])
    return private


def open_account_key(execute: Execute, vault_id: str, secret_raw: bytes) -> Ed25519PrivateKey:
    """The account key sealed to the slot whose raw X25519 private key is ``secret_raw``;
    raises :class:`GrantError` (``no_key``) when there is none or it does not open."""
    try:
        raw = sealing.open_secret(execute, vault_id, sealing.ACCOUNT_KEY, 0, secret_raw)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (sealing.SealError, ValueError):
        raise GrantError("no_key") from None


def public_hex(private: Ed25519PrivateKey) -> str:
    """Hex of the raw 32-byte public key."""
    return private.public_key().public_bytes_raw().hex()


def fingerprint(public_hex_: str) -> str:
    """SHA-256 of a raw public key (given as hex), lower-case hex (64 characters)."""
    return hashlib.sha256(bytes.fromhex(public_hex_)).hexdigest()


def show_fingerprint(fpr: str) -> str:
    """A fingerprint as people compare it: 16 groups of 4, e.g. ``3f2a 91c0 …``."""
    return " ".join(fpr[i:i + 4] for i in range(0, len(fpr), 4))


@dataclass(frozen=True)
class Grant:
    """One signed grant (see the module docstring); keys are hex, ``at`` ISO time."""

    seq: int
    username: str
    role: str
    slot_public: str
    account_key: str
    granted_by: str
    grantor_key: str
    at: str
    signature: bytes = field(repr=False)
    audit_from: int = 0

    def body(self, vault_id: str) -> bytes:
        """The canonical bytes the signature covers."""
        data = {"v": vault_id, "seq": self.seq, "user": self.username, "role": self.role,
                "slot": self.slot_public, "key": self.account_key, "by": self.granted_by,
                "by_key": self.grantor_key, "at": self.at, "audit_from": self.audit_from}
        return json.dumps(data, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()

    def verifies(self, vault_id: str) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.grantor_key)).verify(
                self.signature, self.body(vault_id))
        except (InvalidSignature, ValueError):
            return False
        return True


def _int(value: Any) -> int:
    return value if isinstance(value, int) else -1


def load(execute: Execute) -> list[Grant]:
    """Every stored grant in ``seq`` order. A row edited to the wrong types (a text
    signature, a text number) is loaded with an empty signature (or ``seq`` -1), so
    :func:`verify_chain` does not count it and ``check`` names it, instead of failing."""
    found = []
    for r in execute("SELECT seq, username, role, slot_public, account_key, granted_by, "
                     "grantor_key, at, signature, audit_from FROM role_grant ORDER BY seq"):
        signature = bytes(r[8]) if isinstance(r[8], (bytes, memoryview)) else b""
        found.append(Grant(_int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                           str(r[6]), str(r[7]), signature, max(_int(r[9]), 0)))
    return found


def bound_root(slots: Iterable[Slot]) -> str:
    """The trust-root fingerprint the key slots are bound to ("" when none is: an old
    vault before its first admin unlock). Once one is, grants can no longer be missing:
    an empty ``role_grant`` table is tampering, not an old vault."""
    return next((s.root for s in slots if s.root), "")


def issue(execute: Execute, vault_id: str, grantor: Ed25519PrivateKey, granted_by: str,
          username: str, role: str, slot_public: bytes, account_public: str, at: str,
          audit_from: int = 0) -> Grant:
    """Sign and store a grant (the next ``seq``); returns it. Whether the grantor may
    grant is decided by :func:`verify_chain` when the grant is used. ``audit_from`` (the
    root grant only) is the first audit sequence number that must carry a signature."""
    row = execute("SELECT COALESCE(MAX(seq), 0) FROM role_grant").fetchone()
    unsigned = Grant(int(row[0]) + 1, username, role, slot_public.hex(), account_public,
                     granted_by, public_hex(grantor), at, b"", audit_from)
    grant = Grant(**{**unsigned.__dict__, "signature": grantor.sign(unsigned.body(vault_id))})
    execute("INSERT INTO role_grant(seq, username, role, slot_public, account_key, "
            "granted_by, grantor_key, at, signature, audit_from) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (grant.seq, grant.username, grant.role, grant.slot_public, grant.account_key,
             grant.granted_by, grant.grantor_key, grant.at, grant.signature, grant.audit_from))
    return grant


@dataclass(frozen=True)
class ChainState:
    """Result of :func:`verify_chain`: the root fingerprint (empty without grants), the
    counted grant of each ``(account, slot public key hex)``, and the ``seq`` of every
    grant that did not count."""

    root: str
    current: dict[tuple[str, str], Grant]
    rejected: tuple[int, ...]
    audit_from: int = 0
    counted: tuple[Grant, ...] = ()

    def keys_of(self, username: str) -> set[str]:
        """Every account key (hex) a counted grant ever gave ``username`` (old slots too:
        their audit events stay verifiable after a reset or recovery)."""
        return {g.account_key for g in self.counted if g.username == username}

    def admin_key_of(self, username: str, key_hex: str) -> bool:
        """True when ``key_hex`` is the account key of a counted admin grant of ``username``."""
        return any(g.username == username and g.account_key == key_hex and g.role == ADMIN
                   for g in self.current.values())


def verify_chain(grants: Iterable[Grant], vault_id: str) -> ChainState:
    """Walk the grants in order (see the module docstring)."""
    state = ChainState("", {}, ())
    rejected: list[int] = []
    counted: list[Grant] = []
    for grant in grants:
        if not state.root:
            self_signed = (grant.granted_by == grant.username and grant.role == ADMIN
                           and grant.grantor_key == grant.account_key)
            if self_signed and grant.verifies(vault_id):
                state = ChainState(fingerprint(grant.account_key), state.current, (),
                                   grant.audit_from)
                state.current[(grant.username, grant.slot_public)] = grant
                counted.append(grant)
            else:
                rejected.append(grant.seq)
            continue
        if (not state.admin_key_of(grant.granted_by, grant.grantor_key)
                or not grant.verifies(vault_id)):
            rejected.append(grant.seq)
            continue
        state.current[(grant.username, grant.slot_public)] = grant
        counted.append(grant)
    return ChainState(state.root, state.current, tuple(rejected), state.audit_from,
                      tuple(counted))


def check_account(state: ChainState, username: str, role: str, slot_public: bytes,
                  account_public: str | None, pinned_root: str) -> None:
    """Raise :class:`GrantError` unless ``username``'s counted grant gives ``role`` to this
    very slot (public key) and account key (when known), and the chain's root is the one
    the slot was bound to (``pinned_root``, when the slot has one)."""
    if not state.root:
        raise GrantError("no_root")
    if pinned_root and pinned_root != state.root:
        raise GrantError("root_changed")
    grant = state.current.get((username, slot_public.hex()))
    if grant is None:
        raise GrantError("no_grant")
    if grant.role != role:
        raise GrantError("role_mismatch")
    if account_public is not None and grant.account_key != account_public:
        raise GrantError("key_mismatch")


def slot_backed(state: ChainState, slot: Slot) -> bool:
    """True when ``slot`` may receive sealed secrets (note keys, the signing key) or be
    kept by ``rekey``: once the chain has a root, the slot's ``(username, public key)`` must
    have a counted grant of the very role the slot names (the recovery slot: the grant made
    at ``init``, by a recovery or by the upgrade, and only under the name ``*recovery*``).
    Without a root (an old vault before its first admin unlock) every user slot and the
    ``*recovery*`` slot count, as before issue 11. Roles written in the key-slot file are
    never trusted alone: anyone with the data key can add a slot there."""
    if slot.kind == RECOVERY and slot.username != RECOVERY_USERNAME:
        return False
    if not state.root:
        return True
    grant = state.current.get((slot.username, slot.public_key.hex()))
    return grant is not None and grant.role == slot.role

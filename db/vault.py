"""Key slots: the vault's data key, wrapped once per user and once for the recovery code.

The key-slot file ``<vault>.keys`` sits beside the database (JSON, written atomically,
mode 0600). Each slot holds (DESIGN §5):

* Argon2id parameters and salt (argon2-cffi; RFC 9106), chosen per slot at creation so that
  one derivation takes about ``target_seconds`` on this machine and never less than 64 MiB
  and 2 passes;
* the slot's X25519 private key, encrypted with AES-256-GCM (``cryptography``) under the key
  derived from the passphrase; the slot's identity (vault id, slot id, kind, username) is the
  associated data;
* the data key sealed to the slot's X25519 public key with HPKE (RFC 9180, suite
  DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, from ``cryptography``); the slot's
  identity *and role* and the data-key id are the HPKE ``info``, so editing a username or a
  role in the file breaks the slot.

Sealing to a public key lets ``rekey`` rewrap every remaining slot without knowing anyone's
passphrase, while a removed slot cannot open the new key; a password change rewraps one
slot's private key only.

Crash safety: a rotation or restore first writes the next key set as ``<vault>.keys.next``;
:func:`resolve_key_set` (run at every unlock) keeps exactly one working set: the current one
if it opens the database, else the next one, which is then promoted.

Nothing here prints or logs; exceptions never carry passphrases or key material.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import secrets
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from db.connection import KEY_BYTES, fsync_path

FORMAT = "counselor-tui-keys"
FORMAT_VERSION = 1
MIN_MEMORY_KIB = 64 * 1024
MIN_TIME_COST = 2
MAX_TIME_COST = 24
PARALLELISM = 1
DEFAULT_TARGET_SECONDS = 0.5
RECOVERY = "recovery"
USER = "user"
RECOVERY_USERNAME = "*recovery*"
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_HPKE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
#: A key-slot file holds a few slots of ~1 KiB each: anything far larger is not one.
MAX_KEY_FILE_BYTES = 4 * 1024 * 1024
#: Notice of :func:`resolve_key_set`: a damaged next key set was set aside.
NEXT_SET_ASIDE = "next_set_aside"
#: Notice of :func:`resolve_key_set`: a damaged current key set was replaced by the next one.
CURRENT_REPLACED = "current_replaced"


class KeySlotError(Exception):
    """Base class of key-slot errors."""


class WrongPassphraseError(KeySlotError):
    """The passphrase does not open the slot (or the slot was edited)."""


class NoSuchSlotError(KeySlotError):
    """No slot exists for that username."""


class KeyFileError(KeySlotError):
    """The key-slot file is missing, unreadable or not in our format; ``path`` names the
    file at fault when known."""

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters of one slot: passes, memory in KiB, lanes, 16-byte salt."""

    time_cost: int
    memory_kib: int
    parallelism: int
    salt: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "alg": "argon2id",
            "t": self.time_cost,
            "m": self.memory_kib,
            "p": self.parallelism,
            "salt": _b64(self.salt),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KdfParams:
        """Parse and bound-check (an edited file must not make a derivation run for hours or
        take all memory): passes 2–64, memory 64 MiB–4 GiB, lanes 1–16, salt 16–64 bytes."""
        if not isinstance(data, dict) or data.get("alg") != "argon2id":
            raise KeyFileError("unknown key derivation")
        params = cls(int(data["t"]), int(data["m"]), int(data["p"]), _unb64(data["salt"]))
        if not (MIN_TIME_COST <= params.time_cost <= 64
                and MIN_MEMORY_KIB <= params.memory_kib <= 4 * 1024 * 1024
                and 1 <= params.parallelism <= 16 and 16 <= len(params.salt) <= 64):
            raise KeyFileError("key-derivation parameters out of range")
        return params


def derive(passphrase: str, params: KdfParams) -> bytes:
    """Argon2id (RFC 9106) of the passphrase in Unicode NFC, UTF-8: 32 bytes (so the same
    characters typed by different input methods give the same key). Refuses parameters
    below the floor."""
    if params.memory_kib < MIN_MEMORY_KIB or params.time_cost < MIN_TIME_COST:
        raise KeyFileError("key-derivation parameters below the floor")
    return hash_secret_raw(
        unicodedata.normalize("NFC", passphrase).encode("utf-8"),
        params.salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def new_salt() -> bytes:
    """A fresh random 16-byte Argon2id salt for a new or re-wrapped slot (RFC 9106 §3.1:
    unique per password hash)."""
    return secrets.token_bytes(16)


@functools.lru_cache(maxsize=8)
def calibrate(target_seconds: float = DEFAULT_TARGET_SECONDS) -> tuple[int, int]:
    """Choose Argon2id ``(time_cost, memory_kib)`` so one derivation takes ~``target_seconds``.

    Memory is fixed at the 64 MiB floor and passes grow from the floor of 2 (capped at 24);
    a target of 0 returns the floor itself. Measured once per process and target.
    """
    if target_seconds <= 0:
        return MIN_TIME_COST, MIN_MEMORY_KIB
    probe = KdfParams(MIN_TIME_COST, MIN_MEMORY_KIB, PARALLELISM, secrets.token_bytes(16))
    start = time.perf_counter()
    derive("calibration", probe)
    elapsed = max(time.perf_counter() - start, 1e-3)
    passes = round(MIN_TIME_COST * target_seconds / elapsed)
    return max(MIN_TIME_COST, min(MAX_TIME_COST, passes)), MIN_MEMORY_KIB


@dataclass(frozen=True)
class Slot:
    """One key slot. ``kind`` is ``user`` or ``recovery``; binary fields are raw bytes."""

    slot_id: str
    kind: str
    username: str
    role: str
    kdf: KdfParams
    public_key: bytes
    private_nonce: bytes
    private_wrapped: bytes
    sealed_key: bytes
    created_at: str
    root: str = ""

    def private_aad(self, vault_id: str) -> bytes:
        """Associated data of the wrapped private key: the slot's identity and, once bound,
        the fingerprint of the vault's trust root (``db.grants``), so that neither can be
        edited in the file without breaking the slot."""
        ident = {"v": vault_id, "slot": self.slot_id, "kind": self.kind, "user": self.username}
        return _canonical({**ident, "root": self.root} if self.root else ident)

    def seal_info(self, vault_id: str, key_id: str) -> bytes:
        return _canonical(
            {
                "v": vault_id,
                "slot": self.slot_id,
                "kind": self.kind,
                "user": self.username,
                "role": self.role,
                "key": key_id,
            }
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.slot_id,
            "kind": self.kind,
            "username": self.username,
            "role": self.role,
            "kdf": self.kdf.to_json(),
            "public_key": _b64(self.public_key),
            "private": {"nonce": _b64(self.private_nonce), "ct": _b64(self.private_wrapped)},
            "sealed_key": _b64(self.sealed_key),
            "created_at": self.created_at,
            **({"root": self.root} if self.root else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slot:
        """Parse one slot; raises ``ValueError`` when a field has the wrong size."""
        slot = cls(
            slot_id=str(data["id"]),
            kind=str(data["kind"]),
            username=str(data["username"]),
            role=str(data["role"]),
            kdf=KdfParams.from_json(data["kdf"]),
            public_key=_unb64(data["public_key"]),
            private_nonce=_unb64(data["private"]["nonce"]),
            private_wrapped=_unb64(data["private"]["ct"]),
            sealed_key=_unb64(data["sealed_key"]),
            created_at=str(data["created_at"]),
            root=str(data.get("root", "")),
        )
        if (len(slot.public_key) != 32 or len(slot.private_nonce) != 12
                or len(slot.private_wrapped) != 48 or not slot.sealed_key
                or slot.kind not in (USER, RECOVERY)):
            raise ValueError("malformed slot")
        return slot


@dataclass(frozen=True)
class KeySet:
    """The content of a key-slot file: vault id, id of the current data key, slots."""

    vault_id: str
    key_id: str
    slots: tuple[Slot, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "vault_id": self.vault_id,
            "key_id": self.key_id,
            "slots": [s.to_json() for s in self.slots],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeySet:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyFileError("not a counselor-tui key-slot file")
        if int(data.get("version", 0)) > FORMAT_VERSION:
            raise KeyFileError("key-slot file written by a newer version")
        return cls(
            vault_id=str(data["vault_id"]),
            key_id=str(data["key_id"]),
            slots=tuple(Slot.from_json(s) for s in data["slots"]),
        )

    def user_slot(self, username: str) -> Slot:
        """The user slot of ``username``; raises :class:`NoSuchSlotError`."""
        for slot in self.slots:
            if slot.kind == USER and slot.username == username:
                return slot
        raise NoSuchSlotError(username)

    def recovery_slot(self) -> Slot:
        """The recovery slot; raises :class:`NoSuchSlotError` when there is none."""
        for slot in self.slots:
            if slot.kind == RECOVERY:
                return slot
        raise NoSuchSlotError(RECOVERY_USERNAME)

    def usernames(self) -> list[str]:
        return [s.username for s in self.slots if s.kind == USER]

    def without(self, username: str) -> KeySet:
        """This key set with the user slot of ``username`` removed (unchanged if absent)."""
        kept = tuple(s for s in self.slots if not (s.kind == USER and s.username == username))
        return replace(self, slots=kept)

    def with_slot(self, slot: Slot) -> KeySet:
        """This key set with ``slot`` added, replacing a slot of the same kind and username."""
        kept = tuple(
            s for s in self.slots if not (s.kind == slot.kind and s.username == slot.username)
        )
        return replace(self, slots=(*kept, slot))


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return secrets.token_bytes(KEY_BYTES)


def new_key_set() -> KeySet:
    """An empty key set for a new vault, with fresh vault and key ids."""
    return KeySet(vault_id=str(uuid.uuid4()), key_id=uuid.uuid4().hex)


def make_slot(
    keys: KeySet,
    *,
    kind: str,
    username: str,
    role: str,
    passphrase: str,
    data_key: bytes,
    kdf_cost: tuple[int, int],
    created_at: str,
    private: X25519PrivateKey | None = None,
    root: str = "",
) -> Slot:
    """Create a slot that opens ``data_key`` with ``passphrase`` (see the module docstring).

    ``kdf_cost`` is ``(time_cost, memory_kib)`` from :func:`calibrate`; ``private`` the
    slot's X25519 key pair when the caller needs it at once (sealed notes wrapped to the
    new slot), else a fresh one.
    """
    if len(data_key) != KEY_BYTES:
        raise ValueError("the data key must be 32 bytes")
    private = private or X25519PrivateKey.generate()
    public = private.public_key().public_bytes_raw()
    kdf = KdfParams(kdf_cost[0], kdf_cost[1], PARALLELISM, new_salt())
    slot = Slot(
        slot_id=uuid.uuid4().hex,
        kind=kind,
        username=username,
        role=role,
        kdf=kdf,
        public_key=public,
        private_nonce=secrets.token_bytes(12),
        private_wrapped=b"",
        sealed_key=b"",
        created_at=created_at,
        root=root,
    )
    kek = derive(passphrase, kdf)
    wrapped = AESGCM(kek).encrypt(
        slot.private_nonce, private.private_bytes_raw(), slot.private_aad(keys.vault_id)
    )
    slot = replace(slot, private_wrapped=wrapped)
    return seal(keys, slot, data_key, keys.key_id)


def seal(keys: KeySet, slot: Slot, data_key: bytes, key_id: str) -> Slot:
    """Return ``slot`` with ``data_key`` (id ``key_id``) sealed to its public key by HPKE."""
    public = X25519PublicKey.from_public_bytes(slot.public_key)
    sealed = _HPKE.encrypt(data_key, public, info=slot.seal_info(keys.vault_id, key_id))
    return replace(slot, sealed_key=sealed)


def _private_key(keys: KeySet, slot: Slot, passphrase: str) -> X25519PrivateKey:
    kek = derive(passphrase, slot.kdf)
    try:
        raw = AESGCM(kek).decrypt(
            slot.private_nonce, slot.private_wrapped, slot.private_aad(keys.vault_id)
        )
    except InvalidTag as exc:
        raise WrongPassphraseError() from exc
    return X25519PrivateKey.from_private_bytes(raw)


def open_slot(keys: KeySet, slot: Slot, passphrase: str) -> bytes:
    """The data key held by ``slot``, given its passphrase; raises :class:`WrongPassphraseError`.

    An edited slot (username, role, kind, ids) fails the same way as a wrong passphrase.
    """
    return open_slot_secret(keys, slot, passphrase)[0]


def open_slot_secret(keys: KeySet, slot: Slot, passphrase: str) -> tuple[bytes, bytes]:
    """``(data key, slot's raw X25519 private key)`` from one Argon2id derivation; the
    private key opens what is sealed to this account (``db.sealing``). Raises
    :class:`WrongPassphraseError` like :func:`open_slot`."""
    private = _private_key(keys, slot, passphrase)
    return _open_sealed(keys, slot, private), private.private_bytes_raw()


def _open_sealed(keys: KeySet, slot: Slot, private: X25519PrivateKey) -> bytes:
    try:
        data_key = _HPKE.decrypt(
            slot.sealed_key, private, info=slot.seal_info(keys.vault_id, keys.key_id)
        )
    except Exception as exc:  # cryptography raises InvalidTag or a Rust-side error
        raise WrongPassphraseError() from exc
    if len(data_key) != KEY_BYTES:
        raise WrongPassphraseError()
    return bytes(data_key)


def rewrap(
    keys: KeySet, slot: Slot, old_passphrase: str, new_passphrase: str, kdf_cost: tuple[int, int],
    root: str | None = None,
) -> Slot:
    """Password change: the same slot (same key pair, same sealed key) under a new passphrase
    (which may be the same one); ``root`` binds the slot to a trust-root fingerprint
    (default: keep its binding).

    Raises :class:`WrongPassphraseError` when ``old_passphrase`` does not open it.
    """
    private = _private_key(keys, slot, old_passphrase)
    kdf = KdfParams(kdf_cost[0], kdf_cost[1], PARALLELISM, new_salt())
    nonce = secrets.token_bytes(12)
    moved = replace(slot, kdf=kdf, private_nonce=nonce,
                    root=slot.root if root is None else root)
    wrapped = AESGCM(derive(new_passphrase, kdf)).encrypt(
        nonce, private.private_bytes_raw(), moved.private_aad(keys.vault_id)
    )
    return replace(moved, private_wrapped=wrapped)


def reseal_all(keys: KeySet, data_key: bytes, slots: Iterable[Slot] | None = None) -> KeySet:
    """A key set for a new data key: every slot (or ``slots``) sealed again under a new key id."""
    rotated = replace(keys, key_id=uuid.uuid4().hex)
    chosen = tuple(keys.slots if slots is None else slots)
    return replace(rotated, slots=tuple(seal(rotated, s, data_key, rotated.key_id) for s in chosen))


def with_role(keys: KeySet, data_key: bytes, username: str, role: str) -> KeySet:
    """Reseal one user's slot for a new role (the role is part of the HPKE info)."""
    slot = replace(keys.user_slot(username), role=role)
    return keys.with_slot(seal(keys, slot, data_key, keys.key_id))


# --- recovery codes ---------------------------------------------------------------------


def new_recovery_code(groups: int = 6, size: int = 5) -> str:
    """A random recovery code of ``groups`` groups of ``size`` Crockford base32 characters.

    Six groups of five give 150 bits. Printed as ``XXXXX-XXXXX-…``.
    """
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(groups * size))
    return "-".join(chars[i : i + size] for i in range(0, len(chars), size))


def normalize_recovery_code(text: str) -> str:
    """Canonical form of a typed recovery code: upper case, no separators, I/L→1, O→0."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.replace("I", "1").replace("L", "1").replace("O", "0")
    return "-".join(cleaned[i : i + 5] for i in range(0, len(cleaned), 5))


# --- the key-slot file ------------------------------------------------------------------


def keys_path(vault: Path) -> Path:
    """``<vault>.keys``: the key-slot file beside the database."""
    return Path(f"{vault}.keys")


def next_keys_path(vault: Path) -> Path:
    """``<vault>.keys.next``: the key set being installed by a rotation or restore."""
    return Path(f"{vault}.keys.next")


def load(path: Path) -> KeySet:
    """Read a key-slot file; raises :class:`KeyFileError` when missing or not ours."""
    try:
        if path.is_file() and path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise KeyFileError("key-slot file too large", path)
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KeyFileError("key-slot file missing", path) from exc
    except (OSError, ValueError) as exc:
        raise KeyFileError("key-slot file unreadable", path) from exc
    try:
        return KeySet.from_json(data)
    except KeyFileError as exc:
        raise KeyFileError(str(exc), path) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise KeyFileError("key-slot file damaged", path) from exc


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, rename.

    The file is created with ``mode`` (0600 by default) before any byte is written. On any
    error the temp file is removed and ``path`` is left as it was.
    """
    folder = path.parent
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_path(folder)


def save(path: Path, keys: KeySet) -> None:
    """Write ``keys`` to ``path`` atomically with mode 0600."""
    text = json.dumps(keys.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


def _load_if_present(path: Path) -> tuple[KeySet | None, KeyFileError | None]:
    """``(key set, None)``, ``(None, error)`` when present but unreadable, ``(None, None)``
    when absent."""
    if not path.exists() and not path.is_symlink():
        return None, None
    try:
        return load(path), None
    except KeyFileError as exc:
        return None, exc


def resolve_key_set(
    vault: Path, opens: Callable[[KeySet], bool],
    notices: list[tuple[str, Path]] | None = None,
) -> KeySet:
    """Settle an interrupted rotation or restore and return the one working key set.

    ``opens(keys)`` tells whether a key set opens the database (the caller tries a slot with
    the user's passphrase). When ``<vault>.keys.next`` exists: if the current set opens the
    database the next one is stale and removed (a damaged one is kept aside as
    ``<vault>.keys.next.damaged-<hex>`` and reported as :data:`NEXT_SET_ASIDE`); otherwise,
    if the next set opens it, it is promoted to ``<vault>.keys`` (a damaged current set is
    then reported as :data:`CURRENT_REPLACED`). ``notices`` collects ``(notice, path)``.
    Raises :class:`KeyFileError` naming the file at fault when no set is readable.
    """
    current_path, pending_path = keys_path(vault), next_keys_path(vault)
    current, current_err = _load_if_present(current_path)
    pending, pending_err = _load_if_present(pending_path)
    if pending is None and pending_err is None:
        if current is None:
            raise current_err or KeyFileError("key-slot file missing", current_path)
        return current
    if current is not None and opens(current):
        if pending_err is not None:
            aside = Path(f"{pending_path}.damaged-{secrets.token_hex(4)}")
            os.replace(pending_path, aside)
            if notices is not None:
                notices.append((NEXT_SET_ASIDE, aside))
        else:
            pending_path.unlink()
        fsync_path(vault.parent)
        return current
    if pending is not None and opens(pending):
        os.replace(pending_path, current_path)
        fsync_path(vault.parent)
        if current_err is not None and notices is not None:
            notices.append((CURRENT_REPLACED, current_path))
        return pending
    if current is None:
        raise current_err or pending_err or KeyFileError("key-slot file missing", current_path)
    return current

"""Secrets sealed to their readers inside the vault: sealed notes and the signing key.

The data key opens the whole database, so anything that only some roles may read must be
encrypted again, to those readers' keys (issue 11, DESIGN §5):

* **Sealed notes.** A sealed session's note and intervention (one JSON blob) and each of
  its addenda are encrypted with AES-256-GCM under a fresh 256-bit *note key* per session;
  the associated data names the vault, the kind and the row id, so a blob moved to another
  row does not open. The note key is wrapped with HPKE (RFC 9180, suite DHKEM(X25519,
  HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, from ``cryptography``) to the X25519 public key
  of each reader's key slot: the author, every coordinator and the recovery slot.
* **The package signing key.** Its Ed25519 private key is wrapped the same way to the
  slots that may hand it on or sign: coordinators, admins (who hand it to a new
  coordinator) and the recovery slot; the ``signing_key`` row keeps only the public key.

Tables (migration 7): ``sealed_text(kind, ref_id, blob)`` with kind ``session`` (ref = the
session id) or ``addendum`` (ref = the addendum id); ``sealed_wrap(kind, ref_id, recipient,
username, wrapped)`` with kind ``note`` (ref = session id) or ``signing_key`` (ref = its row
id) and ``recipient`` the hex of the reader's X25519 public key.

Functions take ``execute(sql, params)`` (a DB-API connection's or the session's), so the
same code runs in a service transaction and in the upgrade of an old vault. Nothing here
prints, logs or puts text or keys into exception messages.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from db.vault import RECOVERY, RECOVERY_USERNAME, KeySet, Slot

Execute = Callable[..., Any]

NOTE = "note"
SIGNING_KEY = "signing_key"
#: Wrap kind of an account's Ed25519 key (``db.grants``), ref id 0, one per slot.
ACCOUNT_KEY = "account_key"
SESSION_TEXT = "session"
ADDENDUM_TEXT = "addendum"
#: Slot roles that receive every sealed note (besides its author and the recovery slot).
NOTE_READER_ROLES = frozenset({"coordinator"})
#: Slot roles that hold the signing key (admins only to hand it to a new coordinator).
SIGNING_HOLDER_ROLES = frozenset({"coordinator", "admin"})
_HPKE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


class SealError(Exception):
    """A sealed item does not open with this key (not a reader, or the data was edited)."""


@dataclass(frozen=True)
class Recipient:
    """A reader: the account name (``*recovery*`` for the recovery slot) and the raw
    32-byte X25519 public key of its slot."""

    username: str
    public_key: bytes

    @property
    def hex(self) -> str:
        return self.public_key.hex()


def _context(vault_id: str, kind: str, ref_id: int, what: str) -> bytes:
    body = {"v": vault_id, "kind": kind, "ref": int(ref_id), "what": what}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def public_of(private_raw: bytes) -> bytes:
    """The raw public key of a raw X25519 private key."""
    return X25519PrivateKey.from_private_bytes(private_raw).public_key().public_bytes_raw()


# -- who reads what ----------------------------------------------------------------------


def recipients(keys: KeySet, roles: Iterable[str], users: Iterable[str] = (),
               allowed: Callable[[Slot], bool] | None = None) -> list[Recipient]:
    """The slots of ``keys`` that are the recovery slot, a user slot whose role is in
    ``roles``, or a user slot of one of ``users`` — each once, in slot order.

    Only one recovery slot counts: the first named ``*recovery*`` (an extra recovery slot
    added to the file by someone holding the data key is never a reader). ``allowed(slot)``
    may refuse any slot (the services pass :func:`db.grants.slot_backed`: a slot whose role
    has no valid grant is never a reader, whatever the file says)."""
    wanted_roles, wanted_users = set(roles), set(users)
    found: list[Recipient] = []
    recovery_seen = False
    for slot in keys.slots:
        if slot.kind == RECOVERY:
            if recovery_seen or slot.username != RECOVERY_USERNAME:
                continue
            recovery_seen = True
        elif slot.role not in wanted_roles and slot.username not in wanted_users:
            continue
        if allowed is not None and not allowed(slot):
            continue
        found.append(Recipient(slot.username, slot.public_key))
    return found


def note_readers(keys: KeySet, author: str,
                 allowed: Callable[[Slot], bool] | None = None) -> list[Recipient]:
    """Readers of a sealed note: its author, every coordinator, the recovery slot."""
    return recipients(keys, NOTE_READER_ROLES, (author,), allowed)


def signing_holders(keys: KeySet,
                    allowed: Callable[[Slot], bool] | None = None) -> list[Recipient]:
    """Holders of the signing key: coordinators, admins, the recovery slot."""
    return recipients(keys, SIGNING_HOLDER_ROLES, (), allowed)


# -- wraps -------------------------------------------------------------------------------


def wrap(vault_id: str, kind: str, ref_id: int, secret: bytes, to: Recipient) -> bytes:
    """``secret`` sealed to ``to`` by HPKE (``info`` binds vault, kind and row id)."""
    public = X25519PublicKey.from_public_bytes(to.public_key)
    return _HPKE.encrypt(secret, public, info=_context(vault_id, kind, ref_id, "wrap"))


def unwrap(vault_id: str, kind: str, ref_id: int, wrapped: bytes, private_raw: bytes) -> bytes:
    """Open a wrap with a raw X25519 private key; raises :class:`SealError`."""
    try:
        private = X25519PrivateKey.from_private_bytes(private_raw)
        return bytes(_HPKE.decrypt(wrapped, private,
                                   info=_context(vault_id, kind, ref_id, "wrap")))
    except Exception as exc:  # InvalidTag, or a Rust-side error for a malformed wrap
        raise SealError() from exc


def put_wraps(execute: Execute, vault_id: str, kind: str, ref_id: int, secret: bytes,
              readers: Iterable[Recipient]) -> int:
    """Wrap ``secret`` for each reader that has no wrap of this item yet; returns how many
    were added."""
    have = {str(r[0]) for r in execute(
        "SELECT recipient FROM sealed_wrap WHERE kind = ? AND ref_id = ?", (kind, ref_id))}
    added = 0
    for reader in readers:
        if reader.hex in have:
            continue
        execute("INSERT INTO sealed_wrap(kind, ref_id, recipient, username, wrapped) "
                "VALUES (?, ?, ?, ?, ?)",
                (kind, ref_id, reader.hex, reader.username,
                 wrap(vault_id, kind, ref_id, secret, reader)))
        have.add(reader.hex)
        added += 1
    return added


def open_secret(execute: Execute, vault_id: str, kind: str, ref_id: int,
                private_raw: bytes) -> bytes:
    """The secret of one item as wrapped to this private key; raises :class:`SealError`
    when there is no wrap for it or the wrap does not open."""
    if not private_raw:
        raise SealError()
    row = execute("SELECT wrapped FROM sealed_wrap WHERE kind = ? AND ref_id = ? AND "
                  "recipient = ?", (kind, ref_id, public_of(private_raw).hex())).fetchone()
    if row is None:
        raise SealError()
    return unwrap(vault_id, kind, ref_id, bytes(row[0]), private_raw)


def readable(execute: Execute, kind: str, private_raw: bytes,
             among: Iterable[int] | None = None) -> list[tuple[int, bytes]]:
    """``(ref_id, wrapped)`` of every item of ``kind`` wrapped to this private key (only
    those whose ref id is in ``among``, when given)."""
    if not private_raw:
        return []
    me = public_of(private_raw).hex()
    sql = "SELECT ref_id, wrapped FROM sealed_wrap WHERE kind = ? AND recipient = ?"
    params: list[Any] = [kind, me]
    if among is not None:
        ids = sorted(set(among))
        if not ids:
            return []
        sql += f" AND ref_id IN ({','.join('?' * len(ids))})"
        params += ids
    return [(int(r[0]), bytes(r[1])) for r in execute(sql + " ORDER BY ref_id", tuple(params))]


def drop_wraps_except(execute: Execute, keep_public: Iterable[bytes]) -> int:
    """Delete every wrap whose recipient is not one of ``keep_public`` (removed or
    disabled accounts, replaced slots); returns the number deleted."""
    keep = sorted({k.hex() for k in keep_public})
    marks = ",".join("?" * len(keep)) or "''"
    cursor = execute(f"DELETE FROM sealed_wrap WHERE recipient NOT IN ({marks})", tuple(keep))
    return int(cursor.rowcount or 0)


# -- sealed text -------------------------------------------------------------------------


def encrypt_text(key: bytes, vault_id: str, kind: str, ref_id: int, text: bytes) -> bytes:
    """``nonce ‖ AES-256-GCM(key, text)`` bound to vault, kind and row id."""
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(key).encrypt(nonce, text, _context(vault_id, kind, ref_id, "text"))


def decrypt_text(key: bytes, vault_id: str, kind: str, ref_id: int, blob: bytes) -> bytes:
    """Inverse of :func:`encrypt_text`; raises :class:`SealError`."""
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], _context(vault_id, kind, ref_id, "text"))
    except Exception as exc:
        raise SealError() from exc


def put_text(execute: Execute, key: bytes, vault_id: str, kind: str, ref_id: int,
             text: bytes) -> None:
    """Store (or replace) the sealed blob of one row."""
    execute("INSERT OR REPLACE INTO sealed_text(kind, ref_id, blob) VALUES (?, ?, ?)",
            (kind, ref_id, encrypt_text(key, vault_id, kind, ref_id, text)))


def get_text(execute: Execute, key: bytes, vault_id: str, kind: str, ref_id: int) -> bytes | None:
    """The opened blob of one row, None when the row has none; :class:`SealError` when it
    does not open."""
    row = execute("SELECT blob FROM sealed_text WHERE kind = ? AND ref_id = ?",
                  (kind, ref_id)).fetchone()
    return None if row is None else decrypt_text(key, vault_id, kind, ref_id, bytes(row[0]))


@dataclass(frozen=True)
class SealedNote:
    """The opened text of a sealed session: note, intervention, addendum id → text."""

    note: str
    intervention: str
    addenda: dict[int, str]


def _addendum_ids(execute: Execute, session_id: int) -> list[int]:
    return [int(r[0]) for r in execute(
        "SELECT id FROM session_addendum WHERE session_id = ? ORDER BY id", (session_id,))]


def seal_session(execute: Execute, vault_id: str, session_id: int, note_key: bytes,
                 note: str, intervention: str, readers: Iterable[Recipient]) -> None:
    """Store a session's note and intervention sealed under ``note_key``, seal any addendum
    still held in plain text, blank the plain columns (which also takes the note out of the
    shared search index, by migration 2's triggers — and out of its stored blocks at once,
    since migration 10 turned on the index's ``secure-delete``) and wrap the key for
    ``readers``."""
    body = json.dumps({"note": note, "intervention": intervention}, ensure_ascii=False)
    put_text(execute, note_key, vault_id, SESSION_TEXT, session_id, body.encode())
    for add_id, text in list(execute(
            "SELECT id, text FROM session_addendum WHERE session_id = ? AND text != ''",
            (session_id,))):
        put_text(execute, note_key, vault_id, ADDENDUM_TEXT, int(add_id), str(text).encode())
    execute("UPDATE session_addendum SET text = '' WHERE session_id = ? AND text != ''",
            (session_id,))
    execute("UPDATE counseling_session SET note = '', intervention = '' WHERE id = ? AND "
            "(note != '' OR intervention != '')", (session_id,))
    put_wraps(execute, vault_id, NOTE, session_id, note_key, readers)


def open_session(execute: Execute, vault_id: str, session_id: int,
                 note_key: bytes) -> SealedNote:
    """The sealed text of one session; :class:`SealError` when it does not open."""
    raw = get_text(execute, note_key, vault_id, SESSION_TEXT, session_id)
    body = json.loads(raw.decode()) if raw is not None else {}
    addenda = {}
    for add_id in _addendum_ids(execute, session_id):
        text = get_text(execute, note_key, vault_id, ADDENDUM_TEXT, add_id)
        if text is not None:
            addenda[add_id] = text.decode()
    return SealedNote(str(body.get("note", "")), str(body.get("intervention", "")), addenda)


def unseal_session(execute: Execute, vault_id: str, session_id: int, note_key: bytes) -> SealedNote:
    """Put a sealed session's addenda back in plain text and delete its blobs and wraps
    (the session is no longer sealed); returns the opened text for the caller to store."""
    opened = open_session(execute, vault_id, session_id, note_key)
    for add_id, text in opened.addenda.items():
        execute("UPDATE session_addendum SET text = ? WHERE id = ?", (text, add_id))
        execute("DELETE FROM sealed_text WHERE kind = ? AND ref_id = ?", (ADDENDUM_TEXT, add_id))
    execute("DELETE FROM sealed_text WHERE kind = ? AND ref_id = ?", (SESSION_TEXT, session_id))
    execute("DELETE FROM sealed_wrap WHERE kind = ? AND ref_id = ?", (NOTE, session_id))
    return opened


# -- moving plain secrets into the sealed form (new rows of bulk writers, old vaults) ------


def seal_pending(execute: Execute, keys: KeySet,
                 allowed: Callable[[Slot], bool] | None = None) -> tuple[int, int]:
    """Seal what is still plain: every sealed session without a sealed blob (its note,
    intervention and addenda; readers by :func:`note_readers`) and every signing key whose
    private key is still stored (wrapped to :func:`signing_holders`, then blanked).

    Needs only public keys, so it runs in the upgrade of an existing vault (in the
    caller's transaction) and after a bulk writer (the demo). Returns ``(sessions, signing
    keys)`` sealed.
    """
    sessions = _seal_pending_sessions(execute, keys, allowed)
    signing = 0
    for key_id, private in list(execute(
            "SELECT id, private_key FROM signing_key WHERE length(private_key) > 0")):
        put_wraps(execute, keys.vault_id, SIGNING_KEY, int(key_id), bytes(private),
                  signing_holders(keys, allowed))
        execute("UPDATE signing_key SET private_key = x'' WHERE id = ?", (key_id,))
        signing += 1
    return sessions, signing


#: Rows per multi-row ``INSERT`` of :func:`_seal_pending_sessions` (5 parameters a wrap:
#: well under SQLite's 32,766 bound parameters).
_BATCH = 500

#: The sealed sessions still stored plain (no sealed blob yet), with their author.
_PENDING = (
    "SELECT s.id, s.note, s.intervention, u.username FROM counseling_session s "
    "JOIN user u ON u.id = s.counselor_id WHERE s.sealed = 1 AND NOT EXISTS ("
    "SELECT 1 FROM sealed_text t WHERE t.kind = 'session' AND t.ref_id = s.id) ORDER BY s.id")


def _seal_pending_sessions(execute: Execute, keys: KeySet,
                           allowed: Callable[[Slot], bool] | None) -> int:
    """What :func:`seal_session` does for every pending sealed session (a fresh note key
    each), with a few statements for all of them instead of eight per session: the
    addenda and existing wraps read in one query each, blobs and wraps written by
    multi-row ``INSERT``, the plain columns blanked by one ``UPDATE`` per table (issue 18:
    the demo seals tens of thousands of bulk-written sessions). Returns how many."""
    pending = [(int(sid), str(note), str(intervention), str(author))
               for sid, note, intervention, author in execute(_PENDING)]
    if not pending:
        return 0
    ids = json.dumps([sid for sid, *_rest in pending])
    addenda: dict[int, list[tuple[int, str]]] = {}
    for sid, add_id, text in execute(
            "SELECT session_id, id, text FROM session_addendum WHERE text != '' AND "
            "session_id IN (SELECT value FROM json_each(?)) ORDER BY id", (ids,)):
        addenda.setdefault(int(sid), []).append((int(add_id), str(text)))
    have: dict[int, set[str]] = {}
    for ref_id, recipient in execute(
            "SELECT ref_id, recipient FROM sealed_wrap WHERE kind = ? AND "
            "ref_id IN (SELECT value FROM json_each(?))", (NOTE, ids)):
        have.setdefault(int(ref_id), set()).add(str(recipient))
    vault_id = keys.vault_id
    texts: list[tuple[str, int, bytes]] = []
    wraps: list[tuple[str, int, str, str, bytes]] = []
    for sid, note, intervention, author in pending:
        note_key = secrets.token_bytes(32)
        body = json.dumps({"note": note, "intervention": intervention}, ensure_ascii=False)
        texts.append((SESSION_TEXT, sid, encrypt_text(
            note_key, vault_id, SESSION_TEXT, sid, body.encode())))
        for add_id, text in addenda.get(sid, ()):
            texts.append((ADDENDUM_TEXT, add_id, encrypt_text(
                note_key, vault_id, ADDENDUM_TEXT, add_id, text.encode())))
        held = have.get(sid, set())
        for reader in note_readers(keys, author, allowed):
            if reader.hex not in held:
                wraps.append((NOTE, sid, reader.hex, reader.username,
                              wrap(vault_id, NOTE, sid, note_key, reader)))
                held.add(reader.hex)
    _insert_rows(execute, "INSERT OR REPLACE INTO sealed_text(kind, ref_id, blob) VALUES ",
                 texts)
    _insert_rows(execute, "INSERT INTO sealed_wrap(kind, ref_id, recipient, username, "
                          "wrapped) VALUES ", wraps)
    execute("UPDATE session_addendum SET text = '' WHERE text != '' AND "
            "session_id IN (SELECT value FROM json_each(?))", (ids,))
    execute("UPDATE counseling_session SET note = '', intervention = '' WHERE "
            "(note != '' OR intervention != '') AND id IN (SELECT value FROM json_each(?))",
            (ids,))
    return len(pending)


def _insert_rows(execute: Execute, head: str, rows: list[Any]) -> None:
    """``head`` + ``(?, …)`` for up to :data:`_BATCH` rows a statement."""
    for start in range(0, len(rows), _BATCH):
        batch = rows[start:start + _BATCH]
        marks = "(" + ", ".join("?" * len(batch[0])) + ")"
        execute(head + ", ".join([marks] * len(batch)),
                tuple(value for row in batch for value in row))


def copy_wraps(execute: Execute, vault_id: str, private_raw: bytes, to: Recipient,
               wanted: Callable[[str, int], bool]) -> int:
    """Wrap for ``to`` every item held by ``private_raw`` for which ``wanted(kind, ref_id)``
    (a recovery, or a slot replaced by a new key pair); returns how many were added."""
    added = 0
    for kind in (NOTE, SIGNING_KEY):  # never ACCOUNT_KEY: an account key is its slot's own
        for ref_id, wrapped in readable(execute, kind, private_raw):
            if not wanted(kind, ref_id):
                continue
            try:
                secret = unwrap(vault_id, kind, ref_id, wrapped, private_raw)
            except SealError:
                continue
            added += put_wraps(execute, vault_id, kind, ref_id, secret, [to])
    return added

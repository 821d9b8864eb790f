"""Audit events signed by their actor (issue 11, DESIGN §5 "Audit").

Each audit event carries the name of the account that wrote it and an Ed25519 signature,
by that account's key (:mod:`db.grants`), of ``"counselor-tui audit v1" ‖ seq ‖ hash ‖
signer``. The hash already covers the event's content and its predecessor
(``domain.audit_chain``), so an edited, removed or re-chained event of another account
cannot be signed again by whoever edits the file. The witness (:mod:`db.witness`) carries
the same kind of signature of the head it records.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_EVENT_TAG = b"counselor-tui audit v1\x00"


def event_message(seq: int, digest: str, signer: str) -> bytes:
    """The bytes an event signature covers."""
    return _EVENT_TAG + seq.to_bytes(8, "big") + bytes.fromhex(digest) + signer.encode()


def sign_event(key: Ed25519PrivateKey, seq: int, digest: str, signer: str) -> bytes:
    """The Ed25519 signature of one event by its actor."""
    return key.sign(event_message(seq, digest, signer))


def verifies(public_hex: str, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` of ``message`` verifies under the raw public key (hex)."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True

"""The witness: ``<vault>.witness``, the last committed audit sequence and head, kept beside
the vault (DESIGN §5 "Witness", issue 12, security tests 23 and 24).

A commit can vanish without any page being damaged: the ``-wal`` file deleted, truncated or
corrupted after the commit drops the commit and its audit events, and the database that is
left is whole. The witness remembers how far the chain had come, so unlock and ``check``
can say "changes were lost" instead of claiming the vault is whole.

Format (JSON, written atomically, mode 0600)::

    {"format": "counselor-tui-witness", "version": 1, "vault_id": "…", "seq": 42,
     "head": "<64 hex>", "at": "<ISO time of event 42>",
     "mac": {"alg": "HMAC-SHA256", "value": "<base64>"}, "signature": null}

``mac`` authenticates every other field except ``signature`` with a key derived from the
vault's data key by HKDF-SHA256 (RFC 5869, ``cryptography``; info
``counselor-tui witness v1``, salt the vault id), so the file cannot be edited without the
data key. ``signature`` (issue 11) is ``{"signer": <account>, "key": <hex Ed25519 public
key>, "value": <hex signature>}``: the account that wrote it signs the same canonical body
with its account key (:mod:`db.grants`), so a witness — also one kept with a backup, after
the data key was rotated — says who saw that head; ``check`` verifies the key against the
role grants. A witness written without an account key keeps ``null``. ``root`` (issue 11,
optional: absent in older files and for a vault without grants) is the fingerprint of the
role grants' root when it was written, covered by the MAC and the signature, so a backup's
witness kept elsewhere tells whether the grant chain was replaced since. Nothing here holds
names of persons or notes.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from db.vault import write_atomic

FORMAT = "counselor-tui-witness"
VERSION = 1
MAX_BYTES = 64 * 1024
_INFO = b"counselor-tui witness v1"
_SIGN_TAG = b"counselor-tui witness signature v1\x00"


class WitnessError(Exception):
    """The witness file is unreadable, not ours, of another vault, or fails its MAC."""


@dataclass(frozen=True)
class Witness:
    """What the witness holds: the vault id, the last committed audit ``seq``, the chain
    ``head`` (hash of event ``seq``) and that event's time ``at``."""

    vault_id: str
    seq: int
    head: str
    at: str
    signer: str = ""
    signer_key: str = ""
    signature: str = ""
    root: str = ""

    def signed_body(self) -> bytes:
        """What the account signature covers (the MAC's body, tagged)."""
        return _SIGN_TAG + json.dumps(_body(self), sort_keys=True,
                                      separators=(",", ":")).encode("utf-8")

    def signature_verifies(self) -> bool:
        """True when the account signature verifies under ``signer_key`` (whose key that
        is must be checked against the role grants)."""
        if not self.signature:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.signer_key)).verify(
                bytes.fromhex(self.signature), self.signed_body())
        except (InvalidSignature, ValueError):
            return False
        return True


def witness_path(vault: Path) -> Path:
    """``<vault>.witness``."""
    return Path(f"{vault}.witness")


def next_witness_path(vault: Path) -> Path:
    """``<vault>.witness.next``: the witness under the next data key, written by a key
    rotation before it re-encrypts the database and promoted by it afterwards (or by the
    next unlock, when the rotation was interrupted)."""
    return Path(f"{vault}.witness.next")


def _mac_key(data_key: bytes, vault_id: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=vault_id.encode("utf-8"),
                info=_INFO).derive(data_key)


def _body(w: Witness) -> dict[str, Any]:
    body = {"format": FORMAT, "version": VERSION, "vault_id": w.vault_id, "seq": w.seq,
            "head": w.head, "at": w.at}
    return {**body, "root": w.root} if w.root else body


def _mac(data_key: bytes, w: Witness) -> bytes:
    canonical = json.dumps(_body(w), sort_keys=True, separators=(",", ":")).encode("utf-8")
    mac = crypto_hmac.HMAC(_mac_key(data_key, w.vault_id), hashes.SHA256())
    mac.update(canonical)
    return mac.finalize()


def write(vault: Path, data_key: bytes, witness: Witness, *, pending: bool = False,
          signer: tuple[str, Ed25519PrivateKey] | None = None) -> None:
    """Write ``witness`` for the vault at ``vault`` atomically (temp file, fsync, rename);
    to :func:`next_witness_path` when ``pending``; signed by ``signer`` (account name and
    account key) when given."""
    signature: dict[str, str] | None = None
    if signer is not None:
        signature = {"signer": signer[0],
                     "key": signer[1].public_key().public_bytes_raw().hex(),
                     "value": signer[1].sign(witness.signed_body()).hex()}
    data = {**_body(witness),
            "mac": {"alg": "HMAC-SHA256",
                    "value": base64.b64encode(_mac(data_key, witness)).decode("ascii")},
            "signature": signature}
    target = next_witness_path(vault) if pending else witness_path(vault)
    write_atomic(target, (json.dumps(data, sort_keys=True, indent=1) + "\n")
                 .encode("utf-8"))


def parse(path: Path) -> Witness:
    """A witness file's content without checking its MAC (a backup's witness may be under
    an older data key): the caller verifies the account signature. Raises
    :class:`WitnessError` (``FileNotFoundError`` when absent)."""
    if path.stat().st_size > MAX_BYTES:
        raise WitnessError("witness file too large")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WitnessError("witness file unreadable") from exc
    try:
        if data.get("format") != FORMAT:
            raise WitnessError("not a witness file")
        sig = data.get("signature") or {}
        return Witness(str(data["vault_id"]), int(data["seq"]), str(data["head"]),
                       str(data["at"]), str(sig.get("signer", "")), str(sig.get("key", "")),
                       str(sig.get("value", "")), str(data.get("root") or ""))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WitnessError("witness file damaged") from exc


def read(vault: Path, data_key: bytes, vault_id: str, *,
         pending: bool = False) -> Witness | None:
    """The witness of the vault at ``vault``, or None when there is none.

    Raises :class:`WitnessError` when the file is unreadable or too large, not a witness,
    written by a newer version, of another vault, or its MAC does not verify (edited, or
    written under another data key).
    """
    path = next_witness_path(vault) if pending else witness_path(vault)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise WitnessError("witness file too large")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WitnessError("witness file unreadable") from exc
    try:
        if data.get("format") != FORMAT:
            raise WitnessError("not a witness file")
        if int(data.get("version", 0)) > VERSION:
            raise WitnessError("witness written by a newer version")
        sig = data.get("signature") or {}
        found = Witness(str(data["vault_id"]), int(data["seq"]), str(data["head"]),
                        str(data["at"]), str(sig.get("signer", "")), str(sig.get("key", "")),
                        str(sig.get("value", "")), str(data.get("root") or ""))
        given = base64.b64decode(str(data["mac"]["value"]), validate=True)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WitnessError("witness file damaged") from exc
    if found.vault_id != vault_id:
        raise WitnessError("witness of another vault")
    if not std_hmac.compare_digest(given, _mac(data_key, found)):
        raise WitnessError("witness MAC does not verify")
    return found

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
data key. ``signature`` is room for the Ed25519 signature of the account that wrote it
(a later version); readers of version 1 ignore it. Nothing here holds names or notes.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from db.vault import write_atomic

FORMAT = "counselor-tui-witness"
VERSION = 1
MAX_BYTES = 64 * 1024
_INFO = b"counselor-tui witness v1"


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
    return {"format": FORMAT, "version": VERSION, "vault_id": w.vault_id, "seq": w.seq,
            "head": w.head, "at": w.at}


def _mac(data_key: bytes, w: Witness) -> bytes:
    canonical = json.dumps(_body(w), sort_keys=True, separators=(",", ":")).encode("utf-8")
    mac = crypto_hmac.HMAC(_mac_key(data_key, w.vault_id), hashes.SHA256())
    mac.update(canonical)
    return mac.finalize()


def write(vault: Path, data_key: bytes, witness: Witness, *, pending: bool = False) -> None:
    """Write ``witness`` for the vault at ``vault`` atomically (temp file, fsync, rename);
    to :func:`next_witness_path` when ``pending``."""
    data = {**_body(witness),
            "mac": {"alg": "HMAC-SHA256",
                    "value": base64.b64encode(_mac(data_key, witness)).decode("ascii")},
            "signature": None}
    target = next_witness_path(vault) if pending else witness_path(vault)
    write_atomic(target, (json.dumps(data, sort_keys=True, indent=1) + "\n")
                 .encode("utf-8"))


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
        found = Witness(str(data["vault_id"]), int(data["seq"]), str(data["head"]),
                        str(data["at"]))
        given = base64.b64decode(str(data["mac"]["value"]), validate=True)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WitnessError("witness file damaged") from exc
    if found.vault_id != vault_id:
        raise WitnessError("witness of another vault")
    if not std_hmac.compare_digest(given, _mac(data_key, found)):
        raise WitnessError("witness MAC does not verify")
    return found

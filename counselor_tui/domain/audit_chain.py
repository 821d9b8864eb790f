"""The audit hash chain (DESIGN §5): canonical form, hashing and verification.

Each event is hashed as ``hash = SHA-256(prev_hash ‖ canonical JSON of the event)`` where
``prev_hash`` is the previous event's hash as 32 raw bytes (the genesis value is 32 zero
bytes) and the canonical JSON (RFC 8785 style: keys sorted, no insignificant white space,
UTF-8, non-ASCII kept) covers ``seq, at, user, action, entity, entity_id, detail``. Hashes are
stored as lower-case hex. Editing, deleting or reordering any event breaks the chain at the
first affected sequence number, and changes the head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainEvent:
    """One audit event as stored: sequence number (1-based), ISO time, acting username,
    action code, entity name and id, a JSON-able ``detail`` mapping and both hashes."""

    seq: int
    at: str
    user: str
    action: str
    entity: str
    entity_id: str
    detail: Mapping[str, Any]
    prev_hash: str
    hash: str


def canonical(
    seq: int, at: str, user: str, action: str, entity: str, entity_id: str,
    detail: Mapping[str, Any],
) -> bytes:
    """The canonical JSON bytes of an event's content (what the hash covers)."""
    body = {
        "seq": seq,
        "at": at,
        "user": user,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str, content: bytes) -> str:
    """``SHA-256(prev_hash bytes ‖ content)`` as hex. Raises ``ValueError`` on bad hex."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + content).hexdigest()


def event_hash(prev_hash: str, seq: int, at: str, user: str, action: str, entity: str,
               entity_id: str, detail: Mapping[str, Any]) -> str:
    """The hash of an event given its predecessor's hash."""
    return link_hash(prev_hash, canonical(seq, at, user, action, entity, entity_id, detail))


@dataclass(frozen=True)
class ChainReport:
    """Result of :func:`verify`: ``ok``, event count, the head hash, and the first bad
    sequence number with the reason (``None`` when the chain verifies)."""

    ok: bool
    count: int
    head: str
    first_bad_seq: int | None
    reason: str


def verify(events: Iterable[ChainEvent]) -> ChainReport:
    """Walk ``events`` in stored order and report the first break.

    A break is a sequence number that is not the previous one plus one (deleted or
    reordered rows), a ``prev_hash`` that is not the previous event's hash, or a ``hash``
    that does not match the content (edited row). The reported number is the stored
    ``seq`` of the first offending row; for a gap, the first missing number.
    """
    prev = GENESIS
    expected = 1
    count = 0
    for event in events:
        count += 1
        if event.seq != expected:
            first = min(event.seq, expected)
            return ChainReport(False, count, prev, first, "sequence gap or reorder")
        if event.prev_hash != prev:
            return ChainReport(False, count, prev, event.seq, "previous hash mismatch")
        try:
            actual = event_hash(prev, event.seq, event.at, event.user, event.action,
                                event.entity, event.entity_id, event.detail)
        except ValueError:
            return ChainReport(False, count, prev, event.seq, "malformed hash")
        if actual != event.hash:
            return ChainReport(False, count, prev, event.seq, "content does not match hash")
        prev = event.hash
        expected += 1
    return ChainReport(True, count, prev, None, "")


def recompute_head(events: Iterable[ChainEvent]) -> str:
    """The head obtained by re-hashing every event's *content* in stored order, ignoring the
    stored hashes. Equals the stored head only when no event was edited, removed, inserted
    or reordered since; compare it with the head recorded in a finalized submission."""
    prev = GENESIS
    for event in events:
        prev = event_hash(prev, event.seq, event.at, event.user, event.action, event.entity,
                          event.entity_id, event.detail)
    return prev

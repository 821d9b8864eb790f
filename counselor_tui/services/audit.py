"""The single function that appends to the audit chain, and the chain's readers.

Every write of every service calls :func:`record` inside its own transaction, so an event
exists exactly when its change was committed. Events carry ids and field names, never
names, notes or passphrases (DESIGN §5). Actions are snake-case verbs, e.g. ``login``,
``login_failed``, ``unlock``, ``lock``, ``view``, ``create``, ``update``, ``export``,
``backup``, ``restore``, ``rekey``, ``recovery_used``, ``settings_change``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from counselor_tui.domain.audit_chain import (
    GENESIS,
    ChainEvent,
    ChainReport,
    event_hash,
    recompute_head,
    verify,
)
from counselor_tui.services.context import VaultSession
from db.models import AuditEvent


def record(
    vs: VaultSession,
    action: str,
    entity: str = "",
    entity_id: object = "",
    detail: Mapping[str, Any] | None = None,
    *,
    user: str | None = None,
    at: str | None = None,
) -> int:
    """Append one event and return its sequence number.

    Must run inside :meth:`VaultSession.transaction` (``BEGIN IMMEDIATE`` serialises
    writers, so the chain has one tail). ``user`` defaults to the acting username; ``at`` to
    the session clock. Raises ``RuntimeError`` when called outside a transaction.
    """
    if not vs.db.in_transaction():
        raise RuntimeError("audit.record must run inside a transaction")
    return append(
        vs.db.execute_sql,
        at=at or vs.now_iso(),
        user=user or vs.actor.username,
        action=action,
        entity=entity,
        entity_id=str(entity_id if entity_id is not None else ""),
        detail=dict(detail or {}),
    )


def append(
    execute: Any,
    *,
    at: str,
    user: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any],
) -> int:
    """Low-level append through ``execute(sql, params)`` (used by :func:`record` and by
    vault creation before a session exists)."""
    row = execute('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1').fetchone()
    seq, prev = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS)
    digest = event_hash(prev, seq, at, user, action, entity, entity_id, detail)
    AuditEvent.insert(
        seq=seq, at=at, user=user, action=action, entity=entity, entity_id=entity_id,
        detail=detail, prev_hash=prev, hash=digest,
    ).execute()
    return seq


def chain_events(execute: Any) -> Iterator[ChainEvent]:
    """Every stored event in ``seq`` order, read through ``execute(sql)`` (a DB-API
    connection's ``execute`` or the session's), as :class:`ChainEvent`. A detail that is not
    JSON (a tampered row) is kept as ``{"unparseable": True}`` so the hash check fails."""
    cursor = execute(
        "SELECT seq, at, user, action, entity, entity_id, detail, prev_hash, hash "
        "FROM audit_event ORDER BY seq"
    )
    for seq, at, user, action, entity, entity_id, detail, prev_hash, digest in cursor:
        try:
            parsed = json.loads(detail) if detail else {}
        except ValueError:
            parsed = {"unparseable": True}
        yield ChainEvent(int(seq), at, user, action, entity, entity_id, parsed, prev_hash, digest)


def iter_events(vs: VaultSession) -> Iterator[ChainEvent]:
    """Every stored event in ``seq`` order (inside ``reading``)."""
    return chain_events(vs.db.execute_sql)


def verify_chain(vs: VaultSession) -> ChainReport:
    """Verify the whole chain (see :func:`counselor_tui.domain.audit_chain.verify`)."""
    with vs.reading():
        return verify(iter_events(vs))


def recomputed_head(vs: VaultSession) -> str:
    """The head re-hashed from the events' content (see ``domain.audit_chain.recompute_head``)."""
    with vs.reading():
        return recompute_head(iter_events(vs))


def head(vs: VaultSession) -> str:
    """The hash of the last event (the genesis value for an empty chain)."""
    with vs.reading():
        row = vs.db.execute_sql("SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    return str(row[0]) if row else GENESIS


@dataclass(frozen=True)
class AuditRow:
    """One audit event as the audit screen lists it."""

    seq: int
    at: str
    user: str
    action: str
    entity: str
    entity_id: str
    detail: Mapping[str, Any]

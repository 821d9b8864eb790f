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
from datetime import date, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counselor_tui.domain.audit_chain import (
    GENESIS,
    ChainEvent,
    ChainReport,
    event_hash,
    recompute_head,
    verify,
)
from counselor_tui.domain.permissions import Action
from counselor_tui.services.context import VaultSession
from db import audit_sign
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
    vs.audit_appended = True  # the witness is rewritten after the commit
    signer = (vs.actor.username, vs.account_key) if vs.account_key is not None else None
    seq = append(
        vs.db.execute_sql,
        at=at or vs.now_iso(),
        user=user or vs.actor.username,
        action=action,
        entity=entity,
        entity_id=str(entity_id if entity_id is not None else ""),
        detail=dict(detail or {}),
        signer=signer,
    )
    if action not in READ_ACTIONS:
        vs.own_last_change = seq
    return seq


#: Audit actions that change nothing a screen shows (live screens ignore them).
READ_ACTIONS = ("view", "login", "login_failed", "unlock", "lock", "backup", "export",
                "check", "recovery_used")


def append(
    execute: Any,
    *,
    at: str,
    user: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: dict[str, Any],
    signer: tuple[str, Ed25519PrivateKey] | None = None,
) -> int:
    """Low-level append through ``execute(sql, params)`` (used by :func:`record` and by
    vault creation before a session exists). ``signer`` is the acting account's name and
    Ed25519 account key: the event is signed by it (``db.witness``; issue 11)."""
    row = execute('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1').fetchone()
    seq, prev = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS)
    digest = event_hash(prev, seq, at, user, action, entity, entity_id, detail)
    name, sig = (signer[0], audit_sign.sign_event(signer[1], seq, digest, signer[0])) \
        if signer is not None else (None, None)
    AuditEvent.insert(
        seq=seq, at=at, user=user, action=action, entity=entity, entity_id=entity_id,
        detail=detail, prev_hash=prev, hash=digest, signer=name, sig=sig,
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


# -- reading the log (audit screen; DESIGN §5 roles, §6 "Audit 审计") -------------------------


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list: exact ``action``, ``user`` and ``entity`` (None = any), and an
    inclusive range of bureau dates ``since`` … ``until`` (None = open)."""

    action: str | None = None
    user: str | None = None
    entity: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditChoices:
    """The distinct actions, users and entities in the log (for the screen's filters)."""

    actions: tuple[str, ...]
    users: tuple[str, ...]
    entities: tuple[str, ...]


def _require_audit_reader(vs: VaultSession) -> None:
    """Only auditors and admins read the log (DESIGN §5 "Roles")."""
    vs.require_to(Action.READ_AUDIT)


def _where(flt: AuditFilter) -> tuple[str, tuple[Any, ...]]:
    """SQL ``WHERE`` clause and parameters of ``flt``.

    Times are stored as ISO text with the bureau offset (DESIGN §4), so a date range is a
    text range: ``at >= 'YYYY-MM-DD'`` and ``at < '<day after until>'``.
    """
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("action", flt.action), ("user", flt.user),
                          ("entity", flt.entity)):
        if value:
            clauses.append(f'"{column}" = ?')
            params.append(value)
    if flt.since is not None:
        clauses.append('"at" >= ?')
        params.append(flt.since.isoformat())
    if flt.until is not None:
        clauses.append('"at" < ?')
        params.append((flt.until + timedelta(days=1)).isoformat())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params)


def count_events(vs: VaultSession, flt: AuditFilter | None = None) -> int:
    """How many events match ``flt`` (auditor/admin; :class:`PermissionDenied` otherwise)."""
    _require_audit_reader(vs)
    where, params = _where(flt or AuditFilter())
    with vs.reading():
        row = vs.execute(f"SELECT count(*) FROM audit_event{where}", params).fetchone()
    return int(row[0])


def list_events(vs: VaultSession, flt: AuditFilter | None, offset: int,
                limit: int) -> list[AuditRow]:
    """One page of events matching ``flt``, newest first (``seq`` descending), rows
    ``offset`` … ``offset+limit-1``. Auditor/admin only. Details hold ids, field names and
    counts only (by construction of :func:`record`)."""
    _require_audit_reader(vs)
    where, params = _where(flt or AuditFilter())
    sql = ("SELECT seq, at, user, action, entity, entity_id, detail FROM audit_event"
           f"{where} ORDER BY seq DESC LIMIT ? OFFSET ?")
    with vs.reading():
        rows = vs.execute(sql, (*params, max(0, limit), max(0, offset))).fetchall()
    found = []
    for seq, at, user, action, entity, entity_id, detail in rows:
        try:
            parsed = json.loads(detail) if detail else {}
        except ValueError:
            parsed = {"unparseable": True}
        found.append(AuditRow(int(seq), at, user, action, entity, entity_id,
                              parsed if isinstance(parsed, dict) else {"value": parsed}))
    return found


def audit_choices(vs: VaultSession) -> AuditChoices:
    """Distinct actions, users and entities present in the log, sorted (auditor/admin)."""
    _require_audit_reader(vs)

    def distinct(column: str) -> tuple[str, ...]:
        cursor = vs.execute(f'SELECT DISTINCT "{column}" FROM audit_event '
                            f'WHERE "{column}" != \'\' ORDER BY "{column}"')
        return tuple(str(r[0]) for r in cursor)

    with vs.reading():
        return AuditChoices(distinct("action"), distinct("user"), distinct("entity"))


def record_view(vs: VaultSession, entity: str, entity_id: object,
                detail: Mapping[str, Any] | None = None) -> int:
    """Write one ``view`` event in its own transaction (a read of identifying data, DESIGN
    §5 "Audit": the person record, a session, an assessment, a person's trend chart …);
    returns its sequence number. Call it after the read succeeded, before returning it."""
    with vs.transaction():
        return record(vs, "view", entity, entity_id, detail or {})


def record_log_view(vs: VaultSession) -> int:
    """Write the ``view audit_log`` event of one opening of the audit screen (auditor/admin);
    returns its sequence number."""
    _require_audit_reader(vs)
    with vs.transaction():
        return record(vs, "view", "audit_log", "", {})


def check_chain(vs: VaultSession) -> ChainReport:
    """:func:`verify_chain` for the audit screen: auditor/admin only."""
    _require_audit_reader(vs)
    return verify_chain(vs)

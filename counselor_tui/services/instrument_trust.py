"""Which stored definitions of a bureau's own instruments count (issue 16 point 4;
docs/threat-model.md "Bureau instrument definitions").

``bureau_instrument`` rows are not signed. Like the trust list
(:mod:`counselor_tui.services.trusted_signers`), a row counts only when vouched for by the
signed audit log: its latest ``create instrument`` event (entity id = the row id) names the
row's code, version, revision and SHA-256, the text stored hashes to that SHA-256, the event
is intact in the hash chain and — once events are signed (issue 11) — it was written and
signed by an account holding a coordinator grant. A row written with the data key alone, a
row's bands rewritten with raw SQL (with or without its ``sha256``), or a definition a
counselor stored by changing their own role in memory, counts for nothing: :func:`vouch`
says why, ``check`` names it (``instrument_definitions``) and scoring refuses it
(:func:`counselor_tui.services.instruments.current`, ``bound``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.domain.roles import Role
from counselor_tui.services import anchors
from db import grants
from db.connection import CheckLine
from db.vault import KeySet

Execute = Callable[..., Any]

#: Rows already vouched for, by vault id, row id, row SHA-256 and the event's seq, hash,
#: user and signature: a later change of the row or its event (or another copy of the
#: vault with another event) gives another key and is checked again.
_VOUCHED: set[tuple[str, int, str, int, str, str, bytes]] = set()


def _event(execute: Execute, row_id: int) -> tuple[Any, ...] | None:
    found: tuple[Any, ...] | None = execute(
        "SELECT e.seq, e.at, e.user, e.action, e.entity_id, e.detail, e.hash, e.signer, e.sig,"
        " COALESCE((SELECT p.hash FROM audit_event p WHERE p.seq = e.seq - 1), '') "
        "FROM audit_event e WHERE e.entity = 'instrument' AND e.entity_id = ? "
        "AND e.action = 'create' ORDER BY e.seq DESC LIMIT 1", (str(row_id),)).fetchone()
    return found


def vouch(execute: Execute, chain: grants.ChainState | Callable[[], grants.ChainState],
          vault_id: str, row_id: int, code: str, version: str, revision: int, sha256: str,
          text: str) -> str:
    """Why the stored definition ``row_id`` (its columns as given) does not count, or ""
    when it does (module docstring). ``chain`` is the verified grant chain
    (:func:`state_of`) or a function giving it, called only when the row was not vouched
    for already. The reason names the code, version and an account only, never the
    definition's content."""
    label = f"{code} {version} (#{row_id})"
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
        return f"{label}: its text was changed after it was added"
    row = _event(execute, row_id)
    if row is None:
        return f"{label}: not added by a create instrument event"
    seq, at, user, digest, signer, sig = (int(row[0]), str(row[1]), str(row[2]), str(row[6]),
                                          row[7], row[8])
    key = (vault_id, row_id, sha256, seq, digest, user, bytes(sig or b""))
    if key in _VOUCHED:
        return ""
    state = chain() if callable(chain) else chain
    try:
        detail = json.loads(row[5]) if row[5] else {}
    except ValueError:
        detail = {}
    if not isinstance(detail, dict) or (detail.get("code"), detail.get("version"),
                                        detail.get("revision"), detail.get("sha256")) != (
                                            code, version, revision, sha256):
        return f"{label}: its create event names other content"
    if seq > 1 and event_hash(str(row[9]), seq, at, user, "create", "instrument",
                              str(row_id), detail) != digest:
        return f"{label}: its create event was altered"
    if state.root and state.audit_from:
        if seq < state.audit_from:  # written before events were signed
            if not anchors.sealed_by_first_signed(execute, state, seq):
                return f"{label}: its create event is not covered by the first signed event"
        else:
            if signer != user or not any(g.username == user
                                         and g.role == Role.COORDINATOR.value
                                         for g in state.counted):
                return f"{label}: added by {user}, who holds no coordinator grant"
            if not anchors.event_signed_by(state, seq, digest, user, sig):
                return f"{label}: its create event's signature does not verify"
    _VOUCHED.add(key)
    return ""


def state_of(execute: Execute, vault_id: str) -> grants.ChainState:
    """The verified grant chain :func:`vouch` needs."""
    return grants.verify_chain(grants.load(execute), vault_id)


def untrusted(execute: Execute, vault_id: str) -> list[str]:
    """The reason of every stored definition that does not count (``[]`` when all do)."""
    state = state_of(execute, vault_id)
    rows = execute("SELECT id, code, version, revision, sha256, definition "
                   "FROM bureau_instrument ORDER BY id").fetchall()
    return [reason for r in rows
            if (reason := vouch(execute, state, vault_id, int(r[0]), str(r[1]), str(r[2]),
                                int(r[3]), str(r[4]), str(r[5])))]


def check_line(execute: Execute, keys: KeySet) -> CheckLine:
    """``instrument_definitions`` for ``counselor-tui check``: every stored definition of
    the bureau's own is vouched for (:func:`vouch`)."""
    bad = untrusted(execute, keys.vault_id)
    return CheckLine("instrument_definitions", not bad, "; ".join(bad))

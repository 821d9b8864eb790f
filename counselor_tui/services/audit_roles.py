"""``check``'s ``audit_roles`` line: audit events whose signer's role may not do what the
event records (:data:`counselor_tui.domain.permissions.AUDITED_ACTIONS`).

The services refuse a role an action (``require_to``); someone holding a passphrase and the
product's modules can still write the rows and sign the event with their own account key
(docs/threat-model.md, "Enforced by the application only"). The event's signature names its
author: this line reads the author's role from the counted role grants (the latest grant
given before the event, else any grant of that account) and reports the events that role was
not allowed to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from counselor_tui.domain.permissions import AUDITED_ACTIONS, event_allowed
from db import grants
from db.connection import CheckLine
from db.vault import KeySet

Execute = Callable[..., Any]


def _role_at(counted: tuple[grants.Grant, ...], user: str, at: str) -> str:
    """The role of ``user``'s latest counted grant given at or before ``at`` (ISO), else of
    their first grant; ``""`` without any."""
    mine = sorted((g for g in counted if g.username == user), key=lambda g: g.seq)
    before = [g for g in mine if g.at <= at]
    if before:
        return before[-1].role
    return mine[0].role if mine else ""


def check_line(execute: Execute, keys: KeySet) -> CheckLine:
    """``audit_roles``: ok, or the first three events (of how many) whose signer's role may
    not do them (``event 57 (li, counselor): create org_member needs
    manage_organisation``)."""
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    if not state.root:
        return CheckLine("audit_roles", True, "no role grants yet")
    pairs = sorted(AUDITED_ACTIONS)
    where = " OR ".join("(action = ? AND entity = ?)" for _p in pairs)
    params = [x for pair in pairs for x in pair]
    bad: list[str] = []
    checked = 0
    for seq, at, user, action, entity in execute(
            f"SELECT seq, at, user, action, entity FROM audit_event WHERE ({where}) "
            "ORDER BY seq", tuple(params)):
        checked += 1
        role = _role_at(state.counted, str(user), str(at))
        if not event_allowed(role, str(action), str(entity)):
            needed = AUDITED_ACTIONS[(str(action), str(entity))]
            bad.append(f"event {seq} ({user}, {role or 'no role'}): {action} {entity} "
                       f"needs {needed.value}")
    if bad:
        return CheckLine("audit_roles", False,
                         f"{len(bad)} of {checked} events: " + "; ".join(bad[:3]))
    return CheckLine("audit_roles", True, f"({checked} role-checked events)")

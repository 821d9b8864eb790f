"""``check``'s verdict on who wrote the audit chain and whether it matches its anchors.

Issue 11 item 4 (DESIGN §5 "Audit", "Witness"): every event from the root grant's
``audit_from`` on must be signed by the account that wrote it (``db.witness``); the witness
beside the vault (issue 12's file, signed since issue 11 by the account that wrote it) and
the anchors kept elsewhere — a backup's witness, a submission package's signed manifest —
must still find their head in the chain. Each function returns one
:class:`~db.connection.CheckLine`; ``detail`` names sequence numbers and account names only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.reports import package as packages
from counselor_tui.services.errors import ServiceError
from db import audit_sign, grants, witness
from db.connection import CheckLine
from db.vault import KeySet

Execute = Callable[..., Any]
#: Events whose ``user`` is not the account that wrote them (a failed attempt is written
#: by the next successful login).
FOREIGN_USER_ACTIONS = frozenset({"login_failed"})


def signatures_line(execute: Execute, keys: KeySet) -> CheckLine:
    """``audit_signatures``: every event from ``audit_from`` on is signed by its actor's
    account key; names the first event that is not (and how many are not)."""
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    if not state.root and grants.bound_root(keys.slots):
        return CheckLine("audit_signatures", False, "the key slots are bound to a root but "
                                                    "no valid grants remain to verify the "
                                                    "events with (tampering)")
    if not state.root or not state.audit_from:
        return CheckLine("audit_signatures", True, "no signed events yet")
    early = execute("SELECT MIN(seq), COUNT(*) FROM audit_event WHERE seq < ? AND "
                    "sig IS NOT NULL", (state.audit_from,)).fetchone()
    if early and early[1]:
        return CheckLine("audit_signatures", False,
                         f"{early[1]} events before event {state.audit_from}, where this chain "
                         f"of grants starts signing, carry signatures (the first: event "
                         f"{early[0]}): an earlier chain of grants signed them, so the grants "
                         "were replaced")
    bad: list[str] = []
    checked = 0
    known: dict[str, set[str]] = {}
    for seq, user, action, digest, signer, sig in execute(
            "SELECT seq, user, action, hash, signer, sig FROM audit_event WHERE seq >= ? "
            "ORDER BY seq", (state.audit_from,)):
        checked += 1
        reason = ""
        if not signer or sig is None:
            reason = "not signed"
        elif signer != user and action not in FOREIGN_USER_ACTIONS:
            reason = f"signed by {signer}"
        else:
            keys_of = known.setdefault(signer, state.keys_of(signer))
            try:
                message = audit_sign.event_message(int(seq), str(digest), str(signer))
            except ValueError:
                message = b""
            if not any(audit_sign.verifies(k, bytes(sig), message) for k in keys_of):
                reason = "signature does not verify"
        if reason:
            bad.append(f"event {seq} ({user}): {reason}")
    if bad:
        return CheckLine("audit_signatures", False,
                         f"{len(bad)} of {checked} events: " + "; ".join(bad[:3]))
    return CheckLine("audit_signatures", True, f"({checked} signed events)")


def _root_changed(state: grants.ChainState, anchored: str, what: str) -> CheckLine | None:
    """A failed line when ``anchored`` (a root fingerprint an anchor recorded) is not the
    chain's root now: the grant chain was replaced since (an insider who unbound their own
    slot and signed a new chain; see docs/threat-model.md)."""
    if not anchored or anchored == state.root:
        return None
    now = grants.show_fingerprint(state.root) if state.root else "none"
    return CheckLine(what, False, f"made when the role grants started at root "
                                  f"{grants.show_fingerprint(anchored)}; they now start at "
                                  f"{now}: the grants were replaced (compare with the "
                                  "fingerprint printed at init)")


def _signer_ok(state: grants.ChainState, seen: witness.Witness) -> bool:
    return seen.signature_verifies() and seen.signer_key in state.keys_of(seen.signer)


#: Roles whose account may create the bureau's package signing key.
SIGNING_KEY_MAKERS = frozenset({"admin", "coordinator"})


def signing_key_vouch(execute: Execute, state: grants.ChainState, fingerprint: str,
                      public_key: bytes) -> str:
    """Why the signing key ``fingerprint`` (with raw public key ``public_key``) is not
    vouched for, or "" when it is. Vouched: the fingerprint is the SHA-256 of the public
    key, and its ``create signing_key`` audit event exists and — once events are signed
    (the root grant's ``audit_from``) — was written and signed (the signature verifying
    under one of their counted account keys) by an account holding an admin or coordinator
    grant (:data:`SIGNING_KEY_MAKERS`). A row inserted with the data key alone (a key of an
    insider's, to get packages signed with it) fails. The reason names a fingerprint prefix
    and an account name only."""
    short = str(fingerprint)[:16]
    raw = bytes(public_key) if isinstance(public_key, (bytes, memoryview)) else b""
    if hashlib.sha256(raw).hexdigest() != str(fingerprint):
        return f"{short}: fingerprint does not match its public key"
    row = execute("SELECT seq, user, hash, signer, sig FROM audit_event WHERE action = "
                  "'create' AND entity = 'signing_key' AND entity_id = ? ORDER BY seq LIMIT 1",
                  (short,)).fetchone()
    if row is None:
        return f"{short}: no creation event"
    seq, user, digest, signer, sig = int(row[0]), str(row[1]), str(row[2]), row[3], row[4]
    if not state.root or not state.audit_from:
        return ""  # an old vault before its first admin unlock: nothing is signed yet
    if seq < state.audit_from:  # created before events were signed (an upgraded old vault)
        return "" if sealed_by_first_signed(execute, state, seq) else (
            f"{short}: its creation event is not covered by the first signed event")
    holder = any(g.username == user and g.role in SIGNING_KEY_MAKERS for g in state.counted)
    if signer != user or not holder:
        return f"{short}: created by {user}, who holds no admin or coordinator grant"
    if not event_signed_by(state, seq, digest, user, sig):
        return f"{short}: its creation event's signature does not verify"
    return ""


def event_signed_by(state: grants.ChainState, seq: int, digest: str, user: str,
                    sig: bytes | None) -> bool:
    """True when ``sig`` is ``user``'s signature of audit event ``seq`` (hash ``digest``)
    under one of the account keys the grant chain ``state`` counts for them."""
    try:
        message = audit_sign.event_message(seq, digest, user)
    except ValueError:
        return False
    return sig is not None and any(audit_sign.verifies(k, bytes(sig), message)
                                   for k in state.keys_of(user))


def sealed_by_first_signed(execute: Execute, state: grants.ChainState, start: int) -> bool:
    """True when the events from ``start`` to the first signed one (``audit_from``) still
    hash into each other and that event's signature verifies: the unsigned event at
    ``start`` is then as the vault was when signing began, not written in afterwards (an
    insider re-chaining the old, unsigned part breaks the first signature)."""
    prev = None
    last = None
    for seq, at, user, action, entity, entity_id, detail, prev_hash, digest, signer, sig in execute(
            "SELECT seq, at, user, action, entity, entity_id, detail, prev_hash, hash, signer, "
            "sig FROM audit_event WHERE seq >= ? AND seq <= ? ORDER BY seq",
            (start, state.audit_from)):
        try:
            body = json.loads(detail) if detail else {}
            ok = event_hash(str(prev_hash), int(seq), str(at), str(user), str(action),
                            str(entity), str(entity_id), body) == str(digest)
        except (ValueError, TypeError):
            return False
        if not ok or (prev is not None and str(prev_hash) != prev):
            return False
        prev, last = str(digest), (int(seq), str(user), str(digest), signer, sig)
    if last is None or last[0] != state.audit_from or last[3] is None or last[4] is None:
        return False
    seq, user, digest, signer, sig = last
    try:
        message = audit_sign.event_message(seq, digest, str(signer))
    except ValueError:
        return False
    return any(audit_sign.verifies(k, bytes(sig), message) for k in state.keys_of(str(signer)))


def signing_keys_line(execute: Execute, keys: KeySet) -> CheckLine:
    """``signing_keys``: every ``signing_key`` row is vouched for
    (:func:`signing_key_vouch`)."""
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    bad = [reason for fpr, public in execute(
               "SELECT fingerprint, public_key FROM signing_key ORDER BY id")
           if (reason := signing_key_vouch(execute, state, str(fpr), public))]
    if bad:
        return CheckLine("signing_keys", False, "; ".join(bad))
    return CheckLine("signing_keys", True, "")


def witness_signature_line(execute: Execute, keys: KeySet, vault: Path,
                           data_key: bytes) -> CheckLine | None:
    """``witness_signature``: who signed the witness beside the vault, and whether that
    account key is one the role grants gave them (None without a readable witness; the
    ``witness`` line reports on its content)."""
    try:
        seen = witness.read(vault, data_key, keys.vault_id)
    except witness.WitnessError:
        return None
    if seen is None:
        return None
    if not seen.signature:
        if grants.bound_root(keys.slots):
            return CheckLine("witness_signature", False,
                             "not signed, though the vault's key slots are bound to a root "
                             "(a witness written outside the program)")
        return CheckLine("witness_signature", True, "not signed (written before issue 11)")
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    if changed := _root_changed(state, seen.root, "witness_signature"):
        return changed
    if not _signer_ok(state, seen):
        return CheckLine("witness_signature", False,
                         f"the signature of {seen.signer} does not verify")
    return CheckLine("witness_signature", True, f"(by {seen.signer})")


def _against(execute: Execute, seen: witness.Witness) -> CheckLine:
    """Compare the chain with an anchored ``(seq, head)``."""
    row = execute("SELECT hash FROM audit_event WHERE seq = ?", (seen.seq,)).fetchone()
    last = execute("SELECT COALESCE(MAX(seq), 0) FROM audit_event").fetchone()[0]
    if row is None:
        return CheckLine("anchor", False, f"the chain ends at {last}, the anchor saw "
                                          f"{seen.seq} (events removed or commits lost)")
    if str(row[0]) != seen.head:
        return CheckLine("anchor", False, f"event {seen.seq} differs from the anchored head "
                                          "(history rewritten)")
    return CheckLine("anchor", True, f"(seq {seen.seq}, signed by {seen.signer})")


def anchor_line(execute: Execute, keys: KeySet, anchor: Path,
                password: str | None) -> CheckLine:
    """``anchor``: the chain against a witness file kept elsewhere (a backup's
    ``.witness``: its account signature must verify against the role grants) or a
    submission package (opened with ``password``; its manifest is signed by the vault's
    signing key and carries the head at export)."""
    try:
        seen = witness.parse(anchor)
    except FileNotFoundError:
        return CheckLine("anchor", False, f"{anchor} not found")
    except witness.WitnessError:
        seen = None  # not a witness: a package?
    if seen is not None:
        if seen.vault_id != keys.vault_id:
            return CheckLine("anchor", False, "witness of another vault")
        state = grants.verify_chain(grants.load(execute), keys.vault_id)
        if changed := _root_changed(state, seen.root, "anchor"):
            return changed
        if not _signer_ok(state, seen):
            return CheckLine("anchor", False, "the anchor's signature does not verify")
        return _against(execute, seen)
    if password is None:
        return CheckLine("anchor", False, "a package needs --anchor-password-file")
    try:
        opened = packages.verify(anchor, password)
    except ServiceError as exc:
        return CheckLine("anchor", False, str(exc))
    ours = {str(r[0]) for r in execute("SELECT fingerprint FROM signing_key")}
    if opened.fingerprint not in ours:
        return CheckLine("anchor", False, "package signed by another key")
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    if changed := _root_changed(state, str(opened.manifest.get("trust_root") or ""), "anchor"):
        return changed
    head = str(opened.manifest.get("audit_head", ""))
    row = execute("SELECT seq FROM audit_event WHERE hash = ?", (head,)).fetchone()
    if row is None:
        return CheckLine("anchor", False, "the chain no longer holds the package's head "
                                          "(events up to it edited or removed)")
    return CheckLine("anchor", True, f"(package head at seq {row[0]})")

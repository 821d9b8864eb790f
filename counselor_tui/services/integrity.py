"""Checking a vault (DESIGN §5 "check"): cipher pages, SQLite integrity, the audit chain,
the witness and anchors, the role grants; on a closed vault (``check``) or the open one (the
Users & settings screen)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counselor_tui.domain.audit_chain import ChainReport, verify
from counselor_tui.domain.permissions import Action
from counselor_tui.services import (
    anchors,
    audit,
    audit_roles,
    failsafe,
    instrument_trust,
    role_grants,
    trusted_signers,
    witness,
)
from counselor_tui.services.context import Clock, VaultSession
from counselor_tui.services.errors import (
    VaultDamaged,
    WrongPassphrase,
)
from counselor_tui.services.lifecycle import (
    known_user,
    open_key,
    require_files,
    throttle,
)
from db import vault as slots
from db.connection import (
    CheckLine,
    WrongKeyOrDamagedError,
    integrity_checks,
    open_connection,
)


@dataclass(frozen=True)
class CheckResult:
    """The lines of ``check`` and the audit-chain report; ``ok`` only if every line passed."""

    lines: tuple[CheckLine, ...]
    chain: ChainReport | None

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)


def check_vault(path: Path, username: str, passphrase: str, *, state_dir: Path,
                clock: Clock, anchor: Path | None = None,
                anchor_password: str | None = None) -> CheckResult:
    """Run ``check`` (DESIGN §5): cipher integrity, SQLite integrity, foreign keys and the
    audit chain, after a WAL checkpoint.

    Needs only the user's slot, not a readable user table, so it also reports on a damaged
    vault (naming damaged pages). Raises :class:`WrongPassphrase` / :class:`Throttled` like
    :func:`unlock`.
    """
    path = failsafe.real_vault_path(Path(path))
    require_files(path)
    ledger = throttle(path, state_dir, clock, known_user(path, username))
    try:
        keys, key, _secret = open_key(path, username, passphrase)
    except WrongPassphrase:
        failsafe.count_failure(ledger, clock, known_user(path, username))
        raise
    try:
        conn = open_connection(path, key)
    except WrongKeyOrDamagedError as exc:
        raise VaultDamaged(failsafe.damaged_message(path)) from exc
    try:
        return _check_lines(conn, keys, path, key, anchor, anchor_password)
    finally:
        conn.close()


def _check_lines(conn: Any, keys: slots.KeySet, path: Path, key: bytes, anchor: Path | None,
                anchor_password: str | None) -> CheckResult:
    """Every line of ``check`` read through the open connection ``conn`` (of the vault at
    ``path`` under data key ``key``): pages and SQLite, the audit chain and its witness,
    the grants and the anchors."""
    lines = integrity_checks(conn)
    chain: ChainReport | None = None
    try:
        chain = _verify_raw_chain(conn)
        detail = (f"({chain.count} events, head {chain.head[:16]})" if chain.ok else
                  f"first bad sequence number {chain.first_bad_seq} ({chain.reason})")
        lines.append(CheckLine("audit_chain", chain.ok, detail))
        lines.append(witness.check_line(witness.compare(path, key, keys.vault_id,
                                                        conn.execute)))
    except Exception as exc:  # a damaged audit table cannot be read at all
        lines.append(CheckLine("audit_chain", False, type(exc).__name__))
    lines.append(_grants_line(conn, keys))
    lines.extend(_anchor_lines(conn, keys, path, key, anchor, anchor_password))
    return CheckResult(tuple(lines), chain)


def _anchor_lines(conn: Any, keys: slots.KeySet, path: Path, key: bytes, anchor: Path | None,
                  password: str | None) -> list[CheckLine]:
    """Issue 11: the events' signatures, the witness beside the vault and ``anchor``."""
    found: list[CheckLine] = []
    try:
        found.append(anchors.signatures_line(conn.execute, keys))
        found.append(audit_roles.check_line(conn.execute, keys))
        found.append(anchors.signing_keys_line(conn.execute, keys))
        found.append(trusted_signers.check_line(conn.execute, keys))
        found.append(instrument_trust.check_line(conn.execute, keys))
        signed = anchors.witness_signature_line(conn.execute, keys, path, key)
        if signed is not None:
            found.append(signed)
        if anchor is not None:
            found.append(anchors.anchor_line(conn.execute, keys, anchor, password))
    except Exception as exc:  # a damaged table cannot be read at all
        found.append(CheckLine("audit_signatures", False, type(exc).__name__))
    return found


def _grants_line(conn: Any, keys: slots.KeySet) -> CheckLine:
    """``role_grants``: the root fingerprint, and any grant or account role that does not
    verify (issue 11)."""
    try:
        active = {str(r[0]): str(r[1]) for r in conn.execute(
            'SELECT username, role FROM "user" WHERE active = 1')}
        ok, detail = role_grants.chain_report(conn.execute, keys, active)
    except Exception as exc:  # a damaged table cannot be read at all
        return CheckLine("role_grants", False, type(exc).__name__)
    return CheckLine("role_grants", ok, detail)


def check_open(vs: VaultSession) -> CheckResult:
    """The checks of :func:`check_vault` on the open session, without asking for a
    passphrase again (the Users & settings screen): WAL checkpoint, ``cipher_integrity_check``,
    ``integrity_check``, ``foreign_key_check`` and the audit chain, in the same
    :class:`CheckResult` lines. Admin, auditor or coordinator (DESIGN §5 "Integrity"); any
    other role gets :class:`PermissionDenied`. Reads only: nothing is written or audited,
    like ``check``. A checkpoint held up by another connection of this program shows as a
    failed ``checkpoint`` line (the other checks still run on the file and its WAL).
    """
    vs.require_to(Action.CHECK_INTEGRITY)
    with vs.reading():
        return _check_lines(vs.db.raw(), vs.keys, vs.path, vs.db.key, None, None)


def _verify_raw_chain(conn: Any) -> ChainReport:
    return verify(audit.chain_events(conn.execute))

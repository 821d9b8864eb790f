"""The trust list: which signers of submission packages this vault knows (issue 13, point 5).

A package verifies (password, hashes, Ed25519 signature) whoever signed it; what makes it a
submission of a *known* issuer is its signer fingerprint being on this vault's trust list,
added on purpose by a coordinator after comparing the fingerprint with the issuer by another
channel (telephone, a letter). The vault's own signing keys are trusted implicitly.

* :func:`add`, :func:`list_signers`, :func:`remove` — coordinators only (refused here, not
  only hidden in the interface); each change is an audit event (``trust_add`` /
  ``trust_remove``, entity ``trusted_signer``, with the fingerprint and the issuer's name —
  a bureau or unit name, never a person's).
* a row counts only when it is *vouched for* (:func:`vouch`): the latest ``trust_add`` /
  ``trust_remove`` event of its fingerprint is a ``trust_add`` naming it, intact in the hash
  chain and — once events are signed (issue 11) — written and signed by an account holding a
  coordinator grant. A row inserted with the data key alone (an insider's own key, to get
  packages consolidated) is ignored, and ``check`` reports it (:func:`check_line`).
* :func:`known_signers` — the fingerprints this vault accepts (the list and its own keys);
  :func:`verify_known` (``submission verify``) and :func:`open_trusted` (``submission
  consolidate``) refuse a package from any other signer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counselor_tui.domain.audit_chain import event_hash
from counselor_tui.domain.permissions import Action, roles_for
from counselor_tui.domain.roles import Role
from counselor_tui.domain.text import has_control_chars
from counselor_tui.i18n import _
from counselor_tui.reports import consolidate as consolidation
from counselor_tui.reports.document import parse_document, sha256_hex
from counselor_tui.reports.package import (
    JSON_NAME,
    PackageError,
    PackagePasswordError,
    UntrustedSigner,
    VerifyResult,
    normalize_fingerprint,
    verify,
)
from counselor_tui.services import anchors, audit
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound
from counselor_tui.services.settings import get_setting
from db import grants
from db.connection import CheckLine
from db.models import SigningKey, TrustedSigner, User
from db.vault import KeySet

#: Roles that may read and change the trust list (DESIGN §5: the coordinator runs
#: submissions; issue 13).
MANAGERS: tuple[Role, ...] = tuple(sorted(roles_for(Action.MANAGE_TRUSTED_SIGNERS)))
MAX_NAME = 100


@dataclass(frozen=True)
class Signer:
    """A trusted signer: ``fingerprint`` (64 lower-case hex digits), the bureau or unit
    ``name``, ``added_at`` (ISO time) and ``added_by`` (user name); ``own`` is True for this
    vault's own signing key (trusted implicitly, not removable)."""

    fingerprint: str
    name: str
    added_at: str
    added_by: str
    own: bool = False


def _clean_name(name: str) -> str:
    text = " ".join(str(name).split())
    if not text:
        raise InvalidInput(_("Give the name of the bureau or unit this signer belongs to."))
    if has_control_chars(text):
        raise InvalidInput(_("The signer's name contains control characters: type it again."))
    if len(text) > MAX_NAME:
        raise InvalidInput(_("The signer's name is too long (at most {n} characters).").format(
            n=MAX_NAME))
    return text


def _own(vs: VaultSession, state: grants.ChainState) -> list[Signer]:
    """This vault's own signing keys that are vouched for (:func:`anchors.signing_key_vouch`:
    created by an admin or coordinator per the signed audit log). A ``signing_key`` row
    planted with the data key alone is not one of them: it is trusted by nothing (and
    ``check`` reports it on its ``signing_keys`` line)."""
    bureau = str(get_setting(vs, "bureau_name", "") or "")
    return [Signer(str(k.fingerprint), bureau, str(k.created_at), "", own=True)
            for k in SigningKey.select().order_by(SigningKey.id)
            if not anchors.signing_key_vouch(vs.execute, state, str(k.fingerprint),
                                             bytes(k.public_key))]


Execute = Callable[..., Any]


def vouch(execute: Execute, state: grants.ChainState, fingerprint: str) -> str:
    """Why the trust-list row of ``fingerprint`` is not vouched for, or "" when it is (see
    the module docstring). The reason names a fingerprint prefix and an account only."""
    short = fingerprint[:16]
    row = execute(
        "SELECT e.seq, e.at, e.user, e.action, e.entity_id, e.detail, e.hash, e.signer, e.sig,"
        " COALESCE((SELECT p.hash FROM audit_event p WHERE p.seq = e.seq - 1), '') "
        "FROM audit_event e WHERE e.entity = 'trusted_signer' AND e.entity_id = ? "
        "AND e.action IN ('trust_add', 'trust_remove') ORDER BY e.seq DESC LIMIT 1",
        (short,)).fetchone()
    if row is None or row[3] != "trust_add":
        return f"{short}: not added by a trust_add event"
    seq, at, user, digest, signer, sig = int(row[0]), str(row[1]), str(row[2]), str(row[6]), \
        row[7], row[8]
    try:
        detail = json.loads(row[5]) if row[5] else {}
    except ValueError:
        detail = {}
    if not isinstance(detail, dict) or detail.get("fingerprint") != fingerprint:
        return f"{short}: its trust_add event names another fingerprint"
    if seq > 1 and event_hash(str(row[9]), seq, at, user, "trust_add", "trusted_signer",
                              short, detail) != digest:
        return f"{short}: its trust_add event was altered"
    if not state.root or not state.audit_from:
        return ""  # an old vault before its first admin unlock: nothing is signed yet
    if seq < state.audit_from:  # written before events were signed (an upgraded old vault)
        return "" if anchors.sealed_by_first_signed(execute, state, seq) else (
            f"{short}: its trust_add event is not covered by the first signed event")
    if signer != user or not any(g.username == user and g.role == Role.COORDINATOR.value
                                 for g in state.counted):
        return f"{short}: added by {user}, who holds no coordinator grant"
    if not anchors.event_signed_by(state, seq, digest, user, sig):
        return f"{short}: its trust_add event's signature does not verify"
    return ""


def check_line(execute: Execute, keys: KeySet) -> CheckLine:
    """``trusted_signers`` for ``counselor-tui check``: every trust-list row is vouched for
    (:func:`vouch`)."""
    state = grants.verify_chain(grants.load(execute), keys.vault_id)
    bad = [reason for (fpr,) in execute("SELECT fingerprint FROM trusted_signer ORDER BY id")
           if (reason := vouch(execute, state, str(fpr)))]
    return CheckLine("trusted_signers", not bad, "; ".join(bad))


def known_signers(vs: VaultSession) -> dict[str, str]:
    """``{fingerprint: issuer name}`` of every signer this vault accepts: its vouched trust
    list rows (:func:`vouch`) and its own signing keys (any role that may run the caller;
    reads only)."""
    with vs.reading():
        state = grants.verify_chain(grants.load(vs.execute), vs.keys.vault_id)
        known = {s.fingerprint: s.name for s in _own(vs, state)}
        for row in TrustedSigner.select():
            fpr = str(row.fingerprint)
            if not vouch(vs.execute, state, fpr):
                known.setdefault(fpr, str(row.name))
    return known


def list_signers(vs: VaultSession) -> list[Signer]:
    """This vault's own key(s) first, then the trust list by name. Coordinators only
    (:class:`PermissionDenied` otherwise)."""
    vs.require_to(Action.MANAGE_TRUSTED_SIGNERS)
    with vs.reading():
        users = {int(u.id): str(u.username) for u in User.select(User.id, User.username)}
        rows = [Signer(str(r.fingerprint), str(r.name), str(r.added_at),
                       users.get(int(r.added_by_id), ""))
                for r in TrustedSigner.select().order_by(TrustedSigner.name,
                                                         TrustedSigner.fingerprint)]
        state = grants.verify_chain(grants.load(vs.execute), vs.keys.vault_id)
        return [*_own(vs, state), *rows]


def add(vs: VaultSession, fingerprint: str, name: str) -> Signer:
    """Put ``fingerprint`` (64 hex digits; spaces and colons ignored) on the trust list as
    the signer of the bureau or unit ``name``. Audited ``trust_add``.

    Raises :class:`PermissionDenied` (not a coordinator), :class:`InvalidInput` (malformed
    fingerprint, empty or too long name, the vault's own key) and :class:`Conflict` (already
    on the list).
    """
    vs.require_to(Action.MANAGE_TRUSTED_SIGNERS)
    fpr = normalize_fingerprint(fingerprint)
    label = _clean_name(name)
    with vs.transaction():
        if SigningKey.get_or_none(SigningKey.fingerprint == fpr) is not None:
            raise InvalidInput(_("{fingerprint} is this vault's own signing key: it is trusted "
                                 "already.").format(fingerprint=fpr))
        existing = TrustedSigner.get_or_none(TrustedSigner.fingerprint == fpr)
        if existing is not None:
            raise Conflict(_("{fingerprint} is on the trust list already (as {name}).").format(
                fingerprint=fpr, name=existing.name))
        now = vs.now_iso()
        TrustedSigner.create(fingerprint=fpr, name=label, added_at=now, added_by=vs.actor.id)
        audit.record(vs, "trust_add", "trusted_signer", fpr[:16],
                     {"fingerprint": fpr, "name": label})
        return Signer(fpr, label, now, vs.actor.username)


def remove(vs: VaultSession, fingerprint: str) -> Signer:
    """Take ``fingerprint`` off the trust list; returns what was removed. Audited
    ``trust_remove``. Raises :class:`PermissionDenied`, :class:`InvalidInput` (malformed, or
    the vault's own key) and :class:`NotFound` (not on the list)."""
    vs.require_to(Action.MANAGE_TRUSTED_SIGNERS)
    fpr = normalize_fingerprint(fingerprint)
    with vs.transaction():
        if SigningKey.get_or_none(SigningKey.fingerprint == fpr) is not None:
            raise InvalidInput(_("{fingerprint} is this vault's own signing key: it cannot be "
                                 "taken off the trust list.").format(fingerprint=fpr))
        row = TrustedSigner.get_or_none(TrustedSigner.fingerprint == fpr)
        if row is None:
            raise NotFound(_("{fingerprint} is not on the trust list: 'submission trust list' "
                             "shows it.").format(fingerprint=fpr))
        user = User.get_or_none(User.id == row.added_by_id)
        removed = Signer(fpr, str(row.name), str(row.added_at),
                         str(user.username) if user is not None else "")
        row.delete_instance()
        audit.record(vs, "trust_remove", "trusted_signer", fpr[:16],
                     {"fingerprint": fpr, "name": removed.name})
        return removed


@dataclass(frozen=True)
class Verified:
    """A package that verifies and comes from a known signer: the :class:`VerifyResult`,
    ``basis`` — ``"expected"`` (named by ``--expect-fingerprint``), ``"trusted"`` (on the
    trust list) or ``"own"`` (this vault's key) — and the issuer ``name`` when known."""

    result: VerifyResult
    basis: str
    name: str | None


def verify_known(package: Path | bytes, password: str, expected: Iterable[str] | None,
                 known: Mapping[str, str] | None, own: Iterable[str] = ()) -> Verified:
    """Verify ``package`` (password, hashes, signature:
    :func:`counselor_tui.reports.package.verify`) and its signer.

    With ``expected`` fingerprints the signer must be one of them; without, it must be in
    ``known`` (a vault's :func:`known_signers`, None when no vault was opened; ``own`` names
    the vault's own fingerprints among them). Raises :class:`UntrustedSigner` (exit code 1)
    naming the fingerprint, :class:`InvalidInput` for a malformed expected fingerprint and
    the errors of ``verify``.
    """
    wanted = None if expected is None else {normalize_fingerprint(f) for f in expected}
    result = verify(package, password)
    fpr = result.fingerprint
    name = (known or {}).get(fpr)
    if wanted is not None:
        if fpr in wanted:
            return Verified(result, "expected", name)
        raise UntrustedSigner(_(
            "The package is signed by {fingerprint}, which is not an expected signer: it "
            "comes from another vault.").format(fingerprint=fpr))
    if known is not None and fpr in known:
        return Verified(result, "own" if fpr in set(own) else "trusted", name)
    if known is None:
        raise UntrustedSigner(_(
            "The package is intact, but its signer {fingerprint} is unknown: no "
            "--expect-fingerprint names it and no vault was opened to read a trust list. "
            "Compare the fingerprint with the issuer by telephone or letter, then give it "
            "with --expect-fingerprint (or open a vault that trusts it with --user).").format(
                fingerprint=fpr))
    raise UntrustedSigner(_(
        "The package is intact, but its signer {fingerprint} is unknown: it is not on this "
        "vault's trust list. Compare the fingerprint with the issuer by telephone or letter, "
        "then add it with 'submission trust add' (a coordinator).").format(fingerprint=fpr))


def own_fingerprints(vs: VaultSession) -> list[str]:
    """The fingerprints of this vault's own signing keys that are vouched for (:func:`_own`)."""
    with vs.reading():
        state = grants.verify_chain(grants.load(vs.execute), vs.keys.vault_id)
        return [s.fingerprint for s in _own(vs, state)]


class UnknownSigner(Conflict):
    """``consolidate`` was given a package whose signer this vault does not trust (exit
    code 2: nothing was consolidated)."""


def _package_label(package: Path | bytes, index: int) -> str:
    """The package as given (its path: two files of one name in different folders must be
    told apart), or ``package N`` for bytes."""
    if isinstance(package, Path):
        return str(package)
    return _("package {n}").format(n=index)


def open_trusted(vs: VaultSession, packages: Sequence[tuple[Path | bytes, str]],
                 expected: Iterable[str] | None = None) -> list[consolidation.Input]:
    """Verify every ``(package, password)`` and return its document as a consolidation
    input, in the order given.

    Each signer must be on the trust list or be this vault's own key and, when ``expected``
    is given, one of those fingerprints too. Raises :class:`UnknownSigner` naming the
    package (its path, or ``package N`` counted from 1) and its signer, before anything is
    stored, and the errors of :func:`counselor_tui.reports.package.verify` (same type, the
    message prefixed with the package's path).
    """
    known = known_signers(vs)
    wanted = None if expected is None else {normalize_fingerprint(f) for f in expected}
    inputs: list[consolidation.Input] = []
    for index, (package, password) in enumerate(packages, start=1):
        try:
            result = verify(package, password)
        except (PackageError, PackagePasswordError) as exc:
            label = _package_label(package, index)
            if label in str(exc):
                raise
            raise type(exc)(_("{package}: {error}").format(package=label, error=exc)) from None
        fpr = result.fingerprint
        if fpr not in known:
            raise UnknownSigner(_(
                "{package} is signed by {fingerprint}, which is not on this vault's trust "
                "list: nothing was consolidated. Compare the fingerprint with the issuer by "
                "telephone or letter, then add it with 'submission trust add' (a "
                "coordinator).").format(package=_package_label(package, index),
                                        fingerprint=fpr))
        if wanted is not None and fpr not in wanted:
            raise UnknownSigner(_(
                "{package} is signed by {fingerprint}, which no --expect-fingerprint names: "
                "nothing was consolidated.").format(package=_package_label(package, index),
                                                   fingerprint=fpr))
        document = parse_document(result.files[JSON_NAME])
        inputs.append(consolidation.Input(document, fpr, sha256_hex(result.files[JSON_NAME])))
    return inputs

"""Periodic submissions (情况报送, DESIGN §8): compile, narrative, finalize, export,
verify, consolidate; versions and the due date.

Life cycle of a :class:`db.models.Submission` row, one per (period, scope, version):

* ``draft`` — :func:`compile_draft` stores the exact content (with its disclosure record for
  the vault's ``suppression_k``); compiling again refreshes the draft; :func:`save_narrative`
  edits highlights, problems and next period's plan.
* ``final`` — :func:`finalize` re-reads the figures (a draft whose figures changed since it
  was compiled is refreshed and the coordinator asked to look again), then freezes content,
  narrative, the audit-chain head and the SHA-256 of the document (= the bytes of
  ``submission.json`` in the package). A final submission never changes: edits are refused;
  compiling the period again starts a new version that ``replaces`` it (a correction).
* ``exported`` — :func:`export` wrote at least one signed, encrypted package.

Dates (checked against ``vs.today()``, the bureau's time zone):

* a period is compiled (draft or preview) only from the year 2000 on and only once it has
  started — the current month may be compiled: its document is marked as a *running*
  period (:mod:`counselor_tui.reports.view`), a preview of figures so far;
* a period is finalized (and exported) only once it has ended (today after its last day):
  a report of a month still running would be final with figures that still change;
* ``export`` never replaces a file: a package of that name already in the folder refuses
  the export, naming the file (a generated password would otherwise orphan the old one);
* the dashboard does not ask for months that ended before the vault was created (the
  earlier of its ``vault_create`` audit event and its first account): nobody could have
  reported them from this vault.

Roles (DESIGN §5): coordinators — and admins, who run small offices alone — compile,
write, finalize, export and consolidate; auditors may read submissions and preview
aggregates; counselors may not. Every step is an audit event (``compile``, ``update``,
``finalize``, ``export``, ``consolidate``) carrying ids, the period and counts only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from counselor_tui.domain.periods import (
    Period,
    PeriodKind,
    period_of,
)
from counselor_tui.domain.permissions import Action, roles_for
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.reports import consolidate as consolidation
from counselor_tui.reports.content import BUREAU, period_from_json
from counselor_tui.reports.document import (
    build_document,
    canonical_bytes,
    clean_narrative,
    sha256_hex,
)
from counselor_tui.reports.package import (
    JSON_NAME,
    Signer,
    check_password,
    generate_password,
    make_package,
    package_name,
    write_package,
)
from counselor_tui.reports.render import render_files
from counselor_tui.services import audit, filing, sealed, trusted_signers
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from counselor_tui.services.filing import filing_record
from counselor_tui.services.lifecycle import is_own_passphrase
from counselor_tui.services.settings import get_setting
from counselor_tui.services.submission_compile import Progress, compile_content
from counselor_tui.services.submission_disclosure import audit_summary as _audit_summary
from counselor_tui.services.submission_disclosure import protected as _protected
from counselor_tui.services.submission_due import CONSOLIDATED as CONSOLIDATED
from counselor_tui.services.submission_due import DRAFT as DRAFT
from counselor_tui.services.submission_due import EARLIEST_YEAR as EARLIEST_YEAR
from counselor_tui.services.submission_due import EXPORTED as EXPORTED
from counselor_tui.services.submission_due import FINAL as FINAL
from counselor_tui.services.submission_due import VIEWERS as VIEWERS
from counselor_tui.services.submission_due import DueInfo as DueInfo
from counselor_tui.services.submission_due import check_compilable as check_compilable
from counselor_tui.services.submission_due import check_ended as check_ended
from counselor_tui.services.submission_due import dashboard_section as dashboard_section
from counselor_tui.services.submission_due import next_due as next_due
from counselor_tui.services.submission_due import to_period as to_period
from counselor_tui.services.submission_due import vault_started as vault_started
from db.models import SigningKey, Submission, User

COMPILERS: tuple[Role, ...] = tuple(sorted(roles_for(Action.COMPILE_SUBMISSION)))
MAX_NARRATIVE = 20000


@dataclass(frozen=True)
class SubmissionInfo:
    """One stored version: ids, period, scope, status and its frozen integrity values."""

    id: int
    period_kind: str
    period_label: str
    period_start: str
    scope: str
    version: int
    status: str
    suppression_k: int
    compiled_at: str | None
    content_sha256: str | None
    audit_head: str | None
    finalized_at: str | None
    finalized_by: str | None
    package_name: str | None
    replaces_id: int | None
    replaces_version: int | None
    updated_at: str

    @property
    def is_final(self) -> bool:
        """True once finalized (final or exported)."""
        return self.status in (FINAL, EXPORTED)


@dataclass(frozen=True)
class SubmissionDetail:
    """A version with its document (content + narrative + version; see
    ``docs/submission-json.md``)."""

    info: SubmissionInfo
    document: dict[str, Any]

    @property
    def narrative(self) -> dict[str, str]:
        """Highlights, problems and plan."""
        return clean_narrative(self.document.get("narrative"))


@dataclass(frozen=True)
class ExportResult:
    """A written package: its ``path``, the ``password`` when it was generated (show it once;
    None when the user typed it), the signer ``fingerprint`` and the package's SHA-256."""

    path: Path
    password: str | None
    fingerprint: str
    package_sha256: str


class PackageExists(Conflict):
    """The export folder already holds a package of that name: nothing is replaced."""

    def __init__(self, path: Path) -> None:
        super().__init__(_("{file} already exists in {folder}: nothing was replaced. Move or "
                           "rename that file (its password opens only it), or export into "
                           "another folder.").format(file=path.name, folder=path.parent))
        self.path = path


# --------------------------------------------------------------------------- helpers


def _k(vs: VaultSession) -> int:
    try:
        k = int(get_setting(vs, "suppression_k", 3))
    except (TypeError, ValueError):
        k = 3
    return max(2, k)


def _info(row: Submission, replaced: Submission | None, finalizer: str | None) -> SubmissionInfo:
    content = row.content or {}
    period = content.get("period") or {}
    start = date.fromisoformat(row.period_start)
    label = period.get("label") or period_of(cast(PeriodKind, row.period_kind), start).label
    return SubmissionInfo(
        id=int(row.id), period_kind=row.period_kind, period_label=str(label),
        period_start=row.period_start, scope=row.scope, version=int(row.version),
        status=row.status, suppression_k=int(row.suppression_k),
        compiled_at=(content.get("integrity") or {}).get("compiled_at"),
        content_sha256=row.content_sha256, audit_head=row.audit_head,
        finalized_at=row.finalized_at, finalized_by=finalizer,
        package_name=row.package_name, replaces_id=row.replaces_id,
        replaces_version=int(replaced.version) if replaced is not None else None,
        updated_at=row.updated_at,
    )


def _load(row: Submission) -> SubmissionInfo:
    replaced = Submission.get_or_none(Submission.id == row.replaces_id) if row.replaces_id else None
    finalizer = None
    if row.finalized_by_id:
        user = User.get_or_none(User.id == row.finalized_by_id)
        finalizer = user.username if user is not None else None
    return _info(row, replaced, finalizer)


def _row(submission_id: int) -> Submission:
    row = Submission.get_or_none(Submission.id == submission_id)
    if row is None:
        raise NotFound(_("No submission with id {id}.").format(id=submission_id))
    return row


def _document(row: Submission, info: SubmissionInfo) -> dict[str, Any]:
    return build_document(row.content or {}, row.narrative or {}, version=info.version,
                          replaces_version=info.replaces_version)


def _latest(period: Period, scope: str) -> Submission | None:
    row: Submission | None = (
        Submission.select()
        .where((Submission.period_kind == period.kind)
               & (Submission.period_start == period.start.isoformat())
               & (Submission.scope == scope))
        .order_by(Submission.version.desc()).first())
    return row


def _store_draft(vs: VaultSession, period: Period, scope: str, content: dict[str, Any],
                 k: int, action: str, detail: Mapping[str, Any]) -> Submission:
    """Refresh the latest draft of (period, scope) or start a new version (inside a
    transaction); audit ``action``."""
    now = vs.now_iso()
    latest = _latest(period, scope)
    if latest is not None and latest.status == DRAFT:
        latest.content = content
        latest.suppression_k = k
        latest.updated_at, latest.updated_by_id = now, vs.actor.id
        latest.save()
        row = latest
    else:
        row = Submission.create(
            period_kind=period.kind, period_start=period.start.isoformat(), scope=scope,
            version=1 if latest is None else int(latest.version) + 1, status=DRAFT,
            content=content, narrative=dict(latest.narrative or {}) if latest else {},
            suppression_k=k, replaces=None if latest is None else latest.id,
            created_at=now, created_by=vs.actor.id, updated_at=now, updated_by=vs.actor.id)
    audit.record(vs, action, "submission", row.id, {
        "period": period.label, "scope": scope, "version": int(row.version), **detail})
    return row


def _sections_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return bool(a.get("sections") == b.get("sections") and a.get("units") == b.get("units"))


# --------------------------------------------------------------------------- use cases


def scopes(vs: VaultSession) -> list[tuple[str, str]]:
    """``[("bureau", bureau name), (unit code, unit name), …]`` for the scope picker."""
    vs.require_to(Action.VIEW_SUBMISSIONS)
    bureau = str(get_setting(vs, "bureau_name", "") or "")
    with vs.reading():
        units = [(str(c), str(n)) for c, n in vs.execute(
            "SELECT code, name FROM unit WHERE active = 1 ORDER BY code")]
    return [(BUREAU, bureau or _("whole bureau")), *units]


def preview(vs: VaultSession, period: Period | str, scope: str = BUREAU, *,
            progress: Progress | None = None) -> dict[str, Any]:
    """The document of ``period``/``scope`` compiled now, without storing anything
    (coordinators, admins, auditors: aggregates only). Raises :class:`InvalidInput`."""
    vs.require_to(Action.VIEW_SUBMISSIONS)
    p = to_period(period)
    check_compilable(vs, p)
    content = _protected(vs, compile_content(vs, p, scope, progress=progress), _k(vs))
    content["filing"] = filing_record(vs, vs.today())
    with vs.transaction():
        audit.record(vs, "disclosure_audit", "submission", None, {
            "period": p.label, "scope": content["scope"]["code"], "stage": "preview",
            **_audit_summary(content)})
    return build_document(content, {}, version=None)


def compile_draft(vs: VaultSession, period: Period | str, scope: str = BUREAU, *,
                  progress: Progress | None = None) -> SubmissionDetail:
    """Compile ``period``/``scope`` into the current draft (or a new version after a final
    one, carrying its narrative over and recording ``replaces``). Audited ``compile``.

    Raises :class:`PermissionDenied` (role), :class:`InvalidInput` (period — also before
    2000 or not started yet: :func:`check_compilable` —, empty or unknown scope).
    """
    vs.require_to(Action.COMPILE_SUBMISSION)
    p = to_period(period)
    check_compilable(vs, p)
    k = _k(vs)
    content = _protected(vs, compile_content(vs, p, scope, progress=progress), k)
    content["filing"] = filing_record(vs, vs.today())
    with vs.transaction():
        row = _store_draft(vs, p, content["scope"]["code"], content, k, "compile",
                           {"disclosure_audit": _audit_summary(content)})
        info = _load(row)
        return SubmissionDetail(info, _document(row, info))


def save_narrative(vs: VaultSession, submission_id: int,
                   narrative: Mapping[str, Any]) -> SubmissionInfo:
    """Store highlights, problems and next period's plan of a draft (each stripped, at most
    20,000 characters). Audited ``update`` with the field names. Raises :class:`Conflict` for
    a final submission, :class:`NotFound`, :class:`InvalidInput` for too long a text."""
    vs.require_to(Action.COMPILE_SUBMISSION)
    cleaned = clean_narrative(narrative)
    for key, text in cleaned.items():
        if len(text) > MAX_NARRATIVE:
            raise InvalidInput(_("The text of “{field}” is too long (at most {n} characters).")
                               .format(field=key, n=MAX_NARRATIVE))
    with vs.transaction():
        row = _row(submission_id)
        if row.status != DRAFT:
            raise Conflict(_("Version {version} is final and never changes: compile the period "
                             "again to start a corrected version.").format(version=row.version))
        old = clean_narrative(row.narrative)
        row.narrative = cleaned
        row.updated_at, row.updated_by_id = vs.now_iso(), vs.actor.id
        row.save()
        audit.record(vs, "update", "submission", row.id, {
            "fields": sorted(k for k in cleaned if cleaned[k] != old.get(k))})
        return _load(row)


def finalize(vs: VaultSession, submission_id: int, *, classification: str | None = None,
             classification_years: int | None = None,
             allow_incomplete: bool = False) -> SubmissionInfo:
    """Freeze a draft: content, narrative, audit-chain head and the document's SHA-256.

    The document gets its filing record (:mod:`counselor_tui.services.filing`): the next
    发文字号 of the year, today as 成文日期, ``classification`` and its term
    ``classification_years`` (None: those of the version it replaces, else the settings;
    :class:`InvalidInput` for a level but
    秘密/机密/绝密/empty or a term outside 0–30). Refused (:class:`InvalidInput`, nothing
    changed) while 主送机关, 签发人 or the 发文字号 pattern is unset
    (:func:`filing.missing_elements`) unless ``allow_incomplete``: an upward report without
    them is sent back, and a final version never changes; the audit records the override.

    A compiled draft is compiled again first: when its figures changed since the draft was
    made, the draft is refreshed and :class:`Conflict` asks to review it (nothing frozen).
    Audited ``finalize`` with the SHA-256. Raises :class:`Conflict` for a final submission
    and for a period that has not ended yet (:func:`check_ended`).
    """
    vs.require_to(Action.FINALIZE_SUBMISSION)
    changed = False
    filing_record(vs, vs.today(), classification=classification,  # refuse a bad one first
                  classification_years=classification_years)
    missing = filing.missing_elements(vs)
    with vs.transaction():
        row = _row(submission_id)
        if row.status != DRAFT:
            raise Conflict(_("Version {version} is already final.").format(version=row.version))
        content = dict(row.content or {})
        period = period_from_json(content["period"])
        check_ended(vs, period)
        inherited = filing.replaced_classification(int(row.id))
        if inherited is not None:  # a correction keeps the replaced version's 密级 and term
            classification = inherited[0] if classification is None else classification
            classification_years = (inherited[1] if classification_years is None
                                    else classification_years)
        if missing and not allow_incomplete:
            raise InvalidInput(filing.missing_message(missing))
        if content.get("source", {}).get("kind") == CONSOLIDATED:
            fresh = dict(content)
            fresh["integrity"] = {**content["integrity"], "compiled_at": vs.now_iso(),
                                  "audit_head": audit.head(vs)}
        else:
            fresh = compile_content(vs, period, row.scope)
            changed = not _sections_equal(fresh, content)
        fresh = _protected(vs, fresh, int(row.suppression_k), exclude=int(row.id),
                           full=True)
        failing = int(fresh["disclosure"]["audit"]["failing"])
        fresh["filing"] = filing_record(vs, vs.today(), classification=classification,
                                        classification_years=classification_years,
                                        numbered=not changed)
        row.content = fresh
        row.updated_at, row.updated_by_id = vs.now_iso(), vs.actor.id
        if failing and not changed:
            row.save()  # the draft shows the audit that refused it
            audit.record(vs, "disclosure_audit", "submission", row.id, {
                "period": period.label, "scope": row.scope, "version": int(row.version),
                "stage": "finalize", **_audit_summary(fresh)})
        elif changed:
            row.save()
            audit.record(vs, "compile", "submission", row.id, {
                "period": period.label, "scope": row.scope, "version": int(row.version),
                "reason": "changed_before_finalize"})
        else:
            info = _load(row)
            digest = sha256_hex(canonical_bytes(_document(row, info)))
            row.status = FINAL
            row.content_sha256 = digest
            row.audit_head = fresh["integrity"]["audit_head"]
            row.finalized_by_id = vs.actor.id
            row.finalized_at = vs.now_iso()
            row.save()
            audit.record(vs, "finalize", "submission", row.id, {
                "period": period.label, "scope": row.scope, "version": int(row.version),
                "sha256": digest, "audit_head": row.audit_head, "incomplete": list(missing),
                "disclosure_audit": _audit_summary(fresh)})
        result = _load(row)
    if failing and not changed:
        raise Conflict(_("The disclosure audit found {n} hidden figures that the documents "
                         "exported so far would let a reader work out: nothing was "
                         "finalized. See the draft's disclosure audit and "
                         "docs/disclosure.md.").format(n=failing))
    if changed:
        raise Conflict(_("The figures changed since the draft was compiled: the draft now shows "
                         "the current figures. Review it, then finalize again."))
    return result


def get(vs: VaultSession, submission_id: int) -> SubmissionDetail:
    """A stored version with its document (coordinators, admins, auditors)."""
    vs.require_to(Action.VIEW_SUBMISSIONS)
    with vs.reading():
        row = _row(submission_id)
        info = _load(row)
        return SubmissionDetail(info, _document(row, info))


def latest(vs: VaultSession, period: Period | str, scope: str = BUREAU) -> SubmissionInfo | None:
    """The highest version of ``period``/``scope``, or None."""
    vs.require_to(Action.VIEW_SUBMISSIONS)
    p = to_period(period)
    with vs.reading():
        row = _latest(p, scope)
        return _load(row) if row is not None else None


def list_versions(vs: VaultSession, period: Period | str | None = None,
                  scope: str | None = None) -> list[SubmissionInfo]:
    """Stored versions, newest period first, then scope, then version (highest first)."""
    vs.require_to(Action.VIEW_SUBMISSIONS)
    query = Submission.select()
    if period is not None:
        p = to_period(period)
        query = query.where((Submission.period_kind == p.kind)
                            & (Submission.period_start == p.start.isoformat()))
    if scope is not None:
        query = query.where(Submission.scope == scope)
    with vs.reading():
        rows = list(query.order_by(Submission.period_start.desc(), Submission.period_kind,
                                   Submission.scope, Submission.version.desc()))
        return [_load(r) for r in rows]


def _active_key(vs: VaultSession) -> SigningKey:
    with vs.reading():
        key = (SigningKey.select().where(SigningKey.active == True)  # noqa: E712
               .order_by(SigningKey.created_at.desc()).first())
    if key is None:
        raise ServiceError(_("This vault has no signing key."))
    return key  # type: ignore[no-any-return]


def signer(vs: VaultSession) -> Signer:
    """The vault's active signing key (created at ``init``), its private key opened with
    the account's slot key (sealed to coordinators: :mod:`db.sealing`). Raises
    :class:`ServiceError` when there is none, :class:`PermissionDenied` when this account
    does not hold it or it is not vouched for (:func:`sealed.signing_private_key`)."""
    key = _active_key(vs)
    with vs.reading():
        return Signer(sealed.signing_private_key(vs, int(key.id)), bytes(key.public_key),
                      str(key.fingerprint), vs.trust_root)


def fingerprint(vs: VaultSession) -> str:
    """The vouched fingerprint of the signing key (the receiving office checks it)."""
    vs.require_to(Action.VIEW_SUBMISSIONS)
    return sealed.vouched_fingerprint(vs, int(_active_key(vs).id))


def export(vs: VaultSession, submission_id: int, out_dir: Path,
           password: str | None = None) -> ExportResult:
    """Write the signed, encrypted package of a final submission into ``out_dir``.

    ``password`` is the user's (checked like a passphrase) or None to generate one (returned
    in :attr:`ExportResult.password`, to be shown once). The documents are rendered in the
    current language; the package is written through a temporary file and renamed
    (:func:`counselor_tui.reports.package.write_package`). Marks the row ``exported``;
    audited ``export`` with the file name and the package's SHA-256.

    Raises :class:`Conflict` for a draft, for a period that has not ended yet and when
    ``out_dir`` already holds a file of the package's name (nothing is replaced: move or
    rename that file first), :class:`InvalidInput` for a weak password or the user's own
    vault passphrase,
    :class:`ServiceError` when the file cannot be written (nothing replaced) or the frozen
    document no longer matches its SHA-256.
    """
    vs.require_to(Action.EXPORT_SUBMISSION)
    generated = password is None
    if password is not None:
        check_password(password)
        if is_own_passphrase(vs, password):
            raise InvalidInput(_("That is your vault passphrase: the package password goes to "
                                 "another office, so choose a different one (or let the "
                                 "program generate one)."))
    with vs.reading():
        row = _row(submission_id)
        if row.status not in (FINAL, EXPORTED):
            raise Conflict(_("Finalize the submission before exporting it."))
        info = _load(row)
        document = _document(row, info)
    check_ended(vs, period_from_json(document["period"]))
    target = Path(out_dir) / package_name(document)
    if target.exists():
        raise PackageExists(target)
    if password is None:
        password = generate_password()
    files = render_files(document)
    if sha256_hex(files[JSON_NAME]) != info.content_sha256:
        raise ServiceError(_("The stored submission no longer matches its frozen SHA-256: run "
                             "'counselor-tui check'."))
    key = signer(vs)
    data = make_package(files, document, key, password, created_at=vs.now_iso())
    name = target.name
    try:
        path = write_package(target, data, overwrite=False)
    except FileExistsError:
        raise PackageExists(target) from None
    digest = hashlib.sha256(data).hexdigest()
    with vs.transaction():
        row = _row(submission_id)
        row.status = EXPORTED
        row.package_name = name
        row.updated_at, row.updated_by_id = vs.now_iso(), vs.actor.id
        row.save()
        audit.record(vs, "export", "submission", row.id, {
            "file": name, "package_sha256": digest, "version": int(row.version),
            "password": "generated" if generated else "typed"})
    return ExportResult(path, password if generated else None, key.fingerprint, digest)


def consolidate(
    vs: VaultSession,
    packages: Sequence[tuple[Path | bytes, str]],
    *,
    trusted_fingerprints: Iterable[str] | None = None,
) -> SubmissionDetail:
    """Verify each ``(package, password)`` and store one consolidated draft (scope
    ``consolidated``) of their period, with disclosure control applied again.

    Each package must open, verify (signature and hashes) and be signed by a signer of this
    vault's trust list or its own key — and, when ``trusted_fingerprints`` is given, by one
    of them (:func:`counselor_tui.services.trusted_signers.open_trusted`). The document lists
    its inputs (scope, version, signer, content hash). Audited ``consolidate`` with the
    number of packages and the signers' fingerprints. Raises
    :class:`~counselor_tui.services.trusted_signers.UnknownSigner`, the errors of
    :func:`counselor_tui.reports.package.verify` and of :func:`.consolidate.combine`.
    """
    vs.require_to(Action.CONSOLIDATE)
    inputs = trusted_signers.open_trusted(vs, packages, trusted_fingerprints)
    k = _k(vs)
    bureau = str(get_setting(vs, "bureau_name", "") or "")
    content = consolidation.combine(inputs, bureau_name=bureau, compiled_at=vs.now_iso(),
                                    audit_head=audit.head(vs))
    _protected(vs, content, k)
    period = period_from_json(content["period"])
    with vs.transaction():
        row = _store_draft(vs, period, CONSOLIDATED, content, k, "consolidate", {
            "packages": len(inputs),
            "signers": sorted({i.fingerprint[:16] for i in inputs})})
        info = _load(row)
        return SubmissionDetail(info, _document(row, info))

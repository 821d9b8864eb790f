"""Consent 知情同意 and one person's archive exported for a referral or a transfer
(转介/移交; issue 15, point 4).

**Consent.** :func:`record_consent` keeps a consent on the record: the date it was given and
its scope (:data:`CONSENT_SCOPES`), with an optional note; the latest is the one in force
(:func:`latest_consent`), earlier ones stay as history; the person's ``consent_on`` shows
the date on the record. Audited ``create consent``. A consent that leaves out a scope the
consent in force covers (the person withdrew part of it) is refused
(:class:`ConsentNarrowed`, naming what would be dropped) unless the recorder says so
(``withdraw=True``; the audit event lists the ``withdrawn`` codes): a clerk who only
meant to add a date must not drop "transfer of the archive" by an unticked box (fix15,
finding A). The former consent stays on the record as history.

**Consent before the export.** The export needs a consent in force whose scope covers the
purpose (:data:`PURPOSE_SCOPE`: a referral needs ``referral``, a transfer ``transfer``);
:func:`consent_check` says what is on record before anything is written. Without one —
none recorded, or its scope does not cover the purpose — :func:`export_referral` refuses
(:class:`ConsentMissing`) unless the exporter explicitly chooses to export anyway
(``ReferralDraft.without_consent``; e.g. a court order, an emergency transfer), and that
choice is audited (``without_consent`` in the ``export person`` event) and stated in the
document. Source: issue 15 point 4 (informed consent 知情同意 shown before the export) and
the issue-15 security review (refuse, or an explicit audited choice).

**Referral export.** :func:`export_referral` writes one person's archive — profile, tier
history, assessments with their bands, session dates and summaries with their addenda
(author and date) — as a document in the
official layout of the submission (:mod:`counselor_tui.reports.referral_docx`), only inside
an encrypted package: the same 7z, AES-256 with encrypted file names, as the submission
package (:func:`counselor_tui.reports.package.archive_bytes`), written through a temporary
file and renamed. The package's file name holds no name (``转介档案-<date>-<n>.7z``).
The recipient and the purpose (:data:`PURPOSES`) are recorded (``referral_export``) and
audited (``export person``, with the recipient, purpose, whether sealed notes were
included and the package's SHA-256 — no name).

Sealed notes are left out unless the exporter chooses ``include_sealed``; even then each
sealed note goes in only when the exporter may read it — its author, or a coordinator
(DESIGN §5) — and every other sealed session is listed with its date and the words that its
note is sealed. Roles: counselors (persons they see) and coordinators; admins and auditors
are refused (an admin reads no person record and does not export).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import from_storage
from counselor_tui.domain.instruments import engine
from counselor_tui.domain.roles import WRITES_RECORDS
from counselor_tui.i18n import N_, _, language
from counselor_tui.reports.package import (
    archive_bytes,
    check_password,
    generate_password,
    write_atomic,
)
from counselor_tui.reports.referral_docx import ReferralContent, render_referral_docx
from counselor_tui.services import audit, persons, settings
from counselor_tui.services.access import require_visible
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import Conflict, InvalidInput, PermissionDenied
from counselor_tui.services.lifecycle import is_own_passphrase
from counselor_tui.services.person_record import PersonRecord
from counselor_tui.services.session_reads import SessionSummary
from db.models import Assessment, Person
from db.models_care import Consent, ReferralExport

#: Consent scopes: code → label msgid.
CONSENT_SCOPES = {"counseling": N_("counseling"), "assessment": N_("assessment"),
                  "referral": N_("referral"), "transfer": N_("transfer of the archive")}
#: Export purposes: code → label msgid.
PURPOSES = {"referral": N_("referral"), "transfer": N_("transfer")}
#: Export purpose → the consent scope code that covers it.
PURPOSE_SCOPE = {"referral": "referral", "transfer": "transfer"}
#: The file inside the package.
DOCX_NAME = "archive.docx"


@dataclass(frozen=True)
class ConsentRow:
    """A consent on the record: ``given_on`` (``YYYY-MM-DD``), ``scope`` codes, note, who
    recorded it and when (storage form)."""

    id: int
    given_on: str
    scope: tuple[str, ...]
    note: str
    recorded_by: str
    recorded_at: str

    def line(self) -> str:
        """``知情同意：2026-11-20，范围：咨询、转介`` (translated)."""
        return _("Consent given on {day}, scope: {scope}").format(
            day=self.given_on, scope=_sep().join(
                vocab.label(CONSENT_SCOPES, c) for c in self.scope))


@dataclass(frozen=True)
class ReferralDraft:
    """What :func:`export_referral` needs: ``person_id``, ``recipient`` (the receiving
    hospital, counselor or bureau), ``purpose`` (a :data:`PURPOSES` code),
    ``include_sealed`` (the exporter's explicit choice), ``password`` (None = generate one,
    returned once), ``without_consent`` (the exporter's explicit, audited choice to export
    although no consent in force covers the purpose)."""

    person_id: int
    recipient: str
    purpose: str
    include_sealed: bool = False
    password: str | None = None
    without_consent: bool = False


class ConsentMissing(Conflict):
    """No consent in force covers the export's purpose (and the exporter did not choose
    to export without one); ``consent`` is the consent in force, if any."""

    def __init__(self, message: str, consent: ConsentRow | None) -> None:
        super().__init__(message)
        self.consent = consent


class ConsentNarrowed(Conflict):
    """The new consent leaves out ``dropped`` (scope codes) that the consent in force
    ``current`` covers; record it with ``withdraw=True`` when the person withdrew them."""

    def __init__(self, current: ConsentRow, dropped: tuple[str, ...]) -> None:
        super().__init__(_(
            "The consent on record ({day}) also covers {dropped}; this one leaves it out. "
            "Record it only if the person withdrew that part of the consent.").format(
                day=current.given_on,
                dropped=_sep().join(vocab.label(CONSENT_SCOPES, c) for c in dropped)))
        self.current = current
        self.dropped = dropped


@dataclass(frozen=True)
class ConsentCheck:
    """What is on record for an export: the ``consent`` in force (None: none recorded) and
    whether its scope ``covers`` the purpose."""

    consent: ConsentRow | None
    purpose: str
    covers: bool

    def line(self) -> str:
        """The consent line and, when it does not cover the purpose, why (translated)."""
        if self.consent is None:
            return _("No informed consent is recorded for this person.")
        if self.covers:
            return self.consent.line()
        return self.consent.line() + _(" — it does not cover a {purpose}.").format(
            purpose=_(PURPOSES[self.purpose]))

    def refusal(self) -> str:
        """The message of :class:`ConsentMissing` (translated)."""
        return _("{consent} Record the person's consent for this purpose first (c on the "
                 "record), or choose explicitly to export without it (it is audited).").format(
                     consent=self.line())


@dataclass(frozen=True)
class ReferralExported:
    """The package written: ``path``, the generated ``password`` (None when typed),
    its SHA-256, how many sealed notes it holds, the consent shown (None: none recorded)."""

    path: Path
    password: str | None
    package_sha256: str
    sealed_included: int
    consent: ConsentRow | None


def _sep() -> str:
    """The separator of a list in the interface language."""
    return ", " if language() == "en" else "、"


def _require_writer(vs: VaultSession) -> None:
    if vs.actor.role not in WRITES_RECORDS:
        raise PermissionDenied(
            _("Your role ({role}) may not do this.").format(role=vs.actor.role.label))


def record_consent(vs: VaultSession, person_id: int, given_on: date,
                   scope: tuple[str, ...], note: str = "", *,
                   withdraw: bool = False) -> ConsentRow:
    """Record a consent (one transaction, ``create consent``); sets the person's
    ``consent_on``. ``withdraw``: the person withdrew the scopes of the consent in force
    that this one leaves out (listed as ``withdrawn`` in the audit event).

    Raises :class:`InvalidInput` (no scope, unknown scope code, a date in the future, the
    same date and scope as the consent in force), :class:`ConsentNarrowed` (a scope of the
    consent in force left out without ``withdraw``), :class:`NotFound`,
    :class:`PermissionDenied`."""
    _require_writer(vs)
    codes = tuple(dict.fromkeys(scope))
    if not codes or any(c not in CONSENT_SCOPES for c in codes):
        raise InvalidInput(_("Choose what the consent covers: {codes}.").format(
            codes=", ".join(CONSENT_SCOPES)))
    if given_on > vs.today():
        raise InvalidInput(_("A consent cannot be dated in the future."))
    with vs.transaction():
        require_visible(vs, person_id)
        current = latest_consent(vs, person_id)
        dropped = tuple(c for c in (current.scope if current else ()) if c not in codes)
        if current is not None and dropped and not withdraw:
            raise ConsentNarrowed(current, dropped)
        if (current is not None and current.given_on == given_on.isoformat()
                and set(current.scope) == set(codes) and not note.strip()):
            raise InvalidInput(_("This consent is on record already (same date and scope): "
                                 "change the date or what it covers."))
        now = vs.now_iso()
        row = Consent.create(person=person_id, given_on=given_on.isoformat(),
                             scope=list(codes), note=note.strip(), created_at=now,
                             created_by=vs.actor.id)
        Person.update(consent_on=given_on.isoformat(), updated_at=now,
                      updated_by=vs.actor.id).where(Person.id == person_id).execute()
        audit.record(vs, "create", "consent", row.id,
                     {"person_id": person_id, "scope": list(codes),
                      "withdrawn": list(dropped)})
    return ConsentRow(int(row.id), given_on.isoformat(), codes, note.strip(),
                      vs.actor.display_name, now)


def consents(vs: VaultSession, person_id: int) -> list[ConsentRow]:
    """The consents on a visible person's record, latest first."""
    _require_writer(vs)
    with vs.reading():
        require_visible(vs, person_id)
        return [ConsentRow(int(r[0]), r[1], tuple(Consent.scope.python_value(r[2]) or ()),
                           r[3], r[4] or "", r[5]) for r in vs.execute(
            "SELECT c.id, c.given_on, c.scope, c.note, u.display_name, c.created_at "
            "FROM consent c LEFT JOIN user u ON u.id = c.created_by_id "
            "WHERE c.person_id = ? ORDER BY c.given_on DESC, c.id DESC", (person_id,))]


def latest_consent(vs: VaultSession, person_id: int) -> ConsentRow | None:
    """The consent in force (the latest), or None — shown before an export."""
    rows = consents(vs, person_id)
    return rows[0] if rows else None


def consent_check(vs: VaultSession, person_id: int, purpose: str) -> ConsentCheck:
    """The consent in force for a visible person and whether it covers ``purpose`` (a
    :data:`PURPOSES` code) — shown before an export. Raises :class:`InvalidInput` (unknown
    purpose), :class:`NotFound`, :class:`PermissionDenied`."""
    if purpose not in PURPOSES:
        raise InvalidInput(_("Choose the purpose: referral or transfer."))
    consent = latest_consent(vs, person_id)
    return ConsentCheck(consent, purpose,
                        consent is not None and PURPOSE_SCOPE[purpose] in consent.scope)


def _instrument_and_band(code: str, band: str | None, total: float | None,
                         flags: dict[str, Any]) -> tuple[str, str, str]:
    """The instrument's name, the total and the band's name in the interface language (the
    codes themselves for an instrument this program does not define). An instrument without
    severity bands (SCL-90: screened by total, positive items and factor means,
    ``shared/domain/instruments.md``) shows its screening result and positive-item count
    from the stored scoring ``flags``; an incomplete administration shows that."""
    shown = "" if total is None else f"{total:g}"
    try:
        defn = engine.builtin(code)
    except engine.UnknownInstrumentError:
        return code, shown, band or ""
    zh = language() != "en"
    name = defn.name_zh if zh else defn.name_en
    if defn.bands:
        label = next(((b.label_zh if zh else b.label_en) for b in defn.bands
                      if b.code == band), band or "")
        return name, shown, label
    screen = flags.get("screen_positive")
    if screen is None:
        return name, shown, _("incomplete") if total is None else ""
    label = _("screen-positive") if screen else _("screen-negative")
    count = flags.get("positive_count")
    if count is not None:
        label = _("{result} ({n} positive items)").format(result=label, n=count)
    return name, shown, label


def _assessment_flags(vs: VaultSession, person_id: int) -> dict[int, dict[str, Any]]:
    """The stored scoring flags of a person's assessments, by assessment id."""
    with vs.reading():
        return {int(r[0]): dict(Assessment.flags.python_value(r[1]) or {}) for r in vs.execute(
            "SELECT id, flags FROM assessment WHERE person_id = ? AND voided_at IS NULL",
            (person_id,))}


def _tier_history(record: PersonRecord) -> tuple[tuple[str, ...], ...]:
    """The tier history table, oldest first; a review (the tier kept, ``from_tier ==
    to_tier``) reads "review: kept <tier>" in the "tier after" column, not as a change of a
    tier into itself (fix15). When no recorded change leads to the current
    tier (a tier set with the record — the demo's and the roster's green — keeps a
    ``tier_state`` row with its ``since`` date and no ``tier_change`` row; reviews do not
    count), a row at its date states the current tier and since when."""
    rows: list[tuple[str, ...]] = [
        (c.at[:10], vocab.label(vocab.TIERS, c.from_tier),
         _("Review: kept {tier}").format(tier=vocab.label(vocab.TIERS, c.to_tier))
         if c.from_tier == c.to_tier else vocab.label(vocab.TIERS, c.to_tier), c.reason)
        for c in reversed(record.tier_history)]
    state = record.tier
    latest = next((c for c in record.tier_history if c.from_tier != c.to_tier), None)
    if state is not None and (latest is None or latest.to_tier != state.tier
                              or latest.at[:10] > state.since):
        rows.append((state.since, "", vocab.label(vocab.TIERS, state.tier),
                     _("Tier on record since this date (no change recorded)")))
        rows.sort(key=lambda r: r[0])  # in date order (stable: same-day rows as recorded)
    return ((_("Date"), _("Tier before"), _("Tier after"), _("Reason")), *rows)


def _addenda_lines(s: SessionSummary) -> list[str]:
    """The session's addenda (补记), each with its date and author, under its summary; a
    sealed session's only where its note goes in (fix15)."""
    out = []
    for i, text in enumerate(s.addenda):
        by, at = s.addenda_by[i] if i < len(s.addenda_by) else ("", "")
        when = from_storage(at).strftime("%Y-%m-%d %H:%M") if at else ""
        out.append(_("Addendum ({at}, {by}): {text}").format(at=when, by=by, text=text))
    return out


def _content(vs: VaultSession, draft: ReferralDraft, check: ConsentCheck,
             ) -> tuple[ReferralContent, int]:
    record = persons.get_person(vs, draft.person_id)  # audited "view person"
    p = record.person
    person_line = (_("{name} (badge no. {badge})").format(name=p.name, badge=p.badge_no)
                   if p.badge_no else p.name)
    profile = tuple((label, value or "") for label, value in (
        (_("Name"), p.name), (_("Kind"), vocab.label(vocab.PERSON_KINDS, p.kind)),
        (_("Gender"), vocab.label(vocab.GENDERS, p.gender)), (_("Badge"), p.badge_no),
        (_("Birth date"), record.birth_date), (_("Unit"), p.unit_name),
        (_("Police type"), p.police_type), (_("Post"), p.post),
        (_("Hire date"), record.hire_date),
        (_("Tier"), _("{tier} (since {day})").format(
            tier=vocab.label(vocab.TIERS, record.tier.tier), day=record.tier.since)
         if record.tier else ""),
    ))
    tiers = _tier_history(record)
    flags = _assessment_flags(vs, draft.person_id)
    tests = ((_("Date"), _("Instrument"), _("Total"), _("Band")), *(
        (a.administered_on, *_instrument_and_band(a.instrument_code, a.band, a.total,
                                                  {"screen_positive": a.positive,
                                                   **flags.get(a.id, {})}))
        for a in reversed(record.assessments)))
    sealed_in = 0
    rows: list[tuple[str, ...]] = []
    for s in reversed(record.sessions):
        if s.sealed and not (draft.include_sealed and s.note):
            summary = _("(sealed note, not exported)")
        else:
            summary = "\n".join((s.note, *_addenda_lines(s)))
            sealed_in += int(s.sealed)
        rows.append((from_storage(s.started_at).strftime("%Y-%m-%d %H:%M"),
                     vocab.label(vocab.CHANNELS, s.channel),
                     _sep().join(vocab.label(vocab.TOPICS, t) for t in s.topics),
                     summary))
    sessions = ((_("Date and time"), _("Channel"), _("Topics"), _("Session summary")), *rows)
    purpose = _(PURPOSES[draft.purpose])
    content = ReferralContent(
        issuer=str(settings.get_setting(vs, "bureau_name", "") or ""),
        recipient=draft.recipient.strip(), purpose_label=purpose, person_name=p.name,
        person_line=person_line,
        consent_line=(check.line() + _(".") if check.covers else _(
            "{consent} Exported without a consent covering this purpose (the exporter's "
            "explicit choice).").format(consent=check.line())),
        sealed_line=(_("Sealed notes included: {n} (the exporter's explicit choice).").format(
            n=sealed_in) if draft.include_sealed else
            _("Sealed notes are not included.")),
        profile=profile, tier_history=tiers, assessments=tests, sessions=sessions,
        exported_by=vs.actor.display_name, day=vs.now())
    return content, sealed_in


def export_referral(vs: VaultSession, draft: ReferralDraft, out_dir: Path) -> ReferralExported:
    """Write the encrypted referral package of one person into ``out_dir`` (see the module
    doc); returns where, the generated password (to show once) and what it holds.

    Raises :class:`InvalidInput` (no recipient, unknown purpose, a weak password or the
    user's own vault passphrase), :class:`ConsentMissing` (no consent in force covers the
    purpose and ``without_consent`` is not set), :class:`NotFound` (person not visible),
    :class:`PermissionDenied` (admin, auditor), :class:`ServiceError` when the file cannot be
    written (nothing is left behind)."""
    _require_writer(vs)
    if not draft.recipient.strip():
        raise InvalidInput(_("Name the recipient (the hospital, counselor or bureau)."))
    if draft.purpose not in PURPOSES:
        raise InvalidInput(_("Choose the purpose: referral or transfer."))
    generated = draft.password is None
    password = draft.password or generate_password()
    if not generated:
        check_password(password)
        if is_own_passphrase(vs, password):
            raise InvalidInput(_("That is your vault passphrase: choose another password "
                                 "for the package (or let the program generate one)."))
    check = consent_check(vs, draft.person_id, draft.purpose)
    consent = check.consent
    if not check.covers and not draft.without_consent:
        raise ConsentMissing(check.refusal(), consent)
    content, sealed_in = _content(vs, draft, check)
    data = archive_bytes({DOCX_NAME: render_referral_docx(content)}, password)
    digest = hashlib.sha256(data).hexdigest()
    stem = _("referral-archive") if draft.purpose == "referral" else _("transfer-archive")
    folder = Path(out_dir)
    n = 1
    while (folder / f"{stem}-{vs.today().isoformat()}-{n}.7z").exists():
        n += 1
    target = folder / f"{stem}-{vs.today().isoformat()}-{n}.7z"
    try:
        path = write_atomic(target, data, overwrite=False)
    except FileExistsError:
        raise Conflict(_("{file} appeared meanwhile: export again.").format(
            file=target.name)) from None
    with vs.transaction():
        ReferralExport.create(person=draft.person_id, recipient=draft.recipient.strip(),
                              purpose=draft.purpose, include_sealed=draft.include_sealed,
                              package_name=target.name, package_sha256=digest,
                              at=vs.now_iso(), by=vs.actor.id)
        audit.record(vs, "export", "person", draft.person_id, {
            "recipient": draft.recipient.strip(), "purpose": draft.purpose,
            "include_sealed": draft.include_sealed, "sealed_notes": sealed_in,
            "consent_id": consent.id if consent else None,
            "without_consent": not check.covers, "file": target.name,
            "package_sha256": digest, "password": "generated" if generated else "typed"})
    return ReferralExported(path, password if generated else None, digest, sealed_in,
                            consent)

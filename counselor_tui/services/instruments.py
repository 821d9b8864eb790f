"""Instruments 量表: the built-in definitions and a bureau's own (issue 16 point 4; DESIGN §7.1).

A coordinator adds a definition file (TOML, the built-in format) after it passes
:func:`counselor_tui.domain.instruments.bureau.check_bytes` (strict, bounded, codes not
clashing with a built-in). It is stored in the vault (``bureau_instrument``, encrypted like
everything else), **versioned** and audited:

* a definition whose code is new is stored as revision 1;
* one whose content differs from every stored version of its code, with a version text not
  used yet, is stored as the next revision and becomes the *current* version (the one new
  assessments are scored with);
* one identical to a stored version (same parsed definition) changes nothing
  (:attr:`AddResult.added` is false, the message says which version it is);
* one that reuses a stored version text with different content is refused
  (:class:`InvalidInput`): change ``version``.

**Binding**: an assessment stores ``instrument_code`` and ``instrument_version``; displaying
or re-scoring it uses that version (:func:`bound`), never a newer one. Built-in codes resolve
to the program's own definitions.

Roles: listing — counselors, coordinators, auditors (definitions only, no person data);
adding — coordinators (:data:`counselor_tui.domain.permissions.RULES`). Validating a file
needs no vault (:func:`check_file`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from counselor_tui.domain import instruments as engine
from counselor_tui.domain.instruments import bureau
from counselor_tui.domain.permissions import Action
from counselor_tui.i18n import _, language
from counselor_tui.reports import input_limits as limits
from counselor_tui.services import audit, instrument_trust
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput, NotFound
from db.models import BureauInstrument, User

Status = Literal["new", "new_version", "unchanged", "version_taken"]


@dataclass(frozen=True)
class InstrumentListing:
    """One row of the instrument list: a built-in instrument, or one stored version of a
    bureau's own (``revision`` 1, 2, …; ``current`` for the version new assessments use)."""

    code: str
    name: str
    version: str
    item_count: int
    builtin: bool
    revision: int | None
    current: bool
    added_at: str | None
    added_by: str | None


@dataclass(frozen=True)
class AddPreview:
    """What adding a checked definition would do: ``status`` (``new`` code, ``new_version``
    of a stored code, ``unchanged`` = identical to stored ``revision``, ``version_taken`` =
    the version text is stored with other content), the revision it would get (or has)."""

    code: str
    version: str
    status: Status
    revision: int
    message: str


@dataclass(frozen=True)
class AddResult:
    """The outcome of :func:`add_definition`: ``added`` false when nothing changed."""

    code: str
    version: str
    revision: int
    added: bool
    message: str


# --------------------------------------------------------------------------- reading files


def check_file(path: Path | str) -> bureau.CheckedDefinition:
    """Read and validate a definition file (no vault needed).

    Raises :class:`InvalidInput` naming the file and the line and key at fault (a file
    missing, unreadable, over :data:`bureau.MAX_BYTES`, not a regular file, not UTF-8 TOML,
    or any fault of the definition)."""
    name = str(path)
    try:
        raw = limits.read_regular_file(path, bureau.MAX_BYTES)
    except limits.InputRefused as exc:
        raise InvalidInput(str(exc)) from None
    except OSError as exc:
        raise InvalidInput(_("Cannot read {file} ({reason}).").format(
            file=name, reason=exc.strerror or type(exc).__name__)) from None
    try:
        return bureau.check_bytes(raw)
    except engine.DefinitionError as exc:
        raise InvalidInput(f"{name}: {exc}") from None


@lru_cache(maxsize=64)
def _parsed(text: str) -> engine.InstrumentDefinition:
    """A stored definition text, parsed by the engine's loader: it passed the strict checks
    when it was added, and a later, stricter program must still show what was scored with
    it."""
    return engine.load_definition(text)


# --------------------------------------------------------------------------- resolving


def _stored(code: str) -> list[BureauInstrument]:
    return list(BureauInstrument.select().where(BureauInstrument.code == code)
                .order_by(BureauInstrument.revision))


def current(vs: VaultSession, code: str) -> engine.InstrumentDefinition:
    """The definition new assessments of ``code`` are scored with: the built-in one, or the
    latest revision of the bureau's own. Raises :class:`InvalidInput` for an unknown code
    (naming the known ones)."""
    key = bureau.lookup_key(code)
    if key in engine.builtin_codes():
        return engine.builtin(key)
    with vs.reading():
        row = (BureauInstrument.select()
               .where(BureauInstrument.code == code.strip().lower())
               .order_by(BureauInstrument.revision.desc()).first())
        if row is None:
            raise InvalidInput(_("Unknown instrument '{code}'. Instruments: {codes}.").format(
                code=code, codes=", ".join(codes(vs))))
        _require_trusted(vs, row)
    return _parsed(str(row.definition))


def bound(vs: VaultSession, code: str, version: str) -> engine.InstrumentDefinition:
    """The definition an assessment of ``code`` scored with ``version`` is shown and
    re-scored with: the built-in one for a built-in code, else that stored version of the
    bureau's own (never a newer one). Raises :class:`NotFound` when the vault holds no such
    version."""
    key = bureau.lookup_key(code)
    if key in engine.builtin_codes():
        return engine.builtin(key)
    with vs.reading():
        row = BureauInstrument.get_or_none((BureauInstrument.code == code)
                                           & (BureauInstrument.version == version))
        if row is None:
            raise NotFound(_("The vault holds no version {version} of the instrument "
                             "{code}.").format(version=version, code=code))
        _require_trusted(vs, row)
    return _parsed(str(row.definition))


def _require_trusted(vs: VaultSession, row: BureauInstrument) -> None:
    """Refuse a stored definition the signed audit log does not vouch for
    (:mod:`counselor_tui.services.instrument_trust`): :class:`InvalidInput`."""
    vault_id = vs.keys.vault_id
    reason = instrument_trust.vouch(
        vs.execute, lambda: instrument_trust.state_of(vs.execute, vault_id), vault_id,
        int(row.id), str(row.code), str(row.version), int(row.revision), str(row.sha256),
        str(row.definition))
    if reason:
        raise InvalidInput(_(
            "Version {version} of the instrument {code} stored in this vault is not used: it "
            "was not added by a coordinator, or it was changed afterwards ({reason}). Run "
            "check, and restore a backup made before it appeared.").format(
                version=row.version, code=row.code, reason=reason))


def band_label(vs: VaultSession, code: str, version: str, band: str | None) -> str:
    """The name of ``band`` in the interface language as the version ``version`` of
    ``code`` defines it (an assessment's own version, :func:`bound`); ``""`` without a
    band, the band code itself when the definition cannot be found or lacks it."""
    if not band:
        return ""
    try:
        defn = bound(vs, code, version)
    except (NotFound, InvalidInput):
        return band
    found = next((b for b in defn.bands if b.code == band), None)
    if found is None:
        return band
    return found.label_en if language() == "en" else found.label_zh


def codes(vs: VaultSession) -> list[str]:
    """Every instrument code: the built-in ones, then the bureau's own (sorted)."""
    with vs.reading():
        own = sorted({str(r.code) for r in BureauInstrument.select(BureauInstrument.code)})
    return [*engine.builtin_codes(), *own]


def available(vs: VaultSession) -> list[engine.InstrumentDefinition]:
    """The current definition of every instrument (:func:`codes` order); a bureau's own
    whose current version is not vouched for (:func:`current` refuses it) is left out."""
    out = []
    for code in codes(vs):
        try:
            out.append(current(vs, code))
        except InvalidInput:
            continue
    return out


# --------------------------------------------------------------------------- listing


def _name(zh: str, en: str) -> str:
    return en if language() == "en" else zh


def list_instruments(vs: VaultSession) -> list[InstrumentListing]:
    """The built-in instruments, then every stored version of the bureau's own (by code,
    newest revision first). Counselors, coordinators and auditors; raises
    :class:`PermissionDenied` otherwise."""
    vs.require_to(Action.LIST_INSTRUMENTS)
    out = []
    for code in engine.builtin_codes():
        defn = engine.builtin(code)
        out.append(InstrumentListing(code, _name(defn.name_zh, defn.name_en), defn.version,
                                     defn.item_count, True, None, True, None, None))
    with vs.reading():
        rows = list(BureauInstrument.select(BureauInstrument, User.username)
                    .join(User, on=BureauInstrument.created_by == User.id)
                    .order_by(BureauInstrument.code, BureauInstrument.revision.desc()))
        latest: dict[str, int] = {}
        for row in rows:
            latest.setdefault(str(row.code), int(row.revision))
            out.append(InstrumentListing(
                str(row.code), _name(str(row.name_zh), str(row.name_en)), str(row.version),
                int(row.item_count), False, int(row.revision),
                latest[str(row.code)] == int(row.revision), str(row.created_at),
                str(row.created_by.username)))
    return out


# --------------------------------------------------------------------------- adding


def preview(vs: VaultSession, checked: bureau.CheckedDefinition) -> AddPreview:
    """What :func:`add_definition` would do with ``checked`` (nothing is written)."""
    defn = checked.definition
    with vs.reading():
        stored = _stored(defn.code)
    for row in stored:
        if _parsed(str(row.definition)) == defn:
            return AddPreview(defn.code, str(row.version), "unchanged", int(row.revision),
                              _("Identical to version {version} of {code} (revision "
                                "{revision}) already stored: nothing to add.").format(
                                  version=row.version, code=defn.code,
                                  revision=row.revision))
    for row in stored:
        if str(row.version) == defn.version:
            return AddPreview(defn.code, defn.version, "version_taken", int(row.revision),
                              _("Version {version} of {code} is already stored with other "
                                "content: assessments scored with it stay bound to it. Give "
                                "the changed definition a new version (the 'version' "
                                "key).").format(version=defn.version, code=defn.code))
    revision = len(stored) + 1
    if not stored:
        message = _("{code} version {version} would be added as a new instrument.").format(
            code=defn.code, version=defn.version)
        return AddPreview(defn.code, defn.version, "new", revision, message)
    message = _("{code} version {version} would be added as revision {revision}; "
                "assessments already scored keep version {old}.").format(
                    code=defn.code, version=defn.version, revision=revision,
                    old=stored[-1].version)
    return AddPreview(defn.code, defn.version, "new_version", revision, message)


def add_definition(vs: VaultSession, path: Path | str) -> AddResult:
    """Check the definition file ``path`` and store it (module docstring): a new code or a
    new version; an identical definition is left as it is (``added`` false). Coordinators
    only; audited ``create instrument`` (code, version, revision, SHA-256 — no content).

    Raises :class:`InvalidInput` (the file's faults, a version text already stored with
    other content), :class:`PermissionDenied`."""
    vs.require_to(Action.MANAGE_INSTRUMENTS)
    checked = check_file(path)
    defn = checked.definition
    with vs.transaction():
        plan = preview(vs, checked)
        if plan.status == "version_taken":
            raise InvalidInput(plan.message)
        if plan.status == "unchanged":
            return AddResult(plan.code, plan.version, plan.revision, False, plan.message)
        row = BureauInstrument.create(
            code=defn.code, version=defn.version, revision=plan.revision,
            name_zh=defn.name_zh, name_en=defn.name_en, item_count=defn.item_count,
            definition=checked.text, sha256=checked.sha256, created_at=vs.now_iso(),
            created_by=vs.actor.id)
        audit.record(vs, "create", "instrument", row.id, {
            "code": defn.code, "version": defn.version, "revision": plan.revision,
            "sha256": checked.sha256})
    message = (_("Added {code} version {version} (revision {revision}): new assessments of "
                 "{code} use it; those already scored keep their version.")
               if plan.status == "new_version" else
               _("Added {code} version {version} as a new instrument.")).format(
                   code=defn.code, version=defn.version, revision=plan.revision)
    return AddResult(defn.code, defn.version, plan.revision, True, message)

"""The filing record of a submission: the GB/T 9704-2012 elements its DOCX carries.

:func:`filing_record` reads the bureau's document settings (Users & settings, keys ``doc_*``
of :mod:`counselor_tui.domain.settings_rules`) into the ``filing`` object of the submission
document (``docs/submission-json.md``)::

    {"number": "公政〔2026〕3号" | null, "year": 2026 | null, "seq": 3 | null,
     "classification": "秘密" | "", "classification_years": 0–30 (0 = statutory),
     "copy_no": 1, "date": "2026-12-07", "recipient": "市公安局政治部", "signer": "…",
     "cc": "…", "printer": "…", "note": "…"}

A draft carries ``number``/``year``/``seq`` = null; :func:`finalize` of
:mod:`counselor_tui.services.submissions` gives the next number of the year (one more than the
highest ``seq`` of that year among final and exported submissions of this vault), with the
classification chosen then, and freezes the record with the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from counselor_tui.domain import filing
from counselor_tui.domain.permissions import Action
from counselor_tui.i18n import N_, _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput
from counselor_tui.services.settings import DEFAULT_SETTINGS, get_setting
from db.models import Submission

#: The longest 保密期限 (years): 绝密's statutory term (保密法 art. 15).
MAX_YEARS = 30
#: What an upward report must carry (GB/T 9704-2012 §7.2.5 签发人, §7.3.3 主送机关, §7.2.4
#: 发文字号 with the issuing body's own code): setting key → label. The shipped number
#: pattern has no issuing-body code (机关代字), so it counts as unset until changed.
REQUIRED: dict[str, str] = {
    "doc_recipient": N_("addressee (主送机关)"),
    "doc_signer": N_("signer (签发人)"),
    "doc_number_pattern": N_("document number pattern with the bureau's code (发文字号)"),
}

TEXT_KEYS: dict[str, str] = {"recipient": "doc_recipient", "signer": "doc_signer",
                             "cc": "doc_cc", "printer": "doc_printer", "note": "doc_note"}


def _setting(vs: VaultSession, key: str) -> Any:
    return get_setting(vs, key, DEFAULT_SETTINGS.get(key, ""))


def next_seq(vs: VaultSession, year: int) -> int:
    """One more than the highest document number ``seq`` of ``year`` among finalized
    submissions (final or exported) of this vault; 1 for the first of the year."""
    with vs.reading():
        rows = Submission.select(Submission.content).where(
            Submission.status.in_(("final", "exported")))
        seqs = [int(f.get("seq") or 0) for f in
                ((r.content or {}).get("filing") or {} for r in rows)
                if f.get("year") == year]
    return max(seqs, default=0) + 1


def filing_record(vs: VaultSession, day: date, *, classification: str | None = None,
                  classification_years: int | None = None,
                  numbered: bool = False) -> dict[str, Any]:
    """The ``filing`` object dated ``day`` (the 成文日期). ``classification`` None takes the
    setting ``doc_classification``; else it must be one of
    :data:`counselor_tui.domain.filing.CLASSIFICATIONS` (:class:`InvalidInput`).
    ``classification_years`` (the 保密期限 in whole years, 0 = the statutory term; None: the
    setting ``doc_classification_years``) must lie in 0–30 (:class:`InvalidInput`).
    ``numbered`` assigns the next document number of ``day``'s year (:func:`next_seq`)."""
    chosen = _setting(vs, "doc_classification") if classification is None else classification
    years = (int(_setting(vs, "doc_classification_years") or 0)
             if classification_years is None else classification_years)
    if not 0 <= years <= MAX_YEARS:
        raise InvalidInput(_("The classification term is a whole number of years from 0 "
                             "(the statutory term) to {n}.").format(n=MAX_YEARS))
    try:
        level = filing.check_classification(str(chosen or ""))
        pattern = filing.check_pattern(str(_setting(vs, "doc_number_pattern")))
    except filing.FilingInvalid as exc:
        raise InvalidInput(str(exc)) from None
    record: dict[str, Any] = {
        "number": None, "year": None, "seq": None,
        "classification": level,
        "classification_years": years,
        "copy_no": int(_setting(vs, "doc_copy_no") or 1),
        "date": day.isoformat(),
    }
    for field, key in TEXT_KEYS.items():
        record[field] = str(_setting(vs, key) or "").strip()
    if numbered:
        seq = next_seq(vs, day.year)
        record.update(number=filing.document_number(pattern, day.year, seq), year=day.year,
                      seq=seq)
    return record


def classification_choices() -> list[tuple[str, str]]:
    """``[(label, value)]`` for a classification picker: not classified, 秘密, 机密, 绝密."""
    return [(c or _("Not classified"), c) for c in filing.CLASSIFICATIONS]


def missing_elements(vs: VaultSession) -> tuple[str, ...]:
    """The setting keys of :data:`REQUIRED` not set: an empty 主送机关 or 签发人, and a
    发文字号 pattern never changed from the shipped one (no issuing-body code); ``()`` when
    the document has all of them."""
    missing = []
    for key in REQUIRED:
        value = str(_setting(vs, key) or "").strip()
        if not value or (key == "doc_number_pattern" and value == filing.DEFAULT_PATTERN):
            missing.append(key)
    return tuple(missing)


def missing_message(missing: tuple[str, ...]) -> str:
    """The refusal of :func:`counselor_tui.services.submissions.finalize` naming what is not
    set and the two ways on (translated)."""
    return _("The document lacks the {elements}: an upward report needs them, and the "
             "receiving office would send it back. An administrator sets them in Users & "
             "settings; to finalize without them anyway, confirm it (on the command line: "
             "--allow-incomplete).").format(
        elements=_(", ").join(_(REQUIRED[key]) for key in missing))


def replaced_classification(submission_id: int | None) -> tuple[str, int] | None:
    """``(classification, classification_years)`` of the finalized version that submission
    ``submission_id`` replaces (its ``replaces`` row), or None when it replaces none or that
    one carries no filing record. A correction must not silently lower the 密级: it starts
    from the replaced version's. Call inside a read or a transaction."""
    if submission_id is None:
        return None
    row = Submission.get_or_none(Submission.id == submission_id)
    if row is None or row.replaces_id is None:
        return None
    replaced = Submission.get_or_none(Submission.id == row.replaces_id)
    record = ((replaced.content or {}).get("filing") if replaced is not None else None) or {}
    level = record.get("classification")
    if not isinstance(level, str) or level not in filing.CLASSIFICATIONS:
        return None
    years = record.get("classification_years")
    return level, int(years) if isinstance(years, int) and 0 <= years <= MAX_YEARS else 0


@dataclass(frozen=True)
class FinalizeDefaults:
    """What the finalize dialog starts from: the ``classification`` (密级, ``""`` = not
    classified) and ``classification_years`` (保密期限, 0 = statutory) of the version the
    submission replaces (:func:`replaced_classification`), else of the settings, and the
    ``missing`` elements (:func:`missing_elements`, with their translated ``labels``)."""

    classification: str
    classification_years: int
    missing: tuple[str, ...]
    labels: tuple[str, ...]


def finalize_defaults(vs: VaultSession, submission_id: int | None = None) -> FinalizeDefaults:
    """The :class:`FinalizeDefaults` for finalizing submission ``submission_id`` (None: the
    vault's settings alone); coordinators and admins (:class:`PermissionDenied`
    otherwise)."""
    vs.require_to(Action.FINALIZE_SUBMISSION)
    level = str(_setting(vs, "doc_classification") or "")
    years = int(_setting(vs, "doc_classification_years") or 0)
    with vs.reading():
        inherited = replaced_classification(submission_id)
    if inherited is not None:
        level, years = inherited
    missing = missing_elements(vs)
    return FinalizeDefaults(
        level if level in filing.CLASSIFICATIONS else "", years, missing,
        tuple(_(REQUIRED[key]) for key in missing))

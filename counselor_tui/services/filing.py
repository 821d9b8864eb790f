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

from datetime import date
from typing import Any

from counselor_tui.domain import filing
from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import InvalidInput
from counselor_tui.services.settings import DEFAULT_SETTINGS, get_setting
from db.models import Submission

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
                  numbered: bool = False) -> dict[str, Any]:
    """The ``filing`` object dated ``day`` (the 成文日期). ``classification`` None takes the
    setting ``doc_classification``; else it must be one of
    :data:`counselor_tui.domain.filing.CLASSIFICATIONS` (:class:`InvalidInput`).
    ``numbered`` assigns the next document number of ``day``'s year (:func:`next_seq`)."""
    chosen = _setting(vs, "doc_classification") if classification is None else classification
    try:
        level = filing.check_classification(str(chosen or ""))
        pattern = filing.check_pattern(str(_setting(vs, "doc_number_pattern")))
    except filing.FilingInvalid as exc:
        raise InvalidInput(str(exc)) from None
    record: dict[str, Any] = {
        "number": None, "year": None, "seq": None,
        "classification": level,
        "classification_years": int(_setting(vs, "doc_classification_years") or 0),
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

"""Which vault settings an admin may edit on screen, and their allowed values (pure).

The ranges are product decisions recorded here as the single source (DESIGN §5, §8, and the
Users & settings brief): idle lock 1–60 minutes (DESIGN §5 "Automatic logoff", default 5);
session edit window 1–30 days (DESIGN §4, default 7); backup generations 1–100 (DESIGN §5
"Backups", default 10); disclosure threshold k 2–10 (DESIGN §8 "Disclosure control",
default 3; k = 2 only hides cells of 1 and is weak); submission due day 1–28 (DESIGN §7.4,
default 5; at most 28 so every month has that day); drafts kept after a lock 1–720 hours
(issue 15 item 7, default 72: three days covers a weekend); bureau name non-empty, at most
:data:`MAX_NAME` characters.

The official-document settings (GB/T 9704-2012, :mod:`counselor_tui.domain.filing`): the
主送机关, 签发人, 抄送机关, 印发机关 and 附注 are free text of at most :data:`MAX_TEXT`
characters and may be empty; the 发文字号 pattern must hold ``{号}`` (:func:`filing.check_pattern`);
the default classification is empty, 秘密, 机密 or 绝密 (chosen again at finalize); its term
0–30 years (0 = the statutory term, not printed); the 份号 1–999999.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from counselor_tui.domain import filing
from counselor_tui.i18n import N_, _

MAX_NAME = 60
MAX_TEXT = 120


class SettingInvalid(ValueError):
    """A typed setting value is refused; the message (translated) says what is allowed."""


@dataclass(frozen=True)
class SettingRule:
    """One editable setting: its ``key`` in the ``setting`` table, a label msgid, and for
    whole numbers the inclusive range ``low`` … ``high`` (``None`` for text)."""

    key: str
    label: str
    low: int | None = None
    high: int | None = None
    optional: bool = False

    @property
    def numeric(self) -> bool:
        """True for a whole-number setting."""
        return self.low is not None and self.high is not None


RULES: tuple[SettingRule, ...] = (
    SettingRule("bureau_name", N_("Bureau name")),
    SettingRule("idle_lock_minutes", N_("Idle lock (minutes)"), 1, 60),
    SettingRule("session_lock_days", N_("Session edit window (days)"), 1, 30),
    SettingRule("draft_keep_hours", N_("Drafts kept after a lock (hours)"), 1, 720),
    SettingRule("backup_keep", N_("Backup generations kept"), 1, 100),
    SettingRule("suppression_k", N_("Disclosure threshold k"), 2, 10),
    SettingRule("submission_due_day", N_("Submission due day of the month"), 1, 28),
    SettingRule("doc_recipient", N_("Report addressed to (主送机关)"), optional=True),
    SettingRule("doc_number_pattern", N_("Document number pattern (发文字号)")),
    SettingRule("doc_signer", N_("Signed off by (签发人)"), optional=True),
    SettingRule("doc_classification", N_("Default classification (密级)"), optional=True),
    SettingRule("doc_classification_years", N_("Classification term in years (0 = statutory)"),
                0, 30),
    SettingRule("doc_copy_no", N_("Copy number (份号)"), 1, 999999),
    SettingRule("doc_note", N_("Note on the document (附注), e.g. contact"), optional=True),
    SettingRule("doc_cc", N_("Copies to (抄送)"), optional=True),
    SettingRule("doc_printer", N_("Printed by (印发机关; empty = the bureau)"), optional=True),
)
BY_KEY: Mapping[str, SettingRule] = {r.key: r for r in RULES}


def parse_setting(key: str, text: str) -> Any:
    """The value to store for ``key`` typed as ``text`` (whole numbers as ``int``, texts
    trimmed). Only whole numbers are folded (NFKC, so full-width digits are read); the
    bureau name and the document texts keep their full-width punctuation (（）：，〔〕 are
    part of a Chinese name or title, GB/T 15834-2011), they are only composed (NFC).
    Raises :class:`SettingInvalid` with a translated message, or ``KeyError`` for a key
    that is not editable."""
    rule = BY_KEY[key]
    form: Literal["NFKC", "NFC"] = "NFKC" if rule.numeric else "NFC"
    cleaned = unicodedata.normalize(form, text).strip()
    if rule.low is None or rule.high is None:
        try:
            if key == "doc_number_pattern":
                return filing.check_pattern(cleaned)
            if key == "doc_classification":
                return filing.check_classification(cleaned)
        except filing.FilingInvalid as exc:
            raise SettingInvalid(str(exc)) from None
        if not cleaned and not rule.optional:
            raise SettingInvalid(_("Type the bureau's name."))
        limit = MAX_TEXT if rule.optional else MAX_NAME
        if len(cleaned) > limit:
            raise SettingInvalid(_("At most {n} characters.").format(n=limit))
        return cleaned
    try:
        value = int(cleaned)
    except ValueError:
        raise SettingInvalid(_("Type a whole number from {low} to {high}.").format(
            low=rule.low, high=rule.high)) from None
    if not rule.low <= value <= rule.high:
        raise SettingInvalid(_("Type a whole number from {low} to {high}.").format(
            low=rule.low, high=rule.high))
    return value


def warning(key: str, value: Any) -> str:
    """A caution about an allowed but weak value ("" when none): k = 2 hides only cells
    of 1, so a reader can often tell a single person apart (DESIGN §8)."""
    if key == "suppression_k" and value == 2:
        return _("k = 2 is weak: only counts of 1 are hidden. 3 or more is advised.")
    return ""


def validate_settings(texts: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse every ``{key: typed text}``: ``(values, errors)`` with ``errors`` mapping a key
    to its message. Keys that are not editable are an error too."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, text in texts.items():
        if key not in BY_KEY:
            errors[key] = _("This setting cannot be changed here.")
            continue
        try:
            values[key] = parse_setting(key, text)
        except SettingInvalid as exc:
            errors[key] = str(exc)
    return values, errors

"""Reading one roster cell (DESIGN §4 roster import): file encodings, header names, and the
normalized badge number, name, gender, police type and phone of a cell. Re-exported by
:mod:`counselor_tui.domain.roster`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime

from counselor_tui.domain.dates import normalize_digits
from counselor_tui.domain.text import MIDDLE_DOTS, is_han
from counselor_tui.domain.vocab import POLICE_TYPES, canonical_police_type
from counselor_tui.i18n import N_, _

#: A field's name for people (msgid, translate with :func:`field_label`): the words of the
#: dry run's ``row R (update): unit, post`` and of the control-character reason. ``unit_id``
#: (the stored form of the unit) reads as the unit.
FIELD_LABELS: Mapping[str, str] = {
    "badge_no": N_("badge number"), "name": N_("name"), "gender": N_("gender"),
    "birth_date": N_("birth date"), "unit": N_("unit"), "unit_id": N_("unit"),
    "police_type": N_("police type"), "post": N_("post"), "hire_date": N_("hire date"),
    "phone": N_("phone"),
}


ALIASES: dict[str, tuple[str, ...]] = {
    "badge_no": ("警号", "警员编号", "警员号", "民警警号", "民警编号", "警察编号", "警号编号"),
    "name": ("姓名", "民警姓名", "警员姓名", "人员姓名", "名字"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "出生时间", "生日"),
    "unit": ("单位", "所在单位", "部门", "工作单位", "所属单位", "单位名称", "所在部门",
             "所属部门", "工作部门", "单位部门", "单位(部门)"),
    "police_type": ("警种", "所属警种", "警种类别", "警种类型"),
    "post": ("职务", "岗位", "职务/岗位", "职务岗位", "职位", "现任职务", "职务职级", "岗位职务"),
    "hire_date": ("入警时间", "入警日期", "入警年月", "参加公安工作时间", "参加公安工作日期",
                  "参加公安工作年月", "参加工作时间", "参加工作日期", "从警时间"),
    "phone": ("联系电话", "手机号码", "手机号", "手机", "电话", "电话号码", "联系方式"),
}


#: Normalised header wording → field (see :func:`header_field`).
HEADER_ALIASES: Mapping[str, str] = {
    alias: field for field, aliases in ALIASES.items() for alias in aliases
}


_BRACKETS_RE = re.compile(r"[(\[【<《].*?[)\]】>》]")


#: A number a spreadsheet wrote for a long digit string: scientific notation
#: (``1.38123E+10``) or a decimal tail (``13812345678.0``, ``330700.00``).
_SPREADSHEET_NUMBER_RE = re.compile(
    r"[0-9]+(?:\.[0-9]*)?E[+-][0-9]+|[0-9]+\.[0-9]+", re.IGNORECASE)


_BADGE_RE = re.compile(r"[0-9A-Z][0-9A-Z-]{0,23}")


class RosterFormatError(ValueError):
    """The file as a whole cannot be read as a roster (encoding, no header row, missing
    required columns). ``str(error)`` is a translated sentence saying what to fix."""


class RosterValueError(ValueError):
    """One cell cannot be read; ``str(error)`` is the translated reason (no personal data
    beyond what the user typed into that cell)."""


def decode_csv(data: bytes) -> str:
    """Decode a CSV file's bytes: UTF-8 (a BOM is dropped), else GB18030 (GBK, GB2312).

    Raises :class:`RosterFormatError` when neither decodes the whole file, or when the text
    holds NUL characters (UTF-16 files, binary files). Source: DESIGN §10.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise RosterFormatError(
        _("Cannot read the encoding of the file: save it as UTF-8 or GBK CSV, or as XLSX.")
    )


#: Control characters that are ordinary spaces in a cell (collapsed by normalize_text).
_SPACE_CONTROLS = frozenset("\t\n\r")


def field_label(field: str) -> str:
    """The translated name of roster field ``field`` (``unit_id`` → the unit's word)."""
    msgid = FIELD_LABELS.get(field)
    return _(msgid) if msgid else field


def has_control_chars(value: object) -> bool:
    """True when ``value`` is text holding a control character: Unicode category Cc or Cf
    (ESC, NUL, DEL, C1 controls, zero-width spaces and joiners, direction marks and
    overrides, a BOM inside the text), except tab, CR and LF, which read as spaces.
    Source: Unicode general categories (UAX #44); the terminal reads ESC sequences."""
    if not isinstance(value, str):
        return False
    return any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in _SPACE_CONTROLS
               for ch in value)


def strip_control_chars(value: object) -> object:
    """``value`` without its control characters (see :func:`has_control_chars`); other
    values unchanged. Used to show a rejected row's badge number and name safely."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value
                   if ch in _SPACE_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cf"))


def normalize_text(value: object, *, fold: bool = True) -> str:
    """A cell as clean text: NFKC (``fold``; NFC otherwise), trimmed, inner whitespace
    collapsed; ``None`` → ``""``.

    Number cells lose a ``.0`` (``330700.0`` → ``330700``); dates become ``YYYY-MM-DD``.
    Text that is stored as typed (names, units, posts: :func:`keep_text`) is not folded:
    full-width brackets and dots are part of a Chinese name (GB/T 15834-2011).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = normalize_digits(str(value)) if fold else unicodedata.normalize("NFC", str(value))
    return " ".join(text.split())


def keep_text(value: object) -> str:
    """A cell stored as typed (name, unit, post): NFC, trimmed, whitespace runs made one
    space; full-width forms are kept (they are folded only to *match*, e.g. units by
    :func:`counselor_tui.domain.roster.fold_unit_name`)."""
    return normalize_text(value, fold=False)


def _refuse_spreadsheet_number(value: object, what: str) -> None:
    """Raise :class:`RosterValueError` when a badge or phone number cell is a number a
    spreadsheet made of the digits: a decimal number cell (``13812345678.0``, leading zeros
    and, past 15 digits, the last digits are gone) or text in scientific notation or with a
    decimal tail (``1.38123E+10``, ``330700.0``). Nothing is guessed back."""
    shown = ""
    if isinstance(value, float):
        shown = repr(value) if value < 1e16 else f"{value:.5E}"
    elif isinstance(value, str):
        text = normalize_digits(value).strip().lstrip("'")
        if _SPREADSHEET_NUMBER_RE.fullmatch(text):
            shown = text
    if shown:
        raise RosterValueError(
            _("The {what} “{text}” is a number the spreadsheet converted (decimal or "
              "scientific notation), so digits may be lost: format the column as text, "
              "type the number again and import again.").format(what=what, text=shown[:30]))


def header_field(value: object) -> str | None:
    """The roster field a header cell names, or None.

    The cell is normalised (:func:`normalize_text`), spaces, ``*``, ``:`` and bracketed
    hints are removed before looking it up in :data:`HEADER_ALIASES`.
    """
    text = normalize_text(value)
    if not text:
        return None
    key = text.replace(" ", "").replace("*", "").rstrip(":")
    if key in HEADER_ALIASES:
        return HEADER_ALIASES[key]
    key = _BRACKETS_RE.sub("", key)
    return HEADER_ALIASES.get(key)


def normalize_badge(value: object) -> str:
    """A badge number (警号) as stored: NFKC, no spaces, letters upper-cased.

    Returns ``""`` for an empty cell. Raises :class:`RosterValueError` when it holds
    anything but letters, digits and ``-`` (or is longer than 24 characters), or when a
    spreadsheet turned it into a decimal or scientific-notation number (issue 16).
    """
    _refuse_spreadsheet_number(value, _("badge number"))
    text = normalize_text(value).replace(" ", "").upper()
    if not text:
        return ""
    if not _BADGE_RE.fullmatch(text):
        raise RosterValueError(
            _("The badge number “{badge}” may hold only letters, digits and '-'.").format(
                badge=text[:30])
        )
    return text


def normalize_name(value: object) -> str:
    """A person's name as typed (NFC, not folded), trimmed; a purely Chinese name (Han
    characters of any plane, middle dots) loses inner spaces (``王　伟``)."""
    text = keep_text(value)
    compact = text.replace(" ", "")
    if compact and all(is_han(ch) or ch in MIDDLE_DOTS for ch in compact):
        return compact
    return text


_GENDERS = {
    "男": "male", "男性": "male", "m": "male", "male": "male",
    "女": "female", "女性": "female", "f": "female", "female": "female",
}


def normalize_gender(value: object) -> str | None:
    """``male`` / ``female`` from ``男``/``女`` (``男性``, ``M``, ``male`` …); None if empty.

    Raises :class:`RosterValueError` for anything else.
    """
    text = normalize_text(value).lower()
    if not text:
        return None
    if text in _GENDERS:
        return _GENDERS[text]
    raise RosterValueError(
        _("Unknown gender “{text}”: write 男 or 女.").format(text=text[:20])
    )


def normalize_police_type(value: object) -> str | None:
    """The canonical police type (警种) of a cell, None if empty.

    Raises :class:`RosterValueError` for a wording that is neither a police type of
    DESIGN §2 nor one of its aliases.
    """
    text = normalize_text(value).replace(" ", "")
    if not text:
        return None
    found = canonical_police_type(text)
    if found is None:
        raise RosterValueError(
            _("Unknown police type “{text}”: use one of {types}.").format(
                text=text[:20], types="、".join(POLICE_TYPES))
        )
    return found


def normalize_phone(value: object) -> str | None:
    """A phone number: NFKC, spaces removed; None when empty. Raises
    :class:`RosterValueError` when a spreadsheet turned it into a decimal or
    scientific-notation number (``1.38123E+10``)."""
    _refuse_spreadsheet_number(value, _("phone number"))
    text = normalize_text(value).replace(" ", "")
    return text or None

"""Translations for every user-facing string (gettext, Chinese first).

Messages are written in English in the source, wrapped in :func:`_`, and translated through
gettext catalogs compiled from per-area fragments ``counselor_tui/locale/<lang>/<area>.po``
into ``counselor_tui/locale/<lang>/LC_MESSAGES/counselor_tui.mo`` (``make i18n``).
Chinese (``zh``) is the default language; English (``en``) is complete as well.

This module is pure (no textual, no database) so every layer may use it.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "counselor_tui"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

_current: gettext.NullTranslations = gettext.NullTranslations()
_language = ""


def set_language(lang: str | None = None) -> str:
    """Select the catalog used by :func:`_` and return the language code now in use.

    ``lang`` is ``"zh"`` or ``"en"``; ``None`` takes ``COUNSELOR_TUI_LANG`` from the
    environment, else Chinese. Raises ``ValueError`` for any other code.
    """
    global _current, _language
    chosen = lang or os.environ.get("COUNSELOR_TUI_LANG") or DEFAULT_LANGUAGE
    if chosen not in LANGUAGES:
        raise ValueError(f"unsupported language {chosen!r}: use zh or en")
    _current = gettext.translation(DOMAIN, LOCALE_DIR, languages=[chosen], fallback=True)
    _language = chosen
    return chosen


def language() -> str:
    """The language code in use (``zh`` or ``en``)."""
    if not _language:
        set_language()
    return _language


def _(message: str) -> str:
    """Translate ``message`` (an English msgid) into the current language."""
    if not _language:
        set_language()
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Plural-aware translation of ``singular``/``plural`` for count ``n``."""
    if not _language:
        set_language()
    return _current.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (for module constants)."""
    return message

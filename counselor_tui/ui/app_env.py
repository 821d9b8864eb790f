"""What the app shell reads from its environment, and what it prints after a crash (split
from :mod:`counselor_tui.ui.app`, which re-exports both)."""

from __future__ import annotations

import os

from counselor_tui.i18n import _

#: Environment switch for a plain traceback (never with local variables) after a crash.
DEBUG_ENV = "COUNSELOR_TUI_DEBUG"


def crash_message(error: BaseException) -> str:
    """What is printed after an unexpected error: its kind only (never its text, which
    may quote data), and that the vault was locked."""
    return _("counselor-tui stopped after an unexpected error ({kind}). The vault was "
             "locked; nothing unsaved was kept. Run with {env}=1 for a technical trace."
             ).format(kind=type(error).__name__, env=DEBUG_ENV)


def idle_minutes_from_env() -> float | None:
    """``COUNSELOR_TUI_IDLE_SECONDS`` (scripted runs, e2e tests) as minutes, or None."""
    text = os.environ.get("COUNSELOR_TUI_IDLE_SECONDS", "")
    try:
        return max(1.0, float(text)) / 60 if text else None
    except ValueError:
        return None

"""Where things live on disk by default (platformdirs), overridable by environment.

* vault: ``<user data dir>/counselor-tui/vault.db`` (``--vault`` overrides);
* state (failed-attempt counters): ``COUNSELOR_TUI_STATE_DIR`` or the user state dir, with
  a mirror in ``COUNSELOR_TUI_ATTEMPTS_MIRROR`` or the user config dir, and on a server an
  append-only journal in ``COUNSELOR_TUI_ATTEMPTS_JOURNAL``;
* backups: ``<vault folder>/backups`` unless ``backup --out`` names another folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path, user_state_path

APP = "counselor-tui"


def default_vault() -> Path:
    """The default database file of the vault."""
    return user_data_path(APP, appauthor=False) / "vault.db"


def state_dir() -> Path:
    """The folder for per-machine state that must not sit beside the vault."""
    override = os.environ.get("COUNSELOR_TUI_STATE_DIR")
    return Path(override) if override else user_state_path(APP, appauthor=False)


def attempts_mirror_dir() -> Path:
    """The second copy of the failed-attempt counters (issue 12): deleting the state folder
    neither lifts the delay nor erases the trace. ``COUNSELOR_TUI_ATTEMPTS_MIRROR`` or
    ``<user config dir>/counselor-tui/attempts`` (a server deployment points it at a folder
    the app's user may write but not delete)."""
    override = os.environ.get("COUNSELOR_TUI_ATTEMPTS_MIRROR")
    return Path(override) if override else user_config_path(APP, appauthor=False) / "attempts"


def attempts_journal() -> Path | None:
    """The append-only failed-attempt journal of a server deployment
    (``COUNSELOR_TUI_ATTEMPTS_JOURNAL``, set by the ForceCommand wrapper of
    ``deploy/setup-bureau-server.sh``), or None on a single machine (issue 12)."""
    override = os.environ.get("COUNSELOR_TUI_ATTEMPTS_JOURNAL")
    return Path(override) if override else None


def default_backup_dir(vault: Path) -> Path:
    """The default backup folder of ``vault``."""
    return vault.parent / "backups"


def kdf_target_seconds() -> float:
    """Seconds one Argon2id derivation should take for new slots (DESIGN §5: about 0.5 s).

    ``COUNSELOR_TUI_KDF_SECONDS`` lowers it for tests and slow machines; the 64 MiB /
    2-pass floor always applies.
    """
    text = os.environ.get("COUNSELOR_TUI_KDF_SECONDS")
    try:
        return max(0.0, float(text)) if text else 0.5
    except ValueError:
        return 0.5

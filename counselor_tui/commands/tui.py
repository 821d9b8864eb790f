"""Open the Textual interface (``counselor-tui`` without a command, and ``demo``).

This is the one module of ``commands`` that loads textual: the command line imports it only
when the interface opens (:func:`counselor_tui.cli.open_tui`), so the headless commands
never load textual or rich.
"""

from __future__ import annotations

import argparse

from counselor_tui.commands import common
from counselor_tui.services import lifecycle
from counselor_tui.services.api import Backend
from counselor_tui.ui.app import create_app, idle_minutes_from_env


def run_app(args: argparse.Namespace) -> int:
    """Open the TUI for ``args`` (``vault``, ``user``, ``passphrase_file``, ``lang``; an
    unlocked ``demo_session`` is adopted). With ``--user`` and ``--passphrase-file`` the
    interface's first frame says "Opening the vault…" while its unlock screen unlocks with
    that passphrase in a worker (issue 18: the key derivation no longer delays the first
    frame; a wrong passphrase leaves the unlock screen asking). Returns the exit code; the
    vault is locked (audited as ``quit``) however the interface ends."""
    demo = getattr(args, "demo_session", None)
    backend = Backend(common.vault_path(args))
    passphrase = None
    try:
        if demo is not None:
            backend.adopt(demo)
        elif args.user and args.passphrase_file and backend.exists():
            passphrase = common.read_secret_file(args.passphrase_file)
        elif args.user and args.passphrase_file:
            backend.adopt(common.unlock(args, check=False))  # says the vault is not there
        idle = idle_minutes_from_env()
        app = create_app(backend, idle_minutes=idle, username=args.user,
                         idle_check_seconds=1.0 if idle is None else 0.5,
                         demo_passphrase=getattr(args, "demo_passphrase", None),
                         passphrase=passphrase)
        app.run()
    finally:
        if backend.unlocked:
            backend.lock("quit")
        if demo is not None:
            lifecycle.lock(demo, "quit")
    return int(app.return_code or 0)

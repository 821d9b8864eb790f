"""``import roster FILE`` and ``import responses FILE`` (DESIGN §9, §10)."""

from __future__ import annotations

from typing import Any

from counselor_tui.commands import responses_cmd, roster_cmd
from counselor_tui.i18n import _


def register(sub: Any) -> None:
    """Add the ``import`` group; each importer registers its own sub-command."""
    p = sub.add_parser("import", help=_("import a roster or survey responses (dry run first)"))
    group = p.add_subparsers(dest="import_command", metavar="KIND", required=True)
    roster_cmd.register_import(group)
    responses_cmd.register_import(group)

"""``import roster FILE [--apply] [--create-units]`` (DESIGN §9, §10).

Output (the automation contract, the same words in every language): the first stdout line
is ``added N, updated N, unchanged N, rejected N``, then one ``row R: reason`` line per
rejected row (reasons translated). On stderr: one ``row R (update): unit, post`` line per
updated officer (the fields that change — names of fields only, never values), warnings
(values left out) and notes.
Without ``--apply`` nothing is written (dry run). Exit code 0 whenever the file was read
(also with rejected rows), 2 when it cannot be read or the account may not import.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from counselor_tui.commands import common
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle, roster


def register_import(group: Any) -> None:
    """Add ``roster`` to the ``import`` sub-commands."""
    p = group.add_parser("roster", help=_("import the personnel roster (XLSX or CSV)"))
    p.add_argument("file", metavar="FILE", help=_("roster file (.xlsx or .csv)"))
    p.add_argument("--apply", action="store_true",
                   help=_("write the import (without it: dry run, nothing is written)"))
    p.add_argument("--create-units", action="store_true",
                   help=_("create units named by the roster that the vault does not have"))
    p.set_defaults(handler=cmd_roster)


def cmd_roster(args: argparse.Namespace) -> int:
    """Plan (and with ``--apply`` write) a roster import; print the contract lines."""
    vs = common.unlock(args)
    try:
        plan = roster.plan_roster_import(vs, Path(args.file), create_units=args.create_units)
        if args.apply:
            plan = roster.apply_roster_import(vs, plan)
    finally:
        lifecycle.lock(vs, "quit")
    print(plan.summary())
    for item in plan.rejected:
        print(f"row {item.row}: {item.reason}")
    for row in plan.updated:
        common.info(_("row {row} (update): {fields}").format(row=row.row,
                                                            fields=row.change_labels()))
    for item in plan.warnings:
        common.info(_("row {row} (warning): {reason}").format(row=item.row, reason=item.reason))
    if plan.new_units:
        names = "、".join(plan.new_units)
        if plan.create_units:
            common.info(_("Units created by this import: {names}").format(names=names)
                        if plan.applied else
                        _("Units this import would create: {names}").format(names=names))
        else:
            common.info(_("Units not in the vault (their rows are rejected): {names}. Add "
                          "them first, or run again with --create-units.").format(names=names))
    if not plan.applied:
        common.info(_("Dry run: nothing was written. Add --apply to import."))
    return 0

"""``users reassign FROM TO`` and ``users disable NAME --reassign-to OTHER`` (issue 15,
point 3): hand a counselor's open work to another and print what moved.

``reassign`` (coordinator, or admin) with ``--dry-run`` lists what would move and changes
nothing; ``disable --reassign-to`` (admin) hands over and disables in one transaction.
Exit codes: 0 done, 2 bad input or refused (unknown account, no reason, wrong role).
"""

from __future__ import annotations

import argparse

from counselor_tui.commands import common
from counselor_tui.i18n import _
from counselor_tui.services import handover, lifecycle
from counselor_tui.services.handover import HandoverResult


def _print(result: HandoverResult) -> None:
    for line in result.lines():
        print(line)


def cmd_reassign(args: argparse.Namespace) -> int:
    """Hand over (or with ``--dry-run`` only list) the open work of ``args.giver``."""
    vs = common.unlock(args)
    try:
        if args.dry_run:
            result = handover.plan(vs, args.giver)
        else:
            result = handover.hand_over(vs, args.giver, args.receiver, args.reason or "")
    finally:
        lifecycle.lock(vs, "quit")
    if args.dry_run:
        print(_("Dry run: nothing changed. {giver} would hand over to {receiver}:").format(
            giver=args.giver, receiver=args.receiver))
    else:
        print(_("Handed over from {giver} to {receiver}:").format(
            giver=args.giver, receiver=args.receiver))
    _print(result)
    return 0


def cmd_disable_handing_over(args: argparse.Namespace) -> int:
    """Disable ``args.name`` after handing its open work to ``args.reassign_to``."""
    vs = common.unlock(args)
    try:
        result = handover.hand_over(vs, args.name, args.reassign_to, args.reason or "",
                                    disable=True)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Handed over from {giver} to {receiver}:").format(
        giver=args.name, receiver=args.reassign_to))
    _print(result)
    print(_("Account {user} disabled; run 'counselor-tui rekey' so that old copies of the key "
            "file stop working too.").format(user=args.name))
    return 0

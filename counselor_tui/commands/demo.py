"""``demo``: build a fictitious bureau into a new vault and open it (DESIGN §9).

``counselor-tui [--vault PATH] [--passphrase-file F] demo --size tiny|county|city|province
--seed N [--no-open]``. The passphrase comes from ``--passphrase-file`` or is generated; the
vault path, the user and a generated passphrase are printed to stdout before the interface
opens, already unlocked as ``demo`` (the unlocked session travels to the interface as
``args.demo_session``; ``args.open_tui`` asks :func:`counselor_tui.cli.main` to open it, so
that this module never loads textual). An existing vault is refused (exit 2). Progress lines
go to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any

from counselor_tui import demo, paths
from counselor_tui.commands import common
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle
from counselor_tui.services.context import SystemClock


def register(sub: Any) -> None:
    """Add the ``demo`` command to the sub-parser collection ``sub``."""
    p = sub.add_parser("demo", help=_("build a fictitious bureau into a new vault and open it"))
    p.add_argument("--size", choices=tuple(demo.SIZES), default="county",
                   help=_("how big a bureau (default: county)"))
    p.add_argument("--seed", type=int, default=1,
                   help=_("random seed: the same seed gives the same bureau (default: 1)"))
    p.add_argument("--no-open", action="store_true",
                   help=_("only build the vault, do not open the interface"))
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo vault, print how to open it, then open the interface unless
    ``--no-open``. Exit 2 when the vault exists or the passphrase is weak."""
    path = common.vault_path(args)
    if lifecycle.vault_exists(path):
        raise common.CommandError(
            _("A vault already exists at {path}: the demo needs a new path.").format(path=path))
    generated = not args.passphrase_file
    secret = demo.generate_passphrase() if generated else common.read_secret_file(
        args.passphrase_file)
    clock = SystemClock()
    result = demo.build_demo(path, args.size, args.seed, secret, clock,
                             kdf_seconds=common.kdf_seconds(), state_dir=paths.state_dir(),
                             progress=common.info)
    others = ", ".join(u.username for u in result.users if u.username != demo.DEMO_USER)
    print(_("Demo vault: {path}").format(path=result.path))
    print(_("User: {user} (coordinator); also {others}").format(user=demo.DEMO_USER,
                                                              others=others))
    if generated:
        print(_("Passphrase (every demo account): {passphrase}").format(passphrase=secret))
    print(_("Built in {seconds} s.").format(seconds=f"{result.seconds:.1f}"), flush=True)
    if args.no_open:
        return 0
    args.vault = str(path)
    args.user = demo.DEMO_USER
    args.demo_session = lifecycle.unlock(path, demo.DEMO_USER, secret, clock=clock,
                                     state_dir=paths.state_dir())
    args.demo_passphrase = secret if generated else None  # shown on its unlock screen
    args.open_tui = True  # the command line opens it (and locks the session afterwards)
    return 0

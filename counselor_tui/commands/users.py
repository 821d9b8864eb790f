"""``users add|disable|passwd|list|grant-sealed`` (DESIGN §9, issue 11)."""

from __future__ import annotations

import argparse
from typing import Any

from counselor_tui.commands import common, handover_cmd
from counselor_tui.domain.roles import Role
from counselor_tui.i18n import _
from counselor_tui.services import accounts, lifecycle, sealed


def register(sub: Any) -> None:
    """Add ``users …`` to the sub-parser collection ``sub``."""
    p = sub.add_parser("users", help=_("manage accounts"))
    users = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    a = users.add_parser("add", help=_("create an account"))
    a.add_argument("name", help=_("user name"))
    a.add_argument("--role", required=True,
                   choices=("counselor", "coordinator", "auditor", "admin"))
    a.add_argument("--display-name", help=_("name shown in the interface"))
    a.add_argument("--unit", metavar="CODE", help=_("unit code"))
    a.add_argument("--new-passphrase-file", metavar="FILE",
                   help=_("read the new account's passphrase from FILE"))
    a.set_defaults(handler=cmd_add)

    d = users.add_parser("disable", help=_("disable an account and remove its key slot"))
    d.add_argument("name")
    d.add_argument("--reassign-to", metavar="NAME", help=_(
        "first hand the account's persons, open follow-ups and open incident steps to NAME"))
    d.add_argument("--reason", help=_("why the work is handed over"))
    d.set_defaults(handler=cmd_disable)

    r = users.add_parser("reassign", help=_(
        "hand a counselor's persons, open follow-ups and open incident steps to another"))
    r.add_argument("giver", metavar="FROM")
    r.add_argument("receiver", metavar="TO")
    r.add_argument("--reason", help=_("why the work is handed over"))
    r.add_argument("--dry-run", action="store_true", help=_("only list what would move"))
    r.set_defaults(handler=handover_cmd.cmd_reassign)

    w = users.add_parser("passwd", help=_("change a passphrase"))
    w.add_argument("name")
    w.add_argument("--new-passphrase-file", metavar="FILE",
                   help=_("read the new passphrase from FILE"))
    w.set_defaults(handler=cmd_passwd)

    s = users.add_parser("list", help=_("list accounts"))
    s.set_defaults(handler=cmd_list)

    g = users.add_parser("grant-sealed", help=_(
        "give an account the keys of the sealed notes its role may read (coordinator only)"))
    g.add_argument("name")
    g.set_defaults(handler=cmd_grant_sealed)


def cmd_add(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        new = common.read_secret(args.new_passphrase_file,
                                 _("Passphrase for the new account: "), confirm=True,
                                 option="--new-passphrase-file")
        info = accounts.add_user(vs, args.name, args.role, new, display_name=args.display_name,
                                 unit_code=args.unit, kdf_seconds=common.kdf_seconds())
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Account {user} created ({role}).").format(user=info.username,
                                                         role=_role_label(info.role)))
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    if args.reassign_to:
        return handover_cmd.cmd_disable_handing_over(args)
    vs = common.unlock(args)
    try:
        accounts.disable_user(vs, args.name)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Account {user} disabled; run 'counselor-tui rekey' so that old copies of the key "
            "file stop working too.").format(user=args.name))
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        own = args.name == vs.actor.username
        old = common.read_secret(args.passphrase_file, _("Passphrase: ")) if own else None
        new = common.read_secret(args.new_passphrase_file, _("New passphrase: "), confirm=True,
                                 option="--new-passphrase-file")
        accounts.change_passphrase(vs, args.name, new, old_passphrase=old,
                                   kdf_seconds=common.kdf_seconds())
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Passphrase of {user} changed.").format(user=args.name))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        rows = accounts.list_users(vs)
    finally:
        lifecycle.lock(vs, "quit")
    print("\t".join((_("User name"), _("Role"), _("State"), _("Unit"), _("Display name"))))
    for row in rows:
        state = _("active") if row.active else _("disabled")
        print(f"{row.username}\t{_role_label(row.role)}\t{state}\t{row.unit_code or '-'}\t"
              f"{row.display_name}")
    return 0


def _role_label(code: str) -> str:
    """The role's name in the interface language (the code for one the program does not
    know)."""
    try:
        return Role(code).label
    except ValueError:
        return code


def cmd_grant_sealed(args: argparse.Namespace) -> int:
    vs = common.unlock(args)
    try:
        done = sealed.grant(vs, args.name)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("{user} can now open {notes} more sealed notes and {keys} more signing keys.")
          .format(user=args.name, notes=done.notes, keys=done.signing_keys))
    return 0

"""``init``, ``backup``, ``restore``, ``check``, ``rekey``, ``recover`` (DESIGN §5, §9)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from counselor_tui import paths
from counselor_tui.commands import common
from counselor_tui.i18n import _
from counselor_tui.services import backup_restore, integrity, key_rotation, lifecycle
from counselor_tui.services.context import SystemClock
from counselor_tui.services.role_grants import show_fingerprint


def register(sub: Any) -> None:
    """Add the vault commands to the sub-parser collection ``sub``."""
    p = sub.add_parser("init", help=_("create a new vault"))
    p.add_argument("--bureau", required=True, help=_("name of the bureau"))
    p.add_argument("--admin", required=True, help=_("user name of the first admin"))
    p.add_argument("--admin-name", help=_("display name of the first admin"))
    p.add_argument("--recovery-code-out", metavar="FILE",
                   help=_("write the recovery code to FILE (mode 0600) instead of showing it"))
    p.add_argument("--timezone", default="Asia/Shanghai", help=_("bureau time zone"))
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("backup", help=_("write a verified encrypted backup"))
    p.add_argument("--out", metavar="DIR", help=_("backup folder (default: beside the vault)"))
    p.add_argument("--keep", type=int, help=_("generations to keep (default: setting, 10)"))
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help=_("replace the vault with a verified backup"))
    p.add_argument("backup", metavar="BACKUP", help=_("backup .db file (its .keys beside it)"))
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("check", help=_("verify encryption, integrity and the audit chain"))
    p.add_argument("--anchor", metavar="FILE", help=_(
        "also compare the audit chain with FILE: a backup's .witness file or a submission "
        "package"))
    p.add_argument("--anchor-password-file", metavar="FILE",
                   help=_("read the password of the package given as --anchor from FILE"))
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("rekey", help=_("rotate the data key and reseal every slot"))
    p.set_defaults(handler=cmd_rekey)

    p = sub.add_parser("recover", help=_("open with the recovery code and set a new passphrase"))
    p.add_argument("--recovery-code-file", metavar="FILE",
                   help=_("read the recovery code from FILE"))
    p.add_argument("--new-passphrase-file", metavar="FILE",
                   help=_("read the new passphrase from FILE"))
    p.add_argument("--recovery-code-out", metavar="FILE",
                   help=_("write the new recovery code to FILE (mode 0600)"))
    p.set_defaults(handler=cmd_recover)


def cmd_init(args: argparse.Namespace) -> int:
    """Create a vault; the recovery code goes to ``--recovery-code-out`` or the screen."""
    path = common.vault_path(args)
    if lifecycle.vault_exists(path):
        raise common.CommandError(
            _("A vault already exists at {path}: open it, or choose another path.").format(
                path=path))
    out = Path(args.recovery_code_out) if args.recovery_code_out else None
    if out is not None:
        common.check_new_file(out)
    check_timezone(args.timezone)
    secret = common.read_secret(args.passphrase_file, _("New passphrase: "), confirm=True)
    created = lifecycle.create_vault(
        path, bureau=args.bureau, admin_username=args.admin, passphrase=secret,
        clock=SystemClock(), admin_display_name=args.admin_name,
        kdf_seconds=common.kdf_seconds(), timezone=args.timezone,
    )
    if out is not None:
        if not _write_code(out, created.recovery_code):
            print(_("Vault created at {path}.").format(path=created.path))
            return 1
        print(_("Vault created at {path}; recovery code written to {out}.").format(
            path=created.path, out=out))
    else:
        print(_("Vault created at {path}.").format(path=created.path))
        print(_("Recovery code (write it down and keep it sealed; it is shown only once):"))
        print(created.recovery_code)
    print(_("Root key fingerprint of the role grants (keep it with the recovery code; "
            "'counselor-tui check' shows it):"))
    print(show_fingerprint(created.root_fingerprint))
    return 0


def check_timezone(name: str) -> None:
    """Refuse (exit 2) a time zone that is not in the IANA database (``Asia/Shanghai``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise common.CommandError(_("Unknown time zone '{name}': give an IANA name such as "
                                    "Asia/Shanghai.").format(name=name)) from None


def _write_code(out: Path, code: str) -> bool:
    """Write a recovery code to ``out``; when that fails after all (disk full …), show the
    code on the screen instead, once, so that it is never lost. Returns False then."""
    try:
        common.write_private_file(out, code + "\n")
    except OSError as exc:
        common.error(_("The recovery code could not be written to {out} ({reason}); it is "
                       "shown here instead, only once:").format(
                           out=out, reason=exc.strerror or type(exc).__name__))
        print(code)
        return False
    return True


def cmd_backup(args: argparse.Namespace) -> int:
    """Back up the vault; prints the new backup's path."""
    vs = common.unlock(args)
    try:
        out = Path(args.out) if args.out else paths.default_backup_dir(vs.path)
        target = backup_restore.backup(vs, out, args.keep)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Backup written: {path}").format(path=target))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup over the vault after verifying it."""
    path = common.vault_path(args)
    user = common.username(args)
    secret = common.read_secret(args.passphrase_file, _("Passphrase: "))
    kept = backup_restore.restore(path, Path(args.backup), user, secret, clock=SystemClock(),
                         state_dir=paths.state_dir())
    print(_("Restored {backup} into {path}; the previous vault is kept as {kept}.").format(
        backup=args.backup, path=path, kept=kept))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """One line per check; exit 0 only when everything passes."""
    path = common.vault_path(args)
    user = common.username(args)
    secret = common.read_secret(args.passphrase_file, _("Passphrase: "))
    anchor = Path(args.anchor) if args.anchor else None
    anchor_password = (common.read_secret(args.anchor_password_file, _("Package password: "),
                                          option="--anchor-password-file")
                       if args.anchor_password_file else None)
    result = integrity.check_vault(path, user, secret, state_dir=paths.state_dir(),
                               clock=SystemClock(), anchor=anchor,
                               anchor_password=anchor_password)
    for line in result.lines:
        if line.ok:
            print(f"{line.name}: ok" + (f" {line.detail}" if line.detail not in ("", "ok") else ""))
        elif line.pages:
            pages = ", ".join(str(p) for p in line.pages)
            print(f"{line.name}: FAILED " + _("damaged page(s): {pages}").format(pages=pages))
        else:
            findings = [f for f in line.detail.replace("; ", "\n").splitlines() if f.strip()]
            more = len(findings) - 3
            detail = "; ".join(findings[:3]) + (
                _(" (and {n} more)").format(n=more) if more > 0 else "")
            print(f"{line.name}: FAILED {detail}")
    if not result.ok:
        common.error(_("The vault failed its checks: restore the latest good backup "
                       "('counselor-tui restore FILE')."))
        return 1
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    """Rotate the data key."""
    vs = common.unlock(args)
    try:
        key_rotation.rekey(vs)
    finally:
        lifecycle.lock(vs, "quit")
    print(_("The data key was rotated; every active account and the recovery code still "
            "open the vault."))
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    """Open with the recovery code, give ``--user`` a new passphrase, issue a new code."""
    path = common.vault_path(args)
    user = common.username(args)
    out = Path(args.recovery_code_out) if args.recovery_code_out else None
    if out is not None:
        common.check_new_file(out)
    code = common.read_secret(args.recovery_code_file, _("Recovery code: "),
                              option="--recovery-code-file")
    new = common.read_secret(args.new_passphrase_file, _("New passphrase: "), confirm=True,
                             option="--new-passphrase-file")
    vs, new_code = key_rotation.recover(path, code, user, new, clock=SystemClock(),
                                 state_dir=paths.state_dir(), kdf_seconds=common.kdf_seconds())
    lifecycle.lock(vs, "quit")
    if out is not None:
        if not _write_code(out, new_code):
            return 1
        print(_("Passphrase of {user} reset; new recovery code written to {out}.").format(
            user=user, out=out))
    else:
        print(_("Passphrase of {user} reset. New recovery code (the old one no longer works):")
              .format(user=user))
        print(new_code)
    return 0

"""``referral consent|export`` (issue 15, point 4): record an informed consent (知情同意)
and export one person's archive for a referral or a transfer, only in an encrypted package.

* ``referral consent PERSON_ID --given-on DATE --scope counseling,referral [--note TEXT]
  [--withdraw]`` (``--withdraw``: the scopes of the consent on record left out are withdrawn;
  without it such a consent is refused, exit 2);
* ``referral export PERSON_ID --recipient NAME --purpose referral|transfer --out DIR
  [--include-sealed] [--package-passphrase-file F] [--without-consent]`` prints the consent
  on record (date, scope — or that none is) *before* anything is written; when no consent
  covers the purpose it writes nothing and exits 2, unless ``--without-consent`` says the
  export goes ahead without one (audited); then the package path; without a passphrase file
  a password is generated and printed once (``password: …``).

Exit codes: 0 done, 2 bad input or refused (unknown person, role, weak password).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from counselor_tui.commands import common
from counselor_tui.domain import dates
from counselor_tui.i18n import _
from counselor_tui.services import lifecycle, referral
from counselor_tui.services.errors import InvalidInput


def register(sub: Any) -> None:
    """Add ``referral …`` to the sub-parser collection ``sub``."""
    p = sub.add_parser("referral", help=_("informed consent and referral / transfer exports"))
    actions = p.add_subparsers(dest="referral_command", metavar="ACTION", required=True)
    c = actions.add_parser("consent", help=_("record an informed consent on a person's record"))
    c.add_argument("person_id", type=int, metavar="PERSON_ID")
    c.add_argument("--given-on", required=True, metavar="DATE", help=_("date it was given"))
    c.add_argument("--scope", required=True, metavar=",".join(referral.CONSENT_SCOPES),
                   help=_("what it covers: one or more of these codes, separated by commas"))
    c.add_argument("--note", default="", help=_("optional note"))
    c.add_argument("--withdraw", action="store_true", help=_(
        "the person withdrew what the consent on record covers and this one leaves out"))
    c.set_defaults(handler=cmd_consent)
    e = actions.add_parser("export", help=_(
        "export one person's archive for a referral or a transfer (encrypted package)"))
    e.add_argument("person_id", type=int, metavar="PERSON_ID")
    e.add_argument("--recipient", required=True, help=_("who receives it"))
    e.add_argument("--purpose", required=True, choices=tuple(referral.PURPOSES))
    e.add_argument("--out", required=True, metavar="DIR", help=_("folder for the package"))
    e.add_argument("--include-sealed", action="store_true", help=_(
        "include the sealed notes you may read (your explicit choice)"))
    e.add_argument("--package-passphrase-file", metavar="FILE",
                   help=_("package password (first line); generated when not given"))
    e.add_argument("--without-consent", action="store_true", help=_(
        "export although no consent on record covers the purpose (your explicit choice, "
        "audited)"))
    e.set_defaults(handler=cmd_export)


def cmd_consent(args: argparse.Namespace) -> int:
    """Record the consent; prints it."""
    vs = common.unlock(args)
    try:
        try:
            day = dates.parse_date_input(args.given_on, vs.today())
        except dates.DateParseError as exc:
            raise InvalidInput(str(exc)) from None
        scope = tuple(s.strip() for s in args.scope.split(",") if s.strip())
        row = referral.record_consent(vs, args.person_id, day, scope, args.note,
                                      withdraw=args.withdraw)
    finally:
        lifecycle.lock(vs, "quit")
    print(row.line())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Show the consent on record; refuse (exit 2, nothing written) when none covers the
    purpose unless ``--without-consent``; then write the package."""
    password = (common.read_secret_file(args.package_passphrase_file)
                if args.package_passphrase_file else None)
    vs = common.unlock(args)
    try:
        check = referral.consent_check(vs, args.person_id, args.purpose)
        print(check.line(), flush=True)
        if not check.covers:
            if not args.without_consent:
                raise referral.ConsentMissing(_(
                    "Nothing was exported. Record the consent first (referral consent), or "
                    "add --without-consent to export without it (audited)."), check.consent)
            print(_("Exporting without a consent covering this purpose, as you chose "
                    "(--without-consent; audited)."), flush=True)
        result = referral.export_referral(vs, referral.ReferralDraft(
            args.person_id, args.recipient, args.purpose, args.include_sealed, password,
            without_consent=args.without_consent), Path(args.out))
    finally:
        lifecycle.lock(vs, "quit")
    print(_("Package written: {path}").format(path=result.path))
    print(_("Sealed notes included: {n}").format(n=result.sealed_included))
    if result.password is not None:
        print(_("password: {password}").format(password=result.password))
    return 0

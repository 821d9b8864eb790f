"""``instruments validate FILE | add FILE | list`` — a bureau's own instruments (issue 16
point 4; DESIGN §7.1, §9).

* ``validate FILE`` (no vault needed) checks a definition file (TOML, the built-in format,
  :mod:`counselor_tui.domain.instruments.bureau`) and prints one line on stdout:
  ``ok CODE VERSION: N items, responses LOW–HIGH, bands …`` (then its name);
* ``add FILE`` stores it in the vault as a new instrument or a new version of one (the
  coordinator's), or says it is identical to a stored version and changes nothing;
* ``list`` prints the instruments — built-in, then every stored version of the bureau's
  own — one per line: code, version, revision, kind, items, name (``*`` marks the version
  new assessments use).

Exit codes: 0 ok (also an identical ``add``: nothing to do); 2 a bad file (the message on
stderr names the file, the line and the key at fault), a version text already stored with
other content, a refused role, a wrong passphrase; 1 any other failure. Never a traceback.
"""

from __future__ import annotations

import argparse
from typing import Any

from counselor_tui.commands import common
from counselor_tui.commands.common import safe
from counselor_tui.i18n import _, language
from counselor_tui.services import instruments, lifecycle


def register(sub: Any) -> None:
    """Add the ``instruments`` group."""
    p = sub.add_parser("instruments",
                       help=_("validate, add or list instrument definitions (the bureau's own)"))
    group = p.add_subparsers(dest="instruments_command", metavar="ACTION", required=True)
    check = group.add_parser("validate", help=_("check a definition file (no vault needed)"))
    check.add_argument("file", metavar="FILE", help=_("definition file (.toml)"))
    check.set_defaults(handler=cmd_validate)
    add = group.add_parser("add", help=_("store a definition file in the vault (a new "
                                         "instrument or a new version)"))
    add.add_argument("file", metavar="FILE", help=_("definition file (.toml)"))
    add.set_defaults(handler=cmd_add)
    listing = group.add_parser("list", help=_("list the instruments and their versions"))
    listing.set_defaults(handler=cmd_list)


def cmd_validate(args: argparse.Namespace) -> int:
    """Check ``FILE``; print the ``ok`` line, or exit 2 with the fault."""
    checked = instruments.check_file(args.file)
    defn = checked.definition
    bands = ", ".join(f"{b.label_en if language() == 'en' else b.label_zh} {b.low}–{b.high}"
                      for b in defn.bands) or _("none")
    print(safe(_("ok {code} {version}: {items} items, responses {low}–{high}, bands {bands}"
                 ).format(code=defn.code, version=defn.version, items=defn.item_count,
                          low=defn.response_min, high=defn.response_max, bands=bands)))
    print(safe(defn.name_en if language() == "en" else defn.name_zh))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Check and store ``FILE`` as the ``--user`` (a coordinator)."""
    instruments.check_file(args.file)  # a bad file is refused before any passphrase
    vs = common.unlock(args)
    try:
        result = instruments.add_definition(vs, args.file)
    finally:
        lifecycle.lock(vs, "quit")
    print(safe(result.message))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the instruments, one line per version."""
    vs = common.unlock(args)
    try:
        rows = instruments.list_instruments(vs)
    finally:
        lifecycle.lock(vs, "quit")
    print("\t".join((_("code"), _("version"), _("revision"), _("kind"), _("items"),
                     _("Instrument"))))
    for row in rows:
        kind = _("built-in") if row.builtin else _("bureau")
        mark = "*" if row.current and not row.builtin else ""
        revision = "" if row.revision is None else f"{row.revision}{mark}"
        print("\t".join(safe(cell) for cell in (row.code, row.version, revision, kind,
                                                str(row.item_count), row.name)))
    if any(row.current and not row.builtin for row in rows):
        common.info(_("* marks the version new assessments use; those already scored "
                      "keep theirs."))
    return 0

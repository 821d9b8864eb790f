"""Command line of counselor-tui (DESIGN §9): the TUI, and every headless command.

``counselor-tui [--vault PATH] [--user NAME] [--passphrase-file FILE] [--lang zh|en]
[COMMAND …]``. Without a command the TUI opens. Global options come before the command.
Exit codes: 0 ok, 1 failure, 2 bad input / wrong passphrase / refused. Passphrases come from
the terminal, or from the first line of a file (``--passphrase-file``), never from argv.
Messages go to stderr, results to stdout. No traceback is shown (it could carry data) unless
``COUNSELOR_TUI_DEBUG=1``.

Each command's handler lives in :mod:`counselor_tui.commands` (one module per area). The
command modules (and the services behind them) are imported only once the arguments name a
command or ask for help: ``counselor-tui`` with global options only opens the interface
without loading them (issue 18). :mod:`counselor_tui.commands.common`, which the interface
needs as well, is the one imported at once (its messages to stderr are this module's too).
"""

from __future__ import annotations

import argparse
import contextlib
import gettext
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from counselor_tui import __version__, i18n
from counselor_tui.commands import common
from counselor_tui.errors import CommandError, ServiceError
from counselor_tui.i18n import _, set_language


def _translate_argparse() -> None:
    """Let argparse's own words ("usage:", "options", its error messages) come from our
    catalogs too (argparse looks its ``_`` up at call time; fragment ``argparse.po``)."""
    def translate(message: str) -> str:
        text = i18n._(message)
        return text if text != message else gettext.gettext(message)

    setattr(argparse, "_", translate)  # noqa: B010


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vault", metavar="PATH",
                        help=_("vault database file (its key slots are PATH.keys)"))
    parser.add_argument("--user", metavar="NAME", help=_("user name"))
    parser.add_argument("--passphrase-file", metavar="FILE",
                        help=_("read the passphrase from the first line of FILE"))
    parser.add_argument("--lang", choices=("zh", "en"), help=_("interface language"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command of DESIGN §9 (imports every command module)."""
    # imported here: the interface's start never loads the command modules (issue 18;
    # lazy import, allow-listed in tests/unit/test_architecture.py)
    from counselor_tui.commands import (
        data_imports,
        demo,
        instruments_cmd,
        lifecycle,
        org_cmd,
        people,
        referral_cmd,
        score,
        submissions,
        users,
    )

    parser = argparse.ArgumentParser(
        prog="counselor-tui",
        description=_("Encrypted tool for the bureau's psychological counselors."),
    )
    parser.add_argument("--version", action="version", version=f"counselor-tui {__version__}",
                        help=_("show program's version number and exit"))
    _add_global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (lifecycle, users, demo, score, data_imports, submissions, referral_cmd,
                   people, instruments_cmd, org_cmd):
        module.register(sub)
    return parser


class _NotTheInterface(Exception):
    """The arguments are not global options alone (a command, help, an error to report)."""


class _GlobalOptions(argparse.ArgumentParser):
    """The global options only; any problem is left to the full parser to report."""

    def error(self, message: str) -> NoReturn:
        raise _NotTheInterface(message)


def interface_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The options when ``argv`` holds global options only (the interface opens), else None
    (a command, ``--help``, ``--version`` or a mistake: :func:`build_parser` reads them)."""
    parser = _GlobalOptions(prog="counselor-tui", add_help=False)
    _add_global_options(parser)
    try:
        args, rest = parser.parse_known_args(list(argv))
    except _NotTheInterface:
        return None
    if rest:
        return None
    args.command = None
    return args


def _language_from_argv(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def open_tui(args: argparse.Namespace) -> int:
    """Open the Textual interface (:func:`counselor_tui.commands.tui.run_app`)."""
    # imported here: the headless commands never load textual (lazy import, allow-listed)
    from counselor_tui.commands import tui

    return tui.run_app(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used by ``python -m``)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = _language_from_argv(args_list)
    try:
        set_language(lang if lang in ("zh", "en") else None)
    except ValueError:
        set_language("zh")
    _translate_argparse()
    args = interface_args(args_list) or build_parser().parse_args(args_list)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            return open_tui(args)
        code: int = handler(args)
        if code == 0 and getattr(args, "open_tui", False):  # demo: build, then open
            return open_tui(args)
        return code
    except CommandError as exc:
        common.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        common.error(_("Interrupted; nothing more was written."))
        return 1
    except BrokenPipeError:
        # the reader of our output went away (``… | head``): say nothing more, exit as a
        # program stopped by SIGPIPE does (128 + 13), and keep Python's exit flush quiet
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if isinstance(exc, ServiceError):
            common.error(str(exc))
            return exc.exit_code
        if os.environ.get("COUNSELOR_TUI_DEBUG") == "1":
            traceback.print_exc()
        common.error(
            _("Unexpected error ({kind}); the operation was not completed.").format(
                kind=type(exc).__name__)
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())

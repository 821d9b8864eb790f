"""Shared pieces of the command handlers: paths, passphrases, unlocking, output."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path

from counselor_tui import paths
from counselor_tui.domain.text_rules import escape_for_terminal
from counselor_tui.errors import CommandError as CommandError  # its old path
from counselor_tui.i18n import _
from counselor_tui.reports import input_limits as limits
from counselor_tui.services import health, lifecycle
from counselor_tui.services.context import SystemClock, VaultSession
from counselor_tui.services.errors import Throttled
from db.vault import write_atomic

#: Longest secret read from a file (a passphrase file is one short line).
MAX_SECRET_CHARS = 1024


def safe(text: str) -> str:
    """``text`` (data from a file or the vault) made safe to print: control and format
    characters become visible escapes (``\x1b``; :mod:`counselor_tui.domain.text_rules`),
    so that printing can neither clear the screen nor reorder the line."""
    return escape_for_terminal(text)


def error(message: str) -> None:
    """Print a message to stderr (no traceback; control characters escaped)."""
    print(escape_for_terminal(message, allow_newlines=True), file=sys.stderr, flush=True)


def info(message: str) -> None:
    """Print a progress or notice line to stderr (stdout stays for results; control
    characters escaped)."""
    print(escape_for_terminal(message, allow_newlines=True), file=sys.stderr, flush=True)


def vault_path(args: argparse.Namespace) -> Path:
    """``--vault`` or the platform default vault path."""
    return Path(args.vault).expanduser() if args.vault else paths.default_vault()


def read_secret_file(path: str) -> str:
    """The first line of ``path`` without its line ending; :class:`CommandError` if unreadable."""
    try:
        raw = limits.read_regular_file(path, limits.SECRET_FILE_BYTES)
        line = raw.decode("utf-8-sig").split("\n", 1)[0] + "\n"
    except limits.InputRefused as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(
            _("Cannot read the passphrase file {path} ({error}).").format(
                path=path, error=exc.strerror or type(exc).__name__)
        ) from None
    except UnicodeDecodeError:
        raise CommandError(_("The passphrase file {path} is not UTF-8 text.").format(
            path=path)) from None
    secret = line.rstrip("\r\n")
    if len(secret) > MAX_SECRET_CHARS:
        raise CommandError(_("The first line of {path} is longer than {n} characters: it is "
                             "not a passphrase file.").format(path=path, n=MAX_SECRET_CHARS))
    if not secret:
        raise CommandError(_("The first line of {path} is empty: write the passphrase on it."
                             ).format(path=path))
    return secret


def read_secret(file: str | None, prompt: str, *, confirm: bool = False,
                option: str = "--passphrase-file") -> str:
    """A secret from ``file`` (first line) or typed at the terminal (twice if ``confirm``).

    Raises :class:`CommandError` when no file is given and there is no terminal (naming
    ``option``, the command's option for the file), or the two typed values differ.
    """
    if file:
        return read_secret_file(file)
    if not sys.stdin.isatty():
        raise CommandError(
            _("No terminal to type it: give it with {option} FILE.").format(option=option))
    first = getpass.getpass(prompt)
    if confirm:
        second = getpass.getpass(_("Again: "))
        if first != second:
            raise CommandError(_("The two entries differ; nothing was changed."))
    return first


def username(args: argparse.Namespace) -> str:
    """``--user``, or typed at the terminal; :class:`CommandError` without either."""
    if args.user:
        return str(args.user)
    if sys.stdin.isatty():
        return input(_("User name: ")).strip()
    raise CommandError(_("Give the user name with --user NAME."))


def kdf_seconds() -> float:
    """Target seconds per key derivation for slots created by this run."""
    return paths.kdf_target_seconds()


def unlock(args: argparse.Namespace, *, action: str = "login",
           check: bool = True) -> VaultSession:
    """Unlock the vault of ``args`` as ``--user``; waits out a failed-attempt delay first.

    ``check`` runs the open-time health check (:func:`health.check_health`) before returning;
    the interface passes False because it runs the check in a worker once it shows (a whole
    read of the file: minutes at province, issue 18)."""
    path = vault_path(args)
    user = username(args)
    secret = read_secret(args.passphrase_file, _("Passphrase: "))
    clock = SystemClock()
    vs = None
    for _attempt in range(2):
        try:
            vs = lifecycle.unlock(path, user, secret, clock=clock, state_dir=paths.state_dir(),
                              action=action)
            break
        except Throttled as exc:
            info(str(exc))
            time.sleep(exc.wait_seconds)
    if vs is None:
        vs = lifecycle.unlock(path, user, secret, clock=clock, state_dir=paths.state_dir(),
                          action=action)
    for notice in vs.notices:
        info(notice)
    report = health.check_health(vs, chain=False) if check else None
    if report is not None and not report.ok:
        info(report.message)
    if vs.failed_attempts:
        info(_("{n} failed attempts to unlock since your last login.").format(
            n=vs.failed_attempts))
    return vs


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to a new file readable by the owner only (mode 0600), atomically; a
    missing folder is created (as for the vault itself). Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"), mode=0o600)


def check_new_file(path: Path) -> None:
    """Refuse (:class:`CommandError`, exit 2), *before* anything is created, an output file
    that exists, whose path runs through a file, or whose nearest existing folder cannot be
    written: a recovery code must never be lost because its file could not be written.
    Folders still missing are fine (they are created with the file)."""
    if path.exists() or path.is_symlink():
        raise CommandError(
            _("{path} exists: the recovery code is never written over a file.").format(path=path))
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CommandError(_("{folder} is not a folder: choose another file.").format(
            folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(_("The folder {folder} cannot be written: choose another "
                             "file.").format(folder=folder))


def env_flag(name: str) -> bool:
    """True when environment variable ``name`` is set to 1/true/yes."""
    return os.environ.get(name, "").lower() in ("1", "true", "yes")

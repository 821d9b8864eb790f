"""Errors of the application, raised by the services and the reports they call. Every
message is translated and safe to show: it never holds a name, a note or a passphrase.

A leaf (it imports nothing of the project), beside the layers, so every layer may raise
them; :mod:`counselor_tui.services.errors` re-exports them under their old path."""

from __future__ import annotations


class CommandError(Exception):
    """A refusal by the command line itself (bad options); exit code 2 unless given.
    Here, not in :mod:`counselor_tui.commands.common`, so the command line catches it
    without importing the services before it knows the command (issue 18)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ServiceError(Exception):
    """Base class; ``str(exc)`` is the user-facing message. ``exit_code`` for the CLI."""

    exit_code = 1


class InvalidInput(ServiceError):
    """Bad input: the message says what to change."""

    exit_code = 2


class WrongPassphrase(ServiceError):
    """The passphrase does not open the vault, or the vault file is damaged."""

    exit_code = 2


class Throttled(ServiceError):
    """Too many failed attempts: wait ``wait_seconds`` before the next one."""

    exit_code = 2

    def __init__(self, message: str, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds


class PermissionDenied(ServiceError):
    """The acting account's role does not allow this."""

    exit_code = 2


class NotFound(ServiceError):
    """The record asked for does not exist (or is not visible to this account)."""

    exit_code = 2


class Conflict(ServiceError):
    """The change conflicts with the current state (e.g. a locked session, a final report)."""

    exit_code = 2


class VaultDamaged(ServiceError):
    """SQLCipher or SQLite found damage; writes are refused until check/restore."""


class VaultLocked(ServiceError):
    """The vault was locked (idle lock or ctrl+l) while an operation was pending."""

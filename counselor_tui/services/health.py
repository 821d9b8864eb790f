"""Open-time health check (issue 12, DESIGN §5 "Integrity", security tests 5, 19 and 25).

Right after unlock the vault is checked — SQLCipher's page authentication
(``cipher_integrity_check``), SQLite's ``integrity_check``, the foreign keys and, in the
interface, the audit chain — without writing anything (no checkpoint). On any failure the
session turns **read-only**: every later write is refused with the same message, which
names the damage and the restore path (the backups found), and the interface shows it as
its banner. The interface runs the check in a worker, so unlocking is not slowed; the
command line runs it before the command (without the audit chain, which ``check`` covers).
"""

from __future__ import annotations

from dataclasses import dataclass

from counselor_tui.domain.audit_chain import verify
from counselor_tui.i18n import _
from counselor_tui.services import audit, failsafe
from counselor_tui.services.context import VaultSession
from counselor_tui.services.errors import VaultDamaged
from db.cache import scan_cache
from db.connection import CheckLine, DatabaseError, integrity_checks, is_corruption


@dataclass(frozen=True)
class HealthReport:
    """``ok`` when every check passed; ``failed`` names the checks that did not; ``message``
    is what the user sees (empty when ok)."""

    ok: bool
    failed: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()
    message: str = ""


def check_health(vs: VaultSession, *, chain: bool = True) -> HealthReport:
    """Check the open vault of ``vs`` (see the module docstring) and, on a failure, make the
    session read-only (:attr:`VaultSession.read_only`). Reads only. Any role. Raises the
    errors of :meth:`VaultSession.reading` other than damage (:class:`VaultLocked` when the
    vault was locked meanwhile, a busy or failing disk)."""
    lines: list[CheckLine] = []
    try:
        with vs.reading():
            conn = vs.db.raw()
            with scan_cache(conn):  # a whole-file read: not 32 MiB of cache (issue 18)
                lines = integrity_checks(conn, checkpoint_first=False)
            if chain:
                report = verify(audit.chain_events(conn.execute))
                lines.append(CheckLine("audit_chain", report.ok,
                                       "" if report.ok else str(report.first_bad_seq)))
    except VaultDamaged as exc:  # damage met while reading (locked, busy: raised as is)
        lines.append(CheckLine("read", False, type(exc).__name__))
    except DatabaseError as exc:
        if not is_corruption(exc):
            raise
        lines.append(CheckLine("read", False, type(exc).__name__))
    bad = [line for line in lines if not line.ok]
    if not bad:
        return HealthReport(True)
    pages = tuple(sorted({p for line in bad for p in line.pages}))
    message = failsafe.read_only_message(vs.path, [line.name for line in bad], pages)
    if not vs.read_only or vs.damaged:  # the check's message names the checks and pages
        vs.read_only = message
    return HealthReport(False, tuple(line.name for line in bad), pages, message)


def health_line(report: HealthReport) -> str:
    """One line for a notice: the report's message, or that the vault is whole."""
    return report.message or _("The vault passed its integrity checks.")

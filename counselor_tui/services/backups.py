"""Backup status for the dashboard: the age of the last backup (from the audit chain)."""

from __future__ import annotations

from datetime import datetime

from counselor_tui.i18n import _
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection
from db.models import AuditEvent

#: Days after which the last backup is shown as a warning.
STALE_DAYS = 7


def last_backup_at(vs: VaultSession) -> datetime | None:
    """Time of the most recent successful backup, or None if the vault was never backed up."""
    with vs.reading():
        row = (AuditEvent.select(AuditEvent.at).where(AuditEvent.action == "backup")
               .order_by(AuditEvent.seq.desc()).first())
    return None if row is None else datetime.fromisoformat(row.at)


def dashboard_section(vs: VaultSession) -> DashboardSection:
    """"Last backup: N days ago" (warning after :data:`STALE_DAYS` days or when never)."""
    last = last_backup_at(vs)
    if last is None:
        item = DashboardItem(_("Never backed up: run a backup (command palette, 'Backup')."),
                             level="warning")
    else:
        days = (vs.now() - last).days
        text = (_("Last backup today ({time})").format(time=last.strftime("%H:%M"))
                if days == 0 else _("Last backup {days} days ago").format(days=days))
        item = DashboardItem(text, level="warning" if days >= STALE_DAYS else "info",
                             due=last.date().isoformat())
    return DashboardSection("backup", _("Backup"), (item,), level=item.level)

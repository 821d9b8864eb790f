"""The dashboard 工作台: sections contributed by every area (DESIGN §6).

Each area service module defines ``dashboard_section(vs) -> DashboardSection | None``
(shapes in :mod:`counselor_tui.services.dashboard_items`); :func:`gather` collects them in
:data:`PROVIDERS` order (urgent first), so a new area adds one line here and nothing in the
dashboard screen. :func:`counselor_tui.services.incident_reads.urgent_banner` feeds the
banner shown on every screen while an incident step is overdue or due within the hour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from counselor_tui.services import (
    appointments,
    backups,
    census,
    firearms,
    incident_reads,
    organisation,
    session_reads,
    submission_due,
    tier_policy,
    tiers,
)
from counselor_tui.services.context import VaultSession
from counselor_tui.services.dashboard_items import DashboardItem, DashboardSection

__all__ = ["BANNER_PROVIDER", "PROVIDERS", "DashboardItem", "DashboardSection", "banner",
           "gather", "sections"]

#: The section of each area, urgent first.
PROVIDERS: tuple[Callable[[VaultSession], DashboardSection | None], ...] = (
    incident_reads.dashboard_section,
    appointments.dashboard_section,
    session_reads.dashboard_section,
    tier_policy.dashboard_section,
    tiers.dashboard_section,
    census.dashboard_section,
    firearms.dashboard_section,
    submission_due.dashboard_section,
    organisation.dashboard_section,
    backups.dashboard_section,
)
#: The urgent banner shown on every screen (incident steps overdue or due within the hour).
BANNER_PROVIDER: Callable[[VaultSession], str | None] = incident_reads.urgent_banner


def sections(vs: VaultSession) -> Iterator[DashboardSection]:
    """Each section that has something to say, in :data:`PROVIDERS` order, as soon as it is
    made (the dashboard paints each as it arrives, issue 18)."""
    for provider in PROVIDERS:
        section = provider(vs)
        if section is not None:
            yield section


def gather(vs: VaultSession) -> list[DashboardSection]:
    """Every section that has something to say, in :data:`PROVIDERS` order."""
    return list(sections(vs))


def banner(vs: VaultSession) -> str | None:
    """The urgent banner text, or None when nothing is overdue or due within the hour.
    A read-only vault (lost changes, damage: issue 12) comes first, with its restore path."""
    if vs.read_only:
        return vs.read_only
    return BANNER_PROVIDER(vs)

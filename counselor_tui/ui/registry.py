"""Where each area's screens live, so the app shell can open them by name.

A leaf (ids, keys and labels only), so screens may read it; the screen class of each area is
in :mod:`counselor_tui.ui.areas`, which only the app shell imports. Keys are DESIGN §6's
global keys. Every screen class is constructed with no arguments and reaches data via
``self.backend``.
"""

from __future__ import annotations

from dataclasses import dataclass

from counselor_tui.i18n import N_


@dataclass(frozen=True)
class Area:
    """One navigable area: id, global key (or ""), label msgid."""

    id: str
    key: str
    label: str


AREAS: tuple[Area, ...] = (
    Area("dashboard", "f5", N_("Dashboard")),
    Area("log_session", "f2", N_("Log a session")),
    Area("archive", "f3", N_("Archive")),
    Area("census", "f4", N_("Census & assessments")),
    Area("incidents", "f6", N_("Incidents")),
    Area("submissions", "f7", N_("Submissions")),
    Area("emergency", "f9", N_("Flag an emergency")),
    Area("appointments", "", N_("Appointments")),
    Area("firearms", "", N_("Firearms")),
    Area("roster_import", "", N_("Import roster")),
    Area("responses_import", "", N_("Import survey responses")),
    Area("instruments", "", N_("Instruments")),
    Area("analysis", "", N_("Analysis")),
    Area("audit", "", N_("Audit log")),
    Area("activities", "", N_("Activities & training")),
    Area("team", "", N_("Counselor team")),
    Area("organisation", "", N_("Organisation")),
    Area("users", "", N_("Users & settings")),
    Area("retention", "", N_("Retention & de-identification")),
)


def area(area_id: str) -> Area | None:
    """The registry entry ``area_id``, or None."""
    return next((a for a in AREAS if a.id == area_id), None)

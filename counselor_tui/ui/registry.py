"""Where each area's screens live, so the app shell can open them by name.

The shell imports a screen lazily from ``"module:Class"``; an area whose module is not
there yet shows a short notice instead. Keys are DESIGN §6's global keys.
Every screen class is constructed with no arguments and reaches data via ``self.backend``.
"""

from __future__ import annotations

from dataclasses import dataclass

from counselor_tui.i18n import N_


@dataclass(frozen=True)
class Area:
    """One navigable area: id, global key (or ""), label msgid, ``module:Class`` of its screen."""

    id: str
    key: str
    label: str
    target: str


AREAS: tuple[Area, ...] = (
    Area("dashboard", "f5", N_("Dashboard"), "counselor_tui.ui.screens.dashboard:DashboardScreen"),
    Area("log_session", "f2", N_("Log a session"),
         "counselor_tui.ui.screens.session_form:SessionFormScreen"),
    Area("archive", "f3", N_("Archive"), "counselor_tui.ui.screens.archive:ArchiveScreen"),
    Area("census", "f4", N_("Census & assessments"),
         "counselor_tui.ui.screens.census:CensusScreen"),
    Area("incidents", "f6", N_("Incidents"), "counselor_tui.ui.screens.incidents:IncidentsScreen"),
    Area("submissions", "f7", N_("Submissions"),
         "counselor_tui.ui.screens.submissions:SubmissionsScreen"),
    Area("emergency", "f9", N_("Flag an emergency"),
         "counselor_tui.ui.screens.emergency:EmergencyScreen"),
    Area("firearms", "", N_("Firearms"), "counselor_tui.ui.screens.firearms:FirearmsScreen"),
    Area("roster_import", "", N_("Import roster"),
         "counselor_tui.ui.screens.roster_import:RosterImportScreen"),
    Area("responses_import", "", N_("Import survey responses"),
         "counselor_tui.ui.screens.responses_import:ResponsesImportScreen"),
    Area("analysis", "", N_("Analysis"), "counselor_tui.ui.screens.analysis:AnalysisScreen"),
    Area("audit", "", N_("Audit log"), "counselor_tui.ui.screens.audit_log:AuditScreen"),
    Area("activities", "", N_("Activities & training"),
         "counselor_tui.ui.screens.activities:ActivitiesScreen"),
    Area("team", "", N_("Counselor team"), "counselor_tui.ui.screens.team:TeamScreen"),
    Area("users", "", N_("Users & settings"),
         "counselor_tui.ui.screens.users_settings:UsersSettingsScreen"),
)

"""The screen class of every area of :data:`counselor_tui.ui.registry.AREAS`.

Plain imports: the registry (ids, keys, labels) is a leaf that screens may read, and this
module, which imports every area screen, is read only by the app shell's navigation — so the
screens and the shell import one another one way only (the ``ui`` acyclic contract).
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from counselor_tui.ui.registry import AREAS, Area, area
from counselor_tui.ui.screens.activities import ActivitiesScreen
from counselor_tui.ui.screens.analysis import AnalysisScreen
from counselor_tui.ui.screens.appointments import AppointmentsScreen
from counselor_tui.ui.screens.archive import ArchiveScreen
from counselor_tui.ui.screens.audit_log import AuditScreen
from counselor_tui.ui.screens.census import CensusScreen
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.emergency import EmergencyScreen
from counselor_tui.ui.screens.firearms import FirearmsScreen
from counselor_tui.ui.screens.incidents import IncidentsScreen
from counselor_tui.ui.screens.instruments import InstrumentsScreen
from counselor_tui.ui.screens.organisation import OrganisationScreen
from counselor_tui.ui.screens.responses_import import ResponsesImportScreen
from counselor_tui.ui.screens.retention import RetentionScreen
from counselor_tui.ui.screens.roster_import import RosterImportScreen
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.submissions import SubmissionsScreen
from counselor_tui.ui.screens.team import TeamScreen
from counselor_tui.ui.screens.users_settings import UsersSettingsScreen

__all__ = ["AREAS", "FORM_AREAS", "SCREENS", "Area", "area", "screen_class"]

#: Areas opened on top of the current screen (a form you return from), not instead of it.
FORM_AREAS = frozenset({"log_session", "emergency"})

#: The screen of each area id (every one is constructed with keyword options only).
SCREENS: dict[str, type[Screen[Any]]] = {
    "dashboard": DashboardScreen,
    "log_session": SessionFormScreen,
    "archive": ArchiveScreen,
    "census": CensusScreen,
    "incidents": IncidentsScreen,
    "submissions": SubmissionsScreen,
    "emergency": EmergencyScreen,
    "appointments": AppointmentsScreen,
    "firearms": FirearmsScreen,
    "roster_import": RosterImportScreen,
    "responses_import": ResponsesImportScreen,
    "instruments": InstrumentsScreen,
    "analysis": AnalysisScreen,
    "audit": AuditScreen,
    "activities": ActivitiesScreen,
    "team": TeamScreen,
    "organisation": OrganisationScreen,
    "users": UsersSettingsScreen,
    "retention": RetentionScreen,
}


def screen_class(entry: Area) -> type[Screen[Any]] | None:
    """The screen class of ``entry``, or None for an area that has no screen."""
    return SCREENS.get(entry.id)

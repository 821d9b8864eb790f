"""The screen of every area of :data:`counselor_tui.ui.registry.AREAS`, imported when the
area first opens (issue 18: the interface's first frame does not wait for every screen).

:data:`SCREEN_PATHS` names each area's screen (module, class) without importing it;
:func:`load_screen` imports it (a plain import per area, allow-listed in
``tests/unit/test_architecture.py``) and :func:`area_of` tells a screen's area by those names.
``tests/unit/test_areas_table.py`` checks the table against the real screens. Only the app
shell's navigation, resume and keymap read this module, so the screens and the shell import
one another one way only (the ``ui`` acyclic contract).
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from counselor_tui.ui.registry import AREAS, Area, area

__all__ = ["AREAS", "FORM_AREAS", "SCREEN_PATHS", "Area", "area", "area_of", "load_screen",
           "screen_class"]

#: Areas opened on top of the current screen (a form you return from), not instead of it.
FORM_AREAS = frozenset({"log_session", "emergency"})

_SCREENS = "counselor_tui.ui.screens."

#: The screen of each area id, ``(module, class name)`` (every one is constructed with
#: keyword options only).
SCREEN_PATHS: dict[str, tuple[str, str]] = {
    "dashboard": (_SCREENS + "dashboard", "DashboardScreen"),
    "log_session": (_SCREENS + "session_form", "SessionFormScreen"),
    "archive": (_SCREENS + "archive", "ArchiveScreen"),
    "census": (_SCREENS + "census", "CensusScreen"),
    "incidents": (_SCREENS + "incidents", "IncidentsScreen"),
    "submissions": (_SCREENS + "submissions", "SubmissionsScreen"),
    "emergency": (_SCREENS + "emergency", "EmergencyScreen"),
    "appointments": (_SCREENS + "appointments", "AppointmentsScreen"),
    "firearms": (_SCREENS + "firearms", "FirearmsScreen"),
    "roster_import": (_SCREENS + "roster_import", "RosterImportScreen"),
    "responses_import": (_SCREENS + "responses_import", "ResponsesImportScreen"),
    "instruments": (_SCREENS + "instruments", "InstrumentsScreen"),
    "analysis": (_SCREENS + "analysis", "AnalysisScreen"),
    "audit": (_SCREENS + "audit_log", "AuditScreen"),
    "activities": (_SCREENS + "activities", "ActivitiesScreen"),
    "team": (_SCREENS + "team", "TeamScreen"),
    "organisation": (_SCREENS + "organisation", "OrganisationScreen"),
    "users": (_SCREENS + "users_settings", "UsersSettingsScreen"),
    "retention": (_SCREENS + "retention", "RetentionScreen"),
}


def area_of(screen: Screen[Any]) -> str | None:
    """The area id whose screen ``screen`` is (by its class's module and name; no import),
    or None."""
    kind = type(screen)
    return next((area_id for area_id, (module, name) in SCREEN_PATHS.items()
                 if kind.__module__ == module and kind.__name__ == name), None)


def screen_class(entry: Area) -> type[Screen[Any]] | None:
    """The screen class of ``entry``, or None for an area that has no screen."""
    return load_screen(entry.id)


def load_screen(area_id: str) -> type[Screen[Any]] | None:
    """The screen class of ``area_id`` (imported now if it was not yet), or None for an id
    not in :data:`SCREEN_PATHS`. Each import is written out (no import by name): the
    contracts and the reader see them."""
    if area_id not in SCREEN_PATHS:
        return None
    # imported here: an area's screen loads when it first opens, not before the interface's
    # first frame (issue 18; lazy imports allow-listed in tests/unit/test_architecture.py)
    if area_id == "dashboard":
        from counselor_tui.ui.screens import dashboard
        return dashboard.DashboardScreen
    if area_id == "log_session":
        from counselor_tui.ui.screens import session_form
        return session_form.SessionFormScreen
    if area_id == "archive":
        from counselor_tui.ui.screens import archive
        return archive.ArchiveScreen
    if area_id == "census":
        from counselor_tui.ui.screens import census
        return census.CensusScreen
    if area_id == "incidents":
        from counselor_tui.ui.screens import incidents
        return incidents.IncidentsScreen
    if area_id == "submissions":
        from counselor_tui.ui.screens import submissions
        return submissions.SubmissionsScreen
    if area_id == "emergency":
        from counselor_tui.ui.screens import emergency
        return emergency.EmergencyScreen
    if area_id == "appointments":
        from counselor_tui.ui.screens import appointments
        return appointments.AppointmentsScreen
    if area_id == "firearms":
        from counselor_tui.ui.screens import firearms
        return firearms.FirearmsScreen
    if area_id == "roster_import":
        from counselor_tui.ui.screens import roster_import
        return roster_import.RosterImportScreen
    if area_id == "responses_import":
        from counselor_tui.ui.screens import responses_import
        return responses_import.ResponsesImportScreen
    if area_id == "instruments":
        from counselor_tui.ui.screens import instruments
        return instruments.InstrumentsScreen
    if area_id == "analysis":
        from counselor_tui.ui.screens import analysis
        return analysis.AnalysisScreen
    if area_id == "audit":
        from counselor_tui.ui.screens import audit_log
        return audit_log.AuditScreen
    if area_id == "activities":
        from counselor_tui.ui.screens import activities
        return activities.ActivitiesScreen
    if area_id == "team":
        from counselor_tui.ui.screens import team
        return team.TeamScreen
    if area_id == "organisation":
        from counselor_tui.ui.screens import organisation
        return organisation.OrganisationScreen
    if area_id == "users":
        from counselor_tui.ui.screens import users_settings
        return users_settings.UsersSettingsScreen
    from counselor_tui.ui.screens import retention
    return retention.RetentionScreen

"""Moving between screens: the registry areas, the person record, back, help, save.

:class:`NavigatingApp` is the base of :class:`counselor_tui.ui.app.CounselorApp`: it opens
the screen of a registry area ("not available yet" for an area without a screen),
pushes forms (F2, F9) on top of the current screen and area screens on top of the
dashboard, asks before a move would drop a form's unsaved text, puts the urgent banner on
screens that lack one, and routes the app-wide messages of :mod:`counselor_tui.ui.messages`.
Screens signal unsaved text with ``has_unsaved_changes() -> bool``, offer the person a form
is for with ``person_for_forms`` (F9 also reads ``person_id_for_emergency``), their search
box with ``focus_search()``, and hear about saves with ``data_changed(what)``.

Areas a role may not use (:data:`AREA_ROLES`: sessions, emergencies and incidents for those
who write records; the archive and firearms not for auditors and admins; imports for the
office) are not offered in the footer and say
"not available for your role" when asked for (key, palette or a message), instead of
opening a screen whose service calls would fail with an error dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App
from textual.screen import ModalScreen, Screen

from counselor_tui.domain.permissions import Action, roles_for
from counselor_tui.domain.roles import WRITES_RECORDS, Role
from counselor_tui.i18n import _
from counselor_tui.ui import areas
from counselor_tui.ui.keys import translate_class_bindings
from counselor_tui.ui.messages import DataChanged, OpenArea, OpenPerson
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.help import HelpScreen
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.widgets.banner import Banner

if TYPE_CHECKING:
    from counselor_tui.services.api import Backend


#: Roles that may open an area (areas not listed: every role; their screens say more).
#: Source: the role table :data:`counselor_tui.domain.permissions.RULES` the services
#: refuse by (admins and auditors read no person record; imports are the office's).
AREA_ROLES: dict[str, frozenset[Role]] = {
    "log_session": roles_for(Action.LOG_SESSION),
    "emergency": roles_for(Action.RECORD_INCIDENT),
    "incidents": roles_for(Action.RECORD_INCIDENT),
    "appointments": WRITES_RECORDS,
    "archive": roles_for(Action.READ_PERSON),
    "firearms": roles_for(Action.READ_PERSON),
    "census": roles_for(Action.READ_PERSON) | {Role.AUDITOR},
    "analysis": roles_for(Action.READ_PERSON) | {Role.AUDITOR},
    "roster_import": roles_for(Action.IMPORT_ROSTER),
    "responses_import": roles_for(Action.IMPORT_RESPONSES),
    "instruments": roles_for(Action.LIST_INSTRUMENTS),  # adding: coordinators only
    "submissions": roles_for(Action.VIEW_SUBMISSIONS),
}
#: The global key bindings (ids of :data:`counselor_tui.ui.keys.GLOBAL_BINDINGS`) of each
#: role-limited area; ``search`` (F8) is the archive's search box.
AREA_BINDINGS: dict[str, tuple[str, ...]] = {
    "log_session": ("log_session",), "emergency": ("emergency",),
    "incidents": ("incidents",), "archive": ("archive", "search"),
    "census": ("census",), "submissions": ("submissions",),
}


def has_unsaved(screen: Screen[Any]) -> bool:
    """True when ``screen`` reports typed text that was not saved. A screen that cannot
    tell (its check fails, e.g. while it is being taken down) counts as unsaved: better a
    needless warning than text lost without one."""
    check: Callable[[], bool] | None = getattr(screen, "has_unsaved_changes", None)
    if check is None:
        return False
    try:
        return bool(check())
    except Exception:
        return True


def area_allowed(area_id: str, role: Role | None) -> bool:
    """True when ``role`` may open area ``area_id`` (:data:`AREA_ROLES`)."""
    allowed = AREA_ROLES.get(area_id)
    return allowed is None or (role is not None and role in allowed)


class NavigatingApp(App[int]):
    """Screen routing shared by the app shell (see the module doc)."""

    backend: Backend

    @property
    def working(self) -> bool:
        """True while the vault is open and the dashboard mode is shown."""
        return self.backend.unlocked and isinstance(self.screen_stack[0], DashboardScreen)

    @property
    def role(self) -> Role | None:
        """The role of the unlocked account (None while locked)."""
        vs = self.backend.session
        return vs.actor.role if vs is not None and not vs.locked else None

    def refuse_area(self, area_id: str) -> bool:
        """Say so and return True when the current role may not open ``area_id``."""
        role = self.role
        if area_allowed(area_id, role):
            return False
        entry = areas.area(area_id)
        label = _(entry.label) if entry else area_id
        self.notify(_("{area} is not available for your role ({role}).").format(
            area=label, role=role.label if role else "—"), severity="warning", markup=False)
        return True

    def _pop_to_base(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def _guarded(self, proceed: Callable[[], None], *, above: int = 1) -> None:
        """Run ``proceed`` now, or after a confirmation when it would drop unsaved text."""
        if not any(has_unsaved(s) for s in self.screen_stack[above:]):
            proceed()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                proceed()

        self.push_screen(ConfirmDialog(_("The open form has unsaved text. Discard it?"),
                                       default_yes=False), answer)

    def open_area(self, area_id: str, **options: Any) -> None:
        """Open the screen of registry area ``area_id`` (a notice if it does not exist yet)."""
        if not self.working or self.refuse_area(area_id):
            return
        while isinstance(self.screen, ModalScreen) and not has_unsaved(self.screen):
            self.pop_screen()
        if area_id == "dashboard":
            self._guarded(self._pop_to_base)
            return
        entry = areas.area(area_id)
        cls = areas.screen_class(entry) if entry else None
        translate_class_bindings()  # the area's module may have brought new widget classes
        if entry is None or cls is None:
            label = _(entry.label) if entry else area_id
            self.notify(_("{area} is not available yet.").format(area=label),
                        severity="warning", markup=False)
            return
        if type(self.screen) is cls:
            return
        if area_id in areas.FORM_AREAS:
            self._push(cls(**options))
            return

        def replace() -> None:
            self._pop_to_base()
            self._push(cls(**options))

        self._guarded(replace)

    def _push(self, screen: Screen[Any]) -> None:
        translate_class_bindings()
        self.push_screen(screen)
        if not isinstance(screen, ModalScreen):
            self.call_after_refresh(self._ensure_banner, screen)

    def _ensure_banner(self, screen: Screen[Any]) -> None:
        if screen.is_attached and not screen.query(Banner):
            screen.mount(Banner(), before=0)

    @on(OpenArea)
    def _open_area_message(self, message: OpenArea) -> None:
        self.open_area(message.area_id, **message.options)

    @on(OpenPerson)
    def _open_person(self, message: OpenPerson) -> None:
        if self.working and not self.refuse_area("archive"):
            self._push(PersonScreen(message.person_id))

    @on(DataChanged)
    def _data_changed(self, message: DataChanged) -> None:
        self.refresh_banner()
        for screen in self.screen_stack:
            notify: Callable[[str], None] | None = getattr(screen, "data_changed", None)
            if callable(notify):
                notify(message.what)

    # -- global actions ----------------------------------------------------------------------
    def action_open_area(self, area_id: str) -> None:
        """F2–F9: open an area."""
        options: dict[str, Any] = {}
        person = getattr(self.screen, "person_for_forms", None)
        if area_id == "log_session" and person is not None:
            options["person"] = person
        if area_id == "emergency":
            # F9 from a record or from a session form: that person, prefilled as involved
            person_id = getattr(self.screen, "person_id_for_emergency", None)
            if person_id is None and person is not None:
                person_id = person.id
            if person_id is not None:
                options["person_id"] = person_id
        self.open_area(area_id, **options)

    def action_search(self) -> None:
        """F8: the archive, search box focused."""
        if self.refuse_area("archive"):
            return
        self.open_area("archive")
        self.call_after_refresh(self._focus_search)

    def _focus_search(self) -> None:
        focus = getattr(self.screen, "focus_search", None)
        if callable(focus):
            focus()

    def action_save(self) -> None:
        """ctrl+s: save the form of the current screen."""
        save = getattr(self.screen, "action_save", None)
        if callable(save):
            save()
        else:
            self.notify(_("Nothing to save on this screen."), markup=False)

    def action_go_back(self) -> None:
        """Escape: back to the previous screen."""
        if self.working and len(self.screen_stack) > 1:
            self._guarded(self._pop_one, above=len(self.screen_stack) - 1)

    def _pop_one(self) -> None:
        self.pop_screen()

    def action_help(self) -> None:
        """F1: the keys of the current screen."""
        self.show_help()

    def show_help(self) -> None:
        """Show (or close) the key help of the current screen."""
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen(self.screen))

    def refresh_banner(self) -> None:
        """Fetch the urgent banner again (the shell does it in a worker)."""

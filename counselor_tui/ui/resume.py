"""Where the user was when the vault locked, and going back there (issue 15 item 7).

At a lock the app asks every screen above the dashboard for its *resume point*
(``resume_point() -> Mapping | None``: the person record its person, the session form every
field as typed); an area screen without one is remembered by its area id; a dialog of
:data:`DIALOGS` holding unsaved text by its ``dialog_draft`` (see
:class:`~counselor_tui.ui.screens.form.FormModal`); other dialogs and anything else are
left out. :func:`counselor_tui.services.drafts.keep_draft` keeps the
list encrypted in the vault; after the same account unlocks, :func:`rebuild` makes the
screens again, bottom first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from textual.screen import ModalScreen, Screen

from counselor_tui.i18n import _
from counselor_tui.services import drafts
from counselor_tui.services.appointments import AppointmentRow
from counselor_tui.services.context import VaultSession
from counselor_tui.ui.areas import FORM_AREAS, area_of, load_screen
from counselor_tui.ui.navigation import has_unsaved
from counselor_tui.ui.screens.addendum import AddendumDialog
from counselor_tui.ui.screens.appointment_dialog import ScheduleDialog
from counselor_tui.ui.screens.appointment_session import AppointmentSessionForm
from counselor_tui.ui.screens.family_member import FamilyMemberDialog
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.screens.person import PersonScreen
from counselor_tui.ui.screens.person_edit import PersonEditDialog
from counselor_tui.ui.screens.person_move import PersonMoveDialog
from counselor_tui.ui.screens.referral_dialogs import ConsentDialog, ReferralExportDialog
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.screens.session_form_draft import KIND as SESSION_FORM
from counselor_tui.ui.screens.session_form_draft import rebuild_dataclass
from counselor_tui.ui.screens.tier_decision import TierChangeDialog, TierReviewDialog

#: The dialogs a lock keeps with their typed text (:class:`FormModal` ``DRAFT_FIELDS``).
DIALOGS: dict[str, type[FormModal[Any]]] = {cls.__name__: cls for cls in (
    AddendumDialog, TierReviewDialog, TierChangeDialog, ConsentDialog, ReferralExportDialog,
    ScheduleDialog, PersonMoveDialog, PersonEditDialog, FamilyMemberDialog)}


def point_of(screen: Screen[Any]) -> Mapping[str, Any] | None:
    """The resume point of ``screen``, or None when it cannot be opened again. A screen
    whose own description fails counts as none (the lock goes on regardless)."""
    describe: Callable[[], Mapping[str, Any] | None] | None = getattr(
        screen, "resume_point", None)
    if callable(describe):
        try:
            point = describe()
        except Exception:
            return None
        if point is not None and isinstance(screen, AppointmentSessionForm):
            point = {**point, "appointment": dataclasses.asdict(screen.appointment)}
        return point
    if isinstance(screen, FormModal):
        try:
            return screen.dialog_draft()
        except Exception:
            return None
    if isinstance(screen, ModalScreen):
        return None
    area_id = area_of(screen)
    if area_id is None or area_id == "dashboard" or area_id in FORM_AREAS:
        return None
    return {"screen": "area", "area": area_id}


def capture(screens: Sequence[Screen[Any]]) -> list[Mapping[str, Any]]:
    """The resume points of ``screens`` above the base (the dashboard), bottom first."""
    points = (point_of(screen) for screen in screens[1:])
    return [p for p in points if p is not None]


def keeps_text(point: Mapping[str, Any]) -> bool:
    """True when ``point`` holds a form's unsaved text."""
    return bool(point.get("unsaved")) and point.get("fields") is not None


def rebuild(point: Mapping[str, Any]) -> Screen[Any] | None:
    """A new screen for ``point`` (None for a kind this program does not know)."""
    kind = point.get("screen")
    if kind == "person" and isinstance(point.get("person_id"), int):
        return PersonScreen(int(point["person_id"]))
    if kind == SESSION_FORM:
        appointment = rebuild_dataclass(AppointmentRow, point.get("appointment"))
        if isinstance(appointment, AppointmentRow):  # still marked as logged once saved
            form = AppointmentSessionForm(appointment)
            form.restore_from(point)
            return form
        return SessionFormScreen.resumed(point)
    if kind == "area":
        cls = load_screen(str(point.get("area")))
        return cls() if cls is not None else None
    if kind == "dialog":
        return _dialog(point)
    return None


def _dialog(point: Mapping[str, Any]) -> Screen[Any] | None:
    """A kept dialog opened again, its fields filled once it is (None: unknown or stale)."""
    dialog_cls = DIALOGS.get(str(point.get("dialog")))
    args, fields = point.get("args"), point.get("fields")
    if dialog_cls is None or not isinstance(args, Mapping) or not isinstance(fields, Mapping):
        return None
    dialog = dialog_cls.from_draft(args)
    if dialog is not None:
        dialog.restore_draft(fields)
    return dialog


def notice_of(point: drafts.ResumePoint) -> str | None:
    """What to tell the user after unlock about the text a lock kept: it is back, or it
    was kept longer than the setting allows and is gone; None when no text was kept."""
    if point.expired_after_hours is not None:
        return _("What was open when the vault locked was kept longer than the {hours} "
                 "hours drafts are kept after a lock, and has been deleted.").format(
            hours=point.expired_after_hours)
    if any(keeps_text(p) for p in point.screens):
        return _("The text you were typing when the vault locked is back.")
    return None


def keep_at_lock(vs: VaultSession, work_stack: Sequence[Screen[Any]],
                 held: Sequence[Screen[Any]], *, pending: bool) -> tuple[bool, bool]:
    """Keep the resume points of ``work_stack`` (the working mode's screens) as this
    account's draft in the vault — call it before the lock drops the key. ``held``: every
    screen the app holds (to find unsaved text that cannot be kept); ``pending``: an
    earlier draft is still being restored (then only a form's text replaces it).
    Returns ``(lost, kept_text)``: whether some typed text could not be kept, and whether
    a form's text was kept."""
    points = capture(work_stack)
    kept_forms = [p for p in points if keeps_text(p)]
    unsaved = [s for s in held if has_unsaved(s)]
    if not points or (pending and not kept_forms):
        return bool(unsaved), False  # nothing to go back to, or an earlier draft waits
    try:
        drafts.keep_draft(vs, points)
    except Exception:  # the key must go even when the draft cannot be written
        return bool(unsaved), False
    return len(unsaved) > len(kept_forms), bool(kept_forms)

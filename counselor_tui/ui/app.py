"""The Textual app shell: global keys, start and modes, banner, idle lock, error dialog.

Screens own their behaviour; the shell only routes (DESIGN §3 UI rules, §5 automatic
logoff, §6 screens and keys), and the routing itself lives in
:mod:`counselor_tui.ui.navigation`. The screens of one unlocked period live in one Textual
*mode* whose base is the dashboard; locking switches to a fresh mode holding only the unlock
screen and removes the old mode with every screen in it, so no record text stays on screen.

Keys: see :mod:`counselor_tui.ui.keys` (F1–F9, ctrl+s, escape, ctrl+l, ctrl+p, ctrl+q; all
priority bindings except escape, so they work while an Input or TextArea has focus). Tab and
Shift+Tab are priority bindings too: the app moves the focus before it hands on the next key
of a burst (auto-type, ``tmux send-keys``). ctrl+q asks first when a form holds unsaved text.

Below :data:`~counselor_tui.ui.sizes.MIN_WIDTH` × :data:`~counselor_tui.ui.sizes.MIN_HEIGHT`
cells the app shows only "window too small" (a
mode of its own, so no screen is laid out at a size it cannot take) and comes back as it was
once the window is big enough again.

An unexpected error never prints a traceback with local variables (they may hold names,
badge numbers or notes): the app says which kind of error it was and, only with
``COUNSELOR_TUI_DEBUG=1``, prints a plain traceback without locals.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, cast

from rich.text import Text
from textual import events, on
from textual.actions import SkipAction
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, TextArea

from counselor_tui import paths
from counselor_tui.i18n import _, set_language
from counselor_tui.services import backup_restore, dashboard, drafts, health, live, settings
from counselor_tui.services.api import Backend
from counselor_tui.services.errors import ServiceError, VaultDamaged, VaultLocked
from counselor_tui.ui import key_order, kinsoku, resume, toggles
from counselor_tui.ui import keymap as user_keymap
from counselor_tui.ui.app_env import DEBUG_ENV, crash_message
from counselor_tui.ui.app_env import idle_minutes_from_env as idle_minutes_from_env
from counselor_tui.ui.areas import area_of
from counselor_tui.ui.base import ServiceFailed
from counselor_tui.ui.keys import (
    ENTER_MOVES_ON,
    GLOBAL_BINDINGS,
    set_binding_shown,
    translate_bindings,
    translate_class_bindings,
)
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.navigation import (
    AREA_BINDINGS,
    NavigatingApp,
    area_allowed,
    has_unsaved,
)
from counselor_tui.ui.palette import CounselorCommands, Palette
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.dashboard import DashboardScreen
from counselor_tui.ui.screens.error_dialog import ErrorDialog
from counselor_tui.ui.screens.first_run import FirstRunScreen
from counselor_tui.ui.screens.too_small import TooSmallScreen
from counselor_tui.ui.screens.unlock import UnlockScreen
from counselor_tui.ui.sizes import MIN_HEIGHT as MIN_HEIGHT  # importable here as before
from counselor_tui.ui.sizes import MIN_WIDTH as MIN_WIDTH
from counselor_tui.ui.sizes import too_small

#: Actions that need an unlocked vault and the working screens.
WORK_ACTIONS = frozenset({"open_area", "search", "lock"})
#: Seconds after which text copied from the app is wiped from the clipboard (DESIGN §5).
CLIPBOARD_SECONDS = 30.0
TOO_SMALL_MODE = "too-small"


def discarded_text() -> str:
    """The warning that an open form's unsaved text was dropped by a lock (DESIGN §5)."""
    return _("The vault was locked while a form was open: its unsaved text was discarded.")


def _original_shown() -> dict[str, bool]:
    return {b.id: b.show for b in GLOBAL_BINDINGS
            if not isinstance(b, tuple) and b.id is not None}


#: Seconds between two looks for changes made by other sessions (issue 14: "within a few
#: seconds").
LIVE_SECONDS = 2.0


class CounselorApp(NavigatingApp):
    """The counselor workbench over one vault (``backend``)."""

    TITLE = "counselor-tui"
    CSS_PATH: ClassVar[Any] = ["styles/app.tcss", "styles/widgets.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = GLOBAL_BINDINGS
    COMMANDS: ClassVar[Any] = {CounselorCommands}
    banner_text: reactive[str] = reactive("")

    def __init__(self, backend: Backend, *, idle_minutes: float | None = None,
                 idle_check_seconds: float = 1.0, banner_seconds: float = 30.0,
                 username: str | None = None) -> None:
        super().__init__()
        kinsoku.install()  # no line of Chinese text starts with 。，） (GB/T 15834)
        toggles.install()  # ✓ ticked, blank not: never colour alone
        self.demo_passphrase: str | None = None  # a demo vault's, shown on its unlock screen
        self.start_passphrase: str | None = None  # --passphrase-file's, used once at start
        self.keymap_problems: tuple[str, ...] = ()  # the user keymap's entries left out
        self.backend = backend
        self.idle_override = idle_minutes
        self.idle_minutes = idle_minutes if idle_minutes is not None else 5.0
        self.idle_check_seconds = idle_check_seconds
        self.banner_seconds = banner_seconds
        #: Seconds between two looks for changes made by other sessions (live screens).
        self.live_seconds = LIVE_SECONDS
        self._live: live.LiveStamp | None = None
        self._live_busy = False
        self._damage_dialog: ErrorDialog | None = None
        self.username = username
        self.last_input: datetime = backend.clock.now()
        self.discarded_on_lock = False
        self.idle_checks = 0
        self.clipboard_seconds = CLIPBOARD_SECONDS
        self._clipboard_timer: Timer | None = None
        self._mode_serial = 0
        self._work_mode: str | None = None
        self._too_small_added = False
        self._quit_asked = False
        #: True from unlock until the draft a lock kept was looked for (and restored).
        self._resume_pending = False
        self._kept_text = False
        #: How many drafts were restored and dropped from the vault (tests wait on it).
        self.drafts_restored = 0

    # -- start, modes ------------------------------------------------------------------------
    def on_mount(self) -> None:
        translate_class_bindings()
        translate_bindings(self)
        self.set_interval(self.idle_check_seconds, self.check_idle_lock, name="idle")
        self.set_interval(self.banner_seconds, self.refresh_banner, name="banner")
        self.set_interval(self.live_seconds, self.poll_live, name="live")
        for problem in self.keymap_problems:
            self.notify(problem, severity="warning", timeout=15, markup=False)
        if self.backend.unlocked:
            self._start_work()
        elif self.backend.exists():
            given, self.start_passphrase = self.start_passphrase, None
            self._enter(lambda: UnlockScreen(self.username, passphrase=given))
        else:
            self._enter(FirstRunScreen)

    def _enter(self, base: Callable[[], Screen[Any]]) -> None:
        """Switch to a new mode whose base screen is ``base()``; drop the old mode. While
        the window is too small the new mode waits behind the "too small" notice."""
        old = self._work_mode
        self._mode_serial += 1
        new = f"m{self._mode_serial}"
        self.add_mode(new, base)
        self._work_mode = new
        if self.current_mode != TOO_SMALL_MODE:
            self.switch_mode(new)
        if old is not None:
            self.remove_mode(old)

    @property
    def work_screen(self) -> Screen[Any] | None:
        """The top screen of the working mode (also while "too small" is shown)."""
        stack = self._stack_of(self._work_mode)
        return stack[-1] if stack else None

    def _stack_of(self, mode: str | None) -> list[Screen[Any]]:
        """The screens of ``mode`` (a copy), or none for a mode not (or no longer) there."""
        try:
            return self.get_screen_stack(mode) if mode is not None else []
        except KeyError:
            return []

    @property
    def held_screens(self) -> list[Screen[Any]]:
        """Every screen the app holds in any of its modes (the working one, the "too small"
        notice and Textual's default), bottom first: after a lock only the unlock screen may
        be among them (DESIGN §5: nothing typed survives a lock)."""
        modes = dict.fromkeys((self.DEFAULT_MODE, TOO_SMALL_MODE, self._work_mode,
                               self.current_mode))
        return [screen for mode in modes for screen in self._stack_of(mode)]

    def _start_work(self) -> None:
        self.last_input = self.backend.clock.now()
        self._offer_keys_of_role()
        self._enter(DashboardScreen)
        self.refresh_banner()
        self._in_thread(health.check_health, self._health_checked, group="health")
        if self.idle_override is None:
            self._in_thread(lambda vs: settings.get_setting(vs, "idle_lock_minutes", 5),
                            self._set_idle)
        self._resume_pending = True
        self._in_thread(drafts.load_draft, self._resume, group="drafts")

    def _resume(self, point: drafts.ResumePoint | None) -> None:
        """After unlock: open again the screens a lock left (and the form with its text),
        then drop the draft from the vault."""
        self._resume_pending = False
        if point is None or not self.working:
            return
        self.last_input = self.backend.clock.now()  # idle counts from when the work is back
        screens = [screen for screen in map(resume.rebuild, point.screens)
                   if screen is not None]
        for screen in screens:
            self._push(screen)
        notice = resume.notice_of(point)
        if notice:
            self.notify(notice, markup=False, timeout=10)
        self._in_thread(drafts.drop_draft, self._draft_dropped, group="drafts")

    def _draft_dropped(self, _gone: bool) -> None:
        self.drafts_restored += 1

    def _health_checked(self, report: health.HealthReport) -> None:
        """After the open-time health check: a damaged vault is read-only; its banner and a
        warning say so and name the restore path (issue 12)."""
        if not report.ok:
            self.refresh_banner()
            self.notify(report.message, severity="error", timeout=60, markup=False)

    def _set_idle(self, minutes: Any) -> None:
        try:
            self.idle_minutes = max(0.1, float(minutes))
        except (TypeError, ValueError):
            self.idle_minutes = 5.0

    @on(UnlockScreen.Unlocked)
    def _unlocked(self, message: UnlockScreen.Unlocked) -> None:
        self._start_work()
        for notice in message.session.notices:
            self.notify(notice, severity="warning", timeout=30, markup=False)
        failed = message.session.failed_attempts
        if failed:
            self.notify(_("{n} failed attempts to unlock since your last login.").format(
                n=failed), severity="warning", timeout=15, markup=False)
        if self.discarded_on_lock:
            self.discarded_on_lock = False
            self.notify(discarded_text(), severity="warning", timeout=30, markup=False)

    def _offer_keys_of_role(self) -> None:
        """Show in the footer only the area keys the unlocked role may use (the keys still
        answer, with "not available for your role")."""
        shown = _original_shown()
        role = self.role
        for area_id, binding_ids in AREA_BINDINGS.items():
            allowed = area_allowed(area_id, role)
            for binding_id in binding_ids:
                set_binding_shown(self, binding_id, shown.get(binding_id, True) and allowed)

    @on(FirstRunScreen.Finished)
    def _first_run_done(self, message: FirstRunScreen.Finished) -> None:
        self._start_work()
        if message.import_roster:
            self.open_area("roster_import")

    # -- locking -----------------------------------------------------------------------------
    def lock(self, reason: str = "manual") -> None:
        """Clear every screen, drop the data key (audited) and show the unlock screen."""
        if not self.backend.unlocked:
            return
        self.discarded_on_lock = not self._keep_draft()
        self.clear_notifications()
        if self.clipboard:
            self.clear_clipboard()
        self.workers.cancel_all()
        self.banner_text = ""
        user = self.backend.session.actor.username if self.backend.session else None
        notice = _("Locked.") if reason == "idle" else ""
        if self.discarded_on_lock:
            notice = (notice + " " + discarded_text()).strip()
        elif self._kept_text:
            notice = (notice + " " + _("What you were typing is kept encrypted in the vault "
                                       "and comes back when you unlock.")).strip()
        self._enter(lambda: UnlockScreen(user, notice))
        try:
            self.backend.lock(reason)
        finally:
            vs = self.backend.session
            if vs is not None and not vs.locked:
                vs.close()

    def _keep_draft(self) -> bool:
        """Keep where the user was, before the lock closes the vault (issue 15 item 7);
        True when nothing typed is lost (:func:`resume.keep_at_lock`)."""
        lost, self._kept_text = resume.keep_at_lock(
            self.backend.vs, self._stack_of(self._work_mode), self.held_screens,
            pending=self._resume_pending)
        return not lost

    def check_idle_lock(self) -> None:
        """Lock when no input came for ``idle_minutes`` (by the backend's clock); never
        during the first-run wizard, whose recovery code is shown only once."""
        self.idle_checks += 1
        if not self.backend.unlocked or isinstance(self.work_screen, FirstRunScreen):
            # the wizard's recovery code must be confirmed before anything may clear it
            return
        if self.backend.clock.now() - self.last_input >= timedelta(minutes=self.idle_minutes):
            self.lock("idle")

    def copy_to_clipboard(self, text: str) -> None:
        """Copy ``text`` (ctrl+c in a field) and wipe it from the clipboard after
        :data:`CLIPBOARD_SECONDS` (DESIGN §5 "No plaintext leaks") or at lock."""
        super().copy_to_clipboard(text)
        if self._clipboard_timer is not None:
            self._clipboard_timer.stop()
            self._clipboard_timer = None
        if text:
            self._clipboard_timer = self.set_timer(self.clipboard_seconds,
                                                   self.clear_clipboard)

    def clear_clipboard(self) -> None:
        """Overwrite the clipboard with nothing."""
        self.copy_to_clipboard("")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WORK_ACTIONS:
            if not self.working:
                return False
            if (action == "open_area" and parameters
                    and area_of(self.screen) == str(parameters[0])):
                return False  # the key of the area shown: left out of the footer (still works)
        return True

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown,
                              events.MouseScrollUp, events.Paste)):
            self.last_input = self.backend.clock.now()
        await key_order.arrive(self, event, super().on_event)

    async def _on_key(self, event: events.Key) -> None:
        """A key back from the widget it was sent to: if a later key jumped the queue, its
        bindings are looked up from the focus it arrived at
        (:mod:`counselor_tui.ui.key_order`), then ``key_`` methods.
        Textual calls every class's ``_on_key`` along the MRO: a key handled here stops
        there; one without a remembered chain goes on to Textual's ``App._on_key``."""
        if await key_order.key_back(self, event):
            event.prevent_default()

    # -- navigation --------------------------------------------------------------------------
    def action_lock(self) -> None:
        """ctrl+l: lock now."""
        self.lock("manual")

    def action_command_palette(self) -> None:
        """ctrl+p: the command palette, in the interface language."""
        if not CommandPalette.is_open(cast(Any, self)):
            self.push_screen(Palette(placeholder=_("Type an action or an area…"),
                                     id="--command-palette"))

    def action_help_quit(self) -> None:
        """ctrl+c (copy in text fields) outside a text field: say how to quit."""
        self.notify(_("Press Ctrl+Q to quit (the vault is locked first)."), markup=False)

    def action_quit_app(self) -> None:
        """ctrl+q: lock, then quit (asking first when a form holds unsaved text)."""
        self.quit_app()

    def any_unsaved(self) -> bool:
        """True when a screen of any mode holds typed text that was not saved."""
        return any(has_unsaved(s) for s in self.held_screens)

    def quit_app(self) -> None:
        """Lock the vault (audited as ``quit``) and leave; when a form holds unsaved text,
        ask first ("discard?", No by default) like Esc does."""
        if self._quit_asked:
            return  # the question is on screen already
        if not self.backend.unlocked or not self.any_unsaved():
            self._quit_now()
            return

        def answer(yes: bool | None) -> None:
            self._quit_asked = False
            if yes:
                self._quit_now()

        self._quit_asked = True
        self.push_screen(ConfirmDialog(
            _("A form holds unsaved text. Quit and discard it?"), title=_("Quit"),
            yes=_("Quit, discard the text"), no=_("Back to the form"), default_yes=False),
            answer)

    def _quit_now(self) -> None:
        if self.backend.unlocked:
            self.backend.lock("quit")
        self.exit(0)

    # -- focus moves in the app's own loop (keys of a burst land in the right field) ----------
    def action_next_field(self) -> None:
        """Tab: focus the next field at once (a TextArea that indents keeps its Tab)."""
        self._focus_step(forward=True)

    def action_previous_field(self) -> None:
        """Shift+Tab: focus the previous field at once."""
        self._focus_step(forward=False)

    def _focus_step(self, *, forward: bool) -> None:
        focused = self.focused
        if isinstance(focused, TextArea) and focused.tab_behavior == "indent" \
                and not focused.read_only and forward:
            raise SkipAction()
        if forward:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def action_enter_next(self) -> None:
        """Enter in an Input marked :data:`ENTER_MOVES_ON` (the unlock screen's user name):
        move on at once, like Tab; any other Enter goes to the focused widget."""
        focused = self.focused
        if not isinstance(focused, Input) or not focused.has_class(ENTER_MOVES_ON):
            raise SkipAction()
        self.screen.focus_next()

    # -- window size --------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self.fit_window(event.size.width, event.size.height)

    def fit_window(self, width: int, height: int) -> None:
        """Show "window too small" below :data:`MIN_WIDTH` × :data:`MIN_HEIGHT`, and the
        working screens again (as they were) once the window is big enough."""
        small = too_small(width, height)
        if small and self.current_mode != TOO_SMALL_MODE:
            if not self._too_small_added:
                self.add_mode(TOO_SMALL_MODE, TooSmallScreen)
                self._too_small_added = True
            self.switch_mode(TOO_SMALL_MODE)
        elif not small and self.current_mode == TOO_SMALL_MODE and self._work_mode:
            # after Textual has handed the new size on (its resize timer), not before: a
            # mode switched to inside the resize handler is laid out at the old size first
            self.set_timer(0.05, self._back_to_work)

    def _back_to_work(self) -> None:
        if not too_small(*self.size) and self.current_mode == TOO_SMALL_MODE \
                and self._work_mode:
            self.switch_mode(self._work_mode)

    # -- unexpected errors ----------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """An unhandled error closes the app (Textual's rule) with our message naming only
        the error's kind; Textual's own report, a traceback *with local variables* (names,
        badge numbers, notes), is never printed. ``COUNSELOR_TUI_DEBUG=1`` adds a plain
        traceback without locals."""
        self._return_code = 1
        if self._exception is None:  # run_test re-raises it for test frameworks
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.clear()
        self._exit_renderables.append(Text(crash_message(error)))
        if os.environ.get(DEBUG_ENV) == "1":
            self._exit_renderables.append(Text("".join(traceback.format_exception(error))))
        self.bell()
        self._close_messages_no_wait()

    def switch_language(self, lang: str) -> None:
        """Show the interface in ``lang`` (``zh``/``en``): the screens are built again."""
        def apply() -> None:
            set_language(lang)
            translate_class_bindings()
            translate_bindings(self)
            self._offer_keys_of_role()
            if self.working:
                self._enter(DashboardScreen)
            elif self.backend.exists():
                self._enter(lambda: UnlockScreen(self.username))
            else:
                self._enter(FirstRunScreen)

        self._guarded(apply, above=0)

    def backup(self) -> None:
        """Write a verified backup into the vault's backup folder (in a worker)."""
        folder = paths.default_backup_dir(self.backend.vault_path)
        self._in_thread(lambda vs: backup_restore.backup(vs, folder), self._backed_up)

    def _backed_up(self, path: Any) -> None:
        self.notify(_("Backup written: {path}").format(path=path), markup=False)
        self.post_message(DataChanged("backup"))

    # -- banner, workers, errors -------------------------------------------------------------
    def refresh_banner(self) -> None:
        """Fetch the urgent banner text (in a worker)."""
        if self.backend.unlocked:
            self._in_thread(dashboard.banner, self._set_banner, group="banner")

    def poll_live(self) -> None:
        """Every few seconds: when another session changed the vault, the open screens
        refresh (:mod:`counselor_tui.services.live`; a failed look is skipped quietly, the
        next one comes soon)."""
        if not self.backend.unlocked:
            self._live = None
            return
        if self._live_busy:  # the previous look is still running (a loaded machine)
            return
        backend, before = self.backend, self._live
        self._live_busy = True

        def job() -> None:
            try:
                changed, now = live.poll(backend.vs, before)
            except Exception:  # locked meanwhile, busy: nothing to show, look again later
                self.call_from_thread(self._live_seen, False, before)
                return
            self.call_from_thread(self._live_seen, changed, now)

        self.run_worker(job, thread=True, exit_on_error=False, group="live")

    def _live_seen(self, changed: bool, now: live.LiveStamp | None) -> None:
        self._live_busy = False
        self._live = now
        if changed and self.backend.unlocked:
            self.post_message(DataChanged("elsewhere"))

    def _set_banner(self, text: str | None) -> None:
        if not self.backend.unlocked:
            self.banner_text = ""
            return
        # a read-only vault's banner stays, whatever an older banner worker found
        self.banner_text = self.backend.vs.read_only or text or ""

    def _in_thread(self, fn: Callable[[Any], Any], done: Callable[[Any], None],
                   group: str = "app") -> None:
        backend = self.backend

        def job() -> None:
            try:
                result = fn(backend.vs)
            except Exception as exc:
                self.call_from_thread(self.post_message, ServiceFailed(exc))
                return
            self.call_from_thread(done, result)

        self.run_worker(job, thread=True, exit_on_error=False, group=group)

    @on(ServiceFailed)
    def _service_failed(self, message: ServiceFailed) -> None:
        error = message.error
        locked = self.backend.session is not None and not self.backend.unlocked
        if isinstance(error, VaultLocked) or locked:
            return  # a worker that was running when the vault locked
        if isinstance(error, ServiceError):
            text = str(error)
        else:
            text = _("Unexpected error ({kind}); the operation was not completed.").format(
                kind=type(error).__name__)
        if any(isinstance(s, ErrorDialog) and s.message == text for s in self.screen_stack):
            return  # the same message is open already
        if isinstance(error, VaultDamaged):
            self.refresh_banner()  # the vault is read-only now (issue 12)
            if self._damage_dialog in self.screen_stack:
                return  # one dialog about the damage, however many screens met it
            self._damage_dialog = ErrorDialog(text)
            self.push_screen(self._damage_dialog)
            return
        self.push_screen(ErrorDialog(text))


def create_app(backend: Backend, *, idle_minutes: float | None = None,
               idle_check_seconds: float = 1.0, banner_seconds: float = 30.0,
               username: str | None = None, demo_passphrase: str | None = None,
               passphrase: str | None = None) -> CounselorApp:
    """The app over ``backend``. ``idle_minutes`` overrides the ``idle_lock_minutes`` setting;
    ``idle_check_seconds`` is how often idleness is checked (against ``backend.clock``);
    ``demo_passphrase`` (a generated demo vault's only) is shown on the unlock screen;
    ``passphrase`` (``--passphrase-file``'s) opens the vault as ``username`` behind the first
    frame, which says "Opening the vault…" (a wrong one leaves the unlock screen asking)."""
    app = CounselorApp(backend, idle_minutes=idle_minutes,
                       idle_check_seconds=idle_check_seconds, banner_seconds=banner_seconds,
                       username=username)
    app.demo_passphrase = demo_passphrase
    app.start_passphrase = passphrase
    keymap = user_keymap.load_keymap(user_keymap.keymap_file(), user_keymap.binding_ids())
    app.set_keymap(keymap.keys)
    app.keymap_problems = keymap.problems
    return app

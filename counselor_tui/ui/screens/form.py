"""The base of every form: unsaved-change tracking, save, the discard question, failures.

A *form* is a screen or dialog where something is typed and then saved (or handed back to
the screen that opened it). :class:`FormScreen` is the base of the full-screen forms (the
session form, the emergency form), :class:`FormModal` of the dialog forms; both give:

* **Unsaved-change tracking.** :meth:`FormScreen.snapshot` returns the raw content of the
  fields; the form remembers it once it is filled (:attr:`FormScreen.tracking`) and
  :meth:`FormScreen.has_unsaved_changes` compares. The app reads that method before a move,
  a lock or ctrl+q would drop the form (:func:`counselor_tui.ui.navigation.has_unsaved`).
* **Save.** ctrl+s (the app's key, or a form's own ``ctrl+s`` binding), the ``SAVE_BUTTON``
  and Enter where a form says so call :meth:`FormScreen.action_save`, which runs
  :meth:`FormScreen.submit` unless a save is running, done, or the form is not loaded yet.
  ``submit`` checks the fields and hands the service call to :meth:`FormScreen.save_with`
  (a thread worker; ``done`` runs on the UI thread once it succeeded).
* **The discard question.** Esc (binding id ``cancel``) and the ``CANCEL_BUTTON`` call
  :meth:`FormScreen.action_cancel`: a form with unsaved changes asks ``DISCARD_QUESTION``
  (No by default) before it closes; otherwise it closes at once (:meth:`FormScreen.close_form`:
  a dialog dismisses with ``CANCEL_RESULT``, a full screen goes back).
* **Failures.** :meth:`FormScreen.form_failed` is the one place a failed call of the form
  is shown: field messages of an :class:`~counselor_tui.services.errors.InvalidInput` with
  ``errors`` go under their fields; any other refusal (a
  :class:`~counselor_tui.services.errors.ServiceError`, whose text is safe to show) goes to
  the form's ``ERROR_LINE`` (or the app's error dialog when the form has none); anything
  else goes to the app's error dialog, which names only the kind of error.

How a form uses it::

    class GroupFormDialog(FormModal[int | None]):
        '''| key | action | ... (the docstring table of keys, as for every screen)'''

        BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="cancel")]  # optional:
        # FormScreen binds escape → cancel already (hidden); a form re-binds it to show it
        ERROR_LINE = "#gf-error"        # the Static under the form for its messages
        SAVE_BUTTON = "gf-save"         # button ids (default "save" / "cancel")
        CANCEL_BUTTON = "gf-cancel"
        DISCARD_QUESTION = N_("Discard this interest group? What you typed is lost.")

        def snapshot(self) -> tuple[object, ...]:
            return (self.query_one("#gf-name", Input).value, ...)

        def submit(self) -> None:
            draft = self.draft()                 # shows field messages, None when invalid
            if draft is not None:
                self.save_with(activities.add_group, self.backend.vs, draft,
                               done=self._saved)

        def _saved(self, group_id: int) -> None:
            self.app.notify(_("Interest group saved."))
            self.dismiss(group_id)

A form whose fields are filled by a worker (choices from the vault) sets ``self.ready =
False`` in ``__init__`` and calls :meth:`FormScreen.form_loaded` once filled: saving waits
for it and the unsaved-change tracking starts from the filled form. A form that must react
to a refusal in its own way as well (clear a passphrase, start a countdown) overrides
:meth:`FormScreen.form_failed` and calls ``super().form_failed(error)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from textual import events, on
from textual.binding import Binding, BindingType
from textual.widgets import Button, Input, Select, Static, TextArea

from counselor_tui.i18n import N_, _
from counselor_tui.services.errors import InvalidInput, ServiceError
from counselor_tui.ui.base import BaseModal, BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.form_field import FormField

T = TypeVar("T")
R = TypeVar("R")

#: The line a form shows while some of its fields carry a message.
CORRECT_FIELDS = N_("Please correct the marked fields.")


class FormScreen(BaseScreen):
    """A full-screen form (the base of :class:`FormModal` too); see the module doc."""

    #: Esc cancels; not shown in the footer unless a form binds it again with its label.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel", show=False),
    ]

    #: Selector of the Static for form-wide messages (refusals, "correct the fields").
    ERROR_LINE: ClassVar[str | None] = None
    #: Ids of the buttons that save and cancel.
    SAVE_BUTTON: ClassVar[str] = "save"
    CANCEL_BUTTON: ClassVar[str] = "cancel"
    #: Asked (msgid) before unsaved changes are dropped by Esc; None: never asked.
    DISCARD_QUESTION: ClassVar[str | None] = N_("Discard what you typed? It is lost.")

    #: False while the form's fields are still being filled (see :meth:`form_loaded`).
    ready: bool = True
    #: True while a save runs in a worker.
    saving: bool = False
    #: True once a save succeeded (nothing is unsaved any more).
    form_saved: bool = False
    _initial: tuple[Any, ...] | None = None
    _discarded: bool = False
    _draft_fill: Mapping[str, Any] | None = None

    # -- unsaved-change tracking -------------------------------------------------------------
    def snapshot(self) -> tuple[Any, ...]:
        """The raw content of every field, to tell whether anything was changed (a form
        without fields worth keeping returns ``()``, the default)."""
        return ()

    @property
    def tracking(self) -> bool:
        """True once the form is filled and its content remembered."""
        return self._initial is not None

    def mark_clean(self) -> None:
        """Remember the current content as the unchanged form (then put back the text a
        lock kept, if any: it stays unsaved)."""
        if self.is_attached:
            self._initial = self.snapshot()
            pending, self._draft_fill = self._draft_fill, None
            if pending:
                fill_fields(self, pending)

    def form_loaded(self) -> None:
        """Call once a worker filled the fields: saving is allowed and tracking starts
        (after the next refresh, when the controls show their values)."""
        self.ready = True
        self.call_after_refresh(self.mark_clean)

    def has_unsaved_changes(self) -> bool:
        """True when the content differs from the form as opened and was neither saved
        nor discarded."""
        return (self._initial is not None and not self.form_saved and not self._discarded
                and self.snapshot() != self._initial)

    @on(events.Mount)
    def _form_mounted(self) -> None:
        translate_bindings(self)
        if self.ready:
            self.call_after_refresh(self.mark_clean)

    # -- messages ----------------------------------------------------------------------------
    def say(self, text: str) -> None:
        """Show ``text`` in the form's ``ERROR_LINE`` (nothing when it has none)."""
        if self.ERROR_LINE is not None:
            for line in self.query(self.ERROR_LINE).results(Static):
                line.update(text)

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Put ``errors`` (field name → message) under their :class:`FormField`; clear the
        others. Messages of names without a field go to the error line, else it says to
        correct the marked fields (cleared when there is no message)."""
        named = set()
        for field in self.query(FormField):
            field.set_error(errors.get(field.name or ""))
            named.add(field.name)
        loose = [message for name, message in errors.items() if name not in named]
        self.say(" ".join(loose) if loose else _(CORRECT_FIELDS) if errors else "")

    def focus_first_error(self, errors: Mapping[str, str]) -> None:
        """Focus the control of the first field (in form order) that has a message."""
        first = next((f for f in self.query(FormField) if f.name in errors), None)
        if first is not None:
            first.control.focus()

    # -- saving ------------------------------------------------------------------------------
    def action_save(self) -> None:
        """ctrl+s / the save button: :meth:`submit`, unless a save runs, is done, or the
        form is still being filled."""
        if self.saving or self.form_saved or not self.ready:
            return
        self.submit()

    def submit(self) -> None:
        """Check the fields and, when they read, call :meth:`save_with` (forms override)."""

    def save_with(self, fn: Callable[..., R], *args: Any, done: Callable[[R], None],
                  saying: str | None = None, group: str = "form-save", **kwargs: Any) -> None:
        """Run the service call ``fn(*args, **kwargs)`` in a worker (one at a time). On
        success the form counts as saved and ``done(result)`` runs on the UI thread; on
        failure :meth:`form_failed` shows why. ``saying`` goes to the error line meanwhile."""
        self.saving = True
        if saying is not None:
            self.say(saying)

        def succeeded(result: R) -> None:
            self.saving = False
            self.form_saved = True
            done(result)

        self.call(fn, *args, done=succeeded, failed=self.form_failed, group=group, **kwargs)

    def form_failed(self, error: BaseException) -> bool:
        """Show a failed call of the form (see the module doc); True when the form showed
        it, False when the app's error dialog must (the ``failed`` contract of
        :meth:`counselor_tui.ui.base.BackendMixin.call`)."""
        self.saving = False
        errors = getattr(error, "errors", None)
        if isinstance(error, InvalidInput) and isinstance(errors, Mapping) and errors:
            self.show_errors(errors)
            self.focus_first_error(errors)
            return True
        if isinstance(error, ServiceError):
            self.say(str(error))
            return self.ERROR_LINE is not None
        self.say("")  # never the text of an unexpected error: it could quote data
        return False

    # -- leaving -----------------------------------------------------------------------------
    def action_cancel(self) -> None:
        """Esc / the cancel button: close, asking ``DISCARD_QUESTION`` first when something
        was changed."""
        question = self.discard_question()
        if question is None or not self.has_unsaved_changes():
            self.close_form()
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._discarded = True
                self.close_form()

        self.app.push_screen(ConfirmDialog(_(question), default_yes=False), answer)

    def discard_question(self) -> str | None:
        """The msgid asked before unsaved changes are dropped (``DISCARD_QUESTION``; a form
        may ask otherwise by its state, e.g. a correction rather than a new record)."""
        return self.DISCARD_QUESTION

    def close_form(self) -> None:
        """Go back to the screen the form was opened from."""
        if self.is_current and len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    @on(Button.Pressed)
    def _form_button(self, event: Button.Pressed) -> None:
        if event.button.id == self.SAVE_BUTTON:
            event.stop()
            self.action_save()
        elif event.button.id == self.CANCEL_BUTTON:
            event.stop()
            self.action_cancel()


def field_values(screen: FormScreen, ids: Sequence[str]) -> dict[str, Any]:
    """The values of the :class:`Input`, :class:`TextArea`, :class:`Select` and
    :class:`DateInput` widgets ``ids`` of ``screen`` (JSON-able; absent ids left out)."""
    values: dict[str, Any] = {}
    for ident in ids:
        for widget in screen.query(f"#{ident}"):
            if isinstance(widget, Input):
                values[ident] = widget.value
            elif isinstance(widget, (TextArea, DateInput)):
                values[ident] = widget.text
            elif isinstance(widget, Select):
                value = widget.value
                if isinstance(value, (str, int)) and not isinstance(value, bool):
                    values[ident] = value
    return values


def fill_fields(screen: FormScreen, values: Mapping[str, Any]) -> None:
    """Put ``values`` (from :func:`field_values`) back; a value that no longer fits (a
    choice gone) is left out."""
    for ident, value in values.items():
        for widget in screen.query(f"#{ident}"):
            with contextlib.suppress(Exception):
                if isinstance(widget, Input) and isinstance(value, str):
                    widget.value = value
                elif isinstance(widget, (TextArea, DateInput)) and isinstance(value, str):
                    widget.text = value
                elif isinstance(widget, Select):
                    widget.value = value


class FormModal(FormScreen, BaseModal[T]):
    """A form in a dialog; dismisses with its result, or ``CANCEL_RESULT`` when cancelled.

    **Drafts at a lock** (issue 15 item 7). A dialog that names its typed fields in
    ``DRAFT_FIELDS`` (widget ids: Input, TextArea, Select, DateInput — never a passphrase)
    and says how to open it again (:meth:`draft_args` → JSON-able constructor arguments,
    :meth:`from_draft` → the dialog) is kept, with its unsaved text, in the encrypted
    draft a lock writes (:mod:`counselor_tui.ui.resume`), and comes back filled after the
    same account unlocks. The dialog must save by itself (not through its opener's
    callback), since it is opened again without one.
    """

    #: What a cancelled dialog dismisses with.
    CANCEL_RESULT: ClassVar[Any] = None
    #: Ids of the fields a lock keeps as a draft (empty: the dialog is not kept).
    DRAFT_FIELDS: ClassVar[tuple[str, ...]] = ()
    #: True when opened again after a lock (:meth:`restore_draft`).
    from_lock: bool = False

    def draft_args(self) -> dict[str, Any] | None:
        """The JSON-able arguments :meth:`from_draft` opens the dialog again with (None:
        it cannot be opened again)."""
        return None

    @classmethod
    def from_draft(cls, args: Mapping[str, Any]) -> FormModal[Any] | None:
        """A new dialog from :meth:`draft_args` (None when they do not fit)."""
        try:
            return cls(**args)
        except TypeError:
            return None

    def dialog_draft(self) -> dict[str, Any] | None:
        """The resume point of this dialog when it holds unsaved text and can be kept:
        ``{"screen": "dialog", "dialog": class name, "args", "unsaved": True, "fields"}``."""
        if not self.DRAFT_FIELDS or not self.has_unsaved_changes():
            return None
        args = self.draft_args()
        if args is None:
            return None
        return {"screen": "dialog", "dialog": type(self).__name__, "args": args,
                "unsaved": True, "fields": field_values(self, self.DRAFT_FIELDS)}

    def restore_draft(self, fields: Mapping[str, Any]) -> None:
        """Fill ``fields`` once the dialog is filled (it still counts as unsaved); marks
        the dialog :attr:`from_lock` (opened without its opener's callback)."""
        self._draft_fill = dict(fields)
        self.from_lock = True

    def close_form(self) -> None:
        """Dismiss with ``CANCEL_RESULT``."""
        self.dismiss(self.CANCEL_RESULT)

"""Addendum to a session (DESIGN §4: corrections after the edit window).

Above the addendum the dialog shows the session's whole note and its earlier addenda,
read-only and scrollable (the person record shows only the first lines of each note).

| key | action |
|---|---|
| ctrl+s | save the addendum |
| Esc | cancel (asks when something was typed) |
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static, TextArea

from counselor_tui.i18n import N_, _
from counselor_tui.services import sessions
from counselor_tui.services.sessions import SessionSummary
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.form import FormModal
from counselor_tui.ui.screens.session_form_draft import rebuild_dataclass


class AddendumDialog(FormModal[bool]):
    """Types and saves an addendum to session ``session_id``; dismisses True once saved.
    With ``session`` (its summary) the whole note and earlier addenda are shown above."""

    CSS_PATH = "../styles/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="cancel"),
    ]
    ERROR_LINE = "#addendum-error"
    CANCEL_RESULT = False
    DISCARD_QUESTION = N_("Discard this addendum? What you typed is lost.")
    DRAFT_FIELDS = ("addendum-text",)

    def __init__(self, session_id: int, session: SessionSummary | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.session_id = session_id
        self.session = session

    def draft_args(self) -> dict[str, Any] | None:
        """The session (id and summary) the addendum is for."""
        summary = dataclasses.asdict(self.session) if self.session is not None else None
        return {"session_id": self.session_id, "session": summary}

    @classmethod
    def from_draft(cls, args: Mapping[str, Any]) -> AddendumDialog | None:
        """The dialog for the kept session (None when the arguments do not fit)."""
        session_id = args.get("session_id")
        if not isinstance(session_id, int):
            return None
        summary = rebuild_dataclass(SessionSummary, args.get("session"))
        return cls(session_id, summary if isinstance(summary, SessionSummary) else None)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Addendum"), classes="dialog-title")
            if self.session is not None:
                yield TextArea(self._record_text(self.session), id="addendum-note",
                               read_only=True, soft_wrap=True)
            editable = self.session is not None and self.session.editable
            yield Static(_("The session can still be edited (Enter on it in the record); an "
                           "addendum is kept with it, with your name and the time.")
                         if editable else
                         _("The session can no longer be changed; an addendum is kept with "
                           "it, with your name and the time."), classes="dialog-hint",
                         markup=False)
            yield TextArea(id="addendum-text", soft_wrap=True)
            yield Static("", id="addendum-error", classes="field-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save (ctrl+s)"), variant="primary", id="save")
                yield Button(_("Cancel"), id="cancel")

    @staticmethod
    def _record_text(session: SessionSummary) -> str:
        """The whole note, then each earlier addendum under a rule."""
        if session.note_hidden:
            parts = [_("(the note is not visible to your account)")]
        else:
            parts = [session.note]
        parts.extend("+ " + addendum for addendum in session.addenda)
        return "\n\n".join(parts)

    def on_mount(self) -> None:
        self.query_one("#addendum-text", TextArea).focus()

    def snapshot(self) -> tuple[Any, ...]:
        """The typed text (blank counts as nothing)."""
        return (self.query_one("#addendum-text", TextArea).text.strip(),)

    def submit(self) -> None:
        """Save the addendum (in a worker)."""
        text = self.query_one("#addendum-text", TextArea).text
        if not text.strip():
            self.say(_("The addendum is empty."))
            return
        self.save_with(sessions.add_addendum, self.backend.vs, self.session_id, text,
                       done=self._saved, group="addendum")

    def _saved(self, _result: None) -> None:
        self.app.notify(_("Addendum saved."), markup=False)
        self.app.post_message(DataChanged("session"))
        self.dismiss(True)

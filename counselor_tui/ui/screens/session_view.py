"""One session in full (issue 15 item 6): the whole note, every field — the intervention
too — and each addendum with its author and time, read-only and scrollable (the person
record shows only the first lines of a note). Opened with ``o`` on a session of the record;
it dismisses with what to do next, which the record does.

| key | action |
|---|---|
| e | correct the session (its author or a coordinator, inside the edit window) |
| n | add an addendum |
| Esc | close |
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from counselor_tui.domain import vocab
from counselor_tui.i18n import N_, _
from counselor_tui.services.sessions import SessionSummary
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.text import join_list
from counselor_tui.ui.widgets.footer import AppFooter

#: What the view dismisses with: correct the session, add an addendum, or nothing.
EDIT, ADDENDUM = "edit", "addendum"


def storage_minute(stamp: str) -> str:
    """``2026-11-25T08:00:00+08:00`` → ``2026-11-25 08:00``."""
    return stamp[:16].replace("T", " ")


def addendum_lines(session: SessionSummary) -> list[Text]:
    """Each addendum as ``+ 2026-12-01 10:00 李辅导`` and its text (every line)."""
    lines = []
    for i, text in enumerate(session.addenda):
        by, at = session.addenda_by[i] if i < len(session.addenda_by) else ("", "")
        head = Text("+ " + " · ".join(p for p in (storage_minute(at), by) if p),
                    style="bold")
        lines.append(head + Text("\n" + text))
    return lines


class SessionView(BaseModal[str | None]):
    """Session ``session`` in full; dismisses with :data:`EDIT`, :data:`ADDENDUM` or None."""

    CSS_PATH: ClassVar[Any] = ["../styles/dialogs.tcss", "../styles/session_view.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", N_("Correct"), id="edit_session"),
        Binding("n", "addendum", N_("Addendum"), id="addendum"),
        Binding("escape", "close", N_("Close"), id="close"),
    ]

    def __init__(self, session: SessionSummary, refusal: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.session = session
        #: Why this account may not correct the session (None: it may), from
        #: :func:`counselor_tui.services.session_reads.change_refusal`.
        self.refusal = refusal
        #: The fields shown, ``(label, value)``.
        self.pairs: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        s = self.session
        with Vertical(classes="dialog session-view"):
            who = s.person_name or (_("Anonymous caller") + (
                f" · {s.caller_label}" if s.caller_label else ""))
            yield Label(f"{storage_minute(s.started_at)} · {who}", classes="dialog-title",
                        markup=False)
            with VerticalScroll(id="session-view-body"):
                yield Static(self._fields(), id="session-view-fields")
                yield Label(_("Note"), classes="help-section")
                yield Static(self._note(), id="session-view-note")
                yield Label(_("Addenda"), classes="help-section")
                lines = addendum_lines(s)
                yield Static(Text("\n").join(lines) if lines else Text(_("none"), style="dim"),
                             id="session-view-addenda")
        yield AppFooter()

    def _fields(self) -> Table:
        s = self.session
        flags = [label for on, label in ((s.sealed, _("sealed")), (s.locked, _("locked")))
                 if on]
        pairs = [
            (_("Channel"), vocab.label(vocab.CHANNELS, s.channel)),
            (_("Kind"), vocab.label(vocab.SESSION_KINDS, s.kind)),
            (_("Topics"), join_list(vocab.label(vocab.TOPICS, t) for t in s.topics)),
            (_("Duration (minutes)"), str(s.duration_min)),
            (_("Risk"), vocab.label(vocab.RISKS, s.risk)),
            (_("Intervention"), "" if s.note_hidden else s.intervention),
            (_("Referral"), vocab.label(vocab.REFERRALS, s.referral)),
            (_("Follow-up"), (s.follow_up_on or "") + (" ✔" if s.follow_up_closed_at else "")),
            (_("Counselor"), join_list((s.counselor, *s.co_counselors))),
            (_("Status"), join_list(flags)),
        ]
        self.pairs = pairs
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        for label, value in pairs:
            table.add_row(label, value or "—")
        return table

    def _note(self) -> Text:
        if self.session.note_hidden:
            return Text(_("(the note is not visible to your account)"), style="dim italic")
        return Text(self.session.note) if self.session.note else Text("—", style="dim")

    def on_mount(self) -> None:
        translate_bindings(self)
        self.query_one("#session-view-body").focus()

    def action_edit(self) -> None:
        """Correct the session, when this account still may."""
        if self.session.editable:
            self.dismiss(EDIT)
        else:
            self.notify(self.refusal or _("This session can no longer be changed: add an "
                                          "addendum (n)."), markup=False)

    def action_addendum(self) -> None:
        """Add an addendum."""
        self.dismiss(ADDENDUM)

    def action_close(self) -> None:
        """Close the view."""
        self.dismiss(None)

    def shown_text(self) -> str:
        """Every text of the view (tests)."""
        parts = [f"{label} {value}" for label, value in self.pairs]
        parts.extend(str(w.render()) for w in self.query(Static)
                     if w.id != "session-view-fields")
        return "\n".join(parts)

"""The kept versions of a corrected record (training record, activity; issue 19).

A read-only table: one line per version, oldest first, the current one last, with who
replaced each earlier version and when. Built by the team and activities screens from
:mod:`counselor_tui.services.record_versions` rows.

| key | action |
|---|---|
| Esc | close |
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label

from counselor_tui.i18n import N_, _
from counselor_tui.ui.base import BaseModal
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.widgets.plain_table import PlainTable


class VersionsDialog(BaseModal[None]):
    """``title`` over a table of ``columns`` × ``rows`` (cells as shown)."""

    CSS_PATH = "../styles/versions.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", N_("Close"), id="close"),
    ]

    def __init__(self, title: str, columns: Sequence[str],
                 rows: Sequence[Sequence[str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.columns = tuple(columns)
        self.rows = tuple(tuple(r) for r in rows)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog versions-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield PlainTable(id="versions-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Close"), id="versions-close")

    def on_mount(self) -> None:
        translate_bindings(self)
        table = self.query_one("#versions-table", DataTable)
        table.add_columns(*self.columns)
        for row in self.rows:
            table.add_row(*row)
        table.focus()

    @on(Button.Pressed, "#versions-close")
    def _close_button(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)

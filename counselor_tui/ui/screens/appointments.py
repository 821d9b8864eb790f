"""Appointments 预约 (issue 15, point 5): missed appointments first, then those of the next
two weeks; schedule, log the session of one (the form comes filled), cancel one.

Counselors see their own appointments, coordinators everyone's (the service decides).

| key | action |
|---|---|
| n | schedule an appointment |
| l / Enter | log the session of the highlighted appointment (the form comes filled) |
| c | cancel the highlighted appointment (with a reason) |
| r | reload |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from counselor_tui.domain import vocab
from counselor_tui.domain.dates import from_storage
from counselor_tui.i18n import N_, _
from counselor_tui.services import appointments
from counselor_tui.services.appointments import AppointmentRow
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.appointment_dialog import ScheduleDialog
from counselor_tui.ui.screens.appointment_session import AppointmentSessionForm
from counselor_tui.ui.screens.reason_dialog import ReasonDialog
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

if TYPE_CHECKING:
    from counselor_tui.services.context import VaultSession

#: How many days ahead the screen lists.
DAYS_AHEAD = 14


def load(vs: VaultSession) -> list[AppointmentRow]:
    """Missed appointments, then the coming ones (runs in a worker)."""
    coming = appointments.upcoming(vs, vs.today(), DAYS_AHEAD)
    missed = appointments.missed(vs)
    seen = {r.id for r in missed}
    return [*missed, *(r for r in coming if r.id not in seen)]


class AppointmentsScreen(BaseScreen):
    """The appointment list; constructed with no arguments."""

    CSS_PATH = "../styles/appointments.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "schedule", N_("Schedule"), id="schedule"),
        Binding("l", "log", N_("Log session"), id="log_from_appointment"),
        Binding("c", "cancel_appointment", N_("Cancel appointment"), id="cancel_appointment"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]
    AUTO_FOCUS = "#ap-table"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[AppointmentRow] = []
        self.loaded = 0

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Static(_("Appointments"), classes="screen-title")
        yield PlainTable(id="ap-table", cursor_type="row", zebra_stripes=True)
        yield Static(_("n schedule · l log the session · c cancel"), id="ap-hint",
                     classes="field-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        table = self.query_one("#ap-table", DataTable)
        for key, title in (("when", _("Date and time")), ("who", _("Person")),
                           ("channel", _("Channel")), ("minutes", _("Minutes")),
                           ("counselor", _("Counselor")), ("status", _("Status")),
                           ("note", _("Purpose"))):
            table.add_column(title, key=key)
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def data_changed(self, what: str) -> None:
        """Something was saved: list again when shown."""
        if self.is_current:
            self.reload()

    def action_reload(self) -> None:
        """Reload the list."""
        self.reload()

    def reload(self) -> None:
        """List again (in a worker)."""
        if self.backend.unlocked:
            self.call(load, self.backend.vs, done=self._show, group="appointments")

    def _show(self, rows: list[AppointmentRow]) -> None:
        if not self.is_attached:
            return
        self.rows = rows
        self.loaded += 1
        table = self.query_one("#ap-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in rows:
            status = (Text(_("missed"), style="bold red") if r.missed
                      else Text(_(appointments.STATUSES.get(r.status, r.status))))
            table.add_row(from_storage(r.starts_at).strftime("%Y-%m-%d %H:%M"), r.who,
                          vocab.label(vocab.CHANNELS, r.channel), str(r.duration_min),
                          r.counselor, status, r.note, key=str(r.id))
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))

    def highlighted(self) -> AppointmentRow | None:
        """The appointment under the cursor, or None."""
        table = self.query_one("#ap-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_schedule(self) -> None:
        """Open the schedule dialog."""
        self.app.push_screen(ScheduleDialog(), lambda _row: self.reload())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_log()

    def action_log(self) -> None:
        """Log the session of the highlighted scheduled appointment."""
        row = self.highlighted()
        if row is None:
            return
        if row.status != "scheduled":
            self.notify(_("This appointment is already {status}.").format(
                status=_(appointments.STATUSES.get(row.status, row.status))), markup=False)
            return
        self.app.push_screen(AppointmentSessionForm(row))

    def action_cancel_appointment(self) -> None:
        """Cancel the highlighted scheduled appointment, with a reason."""
        row = self.highlighted()
        if row is None or row.status != "scheduled":
            return

        def answer(reason: str | None) -> None:
            if reason:
                self.call(appointments.cancel, self.backend.vs, row.id, reason,
                          done=lambda _none: self._cancelled(), group="ap-cancel")

        self.app.push_screen(ReasonDialog(_("Cancel appointment"), _(
            "Why is the appointment with {who} cancelled?").format(who=row.who)), answer)

    def _cancelled(self) -> None:
        self.notify(_("Appointment cancelled."), markup=False)
        self.app.post_message(DataChanged("appointment"))
        self.reload()

"""Log the session of an appointment (issue 15, point 5): the session form 记录咨询, filled
from the appointment — person (or the anonymous caller and its label), date and time,
channel, duration — and, once saved, the appointment is marked as logged
(:func:`counselor_tui.services.appointments.mark_kept`).

Keys as :class:`~counselor_tui.ui.screens.session_form.SessionFormScreen`:

| key | action |
|---|---|
| ctrl+s | save |
| Esc | cancel (asks when something was typed) |
"""

from __future__ import annotations

from textual.widgets import Input, Select

from counselor_tui.domain import dates
from counselor_tui.i18n import _
from counselor_tui.services import appointments
from counselor_tui.services.appointments import AppointmentRow
from counselor_tui.services.persons import PersonRow
from counselor_tui.services.sessions import SessionSaved
from counselor_tui.ui.screens.session_form import SessionFormScreen
from counselor_tui.ui.widgets.date_input import DateInput
from counselor_tui.ui.widgets.person_picker import PersonPicker


def person_row(appointment: AppointmentRow) -> PersonRow | None:
    """The person of ``appointment`` as the picker shows it (None: anonymous)."""
    if appointment.person_id is None:
        return None
    return PersonRow(appointment.person_id, "", None, appointment.who, None, None, None, None,
                     "", None, None, None)


class AppointmentSessionForm(SessionFormScreen):
    """The session form filled from ``appointment``."""

    def __init__(self, appointment: AppointmentRow) -> None:
        super().__init__(person=person_row(appointment))
        self.appointment = appointment

    def on_mount(self) -> None:
        """Fill the fields from the appointment (before the form remembers its content)."""
        super().on_mount()
        a = self.appointment
        if a.person_id is None:
            self.query_one("#person", PersonPicker).preset(None, anonymous=True)
            self.query_one("#caller-label", Input).value = a.caller_label or ""
            self._show_caller_label()
        self.query_one("#started", DateInput).text = dates.format_datetime(
            dates.from_storage(a.starts_at))
        self.query_one("#channel", Select).value = a.channel
        self.query_one("#duration", Input).value = str(a.duration_min)

    def _saved(self, result: SessionSaved | None) -> None:
        """Mark the appointment as logged, then go on as every saved session does."""
        if result is None:
            super()._saved(result)
            return

        def failed(_error: BaseException) -> bool:
            self.app.notify(_("The session is saved, but the appointment could not be "
                              "marked as logged: cancel it on the appointments screen."),
                            severity="warning", markup=False)
            super(AppointmentSessionForm, self)._saved(result)
            return True

        self.call(appointments.mark_kept, self.backend.vs, self.appointment.id, result.id,
                  done=lambda _none: super(AppointmentSessionForm, self)._saved(result),
                  failed=failed, group="ap-kept")

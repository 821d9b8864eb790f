"""Incidents 应激事件 (F6): open incidents by their most urgent step, with live countdowns.

Left: the open incidents, most urgent first (overdue red, due soon yellow). Right: the
chosen incident — kind, severity, times, exposed persons, summary — and its steps with a
countdown updated every second from the stored due times (overdue in red). Times are data:
the countdowns are computed from ``due_at`` against the bureau clock, so they are right
after a restart.

| key | action |
|---|---|
| ↑ / ↓ | move in the list or the steps |
| Tab | between the incident list and the steps |
| Enter (step) | record the step as done (who, when, form, note, optional session) |
| w | waive the highlighted step with a reason |
| a | add exposed persons |
| c | close the incident (every step done or waived) |
| r | reload |
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from counselor_tui.domain import incidents as rules
from counselor_tui.domain.dates import format_datetime, from_storage
from counselor_tui.domain.vocab import EXPOSURE_ROLES, label
from counselor_tui.i18n import N_, _
from counselor_tui.services import incidents
from counselor_tui.services.incidents import ExposureDraft, IncidentRow, StepRecord, StepRow
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged
from counselor_tui.ui.screens.add_exposure import AddExposureModal
from counselor_tui.ui.screens.confirm import ConfirmDialog
from counselor_tui.ui.screens.record_step import RecordStepModal
from counselor_tui.ui.screens.waive_step import WaiveStepModal
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

STATE_STYLES = {"overdue": "bold red", "due_soon": "yellow", "open": "", "done": "green",
                "late": "dark_orange", "waived": "dim", "ready": "green", "closed": "dim"}


def _local(stamp: str, tz: object) -> str:
    moment = from_storage(stamp)
    if tz is not None:
        moment = moment.astimezone(tz)  # type: ignore[arg-type]
    return format_datetime(moment)


class IncidentsScreen(BaseScreen):
    """The response clock of every open incident; constructed with no arguments."""

    CSS_PATH = "../styles/incidents.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "waive", N_("Waive step"), id="waive"),
        Binding("a", "add_persons", N_("Add persons"), id="add_persons"),
        Binding("c", "close_incident", N_("Close incident"), id="close_incident"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]
    AUTO_FOCUS = "#inc-list"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[IncidentRow] = []
        self.current: IncidentRow | None = None
        self.loaded = 0

    def compose(self) -> ComposeResult:
        yield Static(_("Incidents (F6)"), classes="screen-title")
        with Horizontal(id="inc-body"):
            yield OptionList(id="inc-list")
            with Vertical(id="inc-detail"):
                yield Static("", id="inc-header", markup=False)
                yield PlainTable(id="inc-steps", cursor_type="row", zebra_stripes=True)
                yield Static("", id="inc-summary", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        table = self.query_one("#inc-steps", DataTable)
        # the countdown right after the step: at 80 columns it is what must stay visible
        table.add_column(_("Step"), key="step")
        table.add_column(_("Countdown / state"), key="clock")
        table.add_column(_("Due"), key="due")  # before the person: whole at 80 columns
        table.add_column(_("Person"), key="person")
        table.add_column(_("Form · by"), key="form")
        self.set_interval(1.0, self.tick, name="incident-countdown")
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    # -- loading ------------------------------------------------------------------------
    def action_reload(self) -> None:
        """Reload the open incidents."""
        self.reload()

    def reload(self, select: int | None = None) -> None:
        """Fetch the open incidents in a worker; keep (or move to) ``select``."""
        if not self.backend.unlocked:
            return
        keep = select if select is not None else (self.current.id if self.current else None)
        self.call(incidents.open_incidents, self.backend.vs,
                  done=lambda rows: self._show(rows, keep), group="incidents-load")

    def _now(self) -> datetime:
        return self.backend.clock.now()

    def _list_prompt(self, row: IncidentRow, now: datetime) -> Text:
        state, clock = self._incident_clock(row, now)
        line = Text()
        line.append(f"{row.title}\n", style="bold " + STATE_STYLES.get(state, ""))
        line.append(f"  {rules.kind_label(row.kind)} · {clock}",
                    style=STATE_STYLES.get(state, ""))
        return line

    def _incident_clock(self, row: IncidentRow, now: datetime) -> tuple[str, str]:
        if row.next_due is None:
            return "ready", _("every step closed: ready to close")
        nxt = next((s for s in row.steps if s.due_at == row.next_due), None)
        due = from_storage(row.next_due)
        state = rules.step_state(due, None, False, now).value
        name = nxt.label if nxt else ""
        return state, f"{name} {rules.countdown(due, now)}"

    def _show(self, rows: list[IncidentRow], keep: int | None) -> None:
        if not self.is_attached:
            return
        self.loaded += 1
        self.rows = rows
        now = self._now()
        olist = self.query_one("#inc-list", OptionList)
        if not rows:
            olist.set_options([Option(_("No open incident."), disabled=True)])
            self._show_detail(None)
            return
        olist.set_options([Option(self._list_prompt(r, now), id=str(r.id)) for r in rows])
        index = next((i for i, r in enumerate(rows) if r.id == keep), 0)
        olist.highlighted = index
        self._show_detail(rows[index])

    @on(OptionList.OptionHighlighted, "#inc-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        row = next((r for r in self.rows if str(r.id) == event.option_id), None)
        if row is not None and row is not self.current:
            self._show_detail(row)

    @on(OptionList.OptionSelected, "#inc-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#inc-steps", DataTable).focus()

    def _show_detail(self, row: IncidentRow | None) -> None:
        self.current = row
        header = self.query_one("#inc-header", Static)
        table = self.query_one("#inc-steps", DataTable)
        summary = self.query_one("#inc-summary", Static)
        table.clear()
        if row is None:
            header.update(_("Flag an emergency with F9."))
            summary.update("")
            return
        tz = self._now().tzinfo
        persons = "  ".join(f"{e.name}({label(EXPOSURE_ROLES, e.role)})" for e in row.exposures)
        header.update("\n".join([
            row.title,
            _("{kind} · {category} · severity {severity}").format(
                kind=rules.kind_label(row.kind),
                category=_(rules.CATEGORIES[row.category]) if row.category else "",
                severity=rules.severity_label(row.severity)),
            _("Occurred {occurred} · reported {reported}").format(
                occurred=_local(row.occurred_at, tz), reported=_local(row.reported_at, tz)),
            _("Persons: {persons}").format(persons=persons or _("none yet (a: add)")),
        ]))
        summary.update(row.summary)
        now = self._now()
        for step in row.steps:
            table.add_row(step.label, self._clock_cell(step, now), _local(step.due_at, tz),
                          step.person_name or "", self._form_cell(step), key=str(step.id))

    def _clock_cell(self, step: StepRow, now: datetime) -> Text:
        due = from_storage(step.due_at)
        done = from_storage(step.done_at) if step.done_at else None
        state = rules.step_state(due, done, step.waived_reason is not None, now)
        text = rules.countdown(due, now) if state.is_open else rules.state_label(state)
        return Text(text, style=STATE_STYLES.get(state.value, ""))

    @staticmethod
    def _form_cell(step: StepRow) -> str:
        if step.waived_reason is not None:
            return _("waived: {reason}").format(reason=step.waived_reason)
        parts = [rules.form_label(step.form), step.by_name or ""]
        if step.session_id is not None:
            parts.append(_("session logged"))  # never the record's internal number
        return " · ".join(p for p in parts if p)

    def tick(self) -> None:
        """Every second: recompute the countdowns and the list colours from the due times."""
        if not self.is_attached or not self.backend.unlocked:
            return
        now = self._now()
        table = self.query_one("#inc-steps", DataTable)
        if self.current is not None:
            for step in self.current.steps:
                if str(step.id) in table.rows:
                    table.update_cell(str(step.id), "clock", self._clock_cell(step, now))
        olist = self.query_one("#inc-list", OptionList)
        for row in self.rows:
            try:
                olist.replace_option_prompt(str(row.id), self._list_prompt(row, now))
            except Exception:  # noqa: S112 - the list was rebuilt meanwhile
                continue

    def countdown_text(self, step_id: int) -> str:
        """The countdown cell of a step as shown (for tests)."""
        cell = self.query_one("#inc-steps", DataTable).get_cell(str(step_id), "clock")
        return cell.plain if isinstance(cell, Text) else str(cell)

    # -- actions ------------------------------------------------------------------------
    def _step(self) -> StepRow | None:
        table = self.query_one("#inc-steps", DataTable)
        if self.current is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.current.steps if str(s.id) == key), None)

    def _open_step(self) -> StepRow | None:
        step = self._step()
        if step is None:
            return None
        if step.done_at is not None:
            self.app.notify(_("This step is already done or waived."), markup=False)
            return None
        return step

    @on(DataTable.RowSelected, "#inc-steps")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_record()

    def action_record(self) -> None:
        """Record the highlighted step."""
        step = self._open_step()
        incident = self.current
        if step is None or incident is None:
            return

        def save(rec: StepRecord | None) -> None:
            if rec is not None:
                self.call(incidents.record_step, self.backend.vs, step.id, rec,
                          done=self._recorded, group="incidents-write")

        self.app.push_screen(RecordStepModal(step, incident), save)

    def _recorded(self, result: incidents.StepRecorded) -> None:
        message = _("Step recorded.") if not result.late else _("Step recorded (late).")
        if result.session_id is not None:
            message += " " + _("The counseling session is logged too.")
        self.app.notify(message, markup=False)
        self._changed()

    def action_waive(self) -> None:
        """Waive the highlighted step with a reason."""
        step = self._open_step()
        if step is None:
            return

        def save(reason: str | None) -> None:
            if reason:
                self.call(incidents.waive_step, self.backend.vs, step.id, reason,
                          done=lambda _r: self._changed(), group="incidents-write")

        self.app.push_screen(WaiveStepModal(step.label), save)

    def action_add_persons(self) -> None:
        """Add exposed persons to the current incident."""
        incident = self.current
        if incident is None:
            return

        def save(drafts: tuple[ExposureDraft, ...] | None) -> None:
            if drafts:
                self.call(self._add_all, incident.id, drafts, done=lambda _r: self._changed(),
                          group="incidents-write")

        self.app.push_screen(AddExposureModal(incident.title), save)

    def _add_all(self, incident_id: int, drafts: tuple[ExposureDraft, ...]) -> int:
        vs = self.backend.vs
        for draft in drafts:
            incidents.add_exposure(vs, incident_id, draft)
        return len(drafts)

    def action_close_incident(self) -> None:
        """Close the current incident once every step is done or waived."""
        incident = self.current
        if incident is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(incidents.close_incident, self.backend.vs, incident.id,
                          done=lambda _r: self._incident_closed(), group="incidents-write")

        self.app.push_screen(ConfirmDialog(
            _("Close the incident “{title}”?").format(title=incident.title)), answer)

    def _incident_closed(self) -> None:
        self.app.notify(_("Incident closed."), markup=False)
        self.current = None
        self._changed()

    def _changed(self) -> None:
        self.app.post_message(DataChanged("incident"))
        self.reload()

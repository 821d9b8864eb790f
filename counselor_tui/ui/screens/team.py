"""Counselor team 辅导员队伍 (DESIGN §6 "Team (training hours per counselor)", §8 item 6).

One line per counselor and coordinator: unit, training hours in the month and in its year,
training records in the year, sessions logged in the month and the year (a counselor sees
only their own counts), activities run in the year. Below, the training records of the
highlighted counselor in that year (a counselor: their own). ``p`` / ``n`` move the month.

Coordinators record, correct and void anyone's training; counselors record their own and
void what they entered; auditors see the figures only; admins see the roster (name, role,
unit, active) only. A correction keeps the old version (``h`` lists them); a voided record
stays listed, marked, and leaves every total (issue 19).

| key | action |
|---|---|
| t | record a training (a counselor: their own) |
| e | correct the highlighted training record (coordinator) |
| x | void the highlighted training record, with a reason |
| h | versions of the highlighted training record |
| g | hand the highlighted counselor's persons, follow-ups and incident steps to another
  (coordinator; issue 15) |
| p / n | previous / next month |
| o | the organisation: committee, office, units' counselors (issue 16) |
| r | reload |
| Tab | between the team and the training records |

A line under the month names the units whose designated counselors break the one-to-three
rule (issue 16 item 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static
from textual.widgets.data_table import RowDoesNotExist

from counselor_tui.domain.periods import Period, following, period_of, previous
from counselor_tui.domain.roles import Role, parse_role
from counselor_tui.i18n import N_, _
from counselor_tui.services import organisation, record_versions, team
from counselor_tui.services.api import Backend
from counselor_tui.services.organisation import UnitCoverage
from counselor_tui.services.team import CounselorRow, TeamSummary, TrainingRow
from counselor_tui.ui.base import BaseScreen
from counselor_tui.ui.keys import translate_bindings
from counselor_tui.ui.messages import DataChanged, OpenArea
from counselor_tui.ui.screens.handover_dialog import HandoverDialog
from counselor_tui.ui.screens.organisation import outside_text
from counselor_tui.ui.screens.reason_dialog import ReasonDialog
from counselor_tui.ui.screens.training_form import TrainingFormDialog
from counselor_tui.ui.screens.versions_dialog import VersionsDialog
from counselor_tui.ui.widgets.banner import Banner
from counselor_tui.ui.widgets.footer import AppFooter
from counselor_tui.ui.widgets.plain_table import PlainTable

FIGURE_ROLES = frozenset({Role.COUNSELOR, Role.COORDINATOR, Role.AUDITOR})


@dataclass(frozen=True)
class TeamAnswer:
    """What the screen shows: the figures (roles that see them) or the bare roster."""

    period: Period
    summary: TeamSummary | None
    roster: list[CounselorRow]
    outside: list[UnitCoverage] = field(default_factory=list)


def load(backend: Backend, period: Period) -> TeamAnswer:
    """Team figures of ``period``, or the roster for an admin (runs in a worker)."""
    vs = backend.vs
    outside = organisation.units_outside_rule(vs)
    if vs.actor.role in FIGURE_ROLES:
        return TeamAnswer(period, team.team_summary(vs, period), [], outside)
    return TeamAnswer(period, None, team.list_counselors(vs, include_inactive=True), outside)


def trainings_of(backend: Backend, user: int,
                 year: Period) -> tuple[int, list[TrainingRow]]:
    """The training records of ``user`` dated in ``year`` (runs in a worker)."""
    return user, team.list_trainings(backend.vs, user, year)


def hours(value: float) -> str:
    """Hours as shown: ``12.5``, ``8``."""
    return f"{value:g}"


def role_label(code: str) -> str:
    """The translated role of a stored role code."""
    try:
        return parse_role(code).label
    except ValueError:
        return code


class TeamScreen(BaseScreen):
    """The counselor team; constructed with no arguments."""

    CSS_PATH = "../styles/team.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "add_training", N_("Record training"), id="add_training"),
        Binding("e", "correct_training", N_("Correct training"), id="correct_training"),
        Binding("x", "void_training", N_("Void training"), id="void_training"),
        Binding("h", "training_versions", N_("Versions"), id="training_versions"),
        Binding("g", "hand_over", N_("Hand over"), id="hand_over_work"),
        Binding("p", "month(-1)", N_("Previous month"), id="previous_month"),
        Binding("n", "month(1)", N_("Next month"), id="next_month"),
        Binding("o", "organisation", N_("Organisation"), id="organisation"),
        Binding("r", "reload", N_("Reload"), id="reload"),
    ]
    AUTO_FOCUS = "#team-table"

    def __init__(self) -> None:
        super().__init__()
        self.period = period_of("month", date.today())  # set from the vault's clock at mount
        self.answer: TeamAnswer | None = None
        self.trainings: list[TrainingRow] = []
        self.trainings_of: int | None = None
        self.loaded = 0

    def compose(self) -> ComposeResult:
        yield Banner()
        yield Label(_("Counselor team"), classes="screen-title")
        yield Static("", id="team-period", markup=False)
        yield Static("", id="team-units", markup=False)
        with Vertical(id="team-body"):
            yield PlainTable(id="team-table", cursor_type="row", zebra_stripes=True)
            yield Label(_("Training records"), id="team-trainings-title",
                        classes="section-title")
            yield PlainTable(id="team-trainings", cursor_type="row", zebra_stripes=True)
        yield Static("", id="team-hint", classes="field-hint", markup=False)
        yield AppFooter()

    def on_mount(self) -> None:
        translate_bindings(self)
        self.period = period_of("month", self.backend.clock.now().date())
        role = self._role()
        table = self.query_one("#team-table", DataTable)
        if role in FIGURE_ROLES:
            for key, title in (
                ("name", _("Name")), ("unit", _("Unit")),
                ("hours", _("Training h (month)")), ("hours_year", _("Training h (year)")),
                ("trainings_year", _("Trainings (year)")),
                ("sessions", _("Sessions (month)")), ("sessions_year", _("Sessions (year)")),
                ("activities_year", _("Activities (year)")), ("role", _("Role")),
            ):
                table.add_column(title, key=key)
        else:
            for key, title in (("name", _("Name")), ("username", _("User name")),
                               ("role", _("Role")), ("unit", _("Unit")),
                               ("active", _("Status"))):
                table.add_column(title, key=key)
        records = self.query_one("#team-trainings", DataTable)
        for key, title in (("date", _("Date")), ("title", _("Title")), ("hours", _("Hours")),
                           ("provider", _("Provider")), ("version", _("Version")),
                           ("status", _("Status"))):
            records.add_column(title, key=key)
        shows_records = role in (Role.COORDINATOR, Role.COUNSELOR)
        self.query_one("#team-trainings-title", Label).display = shows_records
        records.display = shows_records
        self.query_one("#team-hint", Static).update(
            _("t record training · e correct · x void · h versions · p / n month")
            if role is Role.COORDINATOR
            else _("t record your training · x void · h versions · p / n month")
            if role is Role.COUNSELOR
            else _("p / n month"))
        self.reload()

    def _role(self) -> Role | None:
        vs = self.backend.session
        return vs.actor.role if vs is not None else None

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def data_changed(self, what: str) -> None:
        """Reload after a training record, an activity or a session was saved."""
        if self.loaded and what in ("training", "activity", "session"):
            self.reload()

    # -- loading -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the figures of the month (in a worker)."""
        if self.backend.unlocked:
            self.call(load, self.backend, self.period, done=self._show, group="team-load")

    def action_reload(self) -> None:
        """r: reload."""
        self.reload()

    def action_month(self, step: int) -> None:
        """p / n: the previous or next month (not beyond this month)."""
        target = previous(self.period) if step < 0 else following(self.period)
        if target.start > self.backend.clock.now().date():
            return
        self.period = target
        self.reload()

    def _show(self, answer: TeamAnswer) -> None:
        if not self.is_attached or answer.period != self.period:
            return
        self.answer = answer
        self.loaded += 1
        table = self.query_one("#team-table", DataTable)
        keep, kept_user = table.cursor_row, self.selected_user()
        table.clear()
        line = self.query_one("#team-period", Static)
        s = answer.summary
        if s is not None:
            for m in s.members:
                name = m.display_name if m.active else _("{name} (disabled)").format(
                    name=m.display_name)
                table.add_row(
                    name, m.unit_name or "", hours(m.training_hours),
                    hours(m.training_hours_year), str(m.trainings_year),
                    "—" if m.sessions is None else str(m.sessions),
                    "—" if m.sessions_year is None else str(m.sessions_year),
                    str(m.activities_year), role_label(m.role), key=str(m.user_id))
            line.update(_(
                "Month {month}: {hours} training hours, {trained} counselors trained · "
                "Year {year}: {hours_year} training hours · {members} active members").format(
                month=s.period.display(), hours=hours(s.training_hours),
                trained=s.counselors_trained, year=s.year.display(),
                hours_year=hours(s.training_hours_year), members=s.active_members))
        else:
            for c in answer.roster:
                table.add_row(c.display_name, c.username, role_label(c.role),
                              c.unit_name or "", _("active") if c.active else _("disabled"),
                              key=str(c.user_id))
            line.update(_("Accounts of the team: {n}").format(n=len(answer.roster)))
        units = self.query_one("#team-units", Static)
        units.display = bool(answer.outside)
        units.update(_("⚠ Units outside the rule of one to three designated counselors: "
                       "{units} (o: organisation)").format(units=outside_text(answer.outside, 3)))
        if table.row_count:
            try:  # stay on the same person (by id), else on the same line
                row = table.get_row_index(str(kept_user))
            except RowDoesNotExist:
                row = min(keep, table.row_count - 1)
            table.move_cursor(row=row)
        self._load_trainings()

    def action_organisation(self) -> None:
        """o: open the organisation screen."""
        self.post_message(OpenArea("organisation"))

    def action_hand_over(self) -> None:
        """g: hand the highlighted counselor's open work to another (coordinator)."""
        summary = getattr(getattr(self, "answer", None), "summary", None)
        user = self.selected_user()
        member = next((m for m in summary.members if m.user_id == user
                       and m.role == Role.COUNSELOR.value), None) if (
            summary is not None and self._role() is Role.COORDINATOR) else None
        if member is None:
            self.notify(_("A coordinator hands over a counselor's work."), markup=False)
            return
        self.app.push_screen(HandoverDialog(member.username, member.display_name),
                             lambda _result: self.reload())

    def selected_user(self) -> int | None:
        """The user id of the highlighted team line."""
        table = self.query_one("#team-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "team-table" and self._role() is Role.COORDINATOR:
            self._load_trainings()

    def _load_trainings(self) -> None:
        role = self._role()
        if role is Role.COUNSELOR:
            user: int | None = self.backend.vs.actor.id
        elif role is Role.COORDINATOR:
            user = self.selected_user()
        else:
            return
        if user is None:
            return
        year = period_of("year", self.period.start)
        self.call(trainings_of, self.backend, user, year, done=self._show_trainings,
                  group="team-trainings")

    def _show_trainings(self, answer: tuple[int, list[TrainingRow]]) -> None:
        if not self.is_attached:
            return
        user, rows = answer
        name = rows[0].display_name if rows else self._name_of(user)
        self.query_one("#team-trainings-title", Label).update(
            _("Training records of {name}, {year}").format(
                name=name, year=period_of("year", self.period.start).display()))
        table = self.query_one("#team-trainings", DataTable)
        kept = self.selected_training() if self.trainings_of == user else None
        keep = table.cursor_row
        self.trainings_of, self.trainings = user, rows
        table.clear()
        for t in rows:
            style = "dim strike" if t.voided else ""
            status = _("voided: {reason}").format(reason=t.void_reason or "") if t.voided \
                else ""
            table.add_row(Text(t.date, style=style), Text(t.title, style=style),
                          Text(hours(t.hours), style=style), Text(t.provider, style=style),
                          str(t.version), Text(status, style="dim"), key=str(t.id))
        if kept is not None and table.row_count:
            try:  # stay on the same training record (by id) after a reload
                table.move_cursor(row=table.get_row_index(str(kept.id)))
            except RowDoesNotExist:
                table.move_cursor(row=min(keep, table.row_count - 1))

    def _name_of(self, user: int) -> str:
        if self.answer is not None and self.answer.summary is not None:
            for m in self.answer.summary.members:
                if m.user_id == user:
                    return m.display_name
        return ""

    def selected_training(self) -> TrainingRow | None:
        """The highlighted training record, if any."""
        table = self.query_one("#team-trainings", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((t for t in self.trainings if str(t.id) == key), None)

    # -- actions -----------------------------------------------------------------------------
    def _after(self, result: int | None) -> None:
        if result is not None:
            self.app.post_message(DataChanged("training"))
            self.reload()

    def action_add_training(self) -> None:
        """t: record a training (coordinator: for the highlighted counselor)."""
        role = self._role()
        if role not in (Role.COORDINATOR, Role.COUNSELOR):
            self.app.notify(_("Your role does not record training."), severity="warning",
                            markup=False)
            return
        user = self.selected_user() if role is Role.COORDINATOR else self.backend.vs.actor.id
        self.app.push_screen(TrainingFormDialog(user), self._after)

    def action_correct_training(self) -> None:
        """e: correct the highlighted training record (coordinators)."""
        if self._role() is not Role.COORDINATOR:
            self.app.notify(_("Only a coordinator corrects training records."),
                            severity="warning", markup=False)
            return
        row = self.selected_training()
        if row is None:
            self.app.notify(_("Highlight a training record first (Tab to the list)."),
                            markup=False)
            return
        self.app.push_screen(TrainingFormDialog(training=row), self._after)

    def action_void_training(self) -> None:
        """x: void the highlighted training record, with a reason (it leaves every total)."""
        role = self._role()
        if role not in (Role.COORDINATOR, Role.COUNSELOR):
            self.app.notify(_("Your role does not record training."), severity="warning",
                            markup=False)
            return
        row = self.selected_training()
        if row is None:
            self.app.notify(_("Highlight a training record first (Tab to the list)."),
                            markup=False)
            return
        if row.voided:
            self.app.notify(_("This training record is already voided."), markup=False)
            return

        def answer(reason: str | None) -> None:
            if reason:
                self.call(team.void_training, self.backend.vs, row.id, reason,
                          done=lambda _r: self._voided(), group="training-void")

        self.app.push_screen(ReasonDialog(
            _("Void the training record"),
            _("“{title}” ({date}, {hours} h) leaves every total but stays stored. Why is it "
              "void?").format(title=row.title, date=row.date, hours=hours(row.hours))),
            answer)

    def _voided(self) -> None:
        self.app.notify(_("Training record voided."), markup=False)
        self.app.post_message(DataChanged("training"))
        self.reload()

    def action_training_versions(self) -> None:
        """h: the versions of the highlighted training record (oldest first)."""
        row = self.selected_training()
        if row is None:
            self.app.notify(_("Highlight a training record first (Tab to the list)."),
                            markup=False)
            return
        self.call(record_versions.training_versions, self.backend.vs, row.id,
                  done=lambda versions: self._show_versions(row, versions),
                  group="training-versions")

    def _show_versions(self, row: TrainingRow,
                       versions: list[record_versions.TrainingVersionRow]) -> None:
        current = _("current")
        self.app.push_screen(VersionsDialog(
            _("Versions of “{title}”").format(title=row.title),
            [_("Version"), _("Date"), _("Title"), _("Hours"), _("Provider"),
             _("Replaced at"), _("Replaced by")],
            [[str(v.version), v.date, v.title, hours(v.hours), v.provider,
              (v.replaced_at or "")[:16].replace("T", " ") or current, v.replaced_by or ""]
             for v in versions]))
